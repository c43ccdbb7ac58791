"""PDF rendering: the only place WeasyPrint is called.

A report's HTML is rendered with a closed URL policy (``SafeURLFetcher``):

- ``data:`` URLs are decoded in memory (no handler other than urllib's ``DataHandler`` is involved);
- ``portal-static:///<path>`` URLs are served from the portal's own static files, found with
  ``django.contrib.staticfiles.finders.find()`` or under ``STATIC_ROOT`` once collected; the resolved
  real path must stay inside one of the static directories (no ``..``, no symlink escape);
- everything else (``file:``, ``http(s):`` to any host, ``ftp:``, relative URLs, other schemes) is
  refused before any network or disk access: a ``URLFetchingError`` is raised, WeasyPrint skips the
  resource and the render goes on. Each refusal is logged on the ``reports.pdf`` logger at WARNING
  with the URL cut to 200 characters.

Nothing is ever followed as a redirect: no HTTP request is made at all.

The PDF carries no attachments (``<link rel="attachment">`` and ``<a rel="attachment">`` are dropped,
``attachments=[]`` is passed) and only the metadata set here: title, author and, when given, the
creation and modification dates. WeasyPrint's ``/Producer`` (``WeasyPrint 70.0``) names no host or path.
"""

from __future__ import annotations

import datetime
import logging
import mimetypes
import os
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from urllib import request as urllib_request
from urllib.parse import quote, unquote, urlsplit

import weasyprint
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.utils import timezone
from django.utils._os import safe_join
from weasyprint.pdf.metadata import DocumentMetadata
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

from common.downloads import shorten_file_name

logger = logging.getLogger("reports.pdf")

#: Scheme and base URL of the portal's static files inside a rendered document. A template refers to
#: a static file by an absolute URL, e.g. ``portal-static:///reports/report.css`` (see ``static_url``).
STATIC_SCHEME = "portal-static"
STATIC_BASE_URL = f"{STATIC_SCHEME}:///"

AUTHOR = "Портал «Наставничество»"

#: File types a report may pull from the static directories.
ALLOWED_STATIC_SUFFIXES = frozenset(
    {".css", ".svg", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".ttf", ".otf", ".woff", ".woff2"}
)
MAX_STATIC_BYTES = 10 * 1024 * 1024
_LOGGED_URL_CHARS = 200

Progress = Callable[[str, int], object]


def static_url(path: str) -> str:
    """The URL under which a template refers to a static file, e.g. ``reports/report.css``."""
    return STATIC_BASE_URL + quote(path.lstrip("/"), safe="/")


def _short(url: str) -> str:
    url = str(url)
    return url if len(url) <= _LOGGED_URL_CHARS else url[:_LOGGED_URL_CHARS] + "…"


def _static_roots() -> list[Path]:
    """Real paths of every directory static files may come from."""
    roots: list[Path] = []
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                roots.append(Path(location))
    if getattr(settings, "STATIC_ROOT", None):
        roots.append(Path(settings.STATIC_ROOT))
    real = []
    for root in roots:
        try:
            real.append(root.resolve(strict=True))
        except OSError:
            continue
    return real


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


class RefusedURL(URLFetchingError):
    """A resource the portal's URL policy does not allow."""


class SafeURLFetcher(URLFetcher):
    """WeasyPrint URL fetcher allowing only ``data:`` URLs and the portal's static files."""

    def __init__(self):
        # No protocol is allowed for the parent's opener: ``fetch`` below never calls it, and
        # should it ever be reached, it refuses every URL. No redirects, errors are not fatal.
        super().__init__(timeout=1, allowed_protocols=(), allow_redirects=False, fail_on_errors=False)

    def refuse(self, url: str, reason: str):
        logger.warning("PDF: ресурс отклонён (%s): %s", reason, _short(url))
        raise RefusedURL(f"ресурс отклонён политикой портала ({reason})")

    def fetch(self, url, headers=None):
        url = str(url)
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return self._fetch_data(url)
        if scheme == STATIC_SCHEME:
            return self._fetch_static(url)
        return self.refuse(url, "запрещённая схема URL" if scheme else "относительный URL")

    def open(self, url, data=None, timeout=None):
        return self.fetch(getattr(url, "full_url", url))

    def _fetch_data(self, url: str):
        try:
            response = urllib_request.DataHandler().data_open(urllib_request.Request(url))
        except Exception:
            return self.refuse(url, "некорректный data: URL")
        return URLFetcherResponse(url, response.read(), dict(response.headers.items()), 200)

    def _fetch_static(self, url: str):
        if not url.startswith(STATIC_BASE_URL):
            return self.refuse(url, "статический файл: неверная форма URL")
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.refuse(url, "статический файл: некорректный URL")
        if parts.netloc or parts.query:
            return self.refuse(url, "статический файл: неверная форма URL")
        relative = unquote(parts.path).lstrip("/")
        segments = relative.split("/")
        if (
            not relative
            or "\x00" in relative
            or "\\" in relative
            or any(segment in ("", ".", "..") for segment in segments)
        ):
            return self.refuse(url, "статический файл: выход за пределы каталога")
        if Path(relative).suffix.lower() not in ALLOWED_STATIC_SUFFIXES:
            return self.refuse(url, "статический файл: недопустимый тип")
        path = self._locate(relative)
        if path is None:
            return self.refuse(url, "статический файл не найден или вне каталогов статики")
        try:
            with open(path, "rb") as stream:
                body = stream.read(MAX_STATIC_BYTES + 1)
        except OSError:
            return self.refuse(url, "статический файл не читается")
        if len(body) > MAX_STATIC_BYTES:
            return self.refuse(url, "статический файл слишком велик")
        content_type = mimetypes.guess_type(relative)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type == "image/svg+xml":
            content_type += "; charset=utf-8"
        return URLFetcherResponse(url, body, {"Content-Type": content_type}, 200)

    @staticmethod
    def _locate(relative: str) -> Path | None:
        roots = _static_roots()
        candidates = []
        try:
            found = finders.find(relative)
        except SuspiciousFileOperation:
            found = None
        if found:
            candidates.append(found)
        if getattr(settings, "STATIC_ROOT", None):
            try:
                candidates.append(safe_join(os.fspath(settings.STATIC_ROOT), relative))
            except SuspiciousFileOperation:
                pass
        for candidate in candidates:
            try:
                real = Path(candidate).resolve(strict=True)
            except OSError:
                continue
            if real.is_file() and _inside(real, roots):
                return real
        return None


def safe_url_fetcher() -> SafeURLFetcher:
    """A new ``SafeURLFetcher`` (a ``weasyprint.urls.URLFetcher`` subclass)."""
    return SafeURLFetcher()


def _w3c_date(value: datetime.datetime) -> str:
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value.isoformat(timespec="seconds")


def render_document(
    html: str,
    *,
    title: str,
    created: datetime.datetime | None = None,
    progress: Progress | None = None,
) -> tuple[bytes, int]:
    """Render ``html`` to PDF; return ``(pdf_bytes, page_count)``.

    ``progress(stage, percent)`` is called with ("layout", 10) before layout, ("write", 80) once the
    pages are laid out and ("done", 100) when the PDF is ready.
    """

    def report(stage: str, percent: int) -> None:
        if progress is not None:
            progress(stage, percent)

    report("layout", 10)
    source = weasyprint.HTML(string=html, base_url=STATIC_BASE_URL, url_fetcher=safe_url_fetcher())
    document = source.render(pdf_forms=False, presentational_hints=False)
    report("write", 80)

    # Only our metadata: <title>, <meta name=generator|author|dcterms.*> and <link rel=attachment> from
    # the HTML are dropped.
    stamp = _w3c_date(created) if created is not None else None
    document.metadata = DocumentMetadata(
        title=title, authors=[AUTHOR], created=stamp, modified=stamp, lang=document.metadata.lang
    )
    # <a rel="attachment"> links would embed the target as a file: turn none of them into attachments.
    for page in document.pages:
        page.links[:] = [link for link in page.links if link[0] != "attachment"]

    pdf = document.write_pdf(attachments=[], finisher=_refuse_embedded_files)
    report("done", 100)
    return pdf, len(document.pages)


def render_pdf(
    html: str,
    *,
    title: str,
    created: datetime.datetime | None = None,
    progress: Progress | None = None,
) -> bytes:
    """Render ``html`` to PDF bytes (see ``render_document``)."""
    return render_document(html, title=title, created=created, progress=progress)[0]


def _refuse_embedded_files(document, pdf) -> None:
    """Last check before the trailer: the PDF must not carry an embedded file."""
    names = pdf.catalog.get("Names")
    if names is not None and "EmbeddedFiles" in names:
        raise RuntimeError("PDF report must not contain embedded files")
    for pdf_object in pdf.objects:
        if isinstance(pdf_object, dict) and pdf_object.get("Type") == "/EmbeddedFile":
            raise RuntimeError("PDF report must not contain embedded files")
        extra = getattr(pdf_object, "extra", None)
        if isinstance(extra, dict) and extra.get("Type") == "/EmbeddedFile":
            raise RuntimeError("PDF report must not contain embedded files")


# --- Content-Disposition --------------------------------------------------------------------------

_TRANSLIT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "i", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch",
    "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip
_UNSAFE_NAME_CHARS = re.compile(r'["/\\]')
_FALLBACK_DISALLOWED = re.compile(r"[^A-Za-z0-9._-]+")


def _clean_filename(filename: str) -> str:
    """Drop control and format characters (CR, LF, bidi overrides…), quotes and slashes."""
    name = "".join(
        " " if char in "\t\r\n" else char
        for char in str(filename)
        if char in "\t\r\n" or unicodedata.category(char) not in ("Cc", "Cf", "Cs", "Co", "Cn")
    )
    name = _UNSAFE_NAME_CHARS.sub("", name)
    name = re.sub(r"\s+", " ", name).strip().lstrip(".").strip()
    return name


def _transliterate(text: str) -> str:
    out = []
    for char in text:
        lower = char.lower()
        if lower in _TRANSLIT:
            latin = _TRANSLIT[lower]
            out.append(latin.capitalize() if char != lower else latin)
        else:
            out.append(char)
    ascii_text = unicodedata.normalize("NFKD", "".join(out)).encode("ascii", "ignore").decode("ascii")
    return ascii_text


def ascii_filename(filename: str, default: str = "report") -> str:
    """ASCII fallback name: transliterated, only ``[A-Za-z0-9._-]``."""
    name = _clean_filename(filename)
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    suffix = _FALLBACK_DISALLOWED.sub("", _transliterate(suffix))[:10]
    stem = _FALLBACK_DISALLOWED.sub("_", _transliterate(stem).replace(" ", "_"))
    stem = re.sub(r"_+", "_", stem).strip("._-")[:100].strip("._-") or default
    return f"{stem}.{suffix}" if suffix else stem


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """``Content-Disposition`` value (RFC 6266, RFC 5987) for a possibly Cyrillic file name.

    ``attachment; filename="Analiticheskaia_spravka.pdf"; filename*=UTF-8''%D0%90…``: the quoted
    ASCII fallback for old clients, the exact UTF-8 name for the rest.
    """
    if disposition not in ("attachment", "inline"):
        raise ValueError(f"unsupported disposition: {disposition!r}")
    name = shorten_file_name(_clean_filename(filename) or "report")
    fallback = ascii_filename(name)
    encoded = quote(name, safe="")
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"
