"""Explicit builders for test data: every test says what world it stands in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.test import Client

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse

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

PASSWORD = "correct-horse-battery"


def make_country(code: str, name_en: str, name_local: str, language: str) -> Country:
    return Country.objects.create(
        code=code, name_en=name_en, name_local=name_local, language=language
    )


def make_agency(
    country: Country, code: str, kind: AgencyKind, name_en: str, name_local: str = ""
) -> Agency:
    return Agency.objects.create(
        country=country, code=code, kind=kind, name_en=name_en, name_local=name_local
    )


def make_blo(
    country: Country,
    code: str,
    name_en: str,
    name_local: str = "",
    *,
    province: Province | None = None,
    cluster: Cluster | None = None,
    agencies: list[Agency] | None = None,
) -> BLO:
    blo = BLO.objects.create(
        country=country,
        code=code,
        name_en=name_en,
        name_local=name_local,
        province=province,
        cluster=cluster,
    )
    blo.agencies.set(agencies or [])
    Crossing.objects.create(
        blo=blo, code=f"{code}-X1", name_en=name_en, kind=CrossingKind.INTERNATIONAL
    )
    return blo


def pair(left: BLO, right: BLO) -> None:
    """A pair the test world starts with, recorded as accepted (as the demo's are)."""
    from liaison.registry.services import seed_accepted_counterpart_pair

    seed_accepted_counterpart_pair(left, right, source="test world")


def make_user(
    username: str,
    role: Role = Role.OFFICER,
    *,
    country: Country | None = None,
    blo: BLO | None = None,
    agency: Agency | None = None,
    **extra: Any,
) -> User:
    if blo is not None and country is None:
        country = blo.country
    user = User(username=username, role=role, country=country, blo=blo, agency=agency, **extra)
    user.set_password(PASSWORD)
    user.full_clean()
    user.save()
    return user


def make_officer(blo: BLO, agency: Agency, username: str, **extra: Any) -> User:
    return make_user(username, Role.OFFICER, blo=blo, agency=agency, **extra)


def make_head(blo: BLO, agency: Agency, username: str, **extra: Any) -> User:
    """The head of a post (e.g. sokha, head of Bavet, who answers Bavet's pairing proposals)."""
    return make_user(username, Role.HEAD_OF_BLO, blo=blo, agency=agency, **extra)


@dataclass
class World:
    """A small network: Viet Nam's Moc Bai and Dien Bien, Cambodia's Bavet and Chrey Thom, Lao
    PDR's Pang Hok; Moc Bai pairs with Bavet, Dien Bien with Pang Hok.

    Personas: lan (customs officer, Moc Bai), minh (police officer, Moc Bai), hung (police
    officer, Dien Bien), tuan (head of BLO, Moc Bai), binh (head of BLO, Dien Bien), huong
    (national coordinator, Viet Nam), dara (police officer, Bavet), sophea (police officer,
    Chrey Thom), vanna (national coordinator, Cambodia), khamla (officer, Pang Hok), ainsley
    (programme staff), root (system administrator).
    """

    vn: Country
    kh: Country
    la: Country
    vn_customs: Agency
    vn_police: Agency
    kh_police: Agency
    la_police: Agency
    moc_bai: BLO
    dien_bien: BLO
    bavet: BLO
    chrey_thom: BLO
    pang_hok: BLO
    lan: User
    minh: User
    hung: User
    tuan: User
    binh: User
    huong: User
    dara: User
    sophea: User
    vanna: User
    khamla: User
    ainsley: User
    root: User


def build_world() -> World:
    vn = make_country("VN", "Viet Nam", "Việt Nam", "vi")
    kh = make_country("KH", "Cambodia", "កម្ពុជា", "km")
    la = make_country("LA", "Lao PDR", "ສປປ ລາວ", "lo")
    vn_customs = make_agency(vn, "VN-CUSTOMS", AgencyKind.CUSTOMS, "Customs", "Hải quan")
    vn_police = make_agency(
        vn, "VN-POLICE", AgencyKind.PROVINCIAL_POLICE, "Provincial Police", "Công an tỉnh"
    )
    kh_police = make_agency(
        kh, "KH-POLICE", AgencyKind.PROVINCIAL_POLICE, "Cambodian National Police"
    )
    la_police = make_agency(la, "LA-POLICE", AgencyKind.PROVINCIAL_POLICE, "Provincial Police")
    tay_ninh = Province.objects.create(
        country=vn, code="VN-TN", name_en="Tay Ninh", name_local="Tây Ninh"
    )
    cl2 = Cluster.objects.create(
        country=vn,
        code="VN-CL2",
        name_en="Southern border with Cambodia",
        name_local="Biên giới phía Nam với Campuchia",
    )
    moc_bai = make_blo(
        vn,
        "VN-MOCBAI",
        "Moc Bai",
        "Mộc Bài",
        province=tay_ninh,
        cluster=cl2,
        agencies=[vn_customs, vn_police],
    )
    dien_bien = make_blo(vn, "VN-DIENBIEN", "Dien Bien", "Điện Biên", agencies=[vn_police])
    bavet = make_blo(kh, "KH-BAVET", "Bavet", "បាវិត", agencies=[kh_police])
    chrey_thom = make_blo(kh, "KH-CHREYTHOM", "Chrey Thom", "ជ្រៃធំ", agencies=[kh_police])
    pang_hok = make_blo(la, "LA-PANGHOK", "Pang Hok", agencies=[la_police])
    pair(moc_bai, bavet)
    pair(dien_bien, pang_hok)
    return World(
        vn=vn, kh=kh, la=la,
        vn_customs=vn_customs, vn_police=vn_police, kh_police=kh_police, la_police=la_police,
        moc_bai=moc_bai, dien_bien=dien_bien, bavet=bavet, chrey_thom=chrey_thom, pang_hok=pang_hok,
        lan=make_officer(moc_bai, vn_customs, "lan", first_name="Lan", last_name="Nguyễn Thị"),
        minh=make_officer(moc_bai, vn_police, "minh", first_name="Minh", last_name="Đỗ Văn"),
        hung=make_officer(dien_bien, vn_police, "hung", first_name="Hùng", last_name="Trần Văn"),
        tuan=make_user("tuan", Role.HEAD_OF_BLO, blo=moc_bai, agency=vn_police),
        binh=make_user("binh", Role.HEAD_OF_BLO, blo=dien_bien, agency=vn_police),
        huong=make_user("huong", Role.NATIONAL_COORDINATOR, country=vn),
        dara=make_officer(bavet, kh_police, "dara", first_name="Dara", last_name="Sok"),
        sophea=make_officer(chrey_thom, kh_police, "sophea"),
        vanna=make_user("vanna", Role.NATIONAL_COORDINATOR, country=kh),
        khamla=make_officer(pang_hok, la_police, "khamla"),
        ainsley=make_user("ainsley", Role.PROGRAMME_STAFF),
        root=make_user("root", Role.SYSTEM_ADMINISTRATOR),
    )  # fmt: skip


def ensure_vocabulary() -> None:
    """The reference vocabularies the exchange codes seizures against (loaded from the data files)."""
    from liaison.reference.services import ensure_reference_loaded

    ensure_reference_loaded()


def make_incident(
    actor: User,
    *,
    distribution: str = "blo",
    tlp: str = "AMBER",
    crime_area: str = "wildlife",
    nominal: list[dict[str, Any]] | None = None,
    commodity: str = "species:manis-javanica",
    quantity: str = "12",
    unit: str = "kg",
    summary: str = "",
    days_ago: int = 1,
    confirmed_beyond_label: bool = False,
    group: Any = None,
) -> Any:
    import datetime
    from decimal import Decimal

    from django.utils import timezone

    from liaison.exchange.forms import resolve_commodity
    from liaison.exchange.models import Incident, NominalEntry, SeizureItem
    from liaison.exchange.services import IncidentParts, do_record_incident

    assert actor.blo is not None
    resolved = resolve_commodity(commodity)
    assert resolved is not None, commodity
    item = SeizureItem(quantity=Decimal(quantity), unit=unit)
    setattr(item, resolved[0], resolved[1])
    incident = Incident(
        blo=actor.blo,
        occurred_at=timezone.now() - datetime.timedelta(days=days_ago),
        location_kind="international_checkpoint",
        direction="entry",
        crime_area=crime_area,
        detection_method="scanner",
        concealment_method="mixed_with_cargo",
        conveyance="truck",
        origin_country="KH",
        destination_country="VN",
        summary=summary,
        summary_language="vi",
        tlp=tlp,
        distribution=distribution,
        group=group,
    )
    parts = IncidentParts(items=[item], nominal=[NominalEntry(**n) for n in (nominal or [])])
    return do_record_incident(
        incident, parts, actor=actor, confirmed_beyond_label=confirmed_beyond_label
    )


def exported(
    client: Client, path: str, query: dict[str, str] | None = None
) -> _MonkeyPatchedWSGIResponse:
    """An exchange export as a user gets it: asked on its page, written by the background worker
    (the tests run tasks at once), then downloaded from the export's page."""
    asked = client.post(path, query or {})
    assert asked.status_code == 302, (path, asked.status_code)
    downloaded = client.get(asked["Location"] + "file")
    assert downloaded.status_code == 200, (path, downloaded.status_code)
    return downloaded
