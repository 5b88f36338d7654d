"""What Liaison keeps to tell officers that something waits for them: their push subscriptions,
their choices, and which overdue requests have already been announced."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NoticeKind(models.TextChoices):
    """What waits. A message names the kind only: never a record's text or reference."""

    ALERT = "alert", _("An alert is waiting for your post in Liaison.")
    REQUEST = "request", _("A request for information is waiting for your post in Liaison.")
    OVERDUE_REQUEST = (
        "overdue_request",
        _("A request for information to your post is past its deadline in Liaison."),
    )
    SHARE_APPROVAL = (
        "share_approval",
        _("A request to share one of your records is waiting for your answer in Liaison."),
    )

    @property
    def heading(self) -> str:
        """A message's subject line after "Liaison:": the words of the page where it waits."""
        return str(
            {
                NoticeKind.ALERT: _("Alerts to acknowledge"),
                NoticeKind.REQUEST: _("Requests for information"),
                NoticeKind.OVERDUE_REQUEST: _("Requests for information"),
                NoticeKind.SHARE_APPROVAL: _("Sharing approvals"),
            }[self]
        )

    @property
    def page(self) -> str:
        """The URL name of the list where it waits (no record's address)."""
        return {
            NoticeKind.ALERT: "exchange:alerts",
            NoticeKind.REQUEST: "exchange:requests",
            NoticeKind.OVERDUE_REQUEST: "exchange:requests",
            NoticeKind.SHARE_APPROVAL: "exchange:share_requests",
        }[self]


class Channel(models.TextChoices):
    EMAIL = "email", _("e-mail")
    PUSH = "push", _("notification on this device")


class PushSubscription(models.Model):
    """A browser's Web Push subscription (the push service's endpoint and the keys to encrypt
    for it), made on an installed tablet by its user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return f"push subscription {self.pk} of user {self.user_id}"


class NotificationChoice(models.Model):
    """A user's choice of how to be told; no row means both ways."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_choice"
    )
    by_email = models.BooleanField(_("by e-mail"), default=True)
    by_push = models.BooleanField(_("on my devices"), default=True)

    class Meta:
        verbose_name = _("notification choice")
        verbose_name_plural = _("notification choices")

    def __str__(self) -> str:
        return f"notification choice of user {self.user_id}"


class AnnouncedOnce(models.Model):
    """A record already announced as a kind (e.g. a request become overdue), so that a periodic
    check tells once."""

    kind = models.CharField(max_length=30, choices=NoticeKind.choices)
    target = models.CharField(max_length=100, help_text="app_label.model")
    target_id = models.CharField(max_length=40)
    announced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("announcement made once")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "target", "target_id"], name="notifications_announced_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.target} {self.target_id}"
