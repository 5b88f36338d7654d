"""The network registry: countries, provinces, clusters, agencies, BLOs, crossings and accounts.

Names of places and agencies are kept twice: in English and in the local language with its own
script and diacritics (``Mộc Bài``, ``បាវិត``). ``display_name`` picks the one a reader should see.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Greatest, Least
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_countries import countries


def country_language(owner: models.Model, country_id: int) -> str:
    """The language of a country, for a row that belongs to it (a post, a province, an agency).

    A page lists many such rows: the countries' languages are read once for them all (and kept
    in the shared cache until a write), not once per row; a row whose country is already loaded
    answers from it."""
    return _country_fact(owner, country_id, "language")


def country_code(owner: models.Model, country_id: int) -> str:
    """The ISO code of the country a row belongs to, read as :func:`country_language` reads."""
    return _country_fact(owner, country_id, "code")


def _country_fact(owner: models.Model, country_id: int, field: str) -> str:
    from liaison.caching import shared

    if "country" in owner._state.fields_cache:
        return str(getattr(owner.country, field))  # type: ignore[attr-defined]
    facts = shared(f"country-{field}s", lambda: dict(Country.objects.values_list("pk", field)))
    if country_id in facts:
        return str(facts[country_id])
    return str(getattr(owner.country, field))  # type: ignore[attr-defined]


class LocalisedName(models.Model):
    """A place or body named in English and in its own language."""

    name_en = models.CharField(_("name in English"), max_length=200)
    name_local = models.CharField(_("name in the local language"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def local_language(self) -> str:
        """The language code ``name_local`` is written in; each concrete model answers."""
        return ""

    @property
    def display_name(self) -> str:
        """The local name for a reader of that language, the English name for everyone else."""
        if self.name_local and translation.get_language() == self.local_language():
            return self.name_local
        return self.name_en

    @property
    def both_names(self) -> str:
        if self.name_local and self.name_local != self.name_en:
            return f"{self.name_local} ({self.name_en})"
        return self.name_en


def latitude_field() -> models.DecimalField[Any, Any]:
    return models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-90), MaxValueValidator(90)],
    )


def longitude_field() -> models.DecimalField[Any, Any]:
    return models.DecimalField(
        _("longitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=[MinValueValidator(-180), MaxValueValidator(180)],
    )


code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9-]*$", _("Use capital letters, digits and hyphens only, e.g. VN-MOCBAI.")
)


class Country(LocalisedName):
    code = models.CharField(
        _("ISO code"),
        max_length=2,
        unique=True,
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Two capital letters (ISO 3166-1), e.g. VN."))],
    )
    language = models.CharField(
        _("official language"), max_length=10, help_text=_("e.g. vi, lo, km, th, zh-hans")
    )

    class Meta:
        ordering = ["name_en"]
        verbose_name = _("country")
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("registry:country", args=[self.code])

    def local_language(self) -> str:
        return self.language

    @property
    def display_name(self) -> str:
        """Its own name for its own readers, the registry's English name (UN usage: Viet Nam,
        Lao PDR) for English readers, and for others the name in their language from
        django-countries' translations of ISO 3166."""
        language = translation.get_language() or "en"
        if self.name_local and language == self.language:
            return self.name_local
        return country_name(self.code, self.name_en)


def country_name(code: str, name_en: str) -> str:
    """A country's name for a reader of another country: the registry's English name (UN usage)
    for English readers, for others the name in their language (django-countries)."""
    if (translation.get_language() or "en").startswith("en"):
        return name_en
    return str(countries.name(code)) or name_en


class Province(LocalisedName):
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="provinces", verbose_name=_("country")
    )
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])

    class Meta:
        ordering = ["country__name_en", "name_en"]
        verbose_name = _("province")
        verbose_name_plural = _("provinces")

    def __str__(self) -> str:
        return self.display_name

    def local_language(self) -> str:
        return country_language(self, self.country_id)


class Cluster(LocalisedName):
    """A geographic group of BLOs analysed together (the survey's CL1, CL2)."""

    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="clusters", verbose_name=_("country")
    )
    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])

    class Meta:
        ordering = ["country__name_en", "code"]
        verbose_name = _("cluster")
        verbose_name_plural = _("clusters")

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"

    def local_language(self) -> str:
        return country_language(self, self.country_id)


class AgencyKind(models.TextChoices):
    PROVINCIAL_POLICE = "provincial_police", _("Provincial police")
    BORDER_ARMY = "border_army", _("Border army")
    CUSTOMS = "customs", _("Customs")
    ANTI_NARCOTICS_POLICE = "anti_narcotics_police", _("Anti-narcotics police")
    ENVIRONMENTAL_POLICE = "environmental_police", _("Environmental police")
    IMMIGRATION = "immigration", _("Immigration")
    COORDINATION_OFFICE = "coordination_office", _("National coordination office")
    OTHER = "other", _("Other")


class Agency(LocalisedName):
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="agencies", verbose_name=_("country")
    )
    code = models.CharField(_("code"), max_length=30, unique=True, validators=[code_validator])
    kind = models.CharField(_("type"), max_length=30, choices=AgencyKind.choices)
    abbreviation = models.CharField(_("abbreviation"), max_length=20, blank=True)

    class Meta:
        ordering = ["country__name_en", "name_en"]
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.display_name

    def local_language(self) -> str:
        return country_language(self, self.country_id)

    @property
    def display_name(self) -> str:
        """The local name for a reader of the agency's language, the English name for English
        readers; a reader of a third language reads what the agency is in their own language,
        and whose it is ("Hải quan Campuchia (GDCE)"), rather than an English name."""
        language = translation.get_language() or "en"
        local = self.local_language()
        if self.name_local and language == local:
            return self.name_local
        if language.startswith("en") or language == local or self.kind == AgencyKind.OTHER:
            return self.name_en
        code = country_code(self, self.country_id)
        name = _("%(kind)s of %(country)s") % {
            "kind": self.get_kind_display(),
            "country": country_name(code, code),
        }
        return f"{name} ({self.abbreviation})" if self.abbreviation else name


class BLO(LocalisedName):
    """A Border Liaison Office: a multi-agency post paired with counterpart BLOs across the border."""

    code = models.CharField(_("code"), max_length=30, unique=True, validators=[code_validator])
    country = models.ForeignKey(
        Country, on_delete=models.PROTECT, related_name="blos", verbose_name=_("country")
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    province = models.ForeignKey(
        Province,
        on_delete=models.PROTECT,
        related_name="blos",
        null=True,
        blank=True,
        verbose_name=_("province"),
    )
    cluster = models.ForeignKey(
        Cluster,
        on_delete=models.SET_NULL,
        related_name="blos",
        null=True,
        blank=True,
        verbose_name=_("cluster"),
    )
    latitude = latitude_field()
    longitude = longitude_field()
    agencies = models.ManyToManyField(
        Agency, related_name="blos", blank=True, verbose_name=_("agencies stationed")
    )
    # The accepted pairs only (see CounterpartProposal): written by the pairing services alone.
    counterparts = models.ManyToManyField(
        "self", symmetrical=True, blank=True, verbose_name=_("counterpart BLOs")
    )
    notes = models.TextField(_("notes"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["country__name_en", "name_en"]
        verbose_name = _("BLO")
        verbose_name_plural = _("BLOs")

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("registry:blo", args=[self.code])

    def local_language(self) -> str:
        return country_language(self, self.country_id)

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        if self.province is not None and self.province.country_id != self.country_id:
            errors["province"] = _("This province is not in the BLO's country.")
        if self.cluster is not None and self.cluster.country_id != self.country_id:
            errors["cluster"] = _("This cluster is not in the BLO's country.")
        if errors:
            raise ValidationError(errors)


class CrossingKind(models.TextChoices):
    INTERNATIONAL = "international", _("International checkpoint")
    MAIN_LOCAL = "main_local", _("Main or local checkpoint")
    SECONDARY = "secondary", _("Secondary crossing")


class Crossing(LocalisedName):
    blo = models.ForeignKey(
        BLO, on_delete=models.CASCADE, related_name="crossings", verbose_name=_("BLO")
    )
    code = models.CharField(_("code"), max_length=30, unique=True, validators=[code_validator])
    kind = models.CharField(_("type"), max_length=20, choices=CrossingKind.choices)
    latitude = latitude_field()
    longitude = longitude_field()
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        ordering = ["blo__name_en", "name_en"]
        verbose_name = _("border crossing")
        verbose_name_plural = _("border crossings")

    def __str__(self) -> str:
        return self.display_name

    def local_language(self) -> str:
        return country_language(self.blo, self.blo.country_id)


class Role(models.TextChoices):
    """Who a user is in the network; each role is scoped by the user's country, BLO and agency."""

    OFFICER = "officer", _("Officer")
    HEAD_OF_BLO = "head_of_blo", _("Head of BLO")
    NATIONAL_COORDINATOR = "national_coordinator", _("National coordinator")
    PROGRAMME_STAFF = "programme_staff", _("Programme staff")
    SYSTEM_ADMINISTRATOR = "system_administrator", _("System administrator")

    @property
    def needs_country(self) -> bool:
        return self in {Role.OFFICER, Role.HEAD_OF_BLO, Role.NATIONAL_COORDINATOR}

    @property
    def needs_blo(self) -> bool:
        return self in {Role.OFFICER, Role.HEAD_OF_BLO}

    @property
    def is_network_wide(self) -> bool:
        return self in {Role.PROGRAMME_STAFF, Role.SYSTEM_ADMINISTRATOR}

    @property
    def rank(self) -> int:
        """How far the role reaches; a user may only grant roles below their own."""
        return {
            Role.OFFICER: 1,
            Role.HEAD_OF_BLO: 2,
            Role.PROGRAMME_STAFF: 2,
            Role.NATIONAL_COORDINATOR: 3,
            Role.SYSTEM_ADMINISTRATOR: 4,
        }[self]


class LiaisonUserManager(UserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra: object
    ) -> User:
        extra.setdefault("role", Role.SYSTEM_ADMINISTRATOR)
        return super().create_superuser(username, email, password, **extra)


class User(AbstractUser):
    """An account: an officer at a BLO, a coordinator, programme staff or an administrator."""

    role = models.CharField(_("role"), max_length=30, choices=Role.choices, default=Role.OFFICER)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    country = models.ForeignKey(
        Country,
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        verbose_name=_("country"),
    )
    blo = models.ForeignKey(
        BLO,
        on_delete=models.PROTECT,
        related_name="officers",
        null=True,
        blank=True,
        verbose_name=_("BLO"),
    )
    agency = models.ForeignKey(
        Agency,
        on_delete=models.PROTECT,
        related_name="officers",
        null=True,
        blank=True,
        verbose_name=_("agency"),
    )
    rank = models.CharField(_("rank"), max_length=100, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    languages_spoken = models.JSONField(
        _("languages spoken"), default=list, blank=True, help_text=_("Language codes, e.g. vi, lo")
    )
    at_station_since = models.DateField(_("at the station since"), null=True, blank=True)
    preferred_language = models.CharField(
        _("interface language"),
        max_length=10,
        blank=True,
        help_text=_("Empty: the language of the user's country, or the browser's."),
    )

    objects = LiaisonUserManager()  # type: ignore[misc]

    class Meta:
        ordering = ["last_name", "first_name", "username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def years_at_station(self) -> float | None:
        if self.at_station_since is None:
            return None
        days = (timezone.localdate() - self.at_station_since).days
        return round(days / 365.25, 1)

    @property
    def display_name(self) -> str:
        full = self.get_full_name()
        return full or self.username

    def __str__(self) -> str:
        return self.display_name

    def clean(self) -> None:
        super().clean()
        role = Role(self.role)
        errors: dict[str, Any] = {}
        if role.needs_country and self.country_id is None:
            errors["country"] = _("A %(role)s belongs to a country.") % {"role": role.label}
        if role.needs_blo and self.blo_id is None:
            errors["blo"] = _("A %(role)s is posted at a BLO.") % {"role": role.label}
        if self.blo is not None and self.country_id and self.blo.country_id != self.country_id:
            errors["blo"] = _("This BLO is not in the user's country.")
        if (
            self.agency is not None
            and self.country_id
            and self.agency.country_id != self.country_id
        ):
            errors["agency"] = _("This agency is not in the user's country.")
        if errors:
            raise ValidationError(errors)


class RoleSecurityPolicy(models.Model):
    """What an administrator requires of every account holding a role (e.g. two-factor sign-in)."""

    role = models.CharField(_("role"), max_length=30, choices=Role.choices, unique=True)
    require_two_factor = models.BooleanField(_("require two-factor sign-in"), default=False)

    class Meta:
        verbose_name = _("role security policy")
        verbose_name_plural = _("role security policies")

    def __str__(self) -> str:
        return str(self.get_role_display())


class PairingStatus(models.TextChoices):
    """Where a proposed counterpart pairing stands. Only an accepted pairing shares anything."""

    PENDING = "pending", _("Waiting for the other side")
    ACCEPTED = "accepted", _("Paired")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ENDED = "ended", _("Ended")

    @property
    def is_open(self) -> bool:
        """A pending proposal or a standing pair: at most one per two BLOs."""
        return self in {PairingStatus.PENDING, PairingStatus.ACCEPTED}


class CounterpartProposal(models.Model):
    """One side's proposal to pair two BLOs across a border, and what became of it.

    ``BLO.counterparts`` holds exactly the pairs whose proposal is ACCEPTED; the services of the
    registry keep the two in step, and every permission filter reads ``BLO.counterparts``.
    """

    from_blo = models.ForeignKey(
        BLO,
        on_delete=models.CASCADE,
        related_name="counterpart_proposals_sent",
        verbose_name=_("proposing BLO"),
    )
    to_blo = models.ForeignKey(
        BLO,
        on_delete=models.CASCADE,
        related_name="counterpart_proposals_received",
        verbose_name=_("proposed counterpart"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=PairingStatus.choices, default=PairingStatus.PENDING
    )
    proposed_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed at"), default=timezone.now)
    decided_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("counterpart proposal")
        verbose_name_plural = _("counterpart proposals")
        constraints = [
            # one open proposal or pair per two BLOs, whichever side proposed
            models.UniqueConstraint(
                Least("from_blo", "to_blo"),
                Greatest("from_blo", "to_blo"),
                condition=models.Q(status__in=["pending", "accepted"]),
                name="registry_one_open_pairing_per_two_blos",
            ),
            models.CheckConstraint(
                condition=~models.Q(from_blo=models.F("to_blo")),
                name="registry_pairing_between_two_blos",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_blo.code} ↔ {self.to_blo.code}"

    def other_side(self, blo: BLO) -> BLO:
        return self.to_blo if blo.pk == self.from_blo_id else self.from_blo


class PasswordReset(models.Model):
    """A one-time sign-in link a manager hands to a user, who then chooses a new password.

    Only the SHA-256 of the link's secret is stored; the secret is shown once, when issued.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_resets")
    token_hash = models.CharField(max_length=64, unique=True)
    issued_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    notified_at = models.DateTimeField(
        _("shown to the user at"),
        null=True,
        blank=True,
        help_text=_("When the user was told, at a sign-in, that their password was reset."),
    )

    class Meta:
        ordering = ["-issued_at", "-id"]
        verbose_name = _("password reset")
        verbose_name_plural = _("password resets")

    def __str__(self) -> str:
        return f"{self.user.username} {self.issued_at:%Y-%m-%d %H:%M}"

    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and timezone.now() < self.expires_at
