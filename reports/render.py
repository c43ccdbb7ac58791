"""A report's document → HTML, PDF (WeasyPrint, through ``reports.pdf``) or DOCX (``reports.docx``).

The HTML template escapes every value (Django's autoescape); charts are SVG written by matplotlib
(``reports.charts``), which escapes its text. The PDF is WeasyPrint's rendering of exactly the HTML
file a user downloads (stylesheet inlined); its URL fetcher allows only ``data:`` URIs and the portal's
own static files (``reports.pdf``).
"""

import datetime
import functools
import hashlib
import json
import re
from importlib import metadata
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import get_template, render_to_string

from common.downloads import shorten_file_name
from common.text import HIDDEN, printable

from . import charts, unbroken
from .models import Format

STYLESHEET = "reports/report.css"
MAX_FILE_NAME_BYTES = 240
PREVIEW_ROWS = 300  # rows of a table shown on the screen; files hold them all
CONTENT_TYPES = {
    Format.PDF: "application/pdf",
    Format.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    Format.HTML: "text/html; charset=utf-8",
}


@functools.lru_cache(maxsize=64)
def _chart_uri(block_json: str) -> str:
    """A chart's SVG as a data URI; the same chart (a report's preview seen again) is drawn once."""
    return charts.svg_data_uri(json.loads(block_json), title=False)


def _view(document: dict, *, preview_rows: int | None = None) -> dict:
    """The document with what the template needs: chart SVGs, cell alignments, preview cuts."""
    blocks = []
    for block in document["blocks"]:
        if block["type"] == "chart":
            block = {**block, "src": _chart_uri(json.dumps(block, sort_keys=True, ensure_ascii=False))}
        elif block["type"] == "table":
            aligns = [
                "" if column.get("align", "left") == "left" else f"align-{column['align']}"
                for column in block["columns"]
            ]
            rows = block["rows"]
            hidden = 0
            if preview_rows is not None and len(rows) > preview_rows:
                rows, hidden = rows[:preview_rows], len(rows) - preview_rows
            # Figures and date ranges unbroken inside a cell (reports.unbroken); the rest escaped.
            rows = [
                {**r, "view": list(zip([unbroken.html(c) for c in r["cells"]], aligns, strict=False))}
                for r in rows
            ]
            block = {**block, "shown_rows": rows, "hidden_rows": hidden}
        blocks.append(block)
    return {**document, "blocks": blocks}


def printable_document(document, path: str = "document"):
    """The document with hidden characters left out of every text (``common.text``).

    A report's texts are copies of stored names and notes: one written round the forms (a
    right-to-left override, a byte-order mark, a C0 control) would read otherwise in the HTML
    and the PDF and break the DOCX's XML. The warning names the path inside the document.
    """
    if isinstance(document, str):
        return printable(document, lambda: f"report {path}") if HIDDEN.search(document) else document
    if isinstance(document, dict):
        return {key: printable_document(value, f"{path}.{key}") for key, value in document.items()}
    if isinstance(document, (list, tuple)):
        return [printable_document(value, f"{path}[{index}]") for index, value in enumerate(document)]
    return document


def blocks_html(document: dict) -> str:
    """The document's body for a portal page (long tables cut, with a note)."""
    view = _view(printable_document(document), preview_rows=PREVIEW_ROWS)
    return render_to_string("reports/_blocks.html", {"document": view})


def stylesheet_text() -> str:
    return Path(finders.find(STYLESHEET)).read_text(encoding="utf-8")


def to_html(document: dict) -> str:
    """The standalone HTML file, its stylesheet inlined (the PDF is rendered from this same file)."""
    return render_to_string(
        "reports/document.html",
        {"document": _view(printable_document(document)), "inline_css": stylesheet_text()},
    )


def to_pdf(document: dict, *, created: datetime.datetime | None = None, progress=None) -> tuple[bytes, int]:
    from .pdf import render_document

    # The stylesheet inlined: the PDF is WeasyPrint's rendering of exactly the HTML file a user
    # downloads; the safe fetcher still stands guard over any other resource.
    html = to_html(document)
    title = printable_document(document["title"], "document.title")
    return render_document(html, title=title, created=created, progress=progress)


def to_docx(document: dict, *, created: datetime.datetime | None = None) -> bytes:
    from . import docx

    return docx.render(printable_document(document), created=created)


def render(document: dict, fmt: str, *, created=None, progress=None) -> tuple[bytes, int | None]:
    """(bytes, pages) of the document in ``fmt``; pages only for a PDF."""
    if fmt == Format.PDF:
        return to_pdf(document, created=created, progress=progress)
    if fmt == Format.DOCX:
        return to_docx(document, created=created), None
    return to_html(document).encode("utf-8"), None


#: What turns a document into bytes besides the document itself: the templates and stylesheets, this
#: module and its helpers, and the libraries that lay out, draw and write the files.
RENDERER_TEMPLATES = ("reports/document.html", "reports/_blocks.html")
RENDERER_STATIC = (STYLESHEET,)
RENDERER_MODULES = ("render.py", "pdf.py", "docx.py", "charts.py", "unbroken.py")
RENDERER_LIBRARIES = ("weasyprint", "pydyf", "matplotlib", "python-docx")


@functools.cache
def renderer_version() -> str:
    """A digest of the renderer: a changed template, stylesheet, renderer module or library version
    gives files rendered from then on another fingerprint (computed once per process)."""
    digest = hashlib.sha256()
    sources = [Path(get_template(name).origin.name) for name in RENDERER_TEMPLATES]
    sources += [Path(finders.find(name)) for name in RENDERER_STATIC]
    sources += [Path(__file__).with_name(name) for name in RENDERER_MODULES]
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    for library in RENDERER_LIBRARIES:
        try:
            digest.update(f"{library}={metadata.version(library)}\0".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{library}=?\0".encode())
    return digest.hexdigest()


def content_hash(document: dict, fmt: str, *, on: datetime.date, version: int | None = None) -> str:
    """The fingerprint of a file: the same document (figures and text), format, date of the file's name,
    version number and renderer give the same bytes, so the file already rendered may be given again."""
    payload = json.dumps(
        {"document": document, "format": fmt, "on": on.isoformat(), "version": version},
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(f"{renderer_version()}\n{payload}".encode()).hexdigest()


def file_name(title: str, fmt: str, *, on: datetime.date | None = None, version: int | None = None) -> str:
    """«Аналитическая справка … 24.11.2026.pdf»: Russian, no characters a file system refuses."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f«»]+', " ", HIDDEN.sub("", title))
    name = re.sub(r"\s+", " ", name).strip() or "Отчёт"
    suffix = f", версия {version}" if version is not None else ""
    suffix += f" {on:%d.%m.%Y}" if on is not None else ""
    suffix += f".{fmt}"
    # File systems count bytes (255), and a Cyrillic letter is two of them in UTF-8: cut at a word.
    return shorten_file_name(name + suffix, tail=suffix, max_bytes=MAX_FILE_NAME_BYTES)
