"""A questionnaire's media files (issue #12): the CSV a form's pulldata() and
select_one_from_file read, uploaded with the XLSForm or attached later, served to the form engine
only to those who may read the round, and read by the server when it checks the answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

import liaison
from liaison.surveys.attachments import MediaRejected
from liaison.surveys.expressions import SubmissionInstance
from liaison.surveys.models import Questionnaire, QuestionnaireMedia, Submission, SurveyRound
from liaison.surveys.services import (
    SubmissionRejected,
    do_attach_questionnaire_media,
    do_save_submission,
    do_upload_questionnaire,
)
from liaison.surveys.tests.builders import make_workbook
from liaison.surveys.tests.rounds import make_round
from liaison.surveys.xpath import ExpressionError
from tests.builders import World, build_world

pytestmark = pytest.mark.django_db

PULL_DATA = (
    Path(liaison.__file__).resolve().parents[2]
    / "shared"
    / "xlsform-examples"
    / "example_xls"
    / "pull_data.xlsx"
)
# written by a spreadsheet: UTF-8 with its byte-order mark
FRUITS = "\ufeffname,label,price\nbanana,Banana,2\nmango,Mango,3\n".encode()


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> World:
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    for user in (world.lan, world.ainsley):  # the messages checked are the English ones
        user.preferred_language = "en"
        user.save(update_fields=["preferred_language"])
    return world


def open_round(world: World, questionnaire: Questionnaire) -> SurveyRound:
    return make_round(
        questionnaire,
        world.ainsley,
        [world.moc_bai],
        site_question="",
        agency_question="",
        cluster_question="",
    )


def pull_data_round(world: World, *, with_csv: bool) -> SurveyRound:
    questionnaire = do_upload_questionnaire(
        data=PULL_DATA.read_bytes(),
        file_name=PULL_DATA.name,
        actor=world.ainsley,
        media=[("fruits.csv", FRUITS)] if with_csv else [],
    )
    return open_round(world, questionnaire)


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pulldata_reads_the_attached_csv_when_the_answers_are_checked(world: World) -> None:
    # given pyxform's pull_data example uploaded with its fruits.csv
    survey_round = pull_data_round(world, with_csv=True)
    form = survey_round.form()
    # then the server evaluates pulldata('fruits', 'name', 'name', 'mango') from the file

    instance = SubmissionInstance(form, {})
    assert instance.evaluate("pulldata('fruits', 'name', 'name', 'mango')") == "mango"
    assert instance.evaluate("pulldata('fruits', 'price', 'name', 'banana')") == "2"
    assert instance.evaluate("pulldata('fruits', 'price', 'name', 'kiwi')") == ""
    # and an officer's answers are recorded with the calculation made from it
    response = signed_in(world.lan).post(
        f"/surveys/rounds/{survey_round.pk}/fill/", {"action": "submit"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    submission = Submission.objects.get(round=survey_round, respondent=world.lan)
    assert submission.answers["fruit"] == "mango"


def test_pulldata_without_its_csv_is_still_a_4xx_naming_the_file(world: World) -> None:
    # given the same form uploaded without its CSV
    survey_round = pull_data_round(world, with_csv=False)

    with pytest.raises(ExpressionError, match="fruits"):
        SubmissionInstance(survey_round.form(), {}).evaluate(
            "pulldata('fruits', 'name', 'name', 'mango')"
        )
    # when an officer sends it
    response = signed_in(world.lan).post(
        f"/surveys/rounds/{survey_round.pk}/fill/", {"action": "submit"}
    )
    # then she is told why, and nothing is stored
    assert response.status_code == 400
    assert "pulldata()" in response.content.decode()
    assert not Submission.objects.filter(round=survey_round).exists()


def test_attaching_the_csv_later_makes_the_form_answerable(world: World) -> None:
    survey_round = pull_data_round(world, with_csv=False)
    client = signed_in(world.ainsley)
    upload = SimpleUploadedFile("fruits.csv", FRUITS, content_type="text/csv")
    response = client.post(
        f"/surveys/questionnaires/{survey_round.questionnaire_id}/media/", {"media_files": upload}
    )
    assert response.status_code == 302
    assert [m.name for m in survey_round.questionnaire.media_files.all()] == ["fruits.csv"]
    page = client.get(f"/surveys/questionnaires/{survey_round.questionnaire_id}/").content
    assert b"fruits.csv" in page
    response = signed_in(world.lan).post(
        f"/surveys/rounds/{survey_round.pk}/fill/", {"action": "submit"}
    )
    assert response.status_code == 302


def test_select_one_from_file_answers_are_checked_against_the_csv(world: World) -> None:
    # given a form choosing a fruit from fruits.csv
    workbook = make_workbook(
        survey=[
            {
                "type": "select_one_from_file fruits.csv",
                "name": "fruit",
                "label::English (en)": "Fruit",
            },
        ],
        choices=None,
        settings=[
            {"form_id": "fruit_pick", "form_title": "Fruit", "default_language": "English (en)"}
        ],
    )
    questionnaire = do_upload_questionnaire(
        data=workbook, file_name="fruit.xlsx", actor=world.ainsley, media=[("fruits.csv", FRUITS)]
    )
    form = questionnaire.form()
    # then its choices are the file's rows
    assert form.question("fruit").choice_names == ("banana", "mango")
    survey_round = open_round(world, questionnaire)
    # an answer that is no row of the file is refused, naming the file's choices
    with pytest.raises(SubmissionRejected, match="banana, mango"):
        do_save_submission(
            survey_round, {"fruit": "kiwi"}, submit=True, language="en", actor=world.lan
        )
    assert not Submission.objects.exists()
    do_save_submission(
        survey_round, {"fruit": "mango"}, submit=True, language="en", actor=world.lan
    )
    assert Submission.objects.get(round=survey_round).answers["fruit"] == "mango"


def test_the_engine_fetches_a_media_file_through_the_rounds_permission(world: World) -> None:
    survey_round = pull_data_round(world, with_csv=True)
    url = f"/surveys/rounds/{survey_round.pk}/media/fruits.csv"
    # an officer of the round's BLO gets the file as attached
    response = signed_in(world.lan).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == FRUITS  # type: ignore[attr-defined]
    assert response["Content-Type"] == "text/csv"
    assert response["X-Content-Type-Options"] == "nosniff"
    # the page names it for the engine
    page = signed_in(world.lan).get(f"/surveys/rounds/{survey_round.pk}/fill/odk/")
    assert b"fruits.csv" in page.content
    # officers of other BLOs, here and across the border, do not
    assert signed_in(world.hung).get(url).status_code in (403, 404)
    assert signed_in(world.dara).get(url).status_code in (403, 404)
    # nor does anyone signed out
    assert Client().get(url).status_code == 302
    # a file the questionnaire does not carry is a 404
    assert (
        signed_in(world.lan).get(f"/surveys/rounds/{survey_round.pk}/media/x.csv").status_code
        == 404
    )
    # and the questionnaire's own link is for those who see the questionnaire
    own = f"/surveys/questionnaires/{survey_round.questionnaire_id}/media/fruits.csv"
    assert signed_in(world.ainsley).get(own).status_code == 200
    assert signed_in(world.dara).get(own).status_code in (403, 404)


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("fruits.exe", b"MZ", "Liaison keeps these media files"),
        ("fruits;x.csv", FRUITS, "no folder"),
        ("fruits.csv", b"\xff\xfe n\x00a\x00", "UTF-8"),
        ("fruits.csv", b"1st column,label\nx,y\n", "1st column"),
        ("logo.png", b"<svg onload=alert(1)>", "not the image"),
        ("list.xml", b"<!DOCTYPE x [<!ENTITY e 'e'>]><root>&e;</root>", "DOCTYPE"),
        ("big.csv", b"name\n" + b"x\n" * (3 * 1024 * 1024), "larger than 5 MB"),
    ],
)
def test_a_bad_media_file_is_refused_naming_it_and_nothing_is_saved(
    world: World, name: str, data: bytes, reason: str
) -> None:
    client = signed_in(world.ainsley)
    # with the XLSForm
    response = client.post(
        "/surveys/questionnaires/",
        {
            "file": SimpleUploadedFile("pull_data.xlsx", PULL_DATA.read_bytes()),
            "media_files": [
                SimpleUploadedFile("fruits.csv", FRUITS),
                SimpleUploadedFile(name, data),
            ],
        },
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert name.rsplit("/", 1)[-1] in text and reason in text, text[:3000]
    assert not Questionnaire.objects.exists()
    assert not QuestionnaireMedia.objects.exists()
    # and attached later
    questionnaire = do_upload_questionnaire(
        data=PULL_DATA.read_bytes(), file_name=PULL_DATA.name, actor=world.ainsley
    )
    with pytest.raises(MediaRejected, match=reason):
        do_attach_questionnaire_media(
            questionnaire, [("fruits.csv", FRUITS), (name, data)], actor=world.ainsley
        )
    assert not QuestionnaireMedia.objects.exists()


def test_only_those_who_upload_questionnaires_attach_media(world: World) -> None:
    survey_round = pull_data_round(world, with_csv=False)
    response = signed_in(world.lan).post(
        f"/surveys/questionnaires/{survey_round.questionnaire_id}/media/",
        {"media_files": SimpleUploadedFile("fruits.csv", FRUITS)},
    )
    assert response.status_code in (403, 404)
    assert not QuestionnaireMedia.objects.exists()


def test_a_file_attached_again_replaces_the_one_of_the_same_name(world: World) -> None:
    # given the pull_data form with a fruits.csv where mango is called something else
    survey_round = pull_data_round(world, with_csv=False)
    questionnaire = survey_round.questionnaire
    do_attach_questionnaire_media(
        questionnaire, [("fruits.csv", b"name\nmangue\n")], actor=world.ainsley
    )
    instance = SubmissionInstance(questionnaire.form(), {})
    assert instance.evaluate("pulldata('fruits', 'name', 'name', 'mango')") == ""
    # when the right file is attached under the same name
    client = signed_in(world.ainsley)
    response = client.post(
        f"/surveys/questionnaires/{questionnaire.pk}/media/",
        {"media_files": SimpleUploadedFile("fruits.csv", FRUITS)},
    )
    assert response.status_code == 302
    # then it is the one kept, read and served
    assert QuestionnaireMedia.objects.filter(questionnaire=questionnaire).count() == 1
    instance = SubmissionInstance(questionnaire.form(), {})
    assert instance.evaluate("pulldata('fruits', 'name', 'name', 'mango')") == "mango"
    served = signed_in(world.lan).get(f"/surveys/rounds/{survey_round.pk}/media/fruits.csv")
    assert b"".join(served.streaming_content) == FRUITS  # type: ignore[attr-defined]
    # and a bad file attached on the page is refused there, naming it
    response = client.post(
        f"/surveys/questionnaires/{questionnaire.pk}/media/",
        {"media_files": SimpleUploadedFile("fruits.csv", b"\xff\xfe\x00")},
    )
    assert response.status_code == 400
    assert "fruits.csv" in response.content.decode()
    assert QuestionnaireMedia.objects.get().sha256 != ""


def test_select_one_from_file_reads_an_attached_xml_file(world: World) -> None:
    workbook = make_workbook(
        survey=[
            {
                "type": "select_one_from_file posts.xml",
                "name": "post",
                "label::English (en)": "Post",
            }
        ],
        choices=None,
        settings=[
            {"form_id": "post_pick", "form_title": "Post", "default_language": "English (en)"}
        ],
    )
    posts = (
        b"<root><item><name>moc_bai</name><label>Moc Bai</label></item>"
        b"<item><name>bavet</name><label>Bavet</label></item></root>"
    )
    questionnaire = do_upload_questionnaire(
        data=workbook, file_name="post.xlsx", actor=world.ainsley, media=[("posts.xml", posts)]
    )
    form = questionnaire.form()
    assert form.question("post").choice_names == ("moc_bai", "bavet")
    assert form.choice_label(form.question("post"), "bavet") == "Bavet"


def test_a_media_file_gone_from_the_data_folder_is_a_4xx_not_a_server_error(
    world: World,
) -> None:
    survey_round = pull_data_round(world, with_csv=True)
    media = QuestionnaireMedia.objects.get()
    media.file.storage.delete(str(media.file.name))
    # a new process: the form is read again from the files
    from liaison.surveys import models

    models._form_cache.clear()
    url = f"/surveys/rounds/{survey_round.pk}/media/fruits.csv"
    assert signed_in(world.lan).get(url).status_code == 404
    response = signed_in(world.lan).post(
        f"/surveys/rounds/{survey_round.pk}/fill/", {"action": "submit"}
    )
    assert response.status_code == 400
    assert "fruits" in response.content.decode()
    assert not Submission.objects.exists()
