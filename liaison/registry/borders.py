"""Which countries of the Greater Mekong share a land border: the only pairs a BLO may pair across.

A counterpart BLO is the post on the other side of a land border, so a pair is possible only
between two countries that touch. The table lists the six Greater Mekong Subregion countries
(Cambodia, China, Lao PDR, Myanmar, Thailand, Viet Nam) by ISO 3166-1 code, and the land borders
between them.

Source: CIA, *The World Factbook*, "Land boundaries" of each country (Burma, Cambodia, China,
Laos, Thailand, Vietnam), https://www.cia.gov/the-world-factbook/field/land-boundaries/ —
for example Laos: "Burma, Cambodia, China, Thailand, Vietnam"; Cambodia: "Laos, Thailand,
Vietnam". Borders with countries outside the subregion (China–India, Thailand–Malaysia, …) are
left out: no BLO of this network stands on them. A country not listed has no pairable border.
"""

from __future__ import annotations

LAND_BORDERS: frozenset[frozenset[str]] = frozenset(
    frozenset(pair)
    for pair in (
        ("CN", "LA"),
        ("CN", "MM"),
        ("CN", "VN"),
        ("KH", "LA"),
        ("KH", "TH"),
        ("KH", "VN"),
        ("LA", "MM"),
        ("LA", "TH"),
        ("LA", "VN"),
        ("MM", "TH"),
    )
)


def share_land_border(country: str, other: str) -> bool:
    """Whether two countries (ISO codes) touch by land; a country never borders itself."""
    return country != other and frozenset((country, other)) in LAND_BORDERS


def neighbours(country: str) -> set[str]:
    """The ISO codes of the countries across a land border from ``country``."""
    return {code for pair in LAND_BORDERS if country in pair for code in pair if code != country}
