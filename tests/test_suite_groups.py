"""The suite's two groups stay what ``make test`` assumes (docs/architecture.md §11).

The parallel group (pytest-xdist, one test database per worker) must not hold a test that starts
real processes on a database of its own, mounts a filesystem or restarts a PostgreSQL cluster:
those carry ``pytest.mark.stack`` and run alone afterwards. The golden modules share one seeding
of the demo region only if one worker runs them all: they carry ``xdist_group("golden")``. A worker
runs modules in the scheduler's order, so a transactional test there restores a serialized database.
"""

import importlib
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
# What makes a module a stack test: the process stack of tests/stack.py, a mount, a private cluster.
STACK_SIGNS = re.compile(r"\bopen_stack\(|\bmount_tmpfs\(|\bpg_createcluster\b")


def modules():
    for path in sorted(TESTS.rglob("test_*.py")):
        yield path, ".".join(path.relative_to(ROOT).with_suffix("").parts)


def marks(module_name: str) -> list[pytest.Mark]:
    value = getattr(importlib.import_module(module_name), "pytestmark", [])
    return [getattr(m, "mark", m) for m in (value if isinstance(value, list) else [value])]


def test_every_module_that_starts_processes_is_in_the_stack_group():
    found = {name for path, name in modules() if STACK_SIGNS.search(path.read_text(encoding="utf-8"))}
    assert "tests.faults.test_report_queue" in found  # the signs still find the stack tests
    unmarked = sorted(name for name in found if "stack" not in {m.name for m in marks(name)})
    assert not unmarked, f"start processes but lack pytest.mark.stack: {unmarked}"


def test_the_golden_modules_run_on_one_worker():
    golden = [name for path, name in modules() if path.parent.name == "golden"]
    assert len(golden) >= 3
    for name in golden:
        groups = [m.args[0] for m in marks(name) if m.name == "xdist_group"]
        assert groups == ["golden"], name


def test_make_test_runs_the_parallel_group_then_the_stack_group():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ntest: install\n", 1)[1].split("\nendif\n", 1)[0]
    assert re.search(r"XDIST \?= -n 2 --dist loadgroup", makefile)
    assert '$(BIN)/pytest $(XDIST) -m "not stack"' in recipe
    assert "$(BIN)/pytest -m stack " in recipe
    assert "exit $$status" in recipe  # a failure (or no test, pytest's 5) of either group fails


def test_every_transactional_test_of_the_parallel_group_restores_a_serialized_database():
    plain = []
    for path, name in modules():
        text = path.read_text(encoding="utf-8")
        if "stack" in {m.name for m in marks(name)}:
            continue
        for line_number, line in enumerate(text.splitlines(), 1):
            if "django_db(transaction=True" in line and "serialized_rollback=True" not in line:
                plain.append(f"{name}:{line_number}")
    assert not plain, f"transactional without serialized_rollback=True: {plain}"
