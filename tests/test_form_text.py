"""Invisible and control characters are refused by every form of the portal (docs/reliability.md #39)."""

import importlib
import inspect

import pytest
from django import forms
from django.urls import reverse

from common.forms import PlainTextMixin, text_character_error
from registry.models import Mentorship
from tests.factories import make_mentorship
from tests.registry.factories_mentorships import edit_post

FORM_MODULES = [
    "registry.forms.mentorships",
    "registry.forms.organizations",
    "registry.forms.people",
    "registry.forms.regional",
    "monitoring.forms",
    "monitoring.roadmap_forms",
    "reports.forms",
]


def test_every_form_of_the_portal_refuses_invisible_characters():
    """A new form class without the mixin fails here."""
    found = []
    for name in FORM_MODULES:
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == name and issubclass(cls, forms.BaseForm):
                found.append(cls)
                assert issubclass(cls, PlainTextMixin), f"{name}.{cls.__name__}"
    assert len(found) >= 25


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Иванова \u202eАнна", "Невидимый символ U+202E в позиции 9; удалите его."),
        ("Ива\u200bнова", "Невидимый символ U+200B в позиции 4; удалите его."),
        ("Цель\x07", "Управляющий символ U+0007 в позиции 5; удалите его."),
        ("Первая строка\r\nвторая\tс табуляцией", None),
        ("<script>alert(1)</script>", None),  # markup is text: templates escape it
    ],
)
def test_the_message_names_the_character_and_its_position(text, expected):
    assert text_character_error(text) == expected


def test_a_pair_goal_with_an_rtl_override_is_refused_next_to_the_field_and_nothing_changes(
    client_for, curator, school
):
    pair = make_mentorship(organization=school)
    before = pair.goal
    response = client_for(curator).post(
        reverse("registry:mentorship-edit", args=[pair.pk]), edit_post(pair, goal="Цель \u202eриткаф")
    )
    assert response.status_code == 200
    assert "Невидимый символ U+202E в позиции 6" in response.content.decode()
    assert Mentorship.objects.get(pk=pair.pk).goal == before
