"""Forms of the campaign screens («Мониторинг»): a campaign, a submission's figures, a review.

The forms only collect what was typed; every rule is the services' (``monitoring.campaigns``),
whose Russian refusals the views put next to the fields they name. Choice lists are scoped
through ``registry.access``: a municipality posted by hand outside the user's scope fails
validation («Выберите корректный вариант»). Dates are typed as officials write them: 16.12.2022.
"""

from django import forms
from django.db.models import Q

from common.forms import DATE_HELP, REQUIRED, PlainTextMixin, typed_date_field
from registry import access
from registry.models import Municipality, Organization, Region

from . import campaigns as svc
from .models import Campaign, Indicator, Question, Questionnaire, Submission


def text_field(label: str, *, rows: int | None = None, required: bool = False, **kwargs) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput
    return forms.CharField(
        label=label, required=required, widget=widget, error_messages={"required": REQUIRED}, **kwargs
    )


class IndicatorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        """The catalogue as the campaign form offers it: a target with its source (docs/domain.md §6)."""
        label = f"{obj.code}. {obj.name}"
        if obj.target_text:
            source = f" ({obj.target_source})" if obj.target_source else ""
            label += f" — целевое значение {obj.target_text}{source}"
        return label


class CampaignForm(PlainTextMixin, forms.Form):
    """All of a campaign's fields; ``editable`` names those the campaign's status still lets change.

    ``territory``: the municipality of a coordinator's new campaign, the region of an operator's;
    None for an admin, who chooses the region (and the municipality of a municipal campaign).
    """

    title = text_field("Наименование мониторинга", rows=2, required=True, max_length=500)
    organizer = text_field("Организатор", max_length=500, help_text="Например: МАУ «ИМК» Октябрьского района")
    basis_number = text_field("Номер приказа", max_length=50)
    basis_date = typed_date_field("Дата приказа", required=False)
    basis_title = text_field(
        "Наименование приказа",
        rows=2,
        max_length=1000,
        help_text="«О проведении мониторинга реализации «дорожной карты» работы педагогов-наставников»",
    )
    basis_text = text_field("Текст приказа", rows=6)
    other_basis = text_field("Иные основания", rows=2)
    goal = text_field("Цель мониторинга", rows=3)
    method = forms.ChoiceField(label="Метод сбора", choices=Campaign.Method.choices)
    method_text = text_field("Метод сбора информации (формулировка)", rows=2)
    processing_text = text_field("Методы обработки информации", rows=2)
    use_of_results = text_field("Использование результатов", rows=2)
    period_start = typed_date_field("Период проведения: начало")
    period_end = typed_date_field("Период проведения: окончание")
    as_of_date = typed_date_field(
        "Дата, на которую берутся данные",
        help_text="Пары и наставники считаются на эту дату, контингент — за её учебный год. " + DATE_HELP,
    )
    deadline = typed_date_field("Срок сдачи отчётов")
    publish_by = typed_date_field("Опубликовать результаты до", required=False)
    target_municipalities = forms.ModelMultipleChoiceField(
        label="Муниципалитеты",
        queryset=Municipality.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Ничего не выбрано — все муниципалитеты региона.",
    )
    target_org_types = forms.MultipleChoiceField(
        label="Типы организаций",
        choices=Organization.OrgType.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Укажите хотя бы один тип организаций."},
    )
    indicators = IndicatorChoiceField(
        label="Показатели",
        queryset=Indicator.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Из каталога показателей; открыть мониторинг можно, выбрав хотя бы один.",
    )

    def __init__(self, *args, user, campaign: Campaign | None = None, territory=None, **kwargs):
        if campaign is not None and "initial" not in kwargs:
            kwargs["initial"] = campaign_initial(campaign)
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        active = Q(is_active=True)
        if campaign is not None:
            active |= Q(campaigns=campaign)  # an indicator retired after it was chosen still shows
        self.fields["indicators"].queryset = (
            Indicator.objects.filter(active).distinct().order_by("sort_order", "code")
        )
        if campaign is not None:
            region = campaign.region
        else:
            region = territory if isinstance(territory, Region) else None
        municipal = (campaign is not None and campaign.municipality_id is not None) or isinstance(
            territory, Municipality
        )
        if campaign is None and territory is None:  # an admin chooses where the campaign runs
            self.fields["region"] = forms.ModelChoiceField(
                label="Регион", queryset=access.scoped(user, Region.objects.order_by("name")), required=False
            )
            self.fields["municipality"] = forms.ModelChoiceField(
                label="Муниципалитет",
                queryset=access.scoped(user, Municipality.objects.select_related("region")).order_by(
                    "region__name", "name"
                ),
                required=False,
                help_text="Пусто — региональный мониторинг.",
            )
            self.order_fields(["region", "municipality"])
        if municipal:
            del self.fields["target_municipalities"]  # a municipal campaign covers its own municipality
        else:
            municipalities = Municipality.objects.all() if region is None else region.municipalities.all()
            self.fields["target_municipalities"].queryset = access.scoped(user, municipalities).order_by(
                "name"
            )
        self.editable = self._editable()
        for name, field in self.fields.items():
            if name not in self.editable:
                field.disabled = True

    GROUPS = [
        ("Мониторинг", ["region", "municipality", "title", "organizer", "goal"]),
        ("Основание: приказ", ["basis_number", "basis_date", "basis_title", "basis_text", "other_basis"]),
        ("Сбор и обработка", ["method", "method_text", "processing_text", "use_of_results"]),
        ("Сроки", ["period_start", "period_end", "as_of_date", "deadline", "publish_by"]),
        ("Организации и показатели", ["target_municipalities", "target_org_types", "indicators"]),
    ]

    def groups(self):
        """(legend, bound fields) for the template, in the order of the order's sections."""
        for legend, names in self.GROUPS:
            fields = [self[name] for name in names if name in self.fields]
            if fields:
                yield legend, fields

    def _editable(self) -> set[str]:
        """What ``campaign_update`` still accepts (everything for a new campaign or a draft)."""
        status = self.campaign.status if self.campaign is not None else Campaign.Status.DRAFT
        if status == Campaign.Status.DRAFT:
            return set(self.fields)
        if status == Campaign.Status.OPEN:
            return set(svc.EDITABLE_WHEN_OPEN)
        if status == Campaign.Status.CLOSED:
            return set(svc.TEXT_FIELDS)
        return set()

    def service_arguments(self) -> dict:
        """Keyword arguments of ``campaign_create`` / ``campaign_update``: the editable fields only."""
        data = self.cleaned_data
        arguments = {}
        for name in self.editable:
            if name in ("region", "municipality"):
                continue
            value = data.get(name)
            if name in ("indicators", "target_municipalities"):
                value = list(value or [])
            arguments[name] = value
        return arguments  # no municipality chosen: [], which the service reads as all of the region


def campaign_initial(campaign: Campaign) -> dict:
    initial = {name: getattr(campaign, name) for name in svc.CAMPAIGN_FIELDS}
    initial["indicators"] = list(campaign.indicators.values_list("pk", flat=True))
    initial["target_municipalities"] = list(campaign.target_municipalities.values_list("pk", flat=True))
    return initial


# ---------------------------------------------------------------- a submission's figures

YES, NO = "да", "нет"


def slug(code: str) -> str:
    """A figure code as a form field's name: «mentors:teacher_teacher» → «mentors-teacher_teacher»."""
    return code.replace(":", "-")


class SubmissionForm(PlainTextMixin, forms.Form):
    """One value (with its comment, and its link for a «да» that needs one) per figure of a submission.

    Values stay text: the service reads them («да» / «нет» too) and refuses what it cannot,
    in Russian, next to the figure (``add_service_error``).
    """

    curator_comment = text_field("Комментарий к отчёту", rows=2)

    def __init__(self, *args, figures, **kwargs):
        super().__init__(*args, **kwargs)
        self.figures = list(figures)
        for row in self.figures:
            name = slug(row.code)
            if row.kind == "yes_no":
                initial = "" if row.value is None else YES if row.value else NO
                self.fields[f"value-{name}"] = forms.ChoiceField(
                    label=row.name,
                    choices=[(YES, YES), (NO, NO)],
                    required=False,
                    widget=forms.RadioSelect,
                    initial=initial,
                )
            else:
                self.fields[f"value-{name}"] = forms.CharField(
                    label=row.name,
                    required=False,
                    initial="" if row.value is None else str(row.value),
                    widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 8}),
                )
            self.fields[f"comment-{name}"] = forms.CharField(
                label=f"Комментарий: {row.name}", required=False, initial=row.comment
            )
            if row.needs_url:
                self.fields[f"url-{name}"] = forms.CharField(
                    label=f"Ссылка: {row.name}",
                    required=False,
                    initial=row.url,
                    max_length=500,
                    widget=forms.TextInput(attrs={"inputmode": "url", "placeholder": "https://"}),
                )

    def entries(self) -> dict:
        """{figure code: {"value", "comment", "url"}} as ``submission_save_values`` and
        ``submission_submit`` take them."""
        data = self.cleaned_data
        result = {}
        for row in self.figures:
            name = slug(row.code)
            entry = {"value": data.get(f"value-{name}") or None, "comment": data.get(f"comment-{name}", "")}
            if row.needs_url:
                entry["url"] = data.get(f"url-{name}", "")
            result[row.code] = entry
        return result

    def rows(self):
        """(figure, value field, comment field, link field or None) per figure, for the template."""
        for row in self.figures:
            name = slug(row.code)
            yield (
                row,
                self[f"value-{name}"],
                self[f"comment-{name}"],
                self[f"url-{name}"] if row.needs_url else None,
            )

    def add_service_error(self, error) -> None:
        """The service's refusal: a figure's messages at its value, anything else on top."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return
        codes = {row.code for row in self.figures}
        for key, errors in error.error_dict.items():
            messages = [m for e in errors for m in e.messages]
            if key in codes:
                self.add_error(f"value-{slug(key)}", messages)
            elif key == "comment":
                self.add_error("curator_comment", messages)
            else:
                self.add_error(None, messages)


class ReviewForm(PlainTextMixin, forms.Form):
    """Accept or return a sent submission; returning needs a comment (the service insists too)."""

    ACTIONS = {"accept": "Принять", "return": "Вернуть на доработку"}

    action = forms.ChoiceField(choices=list(ACTIONS.items()), widget=forms.HiddenInput)
    comment = text_field(
        "Комментарий координатора", rows=3, help_text="Для возврата на доработку — что нужно исправить."
    )

    def add_service_error(self, error) -> None:
        if hasattr(error, "error_dict"):
            for key, errors in error.error_dict.items():
                self.add_error(
                    "comment" if key == "comment" else None, [m for e in errors for m in e.messages]
                )
        else:
            self.add_error(None, error.messages)


class ApprovalForm(PlainTextMixin, forms.Form):
    """A municipality's second level: the coordinator signs it off (confirming), the operator accepts it
    or returns it with a comment (the service insists on the comment too)."""

    ACTIONS = {"sign": "Подписать муниципалитет", "accept": "Принять", "return": "Вернуть"}

    action = forms.ChoiceField(
        choices=list(ACTIONS.items()), error_messages={"invalid_choice": "Нет такого действия."}
    )
    confirm = forms.BooleanField(
        label="Все отчёты организаций муниципалитета проверены и приняты; подписываю муниципалитет",
        required=False,
    )
    comment = text_field("Комментарий", rows=3, help_text="Для возврата — что нужно исправить.")

    def clean(self):
        data = super().clean()
        if data.get("action") == "sign" and not data.get("confirm"):
            self.add_error("confirm", "Подтвердите подписание муниципалитета.")
        if data.get("action") == "return" and not (data.get("comment") or "").strip():
            self.add_error("comment", "Укажите, что нужно исправить.")
        return data

    def add_service_error(self, error) -> None:
        if hasattr(error, "error_dict"):
            for key, errors in error.error_dict.items():
                self.add_error(
                    "comment" if key == "comment" else None, [m for e in errors for m in e.messages]
                )
        else:
            self.add_error(None, error.messages)


class CampaignFilter(PlainTextMixin, forms.Form):
    status = forms.ChoiceField(
        label="Статус", choices=[("", "все"), *Campaign.Status.choices], required=False
    )


class SubmissionFilter(PlainTextMixin, forms.Form):
    """The campaign page's list of submissions: by municipality (among those shown) and status."""

    municipality = forms.TypedChoiceField(label="Муниципалитет", coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(
        label="Статус отчёта", choices=[("", "все"), *Submission.Status.choices], required=False
    )

    def __init__(self, *args, municipalities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["municipality"].choices = [("", "все"), *municipalities]


class SurveyRoundForm(PlainTextMixin, forms.Form):
    """A new survey round: the questionnaire, the territory (the region, a municipality or a school), the
    period. Choices are the user's scope."""

    questionnaire = forms.ModelChoiceField(label="Анкета", queryset=Questionnaire.objects.none())
    title = text_field("Наименование опроса", max_length=500, help_text="Пусто — по наименованию анкеты")
    municipality = forms.ModelChoiceField(
        label="Муниципалитет",
        queryset=Municipality.objects.none(),
        required=False,
        help_text="Пусто — весь регион",
    )
    organization = forms.ModelChoiceField(
        label="Организация",
        queryset=Organization.objects.none(),
        required=False,
        help_text="Пусто — все организации территории",
    )
    period_start = typed_date_field("Период опроса: начало")
    period_end = typed_date_field(
        "Период опроса: окончание", help_text="Ссылки действуют до этого дня включительно"
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["questionnaire"].queryset = access.scoped(
            user, Questionnaire.objects.select_related("region")
        )
        self.fields["municipality"].queryset = access.scoped(user, Municipality.objects.order_by("name"))
        self.fields["organization"].queryset = access.scope_organizations(user).order_by("full_name")


# ---------------------------------------------------------------- questionnaires (the operator's)


class QuestionnaireForm(PlainTextMixin, forms.ModelForm):
    """A questionnaire's title, audience, anonymous flag and introductory text; an admin creating one
    chooses its region (an operator's belongs to its own). The rules are ``monitoring.questionnaires``'."""

    class Meta:
        model = Questionnaire
        fields = ["title", "audience", "anonymous", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, choose_region: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if choose_region:
            self.fields["region"] = forms.ModelChoiceField(
                label="Регион", queryset=access.scoped(user, Region.objects.all())
            )
            self.order_fields(["region", *[n for n in self.fields if n != "region"]])


class QuestionForm(PlainTextMixin, forms.Form):
    """One question of the questionnaire's page of questions; the rules are the service's."""

    pk = forms.IntegerField(widget=forms.HiddenInput, required=False)
    order = forms.IntegerField(
        label="Порядок",
        min_value=1,
        max_value=99,
        help_text="Номер вопроса в анкете: вопросы идут по возрастанию номера",
    )
    text = text_field("Вопрос", rows=2, required=True)
    kind = forms.ChoiceField(label="Вид ответа", choices=Question.Kind.choices, initial=Question.Kind.SCALE)
    choices = text_field(
        "Варианты ответа", rows=3, help_text="Для выбора ответа: каждый вариант с новой строки, не менее двух"
    )
    required = forms.BooleanField(label="Обязательный", required=False, initial=True)
    counts_satisfaction = forms.BooleanField(
        label="Вопрос об удовлетворённости (F5, F6)",
        required=False,
        help_text="Оценка от 1 до 5; ответ 4 или 5 считается «удовлетворён». Один на анкету",
    )

    def row(self) -> dict:
        """The question as ``questionnaires.questions_save`` takes it."""
        data = self.cleaned_data
        options = [line.strip() for line in (data.get("choices") or "").splitlines() if line.strip()]
        return {
            "pk": data.get("pk"),
            "text": data["text"].strip(),
            "kind": data["kind"],
            "choices": options,
            "required": data["required"],
            "counts_satisfaction": data["counts_satisfaction"],
        }


QuestionFormSet = forms.formset_factory(
    QuestionForm, extra=2, can_delete=True, max_num=60, validate_max=True, absolute_max=60
)
