"""Which column of an upload holds which field: defaults from common headers, or a mapping.

A mapping is ``field=COLUMN`` (``postcode=PCDS``); fields not mapped are found by their
header among common names (case, spaces, ``-`` and ``_`` ignored). The place a customer lives
is one column: a postcode, or an OA, LSOA or ward GSS code (``area``); when both are present
the postcode is used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from core.errors import BadRequest
from records.safety import safe_cell

FIELDS = ("postcode", "area", "service", "channel", "date", "count", "interaction", "synthetic")
REQUIRED = ("service", "channel", "date")

ALIASES: dict[str, tuple[str, ...]] = {
    "postcode": (
        "postcode",
        "postcodes",
        "pcds",
        "pcd",
        "pcd7",
        "pcd8",
        "postalcode",
        "customerpostcode",
        "addresspostcode",
        "zip",
    ),
    "area": (
        "area",
        "areacode",
        "gsscode",
        "gss",
        "oa",
        "oacode",
        "oa21cd",
        "oa11cd",
        "lsoa",
        "lsoacode",
        "lsoa21cd",
        "lsoa11cd",
        "ward",
        "wardcode",
        "wd23cd",
        "wd22cd",
        "wd24cd",
    ),
    "service": ("service", "servicecode", "lgsl", "lgslcode", "lgslid", "serviceid"),
    "channel": ("channel", "contactchannel", "channelcode", "lgchl", "channelid", "contactmethod", "method"),
    "date": (
        "date",
        "contactdate",
        "datereceived",
        "receiveddate",
        "received",
        "created",
        "createddate",
        "datetime",
        "timestamp",
        "eventdate",
        "transactiondate",
    ),
    "count": ("count", "contacts", "number", "volume", "n", "quantity"),
    "interaction": ("interaction", "interactioncode", "interactionid", "lgil", "lgilcode", "lgilid"),
    "synthetic": ("synthetic",),
}
FIELD_HELP = {
    "postcode": "the customer's postcode",
    "area": "an OA, LSOA or ward GSS code",
    "service": "the LGSL service code",
    "channel": "the contact channel",
    "date": "the date",
}


def _key(header: str) -> str:
    return re.sub(r"[\s_\-.]", "", header.strip().lower())


def parse_mapping(pairs: Iterable[str] | Mapping[str, str] | None) -> dict[str, str]:
    """``["postcode=PCDS", ...]`` (or a dict) checked into ``{field: column header}``."""
    if pairs is None:
        return {}
    items = list(pairs.items()) if isinstance(pairs, Mapping) else []
    if not isinstance(pairs, Mapping):
        for pair in pairs:
            field, sep, column = pair.partition("=")
            if not sep or not field.strip() or not column.strip():
                raise BadRequest(
                    f"column mapping {safe_cell(pair)!r}: write FIELD=COLUMN, e.g. postcode=PCDS"
                )
            items.append((field, column))
    mapping: dict[str, str] = {}
    for field, column in items:
        name = field.strip().lower()
        if name not in FIELDS:
            raise BadRequest(
                f"column mapping: unknown field {safe_cell(name)!r}; fields are {', '.join(FIELDS)}"
            )
        mapping[name] = column.strip()
    return mapping


@dataclass(frozen=True)
class Columns:
    """Positions of the fields in the file's header (None: not present)."""

    header: tuple[str, ...]
    positions: Mapping[str, int | None]

    def __getitem__(self, field: str) -> int | None:
        return self.positions.get(field)

    @property
    def place(self) -> str:
        """``postcode`` or ``area``: the field that says where the customer lives."""
        return "postcode" if self.positions.get("postcode") is not None else "area"


def resolve(header: Sequence[str], mapping: Mapping[str, str] | None = None) -> Columns:
    """Find each field's column; name the missing ones and the header found.

    Raises
    ------
    UploadInvalid
        A mapped column that is not in the header, or a required field without a column.
    """
    from records.errors import UploadInvalid

    mapping = dict(mapping or {})
    header = tuple(str(h) for h in header)
    exact = {h.strip(): i for i, h in reversed(list(enumerate(header)))}
    keyed = {_key(h): i for i, h in reversed(list(enumerate(header))) if _key(h)}
    positions: dict[str, int | None] = {}
    for field in FIELDS:
        if field in mapping:
            column = mapping[field]
            index = exact.get(column, keyed.get(_key(column)))
            if index is None:
                raise UploadInvalid(
                    f"mapped column {safe_cell(column)!r} ({field}) is not in the header: {_listing(header)}"
                )
            positions[field] = index
        else:
            positions[field] = next((keyed[a] for a in ALIASES[field] if a in keyed), None)
    if "area" not in mapping and "postcode" in mapping:
        positions["area"] = None
    missing = [f for f in REQUIRED if positions[f] is None]
    if positions["postcode"] is None and positions["area"] is None:
        missing.insert(0, "postcode")
    if missing:
        wanted = "; ".join(
            f"{f} ({FIELD_HELP[f]}{' or area: ' + FIELD_HELP['area'] if f == 'postcode' else ''})"
            for f in missing
        )
        raise UploadInvalid(
            f"no column for {wanted}. Columns found: {_listing(header)}. "
            "Map a column with FIELD=COLUMN, e.g. postcode=PCDS"
        )
    return Columns(header, positions)


def _listing(header: Sequence[str], limit: int = 20) -> str:
    shown = [safe_cell(h) or "(blank)" for h in header[:limit]]
    more = f" ... (+{len(header) - limit} more)" if len(header) > limit else ""
    return ", ".join(shown) + more
