"""The vocabulary of mentoring forms, as data (docs/domain.md §3). Regions add their own in the admin."""

import re

from django.db import migrations

FORMS = [
    # code, name, system, is_federal, mentor categories, mentee categories
    ("student_student", "ученик – ученик", "students", True, ["student"], ["student"]),
    ("teacher_teacher", "учитель – учитель", "students", True, ["teacher", "head"], ["teacher"]),
    ("college_student", "студент – ученик", "students", True, ["college_student"], ["student"]),
    ("employer_student", "работодатель – ученик", "students", True, ["employer_rep"], ["student"]),
    ("employer_college", "работодатель – студент", "students", True, ["employer_rep"], ["college_student"]),
    ("teacher_student", "учитель – ученик", "students", False, ["teacher"], ["student"]),
    ("college_college", "студент – студент", "students", False, ["college_student"], ["college_student"]),
    ("org_org", "ОО – ОО", "organizations", False, ["organization"], ["organization"]),
    ("peer_teachers", "педагог – педагог", "teachers", False, ["teacher", "head"], ["teacher"]),
    (
        "experienced_young",
        "опытный педагог – молодой специалист",
        "teachers",
        False,
        ["teacher", "head"],
        ["teacher"],
    ),
    ("head_teacher", "руководитель ОО – педагог", "teachers", False, ["head"], ["teacher"]),
]


def normalize(text):
    text = re.sub(r"\s*[-‐‑‒–—―−]\s*", " – ", text.strip().lower())
    return re.sub(r"\s+", " ", text).replace("ё", "е")


def add_forms(apps, schema_editor):
    MentoringForm = apps.get_model("registry", "MentoringForm")
    for order, (code, name, system, federal, mentors, mentees) in enumerate(FORMS, start=1):
        MentoringForm.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "normalized_name": normalize(name),
                "system": system,
                "is_federal": federal,
                "mentor_categories": mentors,
                "mentee_categories": mentees,
                "sort_order": order * 10,
            },
        )


def remove_forms(apps, schema_editor):
    apps.get_model("registry", "MentoringForm").objects.filter(code__in=[f[0] for f in FORMS]).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]
    operations = [migrations.RunPython(add_forms, remove_forms)]
