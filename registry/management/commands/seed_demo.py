from django.core.management.base import BaseCommand

from registry.demo import PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Загружает демонстрационный регион и демо-учётные записи (повторный запуск ничего не дублирует)."

    def handle(self, *args, **options):
        result = seed_demo()
        self.stdout.write(self.style.SUCCESS(f"Демонстрационный регион: {result['region']}"))
        self.stdout.write(f"Демо-учётные записи (пароль «{PASSWORD}»):")
        for username, role, territory in result["accounts"]:
            self.stdout.write(f"  {username:<12} {role} — {territory}")
