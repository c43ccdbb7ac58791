"""Forms of the road-map screens: a road map, its events, an event's status, the period filter.

The owner of a new road map comes from the user's scope (the operator: its region, a
coordinator: its municipality, a curator: its organization); only an admin chooses it, from
scoped lists. Dates are typed as officials write them: 16.12.2022.
"""

import django_filters
from django import forms
from django.db.models import Q

from common.forms import PlainTextMixin, typed_date_field
from common.text import fold
from registry import access
from registry.models import Municipality, Organization, Region

from .models import RoadMap, RoadMapEvent


class RoadMapForm(PlainTextMixin, forms.ModelForm):
    """Title, basis document and period; the owner is set by the view (or, for an admin, below)."""

    basis_date = typed_date_field("Дата утверждающего документа", required=False)
    period_start = typed_date_field("Период: начало", required=False)
    period_end = typed_date_field("Период: окончание", required=False)

    class Meta:
        model = RoadMap
        fields = ["title", "basis_title", "basis_number", "basis_date", "period_start", "period_end"]
        labels = {
            "title": "Наименование",
            "basis_title": "Утверждающий документ",
            "basis_number": "Номер утверждающего документа",
        }
        widgets = {
            "title": forms.Textarea(attrs={"rows": 2}),
            "basis_title": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "Окончание периода не может быть раньше его начала.")
        return data


class AdminRoadMapForm(RoadMapForm):
    """An admin's new road map: the level and the owner are chosen (the others take theirs from the scope)."""

    level = forms.ChoiceField(label="Уровень", choices=RoadMap.Level.choices)
    region = forms.ModelChoiceField(label="Регион", queryset=Region.objects.none())
    municipality = forms.ModelChoiceField(
        label="Муниципалитет",
        queryset=Municipality.objects.none(),
        required=False,
        help_text="Для муниципальной дорожной карты",
    )
    organization_code = forms.CharField(
        label="Код ОО",
        max_length=50,
        required=False,
        help_text="Для дорожной карты образовательной организации",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = access.scoped(user, Region.objects.all()).order_by("name")
        self.fields["municipality"].queryset = (
            access.scoped(user, Municipality.objects.all())
            .select_related("region")
            .order_by("region__name", "name")
        )
        self.user = user
        self.order_fields(["level", "region", "municipality", "organization_code"])

    def clean(self):
        data = super().clean()
        level, region = data.get("level"), data.get("region")
        municipality, code = data.get("municipality"), (data.get("organization_code") or "").strip()
        organization = None
        if level == RoadMap.Level.ORGANIZATION:
            if not code:
                self.add_error("organization_code", "Укажите код организации.")
            else:
                organization = (
                    access.scoped(self.user, Organization.objects.select_related("municipality"))
                    .filter(code=code)
                    .first()
                )
                if organization is None:
                    self.add_error("organization_code", f"Организации с кодом «{code}» нет.")
                elif region and organization.municipality.region_id != region.pk:
                    self.add_error("organization_code", "Организация относится к другому региону.")
                municipality = organization.municipality if organization else None
        elif level == RoadMap.Level.MUNICIPALITY:
            if municipality is None:
                self.add_error("municipality", "Выберите муниципалитет.")
            elif region and municipality.region_id != region.pk:
                self.add_error("municipality", "Муниципалитет относится к другому региону.")
        else:
            municipality = None
        data["municipality"], data["organization"] = municipality, organization
        return data

    def apply_owner(self, roadmap: RoadMap) -> None:
        data = self.cleaned_data
        roadmap.level = data["level"]
        roadmap.region = data["region"]
        roadmap.municipality = data["municipality"]
        roadmap.organization = data["organization"]


class RoadMapFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label="Поиск", method="search")
    level = django_filters.ChoiceFilter(empty_label="все", label="Уровень", choices=RoadMap.Level.choices)

    class Meta:
        model = RoadMap
        fields = []

    def search(self, queryset, name, value):
        return queryset.filter(
            Q(title__icontains=value)
            | Q(basis_title__icontains=value)
            | Q(basis_number__icontains=value)
            | Q(municipality__name__icontains=value)
            | Q(organization__search_name__contains=fold(value))
            | Q(organization__code__iexact=value)
        )


class EventForm(PlainTextMixin, forms.ModelForm):
    """An event as the document writes it; «Сроки» stay free text (their dates are read on save)."""

    class Meta:
        model = RoadMapEvent
        fields = [
            "direction",
            "number",
            "title",
            "goal",
            "audience",
            "timing_text",
            "responsible",
            "expected_result",
            "result",
            "participants",
            "links",
            "status",
        ]
        labels = {
            "direction": "Направление",
            "number": "№",
            "title": "Мероприятие",
            "goal": "Цель",
            "audience": "Целевая аудитория",
            "timing_text": "Сроки",
            "responsible": "Ответственный",
            "expected_result": "Ожидаемый результат",
            "result": "Результат",
            "participants": "Участников",
            "links": "Ссылки",
            "status": "Статус",
        }
        help_texts = {
            "timing_text": "Как в документе: «Ноябрь 2020 года», «27.03 – 04.04.2023», «По запросу». "
            "Даты начала и окончания определяются по этому тексту.",
            "links": "Адреса http:// или https://, по одному в строке",
        }
        widgets = {
            "direction": forms.TextInput(attrs={"list": "directions"}),
            "title": forms.Textarea(attrs={"rows": 3}),
            "goal": forms.Textarea(attrs={"rows": 2}),
            "audience": forms.Textarea(attrs={"rows": 2}),
            "responsible": forms.Textarea(attrs={"rows": 2}),
            "expected_result": forms.Textarea(attrs={"rows": 2}),
            "result": forms.Textarea(attrs={"rows": 3}),
            "links": forms.Textarea(attrs={"rows": 2}),
        }
        error_messages = {
            "participants": {"invalid": "Введите целое число.", "min_value": "Число не может быть меньше 0."},
        }


class EventStatusForm(PlainTextMixin, forms.Form):
    status = forms.ChoiceField(label="Статус", choices=RoadMapEvent.Status.choices)


class PeriodForm(PlainTextMixin, forms.Form):
    """The period of the execution figures: events whose «Сроки» overlap it."""

    date_from = typed_date_field("С", required=False, help_text="")
    date_to = typed_date_field("По", required=False, help_text="")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "Окончание периода не может быть раньше его начала.")
        return data

    def period(self) -> dict:
        """``date_from`` / ``date_to`` for the selectors; nothing while the form has errors."""
        if not self.is_bound or not self.is_valid():
            return {}
        return {name: self.cleaned_data[name] for name in ("date_from", "date_to") if self.cleaned_data[name]}
