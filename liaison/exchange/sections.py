"""Which parts of the incident form belong to which crime area.

One definition, read by the form (which shows a section only for its areas, and refuses what
was typed into a section that does not apply), by the page's script (which hides it) and by
:func:`liaison.exchange.services.check_new_incident` (which refuses a smuggling report or head
counts recorded with an incident of another area, whatever the client sent).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from liaison.reference.models import CrimeArea


class IncidentSection(models.TextChoices):
    ITEMS = "items", _("Seized items")
    PEOPLE = "people", _("People (counts only, no names)")
    SMUGGLING = "smuggling", _("Migrant smuggling (VRS-MSRC)")


_PERSONS = {CrimeArea.HUMAN_TRAFFICKING, CrimeArea.MIGRANT_SMUGGLING}

SECTION_AREAS: dict[IncidentSection, frozenset[str]] = {
    # Goods coded against the reference vocabularies: every area but those about persons.
    IncidentSection.ITEMS: frozenset(area.value for area in CrimeArea if area not in _PERSONS),
    # Smuggled migrants, victims, smugglers and traffickers counted (no names).
    IncidentSection.PEOPLE: frozenset(
        {
            CrimeArea.HUMAN_TRAFFICKING.value,
            CrimeArea.MIGRANT_SMUGGLING.value,
            CrimeArea.GENERAL.value,
        }
    ),
    # The UNODC VRS-MSRC fields.
    IncidentSection.SMUGGLING: frozenset({CrimeArea.MIGRANT_SMUGGLING.value}),
}


def applies(section: IncidentSection, crime_area: str) -> bool:
    """Whether ``section`` of the form belongs to an incident of ``crime_area``."""
    return crime_area in SECTION_AREAS[section]


def areas_attribute(section: IncidentSection) -> str:
    """The section's areas as the page's ``data-areas`` attribute (space-separated, sorted)."""
    return " ".join(sorted(SECTION_AREAS[section]))
