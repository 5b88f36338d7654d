"""Every write to the registry and to accounts. Each service checks permission, writes, and records
its audit entry in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.forms.models import model_to_dict
from django.http import HttpRequest
from django.utils.translation import gettext as _

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.registry.models import BLO, Crossing, Role, RoleSecurityPolicy, User
from liaison.registry.permissions import Action, require
from liaison.registry.transfer import ImportSummary, import_registry, read_upload

# Fields never written to the audit log, whatever model they belong to.
_SECRET_FIELDS = {"password"}


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
    actor: User,
    m2m: Mapping[str, Iterable[models.Model]] | None = None,
    request: HttpRequest | None = None,
) -> None:
    creating = obj.pk is None
    before: dict[str, Any] = {}
    if not creating:
        previous = obj._meta.model._default_manager.get(pk=obj.pk)
        before = snapshot(previous)
    obj.full_clean()
    obj.save()
    for name, values in (m2m or {}).items():
        getattr(obj, name).set(values)
    after = snapshot(obj)
    record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.CHANGE,
        obj=obj,
        summary=str(obj),
        changes=after if creating else changed_fields(before, after),
        request=request,
    )


@transaction.atomic
def do_save_blo(
    blo: BLO,
    *,
    agencies: Iterable[models.Model] | None = None,
    counterparts: Iterable[BLO] | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> BLO:
    require(actor, Action.CREATE if blo.pk is None else Action.CHANGE, blo)
    m2m: dict[str, Iterable[models.Model]] = {}
    if agencies is not None:
        m2m["agencies"] = list(agencies)
    if counterparts is not None:
        pairs = list(counterparts)
        if any(pair.country_id == blo.country_id for pair in pairs):
            raise ValidationError(
                {"counterparts": _("A counterpart BLO is across the border, in another country.")}
            )
        m2m["counterparts"] = pairs
    _save_with_audit(blo, actor=actor, m2m=m2m, request=request)
    return blo


@transaction.atomic
def do_save_crossing(
    crossing: Crossing, *, actor: User, request: HttpRequest | None = None
) -> Crossing:
    require(actor, Action.CREATE if crossing.pk is None else Action.CHANGE, crossing)
    _save_with_audit(crossing, actor=actor, request=request)
    return crossing


@transaction.atomic
def do_save_account(
    account: User,
    *,
    password: str | None = None,
    actor: User,
    request: HttpRequest | None = None,
) -> User:
    """Create or change another person's account (role, scope, profile)."""
    creating = account.pk is None
    if creating or account.pk != actor.pk:
        require(actor, Action.CREATE if creating else Action.MANAGE_ACCOUNT, account)
    else:
        # Changing one's own account here may not change one's role or scope.
        stored = User.objects.get(pk=account.pk)
        for field in ("role", "country_id", "blo_id", "agency_id", "is_active"):
            setattr(account, field, getattr(stored, field))
    if password:
        account.set_password(password)
    elif creating:
        account.set_unusable_password()
    _save_with_audit(account, actor=actor, request=request)
    return account


@transaction.atomic
def do_update_own_profile(
    user: User,
    *,
    changes: Mapping[str, Any],
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
    for key, value in changes.items():
        setattr(user, key, value)
    _save_with_audit(user, actor=actor, request=request)
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
    if actor.role != Role.SYSTEM_ADMINISTRATOR:
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
    """Import a registry workbook or CSV: all of it, or nothing (RegistryImportError)."""
    return import_registry(read_upload(raw, filename), actor=actor)
