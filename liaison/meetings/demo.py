"""Demo meeting logs of the Vietnamese BLOs of the demo registry (``liaison.registry.demo``).

The pattern follows the 2010 assessment: on the border with Lao PDR (CL1) the police meet their
counterparts monthly at Dien Bien, less often elsewhere; on the border with Cambodia (CL2)
Moc Bai meets Bavet every three months, while Song Tien and Long Binh hold no official
meeting, only informal daily exchanges (report Table 1 and the Q&A sessions). Actions are
agreed, some followed up at the next meeting, one left overdue.

Idempotent: if the demo BLOs already have a log, nothing is added.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.meetings.models import (
    ActionReview,
    ActionStatus,
    Formality,
    Meeting,
    MeetingAction,
    MeetingLevel,
    Participation,
)
from liaison.registry.models import BLO, Agency, User


@dataclass(frozen=True)
class CrossBorderPattern:
    blo: str
    counterpart: str
    official_days_ago: tuple[int, ...]
    informal_days_ago: tuple[int, ...]
    counterpart_agency: str


PATTERNS = [
    CrossBorderPattern(
        "VN-DIENBIEN", "LA-PANGHOK", tuple(range(15, 360, 30)), (3, 40, 95), "LA-POLICE"
    ),
    CrossBorderPattern("VN-MOCCHAU", "LA-PAHANG", (40, 130, 220, 310), (12, 70), "LA-POLICE"),
    CrossBorderPattern("VN-CAUTREO", "LA-NAMPHAO", (60, 180, 300), (8, 25, 120), "LA-CUSTOMS"),
    CrossBorderPattern("VN-LAOBAO", "LA-DANSAVANH", (200,), (30,), "LA-CUSTOMS"),
    CrossBorderPattern(
        "VN-MOCBAI", "KH-BAVET", (20, 110, 200, 290), tuple(range(2, 360, 12)), "KH-POLICE"
    ),
    CrossBorderPattern(
        "VN-SONGTIEN", "KH-KAAMSAMNOR", (), (5, 33, 61, 90, 150, 210, 270, 330), "KH-POLICE"
    ),
    CrossBorderPattern("VN-LONGBINH", "KH-CHREYTHOM", (430,), (9, 70, 140, 250, 320), "KH-POLICE"),
]

# (BLO, level, formality, days ago, place, agenda)
LOCAL_MEETINGS = [
    (
        "VN-DIENBIEN",
        MeetingLevel.PROVINCIAL,
        Formality.OFFICIAL,
        50,
        "Dien Bien Provincial Police",
        "Quarterly review of drug seizures with the provincial steering committee.",
    ),
    (
        "VN-DIENBIEN",
        MeetingLevel.DISTRICT,
        Formality.OFFICIAL,
        20,
        "Dien Bien Dong district",
        "Patrols between checkpoints with the district border guard and the commune police.",
    ),
    (
        "VN-DIENBIEN",
        MeetingLevel.DISTRICT,
        Formality.INFORMAL,
        6,
        "Tay Trang checkpoint",
        "Information on a group of porters crossing at night.",
    ),
    (
        "VN-MOCBAI",
        MeetingLevel.PROVINCIAL,
        Formality.OFFICIAL,
        75,
        "Tay Ninh Provincial People's Committee",
        "Border trade and the smuggling of cigarettes and sugar.",
    ),
    (
        "VN-MOCBAI",
        MeetingLevel.NATIONAL,
        Formality.OFFICIAL,
        150,
        "Ha Noi",
        "National BLO coordination meeting: standard operating procedures for sharing information.",
    ),
    (
        "VN-CAUTREO",
        MeetingLevel.PROVINCIAL,
        Formality.OFFICIAL,
        100,
        "Ha Tinh Provincial Police",
        "Wildlife trafficking through the Cau Treo border gate.",
    ),
]


def _days_ago(today: datetime.date, days: int) -> datetime.date:
    return today - datetime.timedelta(days=days)


def _participants(
    meeting: Meeting, agencies: dict[str, Agency], counterpart_agency: str | None
) -> None:
    vn = meeting.blo.country
    Participation.objects.create(
        meeting=meeting, country=vn, agency=agencies.get("VN-POLICE"), people=2
    )
    Participation.objects.create(
        meeting=meeting, country=vn, agency=agencies.get("VN-BORDER-ARMY"), people=1
    )
    if (
        meeting.level == MeetingLevel.CROSS_BORDER
        and counterpart_agency
        and meeting.counterpart_blo
    ):
        Participation.objects.create(
            meeting=meeting,
            country=meeting.counterpart_blo.country,
            agency=agencies.get(counterpart_agency),
            people=2,
        )
    elif meeting.level in {MeetingLevel.DISTRICT, MeetingLevel.PROVINCIAL}:
        Participation.objects.create(
            meeting=meeting, country=vn, organisation="People's Committee", people=1
        )


@transaction.atomic
def load_demo_meetings() -> None:
    """Create the demo meeting logs, unless the demo BLOs already have one."""
    codes = {p.blo for p in PATTERNS}
    blos = {
        b.code: b for b in BLO.objects.filter(code__in=codes | {p.counterpart for p in PATTERNS})
    }
    if not blos or Meeting.objects.filter(blo__code__in=codes).exists():
        return
    agencies = {a.code: a for a in Agency.objects.all()}
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=[
                "lan.customs.mocbai",
                "tuan.head.mocbai",
                "binh.head.dienbien",
                "mai.army.cautreo",
            ]
        )
    }
    today = timezone.localdate()
    by_blo: dict[str, list[Meeting]] = {}
    for pattern in PATTERNS:
        blo, counterpart = blos.get(pattern.blo), blos.get(pattern.counterpart)
        if blo is None or counterpart is None:
            continue
        for formality, days in (
            (Formality.OFFICIAL, pattern.official_days_ago),
            (Formality.INFORMAL, pattern.informal_days_ago),
        ):
            for ago in days:
                meeting = Meeting.objects.create(
                    blo=blo,
                    counterpart_blo=counterpart,
                    level=MeetingLevel.CROSS_BORDER,
                    formality=formality,
                    held_on=_days_ago(today, ago),
                    location=f"{blo.name_en} – {counterpart.name_en} border gate",
                    agenda=(
                        "Exchange of information on drug and wildlife cases; joint patrols; contact points."
                        if formality == Formality.OFFICIAL
                        else "Ad hoc exchange on a suspect vehicle and a wanted person."
                    ),
                    outcomes=(
                        "Cases of the quarter reviewed; contact points confirmed."
                        if formality == Formality.OFFICIAL
                        else ""
                    ),
                )
                _participants(meeting, agencies, pattern.counterpart_agency)
                by_blo.setdefault(pattern.blo, []).append(meeting)
    for code, level, formality, ago, place, agenda in LOCAL_MEETINGS:
        if code in blos:
            meeting = Meeting.objects.create(
                blo=blos[code], level=level, formality=formality,
                held_on=_days_ago(today, ago), location=place, agenda=agenda,
            )  # fmt: skip
            _participants(meeting, agencies, None)
    _actions(by_blo, users, agencies, today)
    record(
        actor=None,
        action=AuditAction.IMPORT,
        object_type="meetings",
        summary="Demo meeting logs loaded",
        username="liaison demo",
    )


def _official(meetings: list[Meeting]) -> list[Meeting]:
    return sorted(
        (m for m in meetings if m.formality == Formality.OFFICIAL), key=lambda m: m.held_on
    )


def _actions(
    by_blo: dict[str, list[Meeting]],
    users: dict[str, User],
    agencies: dict[str, Agency],
    today: datetime.date,
) -> None:
    moc_bai = _official(by_blo.get("VN-MOCBAI", []))
    if len(moc_bai) >= 2:
        earlier, latest = moc_bai[-2], moc_bai[-1]
        hotline = MeetingAction.objects.create(
            meeting=earlier,
            description="Set up a telephone hotline between the Moc Bai and Bavet BLOs",
            owner=users.get("tuan.head.mocbai"),
            owner_name="" if "tuan.head.mocbai" in users else "Head of BLO, Moc Bai",
            due_on=earlier.held_on + datetime.timedelta(days=60),
        )
        ActionReview.objects.create(
            action=hotline,
            meeting=latest,
            status=ActionStatus.DONE,
            note="Hotline working since last month.",
        )
        hotline.status = ActionStatus.DONE
        hotline.closed_on = latest.held_on
        hotline.save(update_fields=["status", "closed_on"])
        MeetingAction.objects.create(
            meeting=latest,
            description="Share the registration numbers of trucks seen carrying pangolin scales",
            owner=users.get("lan.customs.mocbai"),
            owner_name="" if "lan.customs.mocbai" in users else "Customs, Moc Bai",
            owner_agency=agencies.get("VN-CUSTOMS"),
            due_on=today + datetime.timedelta(days=30),
        )
        MeetingAction.objects.create(
            meeting=latest,
            description="Send the Khmer list of CITES species seized this year",
            owner_name="Bavet BLO, Cambodian National Police",
            owner_agency=agencies.get("KH-POLICE"),
            due_on=today + datetime.timedelta(days=45),
        )
    dien_bien = _official(by_blo.get("VN-DIENBIEN", []))
    if dien_bien:
        MeetingAction.objects.create(
            meeting=dien_bien[-2] if len(dien_bien) > 1 else dien_bien[-1],
            description="Exchange updated contact lists of the officers on duty at Tay Trang and Sop Hun",
            owner=users.get("binh.head.dienbien"),
            owner_name="" if "binh.head.dienbien" in users else "Head of BLO, Dien Bien",
            due_on=today - datetime.timedelta(days=10),
        )
    cau_treo = _official(by_blo.get("VN-CAUTREO", []))
    if cau_treo:
        MeetingAction.objects.create(
            meeting=cau_treo[-1],
            description="Joint training on precursor identification with the Nam Phao BLO",
            owner=users.get("mai.army.cautreo"),
            owner_name="" if "mai.army.cautreo" in users else "Border army, Cau Treo",
            due_on=today + datetime.timedelta(days=60),
        )
