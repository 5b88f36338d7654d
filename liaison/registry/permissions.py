"""The one permission layer: "may user U do A on object O" and "which objects may U see".

Every view, API endpoint, export and count goes through this module. Visibility is a queryset
filter evaluated in SQL; ``can(user, VIEW, obj)`` is answered by that same filter, so the list a
user sees and the pages they may open never disagree.

Other apps register a policy for their own models with ``register``; the scope primitives here
(country → BLO → agency, and the counterpart pairing) are the only place scope is computed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol

from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from liaison.registry.models import (
    BLO,
    Agency,
    Cluster,
    CounterpartProposal,
    Country,
    Crossing,
    Province,
    Role,
    User,
)

AnyUser = User | AnonymousUser


class Action(models.TextChoices):
    VIEW = "view", _("view")
    CREATE = "create", _("create")
    CHANGE = "change", _("change")
    DELETE = "delete", _("delete")
    EXPORT = "export", _("export")
    IMPORT = "import", _("import")
    MANAGE_ACCOUNT = "manage_account", _("manage the account")
    VIEW_AUDIT = "view_audit", _("view the audit log")
    SHARE = "share", _("share")
    ACKNOWLEDGE = "acknowledge", _("acknowledge")
    ANSWER = "answer", _("answer")


class Policy(Protocol):
    def visible(self, user: User) -> Q:
        """A filter selecting the rows ``user`` may see."""
        ...

    def allows(self, user: User, action: Action, obj: Any) -> bool:
        """Whether ``user`` may do ``action`` (other than VIEW) on ``obj``."""
        ...


_POLICIES: dict[type[models.Model], Policy] = {}


def register(model: type[models.Model]) -> Callable[[type[Any]], type[Any]]:
    def decorate(policy_class: type[Any]) -> type[Any]:
        _POLICIES[model] = policy_class()
        return policy_class

    return decorate


def _policy_for(model: type[models.Model]) -> Policy:
    try:
        return _POLICIES[model]
    except KeyError:
        raise LookupError(f"no permission policy registered for {model.__name__}") from None


def _administrators_see_all(policy: Policy) -> bool:
    """Administrators see every row of the registry; a policy of operational records sets
    ``administrators_see_all = False``, so what an SOP restricts is restricted for them too."""
    return bool(getattr(policy, "administrators_see_all", True))


def _active(user: AnyUser) -> User | None:
    if isinstance(user, User) and user.is_authenticated and user.is_active:
        return user
    return None


# --- scope primitives ---------------------------------------------------------------------------


def is_network_wide(user: User) -> bool:
    return Role(user.role).is_network_wide


def is_admin(user: User) -> bool:
    return user.role == Role.SYSTEM_ADMINISTRATOR


def reachable_blo_ids(user: User) -> QuerySet[BLO, int]:
    """BLOs a country-scoped user works with: their own country's, and the counterparts of theirs.

    A national coordinator's own BLOs are the whole country; an officer's or head's is their post.
    """
    own = Q(country_id=user.country_id)
    if user.role == Role.NATIONAL_COORDINATOR:
        counterparts = Q(counterparts__country_id=user.country_id)
    else:
        counterparts = Q(counterparts__id=user.blo_id) if user.blo_id else Q(pk__in=[])
    return BLO.objects.filter(own | counterparts).values_list("id", flat=True).distinct()


def counterpart_blo_ids(user: User) -> QuerySet[BLO, int]:
    """The user's own BLO(s) and the BLOs paired with them across the border."""
    if user.role == Role.NATIONAL_COORDINATOR:
        own = Q(country_id=user.country_id)
        pairs = Q(counterparts__country_id=user.country_id)
    else:
        own = Q(pk=user.blo_id)
        pairs = Q(counterparts__id=user.blo_id)
    return BLO.objects.filter(own | pairs).values_list("id", flat=True).distinct()


def coordinates_country(user: User, country_id: int | None) -> bool:
    return user.role == Role.NATIONAL_COORDINATOR and country_id == user.country_id


def heads_blo(user: User, blo_id: int | None) -> bool:
    return user.role == Role.HEAD_OF_BLO and blo_id is not None and blo_id == user.blo_id


# --- public API ---------------------------------------------------------------------------------


def visible[M: models.Model](
    user: AnyUser, model_or_queryset: type[M] | QuerySet[M]
) -> QuerySet[M]:
    """The rows of a model (or a narrower queryset) that ``user`` may see, filtered in SQL."""
    if isinstance(model_or_queryset, QuerySet):
        queryset = model_or_queryset
    else:
        queryset = model_or_queryset._default_manager.all()
    active = _active(user)
    if active is None:
        return queryset.none()
    policy = _policy_for(queryset.model)
    if is_admin(active) and _administrators_see_all(policy):
        return queryset
    return queryset.filter(policy.visible(active))


def can(user: AnyUser, action: Action, obj: models.Model) -> bool:
    active = _active(user)
    if active is None:
        return False
    if action == Action.VIEW:
        if obj.pk is None:
            return False
        return visible(active, obj._meta.model).filter(pk=obj.pk).exists()
    # _meta.model, not type(): request.user arrives wrapped in a SimpleLazyObject
    policy = _policy_for(obj._meta.model)
    if is_admin(active) and _administrators_see_all(policy):
        return True
    return policy.allows(active, action, obj)


def access[M: models.Model](
    user: AnyUser,
    model: type[M],
    action: Action = Action.VIEW,
    *,
    disclose: bool = False,
    **lookup: Any,
) -> M:
    """Fetch one object the user may see and act on.

    Not visible → 404, so the object's existence is not disclosed; with ``disclose`` (for the
    network registry, whose structure is no secret) → 403. Visible but not allowed → 403.
    """
    try:
        obj = visible(user, model).get(**lookup)
    except model.DoesNotExist:  # type: ignore[attr-defined]
        if disclose and model._default_manager.filter(**lookup).exists():
            raise PermissionDenied(_("This is outside your country, BLO or agency.")) from None
        raise Http404(_("Not found, or not shared with you.")) from None
    if action != Action.VIEW and not can(user, action, obj):
        raise PermissionDenied(_("You may not %(action)s this.") % {"action": action.label})
    return obj


def require(user: AnyUser, action: Action, obj: models.Model) -> None:
    if not can(user, action, obj):
        raise PermissionDenied(_("You may not %(action)s this.") % {"action": action.label})


def access_country(user: AnyUser, code: str, action: Action = Action.VIEW) -> Country:
    return access(user, Country, action, disclose=True, code=code)


def access_blo(user: AnyUser, code: str, action: Action = Action.VIEW) -> BLO:
    return access(user, BLO, action, disclose=True, code=code)


def access_user(user: AnyUser, pk: int, action: Action = Action.VIEW) -> User:
    return access(user, User, action, pk=pk)


def grantable_roles(user: AnyUser) -> list[Role]:
    """Roles this user may give to an account: strictly below their own, or any for an admin."""
    active = _active(user)
    if active is None:
        return []
    mine = Role(active.role)
    if mine == Role.SYSTEM_ADMINISTRATOR:
        return list(Role)
    if mine == Role.NATIONAL_COORDINATOR:
        return [Role.OFFICER, Role.HEAD_OF_BLO]
    if mine == Role.HEAD_OF_BLO:
        return [Role.OFFICER]
    return []


# --- policies of the registry -------------------------------------------------------------------


class RegistryPolicy:
    administrators_see_all = True


@register(Country)
class CountryPolicy(RegistryPolicy):
    def visible(self, user: User) -> Q:
        if is_network_wide(user):
            return Q()
        return Q(pk=user.country_id)

    def allows(self, user: User, action: Action, obj: Country) -> bool:
        if action == Action.EXPORT:
            return can(user, Action.VIEW, obj)
        return False  # countries are changed by administrators only


class _CountryOwnedPolicy(RegistryPolicy):
    """Provinces, clusters: seen by everyone in the country, kept by its coordinator."""

    def visible(self, user: User) -> Q:
        if is_network_wide(user):
            return Q()
        return Q(country_id=user.country_id)

    def allows(self, user: User, action: Action, obj: Province | Cluster | Agency) -> bool:
        if action in {Action.CREATE, Action.CHANGE, Action.DELETE, Action.IMPORT}:
            return coordinates_country(user, obj.country_id)
        return False


@register(Province)
class ProvincePolicy(_CountryOwnedPolicy):
    pass


@register(Cluster)
class ClusterPolicy(_CountryOwnedPolicy):
    pass


@register(Agency)
class AgencyPolicy(_CountryOwnedPolicy):
    def visible(self, user: User) -> Q:
        if is_network_wide(user):
            return Q()
        # One's own country's agencies, and those stationed at the BLOs one works with. A
        # subquery, not a join: an agency stationed at several posts is still one row (a join
        # repeated it, and a form's ``queryset.get(pk=…)`` then failed).
        stationed = Agency.objects.filter(blos__id__in=reachable_blo_ids(user)).values("pk")
        return Q(country_id=user.country_id) | Q(pk__in=stationed)


@register(BLO)
class BLOPolicy(RegistryPolicy):
    def visible(self, user: User) -> Q:
        if is_network_wide(user):
            return Q()
        return Q(pk__in=reachable_blo_ids(user))

    def allows(self, user: User, action: Action, obj: BLO) -> bool:
        if action in {Action.CREATE, Action.DELETE, Action.IMPORT}:
            return coordinates_country(user, obj.country_id)
        if action == Action.CHANGE:
            return coordinates_country(user, obj.country_id) or heads_blo(user, obj.pk)
        return False


@register(Crossing)
class CrossingPolicy(RegistryPolicy):
    def visible(self, user: User) -> Q:
        if is_network_wide(user):
            return Q()
        return Q(blo_id__in=reachable_blo_ids(user))

    def allows(self, user: User, action: Action, obj: Crossing) -> bool:
        if action in {Action.CREATE, Action.CHANGE, Action.DELETE, Action.IMPORT}:
            blo = obj.blo
            return coordinates_country(user, blo.country_id) or heads_blo(user, blo.pk)
        return False


@register(User)
class UserPolicy(RegistryPolicy):
    def visible(self, user: User) -> Q:
        if is_network_wide(user):
            return Q()
        if user.role == Role.NATIONAL_COORDINATOR:
            # Everyone in the country, and the officers of the BLOs paired with it.
            return Q(country_id=user.country_id) | Q(blo_id__in=counterpart_blo_ids(user))
        # Colleagues of every agency at one's own post, the counterpart BLO's officers, and the
        # national coordinators of one's own country.
        return (
            Q(pk=user.pk)
            | Q(blo_id__in=counterpart_blo_ids(user))
            | Q(role=Role.NATIONAL_COORDINATOR, country_id=user.country_id)
        )

    def allows(self, user: User, action: Action, obj: User) -> bool:
        if action == Action.CHANGE and obj.pk == user.pk:
            return True  # one's own profile and language
        # Accounts are deactivated, not deleted, so their audit trail stays readable.
        if action in {Action.CREATE, Action.CHANGE, Action.MANAGE_ACCOUNT}:
            if Role(obj.role) not in grantable_roles(user):
                return False
            if user.role == Role.NATIONAL_COORDINATOR:
                return obj.country_id == user.country_id
            if user.role == Role.HEAD_OF_BLO:
                return obj.blo_id == user.blo_id and obj.country_id == user.country_id
        return False


def may_reassign_account(user: AnyUser, account: User) -> bool:
    """Moving an account to another agency, post or country.

    Heads keep who is at their post, not which agency an account speaks for: an account moved
    into the head's own agency would fall under the head's password resets (see below), so only
    a coordinator of the account's country, or an administrator, moves it.
    """
    active = _active(user)
    if active is None:
        return False
    return is_admin(active) or coordinates_country(active, account.country_id)


# --- credentials --------------------------------------------------------------------------------


def may_issue_password_reset(user: AnyUser, account: User) -> bool:
    """Who may hand an account a one-time sign-in link (nobody ever sets another's password).

    A head: officers of the head's own agency at the head's post. A coordinator: accounts of the
    country in roles below coordinator. An administrator: anyone. Never one's own account: one
    changes one's own password oneself.
    """
    active = _active(user)
    if active is None or account.pk == active.pk:
        return False
    if is_admin(active):
        return True
    if active.role == Role.NATIONAL_COORDINATOR:
        return (
            account.country_id == active.country_id
            and account.country_id is not None
            and Role(account.role).rank < Role.NATIONAL_COORDINATOR.rank
            and not Role(account.role).is_network_wide
        )
    if active.role == Role.HEAD_OF_BLO:
        return (
            account.role == Role.OFFICER
            and active.blo_id is not None
            and account.blo_id == active.blo_id
            and active.agency_id is not None
            and account.agency_id == active.agency_id
        )
    return False


# --- counterpart pairing ------------------------------------------------------------------------


def speaks_for_blo(user: AnyUser, blo: BLO) -> bool:
    """The head of the BLO, or the coordinator of its country: who may commit a post to a pair."""
    active = _active(user)
    if active is None:
        return False
    return heads_blo(active, blo.pk) or coordinates_country(active, blo.country_id)


def may_propose_counterpart(user: AnyUser, blo: BLO) -> bool:
    """Propose a pair on behalf of ``blo``: its head, its country's coordinator, an administrator."""
    active = _active(user)
    return active is not None and (is_admin(active) or speaks_for_blo(active, blo))


def may_answer_counterpart(user: AnyUser, proposal: CounterpartProposal) -> bool:
    """Accept or refuse: only the proposed side's head or coordinator. Not an administrator —
    a pair binds two countries' posts, so the second country's own people say yes."""
    return speaks_for_blo(user, proposal.to_blo)


def may_withdraw_counterpart(user: AnyUser, proposal: CounterpartProposal) -> bool:
    """Withdraw a pending proposal: whoever may propose for the proposing side."""
    return may_propose_counterpart(user, proposal.from_blo)


def may_end_counterpart_pair(user: AnyUser, blo: BLO, other: BLO) -> bool:
    """End a pair: either side alone (narrowing is always allowed), or an administrator."""
    return may_propose_counterpart(user, blo) or may_propose_counterpart(user, other)


@register(CounterpartProposal)
class CounterpartProposalPolicy(RegistryPolicy):
    """Proposals are seen by both sides' posts and coordinators; deciding is the may_* above."""

    def visible(self, user: User) -> Q:
        if is_network_wide(user):
            return Q()
        if user.role == Role.NATIONAL_COORDINATOR:
            return Q(from_blo__country_id=user.country_id) | Q(to_blo__country_id=user.country_id)
        if user.blo_id is None:
            return Q(pk__in=[])
        return Q(from_blo_id=user.blo_id) | Q(to_blo_id=user.blo_id)

    def allows(self, user: User, action: Action, obj: CounterpartProposal) -> bool:
        return False  # every step has its own rule above


def may_import_registry(user: AnyUser) -> bool:
    """Registry imports: administrators, and coordinators (each row is then checked itself)."""
    active = _active(user)
    return active is not None and active.role in {
        Role.SYSTEM_ADMINISTRATOR,
        Role.NATIONAL_COORDINATOR,
    }


def may_set_security_policy(user: AnyUser) -> bool:
    active = _active(user)
    return active is not None and active.role == Role.SYSTEM_ADMINISTRATOR


def role_choices(user: AnyUser, account: User) -> list[Role]:
    """The roles an account form offers: those the editor may give, and the account's own (shown
    even when the editor could not give it, so that saving does not change it)."""
    roles = grantable_roles(user)
    if account.pk is not None and Role(account.role) not in roles:
        roles = [Role(account.role), *roles]
    return roles


def may_list_accounts(user: AnyUser) -> bool:
    """The accounts list and its menu entry: everyone who keeps accounts (not officers)."""
    active = _active(user)
    return active is not None and active.role != Role.OFFICER


def account_fields_fixed_to_editor(user: AnyUser) -> frozenset[str]:
    """The scope fields of an account form that stay the editor's own: a head keeps accounts
    of their own post and country, a coordinator of their own country."""
    active = _active(user)
    if active is None:
        return frozenset({"country", "blo"})
    if active.role == Role.HEAD_OF_BLO:
        return frozenset({"country", "blo"})
    if active.role == Role.NATIONAL_COORDINATOR:
        return frozenset({"country"})
    return frozenset()


def may_view_audit(user: AnyUser) -> bool:
    active = _active(user)
    return active is not None and active.role in {
        Role.SYSTEM_ADMINISTRATOR,
        Role.NATIONAL_COORDINATOR,
    }


def visible_audit_filter(user: User) -> Q:
    """Audit entries: administrators see all; a coordinator sees what their country's users did."""
    if is_admin(user):
        return Q()
    if user.role == Role.NATIONAL_COORDINATOR:
        return Q(actor__country_id=user.country_id)
    return Q(pk__in=[])


def readable_audit_objects(
    user: AnyUser, targets: Iterable[tuple[str, str]]
) -> set[tuple[str, str]]:
    """Of the (object_type, object_id) pairs of some audit entries, those whose object ``user``
    may read: the audit log shows an entry's words (summary, details) only to them.

    One query per kind of object on the page, through each model's own visibility rule.
    Entries about something that is not a model row (an export, a sign-in form) carry only the
    application's own words and are readable; a model without a policy, or an object since
    deleted, is not.
    """
    readable: set[tuple[str, str]] = set()
    by_type: dict[str, set[str]] = {}
    for object_type, object_id in targets:
        by_type.setdefault(object_type, set()).add(object_id)
    for object_type, ids in by_type.items():
        try:
            model = apps.get_model(object_type) if "." in object_type else None
        except (LookupError, ValueError):
            model = None
        if model is None:
            if "." not in object_type:
                readable.update((object_type, object_id) for object_id in ids)
            continue
        if model not in _POLICIES:
            continue
        pks = {pk for pk in ids if pk.isdecimal()}
        found = visible(user, model).filter(pk__in=pks).values_list("pk", flat=True)
        readable.update((object_type, str(pk)) for pk in found)
    return readable
