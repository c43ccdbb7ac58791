"""Hidden characters in text: refused where text comes in, left out where it goes out (docs/reliability.md
#39).

Coming in, every way of writing text (the portal's forms, the workbook import, the Django admin
with its inlines and django-import-export's import, any future API) refuses the same characters
with the same Russian words: ``text_character_error`` says what is wrong, ``validate_plain_text``
is the same check as a Django validator (an API serializer's field can list it in ``validators``).

Going out, text that was stored some other way (a shell, an SQL update, an old row) must not make
a file fail: openpyxl and python-docx raise on C0 control characters, and a right-to-left override
turns a name around in any file. ``printable`` drops them and logs a warning that says where the
text came from (model, field, id or the file's column), never the text itself (personal data).
"""

import functools
import logging
import re

from django.core.exceptions import ValidationError

logger = logging.getLogger(__name__)

# The characters refused where text comes in, here for the forms and the workbook alike
# (docs/workbook.md §3): zero-width characters, the BOM, the soft hyphen and every bidi control
# (marks U+200E/F, U+061C, embeddings and overrides, isolates); C0 and C1 controls but tab and
# line breaks, and the Unicode line and paragraph separators (a line break no reader expects).
INVISIBLE_CHARS = "\u200b-\u200f\u061c\u2060\ufeff\u00ad\u202a-\u202e\u2066-\u2069"
CONTROL_CHARS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029"
INVISIBLE = re.compile(f"[{INVISIBLE_CHARS}]")
CONTROL = re.compile(f"[{CONTROL_CHARS}]")
REFUSED = re.compile(f"[{INVISIBLE_CHARS}{CONTROL_CHARS}]")  # one pass; the two above say which

TEXT_CONTROLS_ALLOWED = "\t\n\r"  # a text area's own line breaks
# What an output leaves out: the refused characters and the two non-characters XML refuses.
# Tab and line breaks stay.
HIDDEN = re.compile(f"[{INVISIBLE_CHARS}{CONTROL_CHARS}\ufffe\uffff]")


def text_character_error(text: str) -> str | None:
    """The Russian message for the first invisible or control character of ``text``; None if clean."""
    match = INVISIBLE.search(text)
    if match:
        return f"Невидимый символ U+{ord(match.group()):04X} в позиции {match.start() + 1}; удалите его."
    match = CONTROL.search(text)
    if match and match.group() not in TEXT_CONTROLS_ALLOWED:
        return f"Управляющий символ U+{ord(match.group()):04X} в позиции {match.start() + 1}; удалите его."
    return None


def validate_plain_text(value) -> None:
    """A Django validator: raises ``ValidationError`` with ``text_character_error``'s message."""
    if isinstance(value, str):
        error = text_character_error(value)
        if error:
            raise ValidationError(error, code="hidden_character")


def printable(text: str, where=None) -> str:
    """``text`` without hidden characters; a warning names ``where`` (no text) when some were dropped.

    ``where`` is a string or a callable returning one (called only when something is dropped),
    e.g. "registry.Person.position id=42" or "«Педагоги», столбец «Должность», строка 7".
    """
    # Every hidden character is one that str.isprintable() refuses: most texts stop at that test.
    if text.isprintable() or not HIDDEN.search(text):
        return text
    found = sorted({f"U+{ord(char):04X}" for char in HIDDEN.findall(text)})
    place = where() if callable(where) else where
    logger.warning(
        "stored text with hidden characters %s written without them: %s", ", ".join(found), place or "?"
    )
    return HIDDEN.sub("", text)


def source_of(instance, field_name: str) -> str:
    """«app.Model.field id=…» of a stored value, for ``printable``'s warning."""
    meta = instance._meta
    return f"{meta.app_label}.{meta.object_name}.{field_name} id={instance.pk}"


NUMBER_RUN = re.compile(r"(\d+)")


@functools.lru_cache(maxsize=8192)  # names repeat (a municipality's on each of its schools' rows)
def natural_key(text: str) -> tuple:
    """The sort key of a name in natural order: «СОШ № 2» before «СОШ № 10», case and ё ignored.

    The one key for every list of organizations or municipalities sorted by name in Python (the
    campaign pages, the reports' tables): digits compare as numbers, the rest as lower-case text.
    """
    parts = NUMBER_RUN.split((text or "").lower().replace("ё", "е"))
    # split() puts the text parts at even and the numbers at odd positions: (str, int, str, ...).
    return tuple(int(part) if i % 2 else part for i, part in enumerate(parts))
