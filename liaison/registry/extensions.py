"""Where other apps add to the registry's pages without the registry importing them.

An app registers, in its ``AppConfig.ready``, a function that returns the template and context of
a card for the home page, a section of a BLO page or of the user's own profile (or ``None`` when it has nothing to show that
user). The registry stays the foundation: it knows nothing of exchange, training or meetings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from liaison.registry.models import BLO, User


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 50


HomeCard = Callable[[HttpRequest], Panel | None]
BLOSection = Callable[[HttpRequest, BLO], Panel | None]
AccountSection = Callable[[HttpRequest, User], Panel | None]

_home_cards: list[HomeCard] = []
_blo_sections: list[BLOSection] = []
_account_sections: list[AccountSection] = []


def register_home_card(card: HomeCard) -> HomeCard:
    if card not in _home_cards:
        _home_cards.append(card)
    return card


def register_blo_section(section: BLOSection) -> BLOSection:
    if section not in _blo_sections:
        _blo_sections.append(section)
    return section


def register_account_section(section: AccountSection) -> AccountSection:
    if section not in _account_sections:
        _account_sections.append(section)
    return section


def account_sections(request: HttpRequest, user: User) -> list[Panel]:
    panels = [p for section in _account_sections if (p := section(request, user)) is not None]
    return sorted(panels, key=lambda p: p.order)


def home_cards(request: HttpRequest) -> list[Panel]:
    panels = [panel for card in _home_cards if (panel := card(request)) is not None]
    return sorted(panels, key=lambda p: p.order)


def blo_sections(request: HttpRequest, blo: BLO) -> list[Panel]:
    panels = [panel for section in _blo_sections if (panel := section(request, blo)) is not None]
    return sorted(panels, key=lambda p: p.order)
