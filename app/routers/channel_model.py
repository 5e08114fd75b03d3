"""The modelled channel suitability: its drivers, weights, rationale, baseline and class indices."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from app.deps import SettingsDep, StoreDep
from core.store.queries import areas as q
from core.store.queries import profiles as pq
from derive.services import CENSUS_DRIVERS
from geo import channel_need as need

router = APIRouter(prefix="/api/channels", tags=["catalogue"])

METHOD = (
    "Modelled, not observed. Each class's likelihood of needing assisted (telephone or face-to-face) "
    "rather than web contact is the weighted mean of its single-driver indices (100 × the class's "
    "household-weighted mean of the driver / the England and Wales mean), rescaled so the reference "
    "population is 100; an area's index is the household-weighted mean of its classes'. The expected "
    "mix scales the baseline's assisted share by index / 100 (at most 95 %), split between telephone "
    "and face-to-face as in the baseline; web takes the rest. The baseline is an assumption, not a "
    "measurement: councils' own records (their channel mix in the workspace) are the evidence. "
    "Areas: output areas, LSOAs, wards and districts of England and Wales, and the UK NUTS3 "
    "regions they reach (each from its districts' households). Not available for regions elsewhere "
    "in Europe: the drivers are Census 2021 tables with no comparable regional statistic there, and "
    "the Europe classification's own variables do not measure digital exclusion."
)


@router.get(
    "/model", summary="How channel suitability is modelled: drivers, weights, baseline, class indices"
)
async def get_channel_model(store: StoreDep, settings: SettingsDep) -> dict[str, Any]:
    rows = await store.fetch_as(q.ChannelClassRow, q.channel_need_classes())
    classes: dict[str, dict[str, list[dict[str, Any]]]] = {}
    names: dict[str, dict[str, str | None]] = {}
    for r in rows:
        if r.classification_id not in names:
            info = await store.fetch_as(pq.ClassInfoRow, pq.classes(r.classification_id))
            names[r.classification_id] = {c.code: c.name for c in info}
        classes.setdefault(r.classification_id, {}).setdefault(r.tier, []).append(
            {
                "code": r.class_code,
                "name": names[r.classification_id].get(r.class_code),
                "assisted_index": round(r.assisted_index, 1),
                "source": r.source,
            }
        )
    evidence = None
    for cid in classes:
        found = await store.fetch(q.channel_evidence(cid))
        if found:
            used = any(c["source"] == "observed" for t in classes[cid].values() for c in t)
            evidence = dict(found[0]) | {
                "classification_id": cid,
                "used": used,
                "rule": f"observed where at least {settings.pooling_min_councils} councils and "
                f"{settings.pooling_min_records:,} contacts stand behind it (insight pool)",
            }
    return {
        "modelled": evidence is None or not evidence["used"],
        "evidence": evidence,
        "method": METHOD,
        "drivers": [
            {
                "variable": d.variable,
                "label": CENSUS_DRIVERS[d.variable].label,
                "table": CENSUS_DRIVERS[d.variable].table,
                "weight": d.weight,
                "rationale": d.rationale,
            }
            for d in need.ASSISTED_DRIVERS
        ],
        "baseline_mix": {
            "shares": need.BASELINE_MIX,
            "source": "an assumption for the modelled map (an average area's mix), not a measurement",
        },
        "max_assisted_share": need.MAX_ASSISTED,
        "classes": classes,
    }
