"""``liaison survey analyze|compare`` on files starts without the web application's apps
(issue #12: the whole command within 4× a bare read): the same results, the same messages in
the terminal's language, and everything else still through Django's usual path.

The file path is proved in a fresh interpreter (``python -m liaison.cli``): this test process
has every app loaded already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from liaison.cli import reads_files_only
from liaison.surveys.tests import patrol_fixture

FORM = str(patrol_fixture.FORM_PATH)
KOBO = str(patrol_fixture.KOBO_PATH)
ODK = str(patrol_fixture.ODK_PATH)
REPOSITORY = Path(__file__).resolve().parents[3]


def command_line(
    *args: str, data_dir: Path, language: str = "C.UTF-8"
) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LC_")}
    environment.update(LIAISON_DATA_DIR=str(data_dir), LANG=language)
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments of the test
        [sys.executable, "-X", "importtime", "-m", "liaison.cli", *args],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )


def imported_modules(stderr: str) -> set[str]:
    return {
        line.rsplit("|", 1)[1].strip() for line in stderr.splitlines() if "import time:" in line
    }


def messages(stderr: str) -> str:
    return "\n".join(line for line in stderr.splitlines() if "import time:" not in line)


def test_analyze_on_files_gives_the_results_of_the_app_without_loading_its_models(tmp_path):
    # when the command line analyses an export with --by, JSON to standard output
    arguments = ("survey", "analyze", FORM, ODK, "--by", "cluster", "--json", "-")
    completed = command_line(*arguments, data_dir=tmp_path)
    # then it succeeds with exactly what the command gives inside the app
    assert completed.returncode == 0, messages(completed.stderr)
    out = StringIO()
    call_command(*arguments[:-1], "-", stdout=out, stderr=StringIO())
    assert json.loads(completed.stdout) == json.loads(out.getvalue())
    # and it never imported a model, the API or the admin: the apps were not started
    modules = imported_modules(completed.stderr)
    assert "pandas" in modules  # the probe sees imports at all
    started = {m for m in modules if m.startswith(("liaison.", "django.contrib.", "django_"))}
    assert not {m for m in started if m.endswith(".models") or m.startswith("liaison.exchange")}
    assert not modules & {"ninja", "pydantic", "django.contrib.admin", "django_stubs_ext"}


def test_compare_on_files_gives_the_results_of_the_app(tmp_path):
    arguments = ("survey", "compare", FORM, KOBO, ODK, "--json", "-")
    completed = command_line(*arguments, data_dir=tmp_path)
    assert completed.returncode == 0, messages(completed.stderr)
    out = StringIO()
    call_command(*arguments, stdout=out, stderr=StringIO())
    assert json.loads(completed.stdout) == json.loads(out.getvalue())
    assert "liaison.surveys.models" not in imported_modules(completed.stderr)


def test_a_refusal_on_the_file_path_speaks_the_terminals_language_without_a_traceback(tmp_path):
    bad = tmp_path / "bảng.csv"
    bad.write_text("", encoding="utf-8")
    # when a Vietnamese terminal analyses an empty file
    completed = command_line(
        "survey", "analyze", FORM, str(bad), data_dir=tmp_path, language="vi_VN.UTF-8"
    )
    # then the command fails with one Vietnamese message naming the file
    assert completed.returncode == 1
    said = messages(completed.stderr)
    assert "bảng.csv trống." in said
    assert "Traceback" not in said
    # and an English terminal reads it in English
    completed = command_line("survey", "analyze", FORM, str(bad), data_dir=tmp_path)
    assert "bảng.csv is empty." in messages(completed.stderr)


def test_a_first_command_compiles_the_catalogues_it_speaks_from(tmp_path, settings):
    # Given a clone where no .mo file was compiled yet (nothing but the .po catalogues)
    locale = tmp_path / "locale" / "vi" / "LC_MESSAGES"
    locale.mkdir(parents=True)
    source = Path(settings.LOCALE_PATHS[0]) / "vi" / "LC_MESSAGES" / "django.po"
    (locale / "django.po").write_bytes(source.read_bytes())
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    from liaison.catalogues import ensure_compiled

    # when a command starts, the catalogue is compiled, and only once
    assert ensure_compiled() == [locale / "django.mo"]
    assert (locale / "django.mo").stat().st_size > 100_000
    assert ensure_compiled() == []
    assert sorted(path.name for path in locale.iterdir()) == ["django.mo", "django.po"]


@pytest.mark.parametrize(
    ("args", "files_only"),
    [
        (["survey", "analyze", "f.xlsx", "d.csv"], True),
        (["survey", "analyze", "f.xlsx", "d.csv", "--json", "-", "--by", "cluster"], True),
        (["survey", "compare", "f.xlsx", "a.csv", "b.csv", "--json=out.json"], True),
        (["survey", "analyze", "f.xlsx", "--round", "3"], False),
        (["survey", "analyze", "f.xlsx", "--rou", "3"], False),  # argparse's abbreviation
        (["survey", "analyze", "f.xlsx", "d.csv", "--html", "r.html"], False),
        (["survey", "analyze", "f.xlsx", "d.csv", "--pdf=r.pdf"], False),
        (["survey", "compare", "f.xlsx", "--round", "1", "--round", "2"], False),
        (["survey", "analyze", "--help"], False),
        (["survey", "analyze", "f.xlsx", "d.csv", "--no-such-option"], False),
        (["survey"], False),
        (["migrate"], False),
        ([], False),
    ],
)
def test_which_commands_read_files_only(args, files_only, capsys):
    assert reads_files_only(args) is files_only
    # deciding prints nothing: help and errors are Django's own path's to say
    assert capsys.readouterr() == ("", "")
