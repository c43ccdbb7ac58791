"""Forms of the pair's plan (ИПН): the plan itself and one task of it.

The methodist is chosen from the register of the pair's own region; an id posted by hand from
another region fails with Django's «Выберите корректный вариант…» next to the field.
"""

from django import forms
from django.core.exceptions import ValidationError

from common.forms import DatePickerInput, PlainTextMixin
from registry import access
from registry.models import (
    PLAN_TEMPLATE_MAX_DAYS,
    MentoringForm,
    MentoringPlan,
    Mentorship,
    MethodistRegistryEntry,
    PlanItem,
    PlanTemplate,
    Region,
)


def _add_service_error(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        for message in error.messages:
            form.add_error(None, message)


class PlanForm(PlainTextMixin, forms.Form):
    deficits = forms.CharField(
        label="Профессиональные дефициты, запрос наставляемого", widget=forms.Textarea(attrs={"rows": 4})
    )
    goals = forms.CharField(label="Цели и задачи наставничества", widget=forms.Textarea(attrs={"rows": 4}))
    support_hours = forms.IntegerField(
        label="Объём сопровождения, часов",
        required=False,
        min_value=1,
        max_value=32767,
        error_messages={"min_value": "Объём сопровождения — положительное число часов."},
    )
    methodist = forms.ModelChoiceField(
        label="Курирующий методист", required=False, queryset=MethodistRegistryEntry.objects.none()
    )

    def __init__(self, data=None, *, mentorship: Mentorship, plan: MentoringPlan | None = None, **kw):
        if plan is not None and data is None:
            kw.setdefault(
                "initial",
                {
                    "deficits": plan.deficits,
                    "goals": plan.goals,
                    "support_hours": plan.support_hours,
                    "methodist": plan.methodist_id,
                },
            )
        super().__init__(data, **kw)
        self.fields["methodist"].queryset = MethodistRegistryEntry.objects.filter(
            region_id=mentorship.organization.municipality.region_id
        ).select_related("person")

    def add_service_error(self, error: ValidationError) -> None:
        _add_service_error(self, error)


class PlanItemForm(PlainTextMixin, forms.Form):
    task = forms.CharField(label="Задача", widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(label="Срок", widget=DatePickerInput)
    expected_result = forms.CharField(
        label="Ожидаемый результат", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    status = forms.ChoiceField(
        label="Статус", choices=PlanItem.Status.choices, initial=PlanItem.Status.PLANNED
    )
    done_on = forms.DateField(
        label="Дата выполнения",
        required=False,
        widget=DatePickerInput,
        help_text="Только у выполненной задачи",
    )

    def __init__(self, data=None, *, item: PlanItem | None = None, **kw):
        if item is not None and data is None:
            kw.setdefault("initial", {name: getattr(item, name) for name in self.base_fields})
        super().__init__(data, **kw)

    def clean(self):
        data = super().clean()
        if "status" in data and "done_on" not in self.errors:
            for field, message in PlanItem.done_on_errors(data["status"], data.get("done_on")).items():
                self.add_error(field, message)
        return data

    def add_service_error(self, error: ValidationError) -> None:
        _add_service_error(self, error)


# ---------------------------------------------------------------- the region's plan templates


class PlanTemplateForm(PlainTextMixin, forms.Form):
    """A template's form of mentoring, title and text; an admin creating one chooses the region."""

    mentoring_form = forms.ModelChoiceField(
        label="Форма наставничества", queryset=MentoringForm.objects.filter(is_active=True)
    )
    title = forms.CharField(label="Название", max_length=200)
    deficits = forms.CharField(
        label="Профессиональные дефициты, запрос наставляемого", widget=forms.Textarea(attrs={"rows": 3})
    )
    goals = forms.CharField(label="Цели и задачи наставничества", widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, data=None, *, user, template: PlanTemplate, **kw):
        if template.pk is not None and data is None:
            kw["initial"] = {
                "mentoring_form": template.mentoring_form_id,
                "title": template.title,
                "deficits": template.deficits,
                "goals": template.goals,
            }
        super().__init__(data, **kw)
        if template.region_id is None:
            self.fields["region"] = forms.ModelChoiceField(
                label="Регион", queryset=access.scoped(user, Region.objects.all())
            )
            self.order_fields(["region", *[n for n in self.fields if n != "region"]])


class PlanTemplateItemForm(PlainTextMixin, forms.Form):
    """One task of a template; its deadline is days from the pair's start (the service checks the range)."""

    pk = forms.IntegerField(widget=forms.HiddenInput, required=False)
    task = forms.CharField(label="Задача", widget=forms.Textarea(attrs={"rows": 2}))
    expected_result = forms.CharField(label="Ожидаемый результат", required=False)
    deadline_days = forms.IntegerField(
        label="Срок, дней от начала пары",
        min_value=0,
        help_text=f"Срок задачи = дата начала пары + столько дней (не более {PLAN_TEMPLATE_MAX_DAYS})",
    )

    def row(self) -> dict:
        data = self.cleaned_data
        return {
            "pk": data.get("pk"),
            "task": data["task"].strip(),
            "expected_result": data["expected_result"].strip(),
            "deadline_days": data["deadline_days"],
        }


PlanTemplateItemFormSet = forms.formset_factory(
    PlanTemplateItemForm, extra=3, can_delete=True, max_num=100, validate_max=True, absolute_max=100
)
