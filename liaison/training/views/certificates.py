"""Qualifications and certificates, their PDFs, and their public verification."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.registry import permissions
from liaison.registry.permissions import Action, can
from liaison.registry.signed_in import current_user
from liaison.training import policies, selectors, services
from liaison.training.certificates import (
    module_certificate_context,
    render_certificate_pdf,
    render_module_certificate_pdf,
)
from liaison.training.forms import (
    RevokeForm,
    VerifyForm,
)
from liaison.training.models import (
    Certificate,
    CertificateState,
    Qualification,
)


@login_required
def qualifications(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    today = timezone.localdate()
    items = (
        permissions.visible(user, Qualification)
        .filter(active=True)
        .prefetch_related("requirements__module")
    )
    is_staff = policies.earns_qualifications(user)
    rows = [
        (
            q,
            q.text("description"),
            services.qualification_progress(user, q, today=today) if is_staff else None,
        )
        for q in items
    ]
    return render(request, "training/qualifications.html", {"rows": rows})


@login_required
def certificates(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    today = timezone.localdate()
    items = (
        permissions.visible(user, Certificate)
        .select_related("qualification", "blo", "renewed_by")
        .order_by("-issued_on", "-id")
    )
    due_only = request.GET.get("due") == "1"
    rows = [(c, c.state(today), c.renewal_due(today)) for c in items]
    if due_only:
        rows = [row for row in rows if row[2]]
    return render(request, "training/certificates.html", {"rows": rows, "due_only": due_only})


@login_required
def certificate_detail(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    certificate = selectors.access_certificate(user, code)
    form = RevokeForm(request.POST or None)
    may_revoke = can(user, Action.CHANGE, certificate) and certificate.revoked_at is None
    if request.method == "POST":
        if not may_revoke:
            raise PermissionDenied
        if form.is_valid():
            services.do_revoke_certificate(
                certificate, reason=form.cleaned_data["reason"], actor=user, request=request
            )
            messages.success(request, _("The certificate is revoked."))
            return redirect(certificate.get_absolute_url())
    return render(
        request,
        "training/certificate.html",
        {
            "certificate": certificate,
            "state": certificate.state(),
            "verify_url": request.build_absolute_uri(certificate.verification_path()),
            "form": form,
            "may_revoke": may_revoke,
        },
    )


@login_required
def certificate_pdf(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    certificate = selectors.access_certificate(user, code)
    verify_url = request.build_absolute_uri(certificate.verification_path())
    record(
        actor=user,
        action=AuditAction.EXPORT,
        obj=certificate,
        summary=f"Certificate {certificate.code} PDF",
        request=request,
    )
    response = HttpResponse(
        render_certificate_pdf(certificate, verify_url), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="certificate-{certificate.code}.pdf"'
    return response


@login_required
def module_certificate(request: HttpRequest, code: str) -> HttpResponse:
    """A completed module's certificate, as a page to print."""
    user = current_user(request)
    completion = selectors.access_completion(user, code)
    context = module_certificate_context(
        completion,
        services.holder_name(completion.officer),
        request.build_absolute_uri(completion.verification_path()),
    )
    context["current"] = completion.is_current()
    return render(request, "training/module_certificate.html", context)


@login_required
def module_certificate_pdf(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    completion = selectors.access_completion(user, code)
    verify_url = request.build_absolute_uri(completion.verification_path())
    record(
        actor=user,
        action=AuditAction.EXPORT,
        obj=completion,
        summary=f"Module certificate {completion.code} PDF",
        request=request,
    )
    pdf = render_module_certificate_pdf(
        completion, services.holder_name(completion.officer), verify_url
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="module-certificate-{completion.code}.pdf"'
    return response


# Public: anyone holding a certificate's code may check it, without an account.
def verify(request: HttpRequest, code: str | None = None) -> HttpResponse:
    if code is None:
        form = VerifyForm(request.GET or None)
        if form.is_valid():
            return redirect(
                "training:verify", code=services.normalise_code(form.cleaned_data["code"])
            )
        return render(request, "training/verify.html", {"form": form, "certificate": None})
    normalised = services.normalise_code(code)
    if normalised != code:
        return redirect("training:verify", code=normalised)
    certificate = (
        Certificate.objects.select_related("qualification", "blo", "agency", "renewed_by")
        .filter(code=code)
        .first()
    )
    completion = selectors.find_completion(code) if certificate is None else None
    if completion is not None:
        return render(
            request,
            "training/verify.html",
            {
                "completion": completion,
                "holder": services.holder_name(completion.officer),
                "valid": completion.is_current(),
                "titles": [(lang, completion.module.text("title", lang)) for lang in ("vi", "en")],
            },
        )
    if certificate is None:
        response = render(
            request,
            "training/verify.html",
            {"form": VerifyForm(initial={"code": code}), "certificate": None, "not_found": True},
        )
        response.status_code = 404
        return response
    state = certificate.state()
    return render(
        request,
        "training/verify.html",
        {
            "certificate": certificate,
            "state": state,
            "valid": state == CertificateState.VALID,
            "titles": [
                (lang, certificate.qualification.text("title", lang)) for lang in ("vi", "en")
            ],
        },
    )
