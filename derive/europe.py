"""The open Europe classification of NUTS3 regions (``eunuts3``), built by the OAC method.

Variables (Eurostat, per NUTS3 region):

* ``share_lt15``, ``share_15_64``, ``share_ge65`` — population shares by broad age group
  (``demo_r_pjanaggr3``, both sexes), in the latest year the region has;
* ``density`` — population per km² (that population over ``reg_area3`` total area);
* ``change`` — average yearly population change in percent over the years available
  (2016 to the latest; UK regions stop in 2019).

Missing values (a region with no area figure, or a single year of population) take the
median of the same country, else of Europe. Supergroups: k-means with ``europe_starts``
seeded starts; k is chosen at the elbow of the within-cluster sum of squares over k = 2…10
(the k between 4 and 8 whose WCSS saving before it is largest relative to the saving after
it; the curve is stored with the classification). Each supergroup is split into groups the
same way (3 per supergroup, fewer for small ones). Supergroups are named by where their centre
differs most from the European average, groups by how they differ from their supergroup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from derive.nuts_changes import CodeChange, carry_forward
from geo import classify
from geo.describe import name_from_centre

CLASSIFICATION_ID = "eunuts3"
SOURCE_ID = "build-eunuts3"
K_CANDIDATES = range(4, 9)
K_GROUPS = 3
VARIABLES = ["share_lt15", "share_15_64", "share_ge65", "density", "change"]
NAME_TERMS = {
    "share_lt15": ("many children", "few children"),
    "share_15_64": ("working-age", ""),
    "share_ge65": ("older", "younger"),
    "density": ("dense urban", "sparsely populated"),
    "change": ("growing", "shrinking"),
}
LABELS = {
    "share_lt15": "aged under 15",
    "share_15_64": "aged 15–64",
    "share_ge65": "aged 65 or over",
    "density": "people per km²",
    "change": "yearly population change (%)",
}


def _dims(text: str) -> dict[str, str]:
    out = {}
    for part in str(text).split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            out[k.strip().lower()] = v.strip()
    return out


def region_variables(population: pd.DataFrame, area: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Per-region variables (with gaps) and the population they describe.

    Parameters
    ----------
    population : DataFrame
        ``eurostat_value`` rows of ``demo_r_pjanaggr3``: geo, year, dims, value.
    area : DataFrame
        ``eurostat_value`` rows of ``reg_area3``.
    """
    pop = population.dropna(subset=["value"]).copy()
    d = pop["dims"].map(_dims)
    pop["age"] = d.map(lambda x: x.get("age"))
    pop["sex"] = d.map(lambda x: x.get("sex"))
    pop = pop[(pop["sex"] == "T") & ~pop["geo"].str.endswith("ZZZ") & ~pop["geo"].str.endswith("XXX")]
    wide = pop.pivot_table(index=["geo", "year"], columns="age", values="value", aggfunc="sum")
    need = ["TOTAL", "Y_LT15", "Y15-64", "Y_GE65"]
    for col in need:
        if col not in wide.columns:
            wide[col] = np.nan
    complete = wide.dropna(subset=need)
    complete = complete[complete["TOTAL"] > 0]
    if complete.empty:
        raise ValueError("no NUTS3 region has population by broad age group")
    latest = complete.reset_index().sort_values("year").groupby("geo").tail(1).set_index("geo")
    out = pd.DataFrame(index=latest.index.sort_values())
    latest = latest.reindex(out.index)
    out["share_lt15"] = latest["Y_LT15"] / latest["TOTAL"]
    out["share_15_64"] = latest["Y15-64"] / latest["TOTAL"]
    out["share_ge65"] = latest["Y_GE65"] / latest["TOTAL"]
    totals = wide["TOTAL"].dropna().reset_index()
    totals = totals[totals["TOTAL"] > 0].sort_values("year")
    first = totals.groupby("geo").head(1).set_index("geo")
    last = totals.groupby("geo").tail(1).set_index("geo")
    years = (last["year"] - first["year"]).reindex(out.index)
    growth = (last["TOTAL"] / first["TOTAL"]).reindex(out.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["change"] = np.where(years > 0, 100.0 * (growth ** (1.0 / years) - 1.0), np.nan)
    km2 = area.dropna(subset=["value"])
    km2 = km2[km2["value"] > 0].sort_values("year").groupby("geo").tail(1).set_index("geo")["value"]
    out["density"] = latest["TOTAL"] / km2.reindex(out.index)
    return out[VARIABLES], latest["TOTAL"].astype(float)


@dataclass
class EuropeBuild:
    assignments: pd.Series  # region → group code
    classes: pd.DataFrame  # code, tier, parent_code, name, description, sort
    population: pd.Series  # region → population (the composition weight)
    variables: pd.DataFrame  # raw (imputed) variables per region
    standardised: pd.DataFrame  # the clustering inputs (asinh, range-standardised to [0, 1])
    wcss: dict[str, float]
    curve: dict[int, float]
    imputed: int
    k: int
    carried: list[CodeChange] = field(default_factory=list)  # regions given their NUTS 2016 series


def _groups_for(size: int) -> int:
    return 1 if size < 6 else (2 if size < 30 else K_GROUPS)


def build_europe(
    population: pd.DataFrame,
    area: pd.DataFrame,
    regions: list[str] | None,
    starts: int,
    seed: int,
    progress=None,
) -> EuropeBuild:
    """Classify NUTS3 regions; ``regions`` limits the set (the NUTS3 areas loaded).

    Loaded regions whose series are still under their NUTS 2016 code take them first
    (:mod:`derive.nuts_changes`).
    """
    population, area, carried = carry_forward(population, area, regions or None)
    variables, pop = region_variables(population, area)
    if regions:
        keep = variables.index.intersection(pd.Index(regions))
        if len(keep) >= 20:
            variables, pop = variables.loc[keep], pop.loc[keep]
    # regions with no age structure cannot be classified; the rest get gaps filled
    variables = variables.dropna(subset=["share_lt15", "share_15_64", "share_ge65"])
    pop = pop.loc[variables.index]
    filled, imputed = classify.impute_by_group(
        variables, pd.Series(variables.index.str[:2], index=variables.index)
    )
    prepared = classify.prepare(filled)
    curve = classify.wcss_curve(prepared.to_numpy(float), range(2, 11), max(1, starts // 4), seed)
    candidates = {k: v for k, v in curve.items() if K_CANDIDATES.start - 1 <= k <= K_CANDIDATES.stop}
    k_super = classify.elbow(candidates) if len(candidates) >= 3 else min(4, len(prepared))
    if progress:
        progress("elbow")
    hierarchy = classify.build_hierarchy(
        prepared,
        k_super,
        _groups_for,
        starts,
        seed,
        progress=progress,
    )
    hierarchy.curve = curve
    classes = _describe_classes(filled, pop, hierarchy)
    return EuropeBuild(
        hierarchy.group, classes, pop, filled, prepared, hierarchy.wcss, curve, imputed, k_super, carried
    )


def _describe_classes(raw: pd.DataFrame, pop: pd.Series, h: classify.Hierarchy) -> pd.DataFrame:
    """Names and descriptions from the centres, in the variables' own units."""
    w = pop.reindex(raw.index).fillna(0.0)
    euro = (raw.mul(w, axis=0).sum() / w.sum()).to_dict()
    shown = raw.copy()
    shown["density"] = np.log10(shown["density"].clip(lower=0.1))  # density compared on a log scale
    rows = []
    sg_names: dict[str, str] = {}
    for tier, labels in (("supergroup", h.supergroup), ("group", h.group)):
        for code in sorted(labels.unique(), key=_code_key):
            members = labels.index[labels == code]
            mw = w.loc[members]
            centre = (raw.loc[members].mul(mw, axis=0).sum() / max(mw.sum(), 1e-9)).to_dict()
            if tier == "supergroup":
                parent = None
                name = name_from_centre(
                    shown.loc[members].median().to_dict(),
                    shown.median().to_dict(),
                    shown.std().to_dict(),
                    NAME_TERMS,
                    fallback="Close to the European average",
                )
                sg_names[code] = name
            else:
                parent = code.rstrip("abcdefghij")
                within = shown.loc[h.supergroup.index[h.supergroup == parent]]
                if (h.group.loc[within.index] != code).any():
                    detail = name_from_centre(
                        shown.loc[members].median().to_dict(),
                        within.median().to_dict(),
                        within.std().to_dict(),
                        NAME_TERMS,
                        cut=0.3,
                        max_words=1,
                        fallback="typical",
                    )
                    name = f"{sg_names[parent]}: {detail.lower()}"
                else:
                    name = sg_names[parent]
            desc = (
                f"{len(members)} NUTS3 regions, {mw.sum() / 1e6:.1f} million people. Centre: "
                f"{100 * centre['share_lt15']:.1f}% aged under 15 (Europe {100 * euro['share_lt15']:.1f}%), "
                f"{100 * centre['share_ge65']:.1f}% aged 65 or over ({100 * euro['share_ge65']:.1f}%), "
                f"{raw.loc[members, 'density'].median():,.0f} people per km² (median; Europe "
                f"{raw['density'].median():,.0f}), population change {centre['change']:+.2f}% a year "
                f"({euro['change']:+.2f}%). Built by the OAC method from Eurostat demo_r_pjanaggr3 and "
                "reg_area3; modelled, not an official classification."
            )
            rows.append(
                {"code": code, "tier": tier, "parent_code": parent, "name": name, "description": desc}
            )
    frame = pd.DataFrame(rows)
    # names must tell classes apart within a tier: number any repeats
    for _tier, part in frame.groupby("tier"):
        for _name, same in part[part["name"].duplicated(keep=False)].groupby("name"):
            for i, idx in enumerate(same.index):
                frame.loc[idx, "name"] = f"{frame.loc[idx, 'name']} ({i + 1})"
    frame = frame.sort_values("code", key=lambda s: s.map(_code_key)).reset_index(drop=True)
    frame["sort"] = range(len(frame))
    return frame


def _code_key(code: str) -> tuple[int, int, str]:
    return (int(code.rstrip("abcdefghij")), len(code), code)


def method_text(build: EuropeBuild, starts: int, seed: int) -> str:
    """How the classification was made, stored with it."""
    curve = ", ".join(f"k={k}: {v:.1f}" for k, v in sorted(build.curve.items()))
    return (
        "OAC method: Eurostat variables per NUTS3 region (shares aged under 15, 15–64 and 65+ in the "
        "latest year available; population per km² from reg_area3; average yearly population change "
        "over the years available, UK to 2019) → inverse hyperbolic sine → range standardisation to "
        f"[0, 1] → k-means (scikit-learn, {starts} random starts, seed {seed}, lowest within-cluster "
        f"sum of squares kept). Supergroups: k = {build.k} at the WCSS elbow (WCSS {build.wcss['supergroups']:.2f}; "
        f"WCSS by k: {curve}); groups: k-means again within each supergroup (up to {K_GROUPS} groups; "
        f"total WCSS {build.wcss['groups']:.2f}). {build.imputed} missing values filled with the "
        "country median (else the European median)."
    )
