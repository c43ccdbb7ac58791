# Natural order of names in the database (common/natural.py, docs/architecture.md §4.2): an ICU
# collation with numeric digits on PostgreSQL. SQLite gets the collation per connection in Python;
# CreateCollation does nothing there.
from django.contrib.postgres.operations import CreateCollation
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("registry", "0019_mentorship_list_index")]

    operations = [CreateCollation("natural", provider="icu", locale="ru-u-kn-true")]
