"""Module certificates, and lessons required before a module's quiz.

Every completion gets a verification code. Completions recorded before this migration (passed
quizzes, attendance, records of training elsewhere) get theirs here, once: a module certificate
is a record that must keep its code from the day it is shown, so it is stored, not computed when
read. Codes never clash with a certificate's: one verify page serves both.
"""

import secrets

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import liaison.training.models

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def give_codes(apps, schema_editor):
    Certificate = apps.get_model("training", "Certificate")
    Completion = apps.get_model("training", "Completion")
    taken = set(Certificate.objects.values_list("code", flat=True))
    for completion in Completion.objects.filter(code__isnull=True).only("pk"):
        while True:
            raw = "".join(secrets.choice(ALPHABET) for _ in range(12))
            code = f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"
            if code not in taken:
                break
        taken.add(code)
        Completion.objects.filter(pk=completion.pk).update(code=code)


class Migration(migrations.Migration):
    dependencies = [
        ("training", "0002_optimistic_locking_version"),
    ]

    operations = [
        migrations.AddField(
            model_name="completion",
            name="code",
            field=models.CharField(max_length=20, null=True, verbose_name="verification code"),
        ),
        migrations.RunPython(give_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="completion",
            name="code",
            field=models.CharField(
                default=liaison.training.models.draw_verification_code,
                max_length=20,
                unique=True,
                verbose_name="verification code",
            ),
        ),
        migrations.AddField(
            model_name="trainingmodule",
            name="lessons_required_before_quiz",
            field=models.BooleanField(
                default=False,
                help_text="The quiz opens only once the officer has opened every lesson page.",
                verbose_name="lessons required before the quiz",
            ),
        ),
        migrations.CreateModel(
            name="LessonView",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("slug", models.SlugField(max_length=80, verbose_name="page")),
                (
                    "opened_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now, verbose_name="first opened"
                    ),
                ),
                (
                    "enrolment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="lesson_views",
                        to="training.enrolment",
                    ),
                ),
            ],
            options={
                "verbose_name": "lesson opened",
                "verbose_name_plural": "lessons opened",
                "ordering": ["enrolment", "opened_at"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("enrolment", "slug"), name="training_lesson_view_once"
                    )
                ],
            },
        ),
    ]
