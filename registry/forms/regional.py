"""Forms and list filters of the regional registries: practices, contests, courses, methodists.

Every choice list is scoped through ``registry.access``; an id posted by hand that is not
in the list fails validation («Выберите корректный вариант»), so nothing out of scope is saved.
"""

import django_filters
from django import forms
from django.db.models import Q

from common.filters import YearFilter
from common.forms import DatePickerInput, PlainTextMixin
from common.text import fold
from registry import access
from registry.models import (
    Contest,
    ContestEntry,
    MentoringForm,
    Mentorship,
    MethodistRegistryEntry,
    Municipality,
    Organization,
    Person,
    PracticeBankEntry,
    Region,
    TrainingCompletion,
    TrainingCourse,
)
from registry.regional import ADULT_CATEGORIES, ALLOWED_FILES_HELP, check_practice_file

PD_WARNING = (
    "Опубликованная практика видна всем без входа в портал: не указывайте ФИО, контакты "
    "и другие персональные данные обучающихся."
)


def _dates(form: forms.BaseForm, *names: str) -> None:
    for name in names:
        form.fields[name].widget = DatePickerInput()


# ---------------------------------------------------------------- practices


class MentorshipChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        mentor = obj.mentor_person or obj.mentor_organization
        return f"{obj.mentoring_form.name}: {mentor}, с {obj.start_date:%d.%m.%Y}"


class PracticeForm(PlainTextMixin, forms.Form):
    """A curator's submission; the organization comes from the curator's scope, never from the form."""

    title = forms.CharField(label="Наименование практики", max_length=500)
    mentoring_form = forms.ModelChoiceField(
        label="Форма наставничества", queryset=MentoringForm.objects.filter(is_active=True)
    )
    description = forms.CharField(
        label="Описание", widget=forms.Textarea(attrs={"rows": 6}), required=False, help_text=PD_WARNING
    )
    mentorship = MentorshipChoiceField(
        label="Наставническая пара",
        queryset=Mentorship.objects.none(),
        required=False,
        help_text="Необязательно: пара вашей организации, чей опыт описан.",
    )
    file = forms.FileField(label="Материалы", required=False, help_text=ALLOWED_FILES_HELP)

    def __init__(self, *args, user, organization: Organization, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentorship"].queryset = access.scoped(
            user,
            Mentorship.objects.filter(organization=organization).select_related(
                "mentoring_form", "mentor_person", "mentor_organization"
            ),
        ).order_by("-start_date")

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            check_practice_file(upload=upload)
        return upload


class PublicPracticeFilter(django_filters.FilterSet):
    """The public page's filters: nothing that names people or reveals the review workflow."""

    q = django_filters.CharFilter(label="Поиск", method="search")
    mentoring_form = django_filters.ModelChoiceFilter(
        empty_label="все", label="Форма наставничества", queryset=MentoringForm.objects.all()
    )
    org_type = django_filters.ChoiceFilter(
        empty_label="все",
        label="Тип ОО",
        field_name="organization__org_type",
        choices=Organization.OrgType.choices,
    )

    class Meta:
        model = PracticeBankEntry
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value)
            | Q(description__icontains=value)
            | Q(organization__search_name__contains=fold(value))
            | Q(organization__municipality__name__icontains=value)
        )


class PracticeFilter(PublicPracticeFilter):
    """The registry's list adds the review status."""

    status = django_filters.ChoiceFilter(
        empty_label="все", label="Статус", choices=PracticeBankEntry.Status.choices
    )

    class Meta(PublicPracticeFilter.Meta):
        fields = ["q", "status", "mentoring_form", "org_type"]


# ---------------------------------------------------------------- contests


class RegionChoiceMixin:
    """Admins choose the region of a new record; an operator's records belong to its own region."""

    def add_region_field(self, user):
        self.fields["region"] = forms.ModelChoiceField(
            label="Регион", queryset=access.scoped(user, Region.objects.all())
        )
        self.order_fields(["region", *[n for n in self.fields if n != "region"]])


class ContestForm(RegionChoiceMixin, PlainTextMixin, forms.ModelForm):
    class Meta:
        model = Contest
        fields = ["title", "level", "start_date", "end_date", "goal", "nominations"]
        widgets = {
            "goal": forms.Textarea(attrs={"rows": 3}),
            "nominations": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, user, choose_region: bool, **kwargs):
        super().__init__(*args, **kwargs)
        _dates(self, "start_date", "end_date")
        if choose_region:
            self.add_region_field(user)


class OrganizationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.short_name or obj.full_name} ({obj.municipality.name}, {obj.get_org_type_display()})"


class ContestEntryForm(PlainTextMixin, forms.ModelForm):
    organization = OrganizationChoiceField(label="Организация", queryset=Organization.objects.none())

    class Meta:
        model = ContestEntry
        fields = ["organization", "title", "nomination", "result"]

    def __init__(self, *args, user, contest: Contest, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = access.scoped(
            user,
            Organization.objects.filter(municipality__region=contest.region_id).select_related(
                "municipality"
            ),
        ).order_by("municipality__name", "short_name", "full_name")


class ContestFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Поиск", method="search")
    level = django_filters.ChoiceFilter(empty_label="все", label="Уровень", choices=Contest.Level.choices)
    year = YearFilter(label="Год", field_name="start_date")

    class Meta:
        model = Contest
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(nominations__icontains=value))


class ContestEntryFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Поиск", method="search")
    org_type = django_filters.ChoiceFilter(
        empty_label="все",
        label="Тип ОО",
        field_name="organization__org_type",
        choices=Organization.OrgType.choices,
    )
    result = django_filters.ChoiceFilter(
        empty_label="все", label="Результат", choices=ContestEntry.Result.choices
    )

    class Meta:
        model = ContestEntry
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value)
            | Q(nomination__icontains=value)
            | Q(organization__search_name__contains=fold(value))
        )


# ---------------------------------------------------------------- courses


class CourseForm(RegionChoiceMixin, PlainTextMixin, forms.ModelForm):
    class Meta:
        model = TrainingCourse
        fields = [
            "title",
            "provider",
            "hours",
            "start_date",
            "end_date",
            "schedule",
            "audience",
            "reported_trained_count",
        ]

    def __init__(self, *args, user, choose_region: bool, **kwargs):
        super().__init__(*args, **kwargs)
        _dates(self, "start_date", "end_date")
        if choose_region:
            self.add_region_field(user)


def adult_people(user, region_id: int):
    """People of the region who may complete a course or be a methodist, as ``user`` sees them."""
    return access.scoped(
        user,
        Person.objects.filter(
            organization__municipality__region=region_id, category__in=ADULT_CATEGORIES
        ).select_related("organization__municipality"),
    )


SEARCH_LIMIT = 30


def search_people(queryset, query: str, limit: int = SEARCH_LIMIT):
    """Candidates for a choice: a name fragment or «Код ОО»; at most ``limit`` rows, one query."""
    query = (query or "").strip()
    if len(query) < 2:
        return []
    return list(
        queryset.filter(
            Q(search_name__contains=fold(query))
            | Q(organization__code__iexact=query)
            | Q(organization__search_name__contains=fold(query))
        ).order_by("full_name")[:limit]
    )


class CompletionForm(PlainTextMixin, forms.Form):
    people = forms.ModelMultipleChoiceField(
        label="Слушатели", queryset=Person.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    completed_on = forms.DateField(label="Дата окончания обучения", widget=DatePickerInput())
    certificate_number = forms.CharField(
        label="Номер удостоверения",
        max_length=50,
        required=False,
        help_text="Если отмечен один слушатель.",
    )

    def __init__(self, *args, user, course: TrainingCourse, **kwargs):
        kwargs.setdefault("initial", {"completed_on": course.end_date})
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = adult_people(user, course.region_id).exclude(
            trainings__course=course
        )


class CourseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Поиск", method="search")
    year = YearFilter(label="Год", field_name="start_date")

    class Meta:
        model = TrainingCourse
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(provider__icontains=value))


class CompletionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Поиск", method="search")

    class Meta:
        model = TrainingCompletion
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(person__search_name__contains=fold(value))
            | Q(person__organization__search_name__contains=fold(value))
            | Q(certificate_number__iexact=value)
        )


# ---------------------------------------------------------------- regional methodists


class MethodistForm(PlainTextMixin, forms.ModelForm):
    person = forms.ModelChoiceField(
        label="Участник", queryset=Person.objects.none(), widget=forms.RadioSelect
    )

    class Meta:
        model = MethodistRegistryEntry
        fields = ["person", "specialization", "status", "contract_start", "contract_end"]

    def __init__(self, *args, user, region_id: int | None, **kwargs):
        super().__init__(*args, **kwargs)
        _dates(self, "contract_start", "contract_end")
        if self.instance.pk:
            del self.fields["person"]  # an entry keeps its person; add another entry for someone else
        else:
            people = access.scoped(
                user,
                Person.objects.filter(category__in=ADULT_CATEGORIES).select_related(
                    "organization__municipality"
                ),
            )
            if region_id is not None:
                people = people.filter(organization__municipality__region=region_id)
            self.fields["person"].queryset = people


def _active_on(queryset, name, value):
    return queryset.filter(
        Q(contract_start__isnull=True) | Q(contract_start__lte=value),
        Q(contract_end__isnull=True) | Q(contract_end__gte=value),
    )


class MethodistFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Поиск", method="search")
    status = django_filters.ChoiceFilter(
        empty_label="все", label="Статус", choices=MethodistRegistryEntry.Status.choices
    )
    municipality = django_filters.ModelChoiceFilter(
        empty_label="все",
        label="Муниципалитет",
        field_name="person__organization__municipality",
        queryset=lambda request: access.scoped(request.user, Municipality.objects.all()),
    )
    active_on = django_filters.DateFilter(
        label="Договор действует на дату", method=_active_on, widget=DatePickerInput()
    )

    class Meta:
        model = MethodistRegistryEntry
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(person__search_name__contains=fold(value))
            | Q(specialization__icontains=value)
            | Q(person__organization__search_name__contains=fold(value))
        )
