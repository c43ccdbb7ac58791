"""Download file names (``Content-Disposition``): one place that shortens a long name at a word.

A file system counts a name in bytes (255 at most; a Cyrillic letter takes two in UTF-8), so a long
Russian title must be cut. ``shorten_file_name`` cuts the stem at the last whole word that fits,
marks the cut with «…» and keeps the tail (the extension, or «, версия 2 24.11.2026.pdf»);
``attachment`` is the header value, encoded as Django's ``FileResponse`` encodes it (RFC 6266 with
RFC 5987's ``filename*=utf-8''…`` for a non-ASCII name).
"""

import re

from django.utils.http import content_disposition_header

MAX_FILE_NAME_BYTES = 240  # under 255, room for a browser's « (1)»
EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")
WORD_END = re.compile(r"[\s,;.–—-]+")
ELLIPSIS = "…"


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def shorten_file_name(name: str, *, tail: str | None = None, max_bytes: int = MAX_FILE_NAME_BYTES) -> str:
    """``name`` if it fits in ``max_bytes`` (UTF-8); else its stem cut after the last word that fits,
    then «…» and ``tail`` (by default the extension, «.xlsx»)."""
    if _bytes(name) <= max_bytes:
        return name
    if tail is None:
        match = EXTENSION.search(name)
        tail = match.group() if match else ""
    stem = name[: len(name) - len(tail)] if tail and name.endswith(tail) else name
    room = max_bytes - _bytes(tail) - _bytes(ELLIPSIS)
    cut = stem
    while _bytes(cut) > room:
        cut = cut[: len(cut) - max(1, (_bytes(cut) - room) // 2)]  # bytes, at least a character
    if cut != stem and not WORD_END.match(stem[len(cut) :]):
        # The cut fell inside a word: go back to the end of the previous one (if there is one).
        words = [m.start() for m in WORD_END.finditer(cut)]
        if words and words[-1] > 0:
            cut = cut[: words[-1]]
    return cut.rstrip(" ,;.–—-") + ELLIPSIS + tail


def attachment(name: str) -> str:
    """The ``Content-Disposition`` value of a download named ``name`` (shortened if need be)."""
    return content_disposition_header(True, shorten_file_name(name))
