"""Classifications and services: the class hierarchy, LGSL, models and propensities."""

CLASSIFICATIONS = """
SELECT c.classification_id AS id, c.name, c.base_level, c.tiers, c.description, c.method,
       c.attribution, (SELECT COUNT(*) FROM profile_class pc
                       WHERE pc.classification_id = c.classification_id) AS classes
FROM classification c ORDER BY c.classification_id
"""

CLASSIFICATION = """
SELECT c.classification_id AS id, c.name, c.base_level, c.tiers, c.description, c.method,
       c.attribution
FROM classification c WHERE c.classification_id = $1::text
"""

CLASSES = """
SELECT code, tier, parent_code, name, colour, description, sort
FROM profile_class WHERE classification_id = $1::text
ORDER BY sort, code
"""

# $1 search text (lower) or NULL, $2 modelled-only flag
SERVICES = """
SELECT s.lgsl, s.label, s.status, s.govuk_tier,
       EXISTS (SELECT 1 FROM service_model m WHERE m.lgsl = s.lgsl) AS modelled,
       (SELECT string_agg(DISTINCT c.base_level, ',') FROM service_model m
        JOIN classification c ON c.classification_id = m.classification_id
        WHERE m.lgsl = s.lgsl) AS base_levels
FROM service s
WHERE ($1::text IS NULL OR lower(s.label) LIKE '%' || $1::text || '%'
       OR CAST(s.lgsl AS TEXT) = $1::text)
  AND (NOT $2::boolean OR EXISTS (SELECT 1 FROM service_model m WHERE m.lgsl = s.lgsl))
ORDER BY modelled DESC, s.label
"""

SERVICE = """
SELECT lgsl, label, description, status, type, govuk_tier FROM service WHERE lgsl = $1::integer
"""

SERVICE_MODELS = """
SELECT m.classification_id, c.name AS classification_name, m.drivers, m.rationale, m.rate
FROM service_model m JOIN classification c ON c.classification_id = m.classification_id
WHERE m.lgsl = $1::integer ORDER BY m.classification_id
"""

PROPENSITIES = """
SELECT p.class_code, p.tier, pc.name, pc.colour, p.propensity_index AS index, p.source,
       p.sample_size, CAST(p.as_of AS TEXT) AS as_of
FROM propensity p
LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code
WHERE p.classification_id = $1::text AND p.lgsl = $2::integer
ORDER BY p.tier, pc.sort, p.class_code
"""

# $1 classification: modelled services of a classification
MODELLED_FOR = """
SELECT m.lgsl, s.label, m.rate FROM service_model m JOIN service s ON s.lgsl = m.lgsl
WHERE m.classification_id = $1::text ORDER BY s.label
"""

# $1 classification, $2 lgsl, $3 level
BAND_EDGES = """
SELECT scheme, edges FROM band_edges
WHERE classification_id = $1::text AND lgsl = $2::integer AND level = $3::text
"""
