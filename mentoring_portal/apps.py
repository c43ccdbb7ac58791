from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class PortalConfig(AppConfig):
    """The wiring app: ``ready`` registers the startup checks, the access log's auth signals,
    starts the idle clock at login and names the libraries' admin sections in Russian."""

    name = "mentoring_portal"
    verbose_name = "Портал"
    default = True

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        # Login, failed login and logout reach the access log through Django's auth signals.
        from . import (
            audit,  # noqa: F401
            checks,  # noqa: F401 — registers the checks
            throttle,  # noqa: F401 — failed logins count for their address
        )
        from .admin_names import name_libraries_in_russian
        from .security import start_activity_clock

        name_libraries_in_russian()  # the libraries' admin sections and models

        user_logged_in.connect(start_activity_clock, dispatch_uid="portal-idle-clock")

        # A returned submission tells its curators at once, not only at the next daily run
        # (docs/architecture.md §14): monitoring knows nothing of notifications, the wiring listens.
        from django.db.models.signals import post_save

        from monitoring.models import SubmissionEvent

        from .notifications import on_submission_event

        post_save.connect(on_submission_event, sender=SubmissionEvent, dispatch_uid="portal-notify-return")


class PortalAdminConfig(admin_apps.AdminConfig):
    """``django.contrib.admin`` whose ``admin.site`` asks for a second factor (docs/reliability.md #16)."""

    default = False  # named in INSTALLED_APPS; the app "mentoring_portal" itself is PortalConfig
    default_site = "mentoring_portal.security.PortalAdminSite"
