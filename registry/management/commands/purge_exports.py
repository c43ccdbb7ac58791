"""``manage.py purge_exports``: expired list exports deleted, abandoned ones marked «прерван» (cron)."""

from django.core.management.base import BaseCommand

from registry.export_jobs import purge_expired, reap_stale_jobs


class Command(BaseCommand):
    help = (
        "Удаляет готовые выгрузки списков старше EXPORT_FILE_HOURS и отмечает «прерван» выгрузки, "
        "которые обработчик не взял или бросил."
    )

    def handle(self, *args, **options):
        reaped = reap_stale_jobs()
        deleted = purge_expired()
        self.stdout.write(f"Прервано выгрузок: {reaped}; удалено по сроку хранения: {deleted}.")
