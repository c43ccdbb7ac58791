"""People of the portal: the admin's screen of accounts, roles and territories (docs/architecture.md §7).

Only the admin role manages accounts (the write rule «accounts» of ``auth.user`` in
``registry.access``): a regional operator could otherwise hand out a territory beyond its own or
the admin role itself. What each function does is written into ``AccountEvent`` (who, when, what)
in the same transaction, and shown on the user's page.

- ``user_invite``: a new account, inactive, without a password; the invitee gets the same one-time
  link as an invited mentor (``registry.accounts``: Django's password-reset token) and opens the
  account by setting a password. ``user_invitation_resend`` sends a fresh link while it is unused.
- ``user_scope_change``: the role and its territory; the user's sessions end, so that the next
  login notes the new role's rules (a second factor for an admin, the shorter idle limit).
- ``user_deactivate`` / ``user_reactivate``: an account turned off cannot sign in (Django refuses an
  inactive user, a live session included), nor be opened by an old invitation link. Never one's
  own account, never the last active admin.
- ``user_second_factor_reset``: the user's OTP devices are deleted; an admin then gets a new one
  before it can sign in again (``manage.py add_totp_device``, the «Код подтверждения» page says so).

Bad input raises ``ValidationError`` with a Russian message keyed by the form's field; nothing is
written then.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django_otp import devices_for_user

from .accounts import EMAIL_TAKEN, SUBJECT, invitation_path
from .models import AccountEvent, Municipality, Organization, Region, UserScope

Role = UserScope.Role
Action = AccountEvent.Action

# The roles the screen hands out; a mentor's account comes from its curator (registry.accounts).
MANAGED_ROLES = (Role.CURATOR, Role.COORDINATOR, Role.OPERATOR, Role.ADMIN)

ACTIVE, INVITED, DEACTIVATED = "active", "invited", "deactivated"
STATES = {ACTIVE: "действует", INVITED: "приглашён, пароль не задан", DEACTIVATED: "отключена"}

NO_NAME = "Укажите фамилию, имя и отчество."
NO_EMAIL = "Укажите адрес электронной почты: на него придёт ссылка для входа."
NO_ROLE = "Выберите роль."
NOT_MANAGED = (
    "Здесь выдаются роли куратора ОО, координатора, оператора и администратора; "
    "наставника приглашает куратор его организации."
)
NEEDS_ORGANIZATION = "Для роли «куратор ОО» укажите организацию (код ОО)."
NEEDS_MUNICIPALITY = "Для роли «муниципальный координатор» выберите муниципалитет."
NEEDS_REGION = "Для роли «региональный оператор» выберите регион."
NO_SUCH_ORGANIZATION = "Организации с кодом «{code}» нет в реестре."
ORGANIZATION_OUTSIDE = "Организация «{organization}» не входит в выбранный муниципалитет «{municipality}»."
MUNICIPALITY_OUTSIDE = "Муниципалитет «{municipality}» не входит в выбранный регион «{region}»."
NOT_YOURSELF = "Свою учётную запись здесь изменить нельзя: попросите другого администратора."
LAST_ADMIN = "Это последний действующий администратор портала: без него управлять порталом будет некому."
MENTOR_SCOPE = "Учётная запись наставника связана с его карточкой участника: её роль здесь не меняется."
SUPERUSER_SCOPE = "Это суперпользователь: его права задаются в администрировании Django."
UNCHANGED = "Роль и территория не изменились."
NOT_PENDING = "Повторное приглашение отправляют, пока пароль не задан и учётная запись не отключена."
ALREADY_OFF = "Учётная запись уже отключена."
ALREADY_ON = "Учётная запись уже включена."
NO_DEVICES = "У пользователя нет устройств второго фактора: сбрасывать нечего."


def user_list(*, user) -> QuerySet:
    """Every account with its role and territory, for the admin (``ValidationError`` never: the view
    asks ``access.require_write`` first)."""
    return (
        get_user_model()
        .objects.select_related(
            "scope__organization__municipality",
            "scope__municipality__region",
            "scope__region",
            "scope__person",
        )
        .order_by("last_name", "first_name", "username")
    )


def user_state(*, user) -> str:
    """``ACTIVE``, ``INVITED`` (no password yet) or ``DEACTIVATED``."""
    if user.is_active:
        return ACTIVE
    scope = getattr(user, "scope", None)
    if (scope is None or scope.deactivated_at is None) and not user.has_usable_password():
        return INVITED
    return DEACTIVATED


def state_q(*, state: str) -> Q:
    """The filter of the list for a state (``user_state`` in SQL: «no password» is ``password`` «!…»)."""
    unusable = Q(password__startswith=UNUSABLE_PASSWORD_PREFIX)
    if state == ACTIVE:
        return Q(is_active=True)
    if state == INVITED:
        return Q(is_active=False) & unusable & (Q(scope__isnull=True) | Q(scope__deactivated_at__isnull=True))
    return Q(is_active=False) & ~(unusable & (Q(scope__isnull=True) | Q(scope__deactivated_at__isnull=True)))


def user_events(*, user) -> QuerySet:
    return AccountEvent.objects.filter(user=user).select_related("actor").order_by("-at", "-pk")


def user_territory(*, user) -> str:
    if user.is_superuser:
        return "администратор (суперпользователь)"
    scope = getattr(user, "scope", None)
    return scope.territory_label() if scope else "нет роли"


def user_full_name(*, user) -> str:
    """«Фамилия Имя Отчество» as Russian documents write it (the surname is ``last_name``), or the login."""
    return " ".join(part for part in (user.last_name, user.first_name) if part) or user.username


def _record(*, user, actor, action: str, details: str = "") -> AccountEvent:
    return AccountEvent.objects.create(
        user=user,
        username=user.username,
        actor=actor,
        actor_name=(actor.get_username() if actor else ""),
        action=action,
        details=details,
    )


def scope_fields(*, role: str, organization_code: str = "", municipality=None, region=None) -> dict:
    """The scope row's territory for ``role``: {organization, municipality, region}, exactly one set
    (none for an admin). Raises ``ValidationError`` keyed by field when the choice does not fit."""
    if not role:
        raise ValidationError({"role": NO_ROLE})
    if role not in MANAGED_ROLES:
        raise ValidationError({"role": NOT_MANAGED})
    empty = {"organization": None, "municipality": None, "region": None}
    if municipality is not None and region is not None and municipality.region_id != region.pk:
        raise ValidationError(
            {"municipality": MUNICIPALITY_OUTSIDE.format(municipality=municipality, region=region)}
        )
    if role == Role.ADMIN:
        return empty
    if role == Role.OPERATOR:
        if region is None:
            raise ValidationError({"region": NEEDS_REGION})
        return empty | {"region": region}
    if role == Role.COORDINATOR:
        if municipality is None:
            raise ValidationError({"municipality": NEEDS_MUNICIPALITY})
        return empty | {"municipality": municipality}
    code = (organization_code or "").strip()
    if not code:
        raise ValidationError({"organization_code": NEEDS_ORGANIZATION})
    organization = Organization.objects.select_related("municipality__region").filter(code=code).first()
    if organization is None:
        raise ValidationError({"organization_code": NO_SUCH_ORGANIZATION.format(code=code)})
    if municipality is not None and organization.municipality_id != municipality.pk:
        raise ValidationError(
            {
                "organization_code": ORGANIZATION_OUTSIDE.format(
                    organization=organization, municipality=municipality
                )
            }
        )
    if region is not None and organization.municipality.region_id != region.pk:
        raise ValidationError(
            {
                "organization_code": ORGANIZATION_OUTSIDE.format(
                    organization=organization, municipality=f"{region} (регион)"
                )
            }
        )
    return empty | {"organization": organization}


def _invitation_body(*, full_name: str, email: str, scope: UserScope, link: str) -> str:
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    admin_note = (
        "Для входа администратора нужен второй фактор: получите у администратора сервера ключ "
        "для приложения-аутентификатора.\n\n"
        if scope.role == Role.ADMIN
        else ""
    )
    return (
        f"Здравствуйте, {full_name}!\n\n"
        "Администратор приглашает вас в региональный портал «Наставничество». "
        f"Ваша роль: {scope.territory_label()}.\n\n"
        f"Чтобы задать пароль и войти, откройте ссылку (она действует {days} дн. и только один раз):\n"
        f"{link}\n\n"
        f"Ваше имя для входа: {email}\n\n"
        f"{admin_note}"
        "Если вы не ждали этого письма, просто не отвечайте на него.\n"
    )


def _send_invitation(*, user, base_url: str) -> None:
    link = base_url.rstrip("/") + invitation_path(user=user)
    body = _invitation_body(
        full_name=user_full_name(user=user), email=user.email, scope=user.scope, link=link
    )
    email = user.email
    transaction.on_commit(lambda: send_mail(SUBJECT, body, None, [email]))


@transaction.atomic
def user_invite(
    *,
    full_name: str,
    email: str,
    role: str,
    organization_code: str = "",
    municipality: Municipality | None = None,
    region: Region | None = None,
    invited_by,
    base_url: str,
):
    """A new account with its role and territory, inactive until the invitee sets a password from
    the link sent to ``email``; the new user."""
    full_name = " ".join((full_name or "").split())
    if not full_name:
        raise ValidationError({"full_name": NO_NAME})
    email = (email or "").strip().lower()
    if not email:
        raise ValidationError({"email": NO_EMAIL})
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": "Введите правильный адрес электронной почты."}) from exc
    territory = scope_fields(
        role=role, organization_code=organization_code, municipality=municipality, region=region
    )
    User = get_user_model()
    if User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
        raise ValidationError({"email": EMAIL_TAKEN})
    parts = full_name.split()
    user = User(username=email, email=email, is_active=False, last_name=parts[0][:150])
    user.first_name = " ".join(parts[1:])[:150]
    user.set_unusable_password()
    user.save()
    scope = UserScope.objects.create(user=user, role=role, **territory)
    _record(user=user, actor=invited_by, action=Action.INVITED, details=f"{scope.territory_label()}; {email}")
    _send_invitation(user=user, base_url=base_url)
    return user


@transaction.atomic
def user_invitation_resend(*, user, by, base_url: str):
    """A fresh link to an invitee who has not set a password yet."""
    if user_state(user=user) != INVITED or not hasattr(user, "scope"):
        raise ValidationError(NOT_PENDING)
    _record(user=user, actor=by, action=Action.REINVITED, details=user.email)
    _send_invitation(user=user, base_url=base_url)
    return user


def _admins_q() -> Q:
    return Q(is_superuser=True) | Q(scope__role=Role.ADMIN)


def _is_admin_account(user) -> bool:
    scope = getattr(user, "scope", None)
    return user.is_superuser or (scope is not None and scope.role == Role.ADMIN)


def _refuse_last_admin(user) -> None:
    """Refuses a change that leaves the portal without an active admin. Every active admin's row is
    locked first, in the order of ids (so two such changes never deadlock): of two admins turning
    each other off at once, the second waits for the first and then finds itself the last one."""
    if not (user.is_active and _is_admin_account(user)):
        return
    User = get_user_model()
    admins = list(
        User.objects.select_for_update(of=("self",))
        .filter(_admins_q(), is_active=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not [pk for pk in admins if pk != user.pk]:
        raise ValidationError(LAST_ADMIN)


def _refuse_self(user, by) -> None:
    if user.pk == by.pk:
        raise ValidationError(NOT_YOURSELF)


def _end_sessions(user) -> int:
    """Ends the user's sessions (the database's sessions); how many."""
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        return 0
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended


@transaction.atomic
def user_scope_change(
    *,
    user,
    by,
    role: str,
    organization_code: str = "",
    municipality: Municipality | None = None,
    region: Region | None = None,
):
    """Another role or territory for ``user``; its sessions end. The user's scope row."""
    _refuse_self(user, by)
    if user.is_superuser:
        raise ValidationError(SUPERUSER_SCOPE)
    scope = UserScope.objects.select_for_update().filter(user=user).first()
    if scope is not None and scope.role == Role.MENTOR:
        raise ValidationError(MENTOR_SCOPE)
    territory = scope_fields(
        role=role, organization_code=organization_code, municipality=municipality, region=region
    )
    before = scope.territory_label() if scope else "нет роли"
    if scope is not None and role != Role.ADMIN:
        _refuse_last_admin(user)
    if scope is None:
        scope = UserScope(user=user)
    elif scope.role == role and all(
        getattr(scope, f"{k}_id") == (v.pk if v else None) for k, v in territory.items()
    ):
        raise ValidationError(UNCHANGED)
    scope.role = role
    for name, value in territory.items():
        setattr(scope, name, value)
    scope.full_clean(exclude=["user"])
    scope.save()
    _record(user=user, actor=by, action=Action.SCOPE_CHANGED, details=f"{before} → {scope.territory_label()}")
    _end_sessions(user)
    return scope


@transaction.atomic
def user_deactivate(*, user, by):
    """Turns the account off: no login, no live session, no invitation link."""
    _refuse_self(user, by)
    if user_state(user=user) == DEACTIVATED:
        raise ValidationError(ALREADY_OFF)
    _refuse_last_admin(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    UserScope.objects.filter(user=user).update(deactivated_at=timezone.now())
    _record(user=user, actor=by, action=Action.DEACTIVATED)
    _end_sessions(user)
    return user


@transaction.atomic
def user_reactivate(*, user, by):
    """Turns the account on again: active with its password, or back to «invited» without one."""
    _refuse_self(user, by)
    if user_state(user=user) != DEACTIVATED:
        raise ValidationError(ALREADY_ON)
    user.is_active = user.has_usable_password()
    user.save(update_fields=["is_active"])
    UserScope.objects.filter(user=user).update(deactivated_at=None)
    _record(
        user=user,
        actor=by,
        action=Action.REACTIVATED,
        details="" if user.is_active else "пароль ещё не задан: войти можно по приглашению",
    )
    return user


@transaction.atomic
def user_second_factor_reset(*, user, by) -> int:
    """Deletes the user's second-factor devices (TOTP and backup codes); how many."""
    _refuse_self(user, by)
    devices = list(devices_for_user(user, confirmed=None))
    if not devices:
        raise ValidationError(NO_DEVICES)
    names = ", ".join(sorted(str(device.name) for device in devices))
    for device in devices:
        device.delete()
    _record(
        user=user,
        actor=by,
        action=Action.SECOND_FACTOR_RESET,
        details=f"удалено устройств: {len(devices)} ({names})",
    )
    return len(devices)


# ---------------------------------------------------------------- changes made in the Django admin

ADMIN_SITE = "в администрировании Django"


def user_snapshot(*, user_id) -> tuple[str, bool] | None:
    """(role and territory, active) of the account as stored now; None for an unknown id."""
    stored = (
        get_user_model()
        .objects.select_related(
            "scope__organization", "scope__municipality", "scope__region", "scope__person"
        )
        .filter(pk=user_id)
        .first()
    )
    return None if stored is None else (user_territory(user=stored), stored.is_active)


def user_change_record(*, user_id, by, before: tuple[str, bool] | None) -> list[AccountEvent]:
    """The events of a change made outside this module (the Django admin's user and scope forms):
    what differs between ``before`` (``user_snapshot`` taken before the save) and the stored row."""
    after = user_snapshot(user_id=user_id)
    if before is None or after is None:
        return []
    user = get_user_model().objects.get(pk=user_id)
    events = []
    if after[0] != before[0]:
        details = f"{before[0]} → {after[0]} ({ADMIN_SITE})"
        events.append(_record(user=user, actor=by, action=Action.SCOPE_CHANGED, details=details))
    if after[1] != before[1]:
        action = Action.REACTIVATED if after[1] else Action.DEACTIVATED
        events.append(_record(user=user, actor=by, action=action, details=ADMIN_SITE))
    return events
