"""The tile serving table: every area once per zoom band, simplified for it, its class inline.

A dense zoom-10 tile holds ~15,000 output areas. Drawn from ``area`` each costs an index probe
into ``predominant`` and a clip of its full-detail outline; from ``tile_area`` it is one narrow
row with geometry already simplified to 1/8 of a screen pixel at the band's top zoom.
Written after the model (``insight build``); tiles use it only while its recorded data
version is current, and fall back to ``area`` + ``predominant`` otherwise.
"""

from __future__ import annotations

from core.levels import BY_NAME
from core.store import Transaction
from core.store.queries import inventory
from core.store.queries import tiles as q
from core.tiling import TILE_BANDS, default_classifications


def write_tile_areas(tx: Transaction) -> int:
    """Rewrite ``tile_area`` (and its pieces) from ``area``/``predominant`` and mark it current;
    call after the version bump."""
    tx.clear("tile_area_piece")
    tx.clear("tile_area")
    levels = tx.fetch_frame(q.AREA_LEVELS)["level"].tolist()
    defaults = default_classifications(tx.fetch_frame(inventory.level_classifications()).to_dict("records"))
    for level in sorted(lv for lv in levels if lv in BY_NAME):
        cid, tier = defaults.get(level, ("", ""))
        for band in TILE_BANDS:
            tx.execute(q.insert_tile_areas(level, band, cid, tier))
    for sql in q.MARK_TILE_AREAS:
        tx.execute(sql)
    return int(tx.fetch_frame(q.COUNT_TILE_AREAS)["n"].iloc[0])
