"""Documents' titles folded for the header search (docs/architecture.md §4.1), as people's and
organizations' names are (0017): the column, filled for the stored rows, and on PostgreSQL the
trigram index that serves ``LIKE '%…%'``. «ёлка» and «Елка» find «Ёлка…»."""

from django.db import migrations, models

from common.text import fold

BATCH = 10_000
INDEX = "registry_document_search_trgm"


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    postgres = connection.vendor == "postgresql"
    with connection.chunked_cursor() as reader, connection.cursor() as writer:
        reader.execute("SELECT id, title FROM registry_normativedocument")
        batches = iter(lambda: reader.fetchmany(BATCH), []) if postgres else iter([reader.fetchall()])
        for rows in batches:
            ids, names = [pk for pk, _ in rows], [fold(text) for _, text in rows]
            if postgres:
                writer.execute(
                    "UPDATE registry_normativedocument AS t SET search_name = v.name "
                    "FROM unnest(%s, %s::text[]) AS v(id, name) WHERE t.id = v.id",
                    [ids, names],
                )
            else:
                writer.executemany(
                    "UPDATE registry_normativedocument SET search_name = %s WHERE id = %s",
                    list(zip(names, ids, strict=True)),
                )


def trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # SQLite scans
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON registry_normativedocument "
            "USING gin (search_name gin_trgm_ops)"
        )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("registry", "0020_natural_collation")]

    operations = [
        migrations.AddField(
            model_name="normativedocument",
            name="search_name",
            field=models.CharField(
                db_default="", default="", editable=False, max_length=1000, verbose_name="наименование для поиска"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        # pg_trgm is there since 0017 (not created here: reversing would drop it under 0017's indexes).
        migrations.RunPython(trigram_index, drop_trigram_index),
    ]
