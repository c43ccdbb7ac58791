"""Forms of the bases of mentors and mentees: the person form and the list filters.

Every choice list is scoped through ``registry.access``; an organization is never taken from
the request for a curator (the view takes it from the curator's scope).
"""

import datetime

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone

from common.filters import int_param
from common.forms import DatePickerInput, PlainTextMixin
from common.text import fold
from registry import access, people
from registry.models import (
    CONSENT_DATE_MISSING,
    BaseMembership,
    Category,
    MentoringForm,
    Municipality,
    Person,
    PersonalDataDestruction,
)

Base = BaseMembership.Base
Role = access.Role


class PersonForm(PlainTextMixin, forms.ModelForm):
    """ФИО, дата рождения, категория… plus the fields of the bases the person is (or will be) in."""

    trained_as_mentor = forms.BooleanField(label="Обучен как наставник", required=False)
    competences = forms.CharField(
        label="Компетенции, интересы",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Чем наставник может помочь: предмет, проектная деятельность, адаптация…",
    )
    request = forms.CharField(
        label="Запрос наставляемого",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="С чем нужна помощь наставника",
    )

    class Meta:
        model = Person
        fields = people.PERSON_FIELDS
        widgets = {"birth_date": DatePickerInput(), "consent_date": DatePickerInput()}
        help_texts = {
            "grade": "Для обучающихся, например 7А",
            "phone": "Например, +7 900 000-00-00",
            "consent_date": "Дата подписания согласия на обработку персональных данных (152-ФЗ)",
            "consent_giver": (
                "ФИО родителя или иного законного представителя, подписавшего согласие: обязательно для "
                "обучающегося и для любого участника моложе 18 лет; совершеннолетний подписывает сам"
            ),
        }

    def __init__(self, *args, bases: set[str], today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        self.bases = bases
        # The model's clean says it too (for every other way in); the form shows it once, in its words.
        self.fields["consent_date"].error_messages["required"] = CONSENT_DATE_MISSING
        wanted = {name for base in bases for name in people.MEMBERSHIP_FIELDS[base]}
        for name in ("trained_as_mentor", "competences", "request"):
            if name not in wanted:
                del self.fields[name]

    def clean(self):
        data = super().clean()
        # The service checks it again; here it is shown together with the other errors.
        if data.get("category") and data.get("birth_date") and "birth_date" not in self.errors:
            try:
                people.check_student_age(
                    category=data["category"],
                    birth_date=data["birth_date"],
                    today=self.today,
                    consent_date=data.get("consent_date"),
                )
            except forms.ValidationError as exc:
                self.add_error(None, exc)
        return data

    def _post_clean(self):
        super()._post_clean()
        for name, errors in self._errors.items():
            unique = list(dict.fromkeys(errors))
            if len(unique) < len(errors):
                self._errors[name] = self.error_class(unique, renderer=self.renderer)

    def person_values(self) -> dict:
        names = [*people.PERSON_FIELDS, "trained_as_mentor", "competences", "request"]
        return {name: self.cleaned_data[name] for name in names if name in self.cleaned_data}


class PersonCreateForm(PersonForm):
    """Adding to a base. A curator adds to his own school; an admin picks the organization."""

    organization = forms.ModelChoiceField(label="Организация", queryset=None, required=True)

    field_order = ["organization"]

    def __init__(self, *args, user, base: str, **kwargs):
        super().__init__(*args, bases={base}, **kwargs)
        if access.role_of(user) == Role.ADMIN:
            self.fields["organization"].queryset = access.scope_organizations(user).select_related(
                "municipality"
            )
        else:
            del self.fields["organization"]


class PersonEditForm(PersonForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, instance: Person, memberships, **kwargs):
        initial = kwargs.pop("initial", {}) | {"version": instance.version}
        for membership in memberships:
            for name in people.MEMBERSHIP_FIELDS[membership.base]:
                initial[name] = getattr(membership, name)
        super().__init__(
            *args, instance=instance, initial=initial, bases={m.base for m in memberships}, **kwargs
        )


# ---------------------------------------------------------------- list filters


class BaseFilter(django_filters.FilterSet):
    """The allow-list of a base's filters; everything else in the query string is ignored."""

    q = django_filters.CharFilter(label="ФИО", method="filter_q")
    category = django_filters.ChoiceFilter(
        label="Категория", field_name="person__category", choices=Category.choices, empty_label="все"
    )
    mentoring_form = django_filters.ModelChoiceFilter(
        label="Форма наставничества",
        queryset=MentoringForm.objects.none(),
        method="filter_form",
        empty_label="все",
    )
    paired = django_filters.ChoiceFilter(
        label="В паре",
        choices=[("paired", "в паре"), ("free", "свободен")],
        method="filter_paired",
        empty_label="все",
    )
    trained = django_filters.ChoiceFilter(
        label="Обучение",
        choices=[("yes", "обучен"), ("no", "не обучен")],
        method="filter_trained",
        empty_label="все",
    )
    municipality = django_filters.ModelChoiceFilter(
        label="Муниципалитет",
        field_name="organization__municipality",
        queryset=Municipality.objects.none(),
        empty_label="все",
    )
    organization = django_filters.ModelChoiceFilter(
        label="Организация", field_name="organization", queryset=None, empty_label="все"
    )
    archived = django_filters.ChoiceFilter(
        label="Состав",
        choices=[("1", "архив (исключённые)")],
        method="filter_archived",
        empty_label="в базе",
    )

    class Meta:
        model = BaseMembership
        fields = []

    def __init__(self, data, *, queryset, user, base: str, today: datetime.date):
        super().__init__(data, queryset=queryset)
        self.base, self.today = base, today
        role = access.role_of(user)
        self.filters["mentoring_form"].queryset = MentoringForm.objects.filter(is_active=True).exclude(
            system=MentoringForm.System.ORGANIZATIONS
        )
        if base != Base.MENTORS:
            del self.filters["trained"]
        if role in (Role.OPERATOR, Role.ADMIN):
            self.filters["municipality"].queryset = access.scoped(user, Municipality.objects.all())
        else:
            del self.filters["municipality"]
        if role in (Role.COORDINATOR, Role.OPERATOR, Role.ADMIN):
            organizations = access.scope_organizations(user).order_by("short_name", "full_name")
            municipality = int_param((data or {}).get("municipality"))
            if "municipality" in self.filters and municipality is not None:
                organizations = organizations.filter(municipality_id=municipality)
            self.filters["organization"].queryset = organizations
        else:
            del self.filters["organization"]

    def filter_queryset(self, queryset):
        # The archive is a state of the list, not an optional filter: it always applies.
        archived = self.form.cleaned_data.get("archived") == "1"
        return super().filter_queryset(queryset.filter(archived_on__isnull=not archived))

    def filter_archived(self, queryset, name, value):
        return queryset  # applied in filter_queryset

    def filter_q(self, queryset, name, value):
        return queryset.filter(person__search_name__contains=fold(value))

    def filter_form(self, queryset, name, value):
        links = people.active_links(today=self.today).filter(
            mentoring_form=value, **{people.SIDE[self.base]: OuterRef("person")}
        )
        return queryset.filter(Exists(links))

    def filter_paired(self, queryset, name, value):
        return queryset.filter(in_pair=(value == "paired"))

    def filter_trained(self, queryset, name, value):
        return queryset.filter(trained_as_mentor=(value == "yes"))


# ---------------------------------------------------------------- personal data


class PersonDestroyForm(PlainTextMixin, forms.Form):
    """«Уничтожить персональные данные»: the reason and the act (RKN order 179), confirmed by a tick."""

    reason = forms.ChoiceField(label="Основание", choices=PersonalDataDestruction.Reason.choices)
    act_number = forms.CharField(label="Номер акта об уничтожении", max_length=50)
    act_date = forms.DateField(label="Дата акта", widget=DatePickerInput())
    confirm = forms.BooleanField(
        label="Понимаю, что ФИО, дата рождения, контакты и сведения о законном представителе будут "
        "удалены без возможности восстановления",
        required=True,
        error_messages={"required": "Подтвердите уничтожение персональных данных."},
    )

    def __init__(self, *args, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean_act_date(self):
        value = self.cleaned_data["act_date"]
        if value > self.today:
            raise forms.ValidationError("Дата акта не может быть в будущем.")
        return value
