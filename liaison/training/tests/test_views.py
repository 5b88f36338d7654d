"""The training pages: what each persona sees and does, and what each is refused."""

from __future__ import annotations

import datetime
import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from liaison.registry.models import BLO
from liaison.training.demo import CONTENT_DIR, GRID_FIXTURE
from liaison.training.models import (
    Attendance,
    Completion,
    Enrolment,
    LearningActivity,
    Posting,
    QuizAttempt,
    TrainingModule,
    TrainingPlan,
    TrainingSession,
)
from liaison.training.planning import read_respondents_csv
from liaison.training.services import (
    do_create_training_plan,
    do_enrol_officer,
    do_evaluate_qualifications,
)
from liaison.training.tests.builders import complete, signed_in

# --- catalogue and lessons ------------------------------------------------------------------------


def test_catalogue_lists_modules_with_filters(catalogue, world):
    client = signed_in(world.lan)
    page = client.get("/training/").content.decode()
    assert 'data-module="precursor-identification"' in page
    assert 'data-module="khmer-for-border-officers"' in page
    wildlife = client.get("/training/", {"area": "wildlife"}).content.decode()
    assert 'data-module="cites-basics"' in wildlife
    assert 'data-module="precursor-identification"' not in wildlife
    joint = client.get("/training/", {"format": "joint_session"}).content.decode()
    assert (
        'data-module="border-patrolling"' in joint
        and 'data-module="search-techniques"' not in joint
    )


def test_catalogue_needs_signing_in(catalogue):
    response = Client().get("/training/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_module_taken_out_of_the_catalogue_is_hidden_from_officers(catalogue, world):
    TrainingModule.objects.filter(code="cites-basics").update(active=False)
    assert signed_in(world.lan).get("/training/modules/cites-basics/").status_code == 404
    assert signed_in(world.ainsley).get("/training/modules/cites-basics/").status_code == 200


def test_module_page_in_vietnamese_with_reference_links(catalogue, world):
    page = (
        signed_in(world.lan, "vi")
        .get("/training/modules/precursor-identification/")
        .content.decode()
    )
    assert "Nhận biết tiền chất ma túy tại biên giới" in page
    assert 'href="/reference/precursors/ephedrine/"' in page
    assert "Công ước" in page  # the sources, in Vietnamese


def test_starting_a_module_enrols_and_opens_the_first_page_in_the_readers_language(
    catalogue, world
):
    client = signed_in(world.lan, "vi")
    response = client.post("/training/modules/precursor-identification/enrol/")
    assert response.status_code == 302
    assert response["Location"] == "/training/modules/precursor-identification/pages/1/"
    page = client.get(response["Location"]).content.decode()
    assert "Ma túy hay tiền chất?" in page
    assert 'src="/training/modules/precursor-identification/assets/precursor-or-drug.svg"' in page
    assert 'href="/reference/precursors/acetic-anhydride/"' in page
    english = client.get(response["Location"], {"lang": "en"}).content.decode()
    assert "Drug or precursor?" in english
    enrolment = Enrolment.objects.get(officer=world.lan)
    assert enrolment.status == "in_progress" and enrolment.last_page == 1
    assert LearningActivity.objects.filter(officer=world.lan, blo=world.moc_bai).exists()


def test_lessons_are_read_after_starting_the_module(catalogue, world):
    response = signed_in(world.lan).get("/training/modules/precursor-identification/pages/2/")
    assert response.status_code == 302
    assert response["Location"] == "/training/modules/precursor-identification/"
    assert not LearningActivity.objects.exists()


def test_lesson_images_are_served_by_the_app_to_signed_in_readers(catalogue, world):
    url = "/training/modules/cites-basics/assets/appendices.svg"
    response = signed_in(world.lan).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "sandbox" in response["Content-Security-Policy"]
    assert b"<svg" in response.content
    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/login/")


def test_heads_enrol_their_officers_but_officers_cannot_enrol_others(catalogue, world):
    response = signed_in(world.tuan).post(
        "/training/modules/cites-basics/assign/", {"officers": [world.lan.pk, world.minh.pk]}
    )
    assert response.status_code == 302
    assert set(Enrolment.objects.values_list("officer__username", flat=True)) == {"lan", "minh"}
    assert signed_in(world.lan).get("/training/modules/cites-basics/assign/").status_code == 403
    # a head cannot pick an officer of another BLO
    refused = signed_in(world.tuan).post(
        "/training/modules/cites-basics/assign/", {"officers": [world.hung.pk]}
    )
    assert refused.status_code == 200 and not Enrolment.objects.filter(officer=world.hung).exists()


# --- quizzes --------------------------------------------------------------------------------------


def start_quiz(client, code="precursor-identification") -> QuizAttempt:
    response = client.post(f"/training/modules/{code}/quiz/")
    assert response.status_code == 302
    return QuizAttempt.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def answers_for(attempt: QuizAttempt, right: bool) -> dict[str, list[str]]:
    data = {}
    for q in attempt.questions:
        choice = q["correct"] if right else [next(c for c in q["choices"] if c not in q["correct"])]
        data[f"q_{q['code']}"] = choice if q["kind"] == "multiple" else choice[0]
    return data


def test_quiz_fail_shows_wrong_answers_without_the_key_then_pass_shows_certificate(
    catalogue, world
):
    client = signed_in(world.lan, "vi")
    attempt = start_quiz(client)
    form = client.get(attempt.get_absolute_url()).content.decode()
    assert form.count("<fieldset") == 10
    assert "Ma túy" in form or "tiền chất" in form
    # a wrong submission
    client.post(attempt.get_absolute_url(), answers_for(attempt, right=False))
    failed = client.get(attempt.get_absolute_url()).content.decode()
    assert 'data-passed="no"' in failed and "0%" in failed
    key = TrainingModule.objects.get(code="precursor-identification").questions.get(
        code="q02-morphine"
    )
    right_text = next(c["text"]["vi"] for c in key.choices if c.get("correct"))
    assert right_text not in failed  # the key is not shown before a pass
    # a right one
    second = start_quiz(client)
    client.post(second.get_absolute_url(), answers_for(second, right=True))
    passed = client.get(second.get_absolute_url()).content.decode()
    assert 'data-passed="yes"' in passed and "100%" in passed
    assert 'id="certificate-pdf"' in passed
    assert Completion.objects.get(officer=world.lan).attempts == 2


def test_someone_elses_attempt_is_not_found(catalogue, world):
    attempt = start_quiz(signed_in(world.lan))
    assert signed_in(world.hung).get(attempt.get_absolute_url()).status_code == 404
    # the head of her BLO may look at it but not answer it
    assert signed_in(world.tuan).get(attempt.get_absolute_url()).status_code == 403


# --- records, qualifications, certificates ------------------------------------------------------------


def test_officer_record_shows_badges_and_certificates(catalogue, world):
    complete(world.lan, catalogue["precursor-identification"])
    (certificate,) = do_evaluate_qualifications(world.lan, actor=None)
    page = signed_in(world.lan).get("/training/me/", follow=True).content.decode()
    assert "badge-qualification" in page and "badge-precursors" in page
    assert certificate.code in page
    head = signed_in(world.tuan).get(f"/training/officers/{world.lan.pk}/").content.decode()
    assert certificate.code in head


def test_officer_records_are_refused_outside_ones_reach(catalogue, world):
    assert signed_in(world.hung).get(f"/training/officers/{world.lan.pk}/").status_code == 404
    assert (
        signed_in(world.minh).get(f"/training/officers/{world.lan.pk}/").status_code == 403
    )  # a colleague
    assert (
        signed_in(world.dara).get(f"/training/officers/{world.lan.pk}/").status_code == 403
    )  # counterpart


def test_coordinator_records_a_departure_and_officers_cannot(catalogue, world):
    assert signed_in(world.minh).get(f"/training/officers/{world.lan.pk}/move/").status_code == 403
    response = signed_in(world.huong).post(
        f"/training/officers/{world.lan.pk}/move/",
        {"action": "departure", "reason": "retired", "on": "2026-01-15"},
    )
    assert response.status_code == 302
    world.lan.refresh_from_db()
    assert not world.lan.is_active
    assert Posting.objects.get(officer=world.lan).end_reason == "retired"


def test_qualifications_page_shows_requirements_and_progress(catalogue, world):
    complete(world.lan, catalogue["ods-hazardous-waste"])
    page = signed_in(world.lan).get("/training/qualifications/").content.decode()
    assert 'id="qualification-blo-officer-level-1"' in page
    assert "1 of 3 done" in page


def test_certificate_list_is_scoped_and_revocation_is_programme_staffs(catalogue, world):
    complete(world.lan, catalogue["precursor-identification"])
    (certificate,) = do_evaluate_qualifications(world.lan, actor=None)
    assert (
        certificate.code in signed_in(world.huong).get("/training/certificates/").content.decode()
    )
    assert (
        certificate.code
        not in signed_in(world.vanna).get("/training/certificates/").content.decode()
    )
    assert signed_in(world.hung).get(certificate.get_absolute_url()).status_code == 404
    assert (
        signed_in(world.hung).get(f"/training/certificates/{certificate.code}/pdf/").status_code
        == 404
    )
    assert (
        signed_in(world.tuan).post(certificate.get_absolute_url(), {"reason": "x"}).status_code
        == 403
    )
    response = signed_in(world.ainsley).post(
        certificate.get_absolute_url(), {"reason": "Duplicate"}
    )
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoked_reason == "Duplicate"


# --- sessions -------------------------------------------------------------------------------------


def session_data(
    module: TrainingModule, host: BLO, blos: list[BLO], kind: str = "joint_session"
) -> dict[str, Any]:
    return {
        "module": module.pk,
        "kind": kind,
        "title": "CITES joint session",
        "starts_on": "2026-03-02",
        "ends_on": "2026-03-03",
        "location": "Moc Bai",
        "host_blo": host.pk,
        "blos": [b.pk for b in blos],
        "trainer_name": "TRAFFIC",
        "language": "vi, km",
        "notes": "",
    }


def test_head_records_a_joint_session_and_its_attendance(catalogue, world):
    module = catalogue["cites-basics"]
    client = signed_in(world.tuan)
    response = client.post(
        "/training/sessions/new/", session_data(module, world.moc_bai, [world.bavet])
    )
    assert response.status_code == 302
    session = TrainingSession.objects.get()
    assert set(session.blos.values_list("code", flat=True)) == {"VN-MOCBAI", "KH-BAVET"}
    # attendance of both sides of the border
    page = client.get(session.get_absolute_url()).content.decode()
    assert "Dara" in page and "Lan" in page
    client.post(
        session.get_absolute_url(),
        {
            f"present_{world.lan.pk}": "on",
            f"score_{world.lan.pk}": "90",
            f"present_{world.dara.pk}": "on",
            f"score_{world.dara.pk}": "60",
        },
    )
    assert Attendance.objects.filter(session=session, present=True).count() == 2
    # Lan passed the assessment and completes the module; Dara's 60% is below the pass mark
    assert Completion.objects.get(officer=world.lan).method == "joint_session"
    assert not Completion.objects.filter(officer=world.dara).exists()


def test_a_joint_session_needs_both_sides_of_the_border(catalogue, world):
    response = signed_in(world.tuan).post(
        "/training/sessions/new/", session_data(catalogue["cites-basics"], world.moc_bai, [])
    )
    assert response.status_code == 200
    assert "both sides of the border" in response.content.decode()
    assert not TrainingSession.objects.exists()


def test_sessions_are_run_by_heads_coordinators_and_programme_staff_only(catalogue, world):
    assert signed_in(world.lan).get("/training/sessions/new/").status_code == 403
    # a head hosts at his own BLO only
    response = signed_in(world.tuan).post(
        "/training/sessions/new/",
        session_data(catalogue["cites-basics"], world.dien_bien, [], kind="classroom"),
    )
    assert response.status_code == 200 and not TrainingSession.objects.exists()
    signed_in(world.ainsley).post(
        "/training/sessions/new/",
        session_data(catalogue["cites-basics"], world.dien_bien, [], kind="classroom"),
    )
    session = TrainingSession.objects.get()
    assert signed_in(world.tuan).get(f"/training/sessions/{session.pk}/edit/").status_code == 403
    assert signed_in(world.lan).post(session.get_absolute_url(), {}).status_code == 403
    assert (
        signed_in(world.dara).get(session.get_absolute_url()).status_code == 404
    )  # not his border
    assert "CITES" in signed_in(world.hung).get("/training/sessions/").content.decode()


# --- coverage, usage, plans -------------------------------------------------------------------------


def test_coverage_pages_for_heads_and_coordinators(catalogue, world):
    complete(world.lan, catalogue["precursor-identification"])
    table = signed_in(world.huong).get("/training/coverage/").content.decode()
    assert 'data-blo="VN-MOCBAI"' in table and 'data-blo="KH-BAVET"' not in table
    page = signed_in(world.tuan).get("/training/coverage/VN-MOCBAI/").content.decode()
    assert 'data-area="precursors" data-trained="1" data-staff="3"' in page
    assert 'id="coverage-warning"' in page  # wildlife, ODS… below 50%
    assert 'id="departures"' in page
    # an officer sees her own BLO's figures, without the names of who left
    own = signed_in(world.lan).get("/training/coverage/VN-MOCBAI/").content.decode()
    assert 'data-trained="1"' in own and 'id="departures"' not in own


def test_the_training_menu_offers_the_follow_up_pages_to_those_who_may_open_them(catalogue, world):
    pages = [
        "/training/certificates/",
        "/training/coverage/",
        "/training/usage/",
        "/training/plans/",
    ]
    for persona, follows in [(world.lan, False), (world.tuan, True), (world.huong, True)]:
        client = signed_in(persona)
        menu = client.get("/training/").content.decode()
        for url in pages:
            assert (f'href="{url}"' in menu) is follows, (persona.username, url)
        if not follows:
            # the pages themselves refuse, whatever the menu shows (certificates list one's own)
            assert client.get("/training/coverage/").status_code == 403
            assert client.get("/training/plans/").status_code == 403


def test_coverage_is_refused_outside_ones_blo(catalogue, world):
    assert signed_in(world.lan).get("/training/coverage/").status_code == 403
    assert signed_in(world.hung).get("/training/coverage/VN-MOCBAI/").status_code == 403
    assert (
        signed_in(world.dara).get("/training/coverage/VN-MOCBAI/").status_code == 403
    )  # counterpart
    assert signed_in(world.vanna).get("/training/coverage/VN-MOCBAI/").status_code == 403


def test_blo_coverage_tag_shows_for_staff_and_not_for_counterparts(catalogue, world):
    from django.template import Context, Template
    from django.test import RequestFactory

    template = Template("{% load training %}{% blo_coverage blo %}")
    for user, shown in ((world.tuan, True), (world.lan, True), (world.dara, False)):
        request = RequestFactory().get("/")
        request.user = user
        html = template.render(Context({"request": request, "blo": world.moc_bai}))
        assert ('id="training-coverage"' in html) is shown, user.username


def test_cbt_usage_page_for_coordinators_and_refused_to_officers(catalogue, world):
    client = signed_in(world.lan)
    client.post("/training/modules/cites-basics/enrol/")
    client.get("/training/modules/cites-basics/pages/1/")
    page = signed_in(world.huong).get("/training/usage/").content.decode()
    assert 'data-blo="VN-MOCBAI"' in page
    assert 'id="unused"' in page and "Dien Bien" in page
    assert signed_in(world.lan).get("/training/usage/").status_code == 403


def test_plan_from_an_uploaded_round_and_who_may_see_it(catalogue, world):
    upload = SimpleUploadedFile("round.csv", GRID_FIXTURE.read_bytes(), content_type="text/csv")
    response = signed_in(world.huong).post(
        "/training/plans/new/",
        {
            "title": "Plan 2010",
            "country": world.vn.pk,
            "source": "PATROL TNA",
            "starts_on": "2026-01-01",
            "ranking": "need",
            "file": upload,
        },
    )
    assert response.status_code == 302
    plan = TrainingPlan.objects.get()
    page = signed_in(world.tuan).get(plan.get_absolute_url()).content.decode()
    assert page.index('data-topic="investigation"') < page.index('data-topic="border_patrolling"')
    assert "93.9%" in page or "93,9%" in page
    assert "Identifying drug precursors at the border" in page
    by_agency = (
        signed_in(world.tuan).get(plan.get_absolute_url(), {"by": "agency"}).content.decode()
    )
    assert "VN-COMMUNITY-POLICE" in by_agency  # not in the test registry: shown by its code
    by_blo = signed_in(world.tuan).get(plan.get_absolute_url(), {"by": "blo"}).content.decode()
    assert "Moc Bai (n = 10)" in by_blo.replace("</span>", "").replace('<span class="muted">', "")
    assert signed_in(world.vanna).get(plan.get_absolute_url()).status_code == 404
    assert signed_in(world.lan).get(plan.get_absolute_url()).status_code == 403
    assert signed_in(world.tuan).get("/training/plans/new/").status_code == 403


def test_plan_upload_with_bad_answers_saves_nothing(catalogue, world):
    upload = SimpleUploadedFile(
        "round.csv",
        b"blo,agency,cluster,investigation,checkpoint_anti_smuggling,intelligence,border_patrolling,toc_awareness,computer\nX,Y,Z,perhaps,,,,,\n",
    )
    response = signed_in(world.ainsley).post(
        "/training/plans/new/",
        {"title": "x", "source": "y", "starts_on": "2026-01-01", "ranking": "need", "file": upload},
    )
    assert response.status_code == 200
    assert "row 2, investigation: perhaps is not a grid answer" in response.content.decode()
    assert not TrainingPlan.objects.exists()


def test_plan_list_is_for_those_who_follow_training(catalogue, world):
    do_create_training_plan(
        title="Plan", country=world.vn, source="s", respondents=read_respondents_csv(GRID_FIXTURE.read_text()),
        starts_on=datetime.date(2026, 1, 1), actor=None,
    )  # fmt: skip
    assert "Plan" in signed_in(world.huong).get("/training/plans/").content.decode()
    assert signed_in(world.lan).get("/training/plans/").status_code == 403


# --- import ---------------------------------------------------------------------------------------------


def zipped(folder) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in folder.rglob("*"):
            if path.is_file():
                archive.write(path, f"{folder.name}/{path.relative_to(folder)}")
    return SimpleUploadedFile(
        f"{folder.name}.zip", buffer.getvalue(), content_type="application/zip"
    )


def test_programme_staff_import_a_zipped_package(db, world):
    response = signed_in(world.ainsley).post(
        "/training/import/", {"file": zipped(CONTENT_DIR / "cites-basics")}
    )
    assert response.status_code == 302
    assert TrainingModule.objects.get(code="cites-basics").pages.count() == 5


def test_zip_escaping_its_folder_is_refused(db, world):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../evil/module.json", "{}")
    upload = SimpleUploadedFile("evil.zip", buffer.getvalue())
    response = signed_in(world.ainsley).post("/training/import/", {"file": upload})
    assert "points outside the package" in response.content.decode()
    assert not TrainingModule.objects.exists()


@pytest.mark.parametrize("persona", ["lan", "tuan", "huong"])
def test_only_programme_staff_import_content(db, world, persona):
    assert signed_in(getattr(world, persona)).get("/training/import/").status_code == 403


def test_enrolment_service_is_what_the_page_uses(catalogue, world):
    # the page and the service agree: enrolling twice keeps one enrolment
    do_enrol_officer(world.lan, catalogue["cites-basics"], actor=world.lan)
    signed_in(world.lan).post("/training/modules/cites-basics/enrol/")
    assert Enrolment.objects.filter(officer=world.lan).count() == 1
