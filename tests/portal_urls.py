"""The one walk of the URL resolver the tests share: every named URL, with stand-in arguments.

What each name allows is in ``registry.permissions.PAGES`` (docs/architecture.md §7);
tests/battery/test_access_matrix.py fails on a name missing there.
"""

import uuid

from django.urls import URLPattern, URLResolver, get_resolver, reverse

DUMMY = {
    "int": 1,
    "uuid": uuid.UUID(int=1),
    "str": "x",
    "string": "x",
    "path": "x",
    "slug": "x",
    "accountid": 10**15,  # an account's id (registry.views.users): the test's own users hold the small ones
}


def url_patterns(resolver=None, namespace="", admin=False):
    """(name, pattern) of every named URL; the Django admin's only with ``admin=True``."""
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin" and not admin:
                continue
            if pattern.namespace == "api":
                continue  # the API: a key, not a session; JSON, not pages (tests/api/)
            inner = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from url_patterns(pattern, namespace + inner, admin)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield namespace + pattern.name, pattern


def dummy_kwargs(name, pattern) -> dict:
    converters = getattr(pattern.pattern, "converters", {})
    kwargs = {
        key: DUMMY[type(conv).__name__.removesuffix("Converter").lower()] for key, conv in converters.items()
    }
    if name.endswith("file") and "fmt" in kwargs:
        kwargs["fmt"] = "pdf"
    return kwargs


def dummy_url(name, pattern) -> str:
    return reverse(name, kwargs=dummy_kwargs(name, pattern))
