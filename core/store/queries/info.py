"""What `insight info` reports beside the levels and sources: classifications and services."""

from __future__ import annotations

from core.store.sql import Query


def classification_counts() -> Query:
    """Each classification with the number of areas it assigns a class to."""
    return Query(
        """
SELECT c.classification_id, c.name, c.base_level,
       (SELECT COUNT(*) FROM area_class a WHERE a.classification_id = c.classification_id) AS areas
FROM classification c ORDER BY 1
"""
    )


def service_counts() -> Query:
    """Services loaded, and how many of them have a demand model."""
    return Query(
        """
SELECT (SELECT COUNT(*) FROM service) AS services,
       (SELECT COUNT(DISTINCT lgsl) FROM service_model) AS modelled
"""
    )


def corrections() -> Query:
    """Typos corrected by each load (``meta`` keys ``corrections:<source id>``, JSON lists)."""
    return Query(
        "SELECT substr(key, 13) AS source_id, value FROM meta WHERE key LIKE 'corrections:%' ORDER BY key"
    )
