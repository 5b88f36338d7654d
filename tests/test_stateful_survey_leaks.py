"""Survey submissions with answer files hold the survey rules on every write path: a stateful,
model-based leak test beside the exchange's (tests/test_stateful_leaks.py).

The personas of the builders' world post ODK instances to two rounds (Viet Nam's over Moc Bai and
Dien Bien, Cambodia's over Bavet, which may come to cover Chrey Thom) through the real submission
address, as an OpenRosa client or as the ODK Web Forms page, with and without files — some larger
than the (here small) limits, of the wrong kind, named by no answer, named but left out, named as
another respondent's file — and save drafts on the questionnaire page that they submit later;
programme staff (and others, who are refused) open, close and re-site the rounds through the
round service. No service deletes a submission, so none is deleted here.

A model kept by the rules below from the survey rules (never from what the services did) says what
is stored: a respondent (an officer or head of a post) answers an open round covering their post,
once; a submission and its files are read by its respondent, programme staff and the system
administrator, by no one else (not the respondent's colleagues, head or coordinator). A refused
post leaves no row and no file. After every step the rows and the files on the disk are exactly
the model's, and every persona opens every submission's page (its own files' names and no other's,
or 404) and downloads every stored file (the exact bytes, or 404). At the end of each run the
survey list, the rounds' pages, their results and the API — pages of aggregates, read after the
writes rather than after each — name no file to a persona who does not read it.

``LIAISON_SURVEY_LEAK_EXAMPLES=200 ./run tests tests/test_stateful_survey_leaks.py`` runs longer.
"""

from __future__ import annotations

import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client, override_settings
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from liaison.surveys.models import RoundStatus, Submission, SubmissionMedia, SurveyRound
from liaison.surveys.odk_views import PAGE_FIELD
from liaison.surveys.services import RoundData, do_update_round
from liaison.surveys.tests.rounds import make_round, upload_small
from liaison.surveys.tests.test_answer_media import MEDIA_SETTINGS, MEDIA_SURVEY, instance_xml
from liaison.surveys.webform import input_name
from tests.builders import World, build_world

EXAMPLES = int(os.environ.get("LIAISON_SURVEY_LEAK_EXAMPLES", "5"))
STEPS = int(os.environ.get("LIAISON_SURVEY_LEAK_STEPS", "12"))
SHARDS = int(os.environ.get("LIAISON_LEAK_SHARDS", "1"))

# The model's facts about the personas, written out (not read from the registry): each
# respondent's post; who answers nothing; who reads every submission.
POSTS = {
    "lan": "moc_bai",
    "minh": "moc_bai",
    "tuan": "moc_bai",
    "hung": "dien_bien",
    "binh": "dien_bien",
    "dara": "bavet",
    "sophea": "chrey_thom",
    "khamla": "pang_hok",
}
NOT_RESPONDENTS = ["huong", "vanna", "ainsley", "root"]
PERSONAS = [*POSTS, *NOT_RESPONDENTS]
READS_EVERY_SUBMISSION = {"ainsley", "root"}
PROGRAMME = {"ainsley", "root"}
# Who sees a round (its page, its results): the model's reading of the survey rules.
COUNTRY_OF_POST = {
    "moc_bai": "vn",
    "dien_bien": "vn",
    "bavet": "kh",
    "chrey_thom": "kh",
    "pang_hok": "la",
}
COORDINATES = {"huong": "vn", "vanna": "kh"}

# The rounds: a country and the posts it may cover.
ROUNDS = {"vn": ["moc_bai", "dien_bien"], "kh": ["bavet", "chrey_thom"]}

# The file questions of MEDIA_SURVEY and a file each kind of question takes.
PNG = b"\x89PNG\r\n\x1a\n"
OGG = b"OggS"
MP4 = b"\x00\x00\x00\x18ftypmp42"
GOOD = {
    "photo": ("png", "image/png", PNG),
    "signature": ("png", "image/png", PNG),
    "voice": ("ogg", "audio/ogg", OGG),
    "clip": ("mp4", "video/mp4", MP4),
    "document": ("pdf", "application/pdf", b"%PDF-1.7\n"),
}
# A file of the wrong kind for each question (a file question takes any kind: none is wrong).
WRONG = {
    "photo": ("svg", "image/svg+xml", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
    "signature": ("txt", "text/plain", b"not a drawing"),
    "voice": ("mp4", "video/mp4", MP4),
    "clip": ("jpg", "image/jpeg", b"\xff\xd8\xff\xe0"),
}
MAX_FILE = 96  # bytes a file may be in this test
MAX_TOTAL = 200  # bytes one submission's files may be together
# ok: sent and named; big: larger than a file may be; wrong: not of the question's kind;
# stray: a part no answer names; left_out: named by the answer, not sent.
FILE_KINDS = ["ok"] * 6 + ["big", "wrong", "stray", "left_out"]
# Who answers which round most often: the respondents of its posts, and of a post it may come
# to cover (Chrey Thom); as often, any persona on any round.
RESPONDENTS = [
    ("vn", "lan"),
    ("vn", "minh"),
    ("vn", "tuan"),
    ("vn", "hung"),
    ("vn", "binh"),
    ("kh", "dara"),
    ("kh", "sophea"),
]


@dataclass
class FileSpec:
    question: str
    name: str
    data: bytes


@dataclass
class SubmissionSpec:
    """The model's view of one persona's submission in a round."""

    respondent: str
    round: str
    submitted: bool
    needle: str  # the draft's (or the instance's) text answer
    files: dict[str, FileSpec] = field(default_factory=dict)


@dataclass
class RoundSpec:
    country: str
    status: str
    sites: set[str]


class SurveyMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        cache.clear()
        self._media = tempfile.mkdtemp(prefix="survey-leaks-")
        self._settings = override_settings(
            MEDIA_ROOT=self._media,
            SURVEY_MEDIA_MAX_BYTES=MAX_FILE,
            SURVEY_MEDIA_MAX_TOTAL_BYTES=MAX_TOTAL,
        )
        self._settings.enable()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.world: World = build_world()
        self.rounds: dict[str, RoundSpec] = {}
        self.round_pk: dict[str, int] = {}
        self.submissions: dict[tuple[str, str], SubmissionSpec] = {}
        self.counter = itertools.count(1)
        self.clients: dict[str, Client] = {}

    def teardown(self) -> None:
        try:
            self._check_lists()
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)
            self._settings.disable()
            shutil.rmtree(self._media, ignore_errors=True)

    # --- helpers ----------------------------------------------------------------------------

    def user(self, name: str) -> Any:
        return getattr(self.world, name)

    def client(self, name: str) -> Client:
        if name not in self.clients:
            c = Client(HTTP_ACCEPT_LANGUAGE="en")
            c.force_login(self.user(name))
            self.clients[name] = c
        return self.clients[name]

    def needle(self, what: str) -> str:
        return f"zq{what}{next(self.counter):03d}x"

    def may_answer(self, persona: str, round_name: str) -> bool:
        spec = self.rounds[round_name]
        post = POSTS.get(persona)
        mine = self.submissions.get((persona, round_name))
        return (
            spec.status == RoundStatus.OPEN
            and post is not None
            and post in spec.sites
            and (mine is None or not mine.submitted)
        )

    def sees_round(self, persona: str, round_name: str) -> bool:
        spec = self.rounds[round_name]
        if persona in PROGRAMME:
            return True
        if persona in COORDINATES:
            return COORDINATES[persona] == spec.country
        return POSTS[persona] in spec.sites

    @staticmethod
    def reads(persona: str, submission: SubmissionSpec) -> bool:
        return persona == submission.respondent or persona in READS_EVERY_SUBMISSION

    def stored_files(self) -> set[str]:
        folder = Path(self._media) / "surveys" / "answers"
        if not folder.is_dir():
            return set()
        return {
            path.relative_to(self._media).as_posix() for path in folder.rglob("*") if path.is_file()
        }

    # --- writes -----------------------------------------------------------------------------

    @initialize()
    def two_rounds(self) -> None:
        questionnaire = upload_small(
            self.world.ainsley, survey=MEDIA_SURVEY, choices=None, settings=MEDIA_SETTINGS
        )
        for country, posts in ROUNDS.items():
            first = posts if country == "vn" else posts[:1]
            blos = [getattr(self.world, post) for post in first]
            survey_round = make_round(
                questionnaire,
                self.world.ainsley,
                blos,
                title=f"Round {country}",
                site_question="",
                agency_question="",
                cluster_question="",
            )
            self.rounds[country] = RoundSpec(country, RoundStatus.OPEN, set(first))
            self.round_pk[country] = survey_round.pk

    @rule(
        actor=st.sampled_from(["ainsley", "ainsley", "root", "tuan", "huong"]),
        round_name=st.sampled_from(list(ROUNDS)),
        status=st.sampled_from(list(RoundStatus)),
        sites=st.sets(st.sampled_from([0, 1]), min_size=1),
    )
    def change_round(
        self, actor: str, round_name: str, status: RoundStatus, sites: set[int]
    ) -> None:
        """Open, close or re-site a round through the round service."""
        posts = {ROUNDS[round_name][i] for i in sites}
        permitted = actor in PROGRAMME
        stored = SurveyRound.objects.get(pk=self.round_pk[round_name])
        data = RoundData(
            title=stored.title,
            country=stored.country,
            starts_on=stored.starts_on,
            ends_on=stored.ends_on,
            status=status,
            sites=[getattr(self.world, post) for post in sorted(posts)],
            min_share=stored.min_share,
            max_share=stored.max_share,
            min_respondents=stored.min_respondents,
            min_per_agency=dict(stored.min_per_agency or {}),
            site_question="",
            agency_question="",
            cluster_question="",
        )
        try:
            do_update_round(stored, data, actor=self.user(actor))
        except PermissionDenied:
            assert not permitted, f"{actor} was refused a change of the round"
            event("round change refused")
            return
        assert permitted, f"{actor} changed the round {round_name}"
        self.rounds[round_name] = RoundSpec(round_name, status, posts)
        event(f"round {status}")

    @rule(persona=st.sampled_from(PERSONAS), round_name=st.sampled_from(list(ROUNDS)))
    def save_draft(self, persona: str, round_name: str) -> None:
        """A draft saved on the questionnaire page (no file: the page takes none)."""
        needle = self.needle("draft")
        may = self.may_answer(persona, round_name)
        response = self.client(persona).post(
            f"/surveys/rounds/{self.round_pk[round_name]}/fill/",
            {input_name("place"): needle, "action": "save"},
        )
        if not may:
            assert response.status_code in {403, 404, 409}, (persona, round_name, response)
            event("draft refused")
            return
        assert response.status_code == 302, (persona, round_name, response.status_code)
        mine = self.submissions.get((persona, round_name))
        files = mine.files if mine is not None else {}
        self.submissions[(persona, round_name)] = SubmissionSpec(
            persona, round_name, submitted=False, needle=needle, files=files
        )
        event("draft saved")

    @rule(
        answering=st.one_of(
            st.sampled_from(RESPONDENTS),
            st.tuples(st.sampled_from(list(ROUNDS)), st.sampled_from(PERSONAS)),
        ),
        files=st.dictionaries(st.sampled_from(list(GOOD)), st.sampled_from(FILE_KINDS), max_size=3),
        from_page=st.booleans(),
        reuse_name=st.booleans(),
    )
    def post_instance(
        self, answering: tuple[str, str], files: dict[str, str], from_page: bool, reuse_name: bool
    ) -> None:
        """A respondent of a round's post (or of a post it may come to cover), or anyone, posts
        an instance to the round."""
        round_name, persona = answering
        self._post(persona, round_name, files, from_page=from_page, reuse_name=reuse_name)

    def _post(
        self,
        persona: str,
        round_name: str,
        files: dict[str, str],
        *,
        from_page: bool,
        reuse_name: bool,
    ) -> None:
        """An instance posted to the round's submission address with its files: as an OpenRosa
        client does (``xml_submission_file``) or as the ODK Web Forms page does (``instance``).
        With ``reuse_name`` a file is named as a file someone else already sent."""
        needle = self.needle("place")
        answers = {"place": needle}
        parts: dict[str, tuple[bytes, str]] = {}
        kept: dict[str, FileSpec] = {}
        refused = False
        existing = [f.name for s in self.submissions.values() for f in s.files.values()]
        for question, kind in sorted(files.items()):
            if kind == "wrong" and question not in WRONG:
                kind = "ok"
            extension, content_type, data = WRONG[question] if kind == "wrong" else GOOD[question]
            name = f"{self.needle(question)}.{extension}"
            reusable = [n for n in existing if n.endswith(f".{GOOD[question][0]}")]
            if reuse_name and kind == "ok" and reusable:
                name = reusable[0]  # the name of a file someone already sent
                existing.remove(name)
            data = data + name.encode()  # every file's bytes its own
            if kind == "big":
                data = data + b"\x00" * (MAX_FILE + 1 - len(data))
            if kind == "stray":
                parts[name] = (data, content_type)
                refused = True
                continue
            answers[question] = name
            if kind == "left_out":
                refused = refused or from_page
                continue
            parts[name] = (data, content_type)
            refused = refused or kind in {"big", "wrong"}
            kept[name] = FileSpec(question, name, data)
        if sum(len(data) for data, _type in parts.values()) > MAX_TOTAL:
            refused = True
        may = self.may_answer(persona, round_name)
        survey_round = SurveyRound.objects.get(pk=self.round_pk[round_name])
        xml = instance_xml(survey_round, answers, f"uuid:{needle}")
        body: dict[str, Any] = {
            name: SimpleUploadedFile(name, data, content_type=content_type)
            for name, (data, content_type) in parts.items()
        }
        if from_page:
            body[PAGE_FIELD] = xml
        else:
            body["xml_submission_file"] = SimpleUploadedFile(
                "submission.xml", xml.encode(), content_type="text/xml"
            )
        before_rows = set(SubmissionMedia.objects.values_list("pk", flat=True))
        before_files = self.stored_files()
        response = self.client(persona).post(
            f"/surveys/rounds/{self.round_pk[round_name]}/submission/",
            body,
            headers={"Idempotency-Key": needle},
        )
        status = response.status_code
        where = (persona, round_name, files, from_page, status, response.content[:300])
        assert status < 500, where
        if not may or refused:
            expected = {403, 404, 409} if not may else {400, 413, 415}
            assert status in expected, where
            assert set(SubmissionMedia.objects.values_list("pk", flat=True)) == before_rows, where
            assert self.stored_files() == before_files, where
            event("post refused" if may else "post not permitted")
            return
        assert status == 201, where
        self.submissions[(persona, round_name)] = SubmissionSpec(
            persona, round_name, submitted=True, needle=needle, files=kept
        )
        event(f"submitted with {len(kept)} files")

    # --- what everyone reads ----------------------------------------------------------------

    @invariant()
    def rows_and_files_are_the_models(self) -> None:
        stored = {
            (self._persona(s.respondent_id), self._round_name(s.round_id)): s
            for s in Submission.objects.all()
        }
        assert set(stored) == set(self.submissions), set(stored) ^ set(self.submissions)
        for key, spec in self.submissions.items():
            row = stored[key]
            assert (not row.is_draft) is spec.submitted, key
        media = list(SubmissionMedia.objects.select_related("submission"))
        found = {
            (
                self._persona(m.submission.respondent_id),
                self._round_name(m.submission.round_id),
                m.name,
            )
            for m in media
        }
        wanted = {
            (spec.respondent, spec.round, name)
            for spec in self.submissions.values()
            for name in spec.files
        }
        assert found == wanted, found ^ wanted
        # a file on the disk for every row, and none besides
        assert {m.file.name for m in media} == self.stored_files()

    @invariant()
    def files_and_pages_answer_their_readers_only(self) -> None:
        stored = {
            (self._persona(s.respondent_id), self._round_name(s.round_id)): s.pk
            for s in Submission.objects.all()
        }
        for persona in PERSONAS:
            c = self.client(persona)
            for key, spec in self.submissions.items():
                pk = stored[key]
                may = self.reads(persona, spec)
                where = (persona, key)
                page = c.get(f"/surveys/submissions/{pk}/")
                assert page.status_code == (200 if may else 404), (where, page.status_code)
                if may:
                    text = page.content.decode()
                    shown = self._names_in(text)
                    assert shown == set(spec.files), (where, shown ^ set(spec.files))
                for name, file in spec.files.items():
                    response = c.get(f"/surveys/submissions/{pk}/files/{name}")
                    assert response.status_code == (200 if may else 404), (where, name)
                    if may:
                        body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
                        assert body == file.data, (where, name)
                if may and spec.files:
                    # a name of another submission's file is not this one's
                    others = self._all_names() - set(spec.files)
                    for name in sorted(others)[:1]:
                        response = c.get(f"/surveys/submissions/{pk}/files/{name}")
                        assert response.status_code == 404, (where, name)

    def _check_lists(self) -> None:
        """The survey list, each round's page, its results and the API name a file only to a
        persona who reads its submission."""
        if not self.rounds:
            return
        for persona in PERSONAS:
            c = self.client(persona)
            readable = {
                name
                for spec in self.submissions.values()
                if self.reads(persona, spec)
                for name in spec.files
            }
            pages = ["/surveys/", "/api/surveys/rounds"]
            for round_name, pk in self.round_pk.items():
                sees = self.sees_round(persona, round_name)
                response = c.get(f"/surveys/rounds/{pk}/")
                assert response.status_code == (200 if sees else 404), (persona, round_name)
                pages += [f"/surveys/rounds/{pk}/", f"/api/surveys/rounds/{pk}"]
                pages.append(f"/surveys/rounds/{pk}/results/")
            for url in pages:
                response = c.get(url)
                assert response.status_code < 500, (persona, url, response.status_code)
                if response.status_code != 200:
                    continue
                shown = self._names_in(response.content.decode())
                assert shown <= readable, (persona, url, shown - readable)

    def _persona(self, pk: int | None) -> str:
        return next(name for name in PERSONAS if self.user(name).pk == pk)

    def _round_name(self, pk: int) -> str:
        return next(name for name, round_pk in self.round_pk.items() if round_pk == pk)

    def _all_names(self) -> set[str]:
        return {name for spec in self.submissions.values() for name in spec.files}

    def _names_in(self, text: str) -> set[str]:
        """The stored files' names a page shows (names are needles, unique in a run)."""
        return {name for name in self._all_names() if name in text}


@pytest.mark.django_db
@pytest.mark.parametrize("shard", range(SHARDS))
def test_survey_files_reach_their_readers_only(shard: int) -> None:
    # Shards split a long run over the cores (pytest-xdist); each draws its own random seed.
    run_state_machine_as_test(
        SurveyMachine,
        settings=settings(
            max_examples=max(1, EXAMPLES // SHARDS),
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        ),
    )
