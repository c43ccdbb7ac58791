"""R15 in the indicator catalogue (docs/domain.md §6): the plans (ИПН) of teachers with high
professional deficits that the regional methodists accompany, counted from the pairs' plans.

A plan «с высоким уровнем дефицитов» is one with a supervising methodist of the regional register
(docs/domain.md §4.1): the methodists accompany exactly those plans, paid 5 hours each (seed 003,
1.3). Their hours are the figure ``plan_support_hours``, shown with the plans' count.
"""

from django.db import migrations

R15 = {
    "name": "Индивидуальные программы наставничества педагогов с высоким уровнем профессиональных "
    "дефицитов, сопровождаемые региональными методистами",
    "unit": "count",
    "level": "region",
    "numerator": "plans_high_deficits",
    "denominator": "",
    "denominator_basis": "respondents",
    "is_federal": False,
    "target_value": None,
    "description": "Демонстрационная область: с 2023 года региональные методисты сопровождают ИПН "
    "педагогов с высоким уровнем профессиональных дефицитов из расчета 5 часов на 1 программу. "
    "В реестре — планы наставничества пар с курирующим методистом из регионального реестра; часы "
    "сопровождения — величина plan_support_hours (часы плана, 5 часов, если не указаны).",
    "sort_order": 140,
}


def add_r15(apps, schema_editor):
    apps.get_model("monitoring", "Indicator").objects.update_or_create(code="R15", defaults=R15)


def remove_r15(apps, schema_editor):
    apps.get_model("monitoring", "Indicator").objects.filter(code="R15").delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0004_surveys"), ("registry", "0008_mentoring_plan")]
    operations = [migrations.RunPython(add_r15, remove_r15)]
