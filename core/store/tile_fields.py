"""Tile feature properties shared by both backends: the numeric feature id and the named counts.

Every MVT feature carries a stable numeric ``id`` (MapLibre's ``setFeatureState`` needs one),
worked out from the area code alone, so it is the same in every tile, zoom, backend and rebuild
and can be turned back into the code. DuckDB's ``ST_AsMVT`` takes ids below 2^31, so:

* a GSS code (a letter of ``EKLMNSW`` and eight digits, ``E05000001``) is the letter's place
  in ``EKLMNSW`` (1-7) times 10^8 plus its digits: 100,000,000-799,999,999;
* a code of up to five letters and digits (NUTS, ``UKD34``) is itself read in base 36:
  below 60,466,176;
* any other code is its first five characters in base 36 plus 10^9 (unique only as far as
  those characters are).

The count is named after what it holds at the level (``core.levels.counted``): ``households``
and ``leading_class_households`` for UK areas, ``population`` and ``leading_class_population``
for NUTS regions.
"""

from __future__ import annotations

from core.levels import counted

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
GSS_LETTERS = "EKLMNSW"
SHORT = 5
FEATURE_ID = "fid"  # the column ST_AsMVT turns into the feature id (not kept as a property)


def feature_id_sql(code: str) -> str:
    """SQL (same text on PostGIS and DuckDB) for the feature id of the code column ``code``."""
    letter = f"strpos('{GSS_LETTERS}', substr({code}, 1, 1))"
    gss = f"length({code}) = 9 AND {letter} > 0 AND translate(substr({code}, 2, 8), '0123456789', '') = ''"
    padded = f"lpad(upper(substr({code}, 1, {SHORT})), {SHORT}, '0')"
    base36 = " + ".join(
        f"greatest(strpos('{ALPHABET}', substr({padded}, {i + 1}, 1)) - 1, 0) * {36 ** (SHORT - 1 - i)}"
        for i in range(SHORT)
    )
    return (
        f"CAST(CASE WHEN {gss} THEN {letter} * 100000000 + CAST(substr({code}, 2, 8) AS INTEGER) "
        f"ELSE {base36} + CASE WHEN length({code}) <= {SHORT} THEN 0 ELSE 1000000000 END END AS INTEGER)"
    )


def feature_id(code: str) -> int:
    """The feature id of an area code, as :func:`feature_id_sql` computes it."""
    if len(code) == 9 and code[0] in GSS_LETTERS and code[1:].isdigit() and code[1:].isascii():
        return (GSS_LETTERS.index(code[0]) + 1) * 100_000_000 + int(code[1:])
    padded = code[:SHORT].upper().rjust(SHORT, "0")
    value = sum(max(ALPHABET.find(ch), 0) * 36 ** (SHORT - 1 - i) for i, ch in enumerate(padded))
    return value + (0 if len(code) <= SHORT else 1_000_000_000)


def count_columns(level: str, total: str, leading: str) -> str:
    """The select-list of an area's count and its leading class's, named for the level."""
    noun = counted(level)
    return f"{total} AS {noun}, {leading} AS leading_class_{noun}"


CHANNEL_COLUMNS = ("assisted_index", "web_share", "telephone_share", "face_to_face_share")


def channel_join(alias: str, area: str, classification: str) -> str:
    """The join of modelled channel suitability onto the drawn areas (``alias`` its columns).

    UK areas join on their own classification; a UK NUTS3 region (drawn with the Europe
    classification) on the UK classification its output areas are modelled with, the only one
    ``channel_need`` holds NUTS rows for."""
    return (
        f"\n  LEFT JOIN channel_need {alias} ON ({alias}.classification_id = {classification}"
        f" OR {area}.level = 'nuts3') AND {alias}.level = {area}.level AND {alias}.code = {area}.code"
    )


def channel_columns(alias: str) -> str:
    """The channel columns, and where they come from (``channel_source``: modelled | observed)."""
    return "".join(f", {alias}.{c}" for c in CHANNEL_COLUMNS) + f", {alias}.source AS channel_source"
