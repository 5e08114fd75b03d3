"""NUTS 3 codes that changed between NUTS 2016 and NUTS 2021, for statistics still on old codes.

The boundaries are NUTS 2021; Eurostat's UK population series stop in 2019 and use NUTS 2016
codes. Without this table nine UK regions would have no data and stay unclassified: Northern
Ireland's seven recoded regions (UKN0A-UKN0G) and Dorset's two new ones (UKK24, UKK25).

Source: Eurostat, "NUTS 2021 classification: changes from NUTS 2016" (the correspondence table
published with the NUTS 2021 classification, sheet "Changes detailed NUTS 2016-2021",
https://ec.europa.eu/eurostat/web/nuts/history). Only the changes that matter for regions
loaded without data of their own are listed; each says whether the area is the same.

A region with no series under its own code takes its predecessor's: population by age and
area together, so shares and density stay internally consistent. For a ``boundary`` change the
series describe the predecessor's area, an approximation the build report names.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class CodeChange:
    old: str  # NUTS 2016
    new: str  # NUTS 2021
    kind: str  # "recoded": same area, new code; "boundary": the area changed too
    note: str


CHANGES: tuple[CodeChange, ...] = (
    CodeChange("UKN10", "UKN0A", "recoded", "Derry City and Strabane"),
    CodeChange("UKN11", "UKN0B", "recoded", "Mid Ulster"),
    CodeChange("UKN12", "UKN0C", "recoded", "Causeway Coast and Glens"),
    CodeChange("UKN13", "UKN0D", "recoded", "Antrim and Newtownabbey"),
    CodeChange("UKN14", "UKN0E", "recoded", "Lisburn and Castlereagh"),
    CodeChange("UKN15", "UKN0F", "recoded", "Mid and East Antrim"),
    CodeChange("UKN16", "UKN0G", "recoded", "Fermanagh and Omagh"),
    CodeChange(
        "UKK21",
        "UKK24",
        "boundary",
        "Bournemouth and Poole became Bournemouth, Christchurch and Poole (2019): Christchurch "
        "(about 50,000 residents) moved in from Dorset CC",
    ),
    CodeChange(
        "UKK22",
        "UKK25",
        "boundary",
        "Dorset CC became Dorset (2019), without Christchurch",
    ),
)


def carry_forward(
    population: pd.DataFrame, area: pd.DataFrame, regions: list[str] | None
) -> tuple[pd.DataFrame, pd.DataFrame, list[CodeChange]]:
    """Population and area series with each loaded NUTS 2021 region that has no population
    series of its own given its predecessor's (``geo`` relabelled), and the changes used.

    ``population`` and ``area`` are ``eurostat_value`` rows (``geo``, ``year``, ``dims``,
    ``value``); ``regions`` the NUTS 3 codes loaded (None: every new code).
    """
    has = set(population.loc[population["value"].notna(), "geo"])
    wanted = None if regions is None else set(regions)
    used = [c for c in CHANGES if c.old in has and c.new not in has and (wanted is None or c.new in wanted)]
    if not used:
        return population, area, []
    rename = {c.old: c.new for c in used}
    added_pop = population[population["geo"].isin(rename)].assign(geo=lambda f: f["geo"].map(rename))
    old_area = area[area["geo"].isin(rename)].assign(geo=lambda f: f["geo"].map(rename))
    kept_area = area[~area["geo"].isin(set(rename.values()))]
    return (
        pd.concat([population, added_pop], ignore_index=True),
        pd.concat([kept_area, old_area], ignore_index=True),
        used,
    )


def describe(used: list[CodeChange]) -> str:
    """One line for the build report: which regions took which predecessor's series."""
    parts = [
        f"{c.new}←{c.old}" + (" (approximate: boundary changed)" if c.kind == "boundary" else "")
        for c in used
    ]
    return "NUTS 2016 series used for NUTS 2021 regions without their own: " + ", ".join(parts)
