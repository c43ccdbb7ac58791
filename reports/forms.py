"""Forms of the «Отчеты» page: a new report (kind, territory, source) and its editable narrative."""

from django import forms

from monitoring.models import Campaign, RoadMap
from registry import access
from registry.models import Municipality, Organization

from .models import Kind, Report
from .sources import FINISHED, ReportError, resolve


class NewReportForm(forms.Form):
    kind = forms.ChoiceField(label="Вид отчёта", choices=Kind.choices)
    municipality = forms.ModelChoiceField(
        label="Муниципалитет",
        queryset=Municipality.objects.none(),
        required=False,
        empty_label="— вся территория —",
    )
    organization = forms.ModelChoiceField(
        label="Организация", queryset=Organization.objects.none(), required=False, empty_label="—"
    )
    campaign = forms.ModelChoiceField(
        label="Мониторинг (завершённый)",
        queryset=Campaign.objects.none(),
        required=False,
        empty_label="— последний —",
    )
    roadmap = forms.ModelChoiceField(
        label="Дорожная карта", queryset=RoadMap.objects.none(), required=False, empty_label="— последняя —"
    )
    as_of = forms.DateField(
        label="Реестр на дату",
        required=False,
        input_formats=["%d.%m.%Y", "%Y-%m-%d"],
        help_text="ДД.ММ.ГГГГ; пусто — сегодня (для справки ОО без дорожной карты).",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        # Every choice list is the user's scope: a stranger's territory cannot even be named.
        self.fields["municipality"].queryset = access.scoped(user, Municipality.objects.order_by("name"))
        self.fields["organization"].queryset = access.scoped(
            user,
            Organization.objects.select_related("municipality").order_by("municipality__name", "full_name"),
        )
        self.fields["campaign"].queryset = access.scoped(
            user, Campaign.objects.filter(status__in=FINISHED).order_by("-as_of_date")
        ).distinct()
        self.fields["roadmap"].queryset = access.scoped(
            user, RoadMap.objects.order_by("-period_start", "title")
        )
        self.report: Report | None = None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.report = resolve(
                self.user,
                data["kind"],
                municipality=data.get("municipality"),
                organization=data.get("organization"),
                campaign=data.get("campaign"),
                roadmap=data.get("roadmap"),
                as_of=data.get("as_of"),
            )
        except ReportError as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


class NarrativeForm(forms.ModelForm):
    class Meta:
        model = Report
        fields = ["title", "conclusions", "recommendations", "signature_position", "signature_name"]
        widgets = {
            "conclusions": forms.Textarea(attrs={"rows": 8}),
            "recommendations": forms.Textarea(attrs={"rows": 8}),
        }
