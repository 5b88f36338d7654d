"""Seizure imports: the upload and the progress of its task."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from liaison.exchange import services
from liaison.exchange.access import (
    access_seizure_import,
    may_record_for,
)
from liaison.exchange.forms import (
    SeizureImportForm,
)
from liaison.exchange.imports import COLUMNS as SEIZURE_COLUMNS
from liaison.exchange.imports import read_seizure_file
from liaison.exchange.tasks import seizure_import_progress as seizure_import_progress_of
from liaison.exchange.views.shared import _user
from liaison.registry.models import BLO
from liaison.registry.permissions import visible
from liaison.tabular import TableError


@login_required
def seizure_import(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not any(may_record_for(user, b) for b in visible(user, BLO)):
        raise PermissionDenied
    form = SeizureImportForm(request.POST or None, request.FILES or None, user=user)
    problems: list[Any] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        raw = upload.read()
        try:
            # a file the bounded reader refuses (size, shape, format) is refused at once
            read_seizure_file(raw, upload.name)
        except TableError as exc:
            problems = exc.problems
            messages.error(
                request,
                _("Nothing was imported: the file has %(count)s problem(s).")
                % {"count": len(problems)},
            )
        else:
            job = services.do_start_seizure_import(
                raw,
                upload.name,
                form.cleaned_data["blo"],
                actor=user,
                language=translation.get_language() or "",
            )
            return redirect("exchange:seizure_import_progress", pk=job.pk)
    return render(
        request,
        "exchange/seizure_import.html",
        {"form": form, "problems": problems, "columns": SEIZURE_COLUMNS},
    )


@login_required
def seizure_import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    job = access_seizure_import(user, pk)
    progress = seizure_import_progress_of(job)
    if request.GET.get("format") == "json":
        response = JsonResponse(progress)
        response["Cache-Control"] = "no-store"
        return response
    return render(
        request,
        "exchange/seizure_import_progress.html",
        {"job": job, "progress": progress, "columns": SEIZURE_COLUMNS},
    )
