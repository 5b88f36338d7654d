"""Pages of the registry and of accounts: parse, authorise, call a service, render."""

from __future__ import annotations

import base64
import io
from typing import Any, cast

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.registry import services
from liaison.registry.extensions import account_sections, blo_sections, home_cards
from liaison.registry.forms import (
    AccountForm,
    BLOForm,
    CrossingForm,
    ProfileForm,
    RegistryImportForm,
    RolePolicyForm,
    TokenForm,
)
from liaison.registry.middleware import language_for
from liaison.registry.models import (
    BLO,
    Agency,
    Country,
    Crossing,
    Role,
    RoleSecurityPolicy,
    User,
)
from liaison.registry.permissions import (
    Action,
    access,
    access_blo,
    access_country,
    access_user,
    can,
    grantable_roles,
    may_import_registry,
    may_set_security_policy,
    visible,
)
from liaison.registry.signed_in import current_user
from liaison.registry.transfer import SHEETS, RegistryImportError, export_csv, export_xlsx

# --- sign-in ------------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "registry/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = cast(User, form.get_user())
        services.record_login(user, self.request)
        language = language_for(user)
        if language:
            response.set_cookie("liaison_language", language, max_age=365 * 24 * 3600)
        return response

    def form_invalid(self, form: Any) -> HttpResponse:
        username = str(self.request.POST.get("username", ""))
        if username:
            services.record_failed_login(username, self.request)
        return super().form_invalid(form)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        services.record_logout(user, request)
    return auth_views.LogoutView.as_view()(request)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language switch: remembered on the account once signed in, in a cookie before."""
    language = str(request.POST.get("language", ""))
    next_url = str(request.POST.get("next", "")) or "/"
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in {code for code, _name in settings.LANGUAGES}:
        return response
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        services.do_set_preferred_language(user, language, actor=user, request=request)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
    )
    translation.activate(language)
    return response


# --- home ---------------------------------------------------------------------------------------


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    my_blo = None
    if user.blo_id is not None:
        my_blo = (
            visible(user, BLO)
            .select_related("country", "province", "cluster")
            .prefetch_related("counterparts__country", "agencies", "crossings")
            .filter(pk=user.blo_id)
            .first()
        )
    blos = visible(user, BLO).select_related("country", "cluster")
    countries = visible(user, Country).annotate(
        blo_count=Count("blos", filter=Q(blos__in=blos), distinct=True)
    )
    return render(
        request,
        "registry/home.html",
        {
            "my_blo": my_blo,
            "countries": countries,
            "blo_count": blos.count(),
            "colleague_count": visible(user, User).filter(is_active=True).count(),
            "panels": home_cards(request),
        },
    )


# --- network ------------------------------------------------------------------------------------


@login_required
def network(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    blos = (
        visible(user, BLO)
        .select_related("country", "province", "cluster")
        .prefetch_related("counterparts__country")
        .order_by("country__name_en", "cluster__code", "name_en")
    )
    groups: dict[Country, list[BLO]] = {}
    for blo in blos:
        groups.setdefault(blo.country, []).append(blo)
    return render(
        request,
        "registry/network.html",
        {
            "groups": groups,
            "may_create": any(
                can(user, Action.CREATE, BLO(country=c)) for c in visible(user, Country)
            ),
            "visible_countries": visible(user, Country),
            "may_import": may_import_registry(user),
        },
    )


@login_required
def country_page(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    country = access_country(user, code)
    blos = visible(user, BLO).filter(country=country).select_related("province", "cluster")
    staff = (
        visible(user, User)
        .filter(country=country, is_active=True)
        .select_related("blo", "agency")
        .order_by("blo__name_en", "agency__name_en", "last_name")
    )
    record(
        actor=user, action=AuditAction.VIEW, obj=country, summary=country.name_en, request=request
    )
    return render(
        request,
        "registry/country.html",
        {
            "country": country,
            "blos": blos,
            "agencies": visible(user, Agency).filter(country=country),
            "staff": staff,
            "clusters": country.clusters.all(),
        },
    )


@login_required
def blo_page(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    blo = access_blo(user, code)
    counterparts = visible(user, BLO).filter(counterparts=blo).select_related("country")
    hidden_counterparts = blo.counterparts.exclude(pk__in=counterparts.values("pk")).count()
    staff = (
        visible(user, User)
        .filter(blo=blo, is_active=True)
        .select_related("agency")
        .order_by("agency__name_en", "last_name")
    )
    return render(
        request,
        "registry/blo.html",
        {
            "blo": blo,
            "counterparts": counterparts,
            "hidden_counterparts": hidden_counterparts,
            "agencies": blo.agencies.all(),
            "crossings": visible(user, Crossing).filter(blo=blo),
            "staff": staff,
            "may_change": can(user, Action.CHANGE, blo),
            "may_add_crossing": can(user, Action.CREATE, Crossing(blo=blo)),
            "panels": blo_sections(request, blo),
        },
    )


@login_required
def blo_edit(request: HttpRequest, code: str | None = None) -> HttpResponse:
    user = current_user(request)
    if code is None:
        instance = BLO()
        if not any(can(user, Action.CREATE, BLO(country=c)) for c in visible(user, Country)):
            raise PermissionDenied
    else:
        instance = access_blo(user, code, Action.CHANGE)
    form = BLOForm(request.POST or None, instance=instance, user=user)
    if request.method == "POST" and form.is_valid():
        blo = form.save(commit=False)
        try:
            services.do_save_blo(
                blo,
                agencies=form.cleaned_data["agencies"],
                counterparts=form.cleaned_data["counterparts"],
                actor=user,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(blo.get_absolute_url())
    return render(request, "registry/blo_form.html", {"form": form, "blo": instance})


@login_required
def crossing_edit(
    request: HttpRequest, blo_code: str | None = None, code: str | None = None
) -> HttpResponse:
    user = current_user(request)
    if code is not None:
        crossing = access(user, Crossing, Action.CHANGE, code=code)
        blo = crossing.blo
    else:
        blo = access_blo(user, str(blo_code))
        crossing = Crossing(blo=blo)
        if not can(user, Action.CREATE, crossing):
            raise PermissionDenied
    form = CrossingForm(request.POST or None, instance=crossing)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_crossing(form.save(commit=False), actor=user, request=request)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect(blo.get_absolute_url())
    return render(request, "registry/crossing_form.html", {"form": form, "blo": blo})


# --- accounts -----------------------------------------------------------------------------------


@login_required
def users(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if user.role == Role.OFFICER:
        raise PermissionDenied
    accounts = (
        visible(user, User)
        .select_related("country", "blo", "agency")
        .order_by("country__name_en", "blo__name_en", "last_name")
    )
    return render(
        request,
        "registry/users.html",
        {
            "accounts": accounts,
            "may_create": bool(grantable_roles(user)),
            "may_set_security": may_set_security_policy(user),
        },
    )


@login_required
def user_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = current_user(request)
    if pk is None:
        if not grantable_roles(user):
            raise PermissionDenied
        account = User(country_id=user.country_id)
        if user.role == Role.HEAD_OF_BLO:
            account.blo_id = user.blo_id
    else:
        account = access_user(user, pk, Action.MANAGE_ACCOUNT)
    form = AccountForm(request.POST or None, instance=account, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_account(
                form.save(commit=False),
                password=form.cleaned_data.get("password") or None,
                actor=user,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except PermissionDenied:
            form.add_error("role", _("You may not give this role in this place."))
        else:
            messages.success(request, _("Saved."))
            return redirect("registry:users")
    return render(request, "registry/user_form.html", {"form": form, "account": account})


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = ProfileForm(request.POST or None, instance=user)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        services.do_update_own_profile(user, changes=changes, actor=user, request=request)
        messages.success(request, _("Your profile is saved."))
        response = redirect("account")
        if "preferred_language" in changes:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language_for(user) or "",
                max_age=settings.LANGUAGE_COOKIE_AGE,
            )
        return response
    return render(
        request,
        "registry/account.html",
        {
            "form": form,
            "has_two_factor": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            "panels": account_sections(request, user),
            "two_factor_required": services.two_factor_required(user),
        },
    )


@login_required
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app, or confirm a code from it for this session."""
    user = current_user(request)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    setting_up = device is None
    if setting_up:
        device, _created = TOTPDevice.objects.get_or_create(
            user=user, confirmed=False, defaults={"name": "authenticator"}
        )
    assert device is not None  # noqa: S101 - narrowed above for the type checker
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if setting_up:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                record(
                    actor=user,
                    action=AuditAction.TWO_FACTOR,
                    obj=user,
                    summary=_("Authenticator app set up"),
                    request=request,
                )
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in confirmed."))
            return redirect("home")
        form.add_error("token", _("This code is not valid. Check the time on your device."))
    qr_svg = ""
    if setting_up:
        image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
        buffer = io.BytesIO()
        image.save(buffer)
        qr_svg = "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()
    return render(
        request,
        "registry/two_factor.html",
        {
            "form": form,
            "setting_up": setting_up,
            "qr_svg": qr_svg,
            "secret": base64.b32encode(device.bin_key).decode() if setting_up else "",
        },
    )


@login_required
def security(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not may_set_security_policy(user):
        raise PermissionDenied
    current = {p.role: p.require_two_factor for p in RoleSecurityPolicy.objects.all()}
    form = RolePolicyForm(request.POST or None, current=current)
    if request.method == "POST" and form.is_valid():
        for role in Role:
            wanted = bool(form.cleaned_data[role.value])
            if current.get(role.value, False) != wanted:
                services.do_set_role_policy(
                    role, require_two_factor=wanted, actor=user, request=request
                )
        messages.success(request, _("Saved."))
        return redirect("registry:security")
    return render(request, "registry/security.html", {"form": form})


# --- import and export --------------------------------------------------------------------------


@login_required
def registry_import(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not may_import_registry(user):
        raise PermissionDenied
    form = RegistryImportForm(request.POST or None, request.FILES or None)
    problems: list[Any] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            summary = services.do_import_registry(upload.read(), upload.name, actor=user)
        except RegistryImportError as exc:
            problems = exc.problems
            messages.error(
                request,
                _("Nothing was imported: the file has %(count)s problem(s).")
                % {"count": len(problems)},
            )
        else:
            messages.success(
                request,
                _("Imported %(count)s records.") % {"count": summary.total()},
            )
            return redirect("registry:network")
    return render(
        request,
        "registry/import.html",
        {"form": form, "problems": problems, "sheets": SHEETS},
    )


@login_required
def registry_export(request: HttpRequest, table: str | None = None) -> HttpResponse:
    user = current_user(request)
    if table is not None and table not in SHEETS:
        raise Http404
    record(
        actor=user,
        action=AuditAction.EXPORT,
        object_type="registry",
        summary=table or "workbook",
        request=request,
    )
    if table is None:
        response = HttpResponse(
            export_xlsx(user),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = 'attachment; filename="liaison-registry.xlsx"'
        return response
    response = HttpResponse(export_csv(user, table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{table}.csv"'
    return response


def healthz(request: HttpRequest) -> HttpResponse:
    Country.objects.exists()
    return HttpResponse("ok", content_type="text/plain")
