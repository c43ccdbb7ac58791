"""F2 and F4 in the indicator catalogue (docs/domain.md §6), counted from the registry.

F2: pupils and college students aged 15–19 on the date in the role of mentor ÷ the headcount's
pupils from 10 (the headcount has no 15–19 column: the share is lower than the federal one, whose
denominator is the pupils aged 15–19). F4: employers (organizations of type «работодатель») one of
whose people, or which itself, mentors in a pair ÷ employers; a region's figure, as employers do
not answer a school's submission. No target: docs/ name none.
"""

from django.db import migrations

K = "[K] Формулировка по общим сведениям о федеральных документах; проверьте по первоисточнику. "

INDICATORS = {
    "F2": {
        "name": "Доля обучающихся в возрасте 15–19 лет, вошедших в программы наставничества в роли наставника",
        "unit": "share",
        "level": "organization",
        "numerator": "student_mentors_15_19",
        "denominator": "students_10_plus",
        "denominator_basis": "respondents",
        "is_federal": True,
        "target_value": None,
        "description": K + "Числитель — обучающиеся и студенты, которым на дату 15–19 лет (по дате "
        "рождения в реестре), наставники в парах любой формы. Знаменатель — обучающиеся от 10 лет "
        "по контингенту: столбца «15–19 лет» в контингенте нет, поэтому доля ниже федеральной "
        "(у неё знаменатель — обучающиеся 15–19 лет).",
        "sort_order": 15,
    },
    "F4": {
        "name": "Доля предприятий (организаций), предоставивших наставников",
        "unit": "share",
        "level": "region",
        "numerator": "employers_with_mentors",
        "denominator": "employers",
        "denominator_basis": "respondents",
        "is_federal": True,
        "target_value": None,
        "description": K + "Организации типа «работодатель», сотрудник которых (или которая сама) — "
        "наставник в паре, учитываемой на дату, ÷ все организации типа «работодатель» территории. "
        "Считается по реестру; в мониторинге школ работодатели не отчитываются (0 из 0).",
        "sort_order": 25,
    },
}


def add(apps, schema_editor):
    Indicator = apps.get_model("monitoring", "Indicator")
    for code, defaults in INDICATORS.items():
        Indicator.objects.update_or_create(code=code, defaults=defaults)


def remove(apps, schema_editor):
    apps.get_model("monitoring", "Indicator").objects.filter(code__in=list(INDICATORS)).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0008_indicator_target_source"), ("registry", "0019_mentorship_list_index")]
    operations = [migrations.RunPython(add, remove)]
