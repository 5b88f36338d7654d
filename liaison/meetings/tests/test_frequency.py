"""Meeting frequency per BLO over 12 months, in the layout of the report's Table 1."""

from __future__ import annotations

import datetime

from django.utils import timezone

from liaison.meetings.demo import load_demo_meetings
from liaison.meetings.models import Formality, FrequencyClass, Meeting, MeetingLevel
from liaison.meetings.selectors import (
    frequency_table,
    meeting_frequency,
    short_cluster_code,
)
from liaison.registry.models import BLO

TABLE_1_ROWS = [
    "Once a year",
    "2-5 times a year",
    "6-9 times a year",
    "10-12 times a year",
    "More than 12 times a year",
    "No regular meetings",
]


def meet(
    blo: BLO,
    days_ago: int,
    level: str = MeetingLevel.CROSS_BORDER,
    formality: str = Formality.OFFICIAL,
    counterpart: BLO | None = None,
) -> Meeting:
    return Meeting.objects.create(
        blo=blo,
        counterpart_blo=counterpart,
        level=level,
        formality=formality,
        held_on=timezone.localdate() - datetime.timedelta(days=days_ago),
        agenda="Cases",
    )


def test_classes_follow_the_reports_categories():
    assert [FrequencyClass.of(n) for n in (0, 1, 2, 5, 6, 9, 10, 12, 13, 40)] == [
        "none", "once", "2-5", "2-5", "6-9", "6-9", "10-12", "10-12", "13+", "13+",
    ]  # fmt: skip


def test_a_meeting_logged_by_both_sides_counts_once_for_each(world):
    meet(world.moc_bai, 10, counterpart=world.bavet)
    meet(world.bavet, 10, counterpart=world.moc_bai)  # the same meeting in Bavet's log
    meet(world.bavet, 40, counterpart=world.moc_bai)
    meet(world.moc_bai, 400, counterpart=world.bavet)  # more than 12 months ago
    meet(world.moc_bai, 5, formality=Formality.INFORMAL, counterpart=world.bavet)
    meet(world.moc_bai, 20, level=MeetingLevel.PROVINCIAL)
    rows = {f.blo.code: f for f in meeting_frequency([world.moc_bai, world.bavet, world.dien_bien])}
    assert rows["VN-MOCBAI"].official_cross_border == 2
    assert rows["KH-BAVET"].official_cross_border == 2
    assert rows["VN-MOCBAI"].informal_cross_border == 1
    assert rows["VN-MOCBAI"].count(MeetingLevel.PROVINCIAL, Formality.OFFICIAL) == 1
    assert rows["VN-MOCBAI"].cross_border_class == "2-5"
    assert rows["VN-DIENBIEN"].cross_border_class == "none"
    assert not rows["VN-DIENBIEN"].has_regular_cross_border_meetings
    # counted as informal, Moc Bai met its counterpart once
    informal = {
        f.blo.code: f for f in meeting_frequency([world.moc_bai], formality=Formality.INFORMAL)
    }
    assert informal["VN-MOCBAI"].cross_border_class == "once"


def test_demo_table_reproduces_the_layout_of_table_1(demo_network):
    blos = list(BLO.objects.filter(country__code="VN").order_by("cluster__code", "name_en"))
    table = frequency_table(meeting_frequency(blos))
    # the report's rows, in its order
    assert [label for _cls, label, _shares in table.rows] == TABLE_1_ROWS
    # its columns: CL1 (north-western, border with Lao PDR) and CL2 (southern, with Cambodia)
    assert [short_cluster_code(c.code) for c in table.columns] == ["CL1", "CL2"]
    assert [c.blos for c in table.columns] == [4, 3]
    for column in range(2):
        assert sum(shares[column] for _cls, _label, shares in table.rows) == 100.0
    shares = {cls: values for cls, _label, values in table.rows}
    # and its finding: irregular meetings are more prominent in the south
    assert shares["none"][1] > shares["none"][0]
    assert shares["10-12"][0] == 25.0  # Dien Bien meets its Lao counterpart monthly
    assert round(shares["none"][1], 1) == 66.7  # Song Tien and Long Binh


def test_demo_meetings_load_once(demo_network):
    count = Meeting.objects.count()
    load_demo_meetings()
    assert Meeting.objects.count() == count > 50
