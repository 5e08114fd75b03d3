"""The Local Government Service List (esd CSV: BOM, multi-line descriptions) and GOV.UK tiers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from boundaries.catalogue import Source
from boundaries.errors import LoadError, name_some
from boundaries.loaders.common import read_csv, require_filled, require_unique, write_source
from core.store import Transaction, Writer
from core.store.queries import loads as q

LGSL_COLUMNS = ["Identifier", "Label", "Status", "Description", "Created", "Modified", "Type"]


def _identifiers(values: pd.Series, path: Path, column: str) -> pd.Series:
    ids = pd.to_numeric(values.str.strip(), errors="coerce")
    bad = ids.isna() | (ids % 1 != 0)
    if bad.any():
        raise LoadError(path, f"{column} not a whole number: {name_some(values[bad])}")
    return ids.astype(int)


def read_services(path: Path, govuk: Path | None = None) -> pd.DataFrame:
    """``service`` rows from the LGSL CSV, with ``govuk_tier`` from the GOV.UK file when given."""
    frame = read_csv(path, LGSL_COLUMNS)
    require_filled(frame, ["Identifier", "Label"], path)
    out = pd.DataFrame(
        {
            "lgsl": _identifiers(frame["Identifier"], path, "Identifier"),
            "label": frame["Label"].str.strip(),
            "description": frame["Description"].str.strip(),
            "status": frame["Status"],
            "type": frame["Type"],
            "created": frame["Created"],
            "modified": frame["Modified"],
        }
    )
    require_unique(out["lgsl"], path, "LGSL identifiers")
    out["govuk_tier"] = None
    if govuk is not None:
        tiers = read_csv(govuk, ["LGSL", "Providing Tier"])
        tiers = pd.DataFrame(
            {"lgsl": _identifiers(tiers["LGSL"], govuk, "LGSL"), "tier": tiers["Providing Tier"].str.strip()}
        )
        require_unique(tiers["lgsl"], govuk, "LGSL identifiers")
        out["govuk_tier"] = out["lgsl"].map(dict(zip(tiers["lgsl"], tiers["tier"], strict=True)))
    return out


def load_lgsl(writer: Writer, path: Path, source: Source, govuk: Path | None = None) -> int:
    """Load the service list, replacing the earlier load. Returns the number of services."""
    services = read_services(path, govuk)

    def write(tx: Transaction) -> int:
        held = tx.fetch_frame(q.service_owners(source.id))
        clash = held[held["lgsl"].isin(services["lgsl"])]
        if not clash.empty:
            raise LoadError(
                path, f"service(s) {name_some(clash['lgsl'])} already loaded by {clash['source_id'].iloc[0]}"
            )
        return tx.insert_frame("service", services.assign(source_id=source.id))

    return write_source(writer, source, [path, govuk] if govuk else path, write)
