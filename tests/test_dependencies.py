"""The offline half of the dependency audit (docs/reliability.md §4 #66; anchors A8, A11, A12).

``.ci/audit`` runs pip-audit when an advisory service answers; where none does (a closed network)
it runs this module instead: every advisory that docs/reliability.md §1 names, with the release that fixed it,
checked against the installed version and against the pin in pyproject.toml. A downgrade below a
fix, or a pin that drifts from what is installed, fails CI either way.
"""

import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]

# (distribution, advisory, first fixed release): the advisories of docs/reliability.md §1 A8, A11, A12.
ADVISORIES = [
    # A12: Django
    ("Django", "CVE-2025-64459 (_connector SQL injection via filter(**dict))", "5.2.8"),
    ("Django", "CVE-2025-57833 (FilteredRelation alias SQL injection)", "5.2.6"),
    ("Django", "CVE-2025-13372 (FilteredRelation alias SQL injection on PostgreSQL)", "5.2.9"),
    ("Django", "CVE-2025-48432 (log injection via request.path)", "5.2.3"),
    ("Django", "CVE-2025-32873 (strip_tags denial of service)", "5.2.1"),
    ("Django", "CVE-2024-53907 (strip_tags denial of service)", "5.1.4"),
    # A11: WeasyPrint
    ("weasyprint", "GHSA-35jj-wx47-4w8r / CVE-2024-28184 (attachments skipped url_fetcher)", "61.2"),
    ("weasyprint", "GHSA-983w-rhvv-gwmv / CVE-2025-68616 (SSRF guard bypass via redirect)", "68.0"),
    ("weasyprint", "GHSA-jhhc-3hcp-qhm5 / CVE-2026-49452 (CSS injection via presentational hints)", "69.0"),
    ("weasyprint", "GHSA-jf6q-chmf-3h3v / CVE-2026-55073 (stylesheets=, xmp_metadata= unfetched)", "70.0"),
    ("weasyprint", "GHSA-r543-q48m-4c9j (EPS images reach Ghostscript)", "70.0"),
    # A8: django-import-export and tablib
    ("tablib", "django-import-export #1543 (formula injection in exports; fixed in tablib)", "3.4.0"),
    ("django-import-export", "django-import-export #1547 (XSS in HTML export; PR #1546)", "3.1.0"),
]


def pinned() -> dict[str, Version]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = [Requirement(line) for line in project["dependencies"]]
    pins = {}
    for requirement in requirements:
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{requirement.name} must be pinned exactly: {requirement}"
        pins[requirement.name.lower()] = Version(specifier.version)
    return pins


@pytest.mark.parametrize(
    "distribution, advisory, fixed", ADVISORIES, ids=[advisory.split()[0] for _, advisory, _ in ADVISORIES]
)
def test_installed_and_pinned_versions_include_the_fix(distribution, advisory, fixed):
    installed = Version(version(distribution))
    pin = pinned()[distribution.lower()]
    assert installed == pin, f"{distribution}: installed {installed}, pyproject pins {pin}"
    assert installed >= Version(fixed), f"{distribution} {installed}: {advisory}, fixed in {fixed}"


def test_openpyxl_parses_workbooks_through_defusedxml():
    """openpyxl falls back to the plain parser, silently, when defusedxml is missing (A8, #66)."""
    from openpyxl.xml import DEFUSEDXML

    assert "defusedxml" in pinned()
    assert DEFUSEDXML is True


def test_the_startup_check_reports_no_problem_with_defusedxml_or_the_key():
    from django.core import checks

    ids = {message.id for message in checks.run_checks()}
    assert not ids & {"portal.E001", "portal.E002"}
