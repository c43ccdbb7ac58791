"""Recording the access log in one place (docs/reliability.md #60, #1).

``AccessLogMiddleware`` looks at the resolved URL name of each request and writes one
``AccessLogEntry`` when the name has an ``Audit`` in ``registry.permissions.AUDITED`` (card views,
exports, report downloads, document files, imports, destruction), when a list is exported with
``?format=xlsx``, when any other view answers with a file (``Content-Disposition``; also logged as
a warning: add it to the table), and whenever access is refused: ``registry.access.ScopeDenied``
(a scoped 404) or a 403 (``PermissionDenied``, a CSRF failure). Logins, failed logins and logouts
come from Django's auth signals below.

An entry holds ids only: the URL's own arguments (a UUID, a number, a school code), the user's
id and username, never a name, birth date or any other value from the rows (ASVS 16.2.5). A
failure to write one never breaks the response: it goes to the ``mentoring_portal.audit`` logger.
"""

import inspect
import logging
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Subquery, Value
from django.db.models.functions import Coalesce
from django.dispatch import receiver
from django.urls import Resolver404, resolve

from registry import access, permissions
from registry.models import UserScope
from registry.permissions import Audit

from . import client
from .logs import NO_REQUEST, current_request_id, escape_controls
from .models import AccessLogEntry

logger = logging.getLogger("mentoring_portal.audit")
Action = AccessLogEntry.Action


# The table of audited URL names lives with the rest of each page's rules (docs/architecture.md §7).
Rule = Audit
READ, POST = permissions.READ, permissions.POST
AUDITED = permissions.AUDITED

# URL names that answer with a file and are deliberately not logged (tests/test_audit.py checks
# that every file-returning view is in AUDITED or here).
EXEMPT: dict[str, str] = {}

ID_KWARGS = ("pk", "code", "object_id")  # object_id: the admin's change pages
# URL arguments that are secrets and never written: a survey link's token is its only key, as is a
# calendar feed's (mentoring_portal.calendar), a password reset's and an address confirmation's.
SECRET_KWARGS = frozenset({"token", "uidb64"})
MAX_ID = 100
MAX_DETAILS = 200


def _rule(request, match, response) -> Rule | None:
    rule = AUDITED.get(match.view_name)
    if rule is not None and request.method in rule.methods:
        if rule.action == Action.DESTROY and not 300 <= response.status_code < 400:
            return None  # the form came back with errors: nothing was destroyed
        return rule
    if request.method in READ and request.GET.get("format") == "xlsx":
        return Rule(Action.EXPORT, "", READ)
    if match.view_name.startswith("admin:"):
        return _admin_rule(request, match, response)
    return None


def _admin_rule(request, match, response) -> Rule | None:
    """django-import-export in the admin: the upload and confirmation of an import, any file it
    answers with (the export page, the «export» action of a list)."""
    if request.method != "POST":
        return None
    if match.view_name.endswith(("_import", "_process_import")):
        return Rule(Action.IMPORT, _admin_model(match), POST)
    if response.has_header("Content-Disposition"):
        return Rule(Action.EXPORT, _admin_model(match), POST)
    return None


def _admin_model(match) -> str:
    model_admin = getattr(match.func, "model_admin", None) or getattr(
        inspect.unwrap(match.func), "__self__", None
    )
    model = getattr(model_admin, "model", None)
    return model._meta.label_lower if model is not None else ""


def _ids(kwargs: dict) -> tuple[str, str]:
    """The URL's main id and its other arguments, escaped: ``<str:code>`` takes any text."""
    kwargs = {key: str(value) for key, value in kwargs.items() if key not in SECRET_KWARGS}
    main_key = next((key for key in ID_KWARGS if key in kwargs), None)
    main = kwargs.pop(main_key, "") if main_key else ""
    details = ", ".join(f"{key}={value}" for key, value in sorted(kwargs.items()))
    return escape_controls(main)[:MAX_ID], escape_controls(details)[:MAX_DETAILS]


def _redirect_id(response) -> str:
    """The id of the object a POST created, read from its redirect (the upload → its job)."""
    location = response.get("Location") if response.status_code in (301, 302, 303) else None
    if not location:
        return ""
    try:
        return _ids(resolve(urlsplit(location).path).kwargs)[0]
    except Resolver404:
        return ""


def _who(user) -> dict:
    if user is None or not user.is_authenticated:
        return {"user": None, "username": "", "role": ""}
    return {"user": user, "username": user.get_username(), "role": _role(user)}


def _role(user):
    """The user's role without a query of its own: from the scope the view has already loaded, or
    read by the INSERT itself (a subquery), so that a logged request costs one INSERT and no more."""
    if user.is_superuser or get_user_model().scope.related.is_cached(user):
        return access.role_of(user) or ""
    scope = UserScope.objects.filter(user_id=user.pk).values("role")[:1]
    return Coalesce(Subquery(scope), Value(""))


def write(request, action, *, user=None, username="", object_type="", object_id="", details="", status=None):
    """Insert one entry (the only write the app ever makes to the log)."""
    match = getattr(request, "resolver_match", None) if request is not None else None
    who = _who(user)
    if username and who["user"] is None:
        who["username"] = username
    request_id = getattr(request, "request_id", "") or current_request_id()
    entry = AccessLogEntry.objects.create(
        **who,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details,
        url_name=match.view_name[:100] if match else "",
        method=(request.method or "")[:10] if request is not None else "",
        ip=client.client_ip(request) if request is not None else None,
        request_id="" if request_id == NO_REQUEST else request_id,
        status=status,
    )
    logger.info(
        "%s user=%s url=%s object=%s:%s status=%s ip=%s",
        entry.action,
        entry.user_id or "-",
        entry.url_name or "-",
        entry.object_type or "-",
        entry.object_id or "-",
        entry.status or "-",
        entry.ip or "-",
    )
    return entry


def record(request, response) -> AccessLogEntry | None:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return None  # no view answered (an unknown path): nothing was accessed
    if match.namespace == "api":
        return _api_call(request, response)
    denied_model = getattr(request, "_audit_scope_denied", None)
    rule = _rule(request, match, response)
    if denied_model is not None or response.status_code == 403:
        action = Action.DENIED
        object_type = denied_model._meta.label_lower if denied_model is not None else ""
        object_type = object_type or (rule.object_type if rule else "")
    elif rule is not None:
        action, object_type = rule.action, rule.object_type
    elif response.has_header("Content-Disposition") and match.view_name not in EXEMPT:
        logger.warning("file answered by %s, which has no rule in mentoring_portal.audit", match.view_name)
        action, object_type = Action.EXPORT, ""
    else:
        return None
    object_id, details = _ids(match.kwargs)
    if not object_id and action != Action.DENIED:
        object_id = _redirect_id(response)
    return write(
        request,
        action,
        user=getattr(request, "user", None),
        object_type=object_type,
        object_id=object_id,
        details=details,
        status=response.status_code,
    )


def _api_call(request, response) -> AccessLogEntry:
    """Every call of the API (mentoring_portal.api), refused ones included: the key's name and
    prefix (never its secret), the path with its parameters, the status."""
    token = getattr(request, "api_token", None)
    return write(
        request,
        Action.API,
        username=f"API: {token.name}"[:150] if token is not None else "",
        object_type="api",
        object_id=token.prefix if token is not None else "",
        details=escape_controls(request.get_full_path())[:MAX_DETAILS],
        status=response.status_code,
    )


class AccessLogMiddleware:
    """After AuthenticationMiddleware (the entry needs the user)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        try:
            record(request, response)
        except Exception:
            # The user gets the page; the missing entry is an error in the log, never silence.
            logger.exception("access log entry not written")
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, access.ScopeDenied):
            request._audit_scope_denied = exception.model
        return None  # Django answers as usual (404)


def _safely(action, request, **fields):
    try:
        write(request, action, **fields)
    except Exception:
        logger.exception("access log entry not written")


@receiver(user_logged_in, dispatch_uid="mentoring_portal.audit.logged_in")
def _logged_in(sender, request, user, **kwargs):
    _safely(Action.LOGIN, request, user=user)


@receiver(user_logged_out, dispatch_uid="mentoring_portal.audit.logged_out")
def _logged_out(sender, request, user, **kwargs):
    _safely(Action.LOGOUT, request, user=user)


@receiver(user_login_failed, dispatch_uid="mentoring_portal.audit.login_failed")
def _login_failed(sender, credentials, request=None, **kwargs):
    # Django has already masked the password in ``credentials``; only the name typed is kept.
    typed = str(credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or "")
    _safely(Action.LOGIN_FAILED, request, username=escape_controls(typed)[:150])
