"""The tile serving table: every area once per zoom band, simplified for it, its class inline.

A dense zoom-10 tile holds ~15,000 output areas. Drawn from ``area`` each costs an index probe
into ``predominant`` and a clip of its full-detail outline; from ``tile_area`` it is one narrow
row with geometry already simplified to 1/8 of a screen pixel at the band's top zoom.
Written after the model (``insight build``); tiles use it only while its recorded data
version is current, and fall back to ``area`` + ``predominant`` otherwise.
"""

from __future__ import annotations

from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

from core.levels import BY_NAME
from core.store import Transaction, schema
from core.store.queries import inventory
from core.store.queries import tiles as q
from core.tiling import TILE_BANDS, band_tolerance_m, default_classifications, geometry_column


def band_geometry(level: str, band: int) -> str:
    """SQL for a band's geometry of ``area a``: the stored copy when it is fine enough, else simplified."""
    tolerance = band_tolerance_m(band)
    if tolerance <= BY_NAME[level].gen_tolerance_m:  # also the full-detail band (tolerance 0)
        return f"a.{geometry_column(level, band)}" if tolerance else "a.geom_3857"
    source = "geom_gen" if BY_NAME[level].gen_tolerance_m > 0 else "geom_3857"
    return f"ST_Multi(ST_SimplifyPreserveTopology(a.{source}, {tolerance!r}))"


def _ensure_table(tx: Transaction) -> None:
    """Create ``tile_area`` in a store made before it existed (idempotent)."""
    from core.store.postgis_backend import PgTransaction

    if isinstance(tx, PgTransaction):
        dialect = postgresql.dialect()
        tx.execute(str(CreateTable(schema.tile_area, if_not_exists=True).compile(dialect=dialect)))
        for index in schema.tile_area.indexes:
            tx.execute(str(CreateIndex(index, if_not_exists=True).compile(dialect=dialect)))
    else:
        tx.execute(next(s for s in schema.duckdb_ddl() if "EXISTS tile_area (" in s))


def write_tile_areas(tx: Transaction) -> int:
    """Rewrite ``tile_area`` from ``area``/``predominant`` and mark it current; call after the version bump."""
    _ensure_table(tx)
    tx.execute("DELETE FROM tile_area")
    levels = tx.fetch_frame("SELECT DISTINCT level FROM area")["level"].tolist()
    defaults = default_classifications(tx.fetch_frame(inventory.level_classifications()).to_dict("records"))
    for level in sorted(lv for lv in levels if lv in BY_NAME):
        cid, tier = defaults.get(level, ("", ""))
        for band in TILE_BANDS:
            sql = q.TILE_AREA_INSERT.format(band=band, geom=band_geometry(level, band))
            tx.execute(sql, [level, cid, tier])
    for sql in q.TILE_AREA_MARK:
        tx.execute(sql)
    return int(tx.fetch_frame("SELECT count(*) AS n FROM tile_area")["n"].iloc[0])
