"""The permission layer as a matrix: every role × scope × action defined so far.

Each row names a persona (see tests.builders.World), an action, a kind of object, and exactly the
objects that persona may act on; every other object of that kind must be refused. Visibility is
also checked against ``visible()``, so the lists a user sees and the pages they may open agree.
"""

from __future__ import annotations

from typing import Any

import pytest

from liaison.registry.models import BLO, Agency, Country, Crossing, User
from liaison.registry.permissions import Action, can, may_view_audit, visible

BLOS = ["moc_bai", "dien_bien", "bavet", "chrey_thom", "pang_hok"]
COUNTRIES = ["vn", "kh", "la"]
PEOPLE = ["lan", "minh", "hung", "dara", "huong"]
AGENCIES = ["vn_customs", "kh_police"]
PERSONAS = [
    "lan", "minh", "hung", "tuan", "binh", "huong", "dara", "sophea", "vanna", "khamla",
    "ainsley", "root",
]  # fmt: skip

# persona: {(action, kind): allowed objects}
MATRIX: dict[str, dict[tuple[Action, str], set[str]]] = {
    # officers: their country's BLOs and their own BLO's counterparts; change nothing but themselves
    "lan": {
        (Action.VIEW, "blo"): {"moc_bai", "dien_bien", "bavet"},
        (Action.VIEW, "country"): {"vn"},
        (Action.VIEW, "user"): {"lan", "minh", "dara", "huong"},
        (Action.CHANGE, "user"): {"lan"},
        (Action.VIEW, "agency"): {"vn_customs", "kh_police"},
    },
    "minh": {
        (Action.VIEW, "blo"): {"moc_bai", "dien_bien", "bavet"},
        (Action.VIEW, "country"): {"vn"},
        (Action.VIEW, "user"): {"lan", "minh", "dara", "huong"},
        (Action.CHANGE, "user"): {"minh"},
        (Action.VIEW, "agency"): {"vn_customs", "kh_police"},
    },
    "hung": {
        (Action.VIEW, "blo"): {"moc_bai", "dien_bien", "pang_hok"},
        (Action.VIEW, "country"): {"vn"},
        (Action.VIEW, "user"): {"hung", "huong"},
        (Action.CHANGE, "user"): {"hung"},
        (Action.VIEW, "agency"): {"vn_customs"},
    },
    # heads of BLO: as officers, plus their own post and its officers of every agency
    "tuan": {
        (Action.VIEW, "blo"): {"moc_bai", "dien_bien", "bavet"},
        (Action.CHANGE, "blo"): {"moc_bai"},
        (Action.CHANGE, "crossing"): {"moc_bai"},
        (Action.VIEW, "country"): {"vn"},
        (Action.VIEW, "user"): {"lan", "minh", "dara", "huong"},
        (Action.CHANGE, "user"): {"lan", "minh"},
        (Action.MANAGE_ACCOUNT, "user"): {"lan", "minh"},
        (Action.VIEW, "agency"): {"vn_customs", "kh_police"},
    },
    "binh": {
        (Action.VIEW, "blo"): {"moc_bai", "dien_bien", "pang_hok"},
        (Action.CHANGE, "blo"): {"dien_bien"},
        (Action.CHANGE, "crossing"): {"dien_bien"},
        (Action.VIEW, "country"): {"vn"},
        (Action.VIEW, "user"): {"hung", "huong"},
        (Action.CHANGE, "user"): {"hung"},
        (Action.MANAGE_ACCOUNT, "user"): {"hung"},
        (Action.VIEW, "agency"): {"vn_customs"},
    },
    # national coordinators: the whole country, and the BLOs paired with it
    "huong": {
        (Action.VIEW, "blo"): {"moc_bai", "dien_bien", "bavet", "pang_hok"},
        (Action.CHANGE, "blo"): {"moc_bai", "dien_bien"},
        (Action.CREATE, "blo"): {"moc_bai", "dien_bien"},
        (Action.DELETE, "blo"): {"moc_bai", "dien_bien"},
        (Action.CHANGE, "crossing"): {"moc_bai", "dien_bien"},
        (Action.VIEW, "country"): {"vn"},
        (Action.VIEW, "user"): {"lan", "minh", "hung", "dara", "huong"},
        (Action.CHANGE, "user"): {"lan", "minh", "hung", "huong"},
        (Action.MANAGE_ACCOUNT, "user"): {"lan", "minh", "hung"},
        (Action.VIEW, "agency"): {"vn_customs", "kh_police"},
        (Action.CHANGE, "agency"): {"vn_customs"},
    },
    "dara": {
        (Action.VIEW, "blo"): {"bavet", "chrey_thom", "moc_bai"},
        (Action.VIEW, "country"): {"kh"},
        (Action.VIEW, "user"): {"dara", "lan", "minh"},
        (Action.CHANGE, "user"): {"dara"},
        (Action.VIEW, "agency"): {"vn_customs", "kh_police"},
    },
    "sophea": {
        (Action.VIEW, "blo"): {"bavet", "chrey_thom"},
        (Action.VIEW, "country"): {"kh"},
        (Action.VIEW, "user"): set(),
        (Action.VIEW, "agency"): {"kh_police"},
    },
    "vanna": {
        (Action.VIEW, "blo"): {"bavet", "chrey_thom", "moc_bai"},
        (Action.CHANGE, "blo"): {"bavet", "chrey_thom"},
        (Action.CREATE, "blo"): {"bavet", "chrey_thom"},
        (Action.DELETE, "blo"): {"bavet", "chrey_thom"},
        (Action.CHANGE, "crossing"): {"bavet", "chrey_thom"},
        (Action.VIEW, "country"): {"kh"},
        (Action.VIEW, "user"): {"dara", "lan", "minh"},
        (Action.CHANGE, "user"): {"dara"},
        (Action.MANAGE_ACCOUNT, "user"): {"dara"},
        (Action.VIEW, "agency"): {"vn_customs", "kh_police"},
        (Action.CHANGE, "agency"): {"kh_police"},
    },
    "khamla": {
        (Action.VIEW, "blo"): {"pang_hok", "dien_bien"},
        (Action.VIEW, "country"): {"la"},
        (Action.VIEW, "user"): {"hung"},
        (Action.VIEW, "agency"): set(),
    },
    # programme staff: the whole registry to read, nothing to change, no accounts to manage
    "ainsley": {
        (Action.VIEW, "blo"): set(BLOS),
        (Action.VIEW, "country"): set(COUNTRIES),
        (Action.VIEW, "user"): set(PEOPLE),
        (Action.VIEW, "agency"): set(AGENCIES),
    },
    "root": {
        (Action.VIEW, "blo"): set(BLOS),
        (Action.CHANGE, "blo"): set(BLOS),
        (Action.CREATE, "blo"): set(BLOS),
        (Action.DELETE, "blo"): set(BLOS),
        (Action.CHANGE, "crossing"): set(BLOS),
        (Action.VIEW, "country"): set(COUNTRIES),
        (Action.CHANGE, "country"): set(COUNTRIES),
        (Action.VIEW, "user"): set(PEOPLE),
        (Action.CHANGE, "user"): set(PEOPLE),
        (Action.MANAGE_ACCOUNT, "user"): set(PEOPLE),
        (Action.DELETE, "user"): set(PEOPLE),
        (Action.VIEW, "agency"): set(AGENCIES),
        (Action.CHANGE, "agency"): set(AGENCIES),
    },
}

KINDS = {
    "blo": BLOS,
    "crossing": BLOS,  # the crossing of each BLO
    "country": COUNTRIES,
    "user": PEOPLE,
    "agency": AGENCIES,
}
ACTIONS_BY_KIND = {
    "blo": [Action.VIEW, Action.CHANGE, Action.CREATE, Action.DELETE],
    "crossing": [Action.CHANGE, Action.CREATE],
    "country": [Action.VIEW, Action.CHANGE],
    "user": [Action.VIEW, Action.CHANGE, Action.MANAGE_ACCOUNT, Action.DELETE],
    "agency": [Action.VIEW, Action.CHANGE],
}


def _object(world, kind: str, name: str):
    obj = getattr(world, name)
    if kind == "crossing":
        return obj.crossings.get()
    return obj


def _expected(persona: str, action: Action, kind: str) -> set[str]:
    rules = MATRIX[persona]
    if kind == "crossing" and action == Action.CREATE:
        return rules.get((Action.CHANGE, "crossing"), set())
    return rules.get((action, kind), set())


@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(world, persona: str) -> None:
    # given one persona of the world, when asked every action on every object of every kind,
    # then exactly the objects the matrix names are allowed
    user = getattr(world, persona)
    mismatches = []
    for kind, actions in ACTIONS_BY_KIND.items():
        for action in actions:
            allowed = {
                name for name in KINDS[kind] if can(user, action, _object(world, kind, name))
            }
            expected = _expected(persona, action, kind)
            if allowed != expected:
                mismatches.append(
                    f"{action.value} {kind}: got {sorted(allowed)}, want {sorted(expected)}"
                )
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("persona", PERSONAS)
def test_visible_lists_agree_with_view_permission(world, persona: str) -> None:
    user = getattr(world, persona)
    models: list[tuple[str, type[BLO] | type[Country] | type[Agency]]] = [
        ("blo", BLO),
        ("country", Country),
        ("agency", Agency),
    ]
    for kind, model in models:
        rows: Any = visible(user, model)
        codes = set(rows.values_list("code", flat=True))
        expected = {_object(world, kind, n).code for n in _expected(persona, Action.VIEW, kind)}
        assert expected <= codes, kind
        # the world holds only these objects of each kind, except agencies made elsewhere
        if kind != "agency":
            assert codes == expected, kind
    crossings = {c.blo.code for c in visible(user, Crossing)}
    assert crossings == {getattr(world, n).code for n in _expected(persona, Action.VIEW, "blo")}
    usernames = set(
        visible(user, User).filter(username__in=PEOPLE).values_list("username", flat=True)
    )
    assert usernames == _expected(persona, Action.VIEW, "user")


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [(p, p in {"root", "huong", "vanna"}) for p in PERSONAS],
)
def test_audit_log_is_for_administrators_and_coordinators(
    world, persona: str, allowed: bool
) -> None:
    assert may_view_audit(getattr(world, persona)) is allowed


def test_inactive_and_anonymous_users_can_do_nothing(world) -> None:
    from django.contrib.auth.models import AnonymousUser

    world.root.is_active = False
    world.root.save()
    for user in (world.root, AnonymousUser()):
        assert not visible(user, BLO).exists()
        assert not can(user, Action.VIEW, world.moc_bai)
        assert not can(user, Action.CHANGE, world.moc_bai)


# Who speaks for a post in pairing: proposes its pairs, answers proposals made to it, ends them.
SPEAKS_FOR: dict[str, set[str]] = {
    "tuan": {"moc_bai"},
    "binh": {"dien_bien"},
    "huong": {"moc_bai", "dien_bien"},
    "vanna": {"bavet", "chrey_thom"},
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_pairing_matrix(world, persona: str) -> None:
    from liaison.registry.models import CounterpartProposal
    from liaison.registry.permissions import (
        may_answer_counterpart,
        may_end_counterpart_pair,
        may_propose_counterpart,
    )

    user = getattr(world, persona)
    speaks = SPEAKS_FOR.get(persona, set())
    proposes = {name for name in BLOS if may_propose_counterpart(user, getattr(world, name))}
    # an administrator may propose for any post, but only the post's own side may accept
    assert proposes == (set(BLOS) if persona == "root" else speaks)
    answers = {
        name
        for name in BLOS
        if may_answer_counterpart(
            user, CounterpartProposal(from_blo=world.pang_hok, to_blo=getattr(world, name))
        )
    }
    assert answers == speaks
    ends = {
        name
        for name, other in [("moc_bai", "bavet"), ("dien_bien", "pang_hok")]
        if may_end_counterpart_pair(user, getattr(world, name), getattr(world, other))
    }
    expected_ends = {
        name
        for name, other in [("moc_bai", "bavet"), ("dien_bien", "pang_hok")]
        if persona == "root" or {name, other} & speaks
    }
    assert ends == expected_ends
