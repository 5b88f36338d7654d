"""Importing a content package."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from liaison.registry.permissions import Action, can
from liaison.registry.signed_in import current_user
from liaison.training import services
from liaison.training.content import ContentError, extract_package
from liaison.training.forms import (
    ContentImportForm,
)
from liaison.training.models import (
    TrainingModule,
)


def _extract(upload: Any, into: Path) -> Path:
    return extract_package(upload, upload.name, into)


@login_required
def content_import(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not can(user, Action.IMPORT, TrainingModule()):
        raise PermissionDenied
    form = ContentImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            with tempfile.TemporaryDirectory(prefix="liaison-content-") as folder:
                root = _extract(form.cleaned_data["file"], Path(folder))
                report = services.do_import_content(root, actor=user, request=request)
        except ContentError as exc:
            problems = [str(p) for p in exc.problems]
            messages.error(
                request,
                _("Nothing was imported: %(count)s problem(s).") % {"count": len(problems)},
            )
        else:
            messages.success(
                request,
                _(
                    "Imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged modules."
                )
                % {
                    "created": len(report.created),
                    "updated": len(report.updated),
                    "unchanged": len(report.unchanged),
                },
            )
            return redirect("training:home")
    return render(request, "training/import.html", {"form": form, "problems": problems})
