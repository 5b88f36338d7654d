"""The demo registry: the BLOs the PATROL assessment names, their counterparts, and demo accounts.

Sources: the 2010 PATROL training needs assessment for Viet Nam (BLOs Dien Bien, Moc Chau, Cau
Treo, Lao Bao, Moc Bai, Song Tien, Long Binh; clusters CL1 on the border with Lao PDR and CL2 on
the border with Cambodia; the agencies of its sample) and the 2015 national BLO consultation
(Standing Office on Drugs and Crime as national coordinator). Counterpart pairings and
coordinates are approximate, from public maps of the border gates, and are editable demo data;
provinces are named as they were at the time of the assessment.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from liaison.audit.models import AuditAction
from liaison.audit.services import record
from liaison.registry.models import (
    BLO,
    Agency,
    AgencyKind,
    Cluster,
    Country,
    Crossing,
    CrossingKind,
    Province,
    Role,
    User,
)
from liaison.registry.services import seed_accepted_counterpart_pair

DEMO_PASSWORD = "liaison-demo-2026"  # noqa: S105 - published demo credential, demo data only

COUNTRIES = [
    ("VN", "Viet Nam", "Việt Nam", "vi"),
    ("LA", "Lao PDR", "ສປປ ລາວ", "lo"),
    ("KH", "Cambodia", "កម្ពុជា", "km"),
    ("CN", "China", "中国", "zh-hans"),
    ("TH", "Thailand", "ประเทศไทย", "th"),
]

PROVINCES = [
    ("VN-DB", "VN", "Dien Bien", "Điện Biên"),
    ("VN-SL", "VN", "Son La", "Sơn La"),
    ("VN-HT", "VN", "Ha Tinh", "Hà Tĩnh"),
    ("VN-QT", "VN", "Quang Tri", "Quảng Trị"),
    ("VN-TN", "VN", "Tay Ninh", "Tây Ninh"),
    ("VN-AG", "VN", "An Giang", "An Giang"),
    ("LA-PH", "LA", "Phongsaly", "ຜົ້ງສາລີ"),
    ("LA-HO", "LA", "Houaphanh", "ຫົວພັນ"),
    ("LA-BK", "LA", "Bolikhamxay", "ບໍລິຄຳໄຊ"),
    ("LA-SV", "LA", "Savannakhet", "ສະຫວັນນະເຂດ"),
    ("KH-SR", "KH", "Svay Rieng", "ស្វាយរៀង"),
    ("KH-KD", "KH", "Kandal", "កណ្ដាល"),
]

CLUSTERS = [
    ("VN-CL1", "VN", "North-western border with Lao PDR", "Biên giới phía Tây Bắc với Lào"),
    ("VN-CL2", "VN", "Southern border with Cambodia", "Biên giới phía Nam với Campuchia"),
]

AGENCIES = [
    ("VN-POLICE", "VN", AgencyKind.PROVINCIAL_POLICE, "", "Provincial Police", "Công an tỉnh"),
    ("VN-BORDER-ARMY", "VN", AgencyKind.BORDER_ARMY, "BĐBP", "Border Army", "Bộ đội Biên phòng"),
    ("VN-CUSTOMS", "VN", AgencyKind.CUSTOMS, "", "Customs", "Hải quan"),
    (
        "VN-ANTI-NARCOTICS",
        "VN",
        AgencyKind.ANTI_NARCOTICS_POLICE,
        "",
        "Provincial Anti-Narcotics Police",
        "Cảnh sát điều tra tội phạm về ma túy",
    ),
    (
        "VN-ENV-POLICE",
        "VN",
        AgencyKind.ENVIRONMENTAL_POLICE,
        "",
        "Environmental Police",
        "Cảnh sát phòng, chống tội phạm về môi trường",
    ),
    (
        "VN-SODC",
        "VN",
        AgencyKind.COORDINATION_OFFICE,
        "SODC",
        "Standing Office on Drugs and Crime",
        "Văn phòng Thường trực phòng, chống tội phạm và ma túy",
    ),
    ("VN-COMMUNITY-POLICE", "VN", AgencyKind.OTHER, "", "Community Police", "Công an xã"),
    ("VN-PEOPLES-COMMITTEE", "VN", AgencyKind.OTHER, "", "People's Committee", "Ủy ban nhân dân"),
    ("LA-POLICE", "LA", AgencyKind.PROVINCIAL_POLICE, "", "Provincial Police", "ຕຳຫຼວດແຂວງ"),
    ("LA-CUSTOMS", "LA", AgencyKind.CUSTOMS, "", "Customs Department", "ກົມພາສີ"),
    ("LA-BORDER-ARMY", "LA", AgencyKind.BORDER_ARMY, "", "Border Army", ""),
    (
        "LA-LCDC",
        "LA",
        AgencyKind.COORDINATION_OFFICE,
        "LCDC",
        "Lao National Commission for Drug Control and Supervision",
        "",
    ),
    (
        "KH-POLICE",
        "KH",
        AgencyKind.PROVINCIAL_POLICE,
        "",
        "Cambodian National Police",
        "នគរបាលជាតិកម្ពុជា",
    ),
    (
        "KH-CUSTOMS",
        "KH",
        AgencyKind.CUSTOMS,
        "GDCE",
        "General Department of Customs and Excise",
        "អគ្គនាយកដ្ឋានគយ និងរដ្ឋាករកម្ពុជា",
    ),
    ("KH-ANTI-DRUG", "KH", AgencyKind.ANTI_NARCOTICS_POLICE, "", "Anti-Drug Police", ""),
    ("KH-IMMIGRATION", "KH", AgencyKind.IMMIGRATION, "", "Immigration Police", ""),
    (
        "KH-NACD",
        "KH",
        AgencyKind.COORDINATION_OFFICE,
        "NACD",
        "National Authority for Combating Drugs",
        "អាជ្ញាធរជាតិប្រយុទ្ធប្រឆាំងគ្រឿងញៀន",
    ),
]

VN_POST = ["VN-POLICE", "VN-BORDER-ARMY", "VN-CUSTOMS", "VN-ANTI-NARCOTICS", "VN-ENV-POLICE"]
LA_POST = ["LA-POLICE", "LA-CUSTOMS", "LA-BORDER-ARMY"]
KH_POST = ["KH-POLICE", "KH-CUSTOMS", "KH-ANTI-DRUG", "KH-IMMIGRATION"]


@dataclass(frozen=True)
class DemoBLO:
    code: str
    country: str
    province: str
    cluster: str
    name_en: str
    name_local: str
    latitude: str
    longitude: str
    agencies: list[str]
    crossing: tuple[str, str, CrossingKind]


BLOS = [
    DemoBLO("VN-DIENBIEN", "VN", "VN-DB", "VN-CL1", "Dien Bien", "Điện Biên", "21.2385", "102.8828", VN_POST, ("Tay Trang", "Tây Trang", CrossingKind.INTERNATIONAL)),
    DemoBLO("VN-MOCCHAU", "VN", "VN-SL", "VN-CL1", "Moc Chau", "Mộc Châu", "20.7767", "104.6056", VN_POST, ("Long Sap", "Lóng Sập", CrossingKind.INTERNATIONAL)),
    DemoBLO("VN-CAUTREO", "VN", "VN-HT", "VN-CL1", "Cau Treo", "Cầu Treo", "18.3890", "105.1580", VN_POST, ("Cau Treo", "Cầu Treo", CrossingKind.INTERNATIONAL)),
    DemoBLO("VN-LAOBAO", "VN", "VN-QT", "VN-CL1", "Lao Bao", "Lao Bảo", "16.6197", "106.5781", VN_POST, ("Lao Bao", "Lao Bảo", CrossingKind.INTERNATIONAL)),
    DemoBLO("VN-MOCBAI", "VN", "VN-TN", "VN-CL2", "Moc Bai", "Mộc Bài", "11.0708", "106.1969", VN_POST, ("Moc Bai", "Mộc Bài", CrossingKind.INTERNATIONAL)),
    DemoBLO("VN-SONGTIEN", "VN", "VN-AG", "VN-CL2", "Song Tien", "Sông Tiền", "10.9160", "105.1790", VN_POST, ("Vinh Xuong", "Vĩnh Xương", CrossingKind.INTERNATIONAL)),
    DemoBLO("VN-LONGBINH", "VN", "VN-AG", "VN-CL2", "Long Binh", "Long Bình", "10.9510", "105.0840", VN_POST, ("Long Binh", "Long Bình", CrossingKind.MAIN_LOCAL)),
    DemoBLO("LA-PANGHOK", "LA", "LA-PH", "", "Pang Hok", "", "21.2460", "102.8700", LA_POST, ("Sop Hun", "", CrossingKind.INTERNATIONAL)),
    DemoBLO("LA-PAHANG", "LA", "LA-HO", "", "Pa Hang", "", "20.7600", "104.5800", LA_POST, ("Pa Hang", "", CrossingKind.INTERNATIONAL)),
    DemoBLO("LA-NAMPHAO", "LA", "LA-BK", "", "Nam Phao", "ນ້ຳພ້າວ", "18.3960", "105.1400", LA_POST, ("Nam Phao", "ນ້ຳພ້າວ", CrossingKind.INTERNATIONAL)),
    DemoBLO("LA-DANSAVANH", "LA", "LA-SV", "", "Dansavanh", "ແດນສະຫວັນ", "16.6300", "106.5600", LA_POST, ("Dansavanh", "ແດນສະຫວັນ", CrossingKind.INTERNATIONAL)),
    DemoBLO("KH-BAVET", "KH", "KH-SR", "", "Bavet", "បាវិត", "11.0660", "106.1590", KH_POST, ("Bavet", "បាវិត", CrossingKind.INTERNATIONAL)),
    DemoBLO("KH-KAAMSAMNOR", "KH", "KH-KD", "", "Kaam Samnor", "ក្អមសំណរ", "10.9300", "105.1600", KH_POST, ("Kaam Samnor", "ក្អមសំណរ", CrossingKind.INTERNATIONAL)),
    DemoBLO("KH-CHREYTHOM", "KH", "KH-KD", "", "Chrey Thom", "ជ្រៃធំ", "10.9600", "105.0600", KH_POST, ("Chrey Thom", "ជ្រៃធំ", CrossingKind.MAIN_LOCAL)),
]  # fmt: skip

PAIRS = [
    ("VN-DIENBIEN", "LA-PANGHOK"),
    ("VN-MOCCHAU", "LA-PAHANG"),
    ("VN-CAUTREO", "LA-NAMPHAO"),
    ("VN-LAOBAO", "LA-DANSAVANH"),
    ("VN-MOCBAI", "KH-BAVET"),
    ("VN-SONGTIEN", "KH-KAAMSAMNOR"),
    ("VN-LONGBINH", "KH-CHREYTHOM"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: Role
    country: str = ""
    blo: str = ""
    agency: str = ""
    rank: str = ""
    position: str = ""
    languages: tuple[str, ...] = ()
    years_at_station: int = 0
    about: str = ""


USERS = [
    DemoUser("lan.customs.mocbai", "Lan", "Nguyễn Thị", Role.OFFICER, "VN", "VN-MOCBAI", "VN-CUSTOMS", "Đại úy", "Kiểm tra viên hải quan", ("vi", "km"), 3, "a Vietnamese customs officer at Moc Bai"),
    DemoUser("tuan.head.mocbai", "Tuấn", "Lê Minh", Role.HEAD_OF_BLO, "VN", "VN-MOCBAI", "VN-POLICE", "Trung tá", "Trưởng BLO", ("vi", "en"), 6, "the head of the Moc Bai BLO"),
    DemoUser("hung.police.dienbien", "Hùng", "Trần Văn", Role.OFFICER, "VN", "VN-DIENBIEN", "VN-POLICE", "Thiếu tá", "Điều tra viên", ("vi", "lo"), 4, "a Vietnamese police officer at Dien Bien"),
    DemoUser("binh.head.dienbien", "Bình", "Phạm Quốc", Role.HEAD_OF_BLO, "VN", "VN-DIENBIEN", "VN-POLICE", "Đại tá", "Phó Giám đốc Công an tỉnh, Trưởng BLO", ("vi",), 8, "the head of the Dien Bien BLO"),
    DemoUser("mai.army.cautreo", "Mai", "Hoàng Thị", Role.OFFICER, "VN", "VN-CAUTREO", "VN-BORDER-ARMY", "Đại úy", "Cán bộ biên phòng", ("vi", "lo"), 2, "a border army officer at Cau Treo"),
    DemoUser("huong.sodc", "Hương", "Phạm Thị Thu", Role.NATIONAL_COORDINATOR, "VN", "", "VN-SODC", "", "Điều phối viên BLO quốc gia", ("vi", "en"), 0, "Viet Nam's national coordinator (SODC)"),
    DemoUser("dara.police.bavet", "Dara", "Sok", Role.OFFICER, "KH", "KH-BAVET", "KH-POLICE", "Captain", "Border police officer", ("km", "vi", "en"), 5, "a Cambodian police officer at Bavet"),
    DemoUser("vanna.nacd", "Vanna", "Chan", Role.NATIONAL_COORDINATOR, "KH", "", "KH-NACD", "", "National BLO coordinator", ("km", "en"), 0, "Cambodia's national coordinator (NACD)"),
    DemoUser("somphone.customs.dansavanh", "Somphone", "Vongsa", Role.OFFICER, "LA", "LA-DANSAVANH", "LA-CUSTOMS", "Lieutenant", "Customs officer", ("lo", "vi"), 3, "a Lao customs officer at Dansavanh"),
    DemoUser("programme", "Ainsley", "Stinson", Role.PROGRAMME_STAFF, "", "", "", "", "Programme officer, assessments and training", ("en",), 0, "programme staff (assessment and training)"),
    DemoUser("admin", "Quản trị", "Hệ thống", Role.SYSTEM_ADMINISTRATOR, "", "", "", "", "Quản trị hệ thống", ("vi", "en"), 0, "the system administrator"),
]  # fmt: skip
"""Vietnamese accounts keep their rank and position as their users type them, in Vietnamese;
the others in the working language of the network, English."""


def _dec(value: str) -> Decimal | None:
    return Decimal(value) if value else None


@transaction.atomic
def load_demo_registry() -> None:
    """Create or refresh the demo registry. Safe to run again: records are matched by code."""
    countries = {
        code: Country.objects.update_or_create(
            code=code, defaults={"name_en": en, "name_local": local, "language": lang}
        )[0]
        for code, en, local, lang in COUNTRIES
    }
    provinces = {
        code: Province.objects.update_or_create(
            code=code, defaults={"country": countries[c], "name_en": en, "name_local": local}
        )[0]
        for code, c, en, local in PROVINCES
    }
    clusters = {
        code: Cluster.objects.update_or_create(
            code=code, defaults={"country": countries[c], "name_en": en, "name_local": local}
        )[0]
        for code, c, en, local in CLUSTERS
    }
    agencies = {
        code: Agency.objects.update_or_create(
            code=code,
            defaults={
                "country": countries[c],
                "kind": kind,
                "abbreviation": abbr,
                "name_en": en,
                "name_local": local,
            },
        )[0]
        for code, c, kind, abbr, en, local in AGENCIES
    }
    blos: dict[str, BLO] = {}
    for item in BLOS:
        blo, _ = BLO.objects.update_or_create(
            code=item.code,
            defaults={
                "country": countries[item.country],
                "province": provinces[item.province],
                "cluster": clusters.get(item.cluster),
                "name_en": item.name_en,
                "name_local": item.name_local,
                "latitude": _dec(item.latitude),
                "longitude": _dec(item.longitude),
                "notes": "Demo data: coordinates approximate.",
            },
        )
        blo.agencies.set([agencies[a] for a in item.agencies])
        crossing_en, crossing_local, kind = item.crossing
        Crossing.objects.update_or_create(
            code=f"{item.code}-X1",
            defaults={
                "blo": blo,
                "kind": kind,
                "name_en": crossing_en,
                "name_local": crossing_local,
                "latitude": _dec(item.latitude),
                "longitude": _dec(item.longitude),
            },
        )
        blos[item.code] = blo
    for left, right in PAIRS:
        # The demo's pairs are its seed, agreed before the application: recorded as accepted.
        seed_accepted_counterpart_pair(blos[left], blos[right], source="liaison demo")

    today = datetime.date(2026, 1, 1)
    for person in USERS:
        user, created = User.objects.get_or_create(username=person.username)
        user.first_name = person.first_name
        user.last_name = person.last_name
        user.role = person.role
        user.country = countries.get(person.country)
        user.blo = blos.get(person.blo)
        user.agency = agencies.get(person.agency)
        user.rank = person.rank
        user.position = person.position
        user.languages_spoken = list(person.languages)
        if person.years_at_station:
            user.at_station_since = today.replace(year=today.year - person.years_at_station)
        user.is_staff = person.role == Role.SYSTEM_ADMINISTRATOR
        if created:
            user.set_password(DEMO_PASSWORD)
        user.full_clean()
        user.save()
    record(
        actor=None,
        action=AuditAction.IMPORT,
        object_type="registry",
        summary="Demo registry loaded",
        username="liaison demo",
    )
