"""A council's customer profile: customers against base households per class.

Works the statistics out with :mod:`geo.profiling` and suppresses small counts with
:mod:`geo.disclosure` over every tier at once (each parent class sums its children), so no two
answers can be subtracted to reveal a suppressed class; when the customers are narrowed to one
area, a class whose count comes within five of the districts' own, or of any larger area
holding it (an output area's LSOA and ward, an LSOA's ward), is suppressed too, so no two
answers can be subtracted to reveal the few customers between them. Returns a JSON-ready document naming
its base, its source (the council's uploads, "synthetic" when any was generated) and what was
suppressed.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from app.council_data import (
    SUPPRESSION_NOTE,
    CouncilRef,
    base_counts,
    customer_counts,
    districts_area,
    enclosing_areas,
    resolve_base,
    resolve_customer_area,
    rounded,
    service_label,
    source_doc,
)
from core.errors import BadRequest
from core.store import Reader
from core.store.queries import profiles as q
from geo import disclosure, profiling


async def profile(
    store: Reader,
    council: CouncilRef,
    *,
    classification_id: str,
    tiers: tuple[str, ...],
    tier: str,
    lgsl: int | None,
    base: str | None,
    area: str | None,
) -> dict[str, Any]:
    """The customer profile of one tier, suppressed consistently with every other tier."""
    if tier not in tiers:
        raise BadRequest(f"unknown tier {tier!r}; known tiers: {', '.join(tiers)}")
    base_area = await resolve_base(store, council, base)
    customer_area = await resolve_customer_area(store, council, area)
    info = await store.fetch_as(q.ClassInfoRow, q.classes(classification_id))
    narrowed = customer_area.kind != "districts"
    # the answers a narrowed one could be subtracted from: the districts' and those of every
    # larger area holding it (an output area's LSOA and ward, an LSOA's ward)
    containers = [districts_area(council)] + (await enclosing_areas(store, customer_area) if narrowed else [])
    per_tier: dict[str, pd.DataFrame] = {}
    wider: list[dict[str, pd.Series]] = [{} for _ in containers]
    for t in tiers:
        codes = [c.code for c in info if c.tier == t]
        if narrowed:
            for k, container in enumerate(containers):
                everyone = await customer_counts(store, council, lgsl, classification_id, t, container)
                wider[k][t] = everyone.reindex(codes).fillna(0.0)
        customers = await customer_counts(store, council, lgsl, classification_id, t, customer_area)
        households = await base_counts(store, classification_id, t, base_area)
        customers = customers.reindex(codes).fillna(0.0)
        households = households.reindex(codes).fillna(0.0)
        per_tier[t] = profiling.profile_table(customers, households)
    totals = await store.fetch_as(
        q.RecordTotalsRow,
        q.record_totals(
            council_id=council.council_id,
            lgsl=lgsl,
            within_level=customer_area.level or "lad",
            within_codes=customer_area.codes,
        ),
    )
    total = float(totals[0].total or 0) if totals else 0.0
    inside = float(totals[0].inside or 0) if totals else 0.0
    classified = float(per_tier[tiers[0]]["customers"].sum())

    # one flat table over every tier: [classified total, classes...], parents summing children
    flat_codes: list[str] = []
    flat_parents: list[str | None] = []
    flat_values: list[float] = [classified]
    by_code = {c.code: c for c in info}
    for t in tiers:
        for code, value in per_tier[t]["customers"].items():
            flat_codes.append(str(code))
            flat_parents.append(by_code[str(code)].parent_code)
            flat_values.append(float(value))
    # and the record totals: all = classified + unclassified + outside the customer area
    unclassified, outside = max(inside - classified, 0.0), max(total - inside, 0.0)
    n = len(flat_values)
    flat_values += [total, unclassified, outside]
    constraints = disclosure.hierarchy_constraints(flat_codes, flat_parents)
    constraints.append((n, [0, n + 1, n + 2]))
    values = np.array(flat_values)
    first = disclosure.primary_mask(values)
    for counts in wider if narrowed else []:  # within a few customers of a larger area's count
        everyone = [float(counts[tiers[0]].sum())] + [float(v) for t in tiers for v in counts[t].to_numpy()]
        first[:n] |= disclosure.difference_mask(values[:n], np.array(everyone))
    if first[n + 1] or first[n + 2]:  # hide the count of all records rather than the profile's total
        first[n] = True
    mask = disclosure.secondary_mask(values, first, constraints)
    suppressed = dict(zip(flat_codes, mask[1:n].tolist(), strict=True))
    total_suppressed = bool(mask[0])

    table = per_tier[tier]
    rows = []
    for code, r in table.iterrows():
        c = by_code[str(code)]
        hidden = suppressed[str(code)] or total_suppressed
        row: dict[str, Any] = {
            "code": str(code),
            "name": c.name,
            "colour": c.colour,
            "parent_code": c.parent_code,
            "base_households": rounded(r["base"], 1),
            "base_share": rounded(r["base_share"]),
            "suppressed": hidden,
        }
        if hidden:
            row |= dict.fromkeys(
                ("customers", "customer_share", "index", "index_low", "index_high", "penetration", "z"), None
            )
            row |= {"significant": None, "wording": None}
        else:
            row |= {
                "customers": rounded(r["customers"], 1),
                "customer_share": rounded(r["customer_share"]),
                "index": rounded(r["index"], 1),
                "index_low": rounded(r["index_low"], 1),
                "index_high": rounded(r["index_high"], 1),
                "penetration": rounded(r["penetration"], 3),
                "z": rounded(r["z"], 2),
                "significant": bool(r["significant"]) if rounded(r["z"]) is not None else None,
                "wording": r["wording"] if isinstance(r["wording"], str) else None,
            }
        rows.append(row)

    def shown(position: int) -> float | None:
        return None if mask[position] else round(flat_values[position], 1)

    return {
        "council": {"id": council.council_id, "name": council.name},
        "classification_id": classification_id,
        "tier": tier,
        "tiers": list(tiers),
        "service": await service_label(store, lgsl),
        "base": base_area.doc() | {"households": rounded(per_tier[tier]["base"].sum(), 1)},
        "customers": {
            "area": customer_area.doc(),
            "classified": None if total_suppressed else round(classified, 1),
            "all_records": shown(n),
            "unclassified": shown(n + 1),
            "outside_area": shown(n + 2),
        },
        "source": await source_doc(store, council, lgsl),
        "suppression": {
            "rule": SUPPRESSION_NOTE,
            "suppressed_classes": int(sum(r["suppressed"] for r in rows)),
        },
        "significance": "z of the customer share against the base share; |z| > 2 is flagged",
        "interval": "95 % Wilson interval of the customer share, divided by the base share",
        "classes": rows,
    }
