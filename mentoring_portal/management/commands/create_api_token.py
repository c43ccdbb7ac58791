"""``create_api_token --name NAME --territory CODE_OR_NAME [--days N]``: a key of the read-only API
(docs/architecture.md §13). The secret is printed alone on the last line, once: the database
keeps only its hash. ``--territory RU`` (or «Российская Федерация») gives a country-wide key."""

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from mentoring_portal.api import tokens


class Command(BaseCommand):
    help = (
        "Создать ключ доступа внешней системы к API (/api/v1/) для региона, муниципалитета или всей страны."
    )

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="Название ключа: кто им пользуется")
        parser.add_argument(
            "--territory",
            required=True,
            help="Код или наименование региона или муниципалитета; RU — вся страна",
        )
        parser.add_argument(
            "--days", type=int, default=None, help="Срок действия в днях (без него — бессрочно)"
        )

    def handle(self, *args, name, territory, days, **options):
        try:
            place = tokens.territory_by_code_or_name(text=territory)
        except tokens.TerritoryNotFound:
            raise CommandError(
                f"Территория «{territory}» не найдена: укажите код или наименование."
            ) from None
        except tokens.TerritoryAmbiguous as several:
            raise CommandError(
                f"Наименование «{territory}» носят несколько территорий: {several}. Укажите код."
            ) from None
        if days is not None and days < 1:
            raise CommandError("Срок действия (--days): целое число дней, не меньше 1.")
        expires_at = timezone.now() + datetime.timedelta(days=days) if days else None
        try:
            token, secret = tokens.token_create(
                name=name.strip(),
                region=place.region if place.municipality is None else None,
                municipality=place.municipality,
                expires_at=expires_at,
            )
        except ValidationError as error:
            messages = "; ".join(m for ms in error.message_dict.values() for m in ms)
            raise CommandError(f"Ключ не создан: {messages}") from None
        until = f", действует до {timezone.localtime(expires_at):%d.%m.%Y}" if expires_at else ", бессрочный"
        self.stdout.write(f"Ключ «{token.name}» для территории «{place.name}» создан{until}.")
        self.stdout.write("Сохраните его сейчас: он больше не будет показан.")
        self.stdout.write(secret)
