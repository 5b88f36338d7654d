"""The PDF report of a round is drawn by the background worker, never in a request: the person asks
for it, follows the drawing on its page and downloads it there; only those who may read the
round's results see the drawing or download it. The tests run tasks at once (ImmediateBackend)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from liaison.registry.models import User
from liaison.surveys.models import DrawingStatus, ReportDrawing, SurveyRound
from liaison.surveys.services import do_import_export
from liaison.surveys.tests.builders import kobo_export
from liaison.surveys.tests.rounds import make_round, signed_in, upload_small

pytestmark = pytest.mark.django_db

COLUMNS = ["profile/agency", "ods/knows_ods"]


def english(user: User) -> Client:
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    return signed_in(user)


def small_round(world: Any) -> SurveyRound:
    # a small questionnaire: the PATROL report's forty charts take a while to draw
    questionnaire = upload_small(world.ainsley)
    survey_round = make_round(questionnaire, world.ainsley, [world.moc_bai], site_question="")
    do_import_export(
        survey_round,
        kobo_export([{"profile/agency": "police", "ods/knows_ods": "yes"}], COLUMNS).encode(),
        file_name="first.csv",
        actor=world.ainsley,
    )
    return survey_round


def ask(client: Client, survey_round: SurveyRound, language: str = "en") -> str:
    """Press the report's PDF button; the drawing's page it leads to."""
    response = client.post(f"/surveys/rounds/{survey_round.pk}/reports/", {"lang": language})
    assert response.status_code == 302, response.content[:500]
    return str(response["Location"])


def test_the_pdf_report_is_drawn_in_the_background_and_downloaded_from_its_page(world):
    survey_round = small_round(world)
    client = english(world.huong)
    # given: the results page offers the PDF as a button that asks for its drawing
    results = client.get(f"/surveys/rounds/{survey_round.pk}/results/").content.decode()
    assert f'action="/surveys/rounds/{survey_round.pk}/reports/"' in results
    # when
    drawing_page = ask(client, survey_round, "vi")
    # then: the drawing is done (the worker ran it) and its page offers the download
    drawing = ReportDrawing.objects.get()
    assert drawing_page == f"/surveys/rounds/{survey_round.pk}/reports/{drawing.pk}/"
    assert (drawing.status, drawing.language, drawing.requested_by) == ("done", "vi", world.huong)
    page = client.get(drawing_page).content.decode()
    assert "Download the PDF report" in page
    assert "task-progress.js" not in page  # finished: nothing left to follow
    pdf = client.get(f"{drawing_page}report.pdf")
    assert pdf["Content-Type"] == "application/pdf"
    assert (
        pdf["Content-Disposition"] == f'attachment; filename="assessment-{survey_round.pk}-vi.pdf"'
    )
    assert pdf.content.startswith(b"%PDF")
    progress = client.get(drawing_page, {"format": "json"}).json()
    assert progress["status"] == "done"
    assert progress["status_label"] == "ready"
    assert progress["finished"] is True


def test_the_old_pdf_address_offers_the_button_and_draws_nothing(world):
    survey_round = small_round(world)
    client = english(world.huong)
    response = client.get(f"/surveys/rounds/{survey_round.pk}/report.pdf", {"lang": "vi"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Draw the PDF report" in response.content.decode()
    assert 'name="lang" value="vi"' in response.content.decode()
    assert not ReportDrawing.objects.exists()


def test_a_drawing_in_progress_shows_its_status_and_follows_it_with_the_apps_script(world):
    survey_round = small_round(world)
    drawing = ReportDrawing.objects.create(
        survey_round=survey_round, requested_by=world.huong, language="en", fingerprint="x"
    )
    client = english(world.huong)
    url = f"/surveys/rounds/{survey_round.pk}/reports/{drawing.pk}/"
    page = client.get(url).content.decode()
    assert "waiting for the worker" in page
    assert f'data-drawing-progress="{url}?format=json"' in page
    assert "/static/liaison/task-progress" in page
    progress = client.get(url, {"format": "json"})
    assert "no-store" in progress["Cache-Control"]
    assert progress.json()["finished"] is False
    # and nothing is downloaded before it is drawn
    assert client.get(f"{url}report.pdf").status_code == 404


def test_asking_again_for_unchanged_data_reuses_the_drawing_and_new_answers_draw_anew(
    world, monkeypatch
):
    from liaison.surveys import report as reports

    drawn: list[str] = []
    real = reports.pdf_from_html

    def counting(html: str) -> bytes:
        drawn.append("pdf")
        return real(html)

    monkeypatch.setattr(reports, "pdf_from_html", counting)
    survey_round = small_round(world)
    first = ask(english(world.huong), survey_round)
    # another reader of the results asks for the same report: the drawing is shared
    assert ask(english(world.ainsley), survey_round) == first
    assert drawn == ["pdf"]
    do_import_export(
        survey_round,
        kobo_export(
            [{"profile/agency": "army", "ods/knows_ods": "no", "_uuid": "second-row"}], COLUMNS
        ).encode(),
        file_name="second.csv",
        actor=world.ainsley,
    )
    second = ask(english(world.huong), survey_round)
    assert second != first
    assert drawn == ["pdf", "pdf"]


def test_a_failed_drawing_says_so_offers_to_try_again_and_downloads_nothing(world, monkeypatch):
    from liaison.surveys import report as reports

    def broken(html: str) -> bytes:
        raise RuntimeError("WeasyPrint ran out of memory")

    monkeypatch.setattr(reports, "pdf_from_html", broken)
    survey_round = small_round(world)
    client = english(world.huong)
    drawing_page = ask(client, survey_round)
    drawing = ReportDrawing.objects.get()
    assert drawing.status == DrawingStatus.FAILED
    page = client.get(drawing_page).content.decode()
    assert "The report could not be drawn; nothing was lost." in page
    assert "Draw it again" in page
    assert client.get(f"{drawing_page}report.pdf").status_code == 404
    # when it works again, asking again draws a new one
    monkeypatch.undo()
    again = ask(client, survey_round)
    assert again != drawing_page
    assert ReportDrawing.objects.get(pk=int(again.rstrip("/").rsplit("/", 1)[1])).status == "done"


@pytest.mark.parametrize(
    ("persona", "method", "expected"),
    [
        ("lan", "ask", 403),  # an officer of the round's BLO: no results
        ("lan", "page", 403),
        ("lan", "pdf", 403),
        ("dara", "ask", 404),  # a Cambodian officer: the round is not his to see
        ("dara", "page", 404),
        ("dara", "pdf", 404),
        ("hung", "pdf", 404),  # a Vietnamese officer of another BLO
    ],
)
def test_only_readers_of_the_rounds_results_ask_see_or_download_the_report(
    world, persona, method, expected
):
    survey_round = small_round(world)
    ask(english(world.huong), survey_round)
    drawing = ReportDrawing.objects.get()
    client = signed_in(getattr(world, persona))
    base = f"/surveys/rounds/{survey_round.pk}/reports/"
    if method == "ask":
        response = client.post(base, {"lang": "en"})
    elif method == "page":
        response = client.get(f"{base}{drawing.pk}/")
    else:
        response = client.get(f"{base}{drawing.pk}/report.pdf")
    assert response.status_code == expected
    assert ReportDrawing.objects.count() == 1


def test_a_reader_of_the_results_downloads_a_report_another_asked_for(world):
    survey_round = small_round(world)
    drawing_page = ask(english(world.huong), survey_round)
    pdf = signed_in(world.ainsley).get(f"{drawing_page}report.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_a_drawing_of_another_round_is_not_found_under_this_one(world):
    survey_round = small_round(world)
    other = make_round(survey_round.questionnaire, world.ainsley, [world.moc_bai], site_question="")
    ask(english(world.huong), survey_round)
    drawing = ReportDrawing.objects.get()
    client = signed_in(world.huong)
    assert client.get(f"/surveys/rounds/{other.pk}/reports/{drawing.pk}/").status_code == 404


def test_asking_is_a_post_and_an_unknown_language_falls_back(world):
    survey_round = small_round(world)
    client = english(world.huong)
    assert client.get(f"/surveys/rounds/{survey_round.pk}/reports/").status_code == 405
    ask(client, survey_round, "xx")
    assert ReportDrawing.objects.get().language == "en"


# --- the comparison of two rounds -----------------------------------------------------------------


def two_rounds(world: Any, followup_site: Any = None) -> tuple[SurveyRound, SurveyRound]:
    baseline = small_round(world)
    followup = make_round(
        baseline.questionnaire,
        world.ainsley,
        [followup_site or world.moc_bai],
        title="Viet Nam 2027",
        site_question="",
    )
    rows = [{"profile/agency": "army", "ods/knows_ods": "no", "_uuid": f"f{n}"} for n in range(3)]
    do_import_export(
        followup, kobo_export(rows, COLUMNS).encode(), file_name="f.csv", actor=world.ainsley
    )
    return baseline, followup


def ask_comparison(client: Client, baseline: SurveyRound, followup: SurveyRound) -> Any:
    return client.post(
        "/surveys/compare/reports/",
        {"baseline": baseline.pk, "followup": followup.pk, "lang": "en"},
    )


def test_the_pdf_comparison_is_drawn_in_the_background_and_downloaded_from_its_page(world):
    baseline, followup = two_rounds(world)
    client = english(world.huong)
    # given: the comparison page offers the PDF as a button that asks for its drawing
    query = {"baseline": baseline.pk, "followup": followup.pk}
    compared = client.get("/surveys/compare/", query).content.decode()
    assert 'action="/surveys/compare/reports/"' in compared
    # when
    response = ask_comparison(client, baseline, followup)
    # then
    drawing = ReportDrawing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/surveys/rounds/{baseline.pk}/reports/{drawing.pk}/"
    assert (drawing.status, drawing.compared_with) == ("done", followup)
    page = client.get(response["Location"]).content.decode()
    assert "PDF comparison" in page
    pdf = client.get(f"{response['Location']}report.pdf")
    assert pdf["Content-Disposition"] == (
        f'attachment; filename="comparison-{baseline.pk}-{followup.pk}-en.pdf"'
    )
    assert pdf.content.startswith(b"%PDF")
    # asking again for the same rounds reuses it
    assert ask_comparison(client, baseline, followup)["Location"] == response["Location"]


def test_the_comparison_pdf_address_offers_the_button_and_draws_nothing(world):
    baseline, followup = two_rounds(world)
    client = english(world.huong)
    query: dict[str, str | int] = {
        "baseline": baseline.pk,
        "followup": followup.pk,
        "format": "pdf",
        "lang": "en",
    }
    response = client.get("/surveys/compare/", query)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Draw the PDF report" in body
    assert f'name="followup" value="{followup.pk}"' in body
    assert not ReportDrawing.objects.exists()


def test_a_comparison_of_a_round_with_itself_is_refused_and_draws_nothing(world):
    baseline = small_round(world)
    response = ask_comparison(english(world.huong), baseline, baseline)
    assert response.status_code == 400
    assert "Choose two different rounds." in response.content.decode()
    assert not ReportDrawing.objects.exists()


def test_a_comparison_is_shown_only_to_who_reads_both_rounds_results(world):
    # given: the coordinator compares a Moc Bai round with a Dien Bien one
    baseline, followup = two_rounds(world, followup_site=world.dien_bien)
    response = ask_comparison(english(world.huong), baseline, followup)
    assert response.status_code == 302
    # then: the head of Moc Bai reads the baseline's results but not the follow-up's
    tuan = signed_in(world.tuan)
    assert tuan.get(f"/surveys/rounds/{baseline.pk}/results/").status_code == 200
    assert tuan.get(response["Location"]).status_code == 404
    assert tuan.get(f"{response['Location']}report.pdf").status_code == 404
    # nor may he ask for it
    assert ask_comparison(tuan, baseline, followup).status_code == 400


def test_a_drawing_left_half_way_by_a_killed_worker_is_marked_failed_before_the_next_starts(
    world,
):
    from liaison.surveys.tasks import fail_abandoned_drawings

    survey_round = small_round(world)
    drawing, waiting = (
        ReportDrawing.objects.create(
            survey_round=survey_round,
            requested_by=world.huong,
            language=language,
            fingerprint="x",
            status=status,
        )
        for language, status in (("en", DrawingStatus.DRAWING), ("vi", DrawingStatus.QUEUED))
    )
    assert fail_abandoned_drawings() == 1
    drawing.refresh_from_db()
    waiting.refresh_from_db()
    assert drawing.status == DrawingStatus.FAILED and drawing.finished_at is not None
    assert waiting.status == DrawingStatus.QUEUED  # its task still waits in the queue


# --- the HTML report: drawn by the worker too, the first request never waits for it -----------

WORKER_ELSEWHERE = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


def test_the_html_report_is_asked_of_the_worker_and_opens_once_drawn(world, settings):
    from liaison.surveys.tasks import draw_round_report

    # given a worker that runs elsewhere (the request only enqueues)
    settings.TASKS = WORKER_ELSEWHERE
    survey_round = small_round(world)
    client = english(world.huong)
    # when the report is opened before anyone drew it
    response = client.get(f"/surveys/rounds/{survey_round.pk}/report.html", {"lang": "vi"})
    # then the request draws nothing: it leads to the drawing's page, which shows its progress
    drawing = ReportDrawing.objects.get()
    assert (drawing.format, drawing.language, drawing.status) == ("html", "vi", "queued")
    assert response.status_code == 302
    assert response["Location"] == f"/surveys/rounds/{survey_round.pk}/reports/{drawing.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "HTML report · VI" in page
    assert "waiting for the worker" in page
    assert "/static/liaison/task-progress" in page
    # and opening it again meanwhile asks for nothing more
    client.get(f"/surveys/rounds/{survey_round.pk}/report.html", {"lang": "vi"})
    assert ReportDrawing.objects.count() == 1

    # when the worker has drawn it
    draw_round_report.call(drawing.pk)
    # then the drawing's page opens the report, and the report's address serves it at once
    done = client.get(f"/surveys/rounds/{survey_round.pk}/reports/{drawing.pk}/")
    assert done.status_code == 302
    assert done["Location"] == f"/surveys/rounds/{survey_round.pk}/report.html?lang=vi"
    report = client.get(done["Location"])
    assert report.status_code == 200
    assert report["Content-Type"] == "text/html; charset=utf-8"
    assert '<html lang="vi"' in report.content.decode()
    # and a PDF address for an HTML drawing finds nothing
    pdf = client.get(f"/surveys/rounds/{survey_round.pk}/reports/{drawing.pk}/report.pdf")
    assert pdf.status_code == 404


def test_the_html_report_drawn_for_older_answers_is_drawn_again(world, settings):
    settings.TASKS = WORKER_ELSEWHERE
    survey_round = small_round(world)
    client = english(world.huong)
    client.get(f"/surveys/rounds/{survey_round.pk}/report.html")
    first = ReportDrawing.objects.get()
    ReportDrawing.objects.filter(pk=first.pk).update(
        status=DrawingStatus.DONE, content=b"<html>old</html>"
    )
    assert client.get(f"/surveys/rounds/{survey_round.pk}/report.html").content == (
        b"<html>old</html>"
    )
    # when new answers come in, the drawing no longer stands for the round
    do_import_export(
        survey_round,
        kobo_export(
            [{"profile/agency": "army", "ods/knows_ods": "no", "_uuid": "second-row"}], COLUMNS
        ).encode(),
        file_name="second.csv",
        actor=world.ainsley,
    )
    response = client.get(f"/surveys/rounds/{survey_round.pk}/report.html")
    assert response.status_code == 302
    assert ReportDrawing.objects.filter(format="html").count() == 2


def test_with_tasks_run_at_once_the_html_report_is_served_by_the_same_request(world):
    survey_round = small_round(world)
    response = english(world.huong).get(f"/surveys/rounds/{survey_round.pk}/report.html")
    assert response.status_code == 200
    assert ReportDrawing.objects.get().status == DrawingStatus.DONE
