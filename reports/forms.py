"""Forms of the «Отчёты» page: a new report (kind, territory, source) and its editable narrative."""

from django import forms

from common.forms import PlainTextMixin
from monitoring.models import Campaign, RoadMap
from registry import access
from registry.models import Municipality

from .models import Kind, Report
from .sources import ReportError, resolve

# The source fields each kind reads (reports/sources.py ``resolve``): the form for a kind shows only
# these, so nobody fills in a field the kind ignores.
KIND_FIELDS = {
    Kind.ROADMAP_NOTE: ("municipality", "organization", "roadmap"),
    Kind.MONITORING_REPORT: ("municipality", "campaign", "as_of"),
    Kind.ROADMAP_REPORT: ("municipality", "roadmap"),
    Kind.SCHOOL_NOTE: ("organization", "roadmap", "as_of"),
}
SOURCE_FIELDS = ("municipality", "organization", "campaign", "roadmap", "as_of")


class KindForm(PlainTextMixin, forms.Form):
    """The first step of a new report: its kind (a GET form; the second step shows that kind's fields)."""

    kind = forms.ChoiceField(label="Вид отчёта", choices=Kind.choices)

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = choices


class NewReportForm(PlainTextMixin, forms.Form):
    kind = forms.ChoiceField(label="Вид отчёта", choices=Kind.choices, widget=forms.HiddenInput)
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
        help_text=(
            "ДД.ММ.ГГГГ; пусто — сегодня (для справки ОО без дорожной карты; аналитический отчёт без "
            "даты строится по последнему завершённому мониторингу, а если его нет — по реестру)."
        ),
    )

    def __init__(self, *args, user, kind, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.initial["kind"] = kind
        for name in SOURCE_FIELDS:
            if name not in KIND_FIELDS[kind]:
                del self.fields[name]
        # Every choice list is the user's scope: a stranger's territory cannot even be named.
        self.fields["kind"].choices = kind_choices(user)
        if "municipality" in self.fields:
            self.fields["municipality"].queryset = access.scoped(user, Municipality.objects.order_by("name"))
        if "campaign" in self.fields:
            self.fields["campaign"].queryset = access.scoped(
                user, Campaign.objects.filter(status__in=Campaign.FINISHED).order_by("-as_of_date")
            ).distinct()
        if "roadmap" in self.fields:
            roadmaps = access.scoped(user, RoadMap.objects.order_by("-period_start", "title"))
            if access.role_of(user) != access.Role.CURATOR:
                # Above the school only the region's and municipalities' maps are listed (a school's
                # map is found through the school's code).
                roadmaps = roadmaps.exclude(level=RoadMap.Level.ORGANIZATION)
            self.fields["roadmap"].queryset = roadmaps
        self.report: Report | None = None

    @property
    def kind_label(self) -> str:
        return Kind(self.initial["kind"]).label

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


def kind_choices(user) -> list[tuple[str, str]]:
    """A curator prepares its school's note; the other kinds are a municipality's or region's."""
    if access.role_of(user) == access.Role.CURATOR:
        return [(Kind.SCHOOL_NOTE.value, Kind.SCHOOL_NOTE.label)]
    return list(Kind.choices)


def chosen_kind(user, value) -> str | None:
    """The kind asked for if the user may choose it; the only one when there is one; else None."""
    choices = [code for code, _ in kind_choices(user)]
    if value in choices:
        return value
    return choices[0] if len(choices) == 1 else None


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
