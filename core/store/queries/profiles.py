"""Customer profiles and take-up: a council's aggregated records against the census base.

Records sit in ``workspace.service_count`` at the level they named (output area, LSOA or
ward). They reach a profile class through the national tables:

* an output area has one class (``base_composition``), so its contacts go to that class;
* an LSOA or a ward holds households of several classes, so its contacts are **apportioned**
  by the area's composition: class t gets ``contacts × H[a,t] / H[a]``. The customer counts
  of a profile are therefore sums of whole and fractional contacts; an area without
  households in the classification places nothing (its contacts are counted as unclassified).

An area is placed inside a larger one (a council's districts, a ward) through ``area_link``:
directly (OA → LSOA, OA → LAD, LSOA → ward, LSOA → LAD, ward → LAD) or through its LSOA
(OA → LSOA → ward). Records at a coarser level than the target cannot be placed in it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from core.store.sql import Binds, Query

# Levels a record can name, finest first.
RECORD_LEVELS = ("oa", "lsoa", "ward")


def _records(
    b: Binds,
    council_id: str,
    lgsl: int | None,
    levels: Sequence[str] | None = None,
    *,
    by_channel: bool = False,
    period: tuple[dt.date, dt.date] | None = None,
) -> str:
    """CTE ``rec``: the council's contacts per named area (months and uploads summed; channels
    too unless ``by_channel``), of records naming one of ``levels`` (default any) and, with
    ``period``, of the months from its first to its last day (both included)."""
    where = "" if lgsl is None else f" AND s.service_code = {b(lgsl)}::integer"
    if levels is not None:
        where += f" AND s.level = ANY({b(list(levels))}::text[])"
    if period is not None:
        where += f" AND s.month BETWEEN {b(period[0])}::date AND {b(period[1])}::date"
    channel = ", s.channel" if by_channel else ""
    return f"""rec AS (
  SELECT s.level, s.area_code{channel}, SUM(s.contacts) AS contacts
  FROM workspace.service_count s
  WHERE s.council_id = {b(council_id)}::text{where}
  GROUP BY s.level, s.area_code{channel}
)"""


def _placed(level: str, *, by_channel: bool = False) -> str:
    """CTE ``placed``: each record area with the code of the ``level`` area it lies in (or NULL).

    ``level`` is a bind placeholder. Every join is on a key, so each record keeps one row;
    ``by_channel`` carries the record's channel along (``rec`` must have it).
    """
    channel = " r.channel," if by_channel else ""
    return f"""placed AS (
  SELECT r.level, r.area_code,{channel} r.contacts,
         COALESCE(CASE WHEN r.level = {level}::text THEN r.area_code END, l1.parent_code,
                  l3.parent_code) AS target
  FROM rec r
  LEFT JOIN area_link l1 ON l1.child_level = r.level AND l1.child_code = r.area_code
       AND l1.parent_level = {level}::text
  LEFT JOIN area_link l2 ON l2.child_level = r.level AND l2.child_code = r.area_code
       AND l2.parent_level = 'lsoa'
  LEFT JOIN area_link l3 ON l3.child_level = 'lsoa' AND l3.child_code = l2.parent_code
       AND l3.parent_level = {level}::text
)"""


@dataclass(frozen=True)
class RecordTotalsRow:
    total: float | None  # every contact of the council (for the service)
    inside: float | None  # contacts placed inside the customer area
    areas: int  # named areas with contacts


def record_totals(
    *, council_id: str, lgsl: int | None, within_level: str, within_codes: Sequence[str]
) -> Query:
    """The council's contacts in all, and those placed inside ``within`` (level and codes)."""
    b = Binds()
    rec = _records(b, council_id, lgsl)
    level = b(within_level)
    codes = b(list(within_codes))
    return b.query(f"""
WITH {rec},
{_placed(level)}
SELECT SUM(contacts) AS total,
       SUM(CASE WHEN target = ANY({codes}::text[]) THEN contacts END) AS inside,
       COUNT(*) AS areas
FROM placed
""")


@dataclass(frozen=True)
class ClassCountRow:
    class_code: str
    value: float


def customers_by_class(
    *,
    council_id: str,
    lgsl: int | None,
    classification_id: str,
    tier: str,
    within_level: str,
    within_codes: Sequence[str],
    record_levels: Sequence[str] | None = None,
) -> Query:
    """Contacts per class of ``tier`` of the records placed inside ``within``.

    Output-area records go whole to their class; LSOA and ward records are apportioned by
    their area's households per class (see the module docstring). ``record_levels`` keeps
    the records naming those levels only.
    """
    b = Binds()
    rec = _records(b, council_id, lgsl, record_levels)
    level = b(within_level)
    codes = b(list(within_codes))
    cid = b(classification_id)
    tier_b = b(tier)
    return b.query(f"""
WITH {rec},
{_placed(level)},
inside AS (SELECT level, area_code, contacts FROM placed WHERE target = ANY({codes}::text[])),
parts AS (
  SELECT t.class_code, i.contacts AS value
  FROM inside i
  JOIN base_composition bc ON bc.classification_id = {cid}::text AND bc.level = i.level
       AND bc.code = i.area_code
  JOIN class_tier t ON t.classification_id = bc.classification_id AND t.finest_code = bc.class_code
       AND t.tier = {tier_b}::text
  UNION ALL
  SELECT c.class_code, i.contacts * c.households / h.households AS value
  FROM inside i
  JOIN composition_area h ON h.classification_id = {cid}::text AND h.level = i.level
       AND h.code = i.area_code AND h.households > 0
  JOIN composition c ON c.classification_id = h.classification_id AND c.level = h.level
       AND c.code = h.code AND c.tier = {tier_b}::text
)
SELECT class_code, SUM(value) AS value FROM parts GROUP BY class_code ORDER BY class_code
""")


@dataclass(frozen=True)
class ClassChannelRow:
    class_code: str
    channel: str
    value: float


def customers_by_class_channel(
    *,
    council_id: str,
    lgsl: int | None,
    classification_id: str,
    tier: str,
    within_level: str,
    within_codes: Sequence[str],
    period: tuple[dt.date, dt.date] | None = None,
) -> Query:
    """Contacts per class of ``tier`` and channel of the records placed inside ``within``.

    Placed and apportioned as :func:`customers_by_class` does, so summed over channels it
    gives the same counts; ``period`` keeps the months from its first to its last day.
    """
    b = Binds()
    rec = _records(b, council_id, lgsl, by_channel=True, period=period)
    level = b(within_level)
    codes = b(list(within_codes))
    cid = b(classification_id)
    tier_b = b(tier)
    return b.query(f"""
WITH {rec},
{_placed(level, by_channel=True)},
inside AS (SELECT level, area_code, channel, contacts FROM placed WHERE target = ANY({codes}::text[])),
parts AS (
  SELECT t.class_code, i.channel, i.contacts AS value
  FROM inside i
  JOIN base_composition bc ON bc.classification_id = {cid}::text AND bc.level = i.level
       AND bc.code = i.area_code
  JOIN class_tier t ON t.classification_id = bc.classification_id AND t.finest_code = bc.class_code
       AND t.tier = {tier_b}::text
  UNION ALL
  SELECT c.class_code, i.channel, i.contacts * c.households / h.households AS value
  FROM inside i
  JOIN composition_area h ON h.classification_id = {cid}::text AND h.level = i.level
       AND h.code = i.area_code AND h.households > 0
  JOIN composition c ON c.classification_id = h.classification_id AND c.level = h.level
       AND c.code = h.code AND c.tier = {tier_b}::text
)
SELECT class_code, channel, SUM(value) AS value FROM parts
GROUP BY class_code, channel ORDER BY class_code, channel
""")


@dataclass(frozen=True)
class MonthChannelRow:
    month: dt.date
    channel: str
    value: float


def contacts_by_month_channel(*, council_id: str, lgsl: int | None) -> Query:
    """The council's contacts per month and channel (every record, wherever it was placed)."""
    b = Binds()
    service = "" if lgsl is None else f" AND service_code = {b(lgsl)}::integer"
    return b.query(f"""
SELECT month, channel, SUM(contacts) AS value
FROM workspace.service_count
WHERE council_id = {b(council_id)}::text{service}
GROUP BY month, channel ORDER BY month, channel
""")


def base_by_class(*, classification_id: str, tier: str, level: str, codes: Sequence[str]) -> Query:
    """Households per class of ``tier`` over some areas of one level (a council's districts, a ward)."""
    b = Binds()
    return b.query(f"""
SELECT class_code, SUM(households) AS value
FROM composition
WHERE classification_id = {b(classification_id)}::text AND level = {b(level)}::text
  AND code = ANY({b(list(codes))}::text[]) AND tier = {b(tier)}::text
GROUP BY class_code ORDER BY class_code
""")


def base_by_class_national(*, classification_id: str, tier: str, prefixes: Sequence[str]) -> Query:
    """Households per class of ``tier`` over every base area whose code starts with one of
    ``prefixes`` (``E``, ``W``: England and Wales)."""
    b = Binds()
    cid = b(classification_id)
    return b.query(f"""
SELECT t.class_code, SUM(bc.households) AS value
FROM base_composition bc
JOIN class_tier t ON t.classification_id = bc.classification_id AND t.finest_code = bc.class_code
     AND t.tier = {b(tier)}::text
WHERE bc.classification_id = {cid}::text AND substr(bc.code, 1, 1) = ANY({b(list(prefixes))}::text[])
GROUP BY t.class_code ORDER BY t.class_code
""")


@dataclass(frozen=True)
class AreaRow:
    level: str
    code: str
    name: str | None


def area_of(level: str, code: str) -> Query:
    """One area by level and code (to name a chosen base or customer area)."""
    b = Binds()
    return b.query(
        f"SELECT level, code, name FROM area WHERE level = {b(level)}::text AND code = {b(code)}::text"
    )


@dataclass(frozen=True)
class AreaClassRow:
    code: str
    class_code: str
    households: float


def area_composition(
    *, classification_id: str, tier: str, level: str, district_codes: Sequence[str]
) -> Query:
    """Households per class of ``tier`` of every area of ``level`` inside the districts."""
    b = Binds()
    lvl = b(level)
    districts = b(list(district_codes))
    return b.query(f"""
SELECT c.code, c.class_code, c.households
FROM composition c
WHERE c.classification_id = {b(classification_id)}::text AND c.level = {lvl}::text
  AND c.tier = {b(tier)}::text
  AND ((c.level = 'lad' AND c.code = ANY({districts}::text[]))
       OR EXISTS (SELECT 1 FROM area_link l WHERE l.child_level = c.level AND l.child_code = c.code
                  AND l.parent_level = 'lad' AND l.parent_code = ANY({districts}::text[])))
ORDER BY c.code, c.class_code
""")


@dataclass(frozen=True)
class ObservedRow:
    code: str
    value: float


def observed_by_area(*, council_id: str, lgsl: int | None, level: str) -> Query:
    """Contacts per area of ``level``: records of that level and of finer ones inside it.

    Records at a coarser level than ``level`` have no area here (row with code NULL).
    """
    b = Binds()
    rec = _records(b, council_id, lgsl)
    lvl = b(level)
    return b.query(f"""
WITH {rec},
{_placed(lvl)}
SELECT target AS code, SUM(contacts) AS value FROM placed GROUP BY target ORDER BY target
""")


@dataclass(frozen=True)
class AreaNameRow:
    code: str
    name: str | None


def area_names(level: str, codes: Sequence[str]) -> Query:
    b = Binds()
    return b.query(f"""
SELECT code, name FROM area WHERE level = {b(level)}::text AND code = ANY({b(list(codes))}::text[])
""")


@dataclass(frozen=True)
class LinkRow:
    child_code: str
    parent_code: str


def links(child_level: str, parent_level: str, child_codes: Sequence[str]) -> Query:
    """The ``parent_level`` area of each of some areas (``area_link``)."""
    b = Binds()
    return b.query(f"""
SELECT child_code, parent_code FROM area_link
WHERE child_level = {b(child_level)}::text AND parent_level = {b(parent_level)}::text
  AND child_code = ANY({b(list(child_codes))}::text[])
""")


def service_label(lgsl: int) -> Query:
    """The LGSL label of a service (NULL when the service list does not hold it)."""
    b = Binds()
    return b.query(f"SELECT label FROM service WHERE lgsl = {b(lgsl)}::integer")


@dataclass(frozen=True)
class ClassInfoRow:
    code: str
    name: str
    parent_code: str | None
    colour: str | None
    tier: str


def classes(classification_id: str) -> Query:
    """Every class of a classification with its tier and parent, in legend order."""
    b = Binds()
    return b.query(f"""
SELECT code, name, parent_code, colour, tier FROM profile_class
WHERE classification_id = {b(classification_id)}::text ORDER BY sort, code
""")


@dataclass(frozen=True)
class UploadSummaryRow:
    uploads: int
    synthetic: int
    date_from: dt.date | None
    date_to: dt.date | None


def upload_summary(council_id: str, lgsl: int | None) -> Query:
    """How many uploads stand behind a council's aggregates (for a service), how many are
    synthetic, and the months they cover."""
    b = Binds()
    cid = b(council_id)
    service = "" if lgsl is None else f" AND s.service_code = {b(lgsl)}::integer"
    return b.query(f"""
SELECT COUNT(*) AS uploads, COALESCE(SUM(CASE WHEN u.synthetic THEN 1 ELSE 0 END), 0) AS synthetic,
       MIN(u.date_from) AS date_from, MAX(u.date_to) AS date_to
FROM workspace.upload u
WHERE u.council_id = {cid}::text
  AND EXISTS (SELECT 1 FROM workspace.service_count s WHERE s.upload_id = u.upload_id{service})
""")


@dataclass(frozen=True)
class ServiceCountInsert:
    """One aggregate row, as the upload path writes it (tests write them directly too)."""

    upload_id: str
    council_id: str
    level: str
    area_code: str
    service_code: int
    channel: str
    month: dt.date
    interaction_id: int
    contacts: int


def insert_service_counts(rows: Sequence[ServiceCountInsert]) -> list[Query]:
    """Statements inserting aggregate rows into ``workspace.service_count``."""
    out = []
    for r in rows:
        b = Binds()
        out.append(
            b.query(f"""
INSERT INTO workspace.service_count (upload_id, council_id, level, area_code, service_code, channel,
                                     month, interaction_id, contacts)
VALUES ({b(r.upload_id)}, {b(r.council_id)}, {b(r.level)}, {b(r.area_code)}, {b(r.service_code)}::integer,
        {b(r.channel)}, {b(r.month)}::date, {b(r.interaction_id)}::integer, {b(r.contacts)}::bigint)
""")
        )
    return out


def insert_upload(
    *, upload_id: str, council_id: str, content_hash: str, source_name: str, synthetic: bool, rows: int
) -> Query:
    """An upload row for aggregates written directly (fixtures, imports of ready aggregates)."""
    b = Binds()
    return b.query(f"""
INSERT INTO workspace.upload (upload_id, council_id, content_hash, source_name, uploaded_at, synthetic,
                              rows_read, rows_matched, rows_rejected, report)
VALUES ({b(upload_id)}, {b(council_id)}, {b(content_hash)}, {b(source_name)}, CURRENT_TIMESTAMP,
        {b(synthetic)}, {b(rows)}::bigint, {b(rows)}::bigint, 0, '{{}}')
""")


@dataclass(frozen=True)
class RegionRow:
    level: str  # nuts1 | nuts2 | nuts3
    code: str
    name: str | None


def regions_of_districts(districts: Sequence[str]) -> Query:
    """The NUTS 1, 2 and 3 regions holding ``districts`` (through their district → NUTS3
    links; NUTS codes nest by prefix), coarsest first."""
    b = Binds()
    codes = b(list(districts))
    return b.query(f"""
WITH n3 AS (
  SELECT DISTINCT parent_code AS code FROM area_link
  WHERE child_level = 'lad' AND parent_level = 'nuts3' AND child_code = ANY({codes}::text[])
),
wanted AS (
  SELECT 'nuts1' AS level, substr(code, 1, 3) AS code FROM n3
  UNION SELECT 'nuts2', substr(code, 1, 4) FROM n3
  UNION SELECT 'nuts3', code FROM n3
)
SELECT w.level, w.code, a.name FROM wanted w
LEFT JOIN area a ON a.level = w.level AND a.code = w.code
ORDER BY w.level, w.code
""")


def districts_in_region(region: str) -> Query:
    """Codes of the districts linked to a NUTS3 region inside the NUTS region ``region``
    (any level: its code is a prefix of its NUTS3 regions' codes)."""
    b = Binds()
    r = b(region)
    return b.query(f"""
SELECT DISTINCT child_code AS code FROM area_link
WHERE child_level = 'lad' AND parent_level = 'nuts3'
  AND substr(parent_code, 1, length({r}::text)) = {r}::text
ORDER BY code
""")


def councils_with_service(lgsl: int) -> Query:
    """Ids of the councils whose records name the service ``lgsl`` (``council_id``)."""
    b = Binds()
    return b.query(
        f"SELECT DISTINCT council_id FROM workspace.service_count WHERE service_code = {b(lgsl)} ORDER BY council_id"
    )


def expected_in_districts(*, classification_id: str, lgsl: int, districts: Sequence[str]) -> Query:
    """Modelled expected demand (relative units) of a service over some districts (``expected``)."""
    b = Binds()
    return b.query(f"""
SELECT SUM(expected) AS expected FROM demand
WHERE classification_id = {b(classification_id)}::text AND lgsl = {b(lgsl)} AND level = 'lad'
  AND code = ANY({b(list(districts))}::text[])
""")
