from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "monitoring"
    verbose_name = "Мониторинг"

    def ready(self):
        from registry import access
        from registry.workbook.engine import register

        from .models import RoadMap, RoadMapEvent
        from .workbook import EventsSheet

        # A road map is seen by whoever's territory contains its owner: the region's operator
        # sees them all, a coordinator the municipality's map and its schools' maps (an
        # organization's map carries its municipality), a curator its organization's map.
        access.register(RoadMap, access.Paths("organization", "municipality", "region"))
        access.register(
            RoadMapEvent,
            access.Paths("roadmap__organization", "roadmap__municipality", "roadmap__region"),
        )
        register(EventsSheet())
