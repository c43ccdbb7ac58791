"""The pair's individual plan (ИПН), written from the pair's card: the plan and its tasks.

Access: the pair is looked up in the user's scope first (a stranger's 404), then
``access.require_write`` (a read-only role's 403). Writes go through ``registry.plans``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.views.decorators.http import require_POST

from registry import access, plans
from registry.forms.plans import PlanForm, PlanItemForm
from registry.models import MentoringPlan, PlanItem
from registry.views.mentorships import back_to_card, scoped_pair, section_form


@login_required
def plan_edit(request, pk):
    """«Заполнить план» / «Изменить план»."""
    pair = scoped_pair(request.user, pk)
    plan = MentoringPlan.objects.filter(mentorship=pair).select_related("methodist").first()
    access.require_write(request.user, plan or MentoringPlan(mentorship=pair))
    form = PlanForm(request.POST if request.method == "POST" else None, mentorship=pair, plan=plan)
    if request.method == "POST" and form.is_valid():
        try:
            plans.plan_save(mentorship=pair, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "План наставничества сохранён.")
            return back_to_card(pair, "plan")
    title = "Изменение плана наставничества" if plan else "План наставничества"
    return section_form(request, pair, form, section="plan", title=title)


@login_required
def plan_item_add(request, pk):
    """«Добавить задачу»: only to a plan already filled."""
    pair = scoped_pair(request.user, pk)
    plan = MentoringPlan.objects.filter(mentorship=pair).first()
    access.require_write(request.user, plan or MentoringPlan(mentorship=pair))
    if plan is None:
        messages.error(request, "Сначала заполните план наставничества.")
        return redirect("registry:mentorship-plan-edit", pair.pk)
    form = PlanItemForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            plans.plan_item_add(plan=plan, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Задача добавлена в план.")
            return back_to_card(pair, "plan")
    return section_form(request, pair, form, section="plan", title="Новая задача плана")


@login_required
def plan_item_edit(request, pk, item):
    """«Изменить» a task, marking it done among the rest."""
    pair = scoped_pair(request.user, pk)
    task = access.get_scoped_or_404(
        request.user, PlanItem.objects.select_related("plan__mentorship"), pk=item, plan__mentorship=pair
    )
    access.require_write(request.user, task)
    form = PlanItemForm(request.POST if request.method == "POST" else None, item=task)
    if request.method == "POST" and form.is_valid():
        if not form.has_changed():
            messages.info(request, "Изменений нет.")
            return back_to_card(pair, "plan")
        try:
            plans.plan_item_update(item=task, **form.cleaned_data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Задача плана сохранена.")
            return back_to_card(pair, "plan")
    return section_form(request, pair, form, section="plan", title="Изменение задачи плана")


@login_required
@require_POST
def plan_from_template(request, pk):
    """«Заполнить из шаблона»: a template of the pair's region and form (another one is not found)."""
    pair = scoped_pair(request.user, pk)
    plan = MentoringPlan.objects.filter(mentorship=pair).first()
    access.require_write(request.user, plan or MentoringPlan(mentorship=pair))
    template_pk = request.POST.get("template", "")
    if not template_pk.isascii() or not template_pk.isdigit() or len(template_pk) > 18:  # within a bigint
        raise Http404("Шаблон не найден")
    template = get_object_or_404(plans.templates_for(mentorship=pair), pk=int(template_pk))
    try:
        plans.plan_from_template(mentorship=pair, template=template)
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"План заполнен из шаблона «{template.title}».")
    return back_to_card(pair, "plan")


urlpatterns = [
    path("pairs/<uuid:pk>/plan/", plan_edit, name="mentorship-plan-edit"),
    path("pairs/<uuid:pk>/plan/from-template/", plan_from_template, name="mentorship-plan-from-template"),
    path("pairs/<uuid:pk>/plan/tasks/new/", plan_item_add, name="mentorship-plan-item-add"),
    path("pairs/<uuid:pk>/plan/tasks/<int:item>/", plan_item_edit, name="mentorship-plan-item-edit"),
]
