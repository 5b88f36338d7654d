"""Pairs made before pairing became bilateral are recorded as accepted proposals, so
``BLO.counterparts`` and the accepted proposals agree from the start. They are kept as they are:
ending one is a deliberate act of either side, through the BLO page."""

from django.db import migrations


def record_existing_pairs(apps, schema_editor):
    BLO = apps.get_model("registry", "BLO")
    CounterpartProposal = apps.get_model("registry", "CounterpartProposal")
    Through = BLO.counterparts.through
    seen = set()
    for from_id, to_id in Through.objects.values_list("from_blo_id", "to_blo_id"):
        key = (min(from_id, to_id), max(from_id, to_id))
        if key in seen:
            continue
        seen.add(key)
        CounterpartProposal.objects.create(
            from_blo_id=key[0], to_blo_id=key[1], status="accepted"
        )


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_counterpart_proposals_and_password_resets")]

    operations = [migrations.RunPython(record_existing_pairs, migrations.RunPython.noop)]
