"""Who may read a record and what they may do with it: the distribution, the TLP label, sharing
groups, and the fields every shareable record carries."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.registry.models import BLO, Agency, Country


class Distribution(models.TextChoices):
    """Who may read a record (the SOP's sharing levels). Which audience contains which, and which
    a TLP label allows, are the SOP's rules in ``exchange/access.py``."""

    AGENCY = "agency", _("Originating agency only")
    BLO = "blo", _("This BLO (all agencies at the post)")
    COUNTERPART = "counterpart", _("This BLO and its counterpart BLO(s) across the border")
    NATIONAL = "national", _("National (every post and agency of the country)")
    GROUP = "group", _("A named sharing group")
    NETWORK = "network", _("The whole BLO network")

    @property
    def crosses_border(self) -> bool:
        return self in {Distribution.COUNTERPART, Distribution.GROUP, Distribution.NETWORK}


class TLP(models.TextChoices):
    """Traffic Light Protocol 2.0 (FIRST, 2022)."""

    RED = "RED", "TLP:RED"
    AMBER_STRICT = "AMBER+STRICT", "TLP:AMBER+STRICT"
    AMBER = "AMBER", "TLP:AMBER"
    GREEN = "GREEN", "TLP:GREEN"
    CLEAR = "CLEAR", "TLP:CLEAR"

    @property
    def css(self) -> str:
        return "tlp-" + self.value.lower().replace("+", "-")

    @property
    def meaning(self) -> str:
        return str(
            {
                TLP.RED: _("For the eyes of the named recipients only; no further disclosure."),
                TLP.AMBER_STRICT: _("Limited disclosure: the recipient's organisation only."),
                TLP.AMBER: _(
                    "Limited disclosure: the recipient's organisation and those it works with, "
                    "on a need-to-know basis."
                ),
                TLP.GREEN: _("Limited disclosure: the BLO community, not public channels."),
                TLP.CLEAR: _("Disclosure is not limited."),
            }[self]
        )


class SharingGroup(models.Model):
    """A named set of people a record can be shared with (e.g. a joint task force).

    Names are unique per creator only: a name taken by a group one cannot see must not be
    revealed by a refusal."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="sharing_groups", verbose_name=_("members")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "name"],
                name="sharing_group_name_per_creator",
                violation_error_message=_("You already have a sharing group named like this."),
            )
        ]
        verbose_name = _("sharing group")
        verbose_name_plural = _("sharing groups")

    def __str__(self) -> str:
        return self.name


class Shareable(models.Model):
    """What every shareable record carries: its origin, its readers, its label, its version."""

    reference = models.CharField(_("reference"), max_length=40, unique=True, editable=False)
    blo = models.ForeignKey(BLO, on_delete=models.PROTECT, related_name="+", verbose_name=_("BLO"))
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="+", verbose_name=_("originating agency")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    distribution = models.CharField(
        _("shared with"), max_length=20, choices=Distribution.choices, default=Distribution.BLO
    )
    group = models.ForeignKey(
        SharingGroup,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sharing group"),
    )
    tlp = models.CharField(_("TLP label"), max_length=15, choices=TLP.choices, default=TLP.AMBER)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("last changed"), default=timezone.now, editable=False)

    class Meta:
        abstract = True

    def clean(self) -> None:
        super().clean()
        if self.distribution == Distribution.GROUP and self.group_id is None:
            raise ValidationError({"group": _("Choose the group to share with.")})
        if self.distribution != Distribution.GROUP:
            self.group = None

    @property
    def tlp_label(self) -> TLP:
        return TLP(self.tlp)

    @property
    def distribution_enum(self) -> Distribution:
        return Distribution(self.distribution)
