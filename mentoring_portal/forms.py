"""What every form of the portal refuses in typed text, in one place (RELIABILITY #39).

Markup is harmless here: templates escape it. What escaping cannot neutralise are invisible
characters: a right-to-left override (U+202E) turns «Иванов.xlsx» into something that reads
otherwise on every page, list and PDF it reaches, and zero-width characters make two names
that look the same differ. The workbook import refuses the same characters with the same
words (``registry.workbook.schema.REFUSED``); a form says it next to the field and saves nothing.
"""

from registry.workbook.schema import CONTROL, INVISIBLE

TEXT_CONTROLS_ALLOWED = "\t\n\r"  # a text area's own line breaks


def text_character_error(text: str) -> str | None:
    match = INVISIBLE.search(text)
    if match:
        return f"Невидимый символ U+{ord(match.group()):04X} в позиции {match.start() + 1}; удалите его."
    match = CONTROL.search(text)
    if match and match.group() not in TEXT_CONTROLS_ALLOWED:
        return f"Управляющий символ U+{ord(match.group()):04X} в позиции {match.start() + 1}; удалите его."
    return None


class PlainTextMixin:
    """Refuses invisible and control characters in every submitted value of the form's fields."""

    def full_clean(self):
        super().full_clean()
        if not self.is_bound:
            return
        for name in self.fields:
            key = self.add_prefix(name)
            values = self.data.getlist(key) if hasattr(self.data, "getlist") else [self.data.get(key)]
            for value in values:
                error = text_character_error(value) if isinstance(value, str) else None
                if error:
                    self.add_error(name, error)
                    break
