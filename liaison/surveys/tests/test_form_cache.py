"""``load_form(..., cache=folder)``: pyxform's conversion of a workbook kept by the file's hash,
so that ``liaison survey analyze`` neither imports pyxform nor converts the same form again."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from django.core.management import call_command

from liaison.surveys import xlsform
from liaison.surveys.tests.builders import SMALL_SETTINGS, make_workbook
from liaison.surveys.tests.test_xlsform import CORPUS
from liaison.surveys.xlsform import Form, FormError, load_form


def comparable(form: Form) -> dict[str, object]:
    """The form's fields, the secondary instances (XML elements) as their text."""
    fields = {
        field.name: getattr(form, field.name)
        for field in dataclasses.fields(form)
        if field.init and field.name != "instances"
    }
    fields["instances"] = {
        name: ET.tostring(element, encoding="unicode") for name, element in form.instances.items()
    }
    return fields


@pytest.fixture
def no_pyxform(monkeypatch: pytest.MonkeyPatch) -> None:
    """Converting a workbook fails: a form can then only come from the cache."""

    def refuse(*args: object) -> None:
        raise AssertionError("pyxform was asked to convert the workbook again")

    monkeypatch.setattr(xlsform, "_convert", refuse)


def test_a_form_read_back_from_the_cache_is_the_form_pyxform_made(tmp_path: Path, request):
    # given a form loaded once with a cache folder
    workbook = make_workbook()
    uncached = load_form(workbook, filename="small.xlsx")
    load_form(workbook, filename="small.xlsx", cache=tmp_path)
    assert len(list(tmp_path.glob("*.json"))) == 1
    # when it is loaded again without pyxform
    request.getfixturevalue("no_pyxform")
    again = load_form(workbook, filename="small.xlsx", cache=tmp_path)
    # then it is the same form
    assert comparable(again) == comparable(uncached)


def test_a_changed_file_or_another_name_is_converted_anew(tmp_path: Path):
    load_form(make_workbook(), filename="small.xlsx", cache=tmp_path)
    retitled = [{**SMALL_SETTINGS[0], "form_title": "Another title"}]
    form = load_form(make_workbook(settings=retitled), filename="small.xlsx", cache=tmp_path)
    assert form.title == "Another title"
    load_form(make_workbook(), filename="other.xlsx", cache=tmp_path)
    assert len(list(tmp_path.glob("*.json"))) == 3


def test_a_form_that_does_not_load_is_not_cached(tmp_path: Path):
    broken = make_workbook(choices=None)
    for _attempt in range(2):
        with pytest.raises(FormError):
            load_form(broken, filename="broken.xlsx", cache=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_damaged_or_foreign_entry_is_passed_over_and_replaced(tmp_path: Path):
    workbook = make_workbook()
    expected = comparable(load_form(workbook, filename="small.xlsx", cache=tmp_path))
    (entry,) = tmp_path.glob("*.json")
    for damage in (b'{"definition": ', b"[]", json.dumps({"key": "another"}).encode()):
        entry.write_bytes(damage)
        assert comparable(load_form(workbook, filename="small.xlsx", cache=tmp_path)) == expected
        assert json.loads(entry.read_bytes())["key"] == entry.stem


def test_a_cache_folder_that_cannot_be_written_only_means_no_cache(tmp_path: Path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    form = load_form(make_workbook(), filename="small.xlsx", cache=not_a_folder)
    assert form.form_id == "small"
    assert [path.name for path in tmp_path.iterdir()] == ["file"]


def test_the_least_recently_used_entries_go_beyond_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(xlsform, "_CACHED_CONVERSIONS", 2)
    for name in ("a.xlsx", "b.xlsx", "c.xlsx"):
        load_form(make_workbook(), filename=name, cache=tmp_path)
    assert len(list(tmp_path.glob("*.json"))) == 2
    assert not list(tmp_path.glob(".*.tmp"))


@pytest.mark.parametrize("path", CORPUS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_example_form_is_the_same_read_back_from_the_cache(
    path: Path, tmp_path: Path, request
):
    try:
        converted = load_form(path, cache=tmp_path)
    except FormError:
        return  # refused forms are not cached (above)
    assert list(tmp_path.glob("*.json")), "every form of the corpus can be cached"
    request.getfixturevalue("no_pyxform")
    assert comparable(load_form(path, cache=tmp_path)) == comparable(converted)


def test_the_command_keeps_the_converted_form_in_the_data_folder(tmp_path: Path, settings):
    # given
    settings.DATA_DIR = tmp_path
    form = tmp_path / "small.xlsx"
    form.write_bytes(make_workbook())
    data = tmp_path / "small.csv"
    data.write_text("profile/agency;ods/knows_ods\npolice;yes\narmy;no\n", encoding="utf-8")
    # when the same questionnaire is analysed twice
    outputs = []
    for run in ("first", "second"):
        target = tmp_path / f"{run}.json"
        call_command("survey", "analyze", str(form), str(data), "--json", str(target))
        outputs.append(json.loads(target.read_text(encoding="utf-8")))
    # then the second run read the form from the cache, and the results are the same
    assert len(list((tmp_path / "cache" / "forms").glob("*.json"))) == 1
    assert outputs[0] == outputs[1]
    assert outputs[0]["questions"]["agency"]["counts"]["police"] == 1
