"""The data view: one row per area with households, predominant class and demand."""

# $1 classification, $2 level, $3 parent or NULL, $4 limit, $5 offset, $6 tier
AREAS = """
SELECT a.code, a.name, a.level, t.households, p.class_code AS predominant_code,
       pc.name AS predominant_name, p.share AS predominant_share, p.mixed,
       COUNT(*) OVER () AS total
FROM area a
LEFT JOIN predominant p ON p.classification_id = $1::text AND p.level = a.level
     AND p.code = a.code AND p.tier = $6::text
LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code
LEFT JOIN area_households t ON t.classification_id = $1::text AND t.level = a.level AND t.code = a.code
WHERE a.level = $2::text
  AND ($3::text IS NULL OR a.parent_code = $3::text
       OR (a.level LIKE 'nuts%' AND a.code LIKE $3::text || '_%')
       OR EXISTS (SELECT 1 FROM area_link l WHERE l.child_level = a.level
                  AND l.child_code = a.code AND l.parent_code = $3::text))
ORDER BY a.code
LIMIT $4 OFFSET $5
"""

# $1 classification, $2 level, $3 list of area codes, $4 list of lgsl
DEMAND = """
SELECT d.code, d.lgsl, d.expected, d.demand_index AS index, d.band
FROM demand d
WHERE d.classification_id = $1::text AND d.level = $2::text
  AND d.code = ANY($3::text[]) AND d.lgsl = ANY($4::integer[])
"""
