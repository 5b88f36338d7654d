from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from liaison.audit.models import AuditEntry
from liaison.registry.models import User
from liaison.registry.permissions import may_view_audit, visible_audit_filter


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
    return render(request, "audit/log.html", {"page": page, "action": action})
