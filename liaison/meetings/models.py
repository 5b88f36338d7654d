"""The BLO meeting log: who met whom, at which level, what they agreed, and who does what by when.

The assessment found that BLOs "do not have a practice of conducting official regular meetings
at cross-border, district or national level although informal meetings occur more frequently"
(report Table 1). The log records both, so the frequency of each can be computed per BLO.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.registry.models import BLO, Agency, Country


class MeetingLevel(models.TextChoices):
    CROSS_BORDER = "cross_border", _("Bilateral cross-border, with counterparts")
    DISTRICT = "district", _("District")
    PROVINCIAL = "provincial", _("Provincial")
    NATIONAL = "national", _("National")

    @property
    def is_cross_border(self) -> bool:
        return self == MeetingLevel.CROSS_BORDER


class Formality(models.TextChoices):
    OFFICIAL = "official", _("Official")
    INFORMAL = "informal", _("Informal or ad hoc")


class FrequencyClass(models.TextChoices):
    """How often a BLO met, in the rows of the report's Table 1 and in its order."""

    ONCE = "once", _("Once a year")
    TWO_TO_FIVE = "2-5", _("2-5 times a year")
    SIX_TO_NINE = "6-9", _("6-9 times a year")
    TEN_TO_TWELVE = "10-12", _("10-12 times a year")
    MORE_THAN_TWELVE = "13+", _("More than 12 times a year")
    NONE = "none", _("No regular meetings")

    @classmethod
    def of(cls, meetings_a_year: int) -> FrequencyClass:
        if meetings_a_year <= 0:
            return cls.NONE
        if meetings_a_year == 1:
            return cls.ONCE
        if meetings_a_year <= 5:
            return cls.TWO_TO_FIVE
        if meetings_a_year <= 9:
            return cls.SIX_TO_NINE
        if meetings_a_year <= 12:
            return cls.TEN_TO_TWELVE
        return cls.MORE_THAN_TWELVE


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")

    @property
    def is_closed(self) -> bool:
        return self != ActionStatus.OPEN


class Meeting(models.Model):
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    blo = models.ForeignKey(
        BLO, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("BLO")
    )
    counterpart_blo = models.ForeignKey(
        BLO,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="counterpart_meetings",
        verbose_name=_("counterpart BLO"),
        help_text=_("For a bilateral cross-border meeting: the BLO across the border."),
    )
    level = models.CharField(_("level"), max_length=20, choices=MeetingLevel.choices)
    formality = models.CharField(
        _("official or informal"), max_length=10, choices=Formality.choices
    )
    held_on = models.DateField(_("date"))
    location = models.CharField(_("place"), max_length=200, blank=True)
    agenda = models.TextField(_("agenda"))
    outcomes = models.TextField(_("outcomes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-id"]
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        indexes = [models.Index(fields=["blo", "level", "held_on"], name="meetings_blo_level_date")]

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d} · {self.blo.name_en} · {self.get_level_display()}"

    def get_absolute_url(self) -> str:
        return reverse("meetings:meeting", args=[self.pk])

    def clean(self) -> None:
        super().clean()
        if self.level == MeetingLevel.CROSS_BORDER:
            if self.counterpart_blo_id is None:
                raise ValidationError(
                    {"counterpart_blo": _("A cross-border meeting names the counterpart BLO.")}
                )
            if (
                self.blo_id
                and not self.blo.counterparts.filter(pk=self.counterpart_blo_id).exists()
            ):
                raise ValidationError(
                    {"counterpart_blo": _("This BLO is not a counterpart of the BLO.")}
                )
        elif self.counterpart_blo_id is not None:
            raise ValidationError(
                {"counterpart_blo": _("Only a cross-border meeting has a counterpart BLO.")}
            )
        if self.held_on and self.held_on > timezone.localdate() + datetime.timedelta(days=1):
            raise ValidationError({"held_on": _("Record meetings that took place.")})


class Participation(models.Model):
    """Who took part, by agency and country (a number of people, names optional)."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="+", verbose_name=_("country")
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("agency"),
    )
    organisation = models.CharField(
        _("other organisation"),
        max_length=200,
        blank=True,
        help_text=_("When not an agency of the registry."),
    )
    people = models.PositiveSmallIntegerField(
        _("people"), default=1, validators=[MinValueValidator(1)]
    )
    names = models.CharField(_("names"), max_length=500, blank=True)

    class Meta:
        ordering = ["meeting", "country__name_en", "id"]
        verbose_name = _("participation")
        verbose_name_plural = _("participants")

    def __str__(self) -> str:
        return f"{self.country.code} · {self.agency or self.organisation} ×{self.people}"

    def clean(self) -> None:
        super().clean()
        if self.agency_id is None and not self.organisation.strip():
            raise ValidationError(_("Name the agency or the organisation."))
        if (
            self.agency is not None
            and self.country_id
            and self.agency.country_id != self.country_id
        ):
            raise ValidationError({"agency": _("This agency is not of this country.")})


class MeetingAction(models.Model):
    """Something agreed at a meeting: who does it, by when; followed up at the next meetings."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="actions")
    description = models.CharField(_("action"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="meeting_actions",
        verbose_name=_("owner"),
    )
    owner_name = models.CharField(
        _("owner (name)"),
        max_length=200,
        blank=True,
        help_text=_("When the owner has no account, e.g. a counterpart."),
    )
    owner_agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner's agency"),
    )
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)

    class Meta:
        ordering = [models.F("due_on").asc(nulls_last=True), "id"]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return self.description

    def clean(self) -> None:
        super().clean()
        if self.owner_id is None and not self.owner_name.strip():
            raise ValidationError(_("Name who owns the action."))

    @property
    def owner_label(self) -> str:
        if self.owner is not None:
            return self.owner.display_name
        return self.owner_name

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        today = today or timezone.localdate()
        return self.status == ActionStatus.OPEN and self.due_on is not None and self.due_on < today


class ActionReview(models.Model):
    """An open action looked at again at a later meeting: its status then, and what was said."""

    action = models.ForeignKey(MeetingAction, on_delete=models.CASCADE, related_name="reviews")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="reviews")
    status = models.CharField(_("status"), max_length=10, choices=ActionStatus.choices)
    note = models.CharField(_("follow-up"), max_length=500, blank=True)

    class Meta:
        ordering = ["meeting__held_on", "id"]
        verbose_name = _("follow-up of an action")
        verbose_name_plural = _("follow-ups of actions")
        constraints = [
            models.UniqueConstraint(fields=["action", "meeting"], name="meetings_review_once")
        ]

    def __str__(self) -> str:
        return f"{self.action} @ {self.meeting.held_on}: {self.status}"
