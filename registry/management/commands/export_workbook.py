"""``manage.py export_workbook FILE [--municipality CODE] [--organization CODE]`` (docs/architecture.md
§8)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from registry.models import Municipality, Organization
from registry.workbook.export import write_workbook


class Command(BaseCommand):
    help = (
        "Выгружает реестр в книгу Excel формата импорта: весь регион или один муниципалитет / одну ОО. "
        "Файл содержит персональные данные."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="куда записать книгу (.xlsx)")
        parser.add_argument("--municipality", metavar="CODE", help="код муниципалитета")
        parser.add_argument("--organization", metavar="CODE", help="код ОО")

    def handle(self, *args, file, municipality=None, organization=None, **options):
        organizations = Organization.objects.all()
        if municipality:
            found = Municipality.objects.filter(code=municipality).first()
            if found is None:
                raise CommandError(f"Муниципалитет с кодом «{municipality}» не найден.")
            organizations = organizations.filter(municipality=found)
        if organization:
            if not Organization.objects.filter(code=organization).exists():
                raise CommandError(f"Организация с кодом «{organization}» не найдена.")
            organizations = organizations.filter(code=organization)
            if not organizations.exists():
                raise CommandError(
                    f"Организация с кодом «{organization}» не относится к муниципалитету «{municipality}»."
                )
        path = Path(file)
        if not path.parent.is_dir():
            raise CommandError(f"Папка «{path.parent}» не существует.")
        counts = write_workbook(
            path, organizations, user=None, region_wide=not (municipality or organization)
        )
        for sheet, rows in counts.items():
            self.stdout.write(f"{sheet}: записано строк {rows}")
        self.stdout.write(self.style.SUCCESS(f"Книга записана: {path}"))
        self.stdout.write(
            self.style.WARNING("Файл содержит персональные данные: храните и передавайте его бережно.")
        )
