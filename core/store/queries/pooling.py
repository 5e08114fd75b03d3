"""Councils' records pooled across councils, per service: the evidence behind observed propensities.

Each council's contacts are placed in its own districts as a profile places them
(:mod:`core.store.queries.profiles`): output-area records whole to their class, LSOA and ward
records apportioned by their area's households per class. Nothing here is shown to a council:
the pooled answers leave through :mod:`geo.pooling`, which sums over councils.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.store.sql import Binds, Query


def _records(key: str = "service_code", alias: str = "lgsl") -> str:
    """CTEs ``rec``, ``placed`` and ``inside``: every council's records per ``key`` (named
    ``alias``) and area, placed in a district, kept where the district is the council's."""
    return f"""rec AS (
  SELECT s.council_id, s.{key} AS {alias}, s.level, s.area_code, SUM(s.contacts) AS contacts
  FROM workspace.service_count s
  GROUP BY s.council_id, s.{key}, s.level, s.area_code
),
placed AS (
  SELECT r.council_id, r.{alias}, r.level, r.area_code, r.contacts,
         COALESCE(CASE WHEN r.level = 'lad' THEN r.area_code END, l1.parent_code, l3.parent_code) AS district
  FROM rec r
  LEFT JOIN area_link l1 ON l1.child_level = r.level AND l1.child_code = r.area_code
       AND l1.parent_level = 'lad'
  LEFT JOIN area_link l2 ON l2.child_level = r.level AND l2.child_code = r.area_code
       AND l2.parent_level = 'lsoa'
  LEFT JOIN area_link l3 ON l3.child_level = 'lsoa' AND l3.child_code = l2.parent_code
       AND l3.parent_level = 'lad'
),
inside AS (
  SELECT p.council_id, p.{alias}, p.level, p.area_code, p.district, p.contacts
  FROM placed p
  JOIN workspace.council_district d ON d.council_id = p.council_id AND d.district_code = p.district
)"""


def _per_class(key: str, cid: str, tier: str) -> str:
    """CTE ``parts``: ``inside``'s contacts per council, ``key`` and class of a tier (``cid`` and
    ``tier`` are bind placeholders): output-area records whole to their class, LSOA and ward
    records apportioned by their households per class."""
    return f"""parts AS (
  SELECT i.council_id, i.{key}, t.class_code, i.contacts AS value
  FROM inside i
  JOIN base_composition bc ON bc.classification_id = {cid}::text AND bc.level = i.level
       AND bc.code = i.area_code
  JOIN class_tier t ON t.classification_id = bc.classification_id AND t.finest_code = bc.class_code
       AND t.tier = {tier}::text
  UNION ALL
  SELECT i.council_id, i.{key}, c.class_code, i.contacts * c.households / h.households AS value
  FROM inside i
  JOIN composition_area h ON h.classification_id = {cid}::text AND h.level = i.level
       AND h.code = i.area_code AND h.households > 0
  JOIN composition c ON c.classification_id = h.classification_id AND c.level = h.level
       AND c.code = h.code AND c.tier = {tier}::text
)"""


_RECORDS = _records()


@dataclass(frozen=True)
class PooledCustomerRow:
    council_id: str
    lgsl: int
    class_code: str
    customers: float


def customers(*, classification_id: str, tier: str) -> Query:
    """Every council's contacts per service and class of ``tier``, inside its districts."""
    b = Binds()
    cid, tier_b = b(classification_id), b(tier)
    return b.query(f"""
WITH {_RECORDS},
{_per_class("lgsl", cid, tier_b)}
SELECT council_id, lgsl, class_code, SUM(value) AS customers FROM parts
GROUP BY council_id, lgsl, class_code ORDER BY council_id, lgsl, class_code
""")


@dataclass(frozen=True)
class PooledBaseRow:
    council_id: str
    class_code: str
    households: float


def households(*, classification_id: str, tier: str) -> Query:
    """Every council's base households per class of ``tier`` in its districts."""
    b = Binds()
    return b.query(f"""
SELECT d.council_id, c.class_code, SUM(c.households) AS households
FROM workspace.council_district d
JOIN composition c ON c.classification_id = {b(classification_id)}::text AND c.level = 'lad'
     AND c.code = d.district_code AND c.tier = {b(tier)}::text
GROUP BY d.council_id, c.class_code ORDER BY d.council_id, c.class_code
""")


@dataclass(frozen=True)
class PooledServiceRow:
    lgsl: int
    councils: int
    records: float
    synthetic_uploads: int
    uploads: int
    date_to: object  # the last month covered (a date), or None


def services() -> Query:
    """Per service: the councils that uploaded it, their contacts, and their uploads."""
    return Binds().query("""
WITH per AS (
  SELECT s.service_code AS lgsl, s.council_id, s.upload_id, SUM(s.contacts) AS contacts, MAX(s.month) AS last
  FROM workspace.service_count s
  GROUP BY s.service_code, s.council_id, s.upload_id
)
SELECT p.lgsl, COUNT(DISTINCT p.council_id) AS councils, SUM(p.contacts) AS records,
       COUNT(DISTINCT CASE WHEN u.synthetic THEN p.upload_id END) AS synthetic_uploads,
       COUNT(DISTINCT p.upload_id) AS uploads, MAX(p.last) AS date_to
FROM per p
JOIN workspace.upload u ON u.upload_id = p.upload_id
GROUP BY p.lgsl ORDER BY p.lgsl
""")


@dataclass(frozen=True)
class PooledDistrictRow:
    council_id: str
    lgsl: int
    district: str
    region: str | None
    customers: float
    households: float


def districts(*, classification_id: str) -> Query:
    """Every council's contacts per service and district, with the district's households and
    NUTS3 region (for the transfer to Europe by class)."""
    b = Binds()
    return b.query(f"""
WITH {_RECORDS},
per AS (SELECT council_id, lgsl, district, SUM(contacts) AS customers FROM inside
        GROUP BY council_id, lgsl, district)
SELECT p.council_id, p.lgsl, p.district, n.parent_code AS region, p.customers, h.households
FROM per p
JOIN composition_area h ON h.classification_id = {b(classification_id)}::text AND h.level = 'lad'
     AND h.code = p.district
LEFT JOIN area_link n ON n.child_level = 'lad' AND n.child_code = p.district AND n.parent_level = 'nuts3'
ORDER BY p.council_id, p.lgsl, p.district
""")


@dataclass(frozen=True)
class ModelledRow:
    classification_id: str
    base_level: str
    tiers: str


def modelled_classifications() -> Query:
    """The classifications whose services the build models (the UK demand one and Europe's)."""
    return Binds().query("""
SELECT DISTINCT m.classification_id, c.base_level, c.tiers
FROM service_model m JOIN classification c ON c.classification_id = m.classification_id
ORDER BY m.classification_id
""")


@dataclass(frozen=True)
class RegionClassRow:
    area_code: str
    tier: str
    class_code: str


def region_classes(classification_id: str) -> Query:
    """Each base area's class at every tier (the Europe classification's NUTS3 regions)."""
    b = Binds()
    return b.query(f"""
SELECT a.area_code, t.tier, t.class_code
FROM area_class a
JOIN class_tier t ON t.classification_id = a.classification_id AND t.finest_code = a.class_code
WHERE a.classification_id = {b(classification_id)}::text
ORDER BY a.area_code, t.tier
""")


def stored(classification_id: str) -> Query:
    """The pooled propensities of a classification (the build reads them in its transaction)."""
    b = Binds()
    return b.query(f"""
SELECT * FROM pooled_propensity WHERE classification_id = {b(classification_id)}::text
ORDER BY lgsl, tier, class_code
""")


@dataclass(frozen=True)
class PooledRow:
    classification_id: str
    lgsl: int
    tier: str
    class_code: str
    customers: float
    households: float
    councils: int
    observed_index: float | None
    index_low: float | None
    index_high: float | None
    modelled_index: float | None
    source: str
    warning: str | None
    as_of: object
    sample_size: int
    service_councils: int
    synthetic: bool


def for_service(lgsl: int) -> Query:
    """A service's pooled propensities in every classification (for the service's API)."""
    b = Binds()
    return b.query(f"""
SELECT * FROM pooled_propensity WHERE lgsl = {b(lgsl)}::integer
ORDER BY classification_id, tier, class_code
""")


def clear() -> Query:
    """Every pooled propensity gone (``insight pool`` writes the new ones in the same transaction)."""
    return Binds().query("DELETE FROM pooled_propensity")


@dataclass(frozen=True)
class ClassDemandRow:
    class_code: str
    demand_index: float


def class_demand(classification_id: str, lgsl: int) -> Query:
    """The demand index of each finest class for a service (what the public bands are drawn from)."""
    b = Binds()
    return b.query(f"""
SELECT class_code, demand_index FROM class_demand
WHERE classification_id = {b(classification_id)}::text AND lgsl = {b(lgsl)}::integer
ORDER BY class_code
""")


def any_pooled() -> Query:
    """One row if any pooled propensity is stored."""
    return Query("SELECT 1 AS found FROM pooled_propensity LIMIT 1")


@dataclass(frozen=True)
class PooledChannelRow:
    council_id: str
    channel: str
    class_code: str
    contacts: float


def channel_contacts(*, classification_id: str, tier: str) -> Query:
    """Every council's contacts per channel and class of ``tier`` (all services), inside its districts."""
    b = Binds()
    cid, tier_b = b(classification_id), b(tier)
    return b.query(f"""
WITH {_records("channel", "channel")},
{_per_class("channel", cid, tier_b)}
SELECT council_id, channel, class_code, SUM(value) AS contacts FROM parts
GROUP BY council_id, channel, class_code ORDER BY council_id, channel, class_code
""")


def clear_channels() -> Query:
    """Every pooled channel count (``insight pool`` replaces them all)."""
    return Query("DELETE FROM pooled_channel")


def stored_channels(classification_id: str) -> Query:
    """The pooled channel counts of a classification, as the build reads them."""
    b = Binds()
    return b.query(
        "SELECT class_code, channel, contacts, councils, records, as_of, synthetic "
        f"FROM pooled_channel WHERE classification_id = {b(classification_id)}"
    )
