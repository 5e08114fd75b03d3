"""The data view: one row per area with households, predominant class and demand."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.store.queries.areas import NUTS_BELOW
from core.store.sql import Binds, Dialects, Query


@dataclass(frozen=True)
class DataAreaRow:
    code: str
    name: str | None
    level: str
    households: float | None
    predominant_code: str | None
    predominant_name: str | None
    predominant_share: float | None
    mixed: bool | None
    total: int


def areas(
    *, classification_id: str, level: str, tier: str | None, parent: str | None, limit: int, offset: int
) -> Query:
    """Areas of a level (under ``parent``, any ancestor, when given) with their households and class, paged."""
    b = Binds()
    cid = b(classification_id)
    where = ""
    if parent is not None:
        p = b(parent)
        where = f"""
  AND (a.parent_code = {p}::text
       OR ({NUTS_BELOW.format(p=p)})
       OR EXISTS (SELECT 1 FROM area_link l WHERE l.child_level = a.level
                  AND l.child_code = a.code AND l.parent_code = {p}::text))"""
    return b.query(f"""
SELECT a.code, a.name, a.level, t.households, p.class_code AS predominant_code,
       pc.name AS predominant_name, p.share AS predominant_share, p.mixed,
       COUNT(*) OVER () AS total
FROM area a
LEFT JOIN predominant p ON p.classification_id = {cid}::text AND p.level = a.level
     AND p.code = a.code AND p.tier = {b(tier or "")}::text
LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code
LEFT JOIN area_households t ON t.classification_id = {cid}::text AND t.level = a.level AND t.code = a.code
WHERE a.level = {b(level)}::text{where}
ORDER BY a.code
LIMIT {b(limit)} OFFSET {b(offset)}
""")


@dataclass(frozen=True)
class DemandRow:
    code: str
    lgsl: int
    expected: float | None
    index: float | None
    band: str | None


def demand(*, classification_id: str, level: str, codes: Sequence[str], lgsls: Sequence[int]) -> Query:
    """Modelled demand of some areas for some services."""
    b = Binds()
    return b.query(f"""
SELECT d.code, d.lgsl, d.expected, d.demand_index AS index, d.band
FROM demand d
WHERE d.classification_id = {b(classification_id)}::text AND d.level = {b(level)}::text
  AND d.code = ANY({b(list(codes))}::text[]) AND d.lgsl = ANY({b(list(lgsls))}::integer[])
""")


@dataclass(frozen=True)
class ServiceModelRow:
    lgsl: int
    label: str
    rate: float | None


def service_models(classification_id: str) -> Query:
    """Services modelled under a classification, with their known usage rate (or NULL)."""
    b = Binds()
    return b.query(f"""
SELECT m.lgsl, s.label, m.rate FROM service_model m JOIN service s ON s.lgsl = m.lgsl
WHERE m.classification_id = {b(classification_id)}::text ORDER BY s.label
""")


@dataclass(frozen=True)
class BandEdgesRow:
    scheme: str
    edges: str  # JSON list of upper bounds


def band_edges(classification_id: str, lgsl: int, level: str) -> Query:
    """A service's demand band edges at a level, per banding scheme."""
    b = Binds()
    return b.query(f"""
SELECT scheme, edges FROM band_edges
WHERE classification_id = {b(classification_id)}::text AND lgsl = {b(lgsl)}::integer
  AND level = {b(level)}::text
ORDER BY scheme
""")


@dataclass(frozen=True)
class ServiceBandEdgesRow:
    lgsl: int
    scheme: str
    edges: str  # JSON list of upper bounds


def band_edges_of(classification_id: str, lgsls: Sequence[int], level: str) -> Query:
    """Several services' demand band edges at a level, per banding scheme, in one statement."""
    b = Binds()
    return b.query(f"""
SELECT lgsl, scheme, edges FROM band_edges
WHERE classification_id = {b(classification_id)}::text AND lgsl = ANY({b(list(lgsls))}::integer[])
  AND level = {b(level)}::text
ORDER BY lgsl, scheme
""")


@dataclass(frozen=True)
class SourceRow:
    source_id: str
    title: str
    url: str | None
    licence: str | None
    attribution: str | None
    vintage: str | None


def sources(level: str, classification_ids: Sequence[str]) -> Query:
    """The sources behind a level's areas and some classifications: title, licence, vintage."""
    b = Binds()
    lv, ids = b(level), b(list(classification_ids))
    return b.query(
        Dialects(
            postgis=f"""
SELECT s.source_id, s.title, s.url, s.licence, s.attribution, s.vintage FROM source s
WHERE s.source_id IN (SELECT DISTINCT source_id FROM area WHERE level = {lv}::text)
   OR s.source_id IN (SELECT source_id FROM classification WHERE classification_id = ANY({ids}::text[]))
ORDER BY s.source_id
""",
            duckdb=f"""
SELECT s.source_id, s.title, s.url, s.licence, s.attribution, s.vintage FROM source s
WHERE s.source_id IN (SELECT DISTINCT source_id FROM area WHERE level = {lv}::text)
   OR s.source_id IN (SELECT source_id FROM classification
                      WHERE list_contains({ids}::VARCHAR[], classification_id))
ORDER BY s.source_id
""",
        )
    )


@dataclass(frozen=True)
class ChannelNeedRow:
    code: str
    assisted_index: float
    web_share: float
    telephone_share: float
    face_to_face_share: float
    channel_source: str


def channel_need(*, classification_id: str, level: str, codes: Sequence[str]) -> Query:
    """Modelled channel suitability of some areas of one level (``ChannelNeedRow``); UK NUTS3
    regions, listed under the Europe classification, have it from the UK one."""
    b = Binds()
    return b.query(f"""
SELECT code, assisted_index, web_share, telephone_share, face_to_face_share, source AS channel_source
FROM channel_need
WHERE (classification_id = {b(classification_id)}::text OR level = 'nuts3') AND level = {b(level)}::text
  AND code = ANY({b(list(codes))}::text[])
""")
