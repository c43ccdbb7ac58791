"""The form of the signed agreement's scan on the pair's card: the file and the day it was signed."""

from django import forms
from django.core.exceptions import ValidationError

from common.forms import DatePickerInput
from registry.agreements import SCAN_ACCEPT


class AgreementUploadForm(forms.Form):
    file = forms.FileField(
        label="Скан подписанного соглашения",
        help_text="PDF, JPEG или PNG, не больше 10 МБ",
        widget=forms.ClearableFileInput(attrs={"accept": SCAN_ACCEPT}),
        error_messages={"required": "Выберите файл со сканом подписанного соглашения."},
    )
    signed_on = forms.DateField(
        label="Дата подписания",
        widget=DatePickerInput(),
        error_messages={"required": "Укажите дату подписания соглашения."},
    )

    def add_service_error(self, error: ValidationError) -> None:
        for field, errors in error.error_dict.items():
            self.add_error(field if field in self.fields else None, errors)
