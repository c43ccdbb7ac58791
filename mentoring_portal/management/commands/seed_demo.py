"""``manage.py seed_demo``: the demo region of the registry, then its road maps and monitoring campaigns.

It lives in the wiring app: ``registry`` knows nothing of ``monitoring``, which builds on it.

The demo ``admin`` must give a second factor (docs/reliability.md #16): it gets a device of static backup
codes, the same printed ones on every run (each code works once; running ``seed_demo`` again, as
``make run`` does, restores them all).
"""

import os

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

from mentoring_portal.management.commands.flush import _test_database
from monitoring.demo import seed_monitoring
from registry.demo import PASSWORD, seed_demo
from reports.demo import seed_reports

DEMO_ADMIN = "admin"
DEMO_ADMIN_CODES = ["246810", "135791", "112358", "314159", "271828"]
DEMO_DEVICE_NAME = "Резервные коды (демо)"


def seed_demo_second_factor() -> None:
    admin = get_user_model().objects.get(username=DEMO_ADMIN)
    device, _ = StaticDevice.objects.get_or_create(
        user=admin, name=DEMO_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in DEMO_ADMIN_CODES])


class Command(BaseCommand):
    help = "Загружает демонстрационный регион и демо-учётные записи (повторный запуск ничего не дублирует)."

    def handle(self, *args, **options):
        if not settings.DEBUG and not _test_database(connection) and os.environ.get("ALLOW_DEMO_DATA") != "1":
            # The demo accounts' password and backup codes are public (README): never on a
            # production database by mistake.
            raise CommandError(
                "seed_demo создаёт учётные записи с известными паролем и кодами: при DEBUG=0 он не "
                "запускается. Для демонстрационного стенда задайте ALLOW_DEMO_DATA=1."
            )
        today = timezone.localdate()  # one date for both parts: the current school year is the same
        with transaction.atomic():
            result = seed_demo(today)
            seed_monitoring(today)
            seed_reports()
            seed_demo_second_factor()
        self.stdout.write(self.style.SUCCESS(f"Демонстрационный регион: {result['region']}"))
        self.stdout.write(f"Демо-учётные записи (пароль «{PASSWORD}»):")
        for username, role, territory in result["accounts"]:
            self.stdout.write(f"  {username:<12} {role} — {territory}")
        self.stdout.write(
            f"Код подтверждения для «{DEMO_ADMIN}» (второй шаг входа; каждый код — один раз): "
            + ", ".join(DEMO_ADMIN_CODES)
        )
