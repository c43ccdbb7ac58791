"""The portal's side of notifications: the list, opening one, marking read, the e-mail settings.

A user sees only its own notices: every query starts from ``recipient=request.user``, so another
user's notice id answers 404 (registry/permissions.py, PAGES).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from . import notifications
from .models import Notification

PAGE_SIZE = 30


@login_required
def notification_list(request):
    rows = Notification.objects.filter(recipient=request.user).order_by("-created_at", "-pk")
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/notifications/list.html",
        {"page": page, "unread": any(n.read_at is None for n in page.object_list)},
    )


@login_required
def notification_open(request, pk):
    """Marks the notice read and goes to its page."""
    notification = get_object_or_404(Notification, recipient=request.user, pk=pk)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return redirect(notification.link)


@login_required
@require_POST
def notification_read_all(request):
    count = notifications.mark_read(user=request.user)
    messages.success(
        request, f"Отмечено прочитанными: {count}." if count else "Непрочитанных уведомлений нет."
    )
    return redirect("notification-list")


class EmailSettingsForm(forms.Form):
    email_kinds = forms.MultipleChoiceField(
        label="Присылать письмом",
        choices=Notification.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "Присылать письмом: неизвестный вид уведомлений «%(value)s».",
            "invalid_list": "Присылать письмом: выберите виды уведомлений из списка.",
        },
    )


@login_required
def notification_settings(request):
    if request.method == "POST":
        form = EmailSettingsForm(request.POST)
        if form.is_valid():
            notifications.set_email_preferences(user=request.user, email_on=form.cleaned_data["email_kinds"])
            messages.success(request, "Настройки уведомлений сохранены.")
            return redirect("notification-settings")
    else:
        chosen = notifications.email_preferences(user=request.user)
        form = EmailSettingsForm(initial={"email_kinds": [kind for kind, on in chosen.items() if on]})
    return render(
        request,
        "portal/notifications/settings.html",
        {"form": form, "has_email": bool(request.user.email)},
    )
