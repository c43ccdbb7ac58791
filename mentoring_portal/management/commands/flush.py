"""``flush`` that lifts the access log's append-only guard for the one sanctioned wipe.

Django's ``flush`` empties every table: TRUNCATE on PostgreSQL, DELETE on SQLite, both refused
by the access log's triggers (``mentoring_portal.append_only``). The test suite flushes after each
transactional test (browser tests, live server), and ``manage.py flush`` is an administrator
wiping a database on purpose, so the triggers are dropped, the tables emptied and the triggers
created again, in one transaction: if the flush fails, the triggers are back as they were.
"""

import os

from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import connections, transaction
from django.db.backends.base.creation import TEST_DATABASE_PREFIX

from mentoring_portal import append_only


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        if not append_only.installed(connection):
            return super().handle(**options)
        if not _test_database(connection) and os.environ.get("ALLOW_ACCESS_LOG_WIPE") != "1":
            # A production database's access log is evidence (docs/reliability.md #61, 152-ФЗ): never wiped
            # by a routine command.
            raise CommandError(
                "flush удалил бы журнал доступа, который хранится без изменений. Если база должна быть "
                "очищена целиком (не рабочая), запустите с ALLOW_ACCESS_LOG_WIPE=1."
            )
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            append_only.uninstall_with(connection.vendor, cursor.execute)
            super().handle(**options)
            append_only.install_with(connection.vendor, cursor.execute)


def _test_database(connection) -> bool:
    """The test suite's own database (pytest-django flushes it after transactional tests): by the
    name Django gives it (``test_…``, or the TEST NAME setting), or SQLite's in-memory one."""
    name = str(connection.settings_dict["NAME"])
    test_name = (connection.settings_dict.get("TEST") or {}).get("NAME")
    in_memory = getattr(connection.creation, "is_in_memory_db", lambda _: False)(name)
    return in_memory or name == test_name or name.startswith(TEST_DATABASE_PREFIX)
