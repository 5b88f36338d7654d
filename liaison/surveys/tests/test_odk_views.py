"""The questionnaire in ODK Web Forms, without a browser: the form's language for the reader, the
instance posted by the page (through the tablets' outbox, once per key) or by another OpenRosa
client, refusals that give the instance back, and what the worker may keep for offline."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client
from lxml import etree  # type: ignore[import-untyped]
from lxml import html as lxml_html

from liaison.exchange.models import IdempotencyKey
from liaison.pwa.offline import OFFLINE_COPY_HEADER
from liaison.registry.models import User
from liaison.surveys.models import Submission, SubmissionStatus, SurveyRound
from liaison.surveys.odk_views import PAGE_FIELD, form_language
from liaison.surveys.tests.rounds import PATROL_ANSWERS, patrol_round, signed_in
from liaison.surveys.xlsform import Form, Language

pytestmark = pytest.mark.django_db

XF = "http://www.w3.org/2002/xforms"
H = "http://www.w3.org/1999/xhtml"


def patrol_instance(survey_round: SurveyRound, instance_id: str = "uuid:lan-1") -> str:
    """An instance of the round's form as the engine sends it: the XForm's primary instance with
    PATROL_ANSWERS filled in and an instanceID."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    xform = etree.fromstring(survey_round.form().xform.encode(), parser)
    model = xform.find(f"{{{H}}}head/{{{XF}}}model")
    primary = model.find(f"{{{XF}}}instance")
    root = copy.deepcopy(next(child for child in primary if isinstance(child.tag, str)))
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        if name in PATROL_ANSWERS:
            element.text = PATROL_ANSWERS[name]
        elif name == "instanceID":
            element.text = instance_id
    return str(etree.tostring(root, encoding="unicode"))


def fill_url(survey_round: SurveyRound) -> str:
    return f"/surveys/rounds/{survey_round.pk}/fill/odk/"


def submit_url(survey_round: SurveyRound) -> str:
    return f"/surveys/rounds/{survey_round.pk}/submission/"


def page(response: Any) -> Any:
    return lxml_html.fromstring(response.content.decode())


def english(user: User) -> Client:
    user.preferred_language = "en"
    user.save(update_fields=["preferred_language"])
    return signed_in(user)


# --- the reader's language ------------------------------------------------------------------


def form_of(*names: str) -> Any:
    class Named:
        languages = tuple(Language.from_name(name) for name in names)

    return Named()


@pytest.mark.parametrize(
    ("names", "reader", "expected"),
    [
        (("English (en)", "Vietnamese (vi)"), "vi", "Vietnamese (vi)"),
        (("English (en)", "Vietnamese (vi)"), "en", "English (en)"),
        (("English", "Vietnamese"), "vi", "Vietnamese"),
        (("default", "Tiếng Việt"), "vi", "Tiếng Việt"),
        (("en", "vi"), "vi", "vi"),
        (("English (en)", "Lao (lo)"), "vi", ""),
        (("English (en)", "Chinese (zh)"), "zh-hans", "Chinese (zh)"),
        (("English (en)",), None, ""),
    ],
)
def test_the_form_opens_in_the_readers_language_when_it_has_it(names, reader, expected):
    assert form_language(form_of(*names), reader) == expected


def test_the_page_names_the_forms_language_for_a_vietnamese_officer(world):
    # given the PATROL questionnaire (English and Vietnamese) and Lan, who reads Vietnamese
    survey_round = patrol_round(world)
    assert isinstance(survey_round.form(), Form)

    # when she opens it in ODK Web Forms
    response = signed_in(world.lan).get(fill_url(survey_round))

    # then the engine is told to open it in Vietnamese, and the page may be kept for offline
    assert response.status_code == 200
    mount = page(response).get_element_by_id("odk-web-form")
    assert mount.get("data-form-language") == "Vietnamese (vi)"
    assert response[OFFLINE_COPY_HEADER] == f"{fill_url(survey_round)}?offline-copy=1"
    copy_response = signed_in(world.lan).get(f"{fill_url(survey_round)}?offline-copy=1")
    assert copy_response[OFFLINE_COPY_HEADER] == "this"


def test_the_xform_may_be_kept_by_an_officer_who_answers_the_round_only(world):
    survey_round = patrol_round(world)
    answering = signed_in(world.lan).get(f"/surveys/rounds/{survey_round.pk}/xform.xml")
    assert answering.status_code == 200 and answering[OFFLINE_COPY_HEADER] == "this"
    assert "no-store" in answering["Cache-Control"]
    staff = signed_in(world.ainsley).get(f"/surveys/rounds/{survey_round.pk}/xform.xml")
    assert staff.status_code == 200 and OFFLINE_COPY_HEADER not in staff


# --- the page's posts: through the outbox, once ----------------------------------------------


def test_the_pages_instance_is_recorded_once_per_idempotency_key(world):
    # given Lan's instance of the PATROL questionnaire, queued on her tablet with a key
    survey_round = patrol_round(world)
    client = signed_in(world.lan)
    body = {PAGE_FIELD: patrol_instance(survey_round)}
    headers = {"Idempotency-Key": "0b6f3f9e-odk-1"}

    # when the outbox sends it, and sends it again (the first answer was lost)
    first = client.post(submit_url(survey_round), body, headers=headers)
    again = client.post(submit_url(survey_round), body, headers=headers)

    # then both answers say recorded, at the round; one submission, one key
    assert first.status_code == 201 and again.status_code == 201
    assert first["Location"] == again["Location"] == survey_round.get_absolute_url()
    mine = Submission.objects.get(round=survey_round, respondent=world.lan)
    assert mine.status == SubmissionStatus.SUBMITTED
    assert mine.answers["years_border"] == "4" and mine.answers["agency"] == "customs"
    assert mine.instance_id == "uuid:lan-1"
    assert IdempotencyKey.objects.filter(user=world.lan).count() == 1


def test_without_the_outbox_the_page_goes_to_the_round(world):
    survey_round = patrol_round(world)
    response = signed_in(world.lan).post(
        submit_url(survey_round), {PAGE_FIELD: patrol_instance(survey_round)}
    )
    assert response.status_code == 302
    assert response["Location"] == survey_round.get_absolute_url()
    assert Submission.objects.filter(round=survey_round, respondent=world.lan).count() == 1


def test_an_instance_arriving_after_the_submission_comes_back_with_the_reason(world):
    # given Lan already submitted from another device
    survey_round = patrol_round(world)
    client = english(world.lan)
    client.post(submit_url(survey_round), {PAGE_FIELD: patrol_instance(survey_round)})
    late = patrol_instance(survey_round, instance_id="uuid:lan-2")

    # when her tablet's outbox sends the instance it kept
    response = client.post(
        submit_url(survey_round), {PAGE_FIELD: late}, headers={"Idempotency-Key": "odk-late"}
    )

    # then it is refused as a conflict, on the page, with the reason and her instance
    assert response.status_code == 409
    document = page(response)
    assert "already submitted" in document.get_element_by_id("odk-status").text_content()
    kept = document.get_element_by_id("odk-instance-xml").text_content()
    assert "uuid:lan-2" in kept
    assert Submission.objects.filter(round=survey_round, respondent=world.lan).count() == 1
    assert not IdempotencyKey.objects.filter(key="odk-late").exists()
    # and the refusal page keeps the engine's policy (WebAssembly only)
    assert "'wasm-unsafe-eval'" in response["Content-Security-Policy"]


def test_a_bad_instance_from_the_page_is_refused_with_what_was_sent(world):
    survey_round = patrol_round(world)
    response = signed_in(world.lan).post(
        submit_url(survey_round), {PAGE_FIELD: "<data id='other'/>"}
    )
    assert response.status_code == 400
    document = page(response)
    assert "other" in document.get_element_by_id("odk-status").text_content()
    assert document.get_element_by_id("odk-instance-xml").text_content() == "<data id='other'/>"
    assert not Submission.objects.filter(round=survey_round).exists()


def test_an_openrosa_client_still_gets_201_or_plain_text(world):
    survey_round = patrol_round(world)
    client = english(world.lan)
    instance = patrol_instance(survey_round).encode()
    sent = client.post(submit_url(survey_round), instance, content_type="text/xml")
    assert sent.status_code == 201
    again = client.post(submit_url(survey_round), instance, content_type="text/xml")
    assert again.status_code == 409
    assert again["Content-Type"].startswith("text/plain")
    assert "already submitted" in again.content.decode()


def test_an_officer_of_another_blo_is_refused(world):
    survey_round = patrol_round(world)
    response = signed_in(world.dara).post(
        submit_url(survey_round), {PAGE_FIELD: patrol_instance(survey_round)}
    )
    assert response.status_code in (403, 404)
    assert not Submission.objects.filter(round=survey_round).exists()


def test_the_round_page_fills_the_questionnaire_in_odk_web_forms_first(world):
    survey_round = patrol_round(world)
    document = page(signed_in(world.lan).get(survey_round.get_absolute_url()))
    primary = document.get_element_by_id("fill-odk")
    assert "primary" in primary.get("class") and primary.get("href") == fill_url(survey_round)
    previous = document.get_element_by_id("fill")
    assert "primary" not in previous.get("class")
    assert previous.get("href") == f"/surveys/rounds/{survey_round.pk}/fill/"


def test_only_the_engines_page_allows_webassembly(world) -> None:
    # the engine's page compiles WebAssembly; a GET of the submission address (405) does not
    survey_round = patrol_round(world)
    client = signed_in(world.lan)
    page = client.get(f"/surveys/rounds/{survey_round.pk}/fill/odk/")
    assert page.status_code == 200
    assert "'wasm-unsafe-eval'" in page["Content-Security-Policy"]
    wrong_method = client.get(f"/surveys/rounds/{survey_round.pk}/submission/")
    assert wrong_method.status_code == 405
    assert "'wasm-unsafe-eval'" not in wrong_method["Content-Security-Policy"]
