from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Installed for its template tags (``{% load formats %}``) and the SQLite side of natural order
    (``common.natural``); the package has no models."""

    name = "common"
    verbose_name = "Общие модули портала"

    def ready(self):
        from django.db.backends.signals import connection_created

        from common import natural

        connection_created.connect(natural.register, dispatch_uid="common.natural")
