"""``manage.py build_report KIND --output FILE [--format pdf|html|docx] [--municipality CODE | --organization
CODE] [--campaign ID_OR_TITLE | --roadmap ID_OR_TITLE | --as-of ДД.ММ.ГГГГ]`` (docs/architecture.md §8).

The same builders, narrative draft and renderers as the «Отчёты» page; nothing is saved in the database.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common.formats import parse_ru_date
from reports import builders, narrative, render, services
from reports.models import Format, Kind
from reports.sources import ReportError, resolve


class Command(BaseCommand):
    help = "Строит аналитический отчёт (справку) в файл PDF, HTML или DOCX."

    def add_arguments(self, parser):
        parser.add_argument("kind", help="вид отчёта: " + ", ".join(Kind.values))
        parser.add_argument("--output", required=True, metavar="FILE", help="куда записать файл")
        parser.add_argument(
            "--format", choices=Format.values, help="формат (по умолчанию — по расширению файла)"
        )
        territory = parser.add_mutually_exclusive_group()
        territory.add_argument("--municipality", metavar="CODE", help="код муниципалитета")
        territory.add_argument("--organization", metavar="CODE", help="код ОО")
        source = parser.add_mutually_exclusive_group()
        source.add_argument(
            "--campaign", metavar="ID_OR_TITLE", help="мониторинг: номер или точное наименование"
        )
        source.add_argument("--roadmap", metavar="ID_OR_TITLE", help="дорожная карта: номер или наименование")
        source.add_argument("--as-of", metavar="ДД.ММ.ГГГГ", help="реестр на дату (по умолчанию — сегодня)")

    def handle(self, *args, kind, output, **options):
        path = Path(output)
        fmt = options["format"] or path.suffix.lstrip(".").lower() or Format.PDF
        if fmt not in Format.values:
            raise CommandError(f"Неизвестный формат «{fmt}»: укажите --format pdf, html или docx.")
        if not path.parent.is_dir():
            raise CommandError(f"Папка «{path.parent}» не существует.")
        as_of = None
        if options["as_of"]:
            try:
                as_of = parse_ru_date(options["as_of"])
            except ValueError as exc:
                raise CommandError(f"--as-of: {exc}") from exc
        try:
            report = resolve(
                None,
                kind,
                municipality=options["municipality"],
                organization=options["organization"],
                campaign=options["campaign"],
                roadmap=options["roadmap"],
                as_of=as_of,
            )
        except ReportError as exc:
            raise CommandError(str(exc)) from exc
        started = time.monotonic()
        data = builders.build(report)
        draft = narrative.draft(kind, data)
        report.conclusions, report.recommendations = draft["conclusions"], draft["recommendations"]
        document = services.report_document(report=report, data=data)
        try:
            services.report_check_size(document=document)
        except services.TooLarge as exc:
            raise CommandError(str(exc)) from exc
        content, pages = render.render(document, fmt)
        path.write_bytes(content)
        pages_text = f", страниц: {pages}" if pages else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{document['title']}\nЗаписано: {path} ({len(content)} байт{pages_text}) "
                f"за {time.monotonic() - started:.1f} с"
            )
        )
