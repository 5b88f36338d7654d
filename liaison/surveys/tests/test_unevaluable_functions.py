"""A form using a function the server's expression engine cannot evaluate (pyxform's pull_data
example: pulldata() over a CSV the questionnaire does not carry) is answered with a message on
the page, never a server error, and nothing is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

import liaison
from liaison.surveys.models import Submission
from liaison.surveys.services import do_upload_questionnaire
from liaison.surveys.tests.rounds import make_round
from tests.builders import build_world

pytestmark = pytest.mark.django_db

PULL_DATA = (
    Path(liaison.__file__).resolve().parents[2]
    / "shared"
    / "xlsform-examples"
    / "example_xls"
    / "pull_data.xlsx"
)


@pytest.mark.parametrize("action", ["submit", "draft"])
def test_a_pulldata_form_is_refused_with_a_message_not_a_server_error(
    settings: Any, tmp_path: Path, action: str
) -> None:
    settings.MEDIA_ROOT = tmp_path
    # given an open round of pyxform's pull_data example
    world = build_world()
    world.lan.preferred_language = "en"
    world.lan.save(update_fields=["preferred_language"])
    questionnaire = do_upload_questionnaire(
        data=PULL_DATA.read_bytes(), file_name=PULL_DATA.name, actor=world.ainsley
    )
    survey_round = make_round(
        questionnaire,
        world.ainsley,
        [world.moc_bai],
        site_question="",
        agency_question="",
        cluster_question="",
    )
    client = Client()
    client.force_login(world.lan)
    # when an officer sends it from the questionnaire page
    response = client.post(f"/surveys/rounds/{survey_round.pk}/fill/", {"action": action})
    # then the page says why, and nothing is stored
    assert response.status_code == 400
    assert "The server cannot check these answers" in response.content.decode()
    assert "pulldata()" in response.content.decode()
    assert not Submission.objects.filter(round=survey_round).exists()
