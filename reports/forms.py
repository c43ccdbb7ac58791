"""Forms of the «Отчёты» page: a new report (kind, territory, source) and its editable narrative."""

from django import forms

from common.forms import PlainTextMixin
from monitoring.models import Campaign, RoadMap
from registry import access
from registry.models import Municipality

from .models import Kind, Report
from .sources import ReportError, resolve


class NewReportForm(PlainTextMixin, forms.Form):
    kind = forms.ChoiceField(label="Вид отчёта", choices=Kind.choices)
    municipality = forms.ModelChoiceField(
        label="Муниципалитет",
        queryset=Municipality.objects.none(),
        required=False,
        empty_label="— вся территория —",
    )
    # A code, not a list: a region holds thousands of organizations. ``resolve`` looks it up in scope.
    organization = forms.CharField(
        label="Код ОО",
        required=False,
        max_length=20,
        help_text="Для справки ОО или дорожной карты организации, например D0116.",
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
        self.fields["campaign"].queryset = access.scoped(
            user, Campaign.objects.filter(status__in=Campaign.FINISHED).order_by("-as_of_date")
        ).distinct()
        roadmaps = access.scoped(user, RoadMap.objects.order_by("-period_start", "title"))
        if access.role_of(user) == access.Role.CURATOR:
            # A curator prepares its school's note; the other kinds are a municipality's or region's.
            self.fields["kind"].choices = [(Kind.SCHOOL_NOTE.value, Kind.SCHOOL_NOTE.label)]
            self.fields["kind"].initial = Kind.SCHOOL_NOTE
        else:
            # Above the school only the region's and municipalities' maps are listed (a school's map
            # is found through the school's code).
            roadmaps = roadmaps.exclude(level=RoadMap.Level.ORGANIZATION)
        self.fields["roadmap"].queryset = roadmaps
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


class NarrativeForm(PlainTextMixin, forms.ModelForm):
    # The version of the text the user started from: a save by anybody else since is refused.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version

    class Meta:
        model = Report
        fields = ["title", "conclusions", "recommendations", "signature_position", "signature_name"]
        widgets = {
            "conclusions": forms.Textarea(attrs={"rows": 8}),
            "recommendations": forms.Textarea(attrs={"rows": 8}),
        }
