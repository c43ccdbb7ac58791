"""Mail an account asks for: the password reset and the e-mail address confirmed on first login
(docs/architecture.md §7, accounts; docs/reliability.md, password reset).

Password reset: Django's ``PasswordResetView`` family with the portal's Russian pages. The answer
after «Отправить» is the same page whether an account has the address or not (nothing tells a
stranger who is registered); the mail's link is absolute (``request.build_absolute_uri``), works
once (Django's token dies with the password hash) and for ``PASSWORD_RESET_TIMEOUT``. A reset only
changes the password: the user then signs in as always, an admin's second factor included
(``security.SecondFactorMiddleware``).

Address confirmation: a user whose ``UserScope.email_confirmed_at`` is empty is sent, after the
login, to «Подтверждение адреса эл. почты» (once: then the portal is open, and every page shows a
line asking for the confirmation until it is done; an official must still reach its work on a
day the mail is slow). The mail carries a signed link (``django.core.signing``, valid
``EMAIL_CONFIRM_DAYS`` days) naming the user and the address; following it while signed in as that
user stores the address and confirms it.

Both mails are limited per hour (``ACCOUNT_MAILS_PER_EMAIL_HOUR`` for one e-mail address,
``ACCOUNT_MAILS_PER_ADDRESS_HOUR`` for one client address), counted in ``MailRequest``; a refusal is
a Russian 429 page. Requests, refusals and completions are in the access log, without the e-mail.
"""

import datetime
import hashlib
import logging
import urllib.parse

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache

from registry import access
from registry.models import AccountEvent, UserScope

from . import audit, throttle
from .models import AccessLogEntry, MailRequest

logger = logging.getLogger(__name__)
Action = AccessLogEntry.Action
CONFIRM_SALT = "mentoring_portal.accounts_mail.email"
REFUSAL = (
    "Слишком много писем за последний час для этого адреса эл. почты или с вашего компьютера. "
    "Повторите позже или обратитесь к администратору портала."
)


def email_key(email: str) -> str:
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()


def mail_allowed(*, kind: str, address: str, email: str) -> bool:
    """Whether one more mail of ``kind`` may go now, by the per-hour limits (nothing is recorded)."""
    since = timezone.now() - datetime.timedelta(hours=1)
    rows = MailRequest.objects.filter(kind=kind, at__gte=since)
    if rows.filter(email_key=email_key(email)).count() >= settings.ACCOUNT_MAILS_PER_EMAIL_HOUR:
        return False
    return rows.filter(address=address).count() < settings.ACCOUNT_MAILS_PER_ADDRESS_HOUR


def mail_record(*, kind: str, address: str, email: str) -> None:
    now = timezone.now()
    MailRequest.objects.filter(at__lt=now - datetime.timedelta(days=1)).delete()
    MailRequest.objects.create(kind=kind, address=address, email_key=email_key(email), at=now)


def _log(request, action, *, user=None, status=200) -> None:
    try:
        audit.write(request, action, user=user, status=status)
    except Exception:
        logger.exception("access log entry not written")


def _refuse(request, template, context):
    logger.warning("account mail refused from %s: hourly limit", throttle.request_address(request))
    _log(request, Action.MAIL_THROTTLED, user=request.user, status=429)
    return render(request, template, {**context, "refusal": REFUSAL}, status=429)


# ---------------------------------------------------------------- password reset


class ResetForm(PasswordResetForm):
    email = forms.EmailField(
        label="Адрес электронной почты",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Введите адрес электронной почты.",
            "invalid": "Адрес электронной почты: введите адрес вида name@example.ru.",
        },
    )
    request = None  # set by the view: the mail's link is built from it

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kwargs):
        path_ = reverse(
            "password-reset-confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        context["reset_url"] = self.request.build_absolute_uri(path_)
        super().send_mail(subject_template_name, email_template_name, context, from_email, to_email, **kwargs)


class PasswordResetView(auth_views.PasswordResetView):
    form_class = ResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("password-reset-done")

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        address = throttle.request_address(self.request)
        kind = MailRequest.Kind.RESET
        if not mail_allowed(kind=kind, address=address, email=email):
            return _refuse(self.request, self.template_name, self.get_context_data(form=form))
        mail_record(kind=kind, address=address, email=email)
        _log(self.request, Action.RESET_REQUESTED, user=self.request.user)
        form.request = self.request
        return super().form_valid(form)


class ResetSetPasswordForm(SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "Новый пароль"
        self.fields["new_password2"].label = "Новый пароль ещё раз"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    form_class = ResetSetPasswordForm
    success_url = reverse_lazy("password-reset-complete")
    post_reset_login = False  # the user signs in anew: an admin gives its second factor then

    def form_valid(self, form):
        with transaction.atomic():
            response = super().form_valid(form)
            user = form.user
            AccountEvent.objects.create(
                user=user,
                username=user.get_username(),
                actor=user,
                actor_name=user.get_username(),
                action=AccountEvent.Action.PASSWORD_RESET,
                details="Пароль изменён по ссылке из письма «Восстановление пароля».",
            )
            _log(self.request, Action.RESET_DONE, user=user)
        return response


# ---------------------------------------------------------------- the address confirmed


def needs_confirmation(user) -> bool:
    scope = access.user_scope(user)
    return scope is not None and scope.email_confirmed_at is None


class LoginView(auth_views.LoginView):
    """The portal's login: a user whose address is not confirmed goes to the confirmation page first."""

    def get_success_url(self):
        target = super().get_success_url()
        if needs_confirmation(self.request.user):
            return f"{reverse('email-confirm')}?{urllib.parse.urlencode({'next': target})}"
        return target


class EmailForm(forms.Form):
    email = forms.EmailField(
        label="Адрес электронной почты",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={
            "required": "Введите адрес электронной почты.",
            "invalid": "Адрес электронной почты: введите адрес вида name@example.ru.",
        },
    )


def confirmation_link(*, request, user, email: str) -> str:
    token = signing.dumps({"u": user.pk, "e": email}, salt=CONFIRM_SALT, compress=True)
    return request.build_absolute_uri(reverse("email-confirm-link", kwargs={"token": token}))


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse("dashboard")


@never_cache
@login_required
def email_confirm(request):
    """«Подтверждение адреса эл. почты»: the address to confirm (or correct) and the mail to send."""
    scope = access.user_scope(request.user)
    form = EmailForm(request.POST or None, initial={"email": request.user.email})
    context = {"form": form, "scope": scope, "next": _next(request)}
    if request.method == "POST" and scope is not None and form.is_valid():
        email = form.cleaned_data["email"]
        address = throttle.request_address(request)
        kind = MailRequest.Kind.CONFIRM
        if not mail_allowed(kind=kind, address=address, email=email):
            return _refuse(request, "registration/email_confirm.html", context)
        mail_record(kind=kind, address=address, email=email)
        link = confirmation_link(request=request, user=request.user, email=email)
        days = settings.EMAIL_CONFIRM_DAYS
        body = (
            "Здравствуйте!\n\n"
            f"Чтобы подтвердить адрес {email} для входа в портал «Наставничество», откройте ссылку "
            f"(она действует {days} дн.; если портал попросит, войдите под своим именем):\n{link}\n\n"
            "Если вы не ждали этого письма, просто не отвечайте на него.\n"
        )
        send_mail("Подтверждение адреса электронной почты", body, None, [email])
        _log(request, Action.EMAIL_CONFIRM_SENT, user=request.user)
        messages.info(request, f"Письмо со ссылкой отправлено на {email}. Откройте ссылку из письма.")
        return redirect(f"{reverse('email-confirm')}?{urllib.parse.urlencode({'next': context['next']})}")
    return render(request, "registration/email_confirm.html", context)


@never_cache
@login_required
def email_confirm_link(request, token):
    """The link from the mail: the signed user and address; another user's, forged or old: 404."""
    try:
        data = signing.loads(
            token, salt=CONFIRM_SALT, max_age=datetime.timedelta(days=settings.EMAIL_CONFIRM_DAYS)
        )
    except signing.BadSignature as exc:
        raise Http404("Ссылка неверна или устарела: запросите новое письмо.") from exc
    scope = access.user_scope(request.user)
    if not isinstance(data, dict) or data.get("u") != request.user.pk or scope is None:
        raise Http404("Ссылка выдана другой учётной записи.")
    email = str(data.get("e") or "")
    with transaction.atomic():
        user = request.user
        if user.email != email:
            user.email = email
            user.save(update_fields=["email"])
        UserScope.objects.filter(pk=scope.pk).update(email_confirmed_at=timezone.now())
        AccountEvent.objects.create(
            user=user,
            username=user.get_username(),
            actor=user,
            actor_name=user.get_username(),
            action=AccountEvent.Action.EMAIL_CONFIRMED,
            details="Адрес электронной почты подтверждён по ссылке из письма.",
        )
        _log(request, Action.EMAIL_CONFIRMED, user=user)
    messages.success(request, f"Адрес {email} подтверждён.")
    return redirect("dashboard")


urlpatterns = [
    path("password-reset/", PasswordResetView.as_view(), name="password-reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="registration/password_reset_done.html"),
        name="password-reset-done",
    ),
    path(
        "password-reset/<str:uidb64>/<str:token>/",
        PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="registration/password_reset_complete.html"
        ),
        name="password-reset-complete",
    ),
    path("account/email/", email_confirm, name="email-confirm"),
    path("account/email/<str:token>/", email_confirm_link, name="email-confirm-link"),
]
