"""Server-rendered charts for report documents (a "chart" block → SVG for HTML/PDF, PNG for DOCX).

Only ``matplotlib.figure.Figure`` objects are used (never pyplot), so no figure registry, no GUI backend
and no interactive state. The one global thing matplotlib has — ``rcParams`` — is only touched inside
``rc_context`` under a module lock, so concurrent renders in threads do not see each other's settings.

A block (see the reports document model)::

    {"type": "chart", "kind": "hbar" | "bar", "title": str, "unit": "%" | "",
     "items": [{"label": str, "value": float, "text": str}]}

Every string is plain text: labels are never parsed as mathtext, and the SVG backend escapes them.
Output is deterministic: no dates or software tags in the metadata, a fixed id salt in SVG.
"""

import base64
import io
import math
import re
import textwrap
import threading

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

COLOR = "#3b6ea5"
TEXT_COLOR = "#222222"
GRID_COLOR = "#d9d9d9"
FONT_FAMILY = "DejaVu Sans"  # bundled with matplotlib; has Cyrillic
MAX_ITEMS = 40
LABEL_WRAP = 40
TITLE_WRAP = 70
WIDTH_IN = 8.0

_RC = {
    "svg.fonttype": "none",  # keep text as <text> (searchable, selectable, escaped)
    "svg.hashsalt": "mentoring-portal-reports",  # stable clip-path / element ids
    "font.family": "sans-serif",
    "font.sans-serif": [FONT_FAMILY],
    "font.size": 9,
    "text.parse_math": False,  # "$" in a label is a dollar, not mathtext
    "text.usetex": False,
    "axes.unicode_minus": True,
    "axes.edgecolor": "#888888",
    "axes.labelcolor": TEXT_COLOR,
    "xtick.color": TEXT_COLOR,
    "ytick.color": TEXT_COLOR,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}
_SVG_METADATA = {"Date": None, "Creator": None, "Format": None, "Type": None}
_PNG_METADATA = {"Software": None}
_LOCK = threading.Lock()
_XML_PROLOGUE = re.compile(r"\A.*?(?=<svg[\s>])", re.S)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def svg(block: dict, *, title: bool = True) -> str:
    """An ``<svg>`` document (no XML declaration / DOCTYPE, so it can be inlined into HTML)."""
    buffer = io.BytesIO()
    with _LOCK, matplotlib.rc_context(_RC):
        figure = _figure(block, title=title)
        figure.savefig(buffer, format="svg", metadata=_SVG_METADATA)
    return _XML_PROLOGUE.sub("", buffer.getvalue().decode("utf-8"), count=1)


def svg_data_uri(block: dict, *, title: bool = True) -> str:
    """The SVG as a ``data:`` URI for ``<img src>`` (an <img> never runs scripts from the SVG)."""
    payload = base64.b64encode(svg(block, title=title).encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{payload}"


def png(block: dict, dpi: int = 150, *, title: bool = True) -> bytes:
    """A PNG of the chart; its pixel width is ``8 in × dpi`` (the height grows with the items)."""
    buffer = io.BytesIO()
    with _LOCK, matplotlib.rc_context(_RC):
        figure = _figure(block, title=title)
        figure.savefig(buffer, format="png", dpi=dpi, metadata=_PNG_METADATA)
    return buffer.getvalue()


# --- figure building -------------------------------------------------------------------------


def _clean(value) -> str:
    return _CONTROL.sub("", str(value if value is not None else ""))


def _wrap(text: str, width: int) -> str:
    lines = []
    for line in _clean(text).split("\n"):
        lines.extend(textwrap.wrap(line, width=width, break_long_words=True) or [""])
    return "\n".join(lines)


def _value(item: dict) -> float:
    try:
        value = float(item.get("value") or 0)
    except (TypeError, ValueError):
        return 0.0
    return value if math.isfinite(value) else 0.0


def _items(block: dict) -> tuple[list[dict], int]:
    items = [item for item in (block.get("items") or []) if isinstance(item, dict)]
    hidden = max(0, len(items) - MAX_ITEMS)
    return items[:MAX_ITEMS], hidden


def _figure(block: dict, *, title: bool) -> Figure:
    items, hidden = _items(block)
    heading = _wrap(block.get("title") or "", TITLE_WRAP) if title else ""
    if not items:
        return _empty(heading)
    if block.get("kind") == "bar":
        return _bar(items, hidden, heading, percent=block.get("unit") == "%")
    return _hbar(items, hidden, heading, percent=block.get("unit") == "%")


def _new_figure(height: float) -> Figure:
    return Figure(figsize=(WIDTH_IN, height), layout="constrained")


def _finish(figure: Figure, heading: str, hidden: int) -> None:
    if heading:
        figure.suptitle(heading, fontsize=11, fontweight="bold", color=TEXT_COLOR, parse_math=False)
    if hidden:
        figure.supxlabel(
            f"… и ещё {hidden}", fontsize=8, color="#555555", x=0.99, ha="right", parse_math=False
        )


def _style_axes(ax, grid_axis: str) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis=grid_axis, color=GRID_COLOR, linewidth=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(length=0 if grid_axis == "x" else 3)


def _limit(values: list[float], percent: bool) -> float:
    if percent:
        return 100.0
    top = max([*values, 0.0])
    return top * 1.15 if top > 0 else 1.0


def _hbar(items: list[dict], hidden: int, heading: str, *, percent: bool) -> Figure:
    labels = [_wrap(item.get("label") or "", LABEL_WRAP) for item in items]
    values = [_value(item) for item in items]
    texts = [_clean(item.get("text") or "") for item in items]
    lines = sum(label.count("\n") + 1 for label in labels)
    height = 0.9 + (0.6 if heading else 0) + 0.16 * lines + 0.14 * len(items) + (0.25 if hidden else 0)
    figure = _new_figure(max(2.2, height))
    ax = figure.add_subplot()
    positions = list(range(len(items)))
    limit = _limit(values, percent)
    ax.barh(positions, values, height=0.62, color=COLOR)
    ax.set_yticks(positions, labels, parse_math=False)
    ax.set_ylim(len(items) - 0.5, -0.5)  # first item on top
    ax.set_xlim(0, limit)
    _style_axes(ax, "x")
    if not percent:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for position, value, text in zip(positions, values, texts, strict=True):
        if not text:
            continue
        inside = value > limit * 0.82
        ax.text(
            value - limit * 0.01 if inside else max(value, 0) + limit * 0.01,
            position,
            text,
            va="center",
            ha="right" if inside else "left",
            color="white" if inside else TEXT_COLOR,
            fontsize=8.5,
            parse_math=False,
            clip_on=False,
        )
    _finish(figure, heading, hidden)
    return figure


def _bar(items: list[dict], hidden: int, heading: str, *, percent: bool) -> Figure:
    many = len(items) > 8 or any(len(_clean(item.get("label") or "")) > 12 for item in items)
    labels = [_wrap(item.get("label") or "", 24 if many else 16) for item in items]
    values = [_value(item) for item in items]
    texts = [_clean(item.get("text") or "") for item in items]
    longest = max(label.count("\n") + 1 for label in labels)
    height = 3.4 + (0.5 if heading else 0) + (0.14 * longest + (0.9 if many else 0)) + (0.25 if hidden else 0)
    figure = _new_figure(height)
    ax = figure.add_subplot()
    positions = list(range(len(items)))
    limit = _limit(values, percent)
    ax.bar(positions, values, width=0.65, color=COLOR)
    if many:
        ax.set_xticks(positions, labels, rotation=45, ha="right", rotation_mode="anchor", parse_math=False)
    else:
        ax.set_xticks(positions, labels, parse_math=False)
    ax.set_xlim(-0.6, len(items) - 0.4)
    ax.set_ylim(0, limit * (1.08 if percent else 1.0))
    _style_axes(ax, "y")
    if percent:
        ax.set_yticks(range(0, 101, 20))
    else:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts: 0, 1, 2 — never 0.2
    if len(items) <= 24:
        for position, value, text in zip(positions, values, texts, strict=True):
            if text:
                ax.text(
                    position,
                    max(value, 0) + limit * 0.01,
                    text,
                    ha="center",
                    va="bottom",
                    fontsize=8,
                    color=TEXT_COLOR,
                    parse_math=False,
                    clip_on=False,
                )
    _finish(figure, heading, hidden)
    return figure


def _empty(heading: str) -> Figure:
    figure = _new_figure(1.6 if heading else 1.2)
    ax = figure.add_subplot()
    ax.set_axis_off()
    ax.text(
        0.5,
        0.5,
        "Нет данных",
        ha="center",
        va="center",
        fontsize=11,
        color="#555555",
        transform=ax.transAxes,
        parse_math=False,
    )
    _finish(figure, heading, 0)
    return figure
