"""A database default for the folded names: a writer that does not know the column yet (another
branch's code, a raw INSERT) still inserts; save() and the bulk writes set the real value."""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0017_search_name'),
    ]

    operations = [
        migrations.AlterField(
            model_name='organization',
            name='search_name',
            field=models.CharField(db_default='', default='', editable=False, max_length=710, verbose_name='наименование для поиска'),
        ),
        migrations.AlterField(
            model_name='person',
            name='search_name',
            field=models.CharField(db_default='', default='', editable=False, max_length=300, verbose_name='ФИО для поиска'),
        ),
    ]
