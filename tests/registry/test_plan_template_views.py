"""The operator keeps the region's plan templates in the portal (docs/domain.md §4.1).

A template created on its page is offered by «Заполнить из шаблона» on a pair of its form in its
region, and not on a pair of another region; its tasks are changed, added and deleted with history;
a deadline out of range or a template without tasks is refused naming the field, nothing written;
another region's operator gets 404, the region's coordinator and curator read it and get 403 on
writes; a deleted template leaves the plans filled from it as they were.
"""

import datetime

import pytest
from django.urls import reverse

from registry.models import MentoringPlan, PlanTemplate, PlanTemplateItem
from tests import factories as f

pytestmark = pytest.mark.django_db

START = datetime.date(2022, 9, 1)


def url(name, template=None):
    return reverse(f"registry:plan-template-{name}", args=[template.pk] if template else [])


def post_data(items, *, initial=0, **fields):
    data = {
        "mentoring_form": f.form("teacher_teacher").pk,
        "title": "План первого года",
        "deficits": "Планирование урока",
        "goals": "Адаптация",
        "items-TOTAL_FORMS": str(len(items)),
        "items-INITIAL_FORMS": str(initial),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "100",
        **fields,
    }
    for i, item in enumerate(items):
        for name, value in item.items():
            if value is True:
                value = "on"
            if value is not None:
                data[f"items-{i}-{name}"] = str(value)
    return data


TASKS = [
    {"task": "Знакомство со школой", "expected_result": "Лист знакомства", "deadline_days": 14},
    {"task": "Открытый урок", "expected_result": "Самоанализ", "deadline_days": 180},
    {"task": "", "expected_result": "", "deadline_days": ""},  # an extra row left empty
]


def items_of(template):
    return list(
        template.items.order_by("deadline_days").values_list("task", "expected_result", "deadline_days")
    )


def create(client, **fields):
    response = client.post(url("create"), post_data(TASKS, **fields))
    assert response.status_code == 302, response.content.decode()
    return PlanTemplate.objects.get(title=fields.get("title", "План первого года"))


def test_a_template_created_by_the_operator_is_offered_on_pairs_of_its_form_in_its_region_only(
    client_for, operator, curator, region, school
):
    client = client_for(operator)
    assert client.get(url("create")).status_code == 200
    template = create(client)
    assert (template.region, template.mentoring_form.code) == (region, "teacher_teacher")
    assert items_of(template) == [
        ("Знакомство со школой", "Лист знакомства", 14),
        ("Открытый урок", "Самоанализ", 180),
    ]
    assert template.history.get().history_user == operator
    assert {h.history_user for h in PlanTemplateItem.history.all()} == {operator}
    assert "План первого года" in client.get(url("list")).content.decode()

    pair = f.make_mentorship(organization=school, start_date=START)
    create(client, title="Ученик – ученик", mentoring_form=f.form("student_student").pk)  # another form
    far = f.make_mentorship(organization=f.make_organization(), start_date=START)
    card = client_for(curator).get(reverse("registry:mentorship-detail", args=[pair.pk]))
    assert [t.title for t in card.context["plan_templates"]] == ["План первого года"]
    assert "Заполнить из шаблона" in card.content.decode()
    far_curator = f.make_user(role="curator", organization=far.organization)
    card = client_for(far_curator).get(reverse("registry:mentorship-detail", args=[far.pk]))
    assert list(card.context["plan_templates"]) == []
    response = client_for(far_curator).post(
        reverse("registry:mentorship-plan-from-template", args=[far.pk]), {"template": template.pk}
    )
    assert response.status_code == 404 and not MentoringPlan.objects.filter(mentorship=far).exists()

    response = client_for(curator).post(
        reverse("registry:mentorship-plan-from-template", args=[pair.pk]), {"template": template.pk}
    )
    assert response.status_code == 302
    plan = MentoringPlan.objects.get(mentorship=pair)
    assert list(plan.items.values_list("task", "deadline")) == [
        ("Знакомство со школой", START + datetime.timedelta(days=14)),
        ("Открытый урок", START + datetime.timedelta(days=180)),
    ]


def test_the_operator_changes_adds_and_deletes_tasks_with_history(client_for, operator):
    client = client_for(operator)
    template = create(client)
    first, second = template.items.order_by("deadline_days")
    rows = [
        {
            "pk": first.pk,
            "task": "Знакомство со школой и ООП",
            "expected_result": "Лист",
            "deadline_days": 21,
        },
        {
            "pk": second.pk,
            "task": "Открытый урок",
            "expected_result": "Самоанализ",
            "deadline_days": 180,
            "DELETE": True,
        },
        {"task": "Портфолио", "expected_result": "Портфолио", "deadline_days": 250},
    ]
    response = client.post(url("edit", template), post_data(rows, initial=2, title="План молодого педагога"))
    assert response.status_code == 302, response.content.decode()
    template.refresh_from_db()
    assert template.title == "План молодого педагога"
    assert items_of(template) == [("Знакомство со школой и ООП", "Лист", 21), ("Портфолио", "Портфолио", 250)]
    assert PlanTemplateItem.history.filter(id=second.pk, history_type="-").get().history_user == operator
    assert PlanTemplateItem.history.filter(id=first.pk, history_type="~").get().history_user == operator
    # a save without a change writes no history row
    count = PlanTemplate.history.count() + PlanTemplateItem.history.count()
    rows = [
        {"pk": x.pk, "task": x.task, "expected_result": x.expected_result, "deadline_days": x.deadline_days}
        for x in template.items.order_by("deadline_days")
    ]
    assert (
        client.post(url("edit", template), post_data(rows, initial=2, title=template.title)).status_code
        == 302
    )
    assert PlanTemplate.history.count() + PlanTemplateItem.history.count() == count


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (
            [{"task": "Урок", "deadline_days": 5000}],
            "Задача 1, срок, дней от начала пары: Убедитесь, что это значение меньше либо равно 3650.",
        ),
        ([{"task": "", "deadline_days": ""}], "В шаблоне должна быть хотя бы одна задача."),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(client_for, operator, items, message):
    response = client_for(operator).post(url("create"), post_data(items))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PlanTemplate.objects.exists() and not PlanTemplate.history.exists()


def test_a_negative_deadline_or_a_task_without_text_is_refused_next_to_its_field(client_for, operator):
    response = client_for(operator).post(
        url("create"), post_data([{"task": "Урок", "deadline_days": -1}, {"task": "", "deadline_days": 3}])
    )
    assert response.status_code == 200
    forms = response.context["items"].forms
    assert set(forms[0].errors) == {"deadline_days"} and set(forms[1].errors) == {"task"}
    assert not PlanTemplate.objects.exists()


def test_another_region_gets_404_and_readers_of_the_region_get_403_on_writes(
    client_for, operator, coordinator, curator
):
    template = create(client_for(operator))
    stranger = f.make_user(role="operator", region=f.make_region())
    client = client_for(stranger)
    for name in ("detail", "edit"):
        assert client.get(url(name, template)).status_code == 404, name
    assert client.post(url("delete", template)).status_code == 404
    assert "План первого года" not in client.get(url("list")).content.decode()
    for reader in (coordinator, curator):
        client = client_for(reader)
        body = client.get(url("detail", template)).content.decode()
        assert "Знакомство со школой" in body and "Изменить шаблон" not in body
        assert "План первого года" in client.get(url("list")).content.decode()
        assert client.get(url("create")).status_code == 403
        assert client.post(url("create"), post_data(TASKS, title="Свой")).status_code == 403
        assert client.get(url("edit", template)).status_code == 403
        assert client.post(url("edit", template), post_data(TASKS, title="Чужой")).status_code == 403
        assert client.post(url("delete", template)).status_code == 403
    assert list(PlanTemplate.objects.values_list("title", flat=True)) == ["План первого года"]


def test_a_deleted_template_leaves_the_plans_filled_from_it(client_for, operator, curator, school):
    template = create(client_for(operator))
    pair = f.make_mentorship(organization=school, start_date=START)
    client_for(curator).post(
        reverse("registry:mentorship-plan-from-template", args=[pair.pk]), {"template": template.pk}
    )
    response = client_for(operator).post(url("delete", template))
    assert response.status_code == 302 and response["Location"] == url("list")
    assert not PlanTemplate.objects.exists() and not PlanTemplateItem.objects.exists()
    assert PlanTemplate.history.filter(history_type="-").get().history_user == operator
    assert MentoringPlan.objects.get(mentorship=pair).items.count() == 2


def test_the_pages_of_templates_take_a_fixed_number_of_queries(
    client_for, operator, django_assert_max_num_queries
):
    client = client_for(operator)
    for i in range(6):
        template = create(client, title=f"Шаблон {i}")
    client.get(url("list"))
    for name, args in (("list", None), ("detail", template), ("edit", template)):
        with django_assert_max_num_queries(QUERIES[name]):
            assert client.get(url(name, args)).status_code == 200


# whatever the number of templates and tasks; each + the bell's unread count (docs/architecture.md §14)
QUERIES = {"list": 6, "detail": 6, "edit": 7}
