"""Benchmark: ``survey analyze`` on 100,000 respondents × 60 questions with ``--by``.

Two shapes (``--shape``), each an XLSForm of 60 questions in three groups and 100,000
respondents generated in ``benchmarks/out/``:

* ``kobo`` — 30 select_one, 15 select_multiple, 15 integer; a KoboToolbox-shaped export
  (``;``, every field quoted, group paths, ``_uuid`` …);
* ``plain`` — 40 select_one, 10 select_multiple, 5 integer, 5 text (Vietnamese); a plain CSV
  of question names (``;``, no metadata columns: the import says it has no submission IDs).

It times

* ``pandas.read_csv(sep=';', dtype=str)`` alone on that CSV (the floor: any analysis has to
  read the file), and
* the analysis as ``liaison survey analyze FORM DATA --by region`` runs it: read and check the
  export against the form, then analyse (the form is loaded once beforehand and timed apart),

and prints both with their ratio. Target: under 3× the bare read. It also times the whole
command as a user runs it (``liaison survey analyze … --by region --json OUT``: start-up,
loading the form, read, analyse, writing the JSON); target: under 4× the bare read. Each figure
is the best of ``--repeat`` runs (five), the bare read's as the command's: the command's first
run converts the XLSForm with pyxform, the others read that conversion back from the data
folder's cache, as any later run on the same questionnaire does.

    uv run python benchmarks/survey_analyze.py [--shape kobo|plain] [--respondents N] [--repeat K]

Not a test: pytest does not collect it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
GROUPS = ("context", "knowledge", "needs")
SHAPES = {
    # select_one, select_multiple, integer, text
    "kobo": (30, 15, 15, 0),
    "plain": (40, 10, 5, 5),
}
OPTIONS = 6
NOTES = ("Cần thêm tập huấn về ma túy", "Thiếu phương tiện tuần tra", "Đề nghị học tiếng Lào")


def build_form(path: Path, shape: str) -> list[tuple[str, str, str]]:
    """Write the XLSForm; returns (group, name, type) of its questions."""
    select_one, select_multiple, integer, text = SHAPES[shape]
    questions: list[tuple[str, str, str]] = []
    kinds = ["select_one"] * select_one + ["select_multiple"] * select_multiple
    kinds += ["integer"] * integer + ["text"] * text
    for index, kind in enumerate(kinds):
        name = "region" if index == 0 else f"q{index:02d}"
        questions.append((GROUPS[index % len(GROUPS)], name, kind))
    workbook = Workbook()
    survey = workbook.active
    assert survey is not None
    survey.title = "survey"
    survey.append(["type", "name", "label::English (en)", "label::Vietnamese (vi)", "constraint"])
    for group in GROUPS:
        survey.append(["begin_group", group, group.title(), group.title(), None])
        for question_group, name, kind in questions:
            if question_group != group:
                continue
            if kind == "select_one":
                survey.append(
                    [f"select_one {name}_list", name, f"Question {name}", f"Câu {name}", None]
                )
            elif kind == "select_multiple":
                survey.append(
                    [f"select_multiple {name}_list", name, f"Question {name}", f"Câu {name}", None]
                )
            elif kind == "text":
                survey.append(["text", name, f"Question {name}", f"Câu {name}", None])
            else:
                survey.append(["integer", name, f"Question {name}", f"Câu {name}", ". >= 0"])
        survey.append(["end_group", group, None, None, None])
    choices = workbook.create_sheet("choices")
    choices.append(
        ["list_name", "name", "label::English (en)", "label::Vietnamese (vi)", "correct"]
    )
    for _group, name, kind in questions:
        if kind in ("integer", "text"):
            continue
        count = 4 if name == "region" else OPTIONS
        for option in range(count):
            choices.append(
                [
                    f"{name}_list",
                    f"o{option}",
                    f"Option {option}",
                    f"Lựa chọn {option}",
                    1 if option == 0 else 0,
                ]
            )
    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "form_title", "default_language"])
    settings.append(["benchmark", "Benchmark form", "English (en)"])
    workbook.save(path)
    return questions


def build_export(
    path: Path, questions: list[tuple[str, str, str]], respondents: int, shape: str
) -> None:
    """Write a KoboToolbox-shaped export (``;``, every field quoted) or a plain CSV of
    question names (``;``, quoted only where needed, no metadata)."""
    rng = np.random.default_rng(2010)
    columns: dict[str, np.ndarray] = {}
    for group, name, kind in questions:
        header = f"{group}/{name}" if shape == "kobo" else name
        if kind == "select_one":
            count = 4 if name == "region" else OPTIONS
            values = rng.integers(0, count, respondents).astype(str)
            values = np.char.add("o", values).astype(object)
            values[rng.random(respondents) < 0.05] = ""
        elif kind == "select_multiple":
            ticks = rng.random((respondents, OPTIONS)) < 0.3
            masks = ticks.astype(np.int64) @ (1 << np.arange(OPTIONS))
            texts = np.array(
                [
                    " ".join(f"o{bit}" for bit in range(OPTIONS) if mask >> bit & 1)
                    for mask in range(1 << OPTIONS)
                ],
                dtype=object,
            )
            values = texts[masks]
        elif kind == "text":
            notes = np.array(NOTES, dtype=object)[rng.integers(0, len(NOTES), respondents)]
            numbers = rng.integers(0, 1000, respondents).astype(str).astype(object)
            values = notes + " (" + numbers + ")"
            values[rng.random(respondents) < 0.3] = ""
        else:
            values = rng.integers(0, 40, respondents).astype(str).astype(object)
            values[rng.random(respondents) < 0.05] = ""
        columns[header] = values
    frame = pd.DataFrame(columns)
    if shape == "plain":
        frame.to_csv(path, sep=";", index=False)
        return
    frame["_id"] = np.arange(respondents) + 1
    frame["_uuid"] = [f"00000000-0000-4000-8000-{index:012d}" for index in range(respondents)]
    frame["_submission_time"] = "2024-05-01T10:00:00"
    frame["_index"] = np.arange(respondents) + 1
    frame.to_csv(path, sep=";", index=False, quoting=1)


def best_of(repeat: int, run) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="kobo")
    parser.add_argument("--respondents", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    import django

    django.setup()
    from liaison.surveys.analysis import analyze
    from liaison.surveys.imports import read_export
    from liaison.surveys.xlsform import load_form

    OUT.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.shape == "kobo" else f"_{args.shape}"
    form_path = OUT / f"survey_benchmark_form{suffix}.xlsx"
    data_path = OUT / f"survey_benchmark_{args.respondents}{suffix}.csv"
    questions = build_form(form_path, args.shape)
    if not data_path.exists():
        build_export(data_path, questions, args.respondents, args.shape)
    size = data_path.stat().st_size / 1e6

    started = time.perf_counter()
    form = load_form(form_path)
    form_seconds = time.perf_counter() - started

    table_holder: list[object] = []

    def read_alone() -> None:
        pd.read_csv(data_path, sep=";", dtype=str)

    def read_and_check() -> None:
        table_holder[:] = [read_export(data_path, form)]

    def analyse() -> None:
        table = table_holder[0]
        analyze(form, table.answers, by="region")  # type: ignore[attr-defined]

    # Interleaved, best of N: the machine may be shared, and each figure is its own best run.
    reads, imports, analyses = [], [], []
    for _ in range(args.repeat):
        reads.append(best_of(1, read_alone))
        imports.append(best_of(1, read_and_check))
        analyses.append(best_of(1, analyse))
    read_seconds, import_seconds, analyze_only = min(reads), min(imports), min(analyses)
    analysis_seconds = min(i + a for i, a in zip(imports, analyses, strict=True))

    print(f"data: {args.respondents:,} respondents × {len(questions)} questions, {size:.1f} MB")
    print(f"load the XLSForm (once):                 {form_seconds:6.2f} s")
    print(f"pandas.read_csv alone:                   {read_seconds:6.2f} s")
    print(f"survey analyze --by region (read+check+analyse): {analysis_seconds:6.2f} s")
    print(f"  of which read and check the export:    {import_seconds:6.2f} s")
    print(f"  of which analyse:                      {analyze_only:6.2f} s")
    print(f"ratio to the bare read:                  {analysis_seconds / read_seconds:6.2f} ×")
    target = analysis_seconds < 3 * read_seconds
    print("target (< 3× read):", "met" if target else "NOT met")

    command = [
        str(Path(sys.executable).with_name("liaison")),
        *("survey", "analyze", str(form_path), str(data_path), "--by", "region"),
        *("--json", str(OUT / "survey_benchmark_result.json")),
    ]
    # The form was just written anew (its bytes carry the time), so the first run converts it
    # with pyxform and keeps the conversion in the data folder; the later runs read it back, as
    # a user's second run on the same questionnaire does.
    runs = [
        best_of(1, lambda: subprocess.run(command, check=True, capture_output=True))  # noqa: S603 - our own command
        for _ in range(args.repeat)
    ]
    whole = min(runs)
    print("  each run:", ", ".join(f"{run:.2f} s" for run in runs), "(the first converts the form)")
    print(f"the whole command, start-up to JSON written: {whole:6.2f} s")
    print(f"ratio to the bare read:                  {whole / read_seconds:6.2f} ×")
    print("target (< 4× read):", "met" if whole < 4 * read_seconds else "NOT met")


if __name__ == "__main__":
    main()
