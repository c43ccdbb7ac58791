"""``manage.py seed_demo``: the demo region of the registry, then its road maps and monitoring campaigns.

It lives in the wiring app: ``registry`` knows nothing of ``monitoring``, which builds on it.
"""

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from monitoring.demo import seed_monitoring
from registry.demo import PASSWORD, seed_demo
from reports.demo import seed_reports


class Command(BaseCommand):
    help = "Загружает демонстрационный регион и демо-учётные записи (повторный запуск ничего не дублирует)."

    def handle(self, *args, **options):
        today = timezone.localdate()  # one date for both parts: the current school year is the same
        with transaction.atomic():
            result = seed_demo(today)
            seed_monitoring(today)
            seed_reports()
        self.stdout.write(self.style.SUCCESS(f"Демонстрационный регион: {result['region']}"))
        self.stdout.write(f"Демо-учётные записи (пароль «{PASSWORD}»):")
        for username, role, territory in result["accounts"]:
            self.stdout.write(f"  {username:<12} {role} — {territory}")
