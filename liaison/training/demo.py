"""Demo training data on the demo registry (``liaison.registry.demo``): the shipped catalogue and
modules, more officers at the posts so coverage means something, completions and certificates
(Lan at Moc Bai holds the BLO officer qualification), a joint Moc Bai–Bavet session, use of the
computer-based training, a rotation at Dien Bien, and the training plan of the 2010 assessment.

Idempotent: run it again and nothing is added twice. Call after ``load_demo_registry()``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.registry.models import BLO, Agency, Country, Role, User
from liaison.training.models import (
    Attendance,
    Certificate,
    Completion,
    DeliveryFormat,
    DepartureReason,
    Enrolment,
    EnrolmentStatus,
    LearningActivity,
    Posting,
    Qualification,
    TrainingModule,
    TrainingPlan,
    TrainingSession,
    add_months,
)
from liaison.training.planning import read_respondents_csv
from liaison.training.services import (
    do_create_training_plan,
    do_import_content,
    holder_name,
    new_verification_code,
)
from liaison.training.services.certificates import _issue_due_certificates

CONTENT_DIR = Path(__file__).resolve().parent / "content"
GRID_FIXTURE = Path(__file__).resolve().parent / "data" / "patrol-vn-2010-training-grid.csv"
PLAN_SOURCE = "PATROL training needs assessment, Viet Nam, 17-19 August 2010 (33 respondents)"


@dataclass(frozen=True)
class DemoOfficer:
    username: str
    first_name: str
    last_name: str
    blo: str
    agency: str
    rank: str
    years_at_station: int


# Colleagues of the registry's demo accounts; they cannot sign in (no password), they are the
# staff whose training the coverage and usage figures count.
OFFICERS = [
    DemoOfficer(
        "thao.customs.cautreo", "Thảo", "Lê Thị", "VN-CAUTREO", "VN-CUSTOMS", "Lieutenant", 1
    ),
    DemoOfficer(
        "duc.police.cautreo", "Đức", "Nguyễn Minh", "VN-CAUTREO", "VN-POLICE", "Captain", 4
    ),
    DemoOfficer(
        "son.narcotics.cautreo", "Sơn", "Phan Văn", "VN-CAUTREO", "VN-ANTI-NARCOTICS", "Major", 6
    ),
    DemoOfficer(
        "quang.army.dienbien", "Quang", "Vũ Đình", "VN-DIENBIEN", "VN-BORDER-ARMY", "Captain", 2
    ),
    DemoOfficer(
        "hoa.customs.dienbien", "Hoa", "Đặng Thị", "VN-DIENBIEN", "VN-CUSTOMS", "Lieutenant", 1
    ),
    DemoOfficer(
        "long.narcotics.dienbien", "Long", "Bùi Văn", "VN-DIENBIEN", "VN-ANTI-NARCOTICS", "Major", 3
    ),
    DemoOfficer(
        "khoa.env.dienbien", "Khoa", "Trịnh Văn", "VN-DIENBIEN", "VN-ENV-POLICE", "Captain", 2
    ),
    DemoOfficer(
        "binh.army.mocbai", "Bình", "Hồ Thanh", "VN-MOCBAI", "VN-BORDER-ARMY", "Captain", 5
    ),
    DemoOfficer(
        "an.narcotics.mocbai", "An", "Đoàn Văn", "VN-MOCBAI", "VN-ANTI-NARCOTICS", "Lieutenant", 1
    ),
    DemoOfficer(
        "phuong.police.songtien", "Phương", "Lý Thị", "VN-SONGTIEN", "VN-POLICE", "Captain", 2
    ),
    DemoOfficer(
        "tam.army.songtien", "Tâm", "Châu Văn", "VN-SONGTIEN", "VN-BORDER-ARMY", "Lieutenant", 1
    ),
    DemoOfficer(
        "nhan.customs.longbinh", "Nhân", "Võ Trọng", "VN-LONGBINH", "VN-CUSTOMS", "Captain", 3
    ),
    DemoOfficer("sokha.customs.bavet", "Sokha", "Chea", "KH-BAVET", "KH-CUSTOMS", "Lieutenant", 2),
]

# (username, module, months ago, score, attempts)
COMPLETIONS = [
    ("lan.customs.mocbai", "precursor-identification", 5, "90", 1),
    ("lan.customs.mocbai", "ods-hazardous-waste", 4, "80", 2),
    ("lan.customs.mocbai", "cites-basics", 3, "100", 1),
    ("hung.police.dienbien", "precursor-identification", 34, "85", 1),
    ("long.narcotics.dienbien", "precursor-identification", 8, "90", 1),
    ("long.narcotics.dienbien", "drug-identification", 8, None, 1),
    ("hoa.customs.dienbien", "ods-hazardous-waste", 2, "90", 1),
    ("quang.army.dienbien", "cites-basics", 6, "80", 3),
    ("binh.army.mocbai", "cites-basics", 3, "90", 1),
    ("son.narcotics.cautreo", "drug-identification", 12, None, 1),
    ("duc.police.cautreo", "cites-basics", 7, "90", 2),
]

# (username, module, status) of self-paced modules under way
ENROLMENTS = [
    ("mai.army.cautreo", "precursor-identification", EnrolmentStatus.ENROLLED),
    ("hung.police.dienbien", "cites-basics", EnrolmentStatus.IN_PROGRESS),
    ("thao.customs.cautreo", "ods-hazardous-waste", EnrolmentStatus.IN_PROGRESS),
    ("an.narcotics.mocbai", "precursor-identification", EnrolmentStatus.IN_PROGRESS),
]

# (username, days ago) of use of the computer-based training; Song Tien and Long Binh have none
ACTIVITY = [
    ("lan.customs.mocbai", [3, 10, 24, 60]),
    ("an.narcotics.mocbai", [1, 2]),
    ("hung.police.dienbien", [5, 30]),
    ("hoa.customs.dienbien", [15]),
    ("thao.customs.cautreo", [4, 8]),
    ("dara.police.bavet", [20]),
]


def _months_ago(today: datetime.date, months: int) -> datetime.date:
    return add_months(today, -months)


def _officers() -> None:
    blos = {b.code: b for b in BLO.objects.filter(code__in={o.blo for o in OFFICERS})}
    agencies = {a.code: a for a in Agency.objects.filter(code__in={o.agency for o in OFFICERS})}
    today = datetime.date(2026, 1, 1)
    for item in OFFICERS:
        if item.blo not in blos or item.agency not in agencies:
            continue
        user, created = User.objects.get_or_create(
            username=item.username,
            defaults={
                "first_name": item.first_name,
                "last_name": item.last_name,
                "role": Role.OFFICER,
                "country": blos[item.blo].country,
                "blo": blos[item.blo],
                "agency": agencies[item.agency],
                "rank": item.rank,
                "at_station_since": today.replace(year=today.year - item.years_at_station),
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])


def _completions(today: datetime.date) -> None:
    users = {u.username: u for u in User.objects.filter(username__in={c[0] for c in COMPLETIONS})}
    modules = {m.code: m for m in TrainingModule.objects.all()}
    for username, code, months, score, attempts in COMPLETIONS:
        officer, module = users.get(username), modules.get(code)
        if officer is None or module is None:
            continue
        completed_on = _months_ago(today, months)
        if Completion.objects.filter(officer=officer, module=module).exists():
            continue
        method = DeliveryFormat.ELEARNING if module.is_self_paced else DeliveryFormat.CLASSROOM
        Completion.objects.create(
            officer=officer,
            module=module,
            completed_on=completed_on,
            score=Decimal(score) if score else None,
            attempts=attempts,
            method=method,
            blo_id=officer.blo_id,
            valid_until=module.completion_valid_until(completed_on),
            created_at=timezone.make_aware(
                datetime.datetime.combine(completed_on, datetime.time(10))
            ),
        )
        if method == DeliveryFormat.ELEARNING:
            Enrolment.objects.update_or_create(
                officer=officer,
                module=module,
                defaults={
                    "status": EnrolmentStatus.COMPLETED,
                    "last_page": module.pages.count(),
                    "completed_at": timezone.make_aware(
                        datetime.datetime.combine(completed_on, datetime.time(10))
                    ),
                },
            )


def _certificates(today: datetime.date) -> None:
    # Hùng's precursor certificate, issued 34 months ago, is due for renewal.
    hung = User.objects.filter(username="hung.police.dienbien").first()
    frontline = Qualification.objects.filter(code="precursor-identification-frontline").first()
    if (
        hung is not None
        and frontline is not None
        and not Certificate.objects.filter(officer=hung).exists()
    ):
        issued_on = _months_ago(today, 34)
        Certificate.objects.create(
            code=new_verification_code(),
            qualification=frontline,
            officer=hung,
            holder_name=holder_name(hung),
            blo_id=hung.blo_id,
            agency_id=hung.agency_id,
            issued_on=issued_on,
            issued_at=timezone.make_aware(datetime.datetime.combine(issued_on, datetime.time(11))),
            valid_until=add_months(issued_on, frontline.validity_months),
            scores={"precursor-identification": "85.00"},
        )
    for username in ("lan.customs.mocbai", "long.narcotics.dienbien"):
        officer = User.objects.filter(username=username).first()
        if officer is not None:
            _issue_due_certificates(officer, actor=None)


def _enrolments() -> None:
    users = {u.username: u for u in User.objects.filter(username__in={e[0] for e in ENROLMENTS})}
    modules = {m.code: m for m in TrainingModule.objects.all()}
    for username, code, status in ENROLMENTS:
        if username in users and code in modules:
            Enrolment.objects.get_or_create(
                officer=users[username],
                module=modules[code],
                defaults={
                    "status": status,
                    "last_page": 2 if status == EnrolmentStatus.IN_PROGRESS else 0,
                },
            )


def _activity(today: datetime.date) -> None:
    users = {u.username: u for u in User.objects.filter(username__in={a[0] for a in ACTIVITY})}
    module = TrainingModule.objects.filter(code="precursor-identification").first()
    if module is None:
        return
    for username, days in ACTIVITY:
        officer = users.get(username)
        if officer is None:
            continue
        for ago in days:
            day = today - datetime.timedelta(days=ago)
            LearningActivity.objects.get_or_create(
                officer=officer,
                module=module,
                day=day,
                defaults={
                    "blo_id": officer.blo_id,
                    "actions": 6,
                    "last_at": timezone.make_aware(
                        datetime.datetime.combine(day, datetime.time(15))
                    ),
                },
            )


def _sessions(today: datetime.date) -> None:
    cites = TrainingModule.objects.filter(code="cites-basics").first()
    drugs = TrainingModule.objects.filter(code="drug-identification").first()
    moc_bai = BLO.objects.filter(code="VN-MOCBAI").first()
    bavet = BLO.objects.filter(code="KH-BAVET").first()
    dien_bien = BLO.objects.filter(code="VN-DIENBIEN").first()
    if (
        cites
        and moc_bai
        and bavet
        and not TrainingSession.objects.filter(module=cites, host_blo=moc_bai).exists()
    ):
        starts = _months_ago(today, 3)
        session = TrainingSession.objects.create(
            module=cites,
            kind=DeliveryFormat.JOINT_SESSION,
            title="CITES at the Moc Bai–Bavet crossing: joint session",
            starts_on=starts,
            ends_on=starts + datetime.timedelta(days=1),
            location="Moc Bai BLO meeting room",
            host_blo=moc_bai,
            trainer_name="TRAFFIC and UNODC trainers",
            language="Vietnamese, Khmer (interpreted)",
        )
        session.blos.set([moc_bai, bavet])
        for username, score in (("dara.police.bavet", "88"), ("sokha.customs.bavet", "84")):
            officer = User.objects.filter(username=username).first()
            if officer is None:
                continue
            completion = Completion.objects.create(
                officer=officer,
                module=cites,
                completed_on=session.ends_on,
                score=Decimal(score),
                method=DeliveryFormat.JOINT_SESSION,
                session=session,
                blo_id=officer.blo_id,
                valid_until=cites.completion_valid_until(session.ends_on),
            )
            Attendance.objects.create(
                session=session,
                officer=officer,
                present=True,
                score=Decimal(score),
                completion=completion,
            )
    if (
        drugs
        and dien_bien
        and not TrainingSession.objects.filter(module=drugs, host_blo=dien_bien).exists()
    ):
        starts = today + datetime.timedelta(days=21)
        session = TrainingSession.objects.create(
            module=drugs,
            kind=DeliveryFormat.CLASSROOM,
            title="Drug identification and field testing, Dien Bien",
            starts_on=starts,
            ends_on=starts + datetime.timedelta(days=2),
            location="Dien Bien Provincial Police",
            host_blo=dien_bien,
            trainer_name="SODC trainers",
            language="Vietnamese",
        )
        session.blos.set([dien_bien])


def _rotation(today: datetime.date) -> None:
    """A trained officer left Dien Bien two months ago: its precursor coverage dropped."""
    username = "trung.police.dienbien"
    if User.objects.filter(username=username).exists():
        return
    dien_bien = BLO.objects.filter(code="VN-DIENBIEN").first()
    police = Agency.objects.filter(code="VN-POLICE").first()
    module = TrainingModule.objects.filter(code="precursor-identification").first()
    if dien_bien is None or police is None or module is None:
        return
    officer = User.objects.create(
        username=username,
        first_name="Trung",
        last_name="Hà Quốc",
        role=Role.OFFICER,
        country=dien_bien.country,
        blo=dien_bien,
        agency=police,
        rank="Captain",
        is_active=False,
    )
    officer.set_unusable_password()
    officer.save(update_fields=["password"])
    completed_on = _months_ago(today, 14)
    Completion.objects.create(
        officer=officer,
        module=module,
        completed_on=completed_on,
        score=Decimal("95"),
        method=DeliveryFormat.ELEARNING,
        blo=dien_bien,
        valid_until=module.completion_valid_until(completed_on),
    )
    Posting.objects.create(
        officer=officer,
        blo=dien_bien,
        agency=police,
        started_on=_months_ago(today, 40),
        ended_on=_months_ago(today, 2),
        end_reason=DepartureReason.REASSIGNED,
    )


def _plan() -> None:
    if TrainingPlan.objects.filter(source=PLAN_SOURCE).exists() or not GRID_FIXTURE.is_file():
        return
    do_create_training_plan(
        title="Training plan from the 2010 assessment",
        country=Country.objects.filter(code="VN").first(),
        source=PLAN_SOURCE,
        respondents=read_respondents_csv(GRID_FIXTURE.read_text(encoding="utf-8")),
        starts_on=datetime.date(2026, 1, 1),
        actor=None,
    )


@transaction.atomic
def load_demo_training() -> None:
    """Create or complete the demo training data. Safe to run again."""
    do_import_content(CONTENT_DIR, actor=None)
    today = timezone.localdate()
    _officers()
    _completions(today)
    _certificates(today)
    _enrolments()
    _activity(today)
    _sessions(today)
    _rotation(today)
    _plan()
    record(
        actor=None,
        action=AuditAction.IMPORT,
        object_type="training",
        summary="Demo training loaded",
        username="liaison demo",
    )
