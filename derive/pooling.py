"""``insight pool``: councils' records pooled into observed propensities for the public model.

How the replacement is triggered, end to end:

1. ``insight pool`` reads every council's aggregates through the server's store (the
   workspace), places each council's contacts in its own districts, and for every service
   with at least ``pooling_min_councils`` councils and ``pooling_min_records`` records pools the
   counts per class (:func:`geo.pooling.pool`) at every tier of the UK demand classification.
   For the same services it sums the councils' take-up per UK NUTS3 region and transfers it to
   the Europe classification by class (:func:`geo.pooling.transfer_by_class`). The answers
   replace the ``pooled_propensity`` table in one transaction (a service below the thresholds
   has no rows, so it goes back to its modelled propensities).
2. It then runs ``insight build all`` (unless ``--no-build``), which reads ``pooled_propensity``
   and uses the observed index wherever a class has one: the propensities (``source``
   ``observed`` or ``observed in the UK, transferred by class``, with the date and the number
   of records), the demand per area and its bands. Every later build does the same until the
   next ``insight pool``.

The evidence is read from the last build's compositions, so a fresh store is built once
before its first ``insight pool``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.settings import Settings
from core.store import Transaction, Writer, open_reader
from core.store.queries import pooling as q
from core.store.schema import pooled_channel, pooled_propensity
from derive.europe import CLASSIFICATION_ID as EUROPE
from geo import pooling

OBSERVED = "observed"
TRANSFERRED = "observed in the UK, transferred by class"
COLUMNS = [c.name for c in pooled_propensity.columns]
CHANNEL_COLUMNS = [c.name for c in pooled_channel.columns]


@dataclass
class PoolReport:
    """What ``insight pool`` found, service by service."""

    lines: list[str] = field(default_factory=list)
    used: list[int] = field(default_factory=list)
    frame: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COLUMNS))
    channels: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=CHANNEL_COLUMNS))


async def _frame(store, query) -> pd.DataFrame:
    return pd.DataFrame(await store.fetch(query))


async def gather(settings: Settings, today: dt.date | None = None) -> PoolReport:
    """Pool the councils' records of every service that meets the thresholds (read only)."""
    today = today or dt.date.today()
    report = PoolReport()
    store = await open_reader(settings)
    try:
        services = await _frame(store, q.services())
        modelled = await _frame(store, q.modelled_classifications())
        if services.empty or modelled.empty:
            report.lines.append("no council records, or no modelled services built: nothing pooled")
            return report
        uk = modelled[modelled["base_level"] == "oa"]
        europe = modelled[modelled["classification_id"] == EUROPE]
        rows: list[pd.DataFrame] = []
        eligible = []
        for s in services.itertuples():
            ok = pooling.eligible(
                int(s.councils), float(s.records), settings.pooling_min_councils, settings.pooling_min_records
            )
            report.lines.append(
                f"LGSL {s.lgsl}: {s.councils} councils, {float(s.records):,.0f} records — "
                + ("pooled (observed propensities used)" if ok else "below the thresholds (modelled kept)")
            )
            if ok:
                eligible.append(s)
        for m in uk.itertuples():
            tiers = [t for t in m.tiers.split(",") if t]
            for tier in tiers:
                cust = await _frame(store, q.customers(classification_id=m.classification_id, tier=tier))
                base = await _frame(store, q.households(classification_id=m.classification_id, tier=tier))
                if cust.empty or base.empty:
                    continue
                for s in eligible:
                    mine = cust[cust["lgsl"] == s.lgsl]
                    contributing = set(mine["council_id"])
                    counts = base[base["council_id"].isin(contributing)].merge(
                        mine[["council_id", "class_code", "customers"]],
                        how="left",
                        on=["council_id", "class_code"],
                    )
                    counts = counts.rename(columns={"council_id": "council"})
                    if counts["customers"].fillna(0).sum() <= 0:
                        continue
                    pooled = pooling.pool(counts, settings.pooling_min_councils)
                    few = (
                        f"found in fewer than {settings.pooling_min_councils} councils' districts: "
                        "the modelled value is kept"
                    )
                    pooled["warning"] = [few if f else None for f in pooled["few_councils"]]
                    rows.append(_rows(m.classification_id, s, tier, pooled, OBSERVED, today))
        if not europe.empty and eligible:
            uk_cid = uk["classification_id"].iloc[0] if not uk.empty else None
            if uk_cid is not None:
                moved = await _europe(store, uk_cid, eligible, today, settings.pooling_min_councils)
                rows += moved
                if not moved:
                    report.lines.append(
                        "Europe: no council district is linked to a UK NUTS3 region (insight load "
                        "hierarchy links them): the Europe classification keeps its modelled propensities"
                    )
        synthetic = bool((services["synthetic_uploads"].astype(int) > 0).any())
        for m in uk.itertuples():
            finest = [t for t in m.tiers.split(",") if t][-1]
            found = await _frame(
                store, q.channel_contacts(classification_id=m.classification_id, tier=finest)
            )
            pooled, line = pool_channels(found, settings.pooling_min_councils, today, synthetic)
            report.lines.append(line)
            if not pooled.empty:
                report.channels = pooled.assign(classification_id=m.classification_id)[CHANNEL_COLUMNS]
        if rows:
            report.frame = pd.concat(rows, ignore_index=True)[COLUMNS]
        report.used = [int(s.lgsl) for s in eligible]
        return report
    finally:
        await store.close()


async def _europe(store, uk_cid: str, eligible, today: dt.date, min_councils: int) -> list[pd.DataFrame]:
    districts = await _frame(store, q.districts(classification_id=uk_cid))
    classes = await _frame(store, q.region_classes(EUROPE))
    if districts.empty or classes.empty:
        return []
    districts = districts.dropna(subset=["region"]).drop_duplicates(["council_id", "lgsl", "district"])
    out = []
    for s in eligible:
        mine = districts[districts["lgsl"] == s.lgsl]
        if mine.empty or mine["customers"].sum() <= 0:
            continue
        regions = mine.groupby("region")[["customers", "households"]].sum()
        for tier, part in classes.groupby("tier"):
            by_region = pd.Series(part["class_code"].to_numpy(), index=part["area_code"].to_numpy())
            moved = pooling.transfer_by_class(regions, by_region)
            # a Europe class resting on fewer councils than pooling needs keeps its modelled value
            behind = mine.assign(cls=mine["region"].map(by_region)).groupby("cls")["council_id"].nunique()
            few = (moved["uk_regions"] > 0) & (behind.reindex(moved.index).fillna(0) < min_councils)
            moved.loc[few, "index"] = np.nan
            moved.loc[few, "warning"] = (
                f"UK evidence from fewer than {min_councils} councils: the modelled value is kept"
            )
            frame = pd.DataFrame(
                {
                    "customers": moved["customers"],
                    "households": moved["households"],
                    "councils": moved["uk_regions"],
                    "index": moved["index"],
                    "index_low": float("nan"),
                    "index_high": float("nan"),
                    "warning": moved["warning"],
                }
            )
            out.append(_rows(EUROPE, s, str(tier), frame, TRANSFERRED, today))
    return out


def _rows(cid: str, service, tier: str, pooled: pd.DataFrame, source: str, today: dt.date) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "classification_id": cid,
            "lgsl": int(service.lgsl),
            "tier": tier,
            "class_code": pooled.index.astype(str),
            "customers": pooled["customers"].to_numpy(float),
            "households": pooled["households"].to_numpy(float),
            "councils": pooled["councils"].astype(int).to_numpy(),
            "observed_index": pooled["index"].to_numpy(float),
            "index_low": pooled["index_low"].to_numpy(float),
            "index_high": pooled["index_high"].to_numpy(float),
            "modelled_index": float("nan"),
            "source": source,
            "warning": pooled["warning"].to_numpy() if "warning" in pooled else None,
            "as_of": today,
            "sample_size": int(float(service.records)),
            "service_councils": int(service.councils),
            "synthetic": bool(int(service.synthetic_uploads) > 0),
        }
    )


def pool_channels(
    found: pd.DataFrame, min_councils: int, today: dt.date, synthetic: bool
) -> tuple[pd.DataFrame, str]:
    """Councils' contacts per finest class and channel, summed over councils. A class resting on
    fewer than ``min_councils`` councils, or with a channel count of 1 to 5, is left out (its
    modelled value stays), so no council's own or small count is published."""
    if found.empty:
        return pd.DataFrame(columns=CHANNEL_COLUMNS), "channels: no council records to pool"
    councils = int(found["council_id"].nunique())
    records = float(found["contacts"].sum())
    cells = found.groupby(["class_code", "channel"]).agg(
        contacts=("contacts", "sum"), behind=("council_id", "nunique")
    )
    by_class = cells.groupby(level="class_code")
    few = by_class["behind"].max() < min_councils
    small = by_class["contacts"].apply(lambda c: bool(((c > 0) & (c < 6)).any()))
    keep = few.index[~(few | small)]
    cells = cells[cells.index.get_level_values("class_code").isin(keep)].reset_index()
    pooled = cells.assign(councils=councils, records=records, as_of=today, synthetic=synthetic).drop(
        columns="behind"
    )
    line = (
        f"channels: {councils} councils, {records:,.0f} contacts pooled for {len(keep)} classes"
        f" ({int((few | small).sum())} left out: too few councils or a count of 1 to 5)"
    )
    return pooled, line


def write(writer: Writer, frame: pd.DataFrame, channels: pd.DataFrame | None = None) -> None:
    """Replace every pooled propensity with ``frame`` and every pooled channel count with
    ``channels`` (one transaction)."""
    with writer.transaction() as tx:
        tx.execute(q.clear())
        if not frame.empty:
            tx.insert_frame("pooled_propensity", frame[COLUMNS])
        tx.execute(q.clear_channels())
        if channels is not None and not channels.empty:
            tx.insert_frame("pooled_channel", channels[CHANNEL_COLUMNS])


def held(writer: Writer) -> bool:
    """Whether the store holds any pooled propensity."""
    with writer.transaction() as tx:
        return not tx.fetch_frame(q.any_pooled()).empty


def stored(tx: Transaction, cid: str) -> pd.DataFrame:
    """The pooled propensities of a classification, as the build reads them."""
    return tx.fetch_frame(q.stored(cid))


def apply(
    stored_rows: pd.DataFrame, lgsl: int, tier: str, modelled: pd.Series
) -> tuple[pd.Series, pd.Series, pd.DataFrame | None]:
    """The index a service's demand uses at ``tier``, each class's source, and the pooled rows
    with the modelled index filled in (None when the service has no pooled rows)."""
    part = (
        stored_rows[(stored_rows["lgsl"] == lgsl) & (stored_rows["tier"] == tier)]
        if not stored_rows.empty
        else stored_rows
    )
    if part is None or part.empty:
        return modelled, pd.Series("modelled", index=modelled.index), None
    observed = pd.DataFrame(
        {"index": part["observed_index"].astype(float).to_numpy()}, index=part["class_code"].to_numpy()
    )
    table = pooling.replace_modelled(modelled, observed)
    label = str(part["source"].iloc[0])
    source = table["source"].replace({"observed": label})
    filled = part.assign(modelled_index=part["class_code"].map(modelled).astype(float).to_numpy())
    return table["used"].rename(modelled.name), source, filled
