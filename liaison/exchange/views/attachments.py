"""Files attached to records: adding, serving, thumbnails, removing."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from liaison.exchange import services
from liaison.exchange.access import (
    access_attachment,
    attachments_of_read_record,
    may_attach,
    may_remove_attachment,
)
from liaison.exchange.attachments import do_add_attachment, do_remove_attachment
from liaison.exchange.forms import (
    AttachmentForm,
)
from liaison.exchange.models import (
    Attachment,
    Incident,
    InformationRequest,
    IntelligenceReport,
    NominalEntry,
)
from liaison.exchange.views.shared import _user
from liaison.registry.models import User
from liaison.registry.permissions import access

AttachedRecord = Incident | IntelligenceReport | InformationRequest


def _attachments_context(
    user: User,
    record_obj: AttachedRecord,
    *,
    readable_entries: QuerySet[NominalEntry] | None = None,
) -> dict[str, Any]:
    """The attachments the reader may read (of a record ``access`` gave them), with whether they
    may remove each, and the upload form for those who may attach."""
    attachments = list(
        attachments_of_read_record(user, record_obj, readable_entries=readable_entries)
        .select_related("uploaded_by", "nominal_entry", "incident", "intelligence")
        .select_related("information_request")
    )
    for attachment in attachments:
        attachment.removable = may_remove_attachment(user, attachment)  # type: ignore[attr-defined]
    allowed = may_attach(user, record_obj)
    form = None
    if allowed:
        form = AttachmentForm(user=user, record=record_obj, readable_entries=readable_entries)
    return {
        "attachments": attachments,
        "attachment_form": form,
        "attachment_upload_url": reverse(
            {
                Incident: "exchange:incident_attachments",
                IntelligenceReport: "exchange:intelligence_attachments",
                InformationRequest: "exchange:request_attachments",
            }[type(record_obj)],
            args=[record_obj.reference],
        ),
        "attachment_max_mb": f"{settings.ATTACHMENT_MAX_BYTES / 1_048_576:g}",
    }


def _add_attachment(request: HttpRequest, record_obj: AttachedRecord) -> HttpResponse:
    user = _user(request)
    if not may_attach(user, record_obj):
        raise PermissionDenied(_("You may not add attachments to this record."))
    form = AttachmentForm(request.POST, request.FILES, user=user, record=record_obj)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            attachment = do_add_attachment(
                record_obj,
                upload,
                name=upload.name or "",
                size=upload.size,
                of_person=form.cleaned_data["of_person"],
                nominal_entry=form.cleaned_data.get("nominal_entry"),
                keep_location=form.cleaned_data["keep_location"],
                actor=user,
                request=request,
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("“%(name)s” attached.") % {"name": attachment.original_name}
            )
    else:
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    return redirect(f"{record_obj.get_absolute_url()}#attachments")


@login_required
@require_POST
def incident_attachments(request: HttpRequest, reference: str) -> HttpResponse:
    return _add_attachment(request, access(_user(request), Incident, reference=reference))


@login_required
@require_POST
def intelligence_attachments(request: HttpRequest, reference: str) -> HttpResponse:
    return _add_attachment(request, access(_user(request), IntelligenceReport, reference=reference))


@login_required
@require_POST
def request_attachments(request: HttpRequest, reference: str) -> HttpResponse:
    return _add_attachment(request, access(_user(request), InformationRequest, reference=reference))


def _serve(attachment: Attachment, *, thumbnail: bool) -> FileResponse:
    stored = attachment.thumbnail if thumbnail else attachment.file
    if not stored.name:
        raise Http404
    try:
        handle = stored.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = "image/jpeg" if thumbnail else attachment.content_type
    inline = content_type.startswith("image/")
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=not inline,
        filename=attachment.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    # Opened on its own, the file runs nothing and embeds nothing; the browser's own viewer of
    # a photo styles its page inline (a photo document holds no markup of ours).
    response["Content-Security-Policy"] = (
        "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    )
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response


@login_required
@require_GET
def attachment_file(request: HttpRequest, pk: int) -> FileResponse:
    user = _user(request)
    attachment = access_attachment(user, pk)
    services.record_export(
        user, f"{attachment.record.reference}: {attachment.original_name}", 1, request
    )
    return _serve(attachment, thumbnail=False)


@login_required
@require_GET
def attachment_thumbnail(request: HttpRequest, pk: int) -> FileResponse:
    return _serve(access_attachment(_user(request), pk), thumbnail=True)


@login_required
@require_POST
def attachment_remove(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    attachment = access_attachment(user, pk)
    back = f"{attachment.record.get_absolute_url()}#attachments"
    do_remove_attachment(attachment, actor=user, request=request)
    messages.success(request, _("“%(name)s” removed.") % {"name": attachment.original_name})
    return redirect(back)
