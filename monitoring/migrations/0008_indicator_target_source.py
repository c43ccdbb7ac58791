"""Where an indicator's target comes from (docs/domain.md §6): a column, filled for the catalogue's targets.

Only F1's source is named in docs/ (the federal project «Современная школа», general knowledge,
marked as such); F3's 70 % and R6's 100 % have none there, so they read «целевое значение региона».
"""

from django.db import migrations, models

K = " (по общим сведениям о федеральных документах; проверьте по первоисточнику)"
REGION = "целевое значение региона"
SOURCES = {
    "F1": "Федеральный проект «Современная школа» национального проекта «Образование»" + K,
    "F3": REGION,
    "R6": REGION,
}


def fill(apps, schema_editor):
    Indicator = apps.get_model("monitoring", "Indicator")
    for code, source in SOURCES.items():
        # Only where the catalogue still has a target and nobody has named a source yet.
        Indicator.objects.filter(code=code, target_value__isnull=False, target_source="").update(
            target_source=source
        )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0007_fill_survey_stored_results")]
    operations = [
        migrations.AddField(
            model_name="indicator",
            name="target_source",
            field=models.CharField(
                blank=True,
                help_text=(
                    "Документ, устанавливающий целевое значение: федеральный проект, распоряжение, "
                    "региональная программа; «целевое значение региона», если документ не указан"
                ),
                max_length=500,
                verbose_name="источник целевого значения",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
