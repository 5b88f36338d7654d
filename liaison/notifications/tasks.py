"""Notifications sent by the background worker (Django's Tasks framework).

:func:`announce_waiting` finds who to tell (the officers of the receiving post, or the named
users, who may read the record) and enqueues one :func:`deliver_notice` per person and channel
(e-mail, each push subscription). A delivery that fails is logged and tried again later, up to
:data:`ATTEMPTS` times; it never reaches back to the write that caused it, which has committed.
"""

from __future__ import annotations

import datetime
import json
import logging
from typing import TypedDict

from django.conf import settings
from django.core.mail import EmailMessage
from django.tasks import task
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pywebpush import WebPushException, webpush

from liaison.notifications.models import Channel, NoticeKind, PushSubscription
from liaison.notifications.services import choice_of, may_read_target, recipients
from liaison.registry.middleware import language_for
from liaison.registry.models import User

logger = logging.getLogger(__name__)

ATTEMPTS = 4
"""Tries of one delivery, the first included; then it is logged as given up."""
RETRY_AFTER = [datetime.timedelta(minutes=1), datetime.timedelta(minutes=5)]
PUSH_TTL_SECONDS = 24 * 3600


class PushPayload(TypedDict):
    """What the service worker receives (encrypted for the subscription): no record's text."""

    title: str
    body: str
    url: str


def email_enabled() -> bool:
    return bool(settings.SMTP_HOST)


def push_enabled() -> bool:
    return bool(settings.VAPID_PRIVATE_KEY)


def app_link(kind: NoticeKind) -> str:
    return settings.SITE_URL + reverse(kind.page)


@task
def announce_waiting(
    kind: str, target: str, target_id: str, blo_ids: list[int], user_ids: list[int]
) -> int:
    """Enqueue a delivery per recipient and channel; the number enqueued."""
    notice = NoticeKind(kind)
    count = 0
    for user in recipients(target, target_id, blo_ids, user_ids):
        choice = choice_of(user)
        if email_enabled() and choice.by_email and user.email:
            deliver_notice.enqueue(notice.value, user.pk, Channel.EMAIL.value, target, target_id)
            count += 1
        if push_enabled() and choice.by_push:
            for subscription_id in PushSubscription.objects.filter(user=user).values_list(
                "pk", flat=True
            ):
                deliver_notice.enqueue(
                    notice.value,
                    user.pk,
                    Channel.PUSH.value,
                    target,
                    target_id,
                    subscription_id=subscription_id,
                )
                count += 1
    return count


@task
def deliver_notice(
    kind: str,
    user_id: int,
    channel: str,
    target: str,
    target_id: str,
    *,
    subscription_id: int | None = None,
    attempt: int = 1,
) -> bool:
    """Tell one person, on one channel, that something waits; whether it was sent."""
    user = User.objects.filter(pk=user_id, is_active=True).first()
    # asked again when sent: the record may have been narrowed since it was announced
    if user is None or not may_read_target(user, target, target_id):
        return False
    notice = NoticeKind(kind)
    try:
        with translation.override(language_for(user) or settings.LANGUAGE_CODE):
            if channel == Channel.EMAIL:
                send_email(user, notice)
            else:
                subscription = (
                    PushSubscription.objects.filter(pk=subscription_id, user=user).first()
                    if subscription_id is not None
                    else None
                )
                if subscription is None:
                    return False
                send_push(subscription, notice)
    except Exception as failure:
        if attempt >= ATTEMPTS:
            logger.error(
                "notification %s to user %s by %s given up after %s tries: %s",
                kind, user_id, channel, attempt, failure,
            )  # fmt: skip
            return False
        logger.warning(
            "notification %s to user %s by %s failed (try %s of %s), trying again: %s",
            kind, user_id, channel, attempt, ATTEMPTS, failure,
        )  # fmt: skip
        _retry(kind, user_id, channel, target, target_id, subscription_id, attempt + 1)
        return False
    return True


def _retry(
    kind: str,
    user_id: int,
    channel: str,
    target: str,
    target_id: str,
    subscription_id: int | None,
    attempt: int,
) -> None:
    again = deliver_notice
    if deliver_notice.get_backend().supports_defer:
        delay = RETRY_AFTER[min(attempt - 2, len(RETRY_AFTER) - 1)]
        again = deliver_notice.using(run_after=timezone.now() + delay)
    again.enqueue(
        kind,
        user_id,
        channel,
        target,
        target_id,
        subscription_id=subscription_id,
        attempt=attempt,
    )


def message_text(notice: NoticeKind) -> tuple[str, str]:
    """The subject and body, in the active language: what waits, and where; nothing of it."""
    subject = f"Liaison: {notice.heading}"
    body = "\n\n".join(
        [
            str(notice.label),
            _("Open Liaison to read it: %(link)s") % {"link": app_link(notice)},
            _(
                "This message says only that something is waiting; what it is stays in Liaison. "
                "You can stop these messages on your profile page in Liaison."
            ),
        ]
    )
    return subject, body


def send_email(user: User, notice: NoticeKind) -> None:
    subject, body = message_text(notice)
    EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
        headers={"Content-Language": translation.get_language() or settings.LANGUAGE_CODE},
    ).send()


def send_push(subscription: PushSubscription, notice: NoticeKind) -> None:
    payload: PushPayload = {
        "title": "Liaison",
        "body": str(notice.label),
        "url": reverse(notice.page),
    }
    try:
        webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=json.dumps(payload),
            vapid_private_key=settings.VAPID_PRIVATE_KEY,
            vapid_claims={"sub": settings.VAPID_SUBJECT},
            ttl=PUSH_TTL_SECONDS,
            timeout=10,
        )
    except WebPushException as refused:
        status = getattr(refused.response, "status_code", None)
        if status in {404, 410}:
            # the browser unsubscribed or the subscription expired: nothing to try again
            subscription.delete()
            return
        raise
