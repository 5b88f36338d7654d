"""The read APIs of surveys, training, meetings and the reference library answer each persona
exactly what the pages' own reads (the apps' selectors) give them, page by page, and answer bad
input with a 4xx."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from liaison.meetings.models import Formality, Meeting, MeetingLevel
from liaison.meetings.selectors import visible_meetings
from liaison.meetings.services import ParticipantInput, do_record_meeting
from liaison.reference.selectors import search_reference, visible_entries
from liaison.reference.vocabularies import vocabulary_for
from liaison.surveys import access as survey_access
from liaison.surveys.tests.rounds import patrol_round
from liaison.training import selectors as training_selectors
from liaison.training.models import Completion, Enrolment
from liaison.training.tests.builders import complete
from tests.builders import ensure_vocabulary

pytestmark = pytest.mark.django_db

PERSONAS = ["lan", "minh", "hung", "tuan", "huong", "dara", "vanna", "khamla", "ainsley", "root"]


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def every_page(client: Client, url: str, size: int = 2) -> tuple[int, list[dict[str, Any]]]:
    """All results of a paginated list, read ``size`` at a time (so paging itself is tested)."""
    results: list[dict[str, Any]] = []
    offset = 0
    separator = "&" if "?" in url else "?"
    while True:
        response = client.get(f"{url}{separator}limit={size}&offset={offset}")
        assert response.status_code == 200, response.content
        body = response.json()
        results.extend(body["results"])
        offset += size
        if offset >= body["count"]:
            assert len(results) == body["count"]
            return body["count"], results


# --- meetings ----------------------------------------------------------------------------------


@pytest.fixture
def meetings(world):
    def record(blo: Any, actor: Any, agenda: str, **extra: Any) -> Meeting:
        return do_record_meeting(
            Meeting(
                blo=blo,
                held_on=timezone.localdate() - datetime.timedelta(days=10),
                formality=Formality.OFFICIAL,
                agenda=agenda,
                **extra,
            ),
            participants=[
                ParticipantInput(country=blo.country, agency=actor.agency, people=2),
            ],
            actor=actor,
        )

    return [
        record(
            world.moc_bai,
            world.lan,
            "zqagenda pangolin scales with Bavet",
            counterpart_blo=world.bavet,
            level=MeetingLevel.CROSS_BORDER,
        ),
        record(world.moc_bai, world.lan, "zqagenda district", level=MeetingLevel.DISTRICT),
        record(world.dien_bien, world.hung, "zqagenda Dien Bien", level=MeetingLevel.DISTRICT),
    ]


@pytest.mark.parametrize("persona", PERSONAS)
def test_meeting_log_api_answers_what_the_log_page_reads(world, meetings, persona):
    user = getattr(world, persona)
    count, results = every_page(client_of(user), "/api/meetings/log")
    expected = set(visible_meetings(user).values_list("pk", flat=True))
    assert {m["id"] for m in results} == expected
    assert count == len(expected)


def test_meeting_log_api_shows_lan_her_posts_meetings_and_not_dien_biens(world, meetings):
    # given
    lan, khamla = client_of(world.lan), client_of(world.khamla)
    # when
    _count, lans = every_page(lan, "/api/meetings/log")
    # then
    agendas = {m["agenda"] for m in lans}
    assert "zqagenda pangolin scales with Bavet" in agendas
    assert "zqagenda Dien Bien" not in agendas
    page = lan.get("/meetings/").content.decode()
    assert all(agenda[:20] in page for agenda in agendas)
    assert "zqagenda Dien Bien" not in page
    # Khamla at Pang Hok reads neither, on the page or in the API
    assert every_page(khamla, "/api/meetings/log") == (0, [])
    assert khamla.get(f"/api/meetings/log/{meetings[0].pk}").status_code == 404


def test_meeting_log_api_filters_as_the_page(world, meetings):
    lan = client_of(world.lan)
    _count, crossing = every_page(lan, "/api/meetings/log?level=cross_border")
    assert [m["counterpart_blo"] for m in crossing] == ["KH-BAVET"]
    _count, bavet = every_page(lan, "/api/meetings/log?blo=KH-BAVET")
    assert [m["id"] for m in bavet] == [meetings[0].pk]
    one = lan.get(f"/api/meetings/log/{meetings[0].pk}").json()
    assert one["blo"] == "VN-MOCBAI" and one["open_actions"] == 0


# --- surveys -----------------------------------------------------------------------------------


@pytest.fixture
def survey_round(world):
    return patrol_round(world)


@pytest.mark.parametrize("persona", PERSONAS)
def test_rounds_api_answers_what_the_rounds_page_reads(world, survey_round, persona):
    user = getattr(world, persona)
    _count, results = every_page(client_of(user), "/api/surveys/rounds")
    assert {r["id"] for r in results} == set(
        survey_access.visible_rounds(user).values_list("pk", flat=True)
    )
    with_results = set(survey_access.rounds_with_results(user).values_list("pk", flat=True))
    for row in results:
        assert row["results_readable"] is (row["id"] in with_results)
        assert (row["submitted"] is None) is (row["id"] not in with_results)


def test_officer_sees_the_round_but_not_its_results(world, survey_round):
    lan = client_of(world.lan)
    detail = lan.get(f"/api/surveys/rounds/{survey_round.pk}").json()
    assert detail["title"] == survey_round.title
    assert detail["results_readable"] is False
    assert detail["results"] is None and detail["submitted"] is None


def test_head_of_post_reads_the_rounds_results_summary(world, survey_round):
    tuan = client_of(world.tuan)
    detail = tuan.get(f"/api/surveys/rounds/{survey_round.pk}").json()
    assert detail["results_readable"] is True
    summary = detail["results"]
    assert summary["submitted"] == 0
    assert {s["blo"] for s in summary["sites"]} == {"VN-MOCBAI", "VN-DIENBIEN"}
    assert detail["sites"] == ["VN-DIENBIEN", "VN-MOCBAI"]


def test_round_of_another_country_is_404(world, survey_round):
    dara = client_of(world.dara)
    assert dara.get(f"/surveys/rounds/{survey_round.pk}/").status_code == 404
    assert dara.get(f"/api/surveys/rounds/{survey_round.pk}").status_code == 404
    assert every_page(dara, "/api/surveys/rounds") == (0, [])


# --- training ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def shipped():
    from liaison.training.content import read_folder
    from liaison.training.demo import CONTENT_DIR
    from liaison.training.services import reference_exists

    return read_folder(CONTENT_DIR, reference_exists=reference_exists)


@pytest.fixture
def catalogue(db, shipped):
    """The shipped modules in the database, by code (as the training app's own tests have it)."""
    from liaison.training.models import TrainingModule
    from liaison.training.services import do_import_content

    do_import_content(shipped, actor=None)
    return {m.code: m for m in TrainingModule.objects.all()}


@pytest.mark.parametrize("persona", ["lan", "huong", "ainsley", "root"])
def test_modules_api_answers_the_catalogue_the_training_page_reads(world, catalogue, persona):
    user = getattr(world, persona)
    count, results = every_page(client_of(user), "/api/training/modules", size=50)
    expected = set(training_selectors.visible_modules(user).values_list("code", flat=True))
    assert {m["code"] for m in results} == expected and count == len(expected)


def test_modules_api_filters_by_crime_area(world, catalogue):
    _count, wildlife = every_page(client_of(world.lan), "/api/training/modules?area=wildlife", 50)
    assert wildlife and all("wildlife" in m["areas"] for m in wildlife)


def test_officer_reads_her_own_training_record_and_no_one_elses(world, catalogue):
    # given Lan completed a module; Minh, at the same post, has nothing
    module = next(iter(catalogue.values()))
    complete(world.lan, module)
    Enrolment.objects.create(officer=world.lan, module=module, enrolled_by=world.lan)
    lan, minh = client_of(world.lan), client_of(world.minh)
    # when / then
    _count, completions = every_page(lan, "/api/training/completions")
    assert [c["module"] for c in completions] == [module.code]
    _count, enrolments = every_page(lan, "/api/training/enrolments")
    assert [e["module"] for e in enrolments] == [module.code]
    _count, badges = every_page(lan, "/api/training/qualifications")
    assert [b["kind"] for b in badges] == [b.kind for b in training_selectors.badges_for(world.lan)]
    assert every_page(minh, "/api/training/completions") == (0, [])
    assert every_page(minh, "/api/training/enrolments") == (0, [])
    # a head of post follows Lan's training on the pages, but the API gives each their own
    tuan = client_of(world.tuan)
    assert Completion.objects.filter(officer=world.lan).exists()
    assert every_page(tuan, "/api/training/completions") == (0, [])


# --- reference library -------------------------------------------------------------------------


def test_reference_entries_api_lists_what_the_list_page_reads(world):
    ensure_vocabulary()
    lan = client_of(world.lan)
    vocabulary = vocabulary_for("species")
    assert vocabulary is not None
    count, results = every_page(lan, "/api/reference/entries?kind=species", size=500)
    expected = set(visible_entries(world.lan, vocabulary).values_list("code", flat=True))
    assert {e["code"] for e in results} == expected and count == len(expected)
    kinds = {v["kind"]: v["entries"] for v in lan.get("/api/reference/vocabularies").json()}
    assert kinds["species"] == count


def test_reference_search_api_finds_what_the_search_page_finds(world):
    ensure_vocabulary()
    lan = client_of(world.lan)
    count, results = every_page(lan, "/api/reference/search?q=manis", size=3)
    groups = search_reference(world.lan, "manis", limit=1000)
    assert [(e["kind"], e["code"]) for e in results] == [
        (entry.kind, entry.code) for group in groups for entry in group.entries
    ]
    assert count == sum(g.total for g in groups) and "manis-javanica" in {
        e["code"] for e in results
    }
    page = lan.get("/reference/search/?q=manis").content.decode()
    assert all(f"/{e['kind']}/{e['code']}/" in page for e in results[:25])


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/meetings/log?limit=0", 422),
        ("/api/meetings/log?limit=-1", 422),
        ("/api/meetings/log?offset=abc", 422),
        ("/api/meetings/log?level=weekly", 422),
        ("/api/meetings/log/999999", 404),
        ("/api/meetings/log/abc", 422),
        ("/api/surveys/rounds?limit=501", 422),
        ("/api/surveys/rounds/999999", 404),
        ("/api/training/modules?area=piracy", 422),
        ("/api/training/modules?skill=juggling", 422),
        ("/api/reference/entries", 422),
        ("/api/reference/entries?kind=spaceships", 404),
        ("/api/reference/search", 422),
        ("/api/reference/search?q=", 422),
        ("/api/reference/search?q=" + "x" * 201, 422),
        ("/api/reference/search?q=manis&kind=spaceships", 404),
        ("/api/exchange/incidents/NO-SUCH/stix", 404),
        ("/api/exchange/intelligence/NO-SUCH/misp", 404),
    ],
)
def test_read_apis_answer_bad_input_with_4xx_in_json(world, url, status):
    response = client_of(world.lan).get(url)
    assert response.status_code == status, response.content
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "url",
    [
        "/api/meetings/log",
        "/api/surveys/rounds",
        "/api/training/modules",
        "/api/training/completions",
        "/api/reference/search?q=manis",
    ],
)
def test_read_apis_refuse_anonymous_visitors(db, url):
    assert Client().get(url).status_code == 401
