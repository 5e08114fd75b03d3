"""PostgreSQL binary COPY payloads built with numpy, for bulk rebuilds of derived tables.

Text COPY costs a float-to-text round trip per value on both sides; the binary format sends
the eight bytes of each double as they are. Rows are assembled column by column into one
buffer (no Python object per value), so a million-row frame takes a fraction of a second.
Only frames of text, double, integer and boolean columns qualify; others use text COPY.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from sqlalchemy import Boolean, Double, Integer, Text

HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
_FIXED = {Double: (">f8", 8), Integer: (">i4", 4), Boolean: ("u1", 1)}


def supported(types: list[object]) -> bool:
    """Whether every column type has a binary encoder here."""
    return all(type(t) in (*_FIXED, Text) for t in types)


def _text(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """UTF-8 byte length per row (-1 for NULL) and the values as a fixed-width bytes array."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object).where(values.notna(), None)
    arr = pa.array(values.astype(object) if values.dtype == object else values, type=pa.large_string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + len(arr) + 1]
    lengths = np.diff(offsets)
    widest = int(lengths.max()) if len(lengths) else 0
    if len(lengths) * widest > 200_000_000:
        raise ValueError("text too wide for a binary COPY block")
    matrix = np.zeros((len(lengths), max(widest, 1)), dtype=np.uint8)
    if widest:
        data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
        matrix[np.arange(widest)[None, :] < lengths[:, None]] = data
    if arr.null_count:
        lengths = np.where(arr.is_null().to_numpy(zero_copy_only=False), -1, lengths)
    return lengths, matrix.view(f"S{matrix.shape[1]}").ravel()


def _fixed(values: pd.Series, sql_type: object) -> tuple[np.ndarray, np.ndarray]:
    dtype, width = _FIXED[type(sql_type)]
    null = values.isna().to_numpy()
    raw = values.to_numpy(dtype=float if width == 8 else np.int64, na_value=0)
    if type(sql_type) is Double:
        null = null | np.isnan(raw)
    elif width == 4 and raw.size and (raw.min() < -(2**31) or raw.max() >= 2**31):
        raise ValueError("integer out of range for a 4-byte column")
    return np.where(null, -1, width), raw.astype(dtype)


def payload(frame: pd.DataFrame, types: list[object]) -> bytes:
    """The whole COPY BINARY stream (header, rows, trailer) for ``frame``'s columns in order.

    Rows whose fields have the same byte lengths form one numpy record type; each such block
    is filled column by column and emitted whole (row order does not matter to COPY).
    """
    n = len(frame)
    fields = [
        _text(frame[c]) if type(t) is Text else _fixed(frame[c], t)
        for c, t in zip(frame.columns, types, strict=True)
    ]
    widths = np.stack([lengths for lengths, _ in fields], axis=1) if fields else np.zeros((n, 0), int)
    radix = widths.max(axis=0) + 2 if n else np.ones(len(fields), int)
    if np.sum(np.log2(radix.astype(float))) > 62:
        raise ValueError("too many distinct field widths for a binary COPY block")
    key = np.zeros(n, dtype=np.int64)
    for j in range(len(fields)):
        key = key * int(radix[j]) + (widths[:, j] + 1)
    _, first, group = np.unique(key, return_index=True, return_inverse=True)
    blocks = [HEADER]
    for g, row in enumerate(first):
        rows = np.flatnonzero(group == g)
        spec = [("count", ">i2")]
        for j, w in enumerate(widths[row]):
            spec.append((f"l{j}", ">i4"))
            if w > 0:
                spec.append((f"v{j}", f"S{w}" if type(types[j]) is Text else fields[j][1].dtype))
        block = np.empty(len(rows), dtype=np.dtype(spec))
        block["count"] = len(fields)
        for j, w in enumerate(widths[row]):
            block[f"l{j}"] = w
            if w > 0:
                block[f"v{j}"] = fields[j][1][rows]
        blocks.append(block.tobytes())
    blocks.append(TRAILER)
    return b"".join(blocks)
