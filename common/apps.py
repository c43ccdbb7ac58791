from django.apps import AppConfig


class CommonConfig(AppConfig):
    """Installed for its template tags only (``{% load formats %}``); the package has no models."""

    name = "common"
    verbose_name = "Общие модули портала"
