"""The validation report of an upload: what was read, matched and rejected, and why.

Every rejected row is counted by field and reason; the first :data:`LISTED` are listed with
their row number (the header is row 1) and the offending value, made safe to echo
(:func:`records.safety.safe_cell`); a rejected postcode shows its outward code only. Unknown service and channel codes are named with their
row counts. The report is JSON-ready (:meth:`Report.as_dict`) and its listed rows can be
written as CSV (:func:`rejected_csv`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from records.safety import redact_postcode, safe_cell

LISTED = 100
NAMED = 50  # unknown codes named in the report, most frequent first
TRACKED = 100_000  # distinct unmatched postcodes or areas followed up (outside or unknown)

OUTSIDE = "outside the council's districts"
NOT_IN_LOOKUP = "postcode not in the postcode lookup"
UNKNOWN_AREA = "unknown area code"


@dataclass
class Rejection:
    row: int | None
    field: str
    reason: str
    value: str
    key: str = ""  # the normalised code, to refine the reason later


@dataclass
class Report:
    """Counts, reasons and the first rejected rows of one upload."""

    source_name: str = ""
    kind: str = ""
    delimiter: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    place: str = ""
    rows_read: int = 0
    rows_blank: int = 0
    rows_matched: int = 0
    contacts: int = 0
    terminated_postcodes: int = 0
    by_level: Counter[str] = field(default_factory=Counter)
    reasons: Counter[tuple[str, str]] = field(default_factory=Counter)
    listed: list[Rejection] = field(default_factory=list)
    unknown_services: Counter[str] = field(default_factory=Counter)
    unknown_channels: Counter[str] = field(default_factory=Counter)
    unmatched: dict[str, Counter[str]] = field(
        default_factory=lambda: {"postcode": Counter(), "area": Counter()}
    )
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def rows_rejected(self) -> int:
        return sum(self.reasons.values())

    @property
    def match_rate(self) -> float | None:
        return self.rows_matched / self.rows_read if self.rows_read else None

    def reject(self, row: int | None, field_name: str, reason: str, value: object, key: str = "") -> None:
        """Count one rejected row (listing it while fewer than :data:`LISTED` are)."""
        self.reasons[(field_name, reason)] += 1
        if len(self.listed) < LISTED:
            shown = redact_postcode(value) if field_name == "postcode" else safe_cell(value)
            self.listed.append(Rejection(row, field_name, reason, shown, key))

    def dates(self, first: dt.date, last: dt.date) -> None:
        self.date_from = first if self.date_from is None else min(self.date_from, first)
        self.date_to = last if self.date_to is None else max(self.date_to, last)

    def track_unmatched(self, field_name: str, counts: Counter[str]) -> None:
        """Remember unmatched codes (up to :data:`TRACKED` distinct) to tell later whether they
        lie outside the council's districts or are unknown altogether."""
        held = self.unmatched[field_name]
        for code, n in counts.items():
            if code in held or len(held) < TRACKED:
                held[code] += n

    def refine_outside(self, field_name: str, pending: str, outside: set[str]) -> None:
        """Codes found elsewhere in the country: their rows move from ``pending`` to
        :data:`OUTSIDE`."""
        moved = sum(n for code, n in self.unmatched[field_name].items() if code in outside)
        if moved:
            self.reasons[(field_name, pending)] -= moved
            if not self.reasons[(field_name, pending)]:
                del self.reasons[(field_name, pending)]
            self.reasons[(field_name, OUTSIDE)] += moved
        for item in self.listed:
            if item.field == field_name and item.reason == pending and item.key in outside:
                item.reason = OUTSIDE

    def as_dict(self) -> dict[str, Any]:
        rate = self.match_rate
        return {
            "source_name": safe_cell(self.source_name, 200),
            "kind": self.kind,
            "delimiter": self.delimiter,
            "columns": {k: safe_cell(v) for k, v in self.columns.items()},
            "place": self.place,
            "rows_read": self.rows_read,
            "rows_blank": self.rows_blank,
            "rows_matched": self.rows_matched,
            "rows_rejected": self.rows_rejected,
            "match_rate": None if rate is None else round(rate, 6),
            "contacts": self.contacts,
            "terminated_postcodes": self.terminated_postcodes,
            "rows_by_level": dict(sorted(self.by_level.items())),
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "rejections": [
                {"field": f, "reason": r, "rows": n}
                for (f, r), n in sorted(self.reasons.items(), key=lambda x: -x[1])
            ],
            "rejected_rows": [
                {"row": x.row, "field": x.field, "reason": x.reason, "value": x.value}
                for x in sorted(self.listed, key=lambda x: (x.row is None, x.row or 0))
            ],
            "rejected_rows_listed": len(self.listed),
            "unknown_services": _named(self.unknown_services),
            "unknown_channels": _named(self.unknown_channels),
        }


def _named(counts: Counter[str]) -> list[dict[str, Any]]:
    return [{"code": safe_cell(code), "rows": n} for code, n in counts.most_common(NAMED)]


def rejected_csv(report: dict[str, Any]) -> str:
    """The listed rejected rows of a report (as :meth:`Report.as_dict` gives it) as CSV text.

    Values were made safe when the report was written; they pass :func:`safe_cell` again so a
    report from elsewhere cannot smuggle a formula in.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row", "field", "reason", "value"])
    for item in report.get("rejected_rows", []):
        writer.writerow(
            [
                item.get("row"),
                safe_cell(item.get("field")),
                safe_cell(item.get("reason"), 200),
                safe_cell(item.get("value")),
            ]
        )
    return out.getvalue()
