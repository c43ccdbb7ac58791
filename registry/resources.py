"""django-import-export resources with the workbook's Russian headers (docs/workbook.md §2), for the Django
admin.

The portal's own import (registry.workbook) is what the «Импорт и экспорт» page and
``manage.py import_workbook`` use: whole workbooks, every error located, all or nothing,
fast. These resources give admins the same columns per table inside the Django admin and
are the baseline the import benchmark compares against (bench/bench_workbook.py).
"""

from import_export import fields, resources, widgets

from common import text

from . import exports
from .models import Headcount, Municipality, Organization, Person
from .people import PERSON_FIELDS
from .workbook.schema import CATEGORY_LABELS, ORG_TYPE_LABELS, parse_school_year


class LabelWidget(widgets.Widget):
    """A choice written as its Russian label in the workbook («педагог» ↔ teacher)."""

    def __init__(self, labels: dict, **kwargs):
        super().__init__(**kwargs)
        self.labels = labels

    def clean(self, value, row=None, **kwargs):
        key = " ".join(str(value or "").lower().split())
        if key not in self.labels:
            raise ValueError(f"«{value}»: допустимо {', '.join(self.labels)}")
        return self.labels[key]

    def render(self, value, obj=None, **kwargs):
        return next((label for label, stored in self.labels.items() if stored == value), "")


class SchoolYearWidget(widgets.Widget):
    def clean(self, value, row=None, **kwargs):
        return parse_school_year(value)

    def render(self, value, obj=None, **kwargs):
        return f"{value}/{value + 1}" if value else ""


DATE = widgets.DateWidget(format="%d.%m.%Y")


class SafeExportMixin:
    """Text that a spreadsheet would take for a formula is exported with a leading apostrophe.

    django-import-export's IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only strips a leading «=»
    (docs/reliability.md A8, #44); «+», «-», «@» and tabs need the same treatment as the portal's own exports.
    Hidden characters stored some other way are left out of the file (``exports.safe_cell``);
    coming in, a text cell with one is refused like in the portal's own import (docs/reliability.md #39).
    """

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if not isinstance(value, str):
            return value
        return exports.safe_cell(
            value, source=lambda: text.source_of(instance, field.attribute or field.column_name)
        )

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        value = row.get(field.column_name)
        error = text.text_character_error(value) if isinstance(value, str) else None
        if error:
            # django-import-export shows it on the row, under the model field's name: say the column.
            raise ValueError(f"Столбец «{field.column_name}»: {error}")
        return super().import_field(field, instance, row, is_m2m, **kwargs)


class OrganizationResource(SafeExportMixin, resources.ModelResource):
    code = fields.Field("code", "Код ОО")
    full_name = fields.Field("full_name", "Наименование")
    short_name = fields.Field("short_name", "Краткое наименование")
    municipality = fields.Field(
        "municipality", "Муниципалитет", widget=widgets.ForeignKeyWidget(Municipality, "code")
    )
    org_type = fields.Field("org_type", "Тип ОО", widget=LabelWidget(ORG_TYPE_LABELS))
    site_url = fields.Field("site_url", "Сайт")

    class Meta:
        model = Organization
        import_id_fields = ["code"]
        fields = ["code", "full_name", "short_name", "municipality", "org_type", "site_url"]
        skip_unchanged = True
        report_skipped = True


class HeadcountResource(SafeExportMixin, resources.ModelResource):
    organization = fields.Field(
        "organization", "Код ОО", widget=widgets.ForeignKeyWidget(Organization, "code")
    )
    school_year = fields.Field("school_year", "Учебный год", widget=SchoolYearWidget())
    teachers = fields.Field("teachers", "Педагогов всего", widget=widgets.IntegerWidget())
    young_specialists = fields.Field(
        "young_specialists", "Молодых специалистов", widget=widgets.IntegerWidget()
    )
    students = fields.Field("students", "Обучающихся всего", widget=widgets.IntegerWidget())
    students_10_plus = fields.Field(
        "students_10_plus", "Обучающихся от 10 лет", widget=widgets.IntegerWidget()
    )

    class Meta:
        model = Headcount
        import_id_fields = ["organization", "school_year"]
        fields = [
            "organization",
            "school_year",
            "teachers",
            "young_specialists",
            "students",
            "students_10_plus",
        ]
        skip_unchanged = True


class PersonResource(SafeExportMixin, resources.ModelResource):
    """People of a base sheet («Наставники» / «Наставляемые») without the base itself."""

    organization = fields.Field(
        "organization", "Код ОО", widget=widgets.ForeignKeyWidget(Organization, "code")
    )
    full_name = fields.Field("full_name", "ФИО")
    birth_date = fields.Field("birth_date", "Дата рождения", widget=DATE)
    category = fields.Field("category", "Категория", widget=LabelWidget(CATEGORY_LABELS))
    position = fields.Field("position", "Должность")
    subject = fields.Field("subject", "Предмет")
    grade = fields.Field("grade", "Класс")
    teaching_experience = fields.Field(
        "teaching_experience", "Педагогический стаж", widget=widgets.IntegerWidget()
    )
    email = fields.Field("email", "Email")
    phone = fields.Field("phone", "Телефон")
    consent_date = fields.Field("consent_date", "Дата согласия", widget=DATE)
    consent_giver = fields.Field("consent_giver", "Законный представитель")
    consent_text_version = fields.Field("consent_text_version", "Версия согласия")

    class Meta:
        model = Person
        import_id_fields = ["organization", "full_name", "birth_date"]
        fields = ["organization", *PERSON_FIELDS]
        skip_unchanged = True
