"""The keyed chain: a MAC per entry, and the head counts the chain.

Entries written before this migration keep an empty MAC: ``verify`` checks them by their
SHA-256 chain only and says so. The first entry appended afterwards is the first one sealed
(``keyed_from``); its MAC covers the hash of the last unkeyed entry, so from that moment on the
older entries cannot be rewritten without the key either. No key is needed to migrate.
"""

from django.db import migrations, models


def count_the_existing_chain(apps, schema_editor):
    entry_model = apps.get_model("audit", "AuditEntry")
    head_model = apps.get_model("audit", "AuditChainHead")
    last = entry_model.objects.order_by("-id").first()
    if last is None:
        return
    # The head's own last_hash is kept as it was: if it disagrees with the entries, verify says so.
    head_model.objects.get_or_create(pk=1, defaults={"last_hash": last.entry_hash})
    head_model.objects.filter(pk=1).update(
        length=entry_model.objects.count(), last_entry_id=last.pk
    )


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_remote_addr_label'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditchainhead',
            name='keyed_from',
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='auditchainhead',
            name='last_entry_id',
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='auditchainhead',
            name='last_mac',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name='auditchainhead',
            name='length',
            field=models.PositiveBigIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='entry_mac',
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.RunPython(count_the_existing_chain, migrations.RunPython.noop),
    ]
