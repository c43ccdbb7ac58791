"""The folded names the searches compare (docs/architecture.md §4.1): the columns, filled for the
rows already stored, and on PostgreSQL the trigram indexes that serve ``LIKE '%…%'``."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

from common.text import fold

BATCH = 10_000
# (table, the SQL of the text to fold): the same text the models' save() folds.
TABLES = (
    ("registry_person", "full_name"),
    ("registry_organization", "short_name || ' ' || full_name"),
)
INDEXES = (
    ("registry_person_search_trgm", "registry_person"),
    ("registry_org_search_trgm", "registry_organization"),
)


def backfill(apps, schema_editor):
    connection = schema_editor.connection
    postgres = connection.vendor == "postgresql"
    for table, source in TABLES:
        # PostgreSQL: a server-side cursor, the national table is not read into memory at once.
        with connection.chunked_cursor() as reader, connection.cursor() as writer:
            reader.execute(f"SELECT id, {source} FROM {table}")  # noqa: S608 - constants above
            if postgres:
                batches = iter(lambda: reader.fetchmany(BATCH), [])
            else:  # SQLite: read all, then write (a school's or a test's rows)
                batches = iter([reader.fetchall()])
            for rows in batches:
                ids, names = [pk for pk, _ in rows], [fold(text) for _, text in rows]
                if postgres:
                    writer.execute(
                        f"UPDATE {table} AS t SET search_name = v.name "  # noqa: S608
                        "FROM unnest(%s, %s::text[]) AS v(id, name) WHERE t.id = v.id",
                        [ids, names],
                    )
                else:
                    writer.executemany(
                        f"UPDATE {table} SET search_name = %s WHERE id = %s",  # noqa: S608
                        list(zip(names, ids, strict=True)),
                    )


def trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite scans; its tables are a school's or a test's
    for name, table in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (search_name gin_trgm_ops)"
        )


def vacuum(apps, schema_editor):
    """PostgreSQL: every row was rewritten by the backfill; reclaim the old versions and renew the
    planner's statistics now rather than at autovacuum's leisure (outside a transaction: the migration
    is not atomic, the backfill is)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, table in INDEXES:
        schema_editor.execute(f"VACUUM (ANALYZE) {table}")


def drop_trigram_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # for the VACUUM; the backfill is one transaction of its own

    dependencies = [
        ("registry", "0016_plan_template_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="organization",
            name="search_name",
            field=models.CharField(
                default="", editable=False, max_length=710, verbose_name="наименование для поиска"
            ),
        ),
        migrations.AddField(
            model_name="person",
            name="search_name",
            field=models.CharField(default="", editable=False, max_length=300, verbose_name="ФИО для поиска"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, atomic=True, elidable=False),
        TrigramExtension(),  # does nothing on SQLite
        migrations.RunPython(trigram_indexes, drop_trigram_indexes),
        migrations.RunPython(vacuum, migrations.RunPython.noop),
    ]
