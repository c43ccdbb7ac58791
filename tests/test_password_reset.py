"""Password reset by e-mail and the address confirmed on first login (mentoring_portal.accounts_mail;
docs/architecture.md §7, docs/reliability.md, password reset)."""

import re

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from mentoring_portal.models import AccessLogEntry, MailRequest
from registry.models import AccountEvent, UserScope
from tests import factories as f
from tests.conftest import verify_second_factor

pytestmark = pytest.mark.django_db

Action = AccessLogEntry.Action
LINK = re.compile(r"https?://testserver/\S+")


def link_in(message) -> str:
    links = LINK.findall(message.body)
    assert len(links) == 1, message.body
    return links[0].replace("http://testserver", "")


def request_reset(client, email):
    return client.post(reverse("password-reset"), {"email": email})


def test_login_page_links_to_the_reset(client):
    assert reverse("password-reset") in client.get(reverse("login")).content.decode()
    page = client.get(reverse("password-reset")).content.decode()
    assert "Восстановление пароля" in page and 'name="email"' in page


def test_reset_end_to_end(client, curator):
    curator.email = "kurator@school.ru"
    curator.save()
    response = request_reset(client, "Kurator@school.ru")
    assert response.status_code == 302 and response["Location"] == reverse("password-reset-done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["kurator@school.ru"] and "Восстановление пароля" in message.subject
    url = link_in(message)  # absolute, this host
    form = client.get(url, follow=True)
    assert form.status_code == 200 and form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "Новый-пароль-2026", "new_password2": "Новый-пароль-2026"},
    )
    assert done.status_code == 302 and done["Location"] == reverse("password-reset-complete")
    curator.refresh_from_db()
    assert curator.check_password("Новый-пароль-2026")
    # The link works once.
    assert not client.get(url, follow=True).context["validlink"]
    assert AccountEvent.objects.filter(user=curator, action=AccountEvent.Action.PASSWORD_RESET).count() == 1
    actions = list(AccessLogEntry.objects.order_by("pk").values_list("action", flat=True))
    assert Action.RESET_REQUESTED in actions and Action.RESET_DONE in actions
    # The log holds no e-mail; the throttle's table only its hash.
    assert "kurator" not in " ".join(AccessLogEntry.objects.values_list("details", flat=True))
    assert not MailRequest.objects.filter(email_key__icontains="kurator").exists()
    # Signing in with the new password works (no session was opened by the reset).
    assert "_auth_user_id" not in client.session
    login = client.post(reverse("login"), {"username": curator.username, "password": "Новый-пароль-2026"})
    assert login.status_code == 302 and int(client.session["_auth_user_id"]) == curator.pk


def test_no_enumeration(client, curator):
    curator.email = "kurator@school.ru"
    curator.save()
    known = request_reset(client, "kurator@school.ru")
    unknown = request_reset(client, "nobody@school.ru")
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    assert [m.to for m in mail.outbox] == [["kurator@school.ru"]]
    page = client.get(known["Location"]).content.decode()
    assert "Если этот адрес принадлежит учётной записи" in page


@override_settings(ACCOUNT_MAILS_PER_EMAIL_HOUR=3, ACCOUNT_MAILS_PER_ADDRESS_HOUR=10)
def test_reset_is_throttled_per_email_and_per_address(client, curator):
    curator.email = "kurator@school.ru"
    curator.save()
    for _ in range(3):
        assert request_reset(client, "kurator@school.ru").status_code == 302
    refused = request_reset(client, "KURATOR@school.ru")
    assert refused.status_code == 429
    assert "Слишком много писем" in refused.content.decode()
    assert len(mail.outbox) == 3
    # An unknown address is refused the same way (the refusal tells nothing either).
    for _ in range(3):
        request_reset(client, "nobody@school.ru")
    assert request_reset(client, "nobody@school.ru").status_code == 429
    assert AccessLogEntry.objects.filter(action=Action.MAIL_THROTTLED, status=429).count() == 2
    # Per address: ten requests from one computer, whatever the addresses.
    for i in range(4):
        request_reset(client, f"other{i}@school.ru")
    assert request_reset(client, "fresh@school.ru").status_code == 429
    other = client.__class__(REMOTE_ADDR="10.0.0.9")
    assert request_reset(other, "fresh@school.ru").status_code == 302


def test_admin_still_gives_the_second_factor_after_a_reset(client, db):
    admin = f.make_user("boss", role="admin")
    admin.email = "boss@region.ru"
    admin.is_staff = True
    admin.save()
    verify_second_factor(client.__class__(), admin)  # the admin has a TOTP device
    request_reset(client, "boss@region.ru")
    url = link_in(mail.outbox[0])
    form = client.get(url, follow=True)
    client.post(
        form.redirect_chain[-1][0], {"new_password1": "Другой-пароль-77", "new_password2": "Другой-пароль-77"}
    )
    client.post(reverse("login"), {"username": "boss", "password": "Другой-пароль-77"})
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("second-factor"))


def test_bad_reset_links_answer_an_invalid_link_page(client):
    for uid, token in (("x", "y"), ("MQ", "set-password"), ("\x00", "\x00"), ("a" * 300, "b" * 300)):
        response = client.get(reverse("password-reset-confirm", kwargs={"uidb64": uid, "token": token}))
        assert response.status_code == 200 and not response.context["validlink"]
        assert "Ссылка неверна" in response.content.decode()


# ---------------------------------------------------------------- the address confirmed


@pytest.fixture
def newcomer(school):
    user = f.make_user("newcomer", role="curator", organization=school, email_confirmed_at=None)
    user.email = "new@school.ru"
    user.save()
    return user


def test_first_login_asks_for_the_confirmation_then_the_portal_stays_open(client, newcomer, curator):
    login = client.post(reverse("login"), {"username": "newcomer", "password": "pass"})
    assert login.status_code == 302 and login["Location"].startswith(reverse("email-confirm"))
    page = client.get(login["Location"])
    assert page.status_code == 200 and "new@school.ru" in page.content.decode()
    dashboard = client.get(reverse("dashboard"))
    assert dashboard.status_code == 200  # not locked out
    assert 'data-prompt="email-confirm"' in dashboard.content.decode()
    # A confirmed user is not asked.
    other = client.__class__()
    assert other.post(reverse("login"), {"username": curator.username, "password": "pass"})["Location"] == "/"
    assert 'data-prompt="email-confirm"' not in other.get(reverse("dashboard")).content.decode()


def test_confirmation_mail_link_confirms_and_may_correct_the_address(client_for, newcomer, curator):
    client = client_for(newcomer)
    sent = client.post(reverse("email-confirm"), {"email": "ivanova@school.ru", "next": "/"})
    assert sent.status_code == 302
    assert mail.outbox[-1].to == ["ivanova@school.ru"]
    url = link_in(mail.outbox[-1])
    newcomer.refresh_from_db()
    assert newcomer.email == "new@school.ru"  # changed only when the link is followed
    # Another user's session cannot use the link.
    assert client_for(curator).get(url).status_code == 404
    client = client_for(newcomer)
    assert client.get(url).status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.email == "ivanova@school.ru"
    assert UserScope.objects.get(user=newcomer).email_confirmed_at is not None
    assert AccountEvent.objects.filter(user=newcomer, action=AccountEvent.Action.EMAIL_CONFIRMED).count() == 1
    assert AccessLogEntry.objects.filter(user=newcomer, action=Action.EMAIL_CONFIRMED).count() == 1
    assert 'data-prompt="email-confirm"' not in client.get(reverse("dashboard")).content.decode()


def test_confirmation_rejects_garbage_and_bad_addresses_and_is_throttled(client_for, newcomer):
    client = client_for(newcomer)
    for token in ("x", "\x00", "a" * 500, "eyJ1IjoxfQ:1abc:def"):
        assert client.get(f"/account/email/{token}/").status_code == 404, token
    bad = client.post(reverse("email-confirm"), {"email": "не адрес"})
    assert bad.status_code == 200 and "Адрес электронной почты: введите адрес" in bad.content.decode()
    assert mail.outbox == []
    for _ in range(3):
        assert client.post(reverse("email-confirm"), {"email": "new@school.ru"}).status_code == 302
    refused = client.post(reverse("email-confirm"), {"email": "new@school.ru"})
    assert refused.status_code == 429 and "Слишком много писем" in refused.content.decode()
    assert len(mail.outbox) == 3
    assert AccessLogEntry.objects.filter(action=Action.EMAIL_CONFIRM_SENT, user=newcomer).count() == 3


def test_setting_the_password_from_an_invitation_confirms_the_address(newcomer):
    from registry import accounts

    accounts.invitation_accept(user=newcomer, password="Пароль-из-письма-1")
    assert UserScope.objects.get(user=newcomer).email_confirmed_at is not None
