"""What every form of the portal refuses in typed text, in one place (docs/reliability.md #39).

Markup is harmless here: templates escape it. What escaping cannot neutralise are invisible
characters: a right-to-left override (U+202E) turns «Иванов.xlsx» into something that reads
otherwise on every page, list and PDF it reaches, and zero-width characters make two names
that look the same differ. The workbook import refuses the same characters (``common.text.REFUSED``,
applied to cells by ``registry.workbook.schema``); a form says it next to the field and saves
nothing. The check itself lives in ``common.text`` (also the validator an API would use).

It also holds the portal's two ways of asking for a date: the browser's date picker
(``DatePickerInput``, the registry's cards and pairs) and a date typed as officials write it,
16.12.2022 (``typed_date_field``, campaigns and road maps).
"""

from django import forms

from .text import TEXT_CONTROLS_ALLOWED, text_character_error  # noqa: F401 — the forms' vocabulary


class PlainTextMixin:
    """Refuses invisible and control characters in every submitted value of the form's fields.

    Passwords are left alone: they are never shown or exported, and a password manager may
    generate any character; refusing one would lock its owner out.
    """

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        for name, field in self.fields.items():
            if isinstance(field.widget, forms.PasswordInput):
                continue
            key = self.add_prefix(name)
            values = self.data.getlist(key) if hasattr(self.data, "getlist") else [self.data.get(key)]
            for value in values:
                error = text_character_error(value) if isinstance(value, str) else None
                if error:
                    self.add_error(name, error)
                    break


def plain_text_form(form_class):
    """``form_class`` with ``PlainTextMixin`` in front (itself when it already has it)."""
    if issubclass(form_class, PlainTextMixin):
        return form_class
    return type(form_class.__name__, (PlainTextMixin, form_class), {"__module__": form_class.__module__})


def plain_text_formset(formset_class):
    """A formset class whose forms are ``plain_text_form``'s."""
    if issubclass(formset_class.form, PlainTextMixin):
        return formset_class
    return type(formset_class.__name__, (formset_class,), {"form": plain_text_form(formset_class.form)})


class PlainTextAdminMixin:
    """A ModelAdmin whose add/change form, inline formsets and list-editable formset refuse what
    the portal's forms refuse, with the same message next to the field.

    The admin site (``mentoring_portal.security.PortalAdminSite.register``) puts it in front of
    every ModelAdmin registered with it, the portal's and third-party apps' alike, so a new
    admin class or inline cannot forget it.
    """

    def get_form(self, request, obj=None, change=False, **kwargs):
        return plain_text_form(super().get_form(request, obj, change=change, **kwargs))

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            yield plain_text_formset(formset), inline

    def get_changelist_formset(self, request, **kwargs):
        return plain_text_formset(super().get_changelist_formset(request, **kwargs))


class DatePickerInput(forms.DateInput):
    """The browser's date picker: it sends ISO dates, which Django accepts besides «ДД.ММ.ГГГГ»."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


DATE_FORMAT = "%d.%m.%Y"
DATE_HELP = "ДД.ММ.ГГГГ, например 16.12.2022"
DATE_ERROR = "Введите дату в виде ДД.ММ.ГГГГ, например 16.12.2022."
REQUIRED = "Обязательное поле."


def typed_date_field(label: str, *, required: bool = True, help_text: str = DATE_HELP) -> forms.DateField:
    """A date typed as 16.12.2022 (a numeric keyboard on a phone); a wrong one is refused in Russian."""
    return forms.DateField(
        label=label,
        required=required,
        input_formats=[DATE_FORMAT],
        widget=forms.DateInput(
            format=DATE_FORMAT, attrs={"placeholder": "ДД.ММ.ГГГГ", "inputmode": "numeric"}
        ),
        error_messages={"invalid": DATE_ERROR, "required": REQUIRED},
        help_text=help_text,
    )
