"""Echoing a cell back safely: spreadsheets run text starting ``= + - @`` (or a tab or carriage
return) as a formula, so every value an answer or a CSV repeats from an upload goes through
:func:`safe_cell` (quoted with a leading apostrophe, shortened, control characters dropped)."""

from __future__ import annotations

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
MAX_ECHO = 40


def safe_cell(value: object, limit: int = MAX_ECHO) -> str:
    """``value`` as text a spreadsheet shows as text: at most ``limit`` characters."""
    text = "" if value is None else str(value)
    text = "".join(ch for ch in text if ch.isprintable() or ch == "\t")
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if text.startswith(_FORMULA_START):
        text = "'" + text
    return text
