"""Builders for training tests: a Cau Treo BLO on the border with Lao PDR, and its staff."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from liaison.registry.models import BLO, AgencyKind, Cluster, Role, User
from liaison.training.models import Completion, DeliveryFormat, TrainingModule
from tests.builders import World, make_agency, make_blo, make_officer, make_user, pair


@dataclass
class CauTreo:
    blo: BLO
    nam_phao: BLO
    mai: User  # border army officer
    thao: User  # customs officer
    head: User


def build_cau_treo(world: World) -> CauTreo:
    cl1 = Cluster.objects.create(
        country=world.vn,
        code="VN-CL1",
        name_en="North-western border with Lao PDR",
        name_local="Biên giới phía Tây Bắc với Lào",
    )
    army = make_agency(
        world.vn, "VN-BORDER-ARMY", AgencyKind.BORDER_ARMY, "Border Army", "Bộ đội Biên phòng"
    )
    blo = make_blo(
        world.vn, "VN-CAUTREO", "Cau Treo", "Cầu Treo", cluster=cl1,
        agencies=[army, world.vn_customs, world.vn_police],
    )  # fmt: skip
    nam_phao = make_blo(world.la, "LA-NAMPHAO", "Nam Phao", "ນ້ຳພ້າວ", agencies=[world.la_police])
    pair(blo, nam_phao)
    return CauTreo(
        blo=blo,
        nam_phao=nam_phao,
        mai=make_officer(blo, army, "mai", first_name="Mai", last_name="Hoàng Thị"),
        thao=make_officer(blo, world.vn_customs, "thao", first_name="Thảo", last_name="Lê Thị"),
        head=make_user("quan", Role.HEAD_OF_BLO, blo=blo, agency=world.vn_police),
    )


def complete(
    officer: User, module: TrainingModule, score: str | None = "90", **extra
) -> Completion:
    today = timezone.localdate()
    return Completion.objects.create(
        officer=officer,
        module=module,
        completed_on=extra.pop("completed_on", today),
        score=Decimal(score) if score is not None else None,
        method=extra.pop("method", DeliveryFormat.ELEARNING),
        blo_id=officer.blo_id,
        valid_until=module.completion_valid_until(extra.pop("completed_on_for_validity", today)),
        **extra,
    )


def signed_in(user: User, language: str = "en"):
    """A test client signed in as ``user``, reading ``language``."""
    from django.test import Client

    user.preferred_language = language  # the user's own choice outranks the browser's
    user.save()
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client
