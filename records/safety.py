"""Echoing a cell back safely: spreadsheets run text starting ``= + - @`` (or a tab or carriage
return) as a formula, so every value an answer or a CSV repeats from an upload goes through
:func:`safe_cell` (quoted with a leading apostrophe, shortened, control characters dropped).
Rejected postcodes are not repeated at all: :func:`redact_postcode` keeps their outward code."""

from __future__ import annotations

import re

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


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def redact_postcode(value: object) -> str:
    """What a report may say about a rejected postcode: its outward code only (``M1 ***``).

    A postcode is never kept, not even a rejected one; text that is no postcode at all is not
    repeated either (it may be anything a person typed), only its length.
    """
    text = "" if value is None else str(value)
    m = _POSTCODE.match(re.sub(r"\s+", "", text).upper())
    if m:
        return f"{m.group(1)} ***"
    return f"(not shown: {len(text.strip())} characters)" if text.strip() else ""
