"""The form of one meeting of a pair (docs/domain.md §4.2).

The tasks offered are those of the pair's own plan; a task of another pair posted by hand fails
with Django's «Выберите корректный вариант…» next to the field, and the service refuses it too.
"""

from django import forms
from django.core.exceptions import ValidationError

from common.forms import DatePickerInput, PlainTextMixin
from registry import meetings
from registry.forms.plans import _add_service_error
from registry.models import DURATION_POSITIVE, Meeting, Mentorship, PlanItem


class TaskChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.task} (срок {obj.deadline:%d.%m.%Y})"


class MeetingForm(PlainTextMixin, forms.Form):
    date = forms.DateField(label="Дата встречи", widget=DatePickerInput)
    format = forms.ChoiceField(
        label="Формат", choices=Meeting.Format.choices, initial=Meeting.Format.IN_PERSON
    )
    duration_minutes = forms.IntegerField(
        label="Продолжительность, минут",
        min_value=1,
        max_value=32767,
        error_messages={"min_value": DURATION_POSITIVE},
    )
    topic = forms.CharField(label="Тема", max_length=300)
    agreed = forms.CharField(
        label="О чём договорились", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    plan_items = TaskChoiceField(
        label="Затронутые задачи плана",
        required=False,
        queryset=PlanItem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, data=None, *, mentorship: Mentorship, meeting: Meeting | None = None, **kw):
        if meeting is not None and data is None:
            initial = {name: getattr(meeting, name) for name in self.base_fields if name != "plan_items"}
            initial["plan_items"] = [item.pk for item in meeting.plan_items.all()]
            kw.setdefault("initial", initial)
        super().__init__(data, **kw)
        self.mentorship = mentorship
        self.fields["plan_items"].queryset = PlanItem.objects.filter(plan__mentorship=mentorship).order_by(
            "deadline", "pk"
        )
        if not self.fields["plan_items"].queryset.exists():
            del self.fields["plan_items"]

    def clean(self):
        data = super().clean()
        if data.get("date"):
            for field, message in meetings.date_errors(mentorship=self.mentorship, day=data["date"]).items():
                self.add_error(field, message)
        return data

    def add_service_error(self, error: ValidationError) -> None:
        _add_service_error(self, error)
