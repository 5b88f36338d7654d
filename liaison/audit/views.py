from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from liaison.audit.models import AuditEntry
from liaison.registry.models import User
from liaison.registry.permissions import (
    may_view_audit,
    readable_audit_objects,
    visible_audit_filter,
)


@login_required
def audit_log(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not isinstance(user, User) or not may_view_audit(user):
        raise PermissionDenied
    entries = AuditEntry.objects.filter(visible_audit_filter(user)).order_by("-id")
    action = request.GET.get("action", "")
    if action:
        entries = entries.filter(action=action)
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    # Who did what and when is the auditor's; the entry's words only for readers of its object.
    readable = readable_audit_objects(user, [(e.object_type, e.object_id) for e in page])
    rows = [(entry, (entry.object_type, entry.object_id) in readable) for entry in page]
    return render(request, "audit/log.html", {"page": page, "rows": rows, "action": action})
