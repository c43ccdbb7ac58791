"""Forms of the organization card and the organizations' list filter.

The forms carry no organization field: the organization of every record comes from the URL,
looked up in the user's scope. Fields are built from the model fields, so labels, limits and
choices stay those of ``registry.models``.
"""

import datetime

import django_filters
from django import forms
from django.db.models import Q

from common.forms import DatePickerInput, PlainTextMixin
from common.text import fold
from registry import access
from registry.models import (
    Headcount,
    Municipality,
    NormativeDocument,
    Organization,
    OrganizationStatus,
    UserScope,
    school_year_label,
    school_year_of,
)
from registry.organizations import DOCUMENT_FILE_ACCEPT, document_file_check

HEADCOUNT_YEARS_BACK = 2  # the current school year and the two before it


def _field(model, name: str, **kwargs) -> forms.Field:
    return model._meta.get_field(name).formfield(**kwargs)


class OrganizationCardForm(PlainTextMixin, forms.Form):
    short_name = _field(Organization, "short_name")
    site_url = forms.URLField(label="Сайт", required=False, assume_scheme="https")
    model_status = _field(Organization, "model_status")
    model_status_since = _field(Organization, "model_status_since", widget=DatePickerInput())
    # The version the user started from: a save by anybody else since is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    @classmethod
    def initial_for(cls, organization: Organization) -> dict:
        return {name: getattr(organization, name) for name in cls.base_fields}


class DocumentForm(PlainTextMixin, forms.Form):
    doc_type = _field(NormativeDocument, "doc_type")
    number = _field(NormativeDocument, "number")
    date = _field(NormativeDocument, "date", widget=DatePickerInput())
    title = _field(NormativeDocument, "title", widget=forms.Textarea(attrs={"rows": 2}))
    site_url = forms.URLField(label="Ссылка на сайте", required=False, max_length=500, assume_scheme="https")
    published_on_site = _field(NormativeDocument, "published_on_site")
    # A plain input: the widget that shows the current file would print its /media/ address.
    file = forms.FileField(
        label="Файл",
        required=False,
        widget=forms.FileInput(attrs={"accept": DOCUMENT_FILE_ACCEPT}),
        help_text="PDF, DOC, DOCX, ODT, JPG или PNG, не больше 10 МБ.",
    )
    remove_file = forms.BooleanField(label="Удалить прикреплённый файл", required=False)

    MODEL_FIELDS = ("doc_type", "number", "date", "title", "site_url", "published_on_site")

    def __init__(self, *args, document: NormativeDocument | None = None, **kwargs):
        if document is not None:
            kwargs.setdefault("initial", {name: getattr(document, name) for name in self.MODEL_FIELDS})
        super().__init__(*args, **kwargs)
        if document is None or not document.file:
            del self.fields["remove_file"]
        elif document.file:
            self.fields["file"].help_text += " Новый файл заменит прикреплённый."

    def clean_file(self):
        file = self.cleaned_data.get("file")
        if file:
            try:
                document_file_check(file=file)
            except forms.ValidationError as exc:
                raise forms.ValidationError(exc.message_dict["file"]) from None
        return file


def headcount_year_choices(today: datetime.date) -> list[tuple[int, str]]:
    current = school_year_of(today)
    return [
        (year, school_year_label(year)) for year in range(current, current - HEADCOUNT_YEARS_BACK - 1, -1)
    ]


class HeadcountForm(PlainTextMixin, forms.Form):
    school_year = forms.TypedChoiceField(label="Учебный год", coerce=int)
    teachers = _field(Headcount, "teachers")
    young_specialists = _field(Headcount, "young_specialists")
    students = _field(Headcount, "students")
    students_10_plus = _field(Headcount, "students_10_plus")

    def __init__(self, *args, today: datetime.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school_year"].choices = headcount_year_choices(today)
        self.fields["school_year"].initial = school_year_of(today)


class StatusForm(PlainTextMixin, forms.Form):
    kind = _field(OrganizationStatus, "kind")
    start_date = _field(OrganizationStatus, "start_date", widget=DatePickerInput())
    end_date = _field(OrganizationStatus, "end_date", widget=DatePickerInput())
    basis = _field(OrganizationStatus, "basis")


class StatusEndForm(PlainTextMixin, forms.Form):
    end_date = forms.DateField(label="Дата окончания", widget=DatePickerInput())


# ---------------------------------------------------------------- the list's filters

YES_NO = [("yes", "да"), ("no", "нет")]


class OrganizationFilter(django_filters.FilterSet):
    """The allow-list of the list's filters; anything else in the query string is ignored."""

    q = django_filters.CharFilter(method="search", label="Поиск")
    municipality = django_filters.ModelChoiceFilter(
        queryset=Municipality.objects.none(), label="Муниципалитет", empty_label="все"
    )
    org_type = django_filters.ChoiceFilter(
        choices=Organization.OrgType.choices, label="Тип ОО", empty_label="все"
    )
    low_results = django_filters.ChoiceFilter(
        choices=YES_NO, method="flag", field_name="is_low_results", label="ШНОР", empty_label="все"
    )
    regulation_published = django_filters.ChoiceFilter(
        choices=YES_NO,
        method="flag",
        field_name="regulation_published",
        label="Положение размещено на сайте",
        empty_label="все",
    )

    class Meta:
        model = Organization
        fields = []  # only the filters declared above

    def __init__(self, data=None, queryset=None, *, user, **kwargs):
        super().__init__(data, queryset, **kwargs)
        if access.role_of(user) in (UserScope.Role.OPERATOR, UserScope.Role.ADMIN):
            self.filters["municipality"].queryset = access.scoped(user, Municipality.objects.all())
        else:
            # A curator or a coordinator has one municipality: nothing to choose.
            del self.filters["municipality"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(search_name__contains=fold(value)) | Q(code__iexact=value))

    def flag(self, queryset, name, value):
        # ``name`` is an annotation of registry.organizations.organizations_with_flags.
        return queryset.filter(**{name: value == "yes"})
