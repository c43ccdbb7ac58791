"""``flush`` that lifts the access log's append-only guard for the one sanctioned wipe.

Django's ``flush`` empties every table: TRUNCATE on PostgreSQL, DELETE on SQLite, both refused
by the access log's triggers (``mentoring_portal.append_only``). The test suite flushes after each
transactional test (browser tests, live server), and ``manage.py flush`` is an administrator
wiping a database on purpose, so the triggers are dropped, the tables emptied and the triggers
created again, in one transaction: if the flush fails, the triggers are back as they were.
"""

from django.core.management.commands import flush
from django.db import connections, transaction

from mentoring_portal import append_only


class Command(flush.Command):
    def handle(self, **options):
        connection = connections[options["database"]]
        if not append_only.installed(connection):
            return super().handle(**options)
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            append_only.uninstall_with(connection.vendor, cursor.execute)
            super().handle(**options)
            append_only.install_with(connection.vendor, cursor.execute)
