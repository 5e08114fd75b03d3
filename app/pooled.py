"""Councils' pooled evidence of a service as the public service document shows it.

The observed index sits beside the modelled one for every class, with the source the demand
model uses; pooled customer counts of 1 to 5 (and the class suppressed with them) are not shown.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from core.store.queries.pooling import PooledRow

SYNTHETIC_NOTE = "Derived from synthetic demo records, not real councils' customers."


def _number(value: float | None, digits: int = 2) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def pooled_evidence(rows: Sequence[PooledRow]) -> dict[str, Any] | None:
    """The ``evidence`` part of a service model (None when nothing is pooled)."""
    if not rows:
        return None
    first = rows[0]
    classes = []
    for r in rows:
        observed = _number(r.observed_index)
        suppressed = observed is None and r.customers > 0
        classes.append(
            {
                "class_code": r.class_code,
                "tier": r.tier,
                "customers": None if suppressed else _number(r.customers, 1),
                "households": _number(r.households, 1) or 0.0,
                "councils": int(r.councils),
                "observed_index": observed,
                "index_low": _number(r.index_low),
                "index_high": _number(r.index_high),
                "modelled_index": _number(r.modelled_index),
                "used": first.source if observed is not None else "modelled",
                "suppressed": suppressed,
                "warning": r.warning,
            }
        )
    what = (
        f"{first.source}: pooled from {first.service_councils} councils' records "
        f"({first.sample_size:,} contacts) as of {first.as_of}; classes without an observed index keep "
        "the modelled one."
    )
    return {
        "used": any(c["observed_index"] is not None for c in classes),
        "source": first.source,
        "as_of": str(first.as_of),
        "sample_size": int(first.sample_size),
        "councils": int(first.service_councils),
        "synthetic": bool(first.synthetic),
        "note": what + (" " + SYNTHETIC_NOTE if first.synthetic else ""),
        "classes": classes,
    }
