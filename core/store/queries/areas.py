"""Areas: search, detail, parents, composition, predominant class, demand, share vectors.

Each function returns a :class:`~core.store.sql.Query` with its values bound; the frozen
dataclasses beside them are the rows the store returns (``store.fetch_as(Row, query)``).
"""

from __future__ import annotations

from dataclasses import dataclass

from core.store.sql import Binds, Query

# A NUTS region strictly below ``{p}`` by its code. Text search never uses LIKE: a client's
# ``%`` and ``_`` would be wildcards, and DuckDB's LIKE is exponential in them.
NUTS_BELOW = "a.level LIKE 'nuts%' AND starts_with(a.code, {p}::text) AND length(a.code) > length({p}::text)"

AREA_COLUMNS = "a.code, a.name, a.level, a.country, a.parent_code, a.vintage, a.lon, a.lat, a.minx, a.miny, a.maxx, a.maxy"


@dataclass(frozen=True)
class AreaRow:
    """An area as listed or looked up: where it is and what contains it."""

    code: str
    name: str | None
    level: str
    country: str | None
    parent_code: str | None
    vintage: str | None
    lon: float | None
    lat: float | None
    minx: float | None
    miny: float | None
    maxx: float | None
    maxy: float | None
    source_id: str | None = None
    total: int | None = None  # matches of a search, on every row of its page

    @property
    def bbox(self) -> list[float] | None:
        box = (self.minx, self.miny, self.maxx, self.maxy)
        return None if any(v is None for v in box) else [float(v) for v in box]  # type: ignore[arg-type]


def search(level: str | None, text: str | None, parent: str | None, limit: int, offset: int) -> Query:
    """Areas whose code starts with, or name contains, ``text`` (lower case), optionally of one
    level and inside one parent; exact matches first, then coarser levels, then by name."""
    b = Binds()
    lv, t, p = b(level), b(text), b(parent)
    return b.query(f"""
SELECT {AREA_COLUMNS}, COUNT(*) OVER () AS total
FROM area a JOIN area_level lv ON lv.level = a.level
WHERE ({lv}::text IS NULL OR a.level = {lv}::text)
  AND ({t}::text IS NULL OR starts_with(lower(a.code), {t}::text) OR strpos(lower(a.name), {t}::text) > 0)
  AND ({p}::text IS NULL OR a.parent_code = {p}::text
       OR ({NUTS_BELOW.format(p=p)})
       OR EXISTS (SELECT 1 FROM area_link l WHERE l.child_level = a.level
                  AND l.child_code = a.code AND l.parent_code = {p}::text))
ORDER BY (lower(a.code) = coalesce({t}::text, '')) DESC,
         (lower(a.name) = coalesce({t}::text, '')) DESC,
         lv.rank, a.name, a.code
LIMIT {b(limit)} OFFSET {b(offset)}
""")


def by_postcode(postcode: str | None, district: str | None, limit: int) -> Query:
    """Areas found by a postcode (its output area, then that area's ward) or a postcode district
    such as ``M33`` (the wards holding its postcodes, most first), from the loaded lookup.

    Postcodes are stored normalised (upper case, no spaces), so a district is every postcode
    but its last three characters (the inward code).
    """
    b = Binds()
    pc, d = b(postcode), b(district)
    return b.query(f"""
WITH oas AS (
  SELECT oa_code, COUNT(*) AS n FROM postcode
  WHERE postcode = {pc}::text OR left(postcode, length(postcode) - 3) = {d}::text
  GROUP BY oa_code
), hits AS (
  SELECT oa_code AS code, 'oa' AS level, n FROM oas WHERE {pc}::text IS NOT NULL
  UNION ALL
  SELECT l.parent_code AS code, l.parent_level AS level, SUM(o.n) AS n
  FROM oas o JOIN area_link l ON l.child_level = 'oa' AND l.child_code = o.oa_code AND l.parent_level = 'ward'
  GROUP BY l.parent_code, l.parent_level
)
SELECT {AREA_COLUMNS}, COUNT(*) OVER () AS total
FROM hits h JOIN area a ON a.level = h.level AND a.code = h.code
ORDER BY (h.level = 'oa') DESC, h.n DESC, a.name, a.code
LIMIT {b(limit)}
""")


def by_code(code: str, level: str | None) -> Query:
    """One area by code (the coarsest level holding it, unless ``level`` is given)."""
    b = Binds()
    lv = b(level)
    return b.query(f"""
SELECT {AREA_COLUMNS}, a.source_id
FROM area a JOIN area_level lv ON lv.level = a.level
WHERE a.code = {b(code)}::text AND ({lv}::text IS NULL OR a.level = {lv}::text)
ORDER BY lv.rank
LIMIT 1
""")


def parent_known(code: str) -> Query:
    """Whether ``code`` can be a ``parent`` filter: an area's code, a parent named by the
    areas or their links, or the prefix of a NUTS region's code (``known`` is true or false)."""
    b = Binds()
    c = b(code)
    return b.query(f"""
SELECT (EXISTS (SELECT 1 FROM area a WHERE a.code = {c}::text)
        OR EXISTS (SELECT 1 FROM area a WHERE a.parent_code = {c}::text)
        OR EXISTS (SELECT 1 FROM area_link l WHERE l.parent_code = {c}::text)
        OR EXISTS (SELECT 1 FROM area a WHERE a.level IN ('nuts0', 'nuts1', 'nuts2', 'nuts3')
                   AND a.code LIKE {c}::text || '_%')) AS known
""")


@dataclass(frozen=True)
class ParentRow:
    level: str
    code: str
    name: str | None


def parents(level: str, code: str) -> Query:
    """An area's parents: from the lookups, the NUTS regions its code starts with, and for UK
    areas the NUTS regions of the NUTS3 region its district (or itself) is linked to."""
    b = Binds()
    lv, c = b(level), b(code)
    return b.query(f"""
WITH nuts3 AS (
  SELECT l.parent_code AS code FROM area_link l
  WHERE l.child_level = {lv}::text AND l.child_code = {c}::text AND l.parent_level = 'nuts3'
  UNION
  SELECT n.parent_code FROM area_link l
  JOIN area_link n ON n.child_level = 'lad' AND n.child_code = l.parent_code AND n.parent_level = 'nuts3'
  WHERE l.child_level = {lv}::text AND l.child_code = {c}::text AND l.parent_level = 'lad'
)
SELECT p.level, p.code, p.name, lv.rank
FROM area_link l
JOIN area p ON p.level = l.parent_level AND p.code = l.parent_code
JOIN area_level lv ON lv.level = p.level
WHERE l.child_level = {lv}::text AND l.child_code = {c}::text
UNION
SELECT p.level, p.code, p.name, lv.rank
FROM nuts3 n JOIN area p ON p.level LIKE 'nuts%' AND n.code LIKE p.code || '%'
JOIN area_level lv ON lv.level = p.level
UNION
SELECT p.level, p.code, p.name, lv.rank
FROM area p JOIN area_level lv ON lv.level = p.level
WHERE {lv}::text LIKE 'nuts%' AND p.level LIKE 'nuts%' AND length(p.code) < length({c}::text)
  AND starts_with({c}::text, p.code)
ORDER BY rank
""")


@dataclass(frozen=True)
class ClassMixRow:
    tier: str
    code: str
    name: str | None
    colour: str | None
    households: float


def mix(classification_id: str, level: str, code: str) -> Query:
    """An area's households per class at every tier of a classification."""
    b = Binds()
    return b.query(f"""
SELECT k.tier, k.class_code AS code, pc.name, pc.colour, k.households, pc.sort
FROM composition k
LEFT JOIN profile_class pc ON pc.classification_id = k.classification_id AND pc.code = k.class_code
WHERE k.classification_id = {b(classification_id)}::text AND k.level = {b(level)}::text
  AND k.code = {b(code)}::text
ORDER BY k.tier, k.households DESC, k.class_code
""")


@dataclass(frozen=True)
class PredominantRow:
    tier: str
    code: str
    name: str | None
    colour: str | None
    households: float
    share: float
    margin: float
    mixed: bool
    runner_up_code: str | None


def predominant(classification_id: str, level: str, code: str) -> Query:
    """An area's leading class at every tier, with its share and lead over the runner-up."""
    b = Binds()
    return b.query(f"""
SELECT p.tier, p.class_code AS code, pc.name, pc.colour, p.households, p.share, p.margin,
       p.mixed, p.runner_up_code
FROM predominant p
LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code
WHERE p.classification_id = {b(classification_id)}::text AND p.level = {b(level)}::text
  AND p.code = {b(code)}::text
""")


@dataclass(frozen=True)
class DemandRow:
    lgsl: int
    label: str
    households: float
    expected: float
    index: float
    band: str


def demand(classification_id: str, level: str, code: str) -> Query:
    """An area's modelled demand per service: expected uses, index and band."""
    b = Binds()
    return b.query(f"""
SELECT d.lgsl, s.label, d.households, d.expected, d.demand_index AS index, d.band
FROM demand d JOIN service s ON s.lgsl = d.lgsl
WHERE d.classification_id = {b(classification_id)}::text AND d.level = {b(level)}::text
  AND d.code = {b(code)}::text
ORDER BY s.label
""")


def share_vectors(classification_id: str, level: str, tier: str) -> Query:
    """Every area's households per class at one level and tier, long form (``code``,
    ``class_code``, ``households``; read as plain rows: a level can hold a million)."""
    b = Binds()
    return b.query(f"""
SELECT k.code, k.class_code, k.households
FROM composition k
WHERE k.classification_id = {b(classification_id)}::text AND k.level = {b(level)}::text
  AND k.tier = {b(tier)}::text
ORDER BY k.code, k.class_code
""")


def area_variables(classification_id: str) -> Query:
    """Standardised input variables of a classification's base areas, long form."""
    b = Binds()
    return b.query(f"""
SELECT code, variable, value FROM area_variable WHERE classification_id = {b(classification_id)}::text
ORDER BY code, variable
""")


@dataclass(frozen=True)
class SummaryRow:
    """An area with its leading class at one tier: one item of a similar-areas answer."""

    code: str
    name: str | None
    level: str
    country: str | None
    lon: float | None
    lat: float | None
    minx: float | None
    miny: float | None
    maxx: float | None
    maxy: float | None
    class_code: str | None
    class_name: str | None
    colour: str | None


def summaries(classification_id: str, level: str, tier: str, codes: list[str]) -> Query:
    """Summaries of the listed areas only (a store with indexes looks each one up)."""
    b = Binds()
    cid, lv, codes_ = b(classification_id), b(level), b(codes)
    return b.query(f"""
WITH a AS (
  SELECT code, name, level, country, lon, lat, minx, miny, maxx, maxy
  FROM area WHERE level = {lv}::text AND code = ANY({codes_}::text[])
), p AS (
  SELECT code, class_code FROM predominant
  WHERE classification_id = {cid}::text AND level = {lv}::text AND tier = {b(tier)}::text
    AND code = ANY({codes_}::text[])
)
SELECT a.code, a.name, a.level, a.country, a.lon, a.lat, a.minx, a.miny, a.maxx, a.maxy,
       p.class_code, pc.name AS class_name, pc.colour
FROM a
LEFT JOIN p ON p.code = a.code
LEFT JOIN profile_class pc ON pc.classification_id = {cid}::text AND pc.code = p.class_code
""")


def level_summaries(classification_id: str, level: str, tier: str) -> Query:
    """The same summary for every area of a level (a store without indexes reads them once)."""
    b = Binds()
    cid = b(classification_id)
    return b.query(f"""
SELECT a.code, a.name, a.level, a.country, a.lon, a.lat, a.minx, a.miny, a.maxx, a.maxy,
       p.class_code, pc.name AS class_name, pc.colour
FROM area a
LEFT JOIN predominant p ON p.classification_id = {cid}::text AND p.level = a.level
     AND p.code = a.code AND p.tier = {b(tier)}::text
LEFT JOIN profile_class pc ON pc.classification_id = {cid}::text AND pc.code = p.class_code
WHERE a.level = {b(level)}::text
""")


@dataclass(frozen=True)
class ChannelNeedRow:
    classification_id: str
    assisted_index: float
    web_share: float
    telephone_share: float
    face_to_face_share: float
    source: str


def channel_need(level: str, code: str) -> Query:
    """The modelled channel suitability of one area (``ChannelNeedRow``), if modelled."""
    b = Binds()
    return b.query(
        "SELECT classification_id, assisted_index, web_share, telephone_share, face_to_face_share, source "
        f"FROM channel_need WHERE level = {b(level)} AND code = {b(code)} ORDER BY classification_id LIMIT 1"
    )


@dataclass(frozen=True)
class ChannelClassRow:
    classification_id: str
    tier: str
    class_code: str
    assisted_index: float
    source: str


def channel_need_classes() -> Query:
    """Every class's modelled assisted-contact index (``ChannelClassRow``)."""
    return Binds().query(
        "SELECT classification_id, tier, class_code, assisted_index, source FROM channel_need_class "
        "ORDER BY classification_id, tier, class_code"
    )


def channel_evidence(classification_id: str) -> Query:
    """What councils' pooled channel records hold (``councils``, ``records``, ``as_of``,
    ``synthetic``; no row when nothing is pooled)."""
    b = Binds()
    return b.query(f"""
SELECT MAX(councils) AS councils, MAX(records) AS records, CAST(MAX(as_of) AS TEXT) AS as_of,
       bool_or(synthetic) AS synthetic
FROM pooled_channel WHERE classification_id = {b(classification_id)}::text HAVING COUNT(*) > 0
""")
