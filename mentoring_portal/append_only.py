"""Database triggers that make the access log append-only (docs/reliability.md #61).

Installed by migration 0001 for PostgreSQL and SQLite (both have triggers); they refuse UPDATE,
DELETE (and on PostgreSQL TRUNCATE) of ``mentoring_portal_accesslogentry`` for every role and
every statement, the ORM's and raw SQL alike. The only UPDATE let through changes nothing but
``user_id`` to NULL: the ``ON DELETE SET NULL`` of a deleted user account.

In production the app's database role should in addition hold no UPDATE/DELETE privilege on the
table (the triggers stop mistakes; the privileges stop the app's role from dropping them).

Two things lift the guard, both on purpose: ``manage.py flush`` (the test suite's way of emptying
the database between transactional tests; see ``management/commands/flush.py``), and on SQLite a
migration that rebuilds the table (ALTER on SQLite copies the table and drops the old one with its
triggers): such a migration must call ``install`` again.
"""

from django.db.migrations.operations.base import Operation

TABLE = "mentoring_portal_accesslogentry"

# Every column but user_id: an UPDATE may change user_id to NULL and nothing else.
KEPT_COLUMNS = (
    "id",
    "timestamp",
    "username",
    "role",
    "action",
    "object_type",
    "object_id",
    "details",
    "url_name",
    "method",
    "ip",
    "request_id",
    "status",
)

POSTGRESQL_INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND OLD.user_id IS NOT NULL AND NEW.user_id IS NULL
           AND to_jsonb(NEW) - 'user_id' = to_jsonb(OLD) - 'user_id' THEN
            RETURN NEW;  -- ON DELETE SET NULL of a user account; the username stays
        END IF;
        RAISE EXCEPTION 'access log is append-only: % refused', TG_OP
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_change BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_append_only()
    """,
]
POSTGRESQL_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_change ON {TABLE}",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_truncate ON {TABLE}",
]

_unchanged = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in KEPT_COLUMNS)
SQLITE_INSTALL = [
    f"""
    CREATE TRIGGER {TABLE}_no_update BEFORE UPDATE ON {TABLE}
    WHEN NOT (OLD.user_id IS NOT NULL AND NEW.user_id IS NULL AND {_unchanged})
    BEGIN SELECT RAISE(ABORT, 'access log is append-only: UPDATE refused'); END
    """,
    f"""
    CREATE TRIGGER {TABLE}_no_delete BEFORE DELETE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, 'access log is append-only: DELETE refused'); END
    """,
]
SQLITE_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS {TABLE}_no_update",
    f"DROP TRIGGER IF EXISTS {TABLE}_no_delete",
]

STATEMENTS = {
    "postgresql": (POSTGRESQL_INSTALL, POSTGRESQL_UNINSTALL),
    "sqlite": (SQLITE_INSTALL, SQLITE_UNINSTALL),
}


def install(schema_editor) -> None:
    """Create the triggers (after dropping any earlier ones); other databases get none."""
    install_with(schema_editor.connection.vendor, schema_editor.execute)


def uninstall(schema_editor) -> None:
    uninstall_with(schema_editor.connection.vendor, schema_editor.execute)


def install_with(vendor: str, execute) -> None:
    """``execute(sql, params=None)``: a schema editor's in migrations, a cursor's in flush."""
    uninstall_with(vendor, execute)
    for sql in STATEMENTS.get(vendor, ([], []))[0]:
        execute(sql, None)


def uninstall_with(vendor: str, execute) -> None:
    for sql in STATEMENTS.get(vendor, ([], []))[1]:
        execute(sql, None)


class InstallTriggers(Operation):
    """Migration operation: the vendor's triggers, written out by ``sqlmigrate`` for a DBA to read."""

    reduces_to_sql = True
    reversible = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        install(schema_editor)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        uninstall(schema_editor)

    def describe(self):
        return "Append-only triggers on the access log"

    def deconstruct(self):
        return (self.__class__.__qualname__, [], {})


def installed(connection) -> bool:
    """Whether the access-log table exists (flush may run on a database not yet migrated)."""
    with connection.cursor() as cursor:
        return TABLE in connection.introspection.table_names(cursor)
