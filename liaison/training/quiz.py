"""Drawing and scoring quizzes: pure functions over the attempt's snapshot of its questions.

A single-answer question is right when the chosen option is the keyed one; a several-answers
question is right only when exactly the keyed set is ticked (as the survey's knowledge questions
are scored). The score is the share of questions right, on a 0–100 scale.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import TypedDict


class DrawnQuestion(TypedDict):
    code: str
    kind: str
    choices: list[str]
    correct: list[str]


@dataclass(frozen=True)
class BankQuestion:
    code: str
    kind: str
    choices: tuple[str, ...]
    correct: frozenset[str]


@dataclass(frozen=True)
class QuizResult:
    score: Decimal
    correct: list[str]
    passed: bool


def draw(
    bank: Sequence[BankQuestion], count: int | None, *, rng: random.Random | None = None
) -> list[DrawnQuestion]:
    """``count`` questions of the bank (all when ``None``) in a fresh order, options shuffled."""
    rng = rng or random.SystemRandom()
    chosen = list(bank) if count is None or count >= len(bank) else rng.sample(list(bank), count)
    rng.shuffle(chosen)
    drawn: list[DrawnQuestion] = []
    for question in chosen:
        options = list(question.choices)
        rng.shuffle(options)
        drawn.append(
            {
                "code": question.code,
                "kind": question.kind,
                "choices": options,
                "correct": sorted(question.correct),
            }
        )
    return drawn


def score(
    questions: Sequence[DrawnQuestion], answers: Mapping[str, Sequence[str]], pass_mark: int
) -> QuizResult:
    """Score ``answers`` (question code → chosen option codes) against the drawn questions."""
    if not questions:
        raise ValueError("a quiz without questions cannot be scored")
    right = [q["code"] for q in questions if set(answers.get(q["code"], ())) == set(q["correct"])]
    percent = (Decimal(len(right)) * 100 / Decimal(len(questions))).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    return QuizResult(score=percent, correct=right, passed=percent >= pass_mark)
