"""Commands an administrator runs in a shell speak the terminal's language, not the site's."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from liaison.languages import terminal_language

OFFERED = ["vi", "en", "lo", "km", "th", "zh-hans"]


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "vi_VN.UTF-8"}, "vi"),
        ({"LANG": "km_KH.UTF-8"}, "km"),
        ({"LANG": "zh_CN.UTF-8"}, "zh-hans"),
        ({"LANG": "fr_FR.UTF-8"}, "en"),
        ({"LANG": "vi_VN.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_MESSAGES": "lo_LA.UTF-8"}, "lo"),
    ],
)
def test_terminal_language_follows_posix_order(environment, expected) -> None:
    assert terminal_language(OFFERED, environment) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(("lang", "word"), [("C.UTF-8", "intact"), ("vi_VN.UTF-8", "nguyên vẹn")])
def test_audit_verify_speaks_the_terminal_language(monkeypatch, lang: str, word: str) -> None:
    for variable in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("LANG", lang)
    out = io.StringIO()
    call_command("audit", "verify", stdout=out)
    assert word in out.getvalue()
