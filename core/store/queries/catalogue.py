"""Classifications and services: the class hierarchy, LGSL, models and propensities.

Query functions with their values bound, and the rows they return as frozen dataclasses.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.store.sql import Binds, Query


@dataclass(frozen=True)
class ClassificationRow:
    id: str
    name: str
    base_level: str
    tiers: str  # comma list, coarsest first
    description: str | None
    method: str | None
    attribution: str | None
    classes: int | None = None

    @property
    def tier_list(self) -> list[str]:
        return [t for t in self.tiers.split(",") if t]


_CLASSIFICATION_COLUMNS = """c.classification_id AS id, c.name, c.base_level, c.tiers, c.description,
       c.method, c.attribution"""


def classifications() -> Query:
    """Every classification with its number of classes."""
    return Query(f"""
SELECT {_CLASSIFICATION_COLUMNS},
       (SELECT COUNT(*) FROM profile_class pc WHERE pc.classification_id = c.classification_id) AS classes
FROM classification c ORDER BY c.classification_id
""")


def classification(classification_id: str) -> Query:
    b = Binds()
    return b.query(f"""
SELECT {_CLASSIFICATION_COLUMNS}
FROM classification c WHERE c.classification_id = {b(classification_id)}::text
""")


@dataclass(frozen=True)
class ClassRow:
    code: str
    tier: str
    parent_code: str | None
    name: str
    colour: str | None
    description: str | None
    sort: int | None


def classes(classification_id: str) -> Query:
    """A classification's classes, every tier, in their sort order."""
    b = Binds()
    return b.query(f"""
SELECT code, tier, parent_code, name, colour, description, sort
FROM profile_class WHERE classification_id = {b(classification_id)}::text
ORDER BY sort, code
""")


@dataclass(frozen=True)
class ServiceListRow:
    lgsl: int
    label: str
    status: str | None
    govuk_tier: str | None
    modelled: bool
    base_levels: str | None  # comma list of the base levels of its models


def services(text: str | None, modelled_only: bool) -> Query:
    """LGSL services whose label contains ``text`` (lower case) or whose code it is; modelled first."""
    b = Binds()
    t = b(text)
    return b.query(f"""
SELECT s.lgsl, s.label, s.status, s.govuk_tier,
       EXISTS (SELECT 1 FROM service_model m WHERE m.lgsl = s.lgsl) AS modelled,
       (SELECT string_agg(DISTINCT c.base_level, ',') FROM service_model m
        JOIN classification c ON c.classification_id = m.classification_id
        WHERE m.lgsl = s.lgsl) AS base_levels
FROM service s
WHERE ({t}::text IS NULL OR strpos(lower(s.label), {t}::text) > 0
       OR CAST(s.lgsl AS TEXT) = {t}::text)
  AND (NOT {b(modelled_only)}::boolean OR EXISTS (SELECT 1 FROM service_model m WHERE m.lgsl = s.lgsl))
ORDER BY modelled DESC, s.label
""")


@dataclass(frozen=True)
class ServiceRow:
    lgsl: int
    label: str
    description: str | None
    status: str | None
    type: str | None
    govuk_tier: str | None


def service(lgsl: int) -> Query:
    b = Binds()
    return b.query(
        f"SELECT lgsl, label, description, status, type, govuk_tier FROM service WHERE lgsl = {b(lgsl)}::integer"
    )


@dataclass(frozen=True)
class ServiceModelRow:
    classification_id: str
    classification_name: str
    drivers: str | None  # JSON list of {variable, label, weight}
    rationale: str | None
    rate: float | None


def service_models(lgsl: int) -> Query:
    """How a service's demand is modelled under each classification."""
    b = Binds()
    return b.query(f"""
SELECT m.classification_id, c.name AS classification_name, m.drivers, m.rationale, m.rate
FROM service_model m JOIN classification c ON c.classification_id = m.classification_id
WHERE m.lgsl = {b(lgsl)}::integer ORDER BY m.classification_id
""")


@dataclass(frozen=True)
class PropensityRow:
    class_code: str
    tier: str
    name: str | None
    colour: str | None
    index: float
    source: str
    sample_size: int | None
    as_of: str | None


def propensities(classification_id: str, lgsl: int) -> Query:
    """Propensity index of each class for a service, with its source, date and sample size."""
    b = Binds()
    return b.query(f"""
SELECT p.class_code, p.tier, pc.name, pc.colour, p.propensity_index AS index, p.source,
       p.sample_size, CAST(p.as_of AS TEXT) AS as_of
FROM propensity p
LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code
WHERE p.classification_id = {b(classification_id)}::text AND p.lgsl = {b(lgsl)}::integer
ORDER BY p.tier, pc.sort, p.class_code
""")


def observed_service(classification_id: str, lgsl: int) -> Query:
    """One row if some class's propensity for the service is observed (councils' pooled records)."""
    b = Binds()
    return b.query(
        f"SELECT 1 AS observed FROM propensity WHERE classification_id = {b(classification_id)}::text "
        f"AND lgsl = {b(lgsl)}::integer AND source <> 'modelled' LIMIT 1"
    )
