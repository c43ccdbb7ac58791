"""Destructive actions look destructive (issue 19 §6): every button that deletes, destroys, archives,
returns or terminates carries the ``danger`` class, which the portal's stylesheet paints red."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESTRUCTIVE = re.compile(r"Удалить|Уничтожить|в архив|Вернуть на доработку|Прекратить|Отклонить", re.I)
BUTTON = re.compile(r"(<button\b[^>]*(?:\{%[^%]*%\}[^>]*)*>)(.*?)</button>", re.S)


def test_every_destructive_button_is_styled_as_danger():
    found, plain = 0, []
    for path in (ROOT / "templates").rglob("*.html"):
        for tag, inner in BUTTON.findall(path.read_text(encoding="utf-8")):
            if DESTRUCTIVE.search(inner) or 'value="return"' in tag or '== "return"' in tag:
                found += 1
                if "danger" not in tag:
                    plain.append(f"{path.relative_to(ROOT)}: {inner.strip()[:60]}")
    assert found >= 5  # the delete, destroy, archive, return and terminate buttons were all seen
    assert not plain, plain


def test_the_portal_stylesheet_paints_danger_red():
    css = (ROOT / "static" / "css" / "portal.css").read_text(encoding="utf-8")
    assert re.search(r"button\.danger[^{]*\{[^}]*background: #a4161a", css)
