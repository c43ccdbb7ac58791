"""WeasyPrint and its system libraries render Cyrillic, as a person reading the PDF sees it."""

import shutil
import subprocess

import pytest
import weasyprint

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) absent"),
]


def test_weasyprint_renders_cyrillic_text(tmp_path):
    html = "<h1>Аналитическая справка</h1><p>228 из 340, 67&nbsp;%</p>"
    pdf = tmp_path / "note.pdf"
    weasyprint.HTML(string=html).write_pdf(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True)
    assert "Аналитическая справка" in text.stdout
    assert "228 из 340, 67" in text.stdout
