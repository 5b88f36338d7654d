"""Writes of the notifications: telling a post that something waits (after the write that made
it wait has committed), once only for what a periodic check finds, and a user's push
subscriptions and choices.

The exchange's services call :func:`announce` inside their own transaction; the announcement is
enqueued as a background task only once that transaction has committed, and a failure to enqueue
or to send never undoes (or fails) the write itself.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.apps import apps
from django.db import IntegrityError, models, transaction
from django.db.models import BigIntegerField, Q, QuerySet
from django.db.models.functions import Cast

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.notifications.models import (
    AnnouncedOnce,
    NoticeKind,
    NotificationChoice,
    PushSubscription,
)
from liaison.registry.models import Role, User
from liaison.registry.permissions import visible

logger = logging.getLogger(__name__)

POST_ROLES = [Role.OFFICER, Role.HEAD_OF_BLO]


def target_label(obj: models.Model) -> str:
    return obj._meta.label_lower


def announce(
    kind: NoticeKind,
    target: models.Model,
    *,
    blo_ids: Iterable[int] = (),
    user_ids: Iterable[int] = (),
) -> None:
    """After the current transaction commits, tell the officers of the posts ``blo_ids`` and the
    users ``user_ids`` (those of them who may read ``target``) that it waits for them."""
    transaction.on_commit(
        partial(
            _enqueue_announcement,
            kind.value,
            target_label(target),
            str(target.pk),
            sorted(set(blo_ids)),
            sorted(set(user_ids)),
        ),
        robust=True,  # the write has committed: a failure here is logged, not the request's
    )


def _enqueue_announcement(
    kind: str, target: str, target_id: str, blo_ids: list[int], user_ids: list[int]
) -> None:
    from liaison.notifications.tasks import announce_waiting

    announce_waiting.enqueue(kind, target, target_id, blo_ids, user_ids)


def may_read_target(user: User, target: str, target_id: str) -> bool:
    """Whether ``user`` may read the record a notice is about, through its own policy."""
    model = apps.get_model(target)
    return visible(user, model).filter(pk=target_id).exists()


def recipients(target: str, target_id: str, blo_ids: list[int], user_ids: list[int]) -> list[User]:
    """Active officers and heads of the posts, and the named users, who may read the target."""
    candidates = User.objects.filter(is_active=True).filter(
        Q(blo_id__in=blo_ids, role__in=POST_ROLES) | Q(pk__in=user_ids)
    )
    return [user for user in candidates if may_read_target(user, target, target_id)]


def choice_of(user: User) -> NotificationChoice:
    return NotificationChoice.objects.filter(user=user).first() or NotificationChoice(user=user)


@transaction.atomic
def do_set_notification_choice(*, by_email: bool, by_push: bool, actor: User) -> NotificationChoice:
    choice, _created = NotificationChoice.objects.update_or_create(
        user=actor, defaults={"by_email": by_email, "by_push": by_push}
    )
    record(
        actor=actor,
        action=AuditAction.CHANGE,
        obj=choice,
        summary="notifications",
        changes={"by_email": by_email, "by_push": by_push},
    )
    return choice


@transaction.atomic
def do_subscribe_to_push(*, endpoint: str, p256dh: str, auth: str, actor: User) -> PushSubscription:
    """Keep (or move to the actor) a browser's subscription: an endpoint belongs to one device,
    and the last person to subscribe on it is the one told."""
    subscription, _created = PushSubscription.objects.update_or_create(
        endpoint=endpoint, defaults={"user": actor, "p256dh": p256dh, "auth": auth}
    )
    record(actor=actor, action=AuditAction.CREATE, obj=subscription, summary="push subscription")
    return subscription


@transaction.atomic
def do_unsubscribe_from_push(*, endpoint: str, actor: User) -> int:
    """Forget the actor's subscription at ``endpoint`` (another user's is left alone)."""
    removed, _by_model = PushSubscription.objects.filter(endpoint=endpoint, user=actor).delete()
    if removed:
        record(
            actor=actor,
            action=AuditAction.DELETE,
            object_type="notifications.pushsubscription",
            summary="push subscription",
        )
    return removed


def announced_ids(target_model: type[models.Model], kind: NoticeKind) -> QuerySet[Any, Any]:
    """The primary keys of the records already announced once as ``kind`` (a subquery)."""
    return (
        AnnouncedOnce.objects.filter(kind=kind, target=target_model._meta.label_lower)
        .annotate(key=Cast("target_id", BigIntegerField()))
        .values("key")
    )


def announce_once(kind: NoticeKind, target: models.Model, *, blo_ids: Iterable[int]) -> bool:
    """Announce ``target`` as ``kind`` unless it already was (a periodic check's, e.g. a request
    become overdue): False when another run got there first."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                AnnouncedOnce.objects.create(
                    kind=kind, target=target_label(target), target_id=str(target.pk)
                )
        except IntegrityError:
            return False
        announce(kind, target, blo_ids=blo_ids)
    return True
