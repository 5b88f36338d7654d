"""Every write to the registry and to accounts. Each service checks permission, writes, and records
its audit entry in the same transaction."""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.registry.borders import neighbours, share_land_border
from liaison.registry.models import (
    BLO,
    Agency,
    Cluster,
    CounterpartProposal,
    Country,
    Crossing,
    PairingStatus,
    PasswordReset,
    Province,
    Role,
    RoleSecurityPolicy,
    User,
)
from liaison.registry.permissions import (
    Action,
    can,
    may_answer_counterpart,
    may_end_counterpart_pair,
    may_issue_password_reset,
    may_propose_counterpart,
    may_reassign_account,
    may_set_security_policy,
    may_withdraw_counterpart,
    require,
)
from liaison.registry.versioning import StaleEdit, check_version, displayed

if TYPE_CHECKING:
    from liaison.registry.transfer import ImportSummary

# Fields never written to the audit log, whatever model they belong to.
_SECRET_FIELDS = {"password"}

# The rows whose edit forms carry the version their editor opened.
VERSIONED = (BLO, Crossing, User)
__all__ = ["StaleEdit"]


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    data = model_to_dict(obj, fields=list(fields) if fields is not None else None)
    for key, value in list(data.items()):
        if key in _SECRET_FIELDS:
            del data[key]
        elif isinstance(value, list):
            data[key] = sorted(getattr(v, "pk", v) for v in value)
        elif isinstance(value, models.Model):
            data[key] = value.pk
    return data


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    return {
        key: {"from": before.get(key), "to": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def _save_with_audit(
    obj: models.Model,
    *,
    stored: models.Model | None,
    actor: User,
    m2m: Mapping[str, Iterable[models.Model]] | None = None,
    request: HttpRequest | None = None,
    expected_version: int | None = None,
) -> None:
    """Validate, save and record ``obj``; ``stored`` is its locked row before the change.

    A versioned row (BLO, crossing, account) is refused with ``StaleEdit`` when ``stored`` is no
    longer the version the editor opened (``expected_version``)."""
    before = snapshot(stored) if stored is not None else {}
    if isinstance(stored, VERSIONED) and isinstance(obj, VERSIONED):
        names = [
            name
            for name in before
            if not obj._meta.get_field(name).many_to_many and name not in {"last_login"}
        ]
        saved_row: models.Model = stored
        obj.version = check_version(
            stored,
            expected_version,
            lambda: displayed(saved_row, names),
            lambda: displayed(obj, names),
        )
    obj.full_clean()
    obj.save()
    for name, values in (m2m or {}).items():
        getattr(obj, name).set(values)
    after = snapshot(obj)
    record(
        actor=actor,
        action=AuditAction.CREATE if stored is None else AuditAction.CHANGE,
        obj=obj,
        summary=str(obj),
        changes=after if stored is None else changed_fields(before, after),
        request=request,
    )


class MoveDenied(PermissionDenied):
    """A change that moves a record to another country or BLO, refused; ``field`` names how."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def _stored[M: models.Model](obj: M) -> M | None:
    """The row as it is in the database, locked until the end of the transaction."""
    if obj.pk is None:
        return None
    manager = cast("models.Manager[M]", obj._meta.model._default_manager)
    return manager.select_for_update().filter(pk=obj.pk).first()


def _authorise_write(
    actor: User, obj: models.Model, stored: models.Model | None, scope: str
) -> None:
    """Require the action on the stored row and on the new one.

    An edit is CHANGE of both states. A change of ``scope`` (a BLO's or agency's country, a
    crossing's BLO) is what it is: taking the row out of one scope (DELETE there) and putting it
    into another (CREATE there), so nobody moves a row out of a scope they do not keep, or into
    one they do not keep.
    """
    if stored is None:
        require(actor, Action.CREATE, obj)
        return
    require(actor, Action.CHANGE, stored)
    scope_id = f"{scope}_id"
    if getattr(stored, scope_id) == getattr(obj, scope_id):
        require(actor, Action.CHANGE, obj)
        return
    if not (can(actor, Action.DELETE, stored) and can(actor, Action.CREATE, obj)):
        raise MoveDenied(
            _("Moving %(code)s to another %(what)s needs rights over both; you may not.")
            % {"code": getattr(obj, "code", obj.pk), "what": _scope_label(scope)},
            scope,
        )


def _scope_label(scope: str) -> str:
    return {"country": _("country"), "blo": _("BLO")}.get(scope, scope)


@transaction.atomic
def do_save_country(
    country: Country, *, actor: User, request: HttpRequest | None = None
) -> Country:
    stored = _stored(country)
    if stored is not None and stored.code != country.code:
        raise ValidationError({"code": _("A country's code does not change.")})
    require(actor, Action.CREATE if stored is None else Action.CHANGE, stored or country)
    _save_with_audit(country, stored=stored, actor=actor, request=request)
    return country


def _save_country_owned[M: Province | Cluster | Agency](
    obj: M, *, actor: User, request: HttpRequest | None
) -> M:
    stored = _stored(obj)
    if stored is not None and stored.code != obj.code:
        raise ValidationError({"code": _("A code does not change; it is how the record is found.")})
    _authorise_write(actor, obj, stored, "country")
    if (
        isinstance(stored, Agency)
        and stored.country_id != obj.country_id
        and stored.officers.exists()
    ):
        raise ValidationError(
            {"country": _("This agency has accounts; it cannot move to another country.")}
        )
    _save_with_audit(obj, stored=stored, actor=actor, request=request)
    return obj


@transaction.atomic
def do_save_province(
    province: Province, *, actor: User, request: HttpRequest | None = None
) -> Province:
    return _save_country_owned(province, actor=actor, request=request)


@transaction.atomic
def do_save_cluster(
    cluster: Cluster, *, actor: User, request: HttpRequest | None = None
) -> Cluster:
    return _save_country_owned(cluster, actor=actor, request=request)


@transaction.atomic
def do_save_agency(agency: Agency, *, actor: User, request: HttpRequest | None = None) -> Agency:
    return _save_country_owned(agency, actor=actor, request=request)


@transaction.atomic
def do_save_blo(
    blo: BLO,
    *,
    agencies: Iterable[Agency] | None = None,
    expected_version: int | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> BLO:
    """Create or change a BLO and the agencies stationed there. Its counterparts are not set
    here: pairs are proposed and accepted (``do_propose_counterpart``)."""
    stored = _stored(blo)
    if stored is not None and stored.code != blo.code:
        raise ValidationError({"code": _("A code does not change; it is how the record is found.")})
    _authorise_write(actor, blo, stored, "country")
    if stored is not None and stored.country_id != blo.country_id and _has_open_pairing(blo):
        raise ValidationError(
            {
                "country": _(
                    "End this BLO's counterpart pairs and proposals before moving it to another "
                    "country: they were agreed for its present country."
                )
            }
        )
    m2m: dict[str, Iterable[models.Model]] = {}
    if agencies is not None:
        stationed = list(agencies)
        foreign = [a.code for a in stationed if a.country_id != blo.country_id]
        if foreign:
            raise ValidationError(
                {
                    "agencies": _("These agencies are not of the BLO's country: %(codes)s")
                    % {"codes": ", ".join(foreign)}
                }
            )
        m2m["agencies"] = stationed
    elif stored is not None and stored.country_id != blo.country_id:
        m2m["agencies"] = []  # the old country's agencies do not follow the post abroad
    _save_with_audit(
        blo,
        stored=stored,
        actor=actor,
        m2m=m2m,
        request=request,
        expected_version=expected_version,
    )
    return blo


@transaction.atomic
def do_save_crossing(
    crossing: Crossing,
    *,
    expected_version: int | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> Crossing:
    stored = _stored(crossing)
    if stored is not None and stored.code != crossing.code:
        raise ValidationError({"code": _("A code does not change; it is how the record is found.")})
    _authorise_write(actor, crossing, stored, "blo")
    _save_with_audit(
        crossing, stored=stored, actor=actor, request=request, expected_version=expected_version
    )
    return crossing


# --- counterpart pairing ------------------------------------------------------------------------


def _has_open_pairing(blo: BLO) -> bool:
    return (
        blo.counterparts.exists()
        or CounterpartProposal.objects.filter(
            Q(from_blo=blo) | Q(to_blo=blo), status__in=OPEN_PAIRING
        ).exists()
    )


OPEN_PAIRING = [PairingStatus.PENDING, PairingStatus.ACCEPTED]


def _between(blo: BLO, other: BLO) -> Q:
    return Q(from_blo=blo, to_blo=other) | Q(from_blo=other, to_blo=blo)


def _lock_blos(*blos: BLO) -> list[BLO]:
    """Lock the BLOs' rows (in one order, so two pairings never deadlock) and reload them."""
    locked = {b.pk: b for b in BLO.objects.select_for_update().filter(pk__in=[b.pk for b in blos])}
    return [locked[b.pk] for b in blos]


def pairing_problem(blo: BLO, other: BLO) -> str | None:
    """Why two BLOs cannot be paired, or None: two posts across a land border, both open."""
    if blo.pk == other.pk:
        return _("A BLO is not its own counterpart.")
    if blo.country_id == other.country_id:
        return _("%(code)s is in the same country; a counterpart is across the border.") % {
            "code": other.code
        }
    if not share_land_border(blo.country.code, other.country.code):
        return _("%(a)s and %(b)s share no land border; their posts cannot be counterparts.") % {
            "a": blo.country.name_en,
            "b": other.country.name_en,
        }
    if not (blo.active and other.active):
        return _("A closed BLO takes no new counterpart.")
    return None


def eligible_counterparts(blo: BLO) -> QuerySet[BLO]:
    """The BLOs ``blo`` could propose to: open posts across a land border, not already paired
    with it and with no proposal pending between them."""
    open_with = CounterpartProposal.objects.filter(
        Q(from_blo=blo) | Q(to_blo=blo), status__in=OPEN_PAIRING
    )
    taken = {*open_with.values_list("from_blo_id", flat=True)}
    taken |= {*open_with.values_list("to_blo_id", flat=True)}
    taken |= set(blo.counterparts.values_list("pk", flat=True))
    return (
        BLO.objects.filter(active=True, country__code__in=neighbours(blo.country.code))
        .exclude(pk__in=taken | {blo.pk})
        .select_related("country")
        .order_by("country__name_en", "name_en")
    )


def _record_pairing(
    proposal: CounterpartProposal,
    *,
    actor: User | None,
    before: str,
    request: HttpRequest | None,
    username: str = "",
    action: AuditAction | None = None,
) -> None:
    record(
        actor=actor,
        action=action or (AuditAction.CREATE if not before else AuditAction.CHANGE),
        obj=proposal,
        summary=_("Counterpart pairing %(pair)s: %(status)s")
        % {"pair": str(proposal), "status": PairingStatus(proposal.status).label},
        changes={
            "from_blo": proposal.from_blo.code,
            "to_blo": proposal.to_blo.code,
            "status": {"from": before or None, "to": proposal.status},
        },
        request=request,
        username=username,
    )


@transaction.atomic
def do_propose_counterpart(
    from_blo: BLO, to_blo: BLO, *, actor: User, request: HttpRequest | None = None
) -> CounterpartProposal:
    """``from_blo``'s side proposes to pair with ``to_blo``; nothing is shared until the other
    side accepts (``do_accept_counterpart``)."""
    from_blo, to_blo = _lock_blos(from_blo, to_blo)
    if not may_propose_counterpart(actor, from_blo):
        raise PermissionDenied(
            _("Only the head of %(code)s or its country's coordinator may propose its pairs.")
            % {"code": from_blo.code}
        )
    problem = pairing_problem(from_blo, to_blo)
    if problem:
        raise ValidationError({"to_blo": problem})
    existing = CounterpartProposal.objects.filter(
        _between(from_blo, to_blo), status__in=OPEN_PAIRING
    ).first()
    if existing is not None or from_blo.counterparts.filter(pk=to_blo.pk).exists():
        if existing is not None and existing.status == PairingStatus.PENDING:
            if existing.from_blo_id == to_blo.pk:
                message = _("%(code)s has already proposed this pair: answer its proposal.")
            else:
                message = _("This pair is already proposed to %(code)s.")
        else:
            message = _("%(code)s is already a counterpart.")
        raise ValidationError({"to_blo": message % {"code": to_blo.code}})
    proposal = CounterpartProposal.objects.create(
        from_blo=from_blo, to_blo=to_blo, proposed_by=actor, status=PairingStatus.PENDING
    )
    _record_pairing(proposal, actor=actor, before="", request=request)
    return proposal


def _lock_proposal(proposal: CounterpartProposal) -> CounterpartProposal:
    locked = (
        CounterpartProposal.objects.select_for_update()
        .select_related("from_blo__country", "to_blo__country")
        .get(pk=proposal.pk)
    )
    _lock_blos(locked.from_blo, locked.to_blo)
    return locked


def _refuse_unless_pending(proposal: CounterpartProposal) -> None:
    if proposal.status != PairingStatus.PENDING:
        raise ValidationError(
            _("This proposal is no longer waiting for an answer (%(status)s).")
            % {"status": PairingStatus(proposal.status).label}
        )


def _answer_counterpart(
    proposal: CounterpartProposal,
    status: PairingStatus,
    *,
    actor: User,
    request: HttpRequest | None,
) -> CounterpartProposal:
    """The proposed side's head or coordinator answers a pending proposal."""
    proposal = _lock_proposal(proposal)
    if not may_answer_counterpart(actor, proposal):
        raise PermissionDenied(
            _("Only the head of %(code)s or its country's coordinator may answer this proposal.")
            % {"code": proposal.to_blo.code}
        )
    _refuse_unless_pending(proposal)
    if status == PairingStatus.ACCEPTED:
        problem = pairing_problem(proposal.from_blo, proposal.to_blo)
        if problem:
            raise ValidationError(problem)
    proposal.status = status
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    if status == PairingStatus.ACCEPTED:
        proposal.from_blo.counterparts.add(proposal.to_blo)
    _record_pairing(proposal, actor=actor, before=PairingStatus.PENDING, request=request)
    return proposal


@transaction.atomic
def do_accept_counterpart(
    proposal: CounterpartProposal, *, actor: User, request: HttpRequest | None = None
) -> CounterpartProposal:
    """The proposed side's head or coordinator accepts: from now on the two posts are paired."""
    return _answer_counterpart(proposal, PairingStatus.ACCEPTED, actor=actor, request=request)


@transaction.atomic
def do_refuse_counterpart(
    proposal: CounterpartProposal, *, actor: User, request: HttpRequest | None = None
) -> CounterpartProposal:
    return _answer_counterpart(proposal, PairingStatus.REFUSED, actor=actor, request=request)


@transaction.atomic
def do_withdraw_counterpart(
    proposal: CounterpartProposal, *, actor: User, request: HttpRequest | None = None
) -> CounterpartProposal:
    proposal = _lock_proposal(proposal)
    if not may_withdraw_counterpart(actor, proposal):
        raise PermissionDenied(_("Only the proposing side may withdraw this proposal."))
    _refuse_unless_pending(proposal)
    proposal.status = PairingStatus.WITHDRAWN
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    _record_pairing(proposal, actor=actor, before=PairingStatus.PENDING, request=request)
    return proposal


@transaction.atomic
def do_end_counterpart_pair(
    blo: BLO, other: BLO, *, actor: User, request: HttpRequest | None = None
) -> CounterpartProposal:
    """Either side ends a pair on its own: narrowing is always allowed. Sharing through the pair
    stops at once (every read filter follows ``BLO.counterparts``)."""
    blo, other = _lock_blos(blo, other)
    if not may_end_counterpart_pair(actor, blo, other):
        raise PermissionDenied(
            _("Only the head or the coordinator of either side may end this pair.")
        )
    paired = blo.counterparts.filter(pk=other.pk).exists()
    proposal = (
        CounterpartProposal.objects.select_for_update()
        .filter(_between(blo, other), status=PairingStatus.ACCEPTED)
        .first()
    )
    if not paired and proposal is None:
        raise ValidationError(
            _("%(a)s and %(b)s are not paired.") % {"a": blo.code, "b": other.code}
        )
    blo.counterparts.remove(other)
    if proposal is None:  # a pair without its record: record its end all the same
        proposal = CounterpartProposal(from_blo=blo, to_blo=other)
    proposal.status = PairingStatus.ENDED
    proposal.ended_by = actor
    proposal.ended_at = timezone.now()
    proposal.save()
    _record_pairing(proposal, actor=actor, before=PairingStatus.ACCEPTED, request=request)
    return proposal


def seed_accepted_counterpart_pair(left: BLO, right: BLO, *, source: str) -> CounterpartProposal:
    """Record a pair agreed outside the application — the demo network, a test world — as
    accepted. Checks the border, not any user's rights: call it only from a seed loader."""
    problem = pairing_problem(left, right)
    if problem:
        raise ValueError(problem)
    with transaction.atomic():
        proposal = CounterpartProposal.objects.filter(
            _between(left, right), status=PairingStatus.ACCEPTED
        ).first()
        if proposal is None:
            proposal = CounterpartProposal.objects.create(
                from_blo=left,
                to_blo=right,
                status=PairingStatus.ACCEPTED,
                decided_at=timezone.now(),
            )
            _record_pairing(
                proposal,
                actor=None,
                before="",
                request=None,
                username=source,
                action=AuditAction.IMPORT,  # brought in from outside, like the rest of a seed
            )
        left.counterparts.add(right)
    return proposal


# --- accounts -----------------------------------------------------------------------------------

_SCOPE_FIELDS = ("role", "country_id", "blo_id", "agency_id", "is_active")


@transaction.atomic
def do_save_account(
    account: User,
    *,
    expected_version: int | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> User:
    """Create or change an account's role, scope and profile. Never its password: a new account
    gets none (the creator issues a sign-in link, ``do_issue_password_reset``) and a stored one
    keeps its own."""
    stored = _stored(account)
    if stored is not None and stored.pk == actor.pk:
        # Changing one's own account here may not change one's role or scope.
        for field in _SCOPE_FIELDS:
            setattr(account, field, getattr(stored, field))
    elif stored is None:
        require(actor, Action.CREATE, account)
    else:
        require(actor, Action.MANAGE_ACCOUNT, stored)
        require(actor, Action.MANAGE_ACCOUNT, account)
        moved = any(
            getattr(stored, f) != getattr(account, f) for f in ("country_id", "blo_id", "agency_id")
        )
        if moved and not (
            may_reassign_account(actor, stored) and may_reassign_account(actor, account)
        ):
            raise MoveDenied(
                _("Only the national coordinator moves an account to another agency or post."),
                "agency",
            )
    if stored is None:
        account.set_unusable_password()
    else:
        account.password = stored.password  # whatever a caller set, the password is not theirs
    _save_with_audit(
        account, stored=stored, actor=actor, request=request, expected_version=expected_version
    )
    if stored is not None and any(getattr(stored, f) != getattr(account, f) for f in _SCOPE_FIELDS):
        # A link issued for the account as it was must not open the account as it is now.
        _revoke_resets(account)
    return account


RESET_LIFETIME = datetime.timedelta(hours=72)


@dataclass(frozen=True)
class IssuedReset:
    """A reset just issued, with the link's secret: shown once to the issuer, stored nowhere."""

    reset: PasswordReset
    token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _revoke_resets(account: User) -> None:
    PasswordReset.objects.filter(user=account, used_at=None, revoked_at=None).update(
        revoked_at=timezone.now()
    )


@transaction.atomic
def do_issue_password_reset(
    account: User, *, actor: User, request: HttpRequest | None = None
) -> IssuedReset:
    """Issue a one-time sign-in link (72 hours) for ``account``.

    The account's password stops working and every session it has ends (Django ties a session
    to the password hash), so whoever held the old password or a session is out; earlier links
    die. The user chooses a new password with the link and is told, at the next sign-in, who
    reset it and when.
    """
    stored = User.objects.select_for_update().get(pk=account.pk)
    if not may_issue_password_reset(actor, stored):
        raise PermissionDenied(_("You may not reset this account's password."))
    _revoke_resets(stored)
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    reset = PasswordReset.objects.create(
        user=stored,
        token_hash=_token_hash(token),
        issued_by=actor,
        issued_at=now,
        expires_at=now + RESET_LIFETIME,
    )
    stored.set_unusable_password()
    stored.save(update_fields=["password"])
    record(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=stored,
        summary=_("Password reset: one-time sign-in link issued"),
        changes={"password_reset": {"expires_at": reset.expires_at.isoformat()}},
        request=request,
    )
    return IssuedReset(reset=reset, token=token)


def usable_reset(token: str) -> PasswordReset | None:
    """The reset a link's secret opens, if it is still unused, unrevoked and unexpired."""
    if not token or len(token) > 100:
        return None
    reset = (
        PasswordReset.objects.select_related("user", "issued_by")
        .filter(token_hash=_token_hash(token))
        .first()
    )
    if reset is None or not reset.is_usable() or not reset.user.is_active:
        return None
    return reset


@transaction.atomic
def do_complete_password_reset(
    token: str, new_password: str, *, request: HttpRequest | None = None
) -> User:
    """The user, holding the link, chooses a new password; the link dies with its first use."""
    found = usable_reset(token)
    if found is None:
        raise ValidationError(_("This sign-in link is not valid: it has expired or was used."))
    reset = PasswordReset.objects.select_for_update().get(pk=found.pk)
    if not reset.is_usable():
        raise ValidationError(_("This sign-in link is not valid: it has expired or was used."))
    user = User.objects.select_for_update().get(pk=reset.user_id)
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    reset.used_at = timezone.now()
    reset.save(update_fields=["used_at"])
    _revoke_resets(user)
    record(
        actor=user,
        action=AuditAction.CHANGE,
        obj=user,
        summary=_("Password set with a one-time sign-in link"),
        changes={"password_reset": {"used": reset.pk}},
        request=request,
    )
    return user


@transaction.atomic
def do_change_own_password(
    user: User, new_password: str, *, actor: User, request: HttpRequest | None = None
) -> User:
    """A user changes their own password (the form has checked the old one)."""
    if actor.pk != user.pk:
        raise PermissionDenied(_("No one but the user sets their password."))
    password_validation.validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    _revoke_resets(user)
    record(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=user,
        summary=_("Password changed by its user"),
        request=request,
    )
    return user


def take_reset_notices(user: User) -> list[PasswordReset]:
    """Resets of the user's password not yet shown to them; shown once, at a sign-in."""
    notices = list(
        PasswordReset.objects.filter(user=user, notified_at=None)
        .select_related("issued_by")
        .order_by("issued_at")
    )
    if notices:
        PasswordReset.objects.filter(pk__in=[n.pk for n in notices]).update(
            notified_at=timezone.now()
        )
    return notices


def last_password_reset(user: User) -> PasswordReset | None:
    return PasswordReset.objects.filter(user=user).select_related("issued_by").first()


@transaction.atomic
def do_update_own_profile(
    user: User,
    *,
    changes: Mapping[str, Any],
    expected_version: int | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> User:
    """An officer's own profile: contact and language fields only, never role or scope."""
    allowed = {"first_name", "last_name", "email", "rank", "position", "languages_spoken"}
    allowed |= {"preferred_language", "at_station_since"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not a profile field: {', '.join(sorted(unknown))}")
    require(actor, Action.CHANGE, user)
    stored = _stored(user)
    for key, value in changes.items():
        setattr(user, key, value)
    _save_with_audit(
        user, stored=stored, actor=actor, request=request, expected_version=expected_version
    )
    return user


@transaction.atomic
def do_set_preferred_language(
    user: User, language: str, *, actor: User, request: HttpRequest | None = None
) -> None:
    if user.preferred_language != language:
        do_update_own_profile(
            user, changes={"preferred_language": language}, actor=actor, request=request
        )


@transaction.atomic
def do_set_role_policy(
    role: Role, *, require_two_factor: bool, actor: User, request: HttpRequest | None = None
) -> RoleSecurityPolicy:
    if not may_set_security_policy(actor):
        raise PermissionDenied
    policy, _created = RoleSecurityPolicy.objects.get_or_create(role=role)
    before = policy.require_two_factor
    policy.require_two_factor = require_two_factor
    policy.save()
    record(
        actor=actor,
        action=AuditAction.TWO_FACTOR,
        obj=policy,
        summary=str(role.label),
        changes={"require_two_factor": {"from": before, "to": require_two_factor}},
        request=request,
    )
    return policy


def record_login(user: User, request: HttpRequest) -> None:
    record(actor=user, action=AuditAction.LOGIN, obj=user, summary=user.username, request=request)


def record_failed_login(username: str, request: HttpRequest) -> None:
    record(
        actor=None,
        action=AuditAction.LOGIN_FAILED,
        object_type="registry.User",
        summary=username[:150],
        username=username,
        request=request,
    )


def record_logout(user: User, request: HttpRequest) -> None:
    record(actor=user, action=AuditAction.LOGOUT, obj=user, summary=user.username, request=request)


def two_factor_required(user: User) -> bool:
    return RoleSecurityPolicy.objects.filter(role=user.role, require_two_factor=True).exists()


def do_import_registry(raw: bytes, filename: str, *, actor: User) -> ImportSummary:
    """Import a registry workbook or CSV: all of it, or nothing (RegistryImportError). Each row
    goes through the services above, with their checks and audit entries."""
    from liaison.registry.transfer import import_registry, read_upload  # it calls these services

    return import_registry(read_upload(raw, filename), actor=actor)
