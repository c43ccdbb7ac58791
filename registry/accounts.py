"""Mentors' own accounts: a curator invites an adult mentor of its school into the portal.

The invitation creates an inactive user with the role «наставник» linked to the Person
(``UserScope.person``) and sends a Russian e-mail with a one-time link to set a password. The link
is Django's own password-reset token (``default_token_generator``): it holds the user's password
hash and last login, so it dies the moment the password is set, and after
``PASSWORD_RESET_TIMEOUT``. Setting the password activates the account.

The same link opens the accounts an admin invites from the users' screen (``registry.users``,
any role); ``invitation_user`` refuses an account turned off since. Each invitation and each
password set is also an ``AccountEvent`` of the account's history.

Pupils never get accounts: a person of the category «обучающийся» or under 18 on the day is refused,
whatever the form says (docs/domain.md §4.3).
"""

import datetime

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from .models import AccountEvent, Category, Person, UserScope, age_on

ADULT_AGE = 18

NOT_ADULT = (
    "В портал приглашают только взрослых наставников: обучающиеся и несовершеннолетние "
    "учётных записей не получают."
)
NO_EMAIL = "Укажите адрес электронной почты наставника: без него приглашение не отправить."
ALREADY = "Этот наставник уже приглашён в портал."
EMAIL_TAKEN = "Учётная запись с таким адресом электронной почты уже есть."
NOT_A_MENTOR = "Пригласить можно только наставника: участника из базы наставников."

SUBJECT = "Приглашение в портал «Наставничество»"


def is_adult(*, person: Person, today: datetime.date | None = None) -> bool:
    """Not a pupil and 18 or older on ``today``: the only people who may get an account."""
    today = today or timezone.localdate()
    return person.category != Category.STUDENT and age_on(person.birth_date, today) >= ADULT_AGE


def invite_refusal(*, person: Person, today: datetime.date | None = None) -> str:
    """Why ``person`` cannot be invited (the Russian text), or "" when it can."""
    if not is_adult(person=person, today=today):
        return NOT_ADULT
    if UserScope.objects.filter(person=person).exists():
        return ALREADY
    if not person.base_memberships.filter(base="mentors").exists():
        return NOT_A_MENTOR
    return ""


def invitation_path(*, user) -> str:
    """The one-time link's path: the user's id and a password-reset token."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return reverse("registry:mentor-invitation", args=[uid, token])


@transaction.atomic
def mentor_invite(*, person: Person, email: str, invited_by, base_url: str, today=None):
    """Create the mentor's inactive account and send the invitation; the new user.

    ``base_url`` is the portal's address as the curator reached it (``request.build_absolute_uri``),
    the link's prefix. Raises ``ValidationError`` with a Russian message when refused.
    """
    refusal = invite_refusal(person=person, today=today)
    if refusal:
        raise ValidationError(refusal)
    email = (email or person.email or "").strip().lower()
    if not email:
        raise ValidationError(NO_EMAIL)
    validate_email(email)
    User = get_user_model()
    if (
        User.objects.filter(username__iexact=email).exists()
        or User.objects.filter(email__iexact=email).exists()
    ):
        raise ValidationError(EMAIL_TAKEN)
    user = User(username=email, email=email, is_active=False)
    parts = person.full_name.split()
    user.last_name = parts[0][:150] if parts else ""
    user.first_name = " ".join(parts[1:])[:150]
    user.set_unusable_password()
    user.save()
    scope = UserScope.objects.create(user=user, role=UserScope.Role.MENTOR, person=person)
    AccountEvent.objects.create(
        user=user,
        username=user.username,
        actor=invited_by,
        actor_name=invited_by.get_username(),
        action=AccountEvent.Action.INVITED,
        details=f"{scope.territory_label()}; {email}",
    )
    LogEntry.objects.log_actions(
        user_id=invited_by.pk,
        queryset=[user],
        action_flag=ADDITION,
        change_message="Приглашён в портал как наставник (роль «наставник», ссылка отправлена на почту).",
        single_object=True,
    )
    link = base_url.rstrip("/") + invitation_path(user=user)
    days = max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)
    body = (
        f"Здравствуйте, {person.full_name}!\n\n"
        f"Куратор вашей организации ({person.organization}) приглашает вас в региональный портал "
        "«Наставничество»: в нём вы будете вести план и журнал встреч своих наставнических пар.\n\n"
        f"Чтобы задать пароль и войти, откройте ссылку (она действует {days} дн. и только один раз):\n"
        f"{link}\n\n"
        f"Ваше имя для входа: {email}\n\n"
        "Если вы не ждали этого письма, просто не отвечайте на него.\n"
    )
    transaction.on_commit(lambda: send_mail(SUBJECT, body, None, [email]))
    return user


def invitation_user(*, uidb64: str, token: str):
    """The invited user whose link this is, or None (unknown, used, expired or forged)."""
    try:
        pk = urlsafe_base64_decode(uidb64).decode()
        user = get_user_model().objects.select_related("scope").get(pk=pk)
    except (ValueError, TypeError, OverflowError, get_user_model().DoesNotExist):
        return None
    if not default_token_generator.check_token(user, token):
        return None
    # A mentor's invitation, or an account invited from the users' screen (registry.users); never
    # one an admin has turned off since.
    scope = getattr(user, "scope", None)
    if scope is None or scope.deactivated_at is not None:
        return None
    return user


@transaction.atomic
def invitation_accept(*, user, password: str):
    """Set the password from the invitation and open the account (the link dies with the old hash)."""
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])
    # The invitation came to this address and was opened: the address is confirmed.
    UserScope.objects.filter(user=user, email_confirmed_at__isnull=True).exclude(user__email="").update(
        email_confirmed_at=timezone.now()
    )
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[user],
        action_flag=CHANGE,
        change_message="Пароль задан по приглашению, учётная запись наставника открыта.",
        single_object=True,
    )
    AccountEvent.objects.create(
        user=user,
        username=user.username,
        actor=user,
        actor_name=user.get_username(),
        action=AccountEvent.Action.PASSWORD_SET,
    )
    return user
