"""The indicator catalogue of docs/domain.md §6, as data: only the indicators a submission can state.

Left out: F2 (pupils aged 15–19: the headcount has no such column), F4 and R8 (employers and
municipal authorities are not organizations answering a school's submission), R10–R15 (the
region's own figures: practice bank, contests, road maps, events, methodists, ИПН).
Federal wording and targets are [K] (general knowledge of the federal documents): editable.
"""

from django.db import migrations

K = "[K] Формулировка по общим сведениям о федеральных документах; проверьте по первоисточнику. "

INDICATORS = [
    # code, name, unit, level, numerator, denominator, basis, federal, target, description
    (
        "F1",
        "Доля обучающихся от 10 лет, вошедших в программы наставничества в роли наставляемого",
        "share", "organization", "student_mentees_10_plus", "students_10_plus", "respondents", True, 70,
        K + "Р-145: обучающиеся 10–19 лет; в контингенте реестра — «обучающихся от 10 лет». "
        "Целевое значение 70 % — федеральный проект «Современная школа».",
    ),
    (
        "F3",
        "Доля учителей — молодых специалистов (стаж до 3 лет), вошедших в программы наставничества "
        "в роли наставляемого",
        "share", "organization", "young_specialist_mentees", "young_specialists", "respondents", True, 70,
        K + "Молодые специалисты в роли наставляемого в любой форме ÷ молодые специалисты.",
    ),
    (
        "F5",
        "Уровень удовлетворённости наставляемых участием в программах наставничества",
        "share", "organization", "mentees_satisfied", "mentees_surveyed", "respondents", True, None,
        K + "Опрос: удовлетворённые ÷ опрошенные; вносит организация.",
    ),
    (
        "F6",
        "Уровень удовлетворённости наставников участием в программах наставничества",
        "share", "organization", "mentors_satisfied", "mentors_surveyed", "respondents", True, None,
        K + "Опрос: удовлетворённые ÷ опрошенные; вносит организация.",
    ),
    (
        "F7",
        "Доля образовательных организаций, внедривших целевую модель наставничества",
        "yes_no", "municipality", "target_model", "organizations", "targets", True, None,
        K + "Октябрьский район: 26 из 26 (100 %). В реестре — этап «реализация» или «завершено».",
    ),
    (
        "R1",
        "Доля педагогов — наставников молодых специалистов (форма «учитель – учитель»)",
        "share", "organization", "mentors:teacher_teacher", "teachers", "respondents", False, None,
        "Октябрьский район: 7,3 %. Наставники формы «учитель – учитель» ÷ все педагоги.",
    ),
    (
        "R2",
        "Доля молодых специалистов в роли наставляемого (форма «учитель – учитель»)",
        "share", "organization", "young_specialist_mentees:teacher_teacher", "young_specialists",
        "respondents", False, None,
        "Октябрьский район: 100 %.",
    ),
    (
        "R3",
        "Доля педагогов — наставников обучающихся (форма «учитель – ученик»)",
        "share", "organization", "mentors:teacher_student", "teachers", "respondents", False, None,
        "Октябрьский район: 26,1 %.",
    ),
    (
        "R4",
        "Доля обучающихся-наставников (форма «ученик – ученик»)",
        "share", "organization", "mentors:student_student", "students", "respondents", False, None,
        "Октябрьский район: 18 %.",
    ),
    (
        "R5",
        "Доля обучающихся-наставляемых (форма «ученик – ученик»)",
        "share", "organization", "mentees:student_student", "students", "respondents", False, None,
        "Октябрьский район: 25,4 %.",
    ),
    (
        "R6",
        "Доля образовательных организаций, участвовавших в мониторинге",
        "share", "municipality", "submitted", "organizations", "targets", False, 100,
        "Смоленская область: 228 из 340 (67 %).",
    ),
    (
        "R7",
        "Доля образовательных организаций, разместивших положение о наставничестве на сайте",
        "yes_no", "municipality", "regulation_on_site", "organizations", "targets", False, None,
        "Смоленская область: 254 из 340 (75 %) — знаменатель все ОО мониторинга.",
    ),
    (
        "R9",
        "Педагоги, прошедшие КПК по наставничеству",
        "count", "municipality", "trained_teachers", "", "respondents", False, None,
        "Брянск: 75; Смоленская область: 30 + 100.",
    ),
]


def add_indicators(apps, schema_editor):
    Indicator = apps.get_model("monitoring", "Indicator")
    for order, row in enumerate(INDICATORS, start=1):
        code, name, unit, level, numerator, denominator, basis, federal, target, description = row
        Indicator.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "unit": unit,
                "level": level,
                "numerator": numerator,
                "denominator": denominator,
                "denominator_basis": basis,
                "is_federal": federal,
                "target_value": target,
                "description": description,
                "sort_order": order * 10,
            },
        )


def remove_indicators(apps, schema_editor):
    apps.get_model("monitoring", "Indicator").objects.filter(code__in=[row[0] for row in INDICATORS]).delete()


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0002_campaigns"), ("registry", "0002_mentoring_forms")]
    operations = [migrations.RunPython(add_indicators, remove_indicators)]
