"""Demo exchange records for the demo network: written through the services, as officers would."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from liaison.exchange import services
from liaison.exchange.models import (
    TLP,
    Alert,
    AlertDelivery,
    ConcealmentMethod,
    Conveyance,
    DetectionMethod,
    Direction,
    Distribution,
    Incident,
    InformationCredibility,
    InformationRequest,
    IntelligenceReport,
    LocationKind,
    MigrantSmugglingReport,
    NominalEntry,
    NominalKind,
    NominalRole,
    PersonCategory,
    PersonCount,
    SeizureItem,
    SourceReliability,
)
from liaison.reference.models import (
    CrimeArea,
    DrugType,
    OzoneSubstance,
    Species,
    SpecimenPart,
    Unit,
)
from liaison.registry.models import BLO, User


def _ago(days: int, hour: int = 9) -> datetime.datetime:
    moment = timezone.now() - datetime.timedelta(days=days)
    return moment.replace(hour=hour, minute=30, second=0, microsecond=0)


@transaction.atomic
def load_demo_exchange() -> None:
    """Record the demo incidents once; a second run finds them and does nothing."""
    if Incident.objects.filter(summary__startswith="[demo]").exists():
        return
    lan = User.objects.get(username="lan.customs.mocbai")
    hung = User.objects.get(username="hung.police.dienbien")
    mai = User.objects.get(username="mai.army.cautreo")
    dara = User.objects.get(username="dara.police.bavet")
    moc_bai = BLO.objects.get(code="VN-MOCBAI")
    dien_bien = BLO.objects.get(code="VN-DIENBIEN")
    cau_treo = BLO.objects.get(code="VN-CAUTREO")
    bavet = BLO.objects.get(code="KH-BAVET")

    scales = services.do_record_incident(
        Incident(
            blo=moc_bai,
            occurred_at=_ago(3, 7),
            crossing=moc_bai.crossings.first(),
            location_kind=LocationKind.INTERNATIONAL_CHECKPOINT,
            direction=Direction.ENTRY,
            crime_area=CrimeArea.WILDLIFE,
            detection_method=DetectionMethod.SCANNER,
            concealment_method=ConcealmentMethod.MIXED_WITH_CARGO,
            conveyance=Conveyance.TRUCK,
            origin_country="KH",
            destination_country="VN",
            summary="[demo] 48 kg vảy tê tê giấu trong bao hạt điều trên xe tải, phát hiện qua máy soi.",
            summary_language="vi",
            tlp=TLP.AMBER,
            distribution=Distribution.COUNTERPART,
        ),
        services.IncidentParts(
            items=[
                SeizureItem(
                    species=Species.objects.get(code="manis-javanica"),
                    specimen_part=SpecimenPart.objects.get(code="scales"),
                    quantity=Decimal("48"),
                    unit=Unit.KILOGRAM,
                )
            ],
            nominal=[
                NominalEntry(
                    kind=NominalKind.VEHICLE,
                    role=NominalRole.OTHER,
                    name="Xe tải Hino, thùng kín",
                    identifier="70C-123.45",
                    distribution=Distribution.BLO,
                ),
                NominalEntry(
                    kind=NominalKind.PERSON,
                    role=NominalRole.DRIVER,
                    name="Trần Văn B.",
                    nationality="VN",
                    distribution=Distribution.AGENCY,
                ),
            ],
        ),
        actor=lan,
    )
    alert = services.do_send_alert(
        Alert(
            subject="Xe tải Hino biển 70C-123.45 — tuyến Bavet–Mộc Bài",
            body="[demo] Đề nghị kiểm tra các chuyến hàng hạt điều cùng chủ hàng.",
            body_language="vi",
            tlp=TLP.AMBER,
            incident=scales,
        ),
        actor=lan,
    )
    delivery = AlertDelivery.objects.get(alert=alert, to_blo=bavet)
    services.do_acknowledge_alert(delivery, actor=dara)
    AlertDelivery.objects.filter(pk=delivery.pk).update(
        acknowledged_at=alert.sent_at + datetime.timedelta(minutes=12)
    )

    services.do_record_incident(
        Incident(
            blo=dien_bien,
            occurred_at=_ago(40, 22),
            location_kind=LocationKind.BETWEEN_CHECKPOINTS,
            direction=Direction.ENTRY,
            crime_area=CrimeArea.DRUGS,
            detection_method=DetectionMethod.INTELLIGENCE,
            concealment_method=ConcealmentMethod.HUMAN_MULES,
            conveyance=Conveyance.ON_FOOT,
            origin_country="LA",
            destination_country="VN",
            summary="[demo] Two couriers carrying heroin on a forest trail, arrested on a tip from Pang Hok.",
            summary_language="en",
            tlp=TLP.AMBER,
            distribution=Distribution.COUNTERPART,
        ),
        services.IncidentParts(
            items=[
                SeizureItem(
                    drug_type=DrugType.objects.get(code="heroin"),
                    quantity=Decimal("6.2"),
                    unit=Unit.KILOGRAM,
                )
            ]
        ),
        actor=hung,
    )
    services.do_record_incident(
        Incident(
            blo=cau_treo,
            occurred_at=_ago(75, 14),
            crossing=cau_treo.crossings.first(),
            location_kind=LocationKind.INTERNATIONAL_CHECKPOINT,
            direction=Direction.ENTRY,
            crime_area=CrimeArea.DRUGS,
            detection_method=DetectionMethod.DETECTOR_DOG,
            concealment_method=ConcealmentMethod.VEHICLE_COMPARTMENT,
            conveyance=Conveyance.BUS,
            origin_country="LA",
            destination_country="VN",
            summary="[demo] 20 000 viên ma túy tổng hợp trong ngăn bí mật của xe khách.",
            summary_language="vi",
            tlp=TLP.GREEN,
            distribution=Distribution.NATIONAL,
        ),
        services.IncidentParts(
            items=[
                SeizureItem(
                    drug_type=DrugType.objects.get(code="methamphetamine-tablets"),
                    quantity=Decimal("20000"),
                    unit=Unit.TABLET,
                )
            ]
        ),
        actor=mai,
    )
    services.do_record_incident(
        Incident(
            blo=moc_bai,
            occurred_at=_ago(120, 10),
            location_kind=LocationKind.INTERNATIONAL_CHECKPOINT,
            direction=Direction.ENTRY,
            crime_area=CrimeArea.ODS,
            detection_method=DetectionMethod.ROUTINE_INSPECTION,
            concealment_method=ConcealmentMethod.FALSE_DECLARATION,
            conveyance=Conveyance.TRUCK,
            origin_country="KH",
            destination_country="VN",
            summary="[demo] 60 bình môi chất lạnh khai báo là R-134a, kiểm tra là HCFC-22.",
            summary_language="vi",
            tlp=TLP.GREEN,
            distribution=Distribution.NETWORK,
        ),
        services.IncidentParts(
            items=[
                SeizureItem(
                    ozone_substance=OzoneSubstance.objects.get(code="hcfc-22"),
                    quantity=Decimal("60"),
                    unit=Unit.CYLINDER,
                )
            ],
            # The truck of the pangolin scales, typed another way: the two records are related
            # for the readers of both nominal parts (Moc Bai), not for Bavet, which reads both
            # records but neither truck.
            nominal=[
                NominalEntry(
                    kind=NominalKind.VEHICLE,
                    role=NominalRole.OTHER,
                    name="Xe tải Hino",
                    identifier="70c 12345",
                    distribution=Distribution.BLO,
                )
            ],
        ),
        actor=lan,
    )
    services.do_record_incident(
        Incident(
            blo=moc_bai,
            occurred_at=_ago(20, 5),
            location_kind=LocationKind.BETWEEN_CHECKPOINTS,
            direction=Direction.EXIT,
            crime_area=CrimeArea.MIGRANT_SMUGGLING,
            detection_method=DetectionMethod.PATROL,
            concealment_method=ConcealmentMethod.NONE,
            conveyance=Conveyance.MOTORBIKE,
            origin_country="VN",
            destination_country="KH",
            summary="[demo] Nhóm 7 người vượt biên trái phép qua đường mòn, có người dẫn đường thu tiền.",
            summary_language="vi",
            tlp=TLP.AMBER,
            distribution=Distribution.COUNTERPART,
        ),
        services.IncidentParts(
            people=[
                PersonCount(
                    category=PersonCategory.SMUGGLED_MIGRANT,
                    sex="female",
                    age_band="18-24",
                    nationality="VN",
                    count=4,
                ),
                PersonCount(
                    category=PersonCategory.SMUGGLED_MIGRANT,
                    sex="male",
                    age_band="25-49",
                    nationality="VN",
                    count=2,
                ),
                PersonCount(
                    category=PersonCategory.SMUGGLER,
                    sex="male",
                    age_band="25-49",
                    nationality="KH",
                    count=1,
                ),
            ],
            smuggling=MigrantSmugglingReport(
                fee_per_person=Decimal("300"),
                fee_currency="USD",
                means_of_transport=Conveyance.MOTORBIKE,
                methods=["clandestine"],
                smuggler_roles=["guide", "transporter"],
            ),
        ),
        actor=lan,
    )
    services.do_record_intelligence(
        IntelligenceReport(
            blo=moc_bai,
            title="Đường dây vận chuyển vảy tê tê qua Bavet",
            crime_area=CrimeArea.WILDLIFE,
            source_reliability=SourceReliability.B,
            information_credibility=InformationCredibility.PROBABLY_TRUE,
            body="[demo] Hàng được gom tại Phnom Penh, đóng trong bao hạt điều, qua cửa khẩu vào buổi sáng sớm.",
            body_language="vi",
            route="KH → VN",
            tlp=TLP.AMBER,
            distribution=Distribution.BLO,
        ),
        source="Người cung cấp tin tại bãi xe (mã TT-07)",
        incidents=[scales],
        actor=lan,
    )
    services.do_ask_for_information(
        InformationRequest(
            to_blo=BLO.objects.get(code="LA-PANGHOK"),
            question="[demo] Xin xác minh danh tính hai đối tượng vận chuyển heroin bị bắt ngày gần đây.",
            question_language="vi",
            deadline=timezone.localdate() + datetime.timedelta(days=7),
        ),
        actor=hung,
    )
