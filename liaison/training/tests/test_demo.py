"""The demo training data: idempotent, on the demo registry, with officers holding certificates."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from liaison.registry.demo import load_demo_registry
from liaison.training.demo import load_demo_training
from liaison.training.models import (
    Certificate,
    CertificateState,
    Completion,
    LearningActivity,
    TrainingModule,
    TrainingPlan,
    TrainingSession,
)
from liaison.training.selectors import cbt_usage, coverage_for_blo


def test_demo_training_is_idempotent_and_has_certificate_holders(db):
    load_demo_registry()
    load_demo_training()
    counts = (
        TrainingModule.objects.count(),
        Completion.objects.count(),
        Certificate.objects.count(),
        TrainingSession.objects.count(),
        LearningActivity.objects.count(),
        TrainingPlan.objects.count(),
    )
    load_demo_training()
    assert counts == (
        TrainingModule.objects.count(),
        Completion.objects.count(),
        Certificate.objects.count(),
        TrainingSession.objects.count(),
        LearningActivity.objects.count(),
        TrainingPlan.objects.count(),
    )
    # Lan at Moc Bai holds the BLO officer qualification, level 1
    lan = Certificate.objects.get(
        officer__username="lan.customs.mocbai", qualification__code="blo-officer-level-1"
    )
    assert lan.state() == CertificateState.VALID and lan.holder_name == "Nguyễn Thị Lan"
    # Hùng's certificate is due for renewal
    assert Certificate.objects.get(officer__username="hung.police.dienbien").renewal_due()
    # the rotation at Dien Bien shows, Song Tien has never used the computer-based training
    from liaison.registry.models import BLO

    assert coverage_for_blo(BLO.objects.get(code="VN-DIENBIEN")).departures
    usage = {
        r.blo.code: r
        for r in cbt_usage(list(BLO.objects.filter(code__in=["VN-MOCBAI", "VN-SONGTIEN"])))
    }
    assert usage["VN-MOCBAI"].users >= 2 and usage["VN-SONGTIEN"].users == 0
    # and the certificates are listed with their verification addresses
    out = StringIO()
    call_command("training", "certificates", stdout=out)
    assert f"http://localhost:8000/training/verify/{lan.code}/" in out.getvalue()
    assert TrainingPlan.objects.get().items.get(rank=1).topic == "investigation"
