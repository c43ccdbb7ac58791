"""The list of pairs picks and sorts a region's pairs from one covering index (docs/architecture.md §4.2;
bench/README.md, the sorted lists)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0018_search_name_db_default"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="mentorship",
            index=models.Index(
                fields=["organization"],
                include=(
                    "id",
                    "start_date",
                    "status",
                    "mentoring_form",
                    "mentor_person",
                    "mentor_organization",
                ),
                name="registry_ms_org_list",
            ),
        ),
    ]
