"""The per-address login throttle: password spraying, one address trying a password on many names.

django-axes locks a name from an address (``AXES_LOCKOUT_PARAMETERS``); its ``["ip_address"]``
parameter would share the same failure limit, and a successful login (``AXES_RESET_ON_SUCCESS``)
would delete every attempt from the address, so one teacher signing in would clear a sprayer's
count. This module keeps its own count (``LoginFailure``), which a login never resets:

- every failed password (Django's ``user_login_failed``) and every refused second-factor code is a
  row: the address (an IPv6 client's /64, ``LOGIN_IP_V6_PREFIX``) and the typed name, case-folded;
- after ``LOGIN_IP_SLOWDOWN_FAILURES`` failures within ``LOGIN_IP_WINDOW``, an attempt from the
  address sooner than ``LOGIN_IP_SLOWDOWN_SECONDS`` after its last failure is refused with a 429
  before the password is looked at;
- when ``LOGIN_IP_LOCKOUT_NAMES`` different names have failed within ``LOGIN_IP_WINDOW``, the
  address is locked for ``LOGIN_IP_LOCKOUT_TIME``: every login, second-factor or admin-login POST
  from it gets the Russian 429 page, whatever the name or password. The lock and each refusal are
  entries of the access log («блокировка адреса», «замедление входа с адреса»).

A refused attempt is not counted (its password was never checked), so the lock ends on time.
"""

import collections
import dataclasses
import datetime
import ipaddress
import logging
import math

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.shortcuts import render
from django.utils import timezone

from . import audit, client
from .logs import escape_controls
from .models import AccessLogEntry, LoginFailure

logger = logging.getLogger(__name__)
Action = AccessLogEntry.Action

# POSTs to these URLs are refused from a slowed or locked address (the admin's login only sends
# to the portal's, but it is a login URL and is guarded like one).
GUARDED = {"login", "second-factor", "admin:login"}
SLOW, LOCKED = "slow", "locked"


@dataclasses.dataclass(frozen=True)
class Verdict:
    state: str  # SLOW or LOCKED
    retry_after: int  # seconds


def address_key(ip: str | None) -> str:
    """What the throttle counts by: an IPv4 address, an IPv6 client's network (its /64: one
    subscriber holds all of it, and a new address in it costs an attacker nothing)."""
    if not ip:
        return "unknown"
    address = ipaddress.ip_address(ip)
    if address.version == 6:
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/{settings.LOGIN_IP_V6_PREFIX}", strict=False))
    return str(address)


def name_key(typed) -> str:
    return str(typed or "").strip().casefold()[:150]


def request_address(request) -> str:
    return address_key(client.client_ip(request))


def verdict(address: str, now: datetime.datetime | None = None) -> Verdict | None:
    """None when the address may try a password now; else why not and for how many seconds."""
    now = now or timezone.now()
    window, lock_time = settings.LOGIN_IP_WINDOW, settings.LOGIN_IP_LOCKOUT_TIME
    failures = list(
        LoginFailure.objects.filter(address=address, at__gte=now - window - lock_time)
        .order_by("at", "pk")
        .values_list("name", "at")
    )
    # The last moment at which the failures of one window covered enough different names.
    locked_at = None
    names = collections.Counter()
    start = 0
    for name, at in failures:
        names[name] += 1
        while failures[start][1] <= at - window:
            old = failures[start][0]
            names[old] -= 1
            if not names[old]:
                del names[old]
            start += 1
        if len(names) >= settings.LOGIN_IP_LOCKOUT_NAMES:
            locked_at = at
    if locked_at is not None and now < locked_at + lock_time:
        return Verdict(LOCKED, _seconds(locked_at + lock_time - now))
    recent = [at for _, at in failures if at > now - window]
    pause = datetime.timedelta(seconds=settings.LOGIN_IP_SLOWDOWN_SECONDS)
    if len(recent) >= settings.LOGIN_IP_SLOWDOWN_FAILURES and now < recent[-1] + pause:
        return Verdict(SLOW, _seconds(recent[-1] + pause - now))
    return None


def _seconds(delta: datetime.timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))


def record_failure(request, typed_name) -> None:
    """Count one failure from the request's address; the one that locks the address is logged."""
    address = request_address(request)
    now = timezone.now()
    forgotten = now - settings.LOGIN_IP_WINDOW - settings.LOGIN_IP_LOCKOUT_TIME
    LoginFailure.objects.filter(at__lt=forgotten).delete()
    LoginFailure.objects.create(address=address, name=name_key(typed_name), at=now)
    result = verdict(address, now)
    if result is not None and result.state == LOCKED:
        # Attempts are refused unchecked while the address is locked: this failure set the lock.
        request.login_address_locked = result
        logger.warning(
            "login address locked: %s different names failed from %s within %s min",
            settings.LOGIN_IP_LOCKOUT_NAMES,
            address,
            int(settings.LOGIN_IP_WINDOW.total_seconds() // 60),
        )
        _log(Action.IP_LOCKED, request, username=escape_controls(str(typed_name or ""))[:150], status=429)


def _log(action, request, **fields) -> None:
    try:
        audit.write(request, action, **fields)
    except Exception:
        # The refusal stands; the missing entry is an error in the log.
        logger.exception("access log entry not written")


@receiver(user_login_failed, dispatch_uid="mentoring_portal.throttle.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    if request is None:
        return  # no address to count (a script's authenticate())
    record_failure(request, credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username"))


def _plural(number: int, one: str, few: str, many: str) -> str:
    if number % 10 == 1 and number % 100 != 11:
        return one
    if 2 <= number % 10 <= 4 and not 12 <= number % 100 <= 14:
        return few
    return many


def refusal(request, result: Verdict):
    """The Russian 429 page of a slowed or locked address, with Retry-After."""
    if result.state == SLOW:
        wait = f"{result.retry_after} {_plural(result.retry_after, 'секунду', 'секунды', 'секунд')}"
        message = f"Слишком много попыток входа с вашего адреса, повторите через {wait}."
    else:
        minutes = math.ceil(result.retry_after / 60)
        wait = f"{minutes} {_plural(minutes, 'минуту', 'минуты', 'минут')}"
        message = (
            "Слишком много неудачных попыток входа с вашего адреса под разными именами: "
            f"вход с этого адреса закрыт, повторите через {wait}."
        )
    response = render(request, "registration/address_lockout.html", {"message": message}, status=429)
    response["Retry-After"] = str(result.retry_after)
    return response


class LoginThrottleMiddleware:
    """Refuses a login, second-factor or admin-login POST from a slowed or locked address before
    the view checks anything; answers the failure that locks the address with the same page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        locked = getattr(request, "login_address_locked", None)
        if locked is not None:
            return refusal(request, locked)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.resolver_match.view_name not in GUARDED:
            return None
        result = verdict(request_address(request))
        if result is None:
            return None
        typed = request.POST.get("username") or getattr(request.user, "username", "")
        logger.warning("login refused from %s: address %s", request_address(request), result.state)
        _log(
            Action.IP_LOCKED if result.state == LOCKED else Action.IP_THROTTLED,
            request,
            user=request.user,
            username=escape_controls(str(typed))[:150],
            status=429,
        )
        return refusal(request, result)
