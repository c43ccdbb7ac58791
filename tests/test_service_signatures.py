"""Services take keyword-only arguments (docs/architecture.md §2).

Every public function defined in a services module (the ``entity_action`` services such as
``campaign_open``, ``mentorship_save`` or ``report_file_request``, the reads beside them, and the
older one-word names ``imports.start``, ``imports.confirm`` and ``export_jobs.queue``) is called
with named arguments only: ``campaign_open(user=…, campaign=…)``. A new service with a positional
parameter fails here.
"""

import importlib
import inspect
import re
import types

import pytest

SERVICE_MODULES = [
    "monitoring.campaigns",
    "monitoring.surveys",
    "reports.services",
    "registry.services",
    "registry.meetings",
    "registry.people",
    "registry.privacy",
    "registry.organizations",
    "registry.regional",
    "registry.imports",
    "registry.export_jobs",
    "registry.agreements",
    "registry.plans",
    "mentoring_portal.notifications",
    "registry.accounts",
    "registry.users",
    "common.tables",
]
ENTITY_ACTION = re.compile(r"[a-z][a-z0-9]*(_[a-z0-9]+)+")
POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def public_functions(module) -> dict:
    """The module's own public functions (not those it imports), by name."""
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_") and inspect.isfunction(value) and value.__module__ == module.__name__
    }


def positional_parameters(module) -> dict[str, list[str]]:
    """{function: its parameters that may be passed by position} for every offending function."""
    found = {}
    for name, function in public_functions(module).items():
        names = [p.name for p in inspect.signature(function).parameters.values() if p.kind in POSITIONAL]
        if names:
            found[name] = names
    return found


@pytest.mark.parametrize("name", SERVICE_MODULES)
def test_services_take_keyword_only_arguments(name):
    assert positional_parameters(importlib.import_module(name)) == {}


@pytest.mark.parametrize("name", SERVICE_MODULES)
def test_a_services_module_has_entity_action_services(name):
    # The check above would pass vacuously on a module without functions (or on a wrong name).
    functions = public_functions(importlib.import_module(name))
    assert any(ENTITY_ACTION.fullmatch(function) for function in functions)


def test_the_check_sees_a_positional_service():
    module = types.ModuleType("probe.services")
    exec(  # a fixed snippet: a module with a positional service, a keyword-only one and a private helper
        "def thing_create(user, *, title): ...\n"
        "def thing_update(*, user, thing): ...\n"
        "def _helper(value): ...\n",
        module.__dict__,
    )
    assert positional_parameters(module) == {"thing_create": ["user"]}
