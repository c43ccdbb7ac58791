"""The repository explains itself: every ``docs/…`` section a comment, README or note cites exists.

Citations look like ``docs/architecture.md §6``, ``docs/reliability.md #49`` or
``docs/reliability.md A13``; the cited file must exist and hold a heading of that section (``## §6 …``,
``#### #49``) or, for a lettered anchor or indicator (``A13``, ``F1``), name it.
"""

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CITATION = re.compile(r"docs/(\w+)\.md((?:[ ,]+(?:and )?(?:§[\d.]*\d|#\d+(?:–#?\d+)?|[A-Z]\d+)\b)*)")
PART = re.compile(r"§([\d.]*\d)|#(\d+)(?:–#?(\d+))?|\b([A-Z]\d+)\b")


def _tracked_text_files():
    names = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-co", "--exclude-standard"], capture_output=True, text=True
    ).stdout.split()
    for name in names:
        path = ROOT / name
        scripts = name == "Makefile" or name.startswith(".ci/")
        if (scripts or path.suffix in {".py", ".md", ".html", ".sh", ".toml", ".example"}) and path.is_file():
            yield name, path.read_text(encoding="utf-8", errors="replace")


def test_every_cited_section_of_docs_exists():
    docs = {path.stem: path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md")}
    missing = []
    for name, text in _tracked_text_files():
        for match in CITATION.finditer(text):
            doc, parts = match.group(1), match.group(2)
            if doc not in docs:
                missing.append((name, match.group(0)))
                continue
            body = docs[doc]
            for section, case, last, anchor in PART.findall(parts):
                if section:
                    found = re.search(rf"^#+ §{re.escape(section)}\b", body, flags=re.M)
                elif case:
                    found = all(
                        re.search(rf"^#### #{n}$", body, flags=re.M)
                        for n in range(int(case), int(last or case) + 1)
                    )
                else:
                    found = re.search(rf"\b{anchor}\b", body)
                if not found:
                    missing.append((name, match.group(0)))
    assert missing == []


def test_no_comment_cites_a_document_outside_the_repository():
    outside = re.compile(r"\b(?:DESIGN|RELIABILITY|DOMAIN)(?:\.md)?\s*(?:§|#\d)")
    cited = [
        name for name, text in _tracked_text_files() if not name.startswith("docs/") and outside.search(text)
    ]
    assert cited == []
