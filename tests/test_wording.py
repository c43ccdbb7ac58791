"""One spelling and one name per role everywhere (issue 19 §6): «Отчёты» with ё, and the five role
names of ``UserScope.Role`` (куратор ОО, муниципальный координатор, региональный оператор,
администратор, наставник) without variants in templates, messages, docs and the dashboard.
"""

import re
import subprocess
from pathlib import Path

import pytest

from registry.models import UserScope
from tests import factories as f

ROOT = Path(__file__).resolve().parent.parent


def _sources():
    names = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard"], capture_output=True, text=True
    ).stdout.split()
    for name in names:
        path = ROOT / name
        # Migrations keep the words of their day; fixtures quote the source documents' titles.
        if "/migrations/" in name or name.startswith("fixtures/") or name == "tests/test_wording.py":
            continue
        if path.suffix in {".py", ".html", ".md", ".css", ".txt"} and path.is_file():
            yield name, path.read_text(encoding="utf-8", errors="replace")


def test_report_is_spelled_with_yo_everywhere():
    found = [
        f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group()}"
        for name, text in _sources()
        for m in re.finditer(r"(?i)отчет\w*", text)
    ]
    assert not found, "«отчёт» пишется через ё:\n" + "\n".join(found)


VARIANTS = re.compile(r"куратор(?:а|у|ом)? организации|координатор\w* муниципалитета|(?<!\w)куратор школы")


def test_each_role_has_one_name():
    assert [label for _, label in UserScope.Role.choices] == [
        "куратор ОО",
        "муниципальный координатор",
        "региональный оператор",
        "администратор",
        "наставник",
    ]
    found = [f"{name}: {m.group()}" for name, text in _sources() for m in VARIANTS.finditer(text)]
    assert not found, "\n".join(found)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [UserScope.Role.CURATOR, UserScope.Role.COORDINATOR, UserScope.Role.OPERATOR]
)
def test_the_dashboard_names_the_role_as_the_choices_do(client, school, role):
    territory = {
        UserScope.Role.CURATOR: {"organization": school},
        UserScope.Role.COORDINATOR: {"municipality": school.municipality},
        UserScope.Role.OPERATOR: {"region": school.municipality.region},
    }[role]
    client.force_login(f.make_user(role=role, **territory))
    body = client.get("/").content.decode()
    assert f'<p class="muted">{role.label[0].upper()}{role.label[1:]} · данные на' in body
