"""Who must show a second factor, how long an idle session lives, where a login comes from.

docs/reliability.md #15 (throttling, sessions) and #16 (admins' second factor):

- ``IdleTimeoutMiddleware`` ends a session after ``SESSION_IDLE_TIMEOUT_PRIVILEGED`` seconds
  without a request for a regional operator or an admin, ``SESSION_IDLE_TIMEOUT`` for the others;
- ``SecondFactorMiddleware`` keeps a user who must have a second factor (a superuser, staff, the
  «администратор» role) on the «Код подтверждения» page until a TOTP or backup code verifies the
  session: the admin site, the import and every other page stay out of reach until then;
- ``PortalAdminSite`` is django-otp's admin site, which refuses an unverified session by itself,
  so the admin holds even if the middleware were taken out; every ModelAdmin registered with it
  refuses invisible and control characters like the portal's forms (docs/reliability.md #39).
"""

import hashlib
import logging
import time

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render, resolve_url
from django.urls import Resolver404, resolve, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import devices_for_user
from django_otp import login as otp_login
from django_otp.admin import OTPAdminSite

from common.filters import SafeChangeListMixin
from common.forms import PlainTextAdminMixin
from registry import access, permissions
from registry.models import UserScope

Role = UserScope.Role

logger = logging.getLogger(__name__)

LAST_ACTIVITY_KEY = "last_activity"
RULES_KEY = "security_rules"
ACTIVITY_COOKIE = "portal_activity"
ACTIVITY_SIGNER = signing.Signer(salt="mentoring_portal.security.activity")
# The activity cookie is renewed at most this often (an idle session may end up to a minute early).
ACTIVITY_RESOLUTION_SECONDS = 60
IDLE_MESSAGE = "Сеанс завершён: вы долго не работали с порталом. Войдите снова."
# Pages an unverified user who must have a second factor may still open.
SECOND_FACTOR_OPEN_URLS = {"login", "logout", "second-factor"}


def lockout_response(request, original_response, credentials):
    """django-axes' answer to a locked-out login: the Russian page, 429 Too Many Requests."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    logger.warning("login locked out: too many failures")
    return render(
        request, "registration/lockout.html", {"username": username, "minutes": minutes}, status=429
    )


def requires_second_factor(user) -> bool:
    """Admins of the portal: a superuser, a staff account (the admin site) or the admin role."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.is_staff or access.is_admin(user)


def idle_timeout_for(user) -> int:
    if requires_second_factor(user) or access.role_of(user) == Role.OPERATOR:
        return settings.SESSION_IDLE_TIMEOUT_PRIVILEGED
    return settings.SESSION_IDLE_TIMEOUT


def start_activity_clock(sender, request, user, **kwargs):
    """``user_logged_in``: the idle clock starts, and the user's rules are noted, in the session
    that the login writes anyway (the middlewares then need no query of the user's role per page).
    """
    request.session[LAST_ACTIVITY_KEY] = int(time.time())
    request.session[RULES_KEY] = _rules_of(user)


def _rules_of(user) -> list:
    return [requires_second_factor(user), idle_timeout_for(user)]


def session_rules(request) -> tuple[bool, int]:
    """(must give a second factor, idle limit in seconds) of the signed-in user, as noted at login.

    A superuser or staff flag (attributes of the user row, free to read) always counts at once.
    """
    rules = request.session.get(RULES_KEY)
    if rules is None:  # a session from before the rules were noted
        rules = request.session[RULES_KEY] = _rules_of(request.user)
    must, limit = rules
    if request.user.is_superuser or request.user.is_staff:
        return True, settings.SESSION_IDLE_TIMEOUT_PRIVILEGED
    return must, limit


def _session_tag(request) -> str:
    return hashlib.sha256(f"idle:{request.session.session_key}".encode()).hexdigest()[:24]


def _last_activity(request) -> int | None:
    """The later of the login time (in the session) and the activity cookie, if it is this session's.

    The cookie is signed with SECRET_KEY and names the session, so it cannot be forged, nor carried
    over from another session; without it the login time alone counts (an earlier logout, never a
    later one).
    """
    last = request.session.get(LAST_ACTIVITY_KEY)
    try:
        tag, stamp = ACTIVITY_SIGNER.unsign(request.COOKIES.get(ACTIVITY_COOKIE, "")).split(":")
    except (signing.BadSignature, ValueError):
        return last
    if tag != _session_tag(request):
        return last
    return max(int(stamp), last or 0)


class IdleTimeoutMiddleware:
    """Logs out a session idle for longer than its user's limit (ASVS 3.3.2).

    The time of the last request travels in a signed cookie, refreshed at most once a minute, rather
    than in the session: a session saved on every page would cost a database write per request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        now = int(time.time())
        last = None
        if request.user.is_authenticated:
            last = _last_activity(request)
            if last is None:  # a session from before the clock existed: it starts now
                request.session[LAST_ACTIVITY_KEY] = last = now
            if now - last > session_rules(request)[1]:
                logger.info("idle session ended: user id %s", request.user.pk)
                logout(request)  # flushes the session: the old cookie is worthless from now on
                messages.info(request, IDLE_MESSAGE)
                response = redirect_to_login(request.get_full_path())
                response.delete_cookie(ACTIVITY_COOKIE)
                return response
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and request.session.session_key:
            if last is None or now - last >= ACTIVITY_RESOLUTION_SECONDS:
                response.set_cookie(
                    ACTIVITY_COOKIE,
                    ACTIVITY_SIGNER.sign(f"{_session_tag(request)}:{now}"),
                    max_age=settings.SESSION_COOKIE_AGE,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
        return response


class SecondFactorMiddleware:
    """Sends a user who must have a second factor to «Код подтверждения» until it is given."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified():
            try:
                match = resolve(request.path_info)
            except Resolver404:
                match = None
            must = session_rules(request)[0]
            if not must and match is not None and _guarded(match):
                # Made an admin after signing in: the role is read again where it matters.
                must = requires_second_factor(user)
            if must:
                request.second_factor_pending = True  # base.html hides the menu
                if match is None or match.url_name not in SECOND_FACTOR_OPEN_URLS:
                    return redirect_to_login(request.get_full_path(), login_url=reverse("second-factor"))
        return self.get_response(request)


def _guarded(match) -> bool:
    """The admin site, the workbook import and the person's export and destruction (the most personal
    data in one request): never without a second factor (docs/reliability.md #16)."""
    return (
        match.app_name == "admin"
        or match.view_name in ("registry:workbook", "registry:person-export", "registry:person-destroy")
        or match.view_name.startswith("registry:import-job")
    )


class LoginForm(AuthenticationForm):
    """Django's login form, whose username is cut to the user model's length before authenticating.

    ``AuthenticationForm`` sets the field's ``max_length`` after the field is built, so no length
    validator runs and a 300-character name reached ``authenticate()``: django-axes then failed to
    store the attempt in its varchar(255) on PostgreSQL, a 500 on the login page. No account has a
    longer name, so the cut name fails as a wrong password does (and is throttled and logged).
    """

    def clean_username(self):
        return (self.cleaned_data.get("username") or "")[: self.fields["username"].max_length]


class SecondFactorForm(forms.Form):
    otp_token = forms.CharField(
        label="Код подтверждения",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": "Введите код подтверждения из приложения или резервный код."},
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.device = None

    def clean_otp_token(self):
        token = "".join(self.cleaned_data["otp_token"].split())
        # Each device counts its own failures and refuses for a growing pause after them. The devices
        # are read FOR UPDATE (a backup code works once even if sent twice at the same moment), which
        # PostgreSQL allows only inside a transaction; it commits on leaving the block, the failure
        # counts of a wrong code included.
        with transaction.atomic():
            for device in devices_for_user(self.user, for_verify=True):
                if device.verify_token(token):
                    self.device = device
                    return token
        raise forms.ValidationError(
            "Код не подошёл. Введите шесть цифр, которые приложение показывает сейчас "
            "(проверьте время на телефоне), или неиспользованный резервный код. "
            "После нескольких ошибок подождите немного перед новой попыткой."
        )


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("otp_token")
@never_cache
@login_required
def second_factor(request):
    """The second login step: a TOTP code (or a static backup code) verifies the session."""
    user = request.user
    if not requires_second_factor(user) or user.is_verified():
        return redirect(_next_url(request))
    has_device = any(devices_for_user(user))
    form = SecondFactorForm(user, request.POST or None)
    if request.method == "POST" and has_device:
        if form.is_valid():
            request.session.cycle_key()  # a new key for the now privileged session
            otp_login(request, form.device)
            logger.info("second factor verified: user id %s", user.pk)
            return redirect(_next_url(request))
        logger.warning("second factor refused: user id %s", user.pk)
        from . import throttle  # here: throttle imports this module

        # A wrong code counts for the address as a wrong password does: the address lock and
        # slowdown cover the second step too, beyond the device's own growing pause.
        throttle.record_failure(request, user.get_username())
    return render(
        request,
        "registration/second_factor.html",
        {"form": form, "has_device": has_device, "next": _next_url(request)},
    )


class PortalAdminSite(OTPAdminSite):
    """The admin site (``admin.site``): django-otp's, entered through the portal's login steps."""

    def __init__(self, name="admin"):
        super().__init__(name)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Every ModelAdmin, the portal's and the libraries' (axes, django-otp, tasks…), gets
        ``PlainTextAdminMixin`` (typed text is checked like the portal's forms) and
        ``SafeChangeListMixin`` (a filter value out of range in its changelist is a note, not a 500)."""
        admin_class = admin_class or ModelAdmin
        wanted = (PlainTextAdminMixin, SafeChangeListMixin)
        mixins = tuple(m for m in wanted if not issubclass(admin_class, m))
        if mixins:
            admin_class = type(
                admin_class.__name__,
                (*mixins, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)

    def login(self, request, extra_context=None):
        """No login form of its own: the portal's (password, then the code) is the one way in."""
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
            target = reverse("admin:index", current_app=self.name)
        if self.has_permission(request):
            return redirect(target)
        if request.user.is_authenticated:
            raise PermissionDenied  # signed in and verified, but not staff: the portal login would loop
        return redirect_to_login(target, login_url=resolve_url(settings.LOGIN_URL))


class MentorPagesMiddleware:
    """A mentor's own account reaches only the pages whose row in ``registry.permissions.PAGES`` names
    it (the dashboard, its pairs, their plans, meetings and agreements, its mentees' cards): every other
    page answers 403 before any object is looked up (``Page.refuses_first``), so that no list, export
    or registry page has to learn about the role. Pages outside the table (the Django admin) are
    closed to it anyway: a mentor is never staff."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        page = permissions.PAGES.get(request.resolver_match.view_name)
        # The page first: a page open to a mentor (or to anyone) asks nothing of the user's scope.
        if page is None or not page.refuses_first(UserScope.Role.MENTOR) or not request.user.is_authenticated:
            return None
        if access.role_of(request.user) == UserScope.Role.MENTOR:
            raise PermissionDenied("Эта страница недоступна наставнику: ему открыты только его пары.")
        return None
