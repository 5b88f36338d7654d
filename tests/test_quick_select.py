"""QuickSelect writes the same ``<select>`` as Django's Select, without a template per option."""

from __future__ import annotations

import re

import pytest
from django import forms

from liaison.widgets import QuickSelect

CHOICES = [
    ("", "—"),
    ("Ma túy", [("drug:heroin", "Heroin"), ("drug:meth", 'Methamphetamine "ice" <crystal>')]),
    ("Động vật hoang dã", [("species:manis-javanica", "Tê tê Java & vảy")]),
    ("other", "Khác"),
]


def _same(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize("value", ["", "drug:meth", "species:manis-javanica", "other", None, "x"])
def test_quick_select_writes_what_django_writes(value: str | None) -> None:
    attrs = {"id": "id_commodity", "data-note": 'a "quoted" <value>', "required": True}
    # given the same choices, attributes and value
    django_html = forms.Select(choices=CHOICES, attrs=attrs).render("commodity", value)
    quick_html = QuickSelect(choices=CHOICES, attrs=attrs).render("commodity", value)
    # then the markup is the same, escaping and the selected option included
    assert _same(quick_html) == _same(django_html)


def test_quick_select_marks_the_chosen_option_and_escapes_labels() -> None:
    html = QuickSelect(choices=CHOICES).render("commodity", "drug:meth")
    assert '<option value="drug:meth" selected>' in html
    assert "Methamphetamine &quot;ice&quot; &lt;crystal&gt;" in html
    assert '<optgroup label="Động vật hoang dã">' in html
    assert html.count(" selected") == 1


@pytest.mark.parametrize("value", ["", "drug:meth", "species:manis-javanica", None, "x"])
def test_options_drawn_once_for_a_key_read_as_djangos_for_every_value(value: str | None) -> None:
    attrs = {"id": "id_commodity", "class": "wide"}
    keyed = QuickSelect(choices=CHOICES)
    keyed.options_key = ("test-commodities", "vi")
    # given the options already drawn for the key with another value chosen
    keyed.render("commodity", "drug:heroin", attrs)
    # when another page draws the field with its own value
    django_html = forms.Select(choices=CHOICES, attrs=attrs).render("commodity", value)
    quick_html = keyed.render("commodity", value, attrs)
    # then it is what Django draws: only that value chosen
    assert _same(quick_html) == _same(django_html)
