"""Area levels with their counts, and the sources loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.store.sql import Query


@dataclass(frozen=True)
class LevelCountRow:
    level: str
    family: str
    rank: int
    label: str
    areas: int


LEVEL_COUNTS = """
SELECT l.level, l.family, l.rank, l.label, COUNT(a.code) AS areas
FROM area_level l LEFT JOIN area a ON a.level = l.level
GROUP BY l.level, l.family, l.rank, l.label
ORDER BY l.rank
"""


def level_counts() -> Query:
    """Every level the store knows, coarsest first, with how many areas it holds."""
    return Query(LEVEL_COUNTS)


@dataclass(frozen=True)
class SourceRow:
    source_id: str
    kind: str
    title: str
    url: str | None
    licence: str | None
    attribution: str | None
    vintage: str | None
    file: str | None
    row_count: int | None
    loaded_at: datetime | None


SOURCES = """
SELECT source_id, kind, title, url, licence, attribution, vintage, file, row_count, loaded_at
FROM source ORDER BY source_id
"""


def sources() -> Query:
    """Every loaded source with its origin, licence, vintage and row count."""
    return Query(SOURCES)
