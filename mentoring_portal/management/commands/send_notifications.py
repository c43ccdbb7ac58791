"""Daily: make the due notifications and mail the pending ones (docs/architecture.md, notifications).

Run by deploy/systemd/mentoring-notify.timer in production and once by ``make run`` for the demo.
"""

import datetime

from django.core.management.base import BaseCommand, CommandError

from common.formats import parse_ru_date
from mentoring_portal import notifications


class Command(BaseCommand):
    help = "Создаёт уведомления о сроках, отчётах и парах и рассылает неотправленные письма."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="«сегодня» для проверки, ДД.ММ.ГГГГ (по умолчанию — сегодня)")
        parser.add_argument(
            "--no-email", action="store_true", help="только создать уведомления, не рассылать"
        )

    def handle(self, *args, date=None, no_email=False, **options):
        today: datetime.date | None = None
        if date:
            try:
                today = parse_ru_date(date)
            except ValueError as error:
                raise CommandError(f"--date: {error}") from error
        made = notifications.create_due(today=today)
        for kind, count in made.items():
            label = notifications.Kind(kind).label
            self.stdout.write(f"{label}: событий {count}")
        if no_email:
            return
        result = notifications.send_pending()
        self.stdout.write(
            f"Писем отправлено: {result.sent}; не отправлено, повтор при следующем запуске: {result.retry}; "
            f"не отправлено окончательно: {result.failed}; без адреса: {result.no_address}; "
            f"не пытались (почтовый сервер недоступен): {result.left}"
        )
        if result.failed or result.retry or result.left:
            self.stderr.write("Часть писем не отправлена: подробности в журнале.")
