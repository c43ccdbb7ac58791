"""What a web process does once, after loading the application and before its first request.

Python's collector walks every tracked object of the process in a full (generation 2)
collection. A worker holds ≈ 100,000 objects from start-up (Django, the apps, the URL
configuration) that live as long as the process; a page that allocates much (the survey round's
results) triggers a full collection every ≈ 17 requests, and that request pays 100+ ms walking
them (measured, bench/README.md «Survey results»). ``gc.freeze()`` moves the start-up objects
into a permanent generation the collector skips; the collector stays on for what requests make.
"""

import gc


def settle() -> None:
    """Import what every request needs (the URL configuration pulls in every view), then freeze."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 — the import of every urls and views module
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
