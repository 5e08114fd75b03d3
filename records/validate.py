"""Checking one batch of rows, column by column over arrays (never row by row in Python).

Text is normalised with Arrow compute functions; the codes a column holds are parsed once per
distinct value (a batch of 60,000 rows holds a few hundred distinct dates, services and
channels), then spread back over the rows. Each row is judged field by field in a fixed order
(place, service, channel, date, count, interaction); its first fault is the one reported.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.channels import CHANNELS, normalise_channel
from records.columns import Columns
from records.gazetteer import LEVEL_PREFIXES, Gazetteer
from records.report import LISTED, NOT_IN_LOOKUP, UNKNOWN_AREA, Rejection, Report
from records.safety import redact_postcode, safe_cell

EARLIEST = dt.date(1990, 1, 1)
MAX_COUNT = 1_000_000
NOT_GIVEN = -1  # interaction id when none is given

_POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$"
_GSS = re.compile(r"^[EWSN]\d{8}$")
_INT = re.compile(r"^\+?(\d{1,9})(?:\.0*)?$")
_YMD = re.compile(r"^(?P<y>\d{4})(?P<s>[-/.]?)(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})$")
_DMY = re.compile(r"^(?P<d>\d{1,2})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<y>\d{4}|\d{2})$")

# Reasons, numbered; 0 = the row is fine.
REASONS: list[tuple[str, str]] = [("", "")]


def _reason(field: str, text: str) -> int:
    REASONS.append((field, text))
    return len(REASONS) - 1


PLACE_MISSING = _reason("postcode", "missing")
NOT_A_POSTCODE = _reason("postcode", "not a postcode")
POSTCODE_UNMATCHED = _reason("postcode", NOT_IN_LOOKUP)
AREA_MISSING = _reason("area", "missing")
NOT_AN_AREA = _reason("area", "not an OA, LSOA or ward GSS code")
AREA_UNMATCHED = _reason("area", UNKNOWN_AREA)
SERVICE_MISSING = _reason("service", "missing")
NOT_A_SERVICE = _reason("service", "not an LGSL code (a whole number)")
UNKNOWN_SERVICE = _reason("service", "unknown LGSL service code")
CHANNEL_MISSING = _reason("channel", "missing")
UNKNOWN_CHANNEL = _reason("channel", "unknown channel")
DATE_MISSING = _reason("date", "missing")
BAD_DATE = _reason("date", "not a date (use YYYY-MM-DD or DD/MM/YYYY)")
FUTURE_DATE = _reason("date", "in the future")
EARLY_DATE = _reason("date", f"before {EARLIEST.isoformat()}")
COUNT_MISSING = _reason("count", "missing")
BAD_COUNT = _reason("count", f"not a whole number from 1 to {MAX_COUNT:,}")
BAD_INTERACTION = _reason("interaction", "not an LGIL interaction id (a whole number)")
RAGGED = _reason("row", "wrong number of fields")
# rows of POSTCODE_UNMATCHED and AREA_UNMATCHED whose code is found elsewhere in the country
# move to "outside the council's districts" once the file is read (records.upload.refine)

CHANNEL_IDS = tuple(c.channel for c in CHANNELS)
AGGREGATE_KEYS = ("level", "area_code", "service_code", "channel", "month", "interaction_id")


def _text(batch: pa.Table, index: int | None) -> pa.Array | None:
    if index is None:
        return None
    column = batch.column(index)
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _per_distinct(
    values: pa.Array | None, parse: Callable[[str], tuple[Any, int]], dtype: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    """``parse`` applied once per distinct value: per-row results (of ``dtype``) and reasons,
    the per-row dictionary index and the distinct values."""
    assert values is not None
    encoded = values.dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    parsed = [parse(v.strip()) for v in distinct]
    results = np.array([p[0] for p in parsed], dtype=dtype)
    reasons = np.array([p[1] for p in parsed], dtype=np.int16)
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    return results[indices], reasons[indices], indices, distinct


def _first(reason: np.ndarray, new: np.ndarray) -> np.ndarray:
    return np.where(reason == 0, new, reason)


def _parse_service(known: frozenset[int]) -> Callable[[str], tuple[Any, int]]:
    def parse(text: str) -> tuple[Any, int]:
        if not text:
            return -1, SERVICE_MISSING
        m = _INT.match(text)
        if not m:
            return -1, NOT_A_SERVICE
        code = int(m.group(1))
        return (code, 0) if code in known and code <= MAX_SERVICE else (-1, UNKNOWN_SERVICE)

    return parse


def _parse_channel(text: str) -> tuple[Any, int]:
    if not text:
        return 0, CHANNEL_MISSING
    channel = normalise_channel(text)
    return (CHANNEL_IDS.index(channel), 0) if channel else (0, UNKNOWN_CHANNEL)


def _parse_date(today: dt.date) -> Callable[[str], tuple[Any, int]]:
    def parse(text: str) -> tuple[Any, int]:
        nat = np.datetime64("NaT", "D")
        if not text:
            return nat, DATE_MISSING
        day = _date_of(text)
        if day is None:
            return nat, BAD_DATE
        if day > today:
            return nat, FUTURE_DATE
        if day < EARLIEST:
            return nat, EARLY_DATE
        return np.datetime64(day, "D"), 0

    return parse


def _date_of(text: str) -> dt.date | None:
    """The day of ``YYYY-MM-DD``, ``DD/MM/YYYY`` and their kin (UK order: day before month)."""
    m = _YMD.match(text) or _DMY.match(text)
    if not m:
        return None
    year = m.group("y")
    try:
        return dt.date(int(year) + (2000 if len(year) == 2 else 0), int(m.group("m")), int(m.group("d")))
    except ValueError:
        return None


def _parse_count(text: str) -> tuple[Any, int]:
    if not text:
        return 0, COUNT_MISSING
    m = _INT.match(text)
    value = int(m.group(1)) if m else 0
    return (value, 0) if 1 <= value <= MAX_COUNT else (0, BAD_COUNT)


def _parse_interaction(text: str) -> tuple[Any, int]:
    if not text:
        return NOT_GIVEN, 0
    m = _INT.match(text)
    value = int(m.group(1)) if m else -1
    return (value, 0) if 0 <= value <= MAX_INTERACTION else (NOT_GIVEN, BAD_INTERACTION)


def check_batch(
    batch: pa.Table,
    numbers: np.ndarray,
    columns: Columns,
    gazetteer: Gazetteer,
    today: dt.date,
    report: Report,
) -> tuple[np.ndarray, np.ndarray]:
    """Validate one batch: rejections go into ``report``; the valid rows come back as their
    aggregate keys (:func:`encode_keys`) and contacts, one entry per row.

    Parameters
    ----------
    numbers
        The file's row number of each row of the batch (the header is row 1; rows the reader
        skipped as ragged are not in the batch, so the numbers may jump).
    """
    n = batch.num_rows
    texts = {f: _text(batch, i) for f, i in columns.positions.items()}
    # rows with nothing in any used column are blank lines, not records
    filled = np.zeros(n, dtype=bool)
    for f, i in columns.positions.items():
        if i is not None and f != "synthetic":
            filled |= pc.not_equal(pc.utf8_length(texts[f]), 0).to_numpy(zero_copy_only=False)
    rows = np.flatnonzero(filled)
    report.rows_blank += n - len(rows)
    report.rows_read += len(rows)
    if not len(rows):
        return _no_rows()
    if len(rows) < n:
        take = pa.array(rows)
        texts = {f: None if a is None else a.take(take) for f, a in texts.items()}
    row_numbers = numbers[rows]
    reason = np.zeros(len(rows), dtype=np.int16)
    raw: dict[int, pa.Array] = {}  # offending values per reason, for the listing
    keys: dict[int, np.ndarray] = {}

    # where the customer lives: a position in the gazetteer's areas
    if columns.place == "postcode":
        values = texts["postcode"]
        assert values is not None
        encoded = values.dictionary_encode()
        distinct = pc.utf8_upper(pc.replace_substring_regex(encoded.dictionary, r"\s+", ""))
        idx = encoded.indices.to_numpy(zero_copy_only=False)
        shaped = pc.match_substring_regex(distinct, _POSTCODE).to_numpy(zero_copy_only=False)
        empty = pc.equal(pc.utf8_length(distinct), 0).to_numpy(zero_copy_only=False)
        found = _positions(distinct, gazetteer.postcodes)
        hit = found >= 0
        d_reason = np.where(
            empty, PLACE_MISSING, np.where(~shaped, NOT_A_POSTCODE, np.where(hit, 0, POSTCODE_UNMATCHED))
        )
        reason = _first(reason, d_reason.astype(np.int16)[idx])
        safe = np.where(hit, found, 0)
        d_area = (
            gazetteer.postcode_area[safe] if len(gazetteer.postcode_area) else np.zeros(len(safe), np.int64)
        )
        d_term = (gazetteer.postcode_terminated[safe] & hit) if len(gazetteer.postcode_area) else hit & False
        area = d_area[idx]
        terminated = d_term[idx]
        raw[PLACE_MISSING] = raw[NOT_A_POSTCODE] = raw[POSTCODE_UNMATCHED] = values
        keys[POSTCODE_UNMATCHED] = np.asarray(distinct.to_pylist() + [""], dtype=object)[:-1][idx]
        _track(report, "postcode", distinct, idx, reason == POSTCODE_UNMATCHED)
    else:
        values = texts["area"]
        assert values is not None
        encoded = values.dictionary_encode()
        distinct = pc.utf8_upper(pc.utf8_trim_whitespace(encoded.dictionary))
        idx = encoded.indices.to_numpy(zero_copy_only=False)
        codes = distinct.to_pylist()
        d_level = np.array(
            [LEVEL_PREFIXES.get(c[:3], "") if _GSS.match(c) else "" for c in codes] + [""], dtype=object
        )[:-1]
        found = _positions(distinct, gazetteer.area_codes)
        hit = found >= 0
        safe = np.where(hit, found, 0)
        if len(gazetteer.area_levels):
            hit &= gazetteer.area_levels[safe] == d_level
        empty = np.array([not c for c in codes], dtype=bool)
        d_reason = np.where(
            empty, AREA_MISSING, np.where(d_level == "", NOT_AN_AREA, np.where(hit, 0, AREA_UNMATCHED))
        )
        reason = _first(reason, d_reason.astype(np.int16)[idx])
        area = safe[idx]
        terminated = np.zeros(len(rows), dtype=bool)
        raw[AREA_MISSING] = raw[NOT_AN_AREA] = raw[AREA_UNMATCHED] = values
        keys[AREA_UNMATCHED] = np.asarray(codes + [""], dtype=object)[:-1][idx]
        _track(report, "area", distinct, idx, reason == AREA_UNMATCHED)

    # service
    service, r, sidx, sdistinct = _per_distinct(
        texts["service"], _parse_service(gazetteer.services), np.int64
    )
    _name_unknown(report.unknown_services, sdistinct, sidx, (reason == 0) & (r == UNKNOWN_SERVICE))
    reason = _first(reason, r)
    raw[SERVICE_MISSING] = raw[NOT_A_SERVICE] = raw[UNKNOWN_SERVICE] = texts["service"]

    # channel, as its position in CHANNEL_IDS
    channel, r, cidx, cdistinct = _per_distinct(texts["channel"], _parse_channel, np.int64)
    _name_unknown(report.unknown_channels, cdistinct, cidx, (reason == 0) & (r == UNKNOWN_CHANNEL))
    reason = _first(reason, r)
    raw[CHANNEL_MISSING] = raw[UNKNOWN_CHANNEL] = texts["channel"]

    # date: the part before any time of day, parsed once per distinct day
    dates = texts["date"]
    assert dates is not None
    day_part = pc.utf8_trim_whitespace(dates)
    for separator in (" ", "T"):
        day_part = pc.list_element(pc.split_pattern(day_part, pattern=separator, max_splits=1), 0)
    day, r, _, _ = _per_distinct(day_part, _parse_date(today), "datetime64[D]")
    reason = _first(reason, r)
    raw[DATE_MISSING] = raw[BAD_DATE] = raw[FUTURE_DATE] = raw[EARLY_DATE] = dates

    # count and interaction
    if texts["count"] is not None:
        count, r, _, _ = _per_distinct(texts["count"], _parse_count, np.int64)
        reason = _first(reason, r)
        raw[COUNT_MISSING] = raw[BAD_COUNT] = texts["count"]
    else:
        count = np.ones(len(rows), dtype=np.int64)
    if texts["interaction"] is not None:
        interaction, r, _, _ = _per_distinct(texts["interaction"], _parse_interaction, np.int64)
        reason = _first(reason, r)
        raw[BAD_INTERACTION] = texts["interaction"]
    else:
        interaction = np.full(len(rows), NOT_GIVEN, dtype=np.int64)

    _record_rejections(report, reason, row_numbers, raw, keys)
    ok = reason == 0
    if not ok.any():
        return _no_rows()
    days = day[ok]
    report.dates(days.min().item(), days.max().item())
    report.rows_matched += int(ok.sum())
    report.terminated_postcodes += int((terminated & ok).sum())
    contacts = count[ok]
    report.contacts += int(contacts.sum())
    if len(gazetteer.area_levels):
        per_level = np.bincount(gazetteer.level_index[area[ok]], minlength=len(gazetteer.level_names))
        for name, k in zip(gazetteer.level_names, per_level, strict=True):
            if k:
                report.by_level[name] += int(k)
    months = (days.astype("datetime64[M]") - EPOCH_MONTH).astype(np.int64)
    return encode_keys(area[ok], service[ok], channel[ok], months, interaction[ok]), contacts


# Aggregate keys packed in one int64: area position (21 bits), channel (3), month since 1990
# (10), LGSL code (14), interaction id + 1 (15). Sorting and summing packed keys is one numpy
# pass; they are unpacked into columns once, at the end.
EPOCH_MONTH = np.datetime64("1990-01", "M")
_BITS = {"area": 21, "channel": 3, "month": 10, "service": 14, "interaction": 15}
MAX_AREAS = 1 << _BITS["area"]
MAX_SERVICE = (1 << _BITS["service"]) - 1
MAX_INTERACTION = (1 << _BITS["interaction"]) - 2


def encode_keys(
    area: np.ndarray, service: np.ndarray, channel: np.ndarray, month: np.ndarray, interaction: np.ndarray
) -> np.ndarray:
    key = area.astype(np.int64)
    key = (key << _BITS["channel"]) | channel
    key = (key << _BITS["month"]) | month
    key = (key << _BITS["service"]) | service
    return (key << _BITS["interaction"]) | (interaction + 1)


def decode_keys(key: np.ndarray) -> dict[str, np.ndarray]:
    out = {}
    for name in ("interaction", "service", "month", "channel", "area"):
        bits = _BITS[name]
        out[name] = key & ((1 << bits) - 1)
        key = key >> bits
    out["interaction"] = out["interaction"] - 1
    return out


def sum_by_key(keys: np.ndarray, contacts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct keys and the contacts summed per key."""
    inverse, distinct = pd.factorize(keys)  # hashing: no sort of a million keys
    sums = np.bincount(inverse, weights=contacts, minlength=len(distinct))
    return np.asarray(distinct, dtype=np.int64), np.rint(sums).astype(np.int64)


def to_table(keys: np.ndarray, contacts: np.ndarray, gazetteer: Gazetteer) -> pa.Table:
    """Packed keys and their contacts as the aggregate columns (:data:`AGGREGATE_KEYS`)."""
    parts = decode_keys(keys)
    area = parts["area"]
    months = (EPOCH_MONTH + parts["month"]).astype("datetime64[D]")
    return pa.table(
        {
            "level": pa.array(gazetteer.area_levels[area] if len(area) else [], pa.string()),
            "area_code": gazetteer.area_codes.take(pa.array(area, pa.int64())),
            "service_code": pa.array(parts["service"].astype(np.int32), pa.int32()),
            "channel": pa.array(
                np.asarray(CHANNEL_IDS, dtype=object)[parts["channel"]] if len(area) else [], pa.string()
            ),
            "month": pa.array(months, pa.date32()),
            "interaction_id": pa.array(parts["interaction"].astype(np.int32), pa.int32()),
            "contacts": pa.array(contacts.astype(np.int64), pa.int64()),
        }
    )


def _positions(values: pa.Array, value_set: pa.Array) -> np.ndarray:
    """Position of each value in ``value_set`` (-1 where absent)."""
    if not len(value_set) or not len(values):
        return np.full(len(values), -1, dtype=np.int64)
    found = pc.index_in(values, value_set=value_set)
    return pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _no_rows() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)


def _track(report: Report, field: str, distinct: pa.Array, idx: np.ndarray, rows: np.ndarray) -> None:
    if rows.any():
        counts = np.bincount(idx[rows], minlength=len(distinct))
        names = distinct.to_pylist()
        report.track_unmatched(field, Counter({names[i]: int(counts[i]) for i in np.flatnonzero(counts)}))


def _name_unknown(named: Counter[str], distinct: list[str], idx: np.ndarray, rows: np.ndarray) -> None:
    if rows.any():
        counts = np.bincount(idx[rows], minlength=len(distinct))
        for i in np.flatnonzero(counts):
            named[distinct[i]] += int(counts[i])


def _record_rejections(
    report: Report,
    reason: np.ndarray,
    row_numbers: np.ndarray,
    raw: dict[int, pa.Array],
    keys: dict[int, np.ndarray],
) -> None:
    bad = np.flatnonzero(reason)
    if not len(bad):
        return
    for code, k in zip(*np.unique(reason[bad], return_counts=True), strict=True):
        field, text = REASONS[int(code)]
        report.reasons[(field, text)] += int(k)
    room = max(0, LISTED - len(report.listed))
    for i in bad[:room]:
        code = int(reason[i])
        field, text = REASONS[code]
        value = raw[code][int(i)].as_py() if code in raw else ""
        key = str(keys[code][i]) if code in keys else ""
        shown = redact_postcode(value) if field == "postcode" else safe_cell(value)
        report.listed.append(Rejection(int(row_numbers[i]), field, text, shown, key))
