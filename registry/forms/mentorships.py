"""Forms of the pairs and groups screens («Наставнические пары»).

The participants offered depend on the chosen form of mentoring and on the organization:
people of that organization whose category fits the form, or, for «ОО – ОО», organizations.
Every choice queryset goes through ``registry.access.scoped`` and is filtered by the form's
categories, so an id posted by hand that is out of scope or of the wrong kind fails with
Django's «Выберите корректный вариант…» next to its field and nothing is saved.
"""

import datetime
import uuid

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms.models import ModelChoiceIterator
from django.utils import timezone

from common.forms import DatePickerInput, PlainTextMixin
from common.text import fold
from registry import access, name_search, services
from registry.models import (
    ORGANIZATION_SIDE,
    PAIR_ALERTS,
    Category,
    GoalReached,
    MentoringForm,
    Mentorship,
    MentorshipLink,
    Municipality,
    Organization,
    Person,
    UserScope,
    silent_weeks_label,
)
from registry.selectors import active_mentees_count, ran_between

FORM_FIRST = "Сначала выберите форму наставничества."
ORGANIZATION_FIRST = "Сначала выберите организацию."
END_IN_FUTURE = "Дата окончания не может быть позже сегодняшнего дня."
OTHER_ORGANIZATION_MENTOR = (
    "Здесь — участники вашей организации, подходящие выбранной форме. "
    "Наставника из другой организации вносят импортом (лист «Наставнические пары», «Наставник код ОО»)."
)

# Service errors name model fields; the form shows them next to its own fields.
MENTOR_AS_MENTEE = (
    "Наставляемый: «{name}» выбран наставником этой пары; один человек не может быть "
    "наставником и наставляемым в одной паре."
)
SERVICE_FIELD = {"mentor_person": "mentor", "mentor_organization": "mentor"}


def participant_label(obj) -> str:
    if isinstance(obj, Organization):
        return f"{obj} ({obj.code})"
    details = [obj.get_category_display()]
    if obj.position:
        details.append(obj.position)
    if obj.grade:
        details.append(f"{obj.grade} класс")
    if obj.is_young_specialist and "молодой специалист" not in obj.position:
        details.append("молодой специалист")
    label = f"{obj.full_name} — {', '.join(details)}"
    load = getattr(obj, "active_mentees", 0)
    if load:
        label += f" · наставляемых в действующих парах: {load}"
    return label


class ParticipantChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return participant_label(obj)


class _OfferedChoices(ModelChoiceIterator):
    """The field's choices without ``field.not_offered`` (the chosen mentor among the mentees): the
    field still validates against its whole queryset, so the form's clean() names the mistake."""

    def _narrowed(self):
        # Read when the choices are, not when the queryset was set: not_offered may come later.
        if self.field.not_offered is not None:
            self.queryset = self.field.queryset.exclude(pk=self.field.not_offered)

    def __iter__(self):
        self._narrowed()
        return super().__iter__()

    def __len__(self):
        self._narrowed()
        return super().__len__()


class ParticipantMultipleChoiceField(forms.ModelMultipleChoiceField):
    iterator = _OfferedChoices
    not_offered = None  # a primary key left out of the choices shown

    def label_from_instance(self, obj):
        return participant_label(obj)


def _chosen(form: forms.Form, name: str, queryset: QuerySet, key: str):
    """The object the user picked in ``name`` (posted, or initial on a fresh page), or None."""
    if form.is_bound:
        value = form.data.get(form.add_prefix(name))
    else:
        value = form.initial.get(name)
    if isinstance(value, queryset.model):
        value = getattr(value, key)
    if value in (None, "") or "\x00" in str(value):  # PostgreSQL refuses NUL in text
        return None
    try:
        return queryset.get(**{key: value})
    except (queryset.model.DoesNotExist, ValueError, ValidationError):
        return None


def _search_q(value: str) -> Q:
    """A person whose name (folded: common.text.fold) or subject contains ``value`` (SQLite folds
    only Latin case, so the subject is also tried lowercased and capitalised)."""
    q = Q(search_name__contains=fold(value))
    for variant in {value, value.lower(), value.capitalize()}:
        q |= Q(subject__icontains=variant)
    return q


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _chosen_pk_q(value) -> Q:
    """The person already picked stays offered while the list is narrowed; a malformed id, nobody."""
    try:
        return Q(pk=uuid.UUID(str(value)))
    except ValueError:
        return Q(pk__in=[])


class MentorshipForm(PlainTextMixin, forms.Form):
    """Create or edit a pair or group. ``organization`` is where the pair is formed: the
    curator's school or the edited pair's organization; None lets an administrator choose."""

    organization = forms.ModelChoiceField(
        label="Организация", queryset=Organization.objects.none(), to_field_name="code"
    )
    mentoring_form = forms.ModelChoiceField(
        label="Форма наставничества",
        queryset=MentoringForm.objects.none(),
        to_field_name="code",
        empty_label="— выберите форму —",
    )
    mentor = ParticipantChoiceField(
        label="Наставник", queryset=Person.objects.none(), empty_label="— выберите наставника —"
    )
    mentees = ParticipantMultipleChoiceField(
        label="Наставляемый",
        queryset=Person.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Отметьте одного наставляемого или нескольких: несколько наставляемых — это группа.",
    )
    start_date = forms.DateField(label="Дата начала", widget=DatePickerInput)
    planned_end_date = forms.DateField(
        label="Плановая дата окончания", required=False, widget=DatePickerInput
    )
    agreement_date = forms.DateField(label="Дата соглашения", required=False, widget=DatePickerInput)
    mode = forms.ChoiceField(
        label="Вид наставничества", required=False, choices=[("", "—"), *Mentorship.Mode.choices]
    )
    group_name = forms.CharField(label="Группа", max_length=100, required=False)
    goal = forms.CharField(label="Цель", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    mentee_request = forms.CharField(
        label="Запрос наставляемого", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    status = forms.ChoiceField(
        label="Статус",
        choices=[(s, s.label) for s in (Mentorship.Status.DRAFT, Mentorship.Status.ACTIVE)],
        initial=Mentorship.Status.DRAFT,
    )
    # On a closed pair the curator may correct the end date, the result or the reason.
    end_date = forms.DateField(label="Дата окончания", widget=DatePickerInput)
    result = forms.CharField(label="Результат", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    termination_reason = forms.CharField(
        label="Причина досрочного прекращения", widget=forms.Textarea(attrs={"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    # Form fields that are Mentorship fields of the same name.
    MODEL_FIELDS = (
        "mentoring_form",
        "start_date",
        "planned_end_date",
        "agreement_date",
        "mode",
        "group_name",
        "goal",
        "mentee_request",
        "status",
        "end_date",
        "result",
        "termination_reason",
    )

    def __init__(
        self,
        data=None,
        *,
        user,
        organization: Organization | None,
        mentorship: Mentorship | None = None,
        mentor_search: str = "",
        mentee_search: str = "",
        **kw,
    ):
        if mentorship is not None and "initial" not in kw:
            kw["initial"] = self.initial_for(mentorship)
        super().__init__(data, **kw)
        self.user = user
        self.mentorship = mentorship
        # The mentor select narrowed by a typed name or subject (a GET «q» of an unbound form).
        self.mentor_search = "" if self.is_bound or "\x00" in mentor_search else mentor_search.strip()
        # The same for the mentees' list (a GET «mentee_q»).
        self.mentee_search = "" if self.is_bound or "\x00" in mentee_search else mentee_search.strip()
        if mentorship is None:
            for name in ("end_date", "result", "termination_reason", "version"):
                del self.fields[name]
            self.fields["start_date"].initial = timezone.localdate()
        else:
            del self.fields["status"]
            if mentorship.status != Mentorship.Status.COMPLETED:
                del self.fields["result"]
            if mentorship.status != Mentorship.Status.TERMINATED:
                del self.fields["termination_reason"]
            if mentorship.status not in (Mentorship.Status.COMPLETED, Mentorship.Status.TERMINATED):
                del self.fields["end_date"]

        if organization is None:
            self.fields["organization"].queryset = access.scoped(user, Organization.objects.all())
            organization = _chosen(self, "organization", self.fields["organization"].queryset, "code")
        else:
            del self.fields["organization"]
        self.pair_organization = organization

        forms_qs = MentoringForm.objects.filter(is_active=True)
        if mentorship is not None:
            # An edited pair keeps its form even if the region has retired it since.
            forms_qs = MentoringForm.objects.filter(Q(is_active=True) | Q(pk=mentorship.mentoring_form_id))
        forms_qs = access.scoped(user, forms_qs)
        # Changing these re-offers the participants (static/js/mentorship_form.js, or the button).
        self.fields["mentoring_form"].widget.attrs["data-reload"] = ""
        if "organization" in self.fields:
            self.fields["organization"].widget.attrs["data-reload"] = ""
        self.fields["mentoring_form"].queryset = forms_qs
        self.chosen_form = _chosen(self, "mentoring_form", forms_qs, "code")
        self._set_participant_choices()

    @property
    def offers_people(self) -> bool:
        """Whether the participants offered are people (a form and an organization chosen, and
        the form is not «ОО – ОО»): then mentors can be suggested for a mentee."""
        form = self.chosen_form
        return self.pair_organization is not None and form is not None and not form.links_organizations

    @staticmethod
    def initial_for(mentorship: Mentorship) -> dict:
        initial = {name: getattr(mentorship, name) for name in MentorshipForm.MODEL_FIELDS}
        initial["mentoring_form"] = mentorship.mentoring_form.code
        initial["mentor"] = mentorship.mentor_person_id or mentorship.mentor_organization_id
        initial["mentees"] = [
            link.mentee_person_id or link.mentee_organization_id
            for link in MentorshipLink.objects.filter(mentorship=mentorship)
        ]
        initial["version"] = mentorship.version
        return initial

    def _set_participant_choices(self) -> None:
        mentor, mentees = self.fields["mentor"], self.fields["mentees"]
        organization, form = self.pair_organization, self.chosen_form
        if organization is None or form is None:
            hint = ORGANIZATION_FIRST if organization is None else FORM_FIRST
            mentor.help_text = mentees.help_text = hint
            return
        current = self._current_participants()
        if ORGANIZATION_SIDE in form.mentor_categories:
            # The mentor organization is the one the pair is formed in, never a posted id.
            mentor.queryset = access.scoped(self.user, Organization.objects.filter(pk=organization.pk))
            mentor.empty_label = None
            # The mentee organizations are those of the same municipality, as its coordinator sees
            # them. This list is not scoped to the curator (who sees only its own school), and
            # that is no leak: organizations' names and codes are public, and only organizations
            # are offered here, never their people.
            mentees.queryset = (
                Organization.objects.filter(
                    Q(municipality=organization.municipality_id) | Q(pk__in=current["organizations"])
                )
                .exclude(pk=organization.pk)
                .order_by("full_name")
            )
            mentees.help_text = "Организации муниципалитета; несколько организаций — это группа."
            return
        # The current participants of an edited pair stay selectable even when they belong to
        # another organization (pairs imported with «Наставник код ОО»): they are on this pair's
        # card already, and a posted id of anybody else is still refused.
        people = access.scoped(self.user, Person.objects.filter(organization=organization))
        if current["people"]:
            people = people | Person.objects.filter(pk__in=current["people"])
        people = people.order_by("full_name")
        mentors = people.filter(category__in=form.mentor_categories)
        if self.mentor_search:
            mentors = mentors.filter(_search_q(self.mentor_search) | _chosen_pk_q(self.initial.get("mentor")))
        mentor.queryset = mentors.annotate(active_mentees=active_mentees_count())
        mentor.help_text = OTHER_ORGANIZATION_MENTOR
        offered = people.filter(category__in=form.mentee_categories)
        if self.mentee_search:
            ticked = [pk for pk in map(_uuid_or_none, self.initial.get("mentees") or []) if pk is not None]
            offered = offered.filter(Q(search_name__contains=fold(self.mentee_search)) | Q(pk__in=ticked))
        mentees.queryset = offered
        # The chosen mentor is never offered as a mentee (clean() refuses it if posted anyway).
        chosen = self.data.get(self.add_prefix("mentor")) if self.is_bound else self.initial.get("mentor")
        mentees.not_offered = _uuid_or_none(getattr(chosen, "pk", chosen)) if chosen else None

    def _current_participants(self) -> dict:
        current = {"people": [], "organizations": []}
        if self.mentorship is None:
            return current
        pair = self.mentorship
        if pair.mentor_person_id:
            current["people"].append(pair.mentor_person_id)
        for person_id, org_id in MentorshipLink.objects.filter(mentorship=pair).values_list(
            "mentee_person", "mentee_organization"
        ):
            if person_id:
                current["people"].append(person_id)
            if org_id:
                current["organizations"].append(org_id)
        return current

    def clean(self):
        data = super().clean()
        mentor = data.get("mentor")
        if isinstance(mentor, Person) and any(m == mentor for m in data.get("mentees") or []):
            self.add_error("mentees", MENTOR_AS_MENTEE.format(name=mentor.full_name))
        return data

    def clean_end_date(self):
        end_date = self.cleaned_data["end_date"]
        if end_date and end_date > timezone.localdate():
            raise ValidationError(END_IN_FUTURE)
        return end_date

    def model_fields(self) -> dict:
        """The cleaned data as Mentorship fields (without organization, status on edit and mentees)."""
        data = self.cleaned_data
        fields = {name: data[name] for name in self.MODEL_FIELDS if name in self.fields}
        if self.mentorship is not None:
            fields.pop("status", None)
        mentor = data["mentor"]
        fields["mentor_person"] = mentor if isinstance(mentor, Person) else None
        fields["mentor_organization"] = mentor if isinstance(mentor, Organization) else None
        return fields

    def add_service_error(self, error: ValidationError) -> None:
        add_service_error(self, error)


def add_service_error(form: forms.Form, error: ValidationError) -> None:
    """Put a service's ValidationError next to the form's fields (or above them)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            name = SERVICE_FIELD.get(field, field)
            form.add_error(name if name in form.fields else None, errors)
        return
    for message in error.messages:
        name = "mentees" if message == services.DUPLICATE_ACTIVE and "mentees" in form.fields else None
        form.add_error(name, message)


class _TransitionForm(PlainTextMixin, forms.Form):
    end_date = forms.DateField(label="Дата окончания", widget=DatePickerInput)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, data=None, *, mentorship: Mentorship, **kw):
        kw.setdefault("initial", {"end_date": timezone.localdate(), "version": mentorship.version})
        super().__init__(data, **kw)
        self.mentorship = mentorship

    def clean_end_date(self) -> datetime.date:
        end_date = self.cleaned_data["end_date"]
        if end_date > timezone.localdate():
            raise ValidationError(END_IN_FUTURE)
        return end_date

    def add_service_error(self, error: ValidationError) -> None:
        add_service_error(self, error)


class CompleteForm(_TransitionForm):
    """The result and its effectiveness (docs/domain.md §4); the plan's figures are copied by the service."""

    goal_reached = forms.ChoiceField(
        label="Цель достигнута", choices=[("", "— выберите —"), *GoalReached.choices]
    )
    mentee_assessment = forms.TypedChoiceField(
        label="Самооценка наставляемого",
        choices=[("", "— нет —"), *((n, f"{n} из 5") for n in range(1, 6))],
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Как наставляемый сам оценивает результат, от 1 до 5.",
    )
    effect_comment = forms.CharField(
        label="Комментарий к оценке",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    result = forms.CharField(
        label="Результат",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Чего достиг наставляемый: например, «Аттестован на первую категорию».",
    )
    field_order = ["end_date", "goal_reached", "mentee_assessment", "effect_comment", "result"]


class BulkCompleteForm(PlainTextMixin, forms.Form):
    """Completing several pairs at once (docs/architecture.md §4.2): what the single form asks,
    asked once for all of them, but the mentee's own assessment — one person's word, entered on
    the pair's card if there is one. The plan's figures are each pair's own (the service copies them)."""

    end_date = _TransitionForm.base_fields["end_date"]
    goal_reached = CompleteForm.base_fields["goal_reached"]
    effect_comment = CompleteForm.base_fields["effect_comment"]
    result = CompleteForm.base_fields["result"]

    def __init__(self, data=None, **kw):
        kw.setdefault("initial", {"end_date": timezone.localdate()})
        super().__init__(data, **kw)

    clean_end_date = _TransitionForm.clean_end_date


class TerminateForm(_TransitionForm):
    termination_reason = forms.CharField(
        label="Причина досрочного прекращения", widget=forms.Textarea(attrs={"rows": 5})
    )


# ---------------------------------------------------------------- the list's filters

# docs/architecture.md §7: above the school, people appear as counts and names of adults.
MINOR_CATEGORIES = access.MINOR_CATEGORIES
sees_minor_names = access.sees_minor_names


NAMED_CATEGORIES = [c for c in Category.values if c not in MINOR_CATEGORIES]


class MentorshipFilter(django_filters.FilterSet):
    """The allow-list of the list's filters; their names are linked from the dashboard."""

    q = django_filters.CharFilter(label="Наставник или наставляемый", method="filter_q")
    status = django_filters.ChoiceFilter(label="Статус", choices=Mentorship.Status.choices, empty_label="все")
    form = django_filters.ModelChoiceFilter(
        label="Форма наставничества",
        field_name="mentoring_form",
        queryset=MentoringForm.objects.none(),
        to_field_name="code",
        empty_label="все",
    )
    municipality = django_filters.ModelChoiceFilter(
        label="Муниципалитет",
        field_name="organization__municipality",
        queryset=Municipality.objects.none(),
        to_field_name="code",
        empty_label="все",
    )
    organization = django_filters.ModelChoiceFilter(
        label="Организация",
        field_name="organization",
        queryset=Organization.objects.none(),
        to_field_name="code",
        empty_label="все",
    )
    ending = django_filters.ChoiceFilter(
        label="заканчиваются в ближайшие 30 дней", choices=[("soon", "да")], method="filter_alert"
    )
    overdue = django_filters.ChoiceFilter(label="просрочены", choices=[("1", "да")], method="filter_alert")
    no_agreement = django_filters.ChoiceFilter(
        label="без даты соглашения", choices=[("1", "да")], method="filter_alert"
    )
    no_result = django_filters.ChoiceFilter(
        label="без результата", choices=[("1", "да")], method="filter_alert"
    )

    silent = django_filters.ChoiceFilter(label="без встреч", choices=[("1", "да")], method="filter_alert")
    # The dashboard's trends link here: the pairs counted on a month's last day, or those that ran in
    # a school year (up to ``as_of`` when both are given) — the rule of ``selectors.ran_between``.
    as_of = django_filters.DateFilter(
        label="Действовали на дату", method="filter_ran", widget=DatePickerInput
    )
    year = django_filters.NumberFilter(
        label="Действовали в учебном году (год начала)", method="filter_ran", min_value=2000, max_value=2100
    )

    CHECKBOXES = ("ending", "overdue", "no_agreement", "no_result", "silent")

    class Meta:
        model = Mentorship
        fields: list[str] = []

    def __init__(self, data=None, *, queryset, user, today: datetime.date, **kw):
        super().__init__(data, queryset=queryset, **kw)
        self.user, self.today = user, today
        self.filters["silent"].label = f"без встреч {silent_weeks_label()}"
        self.show_minor_names = sees_minor_names(user)
        role = access.role_of(user)
        self.filters["form"].queryset = access.scoped(user, MentoringForm.objects.all())
        if role in (UserScope.Role.OPERATOR, UserScope.Role.ADMIN):
            self.filters["municipality"].queryset = access.scoped(user, Municipality.objects.all())
            # A region holds thousands of organizations: the operator types a «Код ОО» instead of
            # scrolling a select; the code is still checked against the scoped organizations.
            self.filters["organization"].queryset = access.scoped(user, Organization.objects.all())
            self.filters["organization"].extra["widget"] = forms.TextInput(attrs={"placeholder": "Код ОО"})
            self.filters["organization"].label = "Код ОО"
        elif role == UserScope.Role.COORDINATOR:
            del self.filters["municipality"]
            self.filters["organization"].queryset = access.scoped(
                user, Organization.objects.order_by("full_name")
            )
        else:
            del self.filters["municipality"]
            del self.filters["organization"]

    def filter_q(self, queryset, name, value):
        folded = fold(value)
        if not folded:
            return queryset
        # Matched on the pair's own participants (joins), not on every person of the country first:
        # on national data the subquery over 2 M people took 11 s (bench/load/README.md).
        return queryset.filter(name_search.pairs_q(folded, minor_names=self.show_minor_names))

    def filter_alert(self, queryset, name, value):
        # The filter's name is the rule's code: the dashboard's counts link here, same rules.
        return queryset.filter(PAIR_ALERTS[name].condition(self.today))

    def filter_ran(self, queryset, name, value):
        # Applied once for both fields (``as_of`` and ``year`` together are one period).
        if getattr(self, "_ran_applied", False):
            return queryset
        self._ran_applied = True
        data = self.form.cleaned_data
        as_of, year = data.get("as_of"), data.get("year")
        if year is None:
            return queryset.filter(ran_between(as_of, as_of))
        year = int(year)
        start, end = datetime.date(year, 9, 1), datetime.date(year + 1, 8, 31)
        if as_of is not None:
            end = min(end, as_of)
        return queryset.filter(ran_between(start, end))

    @property
    def has_wider_filters(self) -> bool:
        return "organization" in self.filters
