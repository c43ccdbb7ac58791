"""Figures that a line never breaks inside: numbers, dates and date ranges in a report's table cells.

A narrow «Сроки» column used to print «16.12.2025-2 / 5.12.2025»: after a hyphen a number reads as
a negative one (Unicode line breaking, rule LB25), so «16.12.2025-25.12.2025» was one long «word»
that the cell could only cut anywhere. Here a text is split into plain pieces and figures:

- a figure is digits with «.», «,», «:», «/» inside («16.12.2025», «7,3», «1.2»); one joined to
  another by a hyphen is one figure whose hyphen is the non-breaking U+2011 («10‑11», «8‑800»);
- two dates (or years) joined by a hyphen or a dash are a range: written with an en dash, the line
  may break after the dash and nowhere else («16.12.2025–» / «25.12.2025»);
- a space inside a figure («67 %», «1 234») is a no-break space, and so is the one of «№ 5».

``html`` wraps each figure in ``<span class="fig">`` (``white-space: nowrap``, no hyphenation:
static/reports/report.css) for the HTML file and WeasyPrint's PDF; ``text`` writes the same
characters for the DOCX (``reports.docx``), where Word breaks after an en dash but never at U+2011
or U+00A0. Words keep hyphenating as before. docs/architecture.md §8.
"""

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

NBSP = "\u00a0"
NB_HYPHEN = "\u2011"
EN_DASH = "\u2013"

_NUMBER = r"\d+(?:[.,:/]\d+)*"
_JOIN = r"[ \u00a0]?[-\u2010\u2011\u2012\u2013\u2014][ \u00a0]?"
_FIGURE = re.compile(rf"(?<![\w.,:/]){_NUMBER}(?:{_JOIN}{_NUMBER})*(?:[ \u00a0]%)?")
_JOIN_RE = re.compile(_JOIN)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_DATE = re.compile(r"\d{1,2}\.\d{1,2}(?:\.\d{2,4})?|\d{4}")


def pieces(text: str) -> list[tuple[str, bool]]:
    """``text`` as (piece, is_figure) in order; an address (http://…) is left exactly as written."""
    out: list[tuple[str, bool]] = []
    position = 0
    for match in _URL.finditer(text):
        out += _figures(text[position : match.start()])
        out.append((match.group(), False))
        position = match.end()
    return out + _figures(text[position:])


def _figures(text: str) -> list[tuple[str, bool]]:
    """``text`` as (piece, is_figure) in order; a range gives its two ends as figures and
    the en dash between them as a plain piece (the line may break after it)."""
    out: list[tuple[str, bool]] = []
    position = 0
    for match in _FIGURE.finditer(text):
        if match.start() > position:
            out.append((text[position : match.start()], False))
        token = match.group()
        percent = ""
        if token.endswith("%"):
            token, percent = token[:-2], NBSP + "%"
        parts = _JOIN_RE.split(token)
        if len(parts) == 2 and all(_DATE.fullmatch(p) for p in parts):
            out += [(parts[0], True), (EN_DASH, False), (parts[1] + percent, True)]
        else:
            out.append((NB_HYPHEN.join(parts) + percent, True))
        position = match.end()
    if position < len(text):
        out.append((text[position:], False))
    return [_glued(out, i) for i in range(len(out))]


def _glued(out: list[tuple[str, bool]], i: int) -> tuple[str, bool]:
    """«№ 5»: the space between the sign and the figure after it is a no-break space."""
    piece, figure = out[i]
    if not figure and piece.endswith("№ ") and i + 1 < len(out) and out[i + 1][1]:
        return piece[:-1] + NBSP, figure
    return piece, figure


def text(value: str) -> str:
    """The text with its figures unbreakable (U+2011, U+00A0) and its ranges written «a–b»."""
    return "".join(piece for piece, _ in pieces(value))


def html(value: str) -> SafeString:
    """Escaped HTML with every figure in ``<span class="fig">``."""
    return mark_safe(
        "".join(
            f'<span class="fig">{escape(piece)}</span>' if figure else escape(piece)
            for piece, figure in pieces(value)
        )
    )
