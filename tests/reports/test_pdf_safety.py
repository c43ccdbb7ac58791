"""reports.pdf: the closed URL policy, attachments, Cyrillic, metadata, download names.

docs/reliability.md §4 C 41 (hostile text is literal, nothing is fetched, no attachments), 42 (file:, internal
http and redirecting URLs in a template are blocked, the render goes on), 45 (Cyrillic with the
bundled DejaVu fonts; RFC 6266/5987 download names), 46 (no server paths or hostnames in the PDF).
No database.
"""

import datetime
import email.utils
import http.server
import logging
import re
import shutil
import socket
import subprocess
import threading
import urllib.request
from pathlib import Path
from urllib.parse import unquote

import pytest
import weasyprint
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.utils.html import escape
from django.utils.http import parse_header_parameters
from weasyprint.urls import URLFetcher, URLFetchingError

from reports import pdf as report_pdf

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdfinfo") is None,
    reason="poppler-utils (pdftotext, pdfinfo) absent",
)

HOSTILE = [
    '<link rel="attachment" href="file:///etc/passwd">',
    '<img src="http://169.254.169.254/latest/meta-data/">',
    "<style>@import url(http://127.0.0.1:9/x.css)</style>",
]
STYLESHEET = '<link rel="stylesheet" href="portal-static:///reports/report.css">'


def page(body, head=""):
    return (
        '<!doctype html><html lang="ru"><head><meta charset="utf-8">'
        f'{STYLESHEET}{head}</head><body><main class="report">{body}</main></body></html>'
    )


def run_poppler(tool, pdf_bytes, tmp_path, *args):
    """Run a poppler tool on the PDF; pdftotext in content-stream order (``-raw``) to stdout."""
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf_bytes)
    command = [tool, "-raw", *args, str(path), "-"] if tool == "pdftotext" else [tool, *args, str(path)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def squeeze(text):
    return re.sub(r"\s+", "", text)


def assert_no_attachment(pdf_bytes, tmp_path):
    assert b"/EmbeddedFile" not in pdf_bytes
    assert b"/FileAttachment" not in pdf_bytes
    if shutil.which("pdfdetach"):
        assert run_poppler("pdfdetach", pdf_bytes, tmp_path, "-list").startswith("0 embedded files")


def passwd_markers():
    try:
        lines = Path("/etc/passwd").read_text().splitlines()
    except OSError:
        return ["root:x:0:0"]
    return [line for line in lines[:3] if line] or ["root:x:0:0"]


@pytest.fixture
def counting_server():
    """A loopback HTTP server that records every request (it must get none)."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            hits.append(self.path)
            if self.path.startswith("/redirect"):
                self.send_response(302)
                self.send_header("Location", "file:///etc/passwd")
                self.end_headers()
                return
            body = b"body { color: red }"
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    # Control: the server does answer a real client, so zero hits below means nothing was asked.
    with urllib.request.urlopen(f"{base}/control", timeout=5) as response:  # noqa: S310 (loopback)
        assert response.status == 200
    assert hits == ["/control"]
    hits.clear()
    try:
        yield base, hits
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def pdf_log(caplog):
    caplog.set_level(logging.WARNING, logger="reports.pdf")
    return caplog


def refusals(caplog):
    return [
        r.getMessage() for r in caplog.records if r.name == "reports.pdf" and r.levelno == logging.WARNING
    ]


# --- §4 C 41: hostile text is text -------------------------------------------------------------------


def test_escaped_hostile_text_is_literal_and_fetches_nothing(tmp_path, counting_server, pdf_log):
    base, hits = counting_server
    hostile = [
        *HOSTILE,
        f'<link rel="attachment" href="{base}/attach">',
        f'<img src="{base}/img.png">',
        f"<style>@import url({base}/import.css)</style>",
    ]
    body = "<h1>Аналитическая справка</h1>" + "".join(
        f"<p>Обучающийся: {escape(name)}</p>" for name in hostile
    )
    pdf = report_pdf.render_pdf(page(body), title="Аналитическая справка")

    text = squeeze(run_poppler("pdftotext", pdf, tmp_path))
    for name in hostile:
        assert squeeze(name) in text
    assert hits == []
    assert_no_attachment(pdf, tmp_path)
    assert refusals(pdf_log) == []  # as text, none of them is even a URL


def test_attachment_detection_sees_a_real_attachment(tmp_path):
    """Control for ``assert_no_attachment``: a stock WeasyPrint render with an attachment is caught."""
    pdf = weasyprint.HTML(string='<link rel="attachment" href="data:text/plain,secret"><p>x</p>').write_pdf()
    with pytest.raises(AssertionError):
        assert_no_attachment(pdf, tmp_path)


# --- §4 C 42: hostile markup in a template is blocked, the render goes on ------------------------------


def test_unescaped_hostile_resources_are_blocked(tmp_path, counting_server, pdf_log):
    base, hits = counting_server
    head = (
        '<link rel="attachment" href="file:///etc/passwd">'
        '<link rel="attachment" href="portal-static:///css/portal.css">'
        f'<link rel="stylesheet" href="{base}/style.css">'
        f'<link rel="stylesheet" href="{base}/redirect-css">'
        f"<style>@import url({base}/import.css);"
        f"@font-face {{ font-family: Evil; src: url({base}/font.ttf) }}"
        "body { background: url(file:///etc/passwd) }</style>"
    )
    body = (
        "<h1>Аналитическая справка</h1><p>Текст отчёта остаётся на месте.</p>"
        '<img src="file:///etc/passwd">'
        '<img src="http://169.254.169.254/latest/meta-data/">'
        f'<img src="{base}/img.png"><img src="{base}/redirect">'
        f'<object data="{base}/object"></object><embed src="{base}/embed">'
        f'<svg width="10" height="10"><image href="{base}/svg.png" width="10" height="10"/></svg>'
        '<img src="portal-static:///../../../../etc/passwd">'
        '<img src="portal-static:///css/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd">'
        '<a rel="attachment" href="portal-static:///css/portal.css">вложение</a>'
        '<a rel="attachment" href="file:///etc/passwd">вложение 2</a>'
    )
    pdf, pages = report_pdf.render_document(page(body, head), title="Аналитическая справка")

    assert pdf.startswith(b"%PDF-") and pages >= 1
    text = run_poppler("pdftotext", pdf, tmp_path)
    assert "Текст отчёта остаётся на месте." in text
    assert hits == []
    assert_no_attachment(pdf, tmp_path)
    for marker in passwd_markers():
        assert marker not in text
        assert marker.encode() not in pdf

    logged = refusals(pdf_log)
    assert any("file:///etc/passwd" in message for message in logged)
    assert any("169.254.169.254" in message for message in logged)
    assert any(f"{base}/img.png" in message for message in logged)
    assert any(f"{base}/redirect" in message for message in logged)
    assert any("portal-static:///../" in message for message in logged)
    assert any("%2e%2e" in message.lower() for message in logged)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "file://localhost/etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/latest/meta-data/",
        "ftp://127.0.0.1/x",
        "gopher://127.0.0.1:70/_x",
        "jar:file:///etc/passwd!/x",
        "relative/path.css",
        "//127.0.0.1/x.css",
        "portal-static://evil.example/css/portal.css",
        "portal-static:///css/portal.css?next=http://127.0.0.1/",
        "portal-static:/css/portal.css",
        "portal-static:///../manage.py",
        "portal-static:///css/../../manage.py",
        "portal-static:///css/%2e%2e/%2e%2e/manage.py",
        "portal-static:///css%2f..%2f..%2fmanage.py",
        "portal-static:///css/portal.css%00.png",
        "portal-static:///css/..%5c..%5cmanage.py",
        "portal-static:////etc/passwd",
        "portal-static:///js/import_progress.js",
        "portal-static:///css/missing.css",
    ],
)
def test_fetcher_refuses(url, pdf_log):
    fetcher = report_pdf.safe_url_fetcher()
    assert isinstance(fetcher, URLFetcher)
    with pytest.raises(URLFetchingError):
        fetcher.fetch(url)
    assert len(refusals(pdf_log)) == 1


@pytest.mark.parametrize("path", ["/", "/redirect", "/latest/meta-data/"])
def test_fetcher_never_opens_http_even_on_loopback(path, counting_server, pdf_log, monkeypatch):
    base, hits = counting_server

    def no_open(*args, **kwargs):
        raise AssertionError("the URL fetcher reached urllib's opener")

    def no_disk(*args, **kwargs):
        raise AssertionError("the URL fetcher looked on disk for a refused URL")

    monkeypatch.setattr(urllib.request.OpenerDirector, "open", no_open)
    monkeypatch.setattr(report_pdf.SafeURLFetcher, "_locate", staticmethod(no_disk))
    fetcher = report_pdf.safe_url_fetcher()
    for url in (f"{base}{path}", "file:///etc/passwd"):
        with pytest.raises(URLFetchingError):
            fetcher.fetch(url)
        with pytest.raises(URLFetchingError):
            fetcher(url)  # how WeasyPrint calls it
    assert hits == []
    assert len(refusals(pdf_log)) == 4


def test_refusal_log_truncates_the_url(pdf_log):
    url = "http://169.254.169.254/" + "a" * 5000
    with pytest.raises(URLFetchingError):
        report_pdf.safe_url_fetcher().fetch(url)
    (message,) = refusals(pdf_log)
    assert "a" * 200 not in message
    assert len(message) < 400


def test_symlink_out_of_the_static_dir_is_refused(tmp_path, settings, pdf_log):
    static_dir = tmp_path / "static"
    static_dir.mkdir()
    secret = tmp_path / "secret.css"
    secret.write_text("body { color: red } /* secret */")
    (static_dir / "evil.css").symlink_to(secret)
    (static_dir / "fine.css").write_text("p { color: black }")
    settings.STATICFILES_DIRS = [static_dir, *django_settings.STATICFILES_DIRS]
    settings.STATIC_ROOT = tmp_path / "not-collected"

    assert finders.find("evil.css") == str(static_dir / "evil.css")
    fetcher = report_pdf.safe_url_fetcher()
    with pytest.raises(URLFetchingError):
        fetcher.fetch("portal-static:///evil.css")
    assert any("evil.css" in message for message in refusals(pdf_log))
    assert fetcher.fetch("portal-static:///fine.css").read() == b"p { color: black }"


def test_collected_static_root_is_used(tmp_path, settings):
    root = tmp_path / "collected"
    (root / "reports").mkdir(parents=True)
    (root / "reports" / "only-collected.css").write_text("h1 { color: blue }")
    settings.STATIC_ROOT = root

    fetched = report_pdf.safe_url_fetcher().fetch("portal-static:///reports/only-collected.css")
    assert fetched.read() == b"h1 { color: blue }"


# --- allowed resources ------------------------------------------------------------------------------


def test_allowed_static_file_is_fetched():
    found = finders.find("reports/report.css")
    assert found, "static/reports/report.css is expected by the report template"
    url = report_pdf.static_url("reports/report.css")
    assert url == "portal-static:///reports/report.css"

    response = report_pdf.safe_url_fetcher().fetch(url)
    try:
        assert response.read() == Path(found).read_bytes()
        assert response.content_type == "text/css"
    finally:
        response.close()


def test_data_url_is_allowed():
    response = report_pdf.safe_url_fetcher().fetch("data:text/plain;charset=utf-8,%D0%BE%D0%BA")
    assert response.read().decode() == "ок"


def test_static_stylesheet_applies_in_the_render(tmp_path, pdf_log):
    """report.css is fetched during the render (no refusal) and its DejaVu fonts are embedded."""
    pdf = report_pdf.render_pdf(page("<h1>Аналитическая справка</h1><p>Текст.</p>"), title="Справка")
    assert refusals(pdf_log) == []
    if shutil.which("pdffonts"):
        assert "DejaVu-Serif" in run_poppler("pdffonts", pdf, tmp_path)


# --- §4 C 45: Cyrillic -----------------------------------------------------------------------------------


def test_cyrillic_renders_with_embedded_dejavu(tmp_path):
    body = "<h1>Аналитическая справка</h1><p>Доля организаций: 228 из 340, 67&nbsp;%. Ёлка, щука, ъ.</p>"
    pdf = report_pdf.render_pdf(page(body), title="Аналитическая справка")

    text = run_poppler("pdftotext", pdf, tmp_path)
    assert "Аналитическая справка" in text
    assert "Ёлка, щука, ъ." in text
    if shutil.which("pdffonts"):
        fonts = run_poppler("pdffonts", pdf, tmp_path).splitlines()[2:]
        assert fonts and all("DejaVu" in line for line in fonts), fonts
        assert all(" yes " in line for line in fonts), fonts  # embedded


# --- §4 C 46: metadata -----------------------------------------------------------------------------------


def test_metadata_title_author_dates_and_no_host_or_path(tmp_path):
    hostname = socket.gethostname()
    base_dir = str(django_settings.BASE_DIR)
    head = (
        f"<title>{base_dir}</title><meta name=author content='{hostname}'>"
        f"<meta name=generator content='{hostname} {base_dir}'>"
        f"<meta name=description content='{base_dir}'><meta name=keywords content='{hostname}'>"
    )
    created = datetime.datetime(2024, 5, 1, 10, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=3)))
    pdf = report_pdf.render_pdf(
        page("<h1>Аналитическая справка</h1>", head), title="Аналитическая справка", created=created
    )

    info = run_poppler("pdfinfo", pdf, tmp_path, "-isodates")
    fields = dict(line.split(":", 1) for line in info.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    assert fields["Title"] == "Аналитическая справка"
    assert fields["Author"] == "Портал «Наставничество»"
    assert "Creator" not in fields and "Subject" not in fields and "Keywords" not in fields
    assert fields["CreationDate"].startswith("2024-05-01T")
    assert fields["ModDate"] == fields["CreationDate"]
    for secret in (hostname, base_dir):
        assert secret.encode() not in pdf
        assert secret not in info


def test_progress_stages_and_page_count(tmp_path):
    calls = []
    body = "".join(f"<p>Абзац {i}: наставничество в школах области.</p>" for i in range(120))
    pdf, pages = report_pdf.render_document(
        page(body), title="Справка", progress=lambda stage, percent: calls.append((stage, percent))
    )
    assert calls == [("layout", 10), ("write", 80), ("done", 100)]
    info = run_poppler("pdfinfo", pdf, tmp_path)
    assert re.search(rf"^Pages:\s+{pages}$", info, re.M)
    assert pages > 1


# --- §4 C 45: download file names ---------------------------------------------------------------------


def filename_star(header):
    match = re.search(r"filename\*=([^;]+)", header)
    assert match, header
    charset, _language, value = email.utils.decode_rfc2231(match.group(1))
    return unquote(value, encoding=charset)


def test_content_disposition_cyrillic_round_trip():
    name = "Аналитическая справка — СОШ № 1, 2024.pdf"
    header = report_pdf.content_disposition(name)

    assert header.startswith("attachment; ")
    header.encode("ascii")  # the header value itself is pure ASCII
    assert filename_star(header) == name
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", fallback)
    assert fallback.endswith(".pdf") and fallback.startswith("Analiticheskaia_spravka")
    _, params = parse_header_parameters(header)  # Django's own parser prefers filename*
    assert params["filename"] == name


def test_content_disposition_strips_injection():
    header = report_pdf.content_disposition(
        'отчёт"\r\nSet-Cookie: a=b; x/../..\\evil\x00\u202e.pdf', "inline"
    )
    assert header.startswith("inline; ")
    assert "\r" not in header and "\n" not in header and "\x00" not in header
    decoded = filename_star(header)
    for bad in ("\r", "\n", '"', "/", "\\", "\x00", "\u202e"):
        assert bad not in decoded
    assert decoded.startswith("отчёт") and decoded.endswith(".pdf")
    fallback = re.search(r'filename="([^"]*)"', header).group(1)
    assert re.fullmatch(r"[A-Za-z0-9._-]+", fallback)


@pytest.mark.parametrize("name", ["", "\r\n", "////", "...", '"'])
def test_content_disposition_empty_names_fall_back(name):
    header = report_pdf.content_disposition(name)
    assert 'filename="report"' in header
    assert filename_star(header) == "report"


def test_content_disposition_rejects_other_dispositions():
    with pytest.raises(ValueError):
        report_pdf.content_disposition("a.pdf", "attachment\r\nX-Evil: 1")
