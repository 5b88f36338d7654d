# The HTML report is drawn by the background worker too: a drawing has a format, and its file
# (PDF or HTML) is its content.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0005_submission_instance_xml"),
    ]

    operations = [
        migrations.RenameField(model_name="reportdrawing", old_name="pdf", new_name="content"),
        migrations.AlterField(
            model_name="reportdrawing",
            name="content",
            field=models.BinaryField(blank=True, default=b"", help_text="The drawn PDF or HTML."),
        ),
        migrations.AddField(
            model_name="reportdrawing",
            name="format",
            field=models.CharField(
                choices=[("pdf", "PDF"), ("html", "HTML")], default="pdf", max_length=4
            ),
        ),
    ]
