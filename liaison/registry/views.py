"""Pages of the registry and of accounts: parse, authorise, call a service, render."""

from __future__ import annotations

import base64
import io
from typing import Any, cast

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.caching import for_reader
from liaison.registry import services
from liaison.registry.extensions import account_sections, blo_sections, home_cards
from liaison.registry.forms import (
    AccountForm,
    BLOForm,
    CounterpartProposalForm,
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
    CounterpartProposal,
    Country,
    Crossing,
    PairingStatus,
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
    account_fields_fixed_to_editor,
    can,
    grantable_roles,
    may_answer_counterpart,
    may_end_counterpart_pair,
    may_import_registry,
    may_issue_password_reset,
    may_list_accounts,
    may_propose_counterpart,
    may_set_security_policy,
    may_withdraw_counterpart,
    visible,
)
from liaison.registry.signed_in import current_user
from liaison.registry.transfer import SHEETS, RegistryImportError, export_csv, export_xlsx
from liaison.registry.versioning import StaleEdit, conflict_form

# --- sign-in ------------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "registry/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = cast(User, form.get_user())
        services.record_login(user, self.request)
        for notice in services.take_reset_notices(user):
            messages.warning(
                self.request,
                _(
                    "Your password was reset by %(who)s on %(when)s. If you did not ask for "
                    "this, tell your national coordinator."
                )
                % {
                    "who": notice.issued_by.display_name if notice.issued_by else _("the system"),
                    "when": date_format(timezone.localtime(notice.issued_at), "DATETIME_FORMAT"),
                },
            )
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

    def read() -> dict[str, Any]:
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
        return {
            "my_blo": my_blo,
            "countries": list(countries),
            "blo_count": blos.count(),
            "colleague_count": visible(user, User).filter(is_active=True).count(),
        }

    # the reader's post, countries and counts: kept per reader until a write (liaison.caching)
    context = for_reader(user, "registry:home", read)
    return render(request, "registry/home.html", {**context, "panels": home_cards(request)})


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
    record(actor=user, action=AuditAction.VIEW, obj=country, summary=country.code, request=request)
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
    return _blo_page(request, user, access_blo(user, code))


def _blo_page(
    request: HttpRequest,
    user: User,
    blo: BLO,
    *,
    propose_form: CounterpartProposalForm | None = None,
    status: int = 200,
) -> HttpResponse:
    counterparts = visible(user, BLO).filter(counterparts=blo).select_related("country")
    hidden_counterparts = blo.counterparts.exclude(pk__in=counterparts.values("pk")).count()
    staff = (
        visible(user, User)
        .filter(blo=blo, is_active=True)
        .select_related("agency")
        .order_by("agency__name_en", "last_name")
    )
    pending = (
        visible(user, CounterpartProposal)
        .filter(Q(from_blo=blo) | Q(to_blo=blo), status=PairingStatus.PENDING)
        .select_related("from_blo__country", "to_blo__country", "proposed_by")
    )
    may_propose = may_propose_counterpart(user, blo)
    if propose_form is None and may_propose:
        propose_form = CounterpartProposalForm(eligible=services.eligible_counterparts(blo))
    return render(
        request,
        "registry/blo.html",
        {
            "blo": blo,
            "counterparts": [
                (pair, may_end_counterpart_pair(user, blo, pair)) for pair in counterparts
            ],
            "hidden_counterparts": hidden_counterparts,
            "incoming": [
                (p, may_answer_counterpart(user, p)) for p in pending if p.to_blo_id == blo.pk
            ],
            "outgoing": [
                (p, may_withdraw_counterpart(user, p)) for p in pending if p.from_blo_id == blo.pk
            ],
            "propose_form": propose_form if may_propose else None,
            "agencies": blo.agencies.all(),
            "crossings": visible(user, Crossing).filter(blo=blo),
            "staff": staff,
            "may_change": can(user, Action.CHANGE, blo),
            "may_add_crossing": can(user, Action.CREATE, Crossing(blo=blo)),
            "panels": blo_sections(request, blo),
        },
        status=status,
    )


def _pairing_refused(
    request: HttpRequest, user: User, blo: BLO, exc: ValidationError
) -> HttpResponse:
    for message in exc.messages:
        messages.error(request, message)
    return _blo_page(request, user, blo, status=400)


@login_required
@require_POST
def counterpart_propose(request: HttpRequest, code: str) -> HttpResponse:
    user = current_user(request)
    blo = access_blo(user, code)
    if not may_propose_counterpart(user, blo):
        raise PermissionDenied
    form = CounterpartProposalForm(request.POST, eligible=services.eligible_counterparts(blo))
    if not form.is_valid():
        return _blo_page(request, user, blo, propose_form=form, status=400)
    try:
        services.do_propose_counterpart(
            blo, form.cleaned_data["to_blo"], actor=user, request=request
        )
    except ValidationError as exc:
        return _pairing_refused(request, user, blo, exc)
    messages.success(
        request,
        _("Pairing proposed. It takes effect when the other side accepts it."),
    )
    return redirect(blo.get_absolute_url())


@login_required
@require_POST
def counterpart_answer(request: HttpRequest, pk: int, answer: str) -> HttpResponse:
    """Accept, refuse (the proposed side) or withdraw (the proposing side) a proposal."""
    user = current_user(request)
    proposal = access(user, CounterpartProposal, pk=pk)
    steps = {
        "accept": (services.do_accept_counterpart, proposal.to_blo, _("Pairing accepted.")),
        "refuse": (services.do_refuse_counterpart, proposal.to_blo, _("Pairing refused.")),
        "withdraw": (
            services.do_withdraw_counterpart,
            proposal.from_blo,
            _("Proposal withdrawn."),
        ),
    }
    if answer not in steps:
        raise Http404
    step, blo, done = steps[answer]
    try:
        step(proposal, actor=user, request=request)
    except ValidationError as exc:
        return _pairing_refused(request, user, blo, exc)
    messages.success(request, done)
    return redirect(blo.get_absolute_url())


@login_required
@require_POST
def counterpart_end(request: HttpRequest, code: str, other: str) -> HttpResponse:
    user = current_user(request)
    blo = access_blo(user, code)
    pair = access_blo(user, other)
    try:
        services.do_end_counterpart_pair(blo, pair, actor=user, request=request)
    except ValidationError as exc:
        return _pairing_refused(request, user, blo, exc)
    messages.success(request, _("Pairing ended. Nothing more is shared through it."))
    return redirect(blo.get_absolute_url())


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
    conflict: StaleEdit | None = None
    if request.method == "POST" and form.is_valid():
        blo = form.save(commit=False)
        try:
            services.do_save_blo(
                blo,
                agencies=form.cleaned_data["agencies"],
                expected_version=form.cleaned_data["version"],
                actor=user,
                request=request,
            )
        except StaleEdit as stale:
            conflict = stale
            saved = BLO.objects.get(pk=blo.pk)
            form = conflict_form(
                request, stale, lambda data: BLOForm(data, instance=saved, user=user)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except services.MoveDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect(blo.get_absolute_url())
    return render(
        request, "registry/blo_form.html", {"form": form, "blo": instance, "conflict": conflict}
    )


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
    conflict: StaleEdit | None = None
    if request.method == "POST" and form.is_valid():
        try:
            services.do_save_crossing(
                form.save(commit=False),
                expected_version=form.cleaned_data["version"],
                actor=user,
                request=request,
            )
        except StaleEdit as stale:
            conflict = stale
            saved = Crossing.objects.get(pk=crossing.pk)
            form = conflict_form(request, stale, lambda data: CrossingForm(data, instance=saved))
        except ValidationError as exc:
            form.add_error(None, exc)
        except services.MoveDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Saved."))
            return redirect(blo.get_absolute_url())
    return render(
        request,
        "registry/crossing_form.html",
        {"form": form, "blo": blo, "conflict": conflict},
    )


# --- accounts -----------------------------------------------------------------------------------


@login_required
def users(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    if not may_list_accounts(user):
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
            "accounts": [(a, may_issue_password_reset(user, a)) for a in accounts],
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
        if "blo" in account_fields_fixed_to_editor(user):
            account.blo_id = user.blo_id
    else:
        account = access_user(user, pk, Action.MANAGE_ACCOUNT)
    form = AccountForm(request.POST or None, instance=account, user=user)
    conflict: StaleEdit | None = None
    if request.method == "POST" and form.is_valid():
        creating = account.pk is None
        try:
            saved = services.do_save_account(
                form.save(commit=False),
                expected_version=form.cleaned_data["version"],
                actor=user,
                request=request,
            )
        except StaleEdit as stale:
            conflict = stale
            stored = User.objects.get(pk=account.pk)
            form = conflict_form(
                request, stale, lambda data: AccountForm(data, instance=stored, user=user)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        except services.MoveDenied as exc:
            form.add_error("agency", str(exc))
        except PermissionDenied:
            form.add_error("role", _("You may not give this role in this place."))
        else:
            if creating:
                return _first_sign_in(request, user, saved)
            messages.success(request, _("Saved."))
            return redirect("registry:users")
    return render(
        request,
        "registry/user_form.html",
        {
            "form": form,
            "account": account,
            "conflict": conflict,
            "may_reset": account.pk is not None and may_issue_password_reset(user, account),
        },
    )


def _first_sign_in(request: HttpRequest, user: User, account: User) -> HttpResponse:
    """A new account has no password: its user chooses one with a one-time link."""
    if not may_issue_password_reset(user, account):
        messages.success(
            request,
            _(
                "Account created. It has no password yet: the national coordinator of its "
                "country issues its first sign-in link."
            ),
        )
        return redirect("registry:users")
    issued = services.do_issue_password_reset(account, actor=user, request=request)
    return _show_reset_link(request, issued, created=True)


def _show_reset_link(
    request: HttpRequest, issued: services.IssuedReset, *, created: bool
) -> HttpResponse:
    # Rendered once, never redirected to: the link's secret is in no URL, session or log.
    link = request.build_absolute_uri(reverse("password_reset_use", args=[issued.token]))
    response = render(
        request,
        "registry/reset_issued.html",
        {"account": issued.reset.user, "link": link, "reset": issued.reset, "created": created},
    )
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def password_reset_issue(request: HttpRequest, pk: int) -> HttpResponse:
    user = current_user(request)
    account = access_user(user, pk)
    if not may_issue_password_reset(user, account):
        raise PermissionDenied(_("You may not reset this account's password."))
    issued = services.do_issue_password_reset(account, actor=user, request=request)
    return _show_reset_link(request, issued, created=False)


def password_reset_use(request: HttpRequest, token: str) -> HttpResponse:
    """Open to anyone holding the link: choose a new password, then be signed in."""
    reset = services.usable_reset(token)
    if reset is None:
        return render(request, "registry/reset_invalid.html", status=404)
    form = SetPasswordForm(reset.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.do_complete_password_reset(
                token, form.cleaned_data["new_password1"], request=request
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if request.user.is_authenticated:
                auth_logout(request)
            auth_login(request, account, backend="django.contrib.auth.backends.ModelBackend")
            services.record_login(account, request)
            messages.success(request, _("Your new password is set."))
            return redirect("home")
    response = render(
        request,
        "registry/reset_use.html",
        {"form": form, "reset": reset},
        status=400 if form.is_bound else 200,
    )
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    """The user changes their own password: the only way a password is set besides a link."""
    user = current_user(request)
    form = PasswordChangeForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        services.do_change_own_password(
            user, form.cleaned_data["new_password1"], actor=user, request=request
        )
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password is changed."))
        return redirect("account")
    return render(
        request,
        "registry/password_change.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


@login_required
def account(request: HttpRequest) -> HttpResponse:
    user = current_user(request)
    form = ProfileForm(request.POST or None, instance=user)
    conflict: StaleEdit | None = None
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name != "version"}
        try:
            services.do_update_own_profile(
                user,
                changes=changes,
                expected_version=form.cleaned_data["version"],
                actor=user,
                request=request,
            )
        except StaleEdit as stale:
            conflict = stale
            stored = User.objects.get(pk=user.pk)
            form = conflict_form(request, stale, lambda data: ProfileForm(data, instance=stored))
            return _account_page(request, stored, form, conflict)
        messages.success(request, _("Your profile is saved."))
        response = redirect("account")
        if "preferred_language" in changes:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language_for(user) or "",
                max_age=settings.LANGUAGE_COOKIE_AGE,
            )
        return response
    return _account_page(request, user, form, conflict)


def _account_page(
    request: HttpRequest, user: User, form: ProfileForm, conflict: StaleEdit | None
) -> HttpResponse:
    return render(
        request,
        "registry/account.html",
        {
            "form": form,
            "conflict": conflict,
            "has_two_factor": TOTPDevice.objects.filter(user=user, confirmed=True).exists(),
            "panels": account_sections(request, user),
            "two_factor_required": services.two_factor_required(user),
            "last_reset": services.last_password_reset(user),
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
            if summary.pairs_proposed or summary.pairs_ended:
                messages.info(
                    request,
                    _(
                        "Counterpart pairs: %(proposed)s proposed (each waits for the other "
                        "side to accept), %(ended)s ended."
                    )
                    % {"proposed": summary.pairs_proposed, "ended": summary.pairs_ended},
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
