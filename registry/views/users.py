"""The admin's screen of the portal's people: accounts, roles and territories (``registry.users``).

Access: every page asks the write rule «accounts» of ``auth.user`` first (``registry.access``: the
admin role only, 403 to any other role before anything is looked up); an unknown account is a 404.
Every change is a POST; the destructive ones (turning an account off, resetting its second factor)
are confirmed on a page of their own first.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path, register_converter
from django.views.decorators.http import require_POST
from django_otp import devices_for_user

from common.forms import PlainTextMixin
from registry import access, users
from registry.models import Municipality, Region, UserScope

Role = UserScope.Role
PAGE_SIZE = 50


class AccountIdConverter:
    """An account's id in the address: digits, no more than a bigint holds (a longer one is no URL)."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(AccountIdConverter, "account")


class MunicipalityChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.region.name})"


def _regions():
    return Region.objects.order_by("name")


def _municipalities():
    return Municipality.objects.select_related("region").order_by("region__name", "name")


class ScopeForm(PlainTextMixin, forms.Form):
    role = forms.ChoiceField(
        label="Роль", choices=[("", "—"), *[(r.value, r.label) for r in users.MANAGED_ROLES]]
    )
    region = forms.ModelChoiceField(
        _regions(), label="Регион", required=False, empty_label="—", help_text="Для регионального оператора."
    )
    municipality = MunicipalityChoice(
        _municipalities(),
        label="Муниципалитет",
        required=False,
        empty_label="—",
        help_text="Для муниципального координатора; для куратора — проверка, что школа в нём.",
    )
    organization_code = forms.CharField(
        label="Код ОО",
        required=False,
        max_length=32,
        help_text="Для куратора ОО: код организации из реестра.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].required = False  # the service names the missing role in Russian

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "role": data["role"],
            "organization_code": data["organization_code"],
            "municipality": data["municipality"],
            "region": data["region"],
        }


class InviteForm(ScopeForm):
    full_name = forms.CharField(label="Фамилия, имя, отчество", max_length=300, required=False)
    email = forms.EmailField(
        label="Адрес электронной почты",
        required=False,
        help_text="На него придёт ссылка для входа; он же имя для входа.",
    )
    field_order = ["full_name", "email", "role", "region", "municipality", "organization_code"]


STATE_CHOICES = [("", "все"), *users.STATES.items()]


class UserFilterForm(forms.Form):
    q = forms.CharField(label="Поиск: ФИО, имя для входа, почта", required=False, max_length=200)
    role = forms.ChoiceField(label="Роль", required=False, choices=[("", "все"), *Role.choices])
    region = forms.ModelChoiceField(_regions(), label="Регион", required=False, empty_label="все")
    municipality = MunicipalityChoice(
        _municipalities(), label="Муниципалитет", required=False, empty_label="все"
    )
    state = forms.ChoiceField(label="Состояние", required=False, choices=STATE_CHOICES)


def _territory_q(*, region=None, municipality=None) -> Q:
    """Accounts whose territory lies in the region or municipality, whatever their role."""
    if municipality is not None:
        return (
            Q(scope__municipality=municipality)
            | Q(scope__organization__municipality=municipality)
            | Q(scope__person__organization__municipality=municipality)
        )
    return (
        Q(scope__region=region)
        | Q(scope__municipality__region=region)
        | Q(scope__organization__municipality__region=region)
        | Q(scope__person__organization__municipality__region=region)
    )


def _require_manager(user) -> None:
    access.require_write(user, get_user_model(), access.ACCOUNTS)


def _account_or_404(request, pk):
    """The account to show or change: 403 to any role but the admin's first, then 404 if unknown."""
    _require_manager(request.user)
    account = users.user_list(user=request.user).filter(pk=pk).first()
    if account is None:
        raise Http404("Учётная запись не найдена")
    return account


@login_required
def user_list(request):
    _require_manager(request.user)
    accounts = users.user_list(user=request.user)
    form = UserFilterForm(request.GET or None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            q = data["q"].strip()
            accounts = accounts.filter(
                Q(username__icontains=q)
                | Q(email__icontains=q)
                | Q(last_name__icontains=q)
                | Q(first_name__icontains=q)
                | Q(scope__person__full_name__icontains=q)
            )
        if data["role"] == Role.ADMIN:
            accounts = accounts.filter(Q(scope__role=Role.ADMIN) | Q(is_superuser=True))
        elif data["role"]:
            accounts = accounts.filter(scope__role=data["role"], is_superuser=False)
        if data["region"] is not None:
            accounts = accounts.filter(_territory_q(region=data["region"]))
        if data["municipality"] is not None:
            accounts = accounts.filter(_territory_q(municipality=data["municipality"]))
        if data["state"]:
            accounts = accounts.filter(users.state_q(state=data["state"]))
    page = Paginator(accounts, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [
        {
            "account": a,
            "name": users.user_full_name(user=a),
            "state": users.STATES[users.user_state(user=a)],
            "territory": users.user_territory(user=a),
        }
        for a in page
    ]
    context = {"form": form if form.is_bound else UserFilterForm(), "page": page, "rows": rows}
    return render(request, "registry/users/user_list.html", context)


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def user_invite(request):
    _require_manager(request.user)
    form = InviteForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            account = users.user_invite(
                full_name=form.cleaned_data["full_name"],
                email=form.cleaned_data["email"],
                invited_by=request.user,
                base_url=request.build_absolute_uri("/"),
                **form.service_kwargs(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, f"Приглашение отправлено на {account.email}: пароль задаётся по ссылке из письма."
            )
            return redirect("registry:user-detail", account.pk)
    return render(request, "registry/users/user_invite.html", {"form": form})


@login_required
def user_detail(request, pk):
    account = _account_or_404(request, pk)
    state = users.user_state(user=account)
    scope = getattr(account, "scope", None)
    context = {
        "account": account,
        "name": users.user_full_name(user=account),
        "state": state,
        "state_label": users.STATES[state],
        "territory": users.user_territory(user=account),
        "events": users.user_events(user=account)[:200],
        "itself": account.pk == request.user.pk,
        "is_mentor": scope is not None and scope.role == Role.MENTOR,
        "device_count": len(list(devices_for_user(account, confirmed=None))),
    }
    return render(request, "registry/users/user_detail.html", context)


@login_required
def user_scope(request, pk):
    account = _account_or_404(request, pk)
    scope = getattr(account, "scope", None)
    initial = {}
    if scope is not None:
        initial = {
            "role": scope.role,
            "region": scope.region_id or (scope.municipality.region_id if scope.municipality_id else None),
            "municipality": scope.municipality_id
            or (scope.organization.municipality_id if scope.organization_id else None),
            "organization_code": scope.organization.code if scope.organization_id else "",
        }
    form = ScopeForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            users.user_scope_change(user=account, by=request.user, **form.service_kwargs())
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, "Роль и территория изменены; пользователю нужно войти заново.")
            return redirect("registry:user-detail", account.pk)
    context = {"account": account, "name": users.user_full_name(user=account), "form": form}
    return render(request, "registry/users/user_scope.html", context)


def _act(request, account, action, done: str):
    try:
        action(user=account, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done)
    return redirect("registry:user-detail", account.pk)


def _confirm(request, account, *, action, done: str, template_context: dict):
    if request.method == "POST":
        return _act(request, account, action, done)
    context = {"account": account, "name": users.user_full_name(user=account), **template_context}
    return render(request, "registry/users/user_confirm.html", context)


@login_required
def user_deactivate(request, pk):
    account = _account_or_404(request, pk)
    return _confirm(
        request,
        account,
        action=users.user_deactivate,
        done="Учётная запись отключена: войти по ней нельзя.",
        template_context={
            "title": "Отключить учётную запись",
            "question": (
                "Пользователь не сможет войти в портал, его открытые сеансы завершатся, ссылка из "
                "приглашения перестанет действовать. Включить учётную запись снова можно на странице "
                "пользователя."
            ),
            "button": "Отключить",
        },
    )


@login_required
def user_second_factor_reset(request, pk):
    account = _account_or_404(request, pk)
    return _confirm(
        request,
        account,
        action=users.user_second_factor_reset,
        done="Второй фактор сброшен: устройства пользователя удалены.",
        template_context={
            "title": "Сбросить второй фактор",
            "question": (
                "Все устройства второго фактора пользователя (приложение-аутентификатор, резервные "
                "коды) будут удалены. Администратор не войдёт в портал, пока ему не выдадут новый ключ."
            ),
            "button": "Сбросить второй фактор",
        },
    )


@login_required
@require_POST
def user_reactivate(request, pk):
    account = _account_or_404(request, pk)
    return _act(request, account, users.user_reactivate, "Учётная запись снова включена.")


@login_required
@require_POST
def user_invitation_resend(request, pk):
    account = _account_or_404(request, pk)

    def resend(*, user, by):
        return users.user_invitation_resend(user=user, by=by, base_url=request.build_absolute_uri("/"))

    return _act(request, account, resend, f"Приглашение отправлено повторно на {account.email}.")


urlpatterns = [
    path("users/", user_list, name="user-list"),
    path("users/invite/", user_invite, name="user-invite"),
    path("users/<account:pk>/", user_detail, name="user-detail"),
    path("users/<account:pk>/scope/", user_scope, name="user-scope"),
    path("users/<account:pk>/deactivate/", user_deactivate, name="user-deactivate"),
    path("users/<account:pk>/reactivate/", user_reactivate, name="user-reactivate"),
    path("users/<account:pk>/second-factor/", user_second_factor_reset, name="user-second-factor-reset"),
    path("users/<account:pk>/resend/", user_invitation_resend, name="user-invitation-resend"),
]
