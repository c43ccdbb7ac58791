from django.apps import AppConfig


class MentoringPortalConfig(AppConfig):
    name = "mentoring_portal"
    verbose_name = "Портал"

    def ready(self):
        # Login, failed login and logout reach the access log through Django's auth signals.
        from . import audit  # noqa: F401
