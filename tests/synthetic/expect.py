"""Answers worked out by hand from the generated world, for the tests to compare with."""

from __future__ import annotations

import pandas as pd

from tests.synthetic.world import World

TIERS = {"supergroup": 1, "group": 2, "subgroup": 3}  # OAC code prefix length per tier


def classified_oas(world: World) -> pd.DataFrame:
    """Output areas with 2021 households and class that lie in a loaded ward.

    Trafford's link to their ward by position, Manchester's through their LSOA, Leeds's by
    position; output areas without a boundary (or LSOA) reach no ward or district.
    """
    oas = world.oas.dropna(subset=["households", "subgroup", "ward"]).copy()
    for tier, n in TIERS.items():
        oas[tier] = oas["subgroup"].str[:n]
    return oas


def members(world: World, level: str, code: str) -> pd.DataFrame:
    """The classified output areas inside one ward or district."""
    oas = classified_oas(world)
    column = {"ward": "ward", "lad": "lad", "lsoa": "lsoa", "oa": "code"}[level]
    return oas[oas[column] == code]


def mix(world: World, level: str, code: str, tier: str) -> dict[str, float]:
    """Households per class of ``tier`` in an area: the sum over its output areas."""
    return members(world, level, code).groupby(tier)["households"].sum().to_dict()


def predominant(counts: dict[str, float], mixed_margin: float) -> dict:
    """Leading class, its share, its margin over the runner-up and whether it is 'mixed'."""
    total = sum(counts.values())
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    runner = ranked[1][1] if len(ranked) > 1 else 0.0
    margin = (ranked[0][1] - runner) / total
    return {
        "code": ranked[0][0],
        "share": ranked[0][1] / total,
        "margin": margin,
        "mixed": margin < mixed_margin,
        "runner_up_code": ranked[1][0] if len(ranked) > 1 else None,
    }


def population(world: World, geo: str) -> float:
    """A region's population in the latest year it has (both sexes, all ages)."""
    pop = world.population
    rows = pop[(pop["geo"] == geo) & (pop["sex"] == "T") & (pop["age"] == "TOTAL")]
    return float(rows.sort_values("year")["value"].iloc[-1])
