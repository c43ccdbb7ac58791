"""Who may change a report: reports' rows of the one table of write rules (docs/architecture.md §7).

``registry.access.can_write(user, report, action)`` answers; ``ReportsConfig.ready`` adds these rows
so that the registry never imports reports. Admins pass every rule.
"""

from registry import access
from registry.access import Role, WriteRule

EDIT = access.EDIT  # create, edit the narrative, redraft
PUBLISH = "publish"

PUBLISHERS = frozenset({Role.ADMIN, Role.OPERATOR, Role.COORDINATOR})


def _edits(scope, report) -> bool:
    """Its territory's operator or coordinator; a curator only its own school's note."""
    from .models import Kind

    if scope.role == Role.CURATOR and report.kind != Kind.SCHOOL_NOTE:
        return False
    return access.scope_holds(scope, report)


RULES = (
    (
        "reports.report",
        EDIT,
        WriteRule(
            "its territory's operator or coordinator, admin; a curator its own school's note only",
            PUBLISHERS | {Role.CURATOR},
            "Этот отчёт вы можете только просматривать.",
            territory=_edits,
        ),
    ),
    (
        "reports.report",
        PUBLISH,
        WriteRule(
            "its territory's operator or coordinator, admin",
            PUBLISHERS,
            "Публикует отчёт региональный оператор или муниципальный координатор.",
            territory=access.scope_holds,
        ),
    ),
)


def register() -> None:
    for label, action, rule in RULES:
        access.register_write(label, action, rule)
