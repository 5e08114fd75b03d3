"""Features of one level for OGC API – Features and the GeoJSON/CSV export.

Each area carries its predominant class under the first of the listed classifications it has
(most preferred first) and, with a service, its modelled demand. Rows are ordered by code, so
pages are stable; ``total`` counts every match.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from core.errors import BadRequest
from core.store.queries.areas import NUTS_BELOW
from core.store.sql import Binds, Dialects, Query

PROPERTIES = (
    "code",
    "name",
    "level",
    "country",
    "parent_code",
    "households",
    "leading_class_households",
    "classification_id",
    "class_code",
    "class_name",
    "colour",
    "share",
    "margin",
    "mixed",
    "demand_index",
    "band",
)

BBox = tuple[float, float, float, float]

# Properties a CQL2 filter may compare (OGC API – Features Part 3 queryables): the column of the
# feature row ``f`` and its SQL type.
QUERYABLES: dict[str, tuple[str, str]] = {
    "class_code": ("f.class_code", "text"),
    "parent_code": ("f.parent_code", "text"),
    "mixed": ("f.mixed", "boolean"),
}
_COMPARISONS = {"=": "=", "<>": "<>", "<": "<", ">": ">", "<=": "<=", ">=": ">="}


def filter_sql(b: Binds, node: Any) -> str:
    """SQL for a CQL2 expression (its JSON form, as ``cql2`` parses text) over the queryables.

    Basic CQL2: comparisons of a queryable with a literal, ``and``, ``or``, ``not``, ``isNull``,
    plus ``in`` lists. Literals are bound; property names only pick from :data:`QUERYABLES`.
    Anything else is a :class:`BadRequest` naming what is not supported.
    """
    if not isinstance(node, dict) or "op" not in node:
        raise BadRequest(f"filter: expected a condition, got {node!r}")
    op, args = str(node["op"]).lower(), node.get("args", [])
    if op in ("and", "or") and args:
        return "(" + f" {op.upper()} ".join(filter_sql(b, a) for a in args) + ")"
    if op == "not" and len(args) == 1:
        return f"(NOT {filter_sql(b, args[0])})"
    if op == "isnull" and len(args) == 1:
        return f"({_column(args[0])[0]} IS NULL)"
    if op in _COMPARISONS and len(args) == 2:
        left, right = args
        if not (isinstance(left, dict) and "property" in left):
            left, right = right, left
            op = {"<": ">", ">": "<", "<=": ">=", ">=": "<="}.get(op, op)
        column, kind = _column(left)
        return f"({column} {_COMPARISONS[op]} {_literal(b, right, kind)})"
    if op == "in" and len(args) == 2 and isinstance(args[1], list) and args[1]:
        column, kind = _column(args[0])
        return f"({column} IN ({', '.join(_literal(b, v, kind) for v in args[1])}))"
    raise BadRequest(
        f"filter: operator {node['op']!r} is not supported here; use =, <>, <, >, <=, >=, IN, IS NULL, "
        "AND, OR, NOT on the queryables"
    )


def _column(node: Any) -> tuple[str, str]:
    name = node.get("property") if isinstance(node, dict) else None
    if name not in QUERYABLES:
        raise BadRequest(f"filter: {name or node!r} is not a queryable; queryables: {', '.join(QUERYABLES)}")
    return QUERYABLES[name]


def _literal(b: Binds, value: Any, kind: str) -> str:
    if kind == "boolean" and isinstance(value, bool):
        return f"{b(value)}::boolean"
    if kind == "text" and isinstance(value, str | int) and not isinstance(value, bool):
        return f"{b(str(value))}::text"
    raise BadRequest(f"filter: {value!r} cannot be compared with a {kind} queryable")


def _listed(ids: str) -> tuple[Dialects, Dialects]:
    """``p`` is one of the classifications bound as ``ids``, and its place in that list."""
    return (
        Dialects(
            postgis=f"p.classification_id = ANY({ids}::text[])",
            duckdb=f"list_contains({ids}::VARCHAR[], p.classification_id)",
        ),
        Dialects(
            postgis=f"array_position({ids}::text[], p.classification_id)",
            duckdb=f"list_position({ids}::VARCHAR[], p.classification_id)",
        ),
    )


def _both(make_text: Callable[[str], str]) -> Dialects:
    """One statement written for each backend by the same function (same placeholders, same order)."""
    return Dialects(postgis=make_text("postgis"), duckdb=make_text("duckdb"))


def features(
    *,
    level: str,
    classifications: Sequence[str],
    tier: str | None,
    bbox: BBox | None = None,
    parent: str | None = None,
    limit: int,
    offset: int = 0,
    service: int | None = None,
    with_geometry: bool = True,
    where: Any = None,
) -> Query:
    """Areas of a level with their predominant class (and demand), filtered by bbox or ancestor, paged.

    Parameters
    ----------
    bbox
        West, south, east, north in EPSG:4326: areas whose outline meets it.
    parent
        Any ancestor's code: the direct parent, a NUTS prefix or a linked area.
    service
        LGSL code whose modelled demand (index, band) is added; None leaves them NULL.
    where
        A CQL2 expression in its JSON form over :data:`QUERYABLES` (see :func:`filter_sql`).
    """
    b = Binds()
    ids = b(list(classifications))
    tier_p = b(tier or "")
    service_p = b(service)
    level_p = b(level)
    in_list, preference = _listed(ids)
    box = tuple(b(float(v)) for v in bbox) if bbox is not None else None
    parent_p = b(parent) if parent is not None else None
    condition = f"\nWHERE {filter_sql(b, where)}" if where is not None else ""
    limit_p, offset_p = b(limit), b(offset)

    def text(backend: str) -> str:
        where = ""
        if box is not None:
            west, south, east, north = box
            envelope = Dialects(
                postgis=f"ST_MakeEnvelope({west}::double precision, {south}::double precision, "
                f"{east}::double precision, {north}::double precision, 4326)",
                duckdb=f"ST_MakeEnvelope({west}::DOUBLE, {south}::DOUBLE, {east}::DOUBLE, {north}::DOUBLE)",
            ).for_backend(backend)
            where += f"""
    AND a.maxx >= {west} AND a.minx <= {east} AND a.maxy >= {south} AND a.miny <= {north}
    AND ST_Intersects(a.geom, {envelope})"""
        if parent_p is not None:
            where += f"""
    AND (a.parent_code = {parent_p}::text
         OR ({NUTS_BELOW.format(p=parent_p)})
         OR EXISTS (SELECT 1 FROM area_link l WHERE l.child_level = a.level
                    AND l.child_code = a.code AND l.parent_code = {parent_p}::text))"""
        page = f"""
SELECT f.*, COUNT(*) OVER () AS total
FROM (
  SELECT DISTINCT ON (a.code) a.code, a.name, a.level, a.country, a.parent_code, p.households,
         p.class_households AS leading_class_households, p.classification_id, p.class_code, pc.name AS class_name, pc.colour, p.share, p.margin,
         p.mixed, d.demand_index, d.band, a.lon, a.lat, a.minx, a.miny, a.maxx, a.maxy
  FROM area a
  LEFT JOIN predominant p ON {in_list.for_backend(backend)} AND p.level = a.level AND p.code = a.code
       AND p.tier = {tier_p}::text
  LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code
  LEFT JOIN demand d ON d.classification_id = p.classification_id AND d.lgsl = {service_p}::integer
       AND d.level = a.level AND d.code = a.code
  WHERE a.level = {level_p}::text{where}
  ORDER BY a.code, {preference.for_backend(backend)}
) f{condition}
ORDER BY f.code
LIMIT {limit_p}::integer OFFSET {offset_p}::integer
"""
        if not with_geometry:
            return page
        # The page is chosen first; only its rows' outlines are written out as GeoJSON.
        return f"""
SELECT pg.*, ST_AsGeoJSON(g.geom) AS geometry
FROM ({page}) pg
JOIN area g ON g.level = pg.level AND g.code = pg.code
ORDER BY pg.code
"""

    return b.query(_both(text))


def feature(*, level: str, code: str, classifications: Sequence[str], tier: str | None) -> Query:
    """One area with its predominant class under the first listed classification it has."""
    b = Binds()
    level_p, code_p, ids, tier_p = b(level), b(code), b(list(classifications)), b(tier or "")
    in_list, preference = _listed(ids)

    def text(backend: str) -> str:
        return f"""
SELECT a.code, a.name, a.level, a.country, a.parent_code, p.households,
       p.class_households AS leading_class_households, p.classification_id, p.class_code, pc.name AS class_name, pc.colour, p.share, p.margin, p.mixed,
       a.lon, a.lat, a.minx, a.miny, a.maxx, a.maxy, ST_AsGeoJSON(a.geom) AS geometry
FROM area a
LEFT JOIN predominant p ON {in_list.for_backend(backend)} AND p.level = a.level AND p.code = a.code
     AND p.tier = {tier_p}::text
LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code
WHERE a.level = {level_p}::text AND a.code = {code_p}::text
ORDER BY {preference.for_backend(backend)} NULLS LAST
LIMIT 1
"""

    return b.query(_both(text))
