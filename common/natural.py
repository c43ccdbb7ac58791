"""Natural order in the database: «СОШ № 2» before «СОШ № 10» (docs/architecture.md §4.2).

``common.text.natural_key`` sorts names already read into Python (the campaign pages, the reports'
tables). A paginated list must sort in the database, before the page is cut: ``natural(field)``
orders by the column under the collation named ``natural``, which compares runs of digits as
numbers. On PostgreSQL it is an ICU collation (``ru-u-kn-true``: Russian order, numeric digits)
created by registry's migration 0020; SQLite has no ICU, so each SQLite connection gets the
collation as a Python function over ``natural_key`` itself when it opens (``register``, connected
in ``CommonConfig.ready``). Both put «ё» with «е» and ignore case in the first comparison.
"""

from django.db.models import F
from django.db.models.functions import Collate

from common.text import natural_key

NATURAL = "natural"


def natural(field: str) -> Collate:
    """``field`` for ``order_by`` in natural order (``.desc()`` for the other way round)."""
    return Collate(F(field), NATURAL)


def _compare(left: str | None, right: str | None) -> int:
    a = (natural_key(left or ""), left or "")  # equal keys: the text itself, for one stable order
    b = (natural_key(right or ""), right or "")
    return (a > b) - (a < b)


def register(sender, connection, **kwargs) -> None:
    """The ``natural`` collation on a new SQLite connection (``connection_created``)."""
    if connection.vendor == "sqlite":
        connection.connection.create_collation(NATURAL, _compare)
