"""``manage.py import_workbook FILE [--dry-run]`` (docs/architecture.md §8): the web page's import, from the
shell."""

from django.core.management.base import BaseCommand, CommandError

from registry import imports
from registry.models import ImportJob


class Command(BaseCommand):
    help = "Загружает книгу Excel реестра (все листы одной транзакцией: всё или ничего)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="путь к книге .xlsx")
        parser.add_argument("--dry-run", action="store_true", help="только проверить, ничего не записывать")

    def handle(self, *args, file, dry_run, **options):
        try:
            job = imports.import_path(path=file, dry_run=dry_run)
        except FileNotFoundError:
            raise CommandError(f"Файл «{file}» не найден.") from None
        report = imports.job_report(job=job) or {}
        for sheet in report.get("sheets", []):
            self.stdout.write(
                f"{sheet['sheet']}: создано {sheet['created']}, обновлено {sheet['updated']}, "
                f"без изменений {sheet['unchanged']}"
            )
        for warning in report.get("warnings", []):
            self.stdout.write(f"Предупреждение: {warning}")
        errors = report.get("errors", [])
        if errors or job.status in (ImportJob.Status.FAILED, ImportJob.Status.REJECTED):
            for error in errors:
                self.stderr.write(error)
            if not errors:
                self.stderr.write(job.error)
            raise CommandError(f"Ошибок: {len(errors)}. Ничего не записано.", returncode=1)
        if dry_run:
            self.stdout.write(self.style.SUCCESS("Проверка пройдена, ничего не записано (--dry-run)."))
        elif not any(s["created"] or s["updated"] for s in report.get("sheets", [])):
            self.stdout.write(self.style.SUCCESS("Файл совпадает с реестром: ничего не изменилось."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Загружено. Запись о загрузке: {job.pk}"))
