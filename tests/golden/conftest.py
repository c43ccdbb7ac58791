"""What every golden test module shares: the golden files, the seeds' «%» as the portal prints it,
and the demo region seeded once for the package."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction

GOLDEN = Path(__file__).resolve().parents[2] / "fixtures" / "golden"
NBSP = "\xa0"


def golden(name: str):
    return json.loads((GOLDEN / name).read_text(encoding="utf-8"))


def printed(text: str) -> str:
    """The seeds' «67 %» as the portal writes it, with a no-break space."""
    return text.replace(" %", f"{NBSP}%")


# Package scope: the three golden modules share one seeding (each test still runs in its own
# rolled-back savepoint, so none sees another's writes). Under pytest-xdist the modules carry
# ``xdist_group("golden")`` so that one worker runs them all, one after the other, and seeds once
# (docs/architecture.md §11).
@pytest.fixture(scope="package")
def demo(django_db_setup, django_db_blocker):
    """``seed_demo`` once for ``tests/golden/``, inside a transaction rolled back at its end; its output."""
    with django_db_blocker.unblock(), transaction.atomic():
        out = io.StringIO()
        call_command("seed_demo", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)
