"""The pair's latest meeting date, kept on the pair for the alert «silent» (docs/domain.md §4.2):
the column, its value for the pairs that already have meetings, and the alert's partial index."""

import django.db.models.functions.comparison
from django.db import migrations, models


def fill_last_meeting_on(apps, schema_editor):
    pairs = apps.get_model("registry", "Mentorship")
    meetings = apps.get_model("registry", "Meeting")
    latest = meetings.objects.filter(mentorship=models.OuterRef("pk")).order_by("-date").values("date")[:1]
    pairs.objects.filter(pk__in=meetings.objects.values("mentorship")).update(
        last_meeting_on=models.Subquery(latest, output_field=models.DateField())
    )


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0013_userscope_mentor"),
    ]

    operations = [
        migrations.AddField(
            model_name="mentorship",
            name="last_meeting_on",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="дата последней встречи"),
        ),
        migrations.RunPython(fill_last_meeting_on, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name="mentorship",
            index=models.Index(
                models.F("organization"),
                django.db.models.functions.comparison.Coalesce(models.F("last_meeting_on"), models.F("start_date")),
                condition=models.Q(("status", "active")),
                name="registry_ms_silent",
            ),
        ),
    ]
