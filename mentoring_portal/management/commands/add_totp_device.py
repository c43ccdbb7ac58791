"""``manage.py add_totp_device USERNAME``: a confirmed TOTP device for an admin's second factor.

Prints the ``otpauth://`` URI and the base32 secret for the person's authenticator app (a QR code,
if wanted, is made from the URI on the admin's own machine: nothing is fetched here).
"""

from base64 import b32encode

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Создаёт подтверждённое устройство TOTP (второй фактор) и печатает ссылку otpauth:// и секрет."

    def add_arguments(self, parser):
        parser.add_argument("username", help="имя пользователя")
        parser.add_argument("--name", default="Приложение-аутентификатор", help="название устройства")

    def handle(self, *args, username, name, **options):
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist:
            raise CommandError(f"Пользователь «{username}» не найден.") from None
        device = TOTPDevice.objects.create(user=user, name=name, confirmed=True)
        secret = b32encode(device.bin_key).decode()
        self.stdout.write(self.style.SUCCESS(f"Устройство «{name}» для «{username}» создано."))
        self.stdout.write(f"Ключ (ввести в приложение вручную): {secret}")
        self.stdout.write(f"Ссылка для приложения: {device.config_url}")
        self.stdout.write("Передайте ключ владельцу учётной записи лично: по нему строятся все коды входа.")
