"""Startup checks (Django's system checks, run by every ``manage.py`` command and by the server).

- ``portal.E001``: defusedxml must import. openpyxl parses a workbook's XML with it when it is
  installed and with the plain expat parser (open to entity expansion) when it is not, silently
  (docs/reliability.md §4 #66, A8).
- ``portal.E002``: a production process (DEBUG=0) refuses a short or repetitive SECRET_KEY, which
  would let anyone forge session cookies; settings already refuse an empty or the development one.
"""

from django.conf import settings
from django.core.checks import Error, register

from .settings import DEV_SECRET_KEY

SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5


@register()
def defusedxml_imports(app_configs=None, **kwargs):
    try:
        import defusedxml  # noqa: F401
        from openpyxl.xml import DEFUSEDXML
    except ImportError as error:
        return [
            Error(f"defusedxml не импортируется: {error}", hint="pip install defusedxml", id="portal.E001")
        ]
    if not DEFUSEDXML:
        return [Error("openpyxl не видит defusedxml и разбирает XML без защиты.", id="portal.E001")]
    return []


@register()
def secret_key_is_strong(app_configs=None, **kwargs):
    key = settings.SECRET_KEY
    # The development key is allowed by settings only with DEBUG on (the test runner turns DEBUG
    # off after settings are read, so DEBUG alone does not tell a development process).
    if settings.DEBUG or key == DEV_SECRET_KEY:
        return []
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return [
            Error(
                f"SECRET_KEY слишком простой: нужно не меньше {SECRET_KEY_MIN_LENGTH} символов и "
                f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} разных.",
                hint="python -c 'from django.core.management.utils import get_random_secret_key; "
                "print(get_random_secret_key())'",
                id="portal.E002",
            )
        ]
    return []
