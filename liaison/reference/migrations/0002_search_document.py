"""The full-text search of the reference library: a search document per entry, and the index
the database serves it from — an FTS5 table on SQLite, a GIN index over the weighted 'simple'
text search vector on PostgreSQL. The documents are written by the next load of the library
(``ensure_reference_loaded`` writes them when they are missing)."""

from django.db import migrations, models

FTS_TABLE = "reference_search_fts"
# The same expression as liaison.reference.search builds with SearchVector(..., weight=...).
VECTOR = (
    "(setweight(to_tsvector('simple'::regconfig, COALESCE(names, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, COALESCE(others, '')), 'B') || "
    "setweight(to_tsvector('simple'::regconfig, COALESCE(descriptions, '')), 'C'))"
)


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        # Texts are folded and cut into words before they are written: no diacritics to remove.
        schema_editor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
            "names, others, descriptions, tokenize = 'unicode61 remove_diacritics 0')"
        )
    elif vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS reference_search_vector "
            f"ON reference_searchdocument USING GIN ({VECTOR})"
        )


def drop_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS reference_search_vector")


class Migration(migrations.Migration):
    dependencies = [
        ("reference", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="SearchDocument",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("kind", models.CharField(max_length=30)),
                ("entry_id", models.PositiveIntegerField()),
                ("names", models.TextField(blank=True, default="")),
                ("others", models.TextField(blank=True, default="")),
                ("descriptions", models.TextField(blank=True, default="")),
            ],
            options={
                "verbose_name": "search document",
                "verbose_name_plural": "search documents",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("kind", "entry_id"), name="reference_search_once"
                    )
                ],
            },
        ),
        migrations.RunPython(create_index, drop_index),
    ]
