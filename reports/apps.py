from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Отчёты"

    def ready(self):
        from registry import access

        from . import rights
        from .models import Report, ReportFile, ReportVersion

        # A report is seen by whoever's territory holds it: the operator the region's reports, a
        # coordinator its municipality's (and its schools'), a curator its own school's notes.
        access.register(Report, access.Paths("organization", "municipality", "region"))
        access.register(
            ReportVersion, access.Paths("report__organization", "report__municipality", "report__region")
        )
        access.register(
            ReportFile, access.Paths("report__organization", "report__municipality", "report__region")
        )
        # Who may create, edit and publish a report: reports' rows of access.WRITE_RULES.
        rights.register()
