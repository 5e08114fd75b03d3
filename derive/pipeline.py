"""`insight build`: read the loaded data, run the model in ``geo/``, write the derived tables.

Every step writes inside one transaction, so a failed build leaves the previous results. The
UK classifications (OAC 2021, and any other classification of output areas) get colours,
descriptions from the census, compositions and predominant classes at every level the
lookups reach; the one covering most households also gets modelled propensities and demand.
The Europe classification is built from Eurostat by the OAC method (see ``europe.py``).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from core.settings import Settings
from core.store import Transaction, Writer
from core.store.queries import build as q
from core.store.queries import pooling as qp
from derive import europe, nuts_changes, pooling
from derive.channel_need import build_channel_need
from derive.derived import DemandTables, Derived, compositions, demand_tables
from derive.services import CENSUS_DRIVERS, EUROPE_DRIVERS, SERVICES, driver_list
from derive.serving import write_tile_areas
from geo import propensity as prop
from geo.colours import class_colours
from geo.composition import tier_lookup
from geo.describe import Indicator, describe

log = logging.getLogger("insight.build")

HOUSEHOLDS = "ts0410001"
UK_PARENT_LEVELS = ("lsoa", "ward", "lad")
NUTS_LEVELS = {"nuts2": 4, "nuts1": 3, "nuts0": 2}
INDICATORS = [
    Indicator("owned_outright", "more own their home outright", "fewer own their home outright"),
    Indicator("mortgage", "more are buying with a mortgage", "fewer are buying with a mortgage"),
    Indicator("social_rented", "more rent from a social landlord", "fewer rent from a social landlord"),
    Indicator("private_rented", "more rent privately", "fewer rent privately"),
    Indicator("one_person", "more people live alone", "fewer people live alone"),
    Indicator("large_household", "more households of four or more", "fewer households of four or more"),
    Indicator("no_car", "more households have no car", "fewer households have no car"),
    Indicator("two_cars", "more households have two or more cars", "fewer households have two or more cars"),
    Indicator("bad_health", "more residents are in bad health", "fewer residents are in bad health"),
    Indicator("disabled", "more residents are disabled", "fewer residents are disabled"),
]
ONS_NOTE = (
    " Class names: ONS Output Area Classification; figures: Census 2021 (Office for National Statistics, "
    "Open Government Licence v3.0); description ours."
)


@dataclass
class BuildReport:
    """What a build did, for the command line."""

    steps: list[str] = field(default_factory=list)
    europe_wcss: dict[str, float] = field(default_factory=dict)
    europe_k: int | None = None
    seconds: float = 0.0

    def add(self, text: str) -> None:
        log.info(text)
        self.steps.append(text)


Progress = Callable[[str], None]


def _noop(_: str) -> None:
    pass


def build_all(writer: Writer, settings: Settings, progress: Progress | None = None) -> BuildReport:
    """Build every classification's derived tables and the Europe classification, in one go."""
    progress = progress or _noop
    report = BuildReport()
    start = time.perf_counter()
    with writer.transaction() as tx:
        build_europe_classification(tx, settings, report, progress)
        build_uk(tx, settings, report, progress)
        tx.bump_data_version()
        write_tile_areas(tx)
    report.seconds = time.perf_counter() - start
    return report


def build_europe_only(writer: Writer, settings: Settings, progress: Progress | None = None) -> BuildReport:
    """``insight build classification europe``: the Europe classification and its derived tables."""
    report = BuildReport()
    start = time.perf_counter()
    with writer.transaction() as tx:
        build_europe_classification(tx, settings, report, progress or _noop)
        tx.bump_data_version()
    report.seconds = time.perf_counter() - start
    return report


# --- shared reading ------------------------------------------------------------------------
def _keep_codes(tx: Transaction) -> dict[str, set[str]]:
    areas = tx.fetch_frame(q.area_keys())
    return {lv: set(part["code"]) for lv, part in areas.groupby("level")}


def _classification(tx: Transaction, cid: str) -> dict | None:
    rows = tx.fetch_frame(q.classifications())
    rows = rows[rows["classification_id"] == cid]
    return None if rows.empty else rows.iloc[0].to_dict()


def _write(tx: Transaction, table: str, frame: pd.DataFrame, **key) -> int:
    return tx.replace(table, frame, **key)


def write_derived(tx: Transaction, cid: str, derived: Derived) -> None:
    """Replace a classification's compositions and predominant classes (one transaction)."""
    _write(tx, "class_tier", derived.class_tier.assign(classification_id=cid), classification_id=cid)
    _write(tx, "base_composition", derived.base.assign(classification_id=cid), classification_id=cid)
    _write(tx, "composition_area", derived.areas.assign(classification_id=cid), classification_id=cid)
    _write(tx, "predominant_area", derived.predominant.assign(classification_id=cid), classification_id=cid)


def write_demand(tx: Transaction, cid: str, tables: DemandTables) -> None:
    """Replace a classification's modelled demand and band edges (one transaction)."""
    _write(tx, "demand_service", tables.services.assign(classification_id=cid), classification_id=cid)
    _write(tx, "demand_area", tables.areas.assign(classification_id=cid), classification_id=cid)
    _write(tx, "class_demand", tables.per_class.assign(classification_id=cid), classification_id=cid)
    _write(tx, "band_edges", tables.edges.assign(classification_id=cid), classification_id=cid)


# --- UK ------------------------------------------------------------------------------------
def uk_parents(links: pd.DataFrame, base_level: str = "oa") -> dict[str, pd.Series]:
    """Base area → parent code at each UK level: direct lookups first, else through another level.

    An output area with a direct OA→ward link uses it; one with only OA→LSOA uses the LSOA's
    ward, and so on, so every lookup loaded is used and none is counted twice. A 2021 output
    area linked to the 2011 one holding it (``oa → oa``) takes that one's parents last.
    """

    def link(child: str, parent: str) -> pd.Series:
        part = links[(links["child_level"] == child) & (links["parent_level"] == parent)]
        return pd.Series(part["parent_code"].to_numpy(), index=part["child_code"].to_numpy())

    out: dict[str, pd.Series] = {}
    for level in UK_PARENT_LEVELS:
        mapping = link(base_level, level)
        for via in ("lsoa", "ward"):
            if via == level:
                continue
            first = out[via] if via in out else link(base_level, via)
            second = link(via, level)
            if first.empty or second.empty:
                continue
            chained = first.map(second).dropna()
            mapping = pd.concat([mapping, chained[~chained.index.isin(mapping.index)]])
        mapping = mapping[~mapping.index.duplicated()]
        # a 2021 output area without a boundary of its own stands on the 2011 one holding it
        # (exact-fit lookup, oa → oa): it takes that area's parents where it has none
        older = link(base_level, base_level)
        if not older.empty and not mapping.empty:
            through = older.map(mapping).dropna()
            mapping = pd.concat([mapping, through[~through.index.isin(mapping.index)]])
        if not mapping.empty:
            out[level] = mapping
    return out


def census_drivers(census: pd.DataFrame) -> dict[str, pd.Series]:
    """Every catalogued driver share per output area."""
    out = {}
    for name, d in CENSUS_DRIVERS.items():
        num = census[list(d.numerator)].sum(axis=1, min_count=1)
        den = census[list(d.denominator)].sum(axis=1, min_count=1)
        out[name] = prop.ratio(num, den).rename(name)
    return out


def build_uk(tx: Transaction, settings: Settings, report: BuildReport, progress: Progress) -> None:
    classifications = tx.fetch_frame(q.classifications())
    uk = classifications[classifications["base_level"] == "oa"]
    if uk.empty:
        report.add("no classification of output areas loaded: UK steps skipped")
        return
    variables = sorted(
        {HOUSEHOLDS, *(v for d in CENSUS_DRIVERS.values() for v in (*d.numerator, *d.denominator))}
    )
    census = tx.fetch_frame(q.census_pivot(variables)).set_index("area_code")
    for v in variables:
        if v not in census.columns:
            census[v] = np.nan
    census = census.astype(float)
    households = census[HOUSEHOLDS].dropna()
    if households.empty:
        report.add("no Census 2021 households (TS041) loaded: UK steps skipped")
        return
    drivers = census_drivers(census)
    links = tx.fetch_frame(q.links())
    parents = uk_parents(links)
    keep = _keep_codes(tx)
    services = set(tx.fetch_frame(q.service_codes())["lgsl"].astype(int))
    progress("uk")

    coverage = {}
    for row in uk.itertuples():
        ac = tx.fetch_frame(q.area_classes(row.classification_id))
        coverage[row.classification_id] = float(households.reindex(ac["area_code"]).sum())
    demand_cid = max(coverage, key=lambda cid: coverage[cid]) if coverage else None

    for row in uk.itertuples():
        cid = row.classification_id
        tiers = [t for t in row.tiers.split(",") if t]
        classes = tx.fetch_frame(q.classes(cid))
        area_class = tx.fetch_frame(q.area_classes(cid))
        lookup = tier_lookup(classes, tiers)
        area_class = area_class[area_class["area_code"].isin(households.index)].reset_index(drop=True)
        derived = compositions(
            area_class,
            households,
            lookup,
            "oa",
            parents,
            {lv: keep.get(lv, set()) for lv in ["oa", *parents]},
            settings.mixed_margin,
        )
        write_derived(tx, cid, derived)
        aligned = Aligned(area_class, households, lookup, drivers)
        classes = _describe_uk_classes(classes, tiers, aligned, cid)
        _write(tx, "profile_class", classes.assign(classification_id=cid), classification_id=cid)
        report.add(
            f"{cid}: {len(derived.base):,} output areas with households, {len(derived.areas):,} areas "
            f"above them, {len(derived.predominant):,} predominant rows"
        )
        if cid == demand_cid:
            _model_services(tx, settings, report, cid, tiers, aligned, derived, services)
            lad_nuts3 = links[(links["child_level"] == "lad") & (links["parent_level"] == "nuts3")]
            to_nuts3 = pd.Series(
                lad_nuts3["parent_code"].to_numpy(), index=lad_nuts3["child_code"].to_numpy()
            )
            evidence = tx.fetch_frame(qp.stored_channels(cid))
            thresholds = (settings.pooling_min_councils, settings.pooling_min_records)
            report.add(build_channel_need(tx, cid, tiers, aligned, derived, to_nuts3, evidence, thresholds))
        progress(cid)


class Aligned:
    """Base areas of a classification with their weight, class at every tier and driver values,
    aligned once so per-class means are cheap."""

    def __init__(self, area_class: pd.DataFrame, weights: pd.Series, lookup: pd.DataFrame, drivers) -> None:
        index = pd.Index(area_class["area_code"].to_numpy())
        self.weights = pd.Series(weights.reindex(index).to_numpy(float), index=index)
        self.classes = {
            tier: pd.Series(lookup[tier].reindex(area_class["class_code"]).to_numpy(), index=index)
            for tier in lookup.columns
        }
        self.drivers = pd.DataFrame(
            {n: v.reindex(index).to_numpy(float) for n, v in drivers.items()}, index=index
        )
        self._indices: dict[str, pd.DataFrame] = {}

    def indices(self, tier: str) -> pd.DataFrame:
        """Class × driver single-driver indices at ``tier`` (computed once)."""
        if tier not in self._indices:
            self._indices[tier] = prop.driver_indices(self.drivers, self.weights, self.classes[tier])
        return self._indices[tier]

    def sizes(self, tier: str) -> pd.Series:
        return self.classes[tier].value_counts()


def _describe_uk_classes(classes, tiers, aligned: Aligned, cid) -> pd.DataFrame:
    """Colours for every class; descriptions from the census for every class with households."""
    classes = classes.copy()
    colours = class_colours(classes)
    classes["colour"] = classes["code"].map(colours)
    total = float(aligned.weights.sum())
    reference = "the England and Wales average" if cid == "oac2021" else "the average of all areas classified"
    average = pd.Series({n: prop.overall_mean(aligned.drivers[n], aligned.weights) for n in aligned.drivers})
    means = {}
    for tier in tiers:
        per = aligned.indices(tier) * average / 100.0  # back from index to class mean
        count = aligned.weights.groupby(aligned.classes[tier]).sum()
        means.update({c: (per.loc[c], float(count.get(c, 0.0))) for c in per.index})
    descriptions: list[str | None] = []
    for code in classes["code"]:
        if code not in means:
            descriptions.append(None)
            continue
        profile, count = means[code]
        phrase = f"{count:,.0f} households ({100 * count / total:.1f}% of those classified)."
        descriptions.append(describe(profile, average, INDICATORS, phrase, reference) + ONS_NOTE)
    classes["description"] = descriptions
    return classes


def _model_services(tx, settings, report, cid, tiers, aligned: Aligned, derived, services):
    """Modelled propensities (every tier) and demand (finest tier) for the catalogued services."""
    specs = [s for s in SERVICES if not services or s.lgsl in services]
    models = [(s.lgsl, s.drivers, s.rationale, settings.service_rates.get(s.lgsl)) for s in specs]
    _model_and_write(tx, settings, report, cid, tiers, aligned, derived, models, europe=False)


def _model_and_write(tx, settings, report, cid, tiers, aligned: Aligned, derived, models, europe: bool):
    """Propensities per tier from each model's drivers, then demand at the finest tier.

    ``models`` holds ``(lgsl, drivers, rationale, rate)``; ``europe`` says which driver
    catalogue the drivers come from.
    """
    rows, props, finest_cols = [], [], {}
    today = date.today()
    pooled = pooling.stored(tx, cid)
    filled: list[pd.DataFrame] = []
    for lgsl, drivers, rationale, rate in models:
        rows.append(
            {
                "lgsl": lgsl,
                "classification_id": cid,
                "drivers": json.dumps(driver_list(drivers, europe=europe)),
                "rationale": rationale,
                "rate": rate,
            }
        )
        for tier in tiers:
            modelled = prop.combine(aligned.indices(tier), drivers)
            index, source, evidence = pooling.apply(pooled, lgsl, tier, modelled)
            frame = _propensity_rows(cid, lgsl, tier, index, aligned.sizes(tier), today)
            if evidence is not None:
                filled.append(evidence)
                observed = source.to_numpy() != "modelled"
                frame["source"] = source.to_numpy()
                frame.loc[observed, "as_of"] = evidence["as_of"].iloc[0]
                frame.loc[observed, "sample_size"] = int(evidence["sample_size"].iloc[0])
            props.append(frame)
            if tier == tiers[-1]:
                finest_cols[lgsl] = index
    if filled:
        evidence_rows = pd.concat(filled, ignore_index=True)[pooling.COLUMNS]
        for lgsl_done, part in evidence_rows.groupby("lgsl"):
            _write(tx, "pooled_propensity", part, classification_id=cid, lgsl=int(lgsl_done))
        report.add(f"{cid}: observed propensities used for LGSL {sorted(set(evidence_rows['lgsl']))}")
    _finish_services(tx, settings, report, cid, tiers[-1], rows, props, finest_cols, derived)


def _propensity_rows(cid, lgsl, tier, index: pd.Series, sizes: pd.Series, today) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "classification_id": cid,
            "lgsl": lgsl,
            "class_code": index.index,
            "tier": tier,
            "propensity_index": index.to_numpy(),
            "source": "modelled",
            "as_of": today,
            "sample_size": sizes.reindex(index.index).fillna(0).astype(int).to_numpy(),
        }
    )


def _finish_services(tx, settings, report, cid, finest, models, props, finest_cols, derived) -> None:
    _write(tx, "service_model", pd.DataFrame(models), classification_id=cid)
    _write(tx, "propensity", pd.concat(props, ignore_index=True), classification_id=cid)
    matrix = pd.DataFrame(finest_cols).fillna(100.0)
    tables = demand_tables(
        derived, finest, matrix, settings.service_rates, settings.band_high, settings.band_low
    )
    write_demand(tx, cid, tables)
    report.add(
        f"{cid}: {len(models)} modelled services, {tables.rows:,} area demands above the base level, "
        f"{len(tables.per_class):,} per base class"
    )


# --- Europe --------------------------------------------------------------------------------
def build_europe_classification(
    tx: Transaction, settings: Settings, report: BuildReport, progress: Progress
) -> None:
    """Build ``eunuts3`` from Eurostat, then its compositions, predominant classes and demand."""
    population = tx.fetch_frame(q.eurostat("demo_r_pjanaggr3"))
    if population.empty:
        report.add("no Eurostat population loaded: Europe classification skipped")
        return
    area = tx.fetch_frame(q.eurostat("reg_area3"))
    keep = _keep_codes(tx)
    regions = sorted(keep.get("nuts3", set()))
    built = europe.build_europe(
        population, area, regions, settings.europe_starts, settings.europe_seed, progress
    )
    if built.carried:
        report.add(nuts_changes.describe(built.carried))
    cid = europe.CLASSIFICATION_ID
    report.europe_wcss = built.wcss
    report.europe_k = built.k
    method = europe.method_text(built, settings.europe_starts, settings.europe_seed)
    source = pd.DataFrame(
        [
            {
                "source_id": europe.SOURCE_ID,
                "kind": "derived",
                "title": "Open Europe classification of NUTS3 regions (built from Eurostat)",
                "url": "https://ec.europa.eu/eurostat/web/regions/database",
                "licence": "Eurostat re-use policy",
                "attribution": "Source: Eurostat (demo_r_pjanaggr3, reg_area3); classification modelled",
                "vintage": str(int(population["year"].max())),
                "file": None,
                "row_count": int(len(built.assignments)),
                "loaded_at": pd.Timestamp.now(tz="UTC"),
            }
        ]
    )
    _write(tx, "source", source, source_id=europe.SOURCE_ID)
    classification = pd.DataFrame(
        [
            {
                "classification_id": cid,
                "name": "Open Europe NUTS3 classification",
                "base_level": "nuts3",
                "tiers": "supergroup,group",
                "description": "NUTS3 regions grouped by age structure, population density and population "
                "change. Compositions count people, not households (population-based).",
                "method": method,
                "attribution": "Source: Eurostat; © EuroGeographics for the administrative boundaries",
                "source_id": europe.SOURCE_ID,
            }
        ]
    )
    _write(tx, "classification", classification, classification_id=cid)
    classes = built.classes.copy()
    classes["colour"] = classes["code"].map(class_colours(classes))
    _write(tx, "profile_class", classes.assign(classification_id=cid), classification_id=cid)
    assignments = pd.DataFrame(
        {
            "classification_id": cid,
            "area_code": built.assignments.index,
            "class_code": built.assignments.to_numpy(),
            "source_id": europe.SOURCE_ID,
        }
    )
    _write(tx, "area_class", assignments, classification_id=cid)
    inputs = built.standardised.rename_axis("code").reset_index()
    inputs = inputs.melt(id_vars="code", var_name="variable", value_name="value").dropna()
    _write(tx, "area_variable", inputs.assign(classification_id=cid), classification_id=cid)
    lookup = tier_lookup(classes, ["supergroup", "group"])
    parents = {
        lv: pd.Series(built.assignments.index.str[:n], index=built.assignments.index)
        for lv, n in NUTS_LEVELS.items()
    }
    derived = compositions(
        assignments[["area_code", "class_code"]],
        built.population,
        lookup,
        "nuts3",
        parents,
        {lv: keep.get(lv) or None for lv in ["nuts3", *parents]},
        settings.mixed_margin,
    )
    write_derived(tx, cid, derived)
    report.add(
        f"{cid}: {len(built.assignments):,} regions in {built.k} supergroups and "
        f"{classes['tier'].eq('group').sum()} groups; WCSS supergroups {built.wcss['supergroups']:.3f}, "
        f"groups {built.wcss['groups']:.3f}"
    )
    progress(cid)
    _model_europe_services(tx, settings, report, cid, lookup, assignments, built, derived)


def _model_europe_services(tx, settings, report, cid, lookup, assignments, built, derived) -> None:
    aligned = Aligned(assignments, built.population, lookup, {n: built.variables[n] for n in EUROPE_DRIVERS})
    services = set(tx.fetch_frame(q.service_codes())["lgsl"].astype(int))
    specs = [s for s in SERVICES if s.europe and (not services or s.lgsl in services)]
    models = [(s.lgsl, s.europe, s.europe_rationale, None) for s in specs]
    if models:
        rates_off = settings.model_copy(update={"service_rates": {}})
        tiers = ["supergroup", "group"]
        _model_and_write(tx, rates_off, report, cid, tiers, aligned, derived, models, europe=True)
