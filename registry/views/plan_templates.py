"""The region's plan templates (docs/domain.md §4.1), kept by its operator in the portal.

Everybody with a territory reads the templates of its region (``access.scoped``; a curator meets
them on a pair's card, «Заполнить из шаблона»); the region's operator and the admin create, change
and delete them (``access.require_write``: a reader 403, a template of another region 404).
Writes go through ``registry.plans``.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_POST

from registry import access, plans
from registry.forms.plans import PlanTemplateForm, PlanTemplateItemFormSet
from registry.models import PlanTemplate, UserScope

PAGE_SIZE = 50


def _templates(user):
    return access.scoped(user, PlanTemplate.objects.select_related("region", "mentoring_form"))


@login_required
def template_list(request):
    templates = (
        _templates(request.user)
        .annotate(task_count=Count("items"))
        .order_by("region__name", "mentoring_form__sort_order", "title", "pk")
    )
    page = Paginator(templates, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "can_create": access.can_write(request.user, PlanTemplate)}
    return render(request, "registry/plan_templates/list.html", context)


@login_required
def template_detail(request, pk):
    template = access.get_scoped_or_404(request.user, _templates(request.user), pk=pk)
    context = {
        "template": template,
        "items": list(template.items.order_by("deadline_days", "pk")),
        "can_write": access.can_write(request.user, template),
    }
    return render(request, "registry/plan_templates/detail.html", context)


def _item_initial(template: PlanTemplate) -> list[dict]:
    if template.pk is None:
        return []
    return [
        {
            "pk": item.pk,
            "task": item.task,
            "expected_result": item.expected_result,
            "deadline_days": item.deadline_days,
        }
        for item in template.items.order_by("deadline_days", "pk")
    ]


def _template_form(request, template: PlanTemplate):
    created = template.pk is None
    post = request.POST if request.method == "POST" else None
    form = PlanTemplateForm(post, user=request.user, template=template)
    items = PlanTemplateItemFormSet(post, initial=_item_initial(template), prefix="items")
    if post is not None and form.is_valid() and items.is_valid():
        data = form.cleaned_data
        if "region" in data:
            template.region = data["region"]
        for name in ("mentoring_form", "title", "deficits", "goals"):
            setattr(template, name, data[name])
        # an extra row left empty has no cleaned data; a row ticked «Удалить» is left out (deleted)
        rows = [f.row() for f in items.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
        try:
            plans.plan_template_save(user=request.user, template=template, items=rows)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                if field in form.fields:
                    form.add_error(field, errors)
                else:
                    for message in errors:
                        items._non_form_errors.append(message)
        else:
            messages.success(request, "Шаблон плана создан." if created else "Шаблон плана сохранён.")
            return redirect("registry:plan-template-detail", template.pk)
    title = "Новый шаблон плана наставничества" if created else f"Шаблон плана «{template.title}»"
    context = {"form": form, "items": items, "title": title, "template": template}
    return render(request, "registry/plan_templates/form.html", context)


@login_required
def template_create(request):
    access.require_write(request.user, PlanTemplate)
    scope = access.user_scope(request.user)
    region = scope.region if scope is not None and scope.role == UserScope.Role.OPERATOR else None
    return _template_form(request, PlanTemplate(region=region))


@login_required
def template_edit(request, pk):
    template = access.get_writable_or_404(request.user, _templates(request.user), pk=pk)
    return _template_form(request, template)


@login_required
@require_POST
def template_delete(request, pk):
    template = access.get_writable_or_404(request.user, _templates(request.user), pk=pk)
    plans.plan_template_delete(user=request.user, template=template)
    messages.success(
        request, f"Шаблон «{template.title}» удалён. Планы пар, заполненные из него, не изменились."
    )
    return redirect("registry:plan-template-list")


urlpatterns = [
    path("plan-templates/", template_list, name="plan-template-list"),
    path("plan-templates/new/", template_create, name="plan-template-create"),
    path("plan-templates/<int:pk>/", template_detail, name="plan-template-detail"),
    path("plan-templates/<int:pk>/edit/", template_edit, name="plan-template-edit"),
    path("plan-templates/<int:pk>/delete/", template_delete, name="plan-template-delete"),
]
