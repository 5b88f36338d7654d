"""Every ``liaison`` command starts Django; the heavy libraries (SciPy alone takes a second or
two) are imported where they are used, never by the settings, the apps' ``ready()`` or the
modules those import (issue #12: ``liaison survey analyze`` within 4× a bare ``read_csv``).

A fresh interpreter is needed: the test process itself has imported everything already."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = (
    "scipy",
    "statsmodels",
    "pandas",
    "numpy",
    "pyxform",
    "openpyxl",
    "matplotlib",
    "weasyprint",
)
PROBE = f"""
import json, sys
import django

heavy = {HEAVY!r}
django.setup()
started = [name for name in heavy if name in sys.modules]
import liaison.surveys.analysis
import liaison.surveys.management.commands.survey
import liaison.surveys.xlsform
analysis = [name for name in ("scipy", "statsmodels", "pyxform") if name in sys.modules]
print(json.dumps({{"setup": started, "analysis": analysis}}))
"""


def test_django_start_up_imports_no_heavy_library_and_the_analysis_no_scipy():
    # when a fresh interpreter starts Django, then imports the analysis and the survey command
    completed = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "liaison.settings"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    imported = json.loads(completed.stdout.strip().splitlines()[-1])
    # then start-up imported none of them, and the analysis module neither SciPy, statsmodels
    # nor pyxform (they come when a test is computed or a form converted)
    assert imported == {"setup": [], "analysis": []}
