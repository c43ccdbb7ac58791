"""Plan templates (docs/domain.md §4.1): the region's «План первого года молодого педагога» fills an
empty plan from the pair's card; deadlines are the pair's start + days, clipped to its period.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from registry import access, plans
from registry.models import MentoringPlan, PlanItem, PlanTemplate, PlanTemplateItem
from tests import factories as f

pytestmark = pytest.mark.django_db

START = datetime.date(2022, 9, 1)
END = datetime.date(2023, 5, 31)


def make_template(
    region, form_code="teacher_teacher", title="План первого года молодого педагога", days=None
):
    template = PlanTemplate.objects.create(
        region=region,
        mentoring_form=f.form(form_code),
        title=title,
        deficits="Планирование урока",
        goals="Адаптация молодого специалиста",
    )
    for k, day in enumerate(days or (14, 45, 120, 400)):
        PlanTemplateItem.objects.create(
            template=template, task=f"Задача {k + 1}", expected_result=f"Итог {k + 1}", deadline_days=day
        )
    return template


@pytest.fixture
def pair(school):
    return f.make_mentorship(organization=school, start_date=START, planned_end_date=END)


@pytest.fixture
def template(region):
    return make_template(region)


def url(name, pair):
    return reverse(f"registry:mentorship-{name}", args=[pair.pk])


def test_the_card_offers_the_templates_of_the_pairs_region_and_form_to_writers(
    client_for, curator, coordinator, pair, region, template
):
    make_template(region, form_code="student_student", title="Шаблон другой формы")
    make_template(f.make_region(), title="Шаблон другого региона")
    response = client_for(curator).get(url("detail", pair))
    body = response.content.decode()
    assert "Заполнить из шаблона" in body and "План первого года молодого педагога" in body
    assert [t.title for t in response.context["plan_templates"]] == ["План первого года молодого педагога"]
    assert "Шаблон другой формы" not in body and "Шаблон другого региона" not in body
    body = client_for(coordinator).get(url("detail", pair)).content.decode()
    assert "Заполнить из шаблона" not in body  # a reader does not write the plan


def test_copy_creates_the_plan_and_tasks_with_deadlines_clipped_to_the_period(
    client_for, curator, pair, template
):
    response = client_for(curator).post(url("plan-from-template", pair), {"template": template.pk})
    assert response.status_code == 302 and response["Location"].endswith("#plan")
    plan = MentoringPlan.objects.get(mentorship=pair)
    assert (plan.deficits, plan.goals) == ("Планирование урока", "Адаптация молодого специалиста")
    rows = list(plan.items.values_list("task", "deadline", "expected_result", "status"))
    assert rows == [
        ("Задача 1", datetime.date(2022, 9, 15), "Итог 1", "planned"),
        ("Задача 2", datetime.date(2022, 10, 16), "Итог 2", "planned"),
        ("Задача 3", datetime.date(2022, 12, 30), "Итог 3", "planned"),
        ("Задача 4", END, "Итог 4", "planned"),  # 01.09.2022 + 400 days is after the planned end
    ]
    body = client_for(curator).get(url("detail", pair)).content.decode()
    assert "План заполнен из шаблона «План первого года молодого педагога»." in body
    assert "Заполнить из шаблона" not in body  # the plan has tasks now


def test_an_empty_plan_keeps_its_text_and_gets_the_tasks(curator, pair, template):
    f.make_plan(pair, deficits="Свои дефициты", goals="Свои цели")
    plans.plan_from_template(mentorship=pair, template=template)
    plan = MentoringPlan.objects.get(mentorship=pair)
    assert (plan.deficits, plan.items.count()) == ("Свои дефициты", 4)


def test_a_closed_pairs_actual_end_clips_the_deadlines(school, region):
    template = make_template(region, days=(10, 100))
    pair = f.make_mentorship(organization=school, start_date=START)
    pair.status, pair.end_date = "completed", datetime.date(2022, 10, 1)
    pair.save()
    plans.plan_from_template(mentorship=pair, template=template)
    deadlines = list(PlanItem.objects.values_list("deadline", flat=True))
    assert deadlines == [datetime.date(2022, 9, 11), datetime.date(2022, 10, 1)]


def test_another_regions_or_forms_template_is_not_found(client_for, curator, pair, region):
    stranger = make_template(f.make_region(), title="Чужой")
    other_form = make_template(region, form_code="student_student", title="Другая форма")
    client = client_for(curator)
    for template_pk in (stranger.pk, other_form.pk, "abc", "", "²"):
        assert client.post(url("plan-from-template", pair), {"template": template_pk}).status_code == 404
    assert not MentoringPlan.objects.filter(mentorship=pair).exists()
    with pytest.raises(ValidationError) as error:
        plans.plan_from_template(mentorship=pair, template=stranger)
    assert error.value.messages == [plans.TEMPLATE_NOT_FOR_PAIR]


def test_a_plan_that_already_has_tasks_is_refused_in_russian(client_for, curator, pair, template):
    f.make_plan_item(pair, task="Своя задача")
    response = client_for(curator).post(
        url("plan-from-template", pair), {"template": template.pk}, follow=True
    )
    assert plans.PLAN_HAS_TASKS in response.content.decode()
    assert list(PlanItem.objects.values_list("task", flat=True)) == ["Своя задача"]


def test_readers_get_403_and_strangers_404(client_for, coordinator, other_curator, pair, template):
    data = {"template": template.pk}
    assert client_for(coordinator).post(url("plan-from-template", pair), data).status_code == 403
    assert client_for(other_curator).post(url("plan-from-template", pair), data).status_code == 404
    assert client_for(coordinator).get(url("plan-from-template", pair)).status_code == 405
    assert not MentoringPlan.objects.exists()


def test_history_rows_are_written_with_the_user(client_for, curator, pair, template):
    client_for(curator).post(url("plan-from-template", pair), {"template": template.pk})
    plan = MentoringPlan.objects.get(mentorship=pair)
    assert [(h.history_type, h.history_user) for h in plan.history.all()] == [("+", curator)]
    rows = PlanItem.history.values_list("history_type", "history_user", flat=False)
    assert sorted(rows) == [("+", curator.pk)] * 4


def test_templates_are_scoped_by_region(operator, region, template):
    make_template(f.make_region(), title="Чужой")
    assert list(access.scoped(operator, PlanTemplate.objects.all())) == [template]
    assert access.scoped(operator, PlanTemplateItem.objects.all()).count() == 4


def test_the_pairs_own_mentor_fills_its_plan_from_a_template_and_no_other_mentor_does(
    client_for, school, template
):
    """The mentor writes its own pair's plan (docs/domain.md §4.3), from a template too."""
    from tests.registry.factories_people import make_member

    def mentor_of(name):
        person = make_member(organization=school, base="mentors", full_name=name)
        user = f.make_user(role="mentor", person=person)
        return person, user

    own, own_user = mentor_of("Смирнова Ольга Ивановна")
    _other, other_user = mentor_of("Орлов Евгений Андреевич")
    pair = f.make_mentorship(organization=school, mentor_person=own, start_date=START, planned_end_date=END)
    assert (
        client_for(other_user).post(url("plan-from-template", pair), {"template": template.pk}).status_code
        == 404
    )
    assert not MentoringPlan.objects.filter(mentorship=pair).exists()
    response = client_for(own_user).post(url("plan-from-template", pair), {"template": template.pk})
    assert response.status_code == 302
    assert MentoringPlan.objects.get(mentorship=pair).items.count() == 4
