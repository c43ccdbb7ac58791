"""docs/reliability.md #59: history comes from ``post_save`` (django-simple-history), so a raw ``update()``,
``bulk_create()`` or ``bulk_update()`` on an audited model writes a change nobody can trace (A13).

The lint reads the source of the apps and finds every such call on a chain that starts at an
audited model (``Person.objects.filter(…).update(…)``). The only ones allowed are listed in
``ALLOWED`` with the reason; an ``update()`` allowed there may only set fields that the model's
history leaves out (the copies a person's own history already keeps).
"""

import ast
from pathlib import Path

import pytest
from django.apps import apps

ROOT = Path(__file__).resolve().parents[2]
APPS = ("registry", "monitoring", "reports", "mentoring_portal")
RAW = {"update", "bulk_create", "bulk_update"}
MANAGERS = {"objects", "_default_manager", "_base_manager"}

# (file, function, model, method): (fields it may set, why it is allowed)
ALLOWED = {
    ("registry/services.py", "person_sync_links", "MentorshipLink", "update"): (
        {"mentor_category", "mentee_category", "mentee_teaching_experience", "mentee_birth_date"},
        "copies of the person's attributes; the person's own history holds the change",
    ),
    ("registry/workbook/sheets/people.py", "_refresh_link_copies", "MentorshipLink", "update"): (
        {"mentor_category", "mentee_category", "mentee_teaching_experience", "mentee_birth_date"},
        "the same copies, refreshed for the people an import changed",
    ),
    ("registry/meetings.py", "_refresh_last_meeting", "Mentorship", "update"): (
        {"last_meeting_on"},
        "the pair's latest meeting date, a copy of its meetings' dates (their own history keeps them): "
        "a history row of the pair per meeting would say nothing",
    ),
    ("monitoring/demo.py", "create", "Campaign", "update"): (
        {"created_at"},
        "the demo back-dates a campaign's creation; no user edits anything",
    ),
    ("monitoring/surveys.py", "survey_answer", "SurveyInvitation", "update"): (
        {"answered_on"},
        "the day a personal link was used, left out of the invitation's history: a history row's time "
        "would date an anonymous answer to the second (docs/domain.md §7)",
    ),
    ("monitoring/surveys.py", "survey_person_forget", "SurveyInvitation", "update"): (
        {"person"},
        "a person's data destroyed: the invitations' history rows lose the person in the same step",
    ),
}
# Raw writes that change a field the history keeps, because they rewrite the history rows as well.
REWRITE_HISTORY_TOO = {("monitoring/surveys.py", "survey_person_forget", "SurveyInvitation", "update")}


def audited_models() -> dict[str, type]:
    """Models with a django-simple-history manager, by class name."""
    return {
        model.__name__: model
        for model in apps.get_models()
        if getattr(model._meta, "simple_history_manager_attribute", None)
    }


def _chain_root(node: ast.AST) -> tuple[str | None, list[str]]:
    """The name a call chain starts from and the attributes on the way (``Person``, [objects, filter])."""
    attrs = []
    while True:
        if isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id, list(reversed(attrs))
        else:
            return None, []


def raw_writes(source: str, path: str, audited: set[str]) -> list[tuple]:
    """Every raw write on an audited model in ``source``: (path, function, model, method, kwargs, line)."""
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            name = child.name if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else function
            if (
                isinstance(child, ast.Call)
                and isinstance(child.func, ast.Attribute)
                and child.func.attr in RAW
            ):
                root, attrs = _chain_root(child.func.value)
                if root in audited and attrs and attrs[0] in MANAGERS:
                    keywords = {k.arg for k in child.keywords if k.arg and child.func.attr == "update"}
                    found.append((path, function, root, child.func.attr, keywords, child.lineno))
            visit(child, name)

    visit(ast.parse(source), "<module>")
    return found


def project_sources():
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def test_the_lint_finds_a_raw_write_on_an_audited_model():
    """Control: the patterns the lint exists for are caught, others are not."""
    audited = set(audited_models())
    source = (
        "def f(rows):\n"
        "    Person.objects.filter(pk=1).update(full_name='x')\n"
        "    Mentorship.objects.bulk_create(rows)\n"
        "    Submission._default_manager.all().bulk_update(rows, ['status'])\n"
        "    ImportJob.objects.filter(pk=1).update(status='done')\n"
        "    context.update(x=1)\n"
    )
    found = raw_writes(source, "x.py", audited)
    assert [(f[2], f[3], f[5]) for f in found] == [
        ("Person", "update", 2),
        ("Mentorship", "bulk_create", 3),
        ("Submission", "bulk_update", 4),
    ]
    assert {"Person", "Mentorship", "MentorshipLink", "Submission", "SubmissionValue"} <= audited


@pytest.mark.django_db
def test_no_raw_write_on_audited_models_outside_the_allowed_helpers():
    audited = audited_models()
    found = [w for path, text in project_sources() for w in raw_writes(text, path, set(audited))]
    unexplained = [w for w in found if w[:4] not in ALLOWED]
    assert unexplained == [], "raw writes on audited models leave no history (docs/reliability.md #59)"
    for path, function, model, method, keywords, line in found:
        fields, _why = ALLOWED[(path, function, model, method)]
        assert keywords <= fields, f"{path}:{line} sets {keywords - fields}, not allowed"


@pytest.mark.django_db
def test_allowed_raw_writes_touch_only_fields_the_history_leaves_out():
    """An allowed ``update()`` changes nothing the history would have recorded; no entry is stale."""
    audited = audited_models()
    found = {w[:4] for path, text in project_sources() for w in raw_writes(text, path, set(audited))}
    assert set(ALLOWED) == found, "ALLOWED lists a call that no longer exists"
    for (_path, _function, model_name, _method), (fields, _why) in ALLOWED.items():
        model = audited[model_name]
        if model_name == "Campaign" or (_path, _function, model_name, _method) in REWRITE_HISTORY_TOO:
            continue  # the demo's back-dated creation time; a destruction that wipes the history too
        history_fields = {f.name for f in model.history.model._meta.fields}
        assert fields & history_fields == set(), f"{model_name}: {fields & history_fields} are in its history"
