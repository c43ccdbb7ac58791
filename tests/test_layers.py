"""The packages import downwards only: common ← registry ← monitoring ← reports ← mentoring_portal
(docs/architecture.md §2).

The check reads the source (every ``import`` and ``from … import``, at module level or inside a
function), so an upward import is caught whether or not a test happens to run it.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ("common", "registry", "monitoring", "reports", "mentoring_portal")  # bottom to top
APPS = ("registry", "monitoring", "reports")


def imported_modules(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, dotted module) of every import of ``path``, relative ones resolved from ``root``."""
    module_parts = list(path.relative_to(root).with_suffix("").parts)
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module_parts[: len(module_parts) - node.level]  # "__init__" counts as a part
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            found.append((node.lineno, name))
            # "from monitoring import views" imports a module too
            found.extend((node.lineno, f"{name}.{alias.name}") for alias in node.names)
    return found


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", LAYERS)
def test_a_package_imports_no_package_above_it(package):
    above = LAYERS[LAYERS.index(package) + 1 :]
    upward = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in sources(package)
        for line, name in imported_modules(path)
        if name.split(".")[0] in above
    ]
    assert upward == []


def test_no_module_reads_another_package_through_its_views():
    """The dashboard and any other reader use an app's selectors or services, never its views;
    only URL configurations name views."""
    through_views = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for package in LAYERS
        for path in sources(package)
        if path.name != "urls.py"
        for line, name in imported_modules(path)
        if name.split(".")[0] in APPS and name.split(".")[0] != package and "views" in name.split(".")[1:]
    ]
    assert through_views == []


def test_the_check_sees_an_upward_import(tmp_path):
    """The reader resolves absolute, relative and function-level imports (else the tests above
    would pass on anything)."""
    package = tmp_path / "registry"
    (package / "workbook").mkdir(parents=True)
    module = package / "workbook" / "probe.py"
    module.write_text(
        "from .. import models\n"
        "def f():\n"
        "    from monitoring.views.campaigns import x\n"
        "    import reports.builders\n",
        encoding="utf-8",
    )
    names = [name for _, name in imported_modules(module, root=tmp_path)]
    assert "registry.models" in names
    assert "monitoring.views.campaigns" in names
    assert "reports.builders" in names
