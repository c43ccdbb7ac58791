"""The demo's four reports, one per seed (docs/architecture.md §9), as drafts the operator can open, edit and
publish.

Built after the registry and monitoring demos by ``seed_demo``; found again by kind, territory and
source, so a second run changes nothing. Signatures are invented, like every person of the demo.
"""

import datetime

from django.contrib.auth import get_user_model

from monitoring.demo import OKTYABRSKY_2022
from monitoring.models import Campaign, RoadMap
from registry.demo import CURATOR_SCHOOL_CODE, OKTYABRSKY_CODE

from . import services
from .models import Kind, Report
from .sources import resolve

BRYANSK_TITLE_START = "Мероприятия по организации наставничества"
SMOLENSK_TITLE_START = "План мероприятий («дорожная карта»)"
SCHOOL_NOTE_AS_OF = datetime.date(2021, 5, 31)  # seed 001: the 2020–2021 school year


def seed_reports() -> list[Report]:
    User = get_user_model()
    operator, coordinator = User.objects.get(username="operator"), User.objects.get(username="coordinator")
    oktyabrsky = Campaign.objects.get(municipality__code=OKTYABRSKY_CODE, title=OKTYABRSKY_2022["title"])
    bryansk = RoadMap.objects.get(level=RoadMap.Level.REGION, title__startswith=BRYANSK_TITLE_START)
    smolensk = RoadMap.objects.get(level=RoadMap.Level.REGION, title__startswith=SMOLENSK_TITLE_START)
    wanted = [
        (operator, Kind.ROADMAP_NOTE, {"roadmap": bryansk},
         ("Зав. центром мониторинга и инновационной деятельности", "О.Г. Васильева")),
        (coordinator, Kind.MONITORING_REPORT, {"campaign": oktyabrsky},
         ("Заведующий МАУ «Информационно-методический кабинет»", "Л.Г. Орлова")),
        (operator, Kind.ROADMAP_REPORT, {"roadmap": smolensk},
         ("Руководитель ЦНППМ", "Е.А. Белова")),
        (coordinator, Kind.SCHOOL_NOTE, {"organization": CURATOR_SCHOOL_CODE, "as_of": SCHOOL_NOTE_AS_OF},
         ("Директор школы", "Н.В. Смирнова")),
    ]  # fmt: skip
    reports = []
    for user, kind, source, (position, name) in wanted:
        report = resolve(user, kind, **source)
        existing = Report.objects.filter(
            kind=kind,
            region=report.region,
            municipality=report.municipality,
            organization=report.organization,
            campaign=report.campaign,
            roadmap=report.roadmap,
            as_of=report.as_of,
        ).first()
        if existing is not None:
            reports.append(existing)
            continue
        report.signature_position, report.signature_name = position, name
        reports.append(services.report_create(report=report, user=user))
    return reports
