from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = "Реестр наставничества"

    def ready(self):
        # The registry's sheets of the workbook (docs/workbook.md §2) register with the import engine.
        from .workbook import sheets  # noqa: F401
