"""CSV downloads that every tool reads, with their metadata beside them.

A CSV body is the header row and the data rows, nothing else: pandas, GDAL/QGIS, LibreOffice
and Excel all take the first line as the header. What the numbers mean (band edges, units,
sources, attribution, classification, vintages) goes in a JSON sidecar, linked from the
response with ``Link: <...>; rel="describedby"``, and the essentials in ``X-Insight-*``
headers.

UTF-8 without a byte-order mark by default: LibreOffice's CSV import decodes by the character
set chosen in its import options and ignores a BOM (headless, the default options read it
as three Windows-1252 characters glued to the first column name), pandas and GDAL read UTF-8
either way. ``bom=true`` adds one for Excel, which needs it to open UTF-8 CSV by double-click.

No cell is one a spreadsheet would run: a text cell starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is read as a formula by Excel, LibreOffice and Google Sheets (CSV
injection), so it gets a leading apostrophe; numbers stay numbers (a negative z is a number).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response

BOM = "\ufeff"
_PLAIN = {
    ord(k): v
    for k, v in {"©": "(c)", "–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "\n": " "}.items()
}
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
SUPPRESSED = "suppressed"  # what a suppressed count reads as (never 0)


def cell(value: Any) -> Any:
    """A value as written: None empty, booleans ``true``/``false``, formula-looking text escaped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def header_text(text: str) -> str:
    """A header value every client reads (ASCII): © as (c), dashes and quotes plain, accents
    dropped; the sidecar keeps the exact text."""
    plain = text.translate(_PLAIN)
    return unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode("ascii")


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = False) -> str:
    """Header and rows as CSV (cells as :func:`cell` writes them), optionally after a UTF-8 BOM."""
    out = io.StringIO()
    if bom:
        out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(c) for c in columns])
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def to_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """CSV text of rows given as mappings, ``columns`` picking and ordering their values."""
    return csv_text(columns, ([row.get(c) for c in columns] for row in rows))


def sidecar_url(request: Request, path: str | None = None, **changes: str) -> str:
    """The request's URL with another path and/or some query parameters changed."""
    url = request.url
    if path is not None:
        url = url.replace(path=path)
    params = dict(request.query_params) | changes
    params = {k: v for k, v in params.items() if k != "bom"}
    return str(url.replace_query_params(**params))


def csv_response(
    text: str, *, filename: str, described_by: str, headers: Mapping[str, str] | None = None
) -> Response:
    """A CSV download with its metadata linked and summed up in headers."""
    out = {
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Link": f'<{described_by}>; rel="describedby"; type="application/json"',
    }
    out |= {k: header_text(v) for k, v in (headers or {}).items()}
    return Response(text, media_type=CSV_MEDIA_TYPE, headers=out)
