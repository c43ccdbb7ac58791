"""Russian names for the sections and models the installed libraries bring into the Django admin.

The portal's own apps and models are named in Russian where they are declared (``AppConfig.verbose_name``,
``Meta.verbose_name``/``verbose_name_plural``); Django's own auth section is translated by Django.
The libraries (django-axes, django-otp, django-tasks' database backend) ship English names and no
Russian translation, so ``name_libraries_in_russian`` sets them when the portal starts. The names
are set on the model's options only, not on ``Meta.original_attrs`` which migrations read: no
migration of a library changes. tests/test_admin_names.py walks the admin index for English words.
"""

from django.apps import apps

APP_NAMES = {
    "axes": "Защита входа",
    "django_otp": "Второй фактор",
    "otp_totp": "Второй фактор: приложения-генераторы кодов",
    "otp_static": "Второй фактор: резервные коды",
    "django_tasks": "Фоновые задачи",
    "django_tasks_database": "Фоновые задачи",
    "simple_history": "История изменений",
    "django_filters": "Фильтры",
    "import_export": "Импорт и экспорт",
}

# (app label, model name): (verbose_name, verbose_name_plural)
MODEL_NAMES = {
    ("axes", "accessattempt"): ("попытка входа", "попытки входа"),
    ("axes", "accesslog"): ("журнал входа", "журнал входов"),
    ("axes", "accessfailurelog"): ("неудачный вход", "неудачные входы"),
    ("axes", "accessattemptexpiration"): ("срок попытки входа", "сроки попыток входа"),
    ("otp_totp", "totpdevice"): ("приложение-генератор кодов", "приложения-генераторы кодов"),
    ("otp_static", "staticdevice"): ("набор резервных кодов", "наборы резервных кодов"),
    ("otp_static", "statictoken"): ("резервный код", "резервные коды"),
    ("django_tasks_database", "dbtaskresult"): ("результат фоновой задачи", "результаты фоновых задач"),
}


def name_libraries_in_russian() -> None:
    for label, name in APP_NAMES.items():
        try:
            apps.get_app_config(label).verbose_name = name
        except LookupError:
            continue
    for (label, model_name), (one, many) in MODEL_NAMES.items():
        try:
            opts = apps.get_model(label, model_name)._meta
        except LookupError:
            continue
        opts.verbose_name, opts.verbose_name_plural = one, many
