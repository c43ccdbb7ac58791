"""reports.charts: SVG/PNG charts from a "chart" block (no database)."""

import base64
import io
import threading
import xml.etree.ElementTree as ET

from PIL import Image

from reports import charts

SVG_NS = "{http://www.w3.org/2000/svg}"


def hbar(**overrides):
    block = {
        "type": "chart",
        "kind": "hbar",
        "title": "Доля организаций с положением о наставничестве",
        "unit": "%",
        "items": [
            {"label": "Октябрьский район", "value": 67.0, "text": "67 %"},
            {"label": "Соседний район", "value": 100.0, "text": "100 %"},
            {"label": "<script>alert(1)</script>", "value": 7.3, "text": "7,3 %"},
            {"label": "Цена $5 и $6 & «кавычки»", "value": 0.0, "text": "0 %"},
        ],
    }
    block.update(overrides)
    return block


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return ["".join(node.itertext()) for node in root.iter(f"{SVG_NS}text")]


def test_svg_is_an_inlinable_svg_document_with_labels_as_text():
    svg = charts.svg(hbar())
    assert svg.startswith("<svg")
    assert "<?xml" not in svg and "<!DOCTYPE" not in svg
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    strings = texts(svg)
    for expected in (
        "Октябрьский район",
        "Соседний район",
        "67 %",
        "7,3 %",
        "Доля организаций с положением о наставничестве",
    ):
        assert expected in strings
    # "$" is not mathtext, "&" and quotes survive
    assert "Цена $5 и $6 & «кавычки»" in strings
    # percent axis runs 0..100
    assert "0" in strings and "100" in strings


def test_svg_escapes_markup_in_labels():
    svg = charts.svg(hbar())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "<script" not in svg
    assert "<script>alert(1)</script>" in texts(svg)  # the literal text, as text


def test_svg_has_no_date_or_software_metadata_and_is_deterministic():
    block = hbar()
    first = charts.svg(block)
    assert first == charts.svg(block)
    assert "<metadata" not in first and "dc:date" not in first and "matplotlib.org" not in first


def test_svg_without_title():
    assert "Доля организаций с положением о наставничестве" not in texts(charts.svg(hbar(), title=False))


def test_svg_data_uri():
    uri = charts.svg_data_uri(hbar())
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix) :]).decode("utf-8") == charts.svg(hbar())


def test_png_magic_size_proportional_to_dpi_and_deterministic():
    block = hbar()
    small = charts.png(block, dpi=100)
    large = charts.png(block, dpi=200)
    assert small.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(small)) as image_small, Image.open(io.BytesIO(large)) as image_large:
        assert image_small.size[0] == round(charts.WIDTH_IN * 100)
        assert image_large.size[0] == round(charts.WIDTH_IN * 200)
        assert abs(image_large.size[1] - 2 * image_small.size[1]) <= 2
        assert b"Software" not in small
    assert small == charts.png(block, dpi=100)


def test_hbar_height_grows_with_items_and_is_capped():
    def height(count):
        block = hbar(
            unit="", items=[{"label": f"Организация {i}", "value": i, "text": str(i)} for i in range(count)]
        )
        with Image.open(io.BytesIO(charts.png(block, dpi=50))) as image:
            return image.size[1]

    assert height(3) < height(20) < height(40)
    assert height(41) == height(90)  # only the first 40 are drawn (plus the «… и ещё N» note)
    block = hbar(items=[{"label": f"Организация {i}", "value": 1, "text": "1"} for i in range(55)])
    strings = texts(charts.svg(block))
    assert "… и ещё 15" in strings  # …and the rest is counted
    assert "Организация 39" in strings and "Организация 40" not in strings


def test_long_labels_are_wrapped():
    label = "Доля молодых педагогов, закреплённых за наставниками в течение первого года работы"
    strings = texts(charts.svg(hbar(items=[{"label": label, "value": 50, "text": "50 %"}])))
    assert label not in strings
    lines = [s for s in strings if s and s in label]
    assert " ".join(lines) == label
    assert all(len(line) <= charts.LABEL_WRAP for line in lines)


def test_vertical_bar_chart_by_month():
    months = ["янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек"]
    block = {
        "type": "chart",
        "kind": "bar",
        "title": "События по месяцам",
        "unit": "",
        "items": [{"label": f"{m} 2024", "value": i, "text": str(i)} for i, m in enumerate(months)],
    }
    strings = texts(charts.svg(block))
    assert "янв 2024" in strings and "дек 2024" in strings and "События по месяцам" in strings
    assert charts.png(block).startswith(b"\x89PNG")


def test_empty_items_say_no_data():
    for kind in ("hbar", "bar"):
        block = hbar(kind=kind, items=[])
        assert "Нет данных" in texts(charts.svg(block))
        assert charts.png(block).startswith(b"\x89PNG")


def test_bad_values_do_not_break_rendering():
    block = hbar(
        unit="",
        items=[
            {"label": "nan", "value": float("nan"), "text": ""},
            {"label": "none", "value": None, "text": "—"},
            {"label": "text\x00with\x07control", "value": "12", "text": "12"},
        ],
    )
    strings = texts(charts.svg(block))
    assert "textwithcontrol" in strings


def test_concurrent_renders_give_identical_output():
    block = hbar()
    expected = charts.svg(block)
    results = []

    def work():
        results.append(charts.svg(block))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4
