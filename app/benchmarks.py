"""A council's take-up and profile index for a service against the other councils that uploaded
it: its percentile, the others' median and interquartile range, never another council's name,
id or counts; shown only when enough other councils contribute (``benchmark_min_others``).

Take-up is observed contacts inside the council's districts over the modelled expected demand
of its districts (the public model's propensities), scaled so that all contributing councils
together make 100; so big and small councils compare fairly. A council's class index takes part
only where its count is shown (not suppressed).
"""

from __future__ import annotations

from typing import Any

from app import profiles
from app.council_data import CouncilRef, rounded, service_label, source_doc
from core.errors import BadRequest
from core.store import Reader
from core.store.queries import profiles as q
from geo import benchmarks, disclosure
from records import access

NOTE = (
    "Anonymised: the other councils that uploaded records of this service are never named; "
    "only the percentile of your value among theirs, their median and interquartile range are "
    "shown, and only when at least {n} other councils contribute. Take-up is observed over "
    "modelled expected demand (100 = all contributing councils together)."
)


async def _observed(store: Reader, council: CouncilRef, lgsl: int) -> float:
    rows = await store.fetch_as(
        q.RecordTotalsRow,
        q.record_totals(
            council_id=council.council_id, lgsl=lgsl, within_level="lad", within_codes=council.districts
        ),
    )
    return float(rows[0].inside or 0) if rows else 0.0


async def benchmark(
    store: Reader,
    council: CouncilRef,
    *,
    classification_id: str,
    tiers: tuple[str, ...],
    tier: str,
    lgsl: int | None,
    min_others: int,
) -> dict[str, Any]:
    """The council's placing among the others, or why there is none yet."""
    if lgsl is None:
        raise BadRequest("benchmarks compare one service: give service=LGSL")
    ids = [r["council_id"] for r in await store.fetch(q.councils_with_service(lgsl))]
    others = [i for i in ids if i != council.council_id]
    doc: dict[str, Any] = {
        "council": {"id": council.council_id, "name": council.name},
        "service": await service_label(store, lgsl),
        "classification_id": classification_id,
        "tier": tier,
        "other_councils": len(others),
        "min_others": min_others,
        "source": await source_doc(store, council, lgsl),
        "note": NOTE.format(n=min_others),
    }
    if council.council_id not in ids:
        return doc | {"enough": False, "reason": "your council has no records of this service"}
    if len(others) < min_others:
        return doc | {
            "enough": False,
            "reason": f"not enough councils: {len(others)} other council(s) uploaded this service, {min_others} needed",
        }
    refs = {council.council_id: council}
    for other in others:
        c = await access.council(store, other)
        refs[other] = CouncilRef.of(c)
    observed = {i: await _observed(store, r, lgsl) for i, r in refs.items()}
    expected = {}
    for i, r in refs.items():
        e = await store.fetchval(
            q.expected_in_districts(classification_id=classification_id, lgsl=lgsl, districts=r.districts)
        )
        if e is not None and float(e) > 0:
            expected[i] = float(e)
    takeup: dict[str, Any] | None = None
    shown = {i: o for i, o in observed.items() if not disclosure.primary_mask([o])[0] and o > 0}
    if council.council_id in expected and council.council_id in shown:
        indices = benchmarks.takeup_indices({i: shown[i] for i in shown}, expected)
        theirs = [v for i, v in indices.items() if i != council.council_id]
        if len(theirs) >= min_others:
            p = benchmarks.place(indices[council.council_id], theirs)
            takeup = _placing(p)
    per_class: dict[str, list[float]] = {}
    mine: dict[str, dict[str, Any]] = {}
    for i, r in refs.items():
        prof = await profiles.profile(
            store,
            r,
            classification_id=classification_id,
            tiers=tiers,
            tier=tier,
            lgsl=lgsl,
            base=None,
            area=None,
        )
        for row in prof["classes"]:
            if i == council.council_id:
                mine[row["code"]] = row
            elif row["index"] is not None:
                per_class.setdefault(row["code"], []).append(float(row["index"]))
    classes = []
    for code, row in mine.items():
        theirs = per_class.get(code, [])
        entry: dict[str, Any] = {"code": code, "name": row["name"], "others": len(theirs)}
        if row["index"] is None or len(theirs) < min_others:
            entry |= {"index": row["index"], "placing": None}
        else:
            entry |= {
                "index": row["index"],
                "placing": _placing(benchmarks.place(float(row["index"]), theirs)),
            }
        classes.append(entry)
    return doc | {"enough": True, "takeup": takeup, "classes": classes}


def _placing(p: benchmarks.Placing) -> dict[str, Any]:
    return {
        "value": rounded(p.value, 1),
        "percentile": rounded(p.percentile, 1),
        "median": rounded(p.median, 1),
        "q1": rounded(p.q1, 1),
        "q3": rounded(p.q3, 1),
        "others": p.others,
    }
