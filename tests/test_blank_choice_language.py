"""Django 6 labels the empty choice of every drop-down "- Select an option -", a string its own
catalogues do not translate into the network's languages: Liaison's catalogues carry it."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from tests.builders import build_world

TRANSLATED = {
    "vi": "- Chọn một mục -",
    "lo": "- ເລືອກໜຶ່ງລາຍການ -",
    "km": "- ជ្រើសរើសជម្រើសមួយ -",
    "th": "- เลือกหนึ่งรายการ -",
    "zh-hans": "- 请选择 -",
}


@pytest.mark.parametrize("language", sorted(TRANSLATED))
def test_the_empty_choice_reads_in_each_language(language: str) -> None:
    from django.db.models.fields import BLANK_CHOICE_LABEL

    with translation.override(language):
        assert str(BLANK_CHOICE_LABEL) == TRANSLATED[language]


@pytest.mark.django_db
def test_a_vietnamese_officer_reads_no_english_empty_choice() -> None:
    # given Lan, who reads Vietnamese
    world = build_world()
    world.lan.preferred_language = "vi"
    world.lan.save(update_fields=["preferred_language"])
    client = Client()
    client.force_login(world.lan)
    # when she opens the form to ask a counterpart post for information
    page = client.get("/exchange/requests/new/").content.decode()
    # then its drop-downs start with the Vietnamese empty choice
    assert TRANSLATED["vi"] in page
    assert "Select an option" not in page
