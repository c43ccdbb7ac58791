"""Charts of the web pages: the geometry of simple bar and line charts, drawn as inline SVG by the
templates ``portal/_bar_chart.html`` and ``portal/_line_chart.html``.

Why not a library (docs/architecture.md §12): matplotlib (``reports/charts.py``, the PDFs) takes
tens of milliseconds a chart; pygal writes a ``<style>`` element and a script into every chart,
which the portal's Content-Security-Policy (``style-src 'self'``, no inline script) refuses, and
neither lets each bar be a link to the list behind it. A bar is a ``<rect>`` with presentation
attributes only; colours are classes of ``static/css/dashboards.css``.
"""

import dataclasses

WIDTH = 480  # the viewBox's width; the SVG scales to its container (a phone: about 0.8)
VALUE_WIDTH = 150  # room for the figure, right of the bars
LABEL_HEIGHT = 16  # a row's label stands above its bar: the chart stays readable on a phone
BAR = 14  # height of a bar
ROW = LABEL_HEIGHT + BAR + 8  # height of a row
LABEL_CHARS = 60  # a longer label is cut (the table under the chart holds it whole)


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


@dataclasses.dataclass(frozen=True)
class Bar:
    label: str
    text: str  # the figure as written: «7,3 %», «12»
    href: str
    x: float
    y: float
    width: float
    short_label: str
    tone: str = ""  # a class: green / yellow / red / weak
    note: str = ""  # a word that says what the colour says («ниже целевого»)

    @property
    def label_y(self) -> float:
        return self.y - 4

    @property
    def text_y(self) -> float:
        return self.y + BAR - 2

    @property
    def value_x(self) -> float:
        return round(self.x + self.width + 4, 1)


@dataclasses.dataclass(frozen=True)
class BarChart:
    ident: str
    title: str
    caption: str
    bars: list[Bar]
    height: int
    columns: tuple[str, str]  # the table's headers: what a row is, what the figure is
    target_x: float | None = None
    target_text: str = ""
    width: int = WIDTH

    @property
    def plot_end(self) -> int:
        return self.width - VALUE_WIDTH

    @property
    def bar_height(self) -> int:
        return BAR


def bar_chart(
    *,
    ident: str,
    title: str,
    caption: str,
    rows: list[dict],
    columns: tuple[str, str],
    maximum: float | None = None,
    target: float | None = None,
    target_text: str = "",
) -> BarChart:
    """Horizontal bars, one per row: ``rows`` hold ``label``, ``value`` (the length), ``text``,
    ``href`` and optionally ``tone`` and ``note``. ``maximum`` is the scale's end (100 for shares;
    by default the largest value); ``target`` draws a vertical line at that value."""
    plot = WIDTH - VALUE_WIDTH
    top = max([float(row["value"] or 0) for row in rows] + [float(maximum or 0), float(target or 0), 1.0])
    scale = plot / top
    bars = [
        Bar(
            label=row["label"],
            short_label=_short(row["label"]),
            text=row["text"],
            href=row["href"],
            x=0,
            y=LABEL_HEIGHT + 4 + index * ROW,
            width=round(max(float(row["value"] or 0) * scale, 0), 1),
            tone=row.get("tone", ""),
            note=row.get("note", ""),
        )
        for index, row in enumerate(rows)
    ]
    return BarChart(
        ident=ident,
        title=title,
        caption=caption,
        bars=bars,
        height=8 + len(rows) * ROW,
        columns=columns,
        target_x=None if target is None else round(float(target) * scale, 1),
        target_text=target_text,
    )


@dataclasses.dataclass(frozen=True)
class Point:
    label: str
    text: str
    x: float
    y: float
    href: str = ""  # the list behind this point (the chart's own ``href`` when empty)


@dataclasses.dataclass(frozen=True)
class LineChart:
    ident: str
    title: str
    caption: str
    href: str
    points: list[Point]
    columns: tuple[str, str]
    top_text: str
    width: int = WIDTH
    height: int = 220
    left: int = 50
    bottom: int = 180
    top: int = 20

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x},{p.y}" for p in self.points)

    @property
    def right(self) -> int:
        return self.width - 20


def line_chart(*, ident: str, title: str, caption: str, href: str, points: list[tuple], columns) -> LineChart:
    """A line through ``points`` (label, value, text[, href]) from left to right, the scale from 0;
    a point's ``href`` is the list behind it (the chart's ``href`` where a point has none)."""
    chart = LineChart(ident, title, caption, href, [], columns, "")
    top = max([point[1] for point in points] + [1])
    span_x = chart.right - chart.left
    span_y = chart.bottom - chart.top
    step = span_x / max(len(points) - 1, 1)
    placed = [
        Point(
            label,
            text,
            round(chart.left + index * step, 1),
            round(chart.bottom - value / top * span_y, 1),
            (rest[0] if rest else "") or href,
        )
        for index, (label, value, text, *rest) in enumerate(points)
    ]
    return dataclasses.replace(chart, points=placed, top_text=f"{top:g}")
