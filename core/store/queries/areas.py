"""Areas: search, detail, parents, composition, predominant class, demand, share vectors."""

AREA_COLUMNS = "a.code, a.name, a.level, a.country, a.parent_code, a.vintage, a.lon, a.lat, a.minx, a.miny, a.maxx, a.maxy"

# $1 level or NULL, $2 search text (lower case) or NULL, $3 parent code or NULL, $4 limit, $5 offset
SEARCH = f"""
SELECT {AREA_COLUMNS}, COUNT(*) OVER () AS total
FROM area a JOIN area_level lv ON lv.level = a.level
WHERE ($1::text IS NULL OR a.level = $1::text)
  AND ($2::text IS NULL OR lower(a.code) LIKE $2::text || '%' OR lower(a.name) LIKE '%' || $2::text || '%')
  AND ($3::text IS NULL OR a.parent_code = $3::text
       OR (a.level LIKE 'nuts%' AND a.code LIKE $3::text || '_%')
       OR EXISTS (SELECT 1 FROM area_link l WHERE l.child_level = a.level
                  AND l.child_code = a.code AND l.parent_code = $3::text))
ORDER BY (lower(a.code) = coalesce($2::text, '')) DESC,
         (lower(a.name) = coalesce($2::text, '')) DESC,
         lv.rank, a.name, a.code
LIMIT $4 OFFSET $5
"""

# $1 code, $2 level or NULL
BY_CODE = f"""
SELECT {AREA_COLUMNS}, a.source_id
FROM area a JOIN area_level lv ON lv.level = a.level
WHERE a.code = $1::text AND ($2::text IS NULL OR a.level = $2::text)
ORDER BY lv.rank
LIMIT 1
"""

# $1 level, $2 code: parents from lookups, plus NUTS prefixes
PARENTS = """
SELECT p.level, p.code, p.name, lv.rank
FROM area_link l
JOIN area p ON p.level = l.parent_level AND p.code = l.parent_code
JOIN area_level lv ON lv.level = p.level
WHERE l.child_level = $1::text AND l.child_code = $2::text
UNION
SELECT p.level, p.code, p.name, lv.rank
FROM area p JOIN area_level lv ON lv.level = p.level
WHERE $1::text LIKE 'nuts%' AND p.level LIKE 'nuts%' AND length(p.code) < length($2::text)
  AND $2::text LIKE p.code || '%'
ORDER BY rank
"""

# $1 level: classifications with compositions at that level, the UK default first
CLASSIFICATIONS_AT_LEVEL = """
SELECT c.classification_id, c.name, c.tiers, c.attribution, c.base_level
FROM classification c
WHERE EXISTS (SELECT 1 FROM area_households k WHERE k.classification_id = c.classification_id
              AND k.level = $1::text)
ORDER BY (c.classification_id = 'oac2021') DESC, (c.classification_id = 'eunuts3') DESC,
         c.classification_id
"""

# $1 classification, $2 level, $3 code
MIX = """
SELECT k.tier, k.class_code AS code, pc.name, pc.colour, k.households, pc.sort
FROM composition k
LEFT JOIN profile_class pc ON pc.classification_id = k.classification_id AND pc.code = k.class_code
WHERE k.classification_id = $1::text AND k.level = $2::text AND k.code = $3::text
ORDER BY k.tier, k.households DESC, k.class_code
"""

PREDOMINANT = """
SELECT p.tier, p.class_code AS code, pc.name, pc.colour, p.households, p.share, p.margin,
       p.mixed, p.runner_up_code
FROM predominant p
LEFT JOIN profile_class pc ON pc.classification_id = p.classification_id AND pc.code = p.class_code
WHERE p.classification_id = $1::text AND p.level = $2::text AND p.code = $3::text
"""

# $1 classification, $2 level, $3 code
DEMAND = """
SELECT d.lgsl, s.label, d.households, d.expected, d.demand_index AS index, d.band
FROM demand d JOIN service s ON s.lgsl = d.lgsl
WHERE d.classification_id = $1::text AND d.level = $2::text AND d.code = $3::text
ORDER BY s.label
"""

# $1 classification, $2 level, $3 tier: every area's share vector, long form
SHARE_VECTORS = """
SELECT k.code, k.class_code, k.households
FROM composition k
WHERE k.classification_id = $1::text AND k.level = $2::text AND k.tier = $3::text
ORDER BY k.code, k.class_code
"""

# $1 classification, $2 level, $3 tier, $4 list of codes: only the k result areas are read
SUMMARIES = """
WITH a AS (
  SELECT code, name, level, country, lon, lat, minx, miny, maxx, maxy
  FROM area WHERE level = $2::text AND code = ANY($4::text[])
), p AS (
  SELECT code, class_code FROM predominant
  WHERE classification_id = $1::text AND level = $2::text AND tier = $3::text AND code = ANY($4::text[])
)
SELECT a.code, a.name, a.level, a.country, a.lon, a.lat, a.minx, a.miny, a.maxx, a.maxy,
       p.class_code, pc.name AS class_name, pc.colour
FROM a
LEFT JOIN p ON p.code = a.code
LEFT JOIN profile_class pc ON pc.classification_id = $1::text AND pc.code = p.class_code
"""

# $1 classification: standardised input variables of its base areas, long form
AREA_VARIABLES = """
SELECT code, variable, value FROM area_variable WHERE classification_id = $1::text
ORDER BY code, variable
"""

# $1 classification, $2 level, $3 tier: the same summary for every area of the level (cached by
# the embedded store, which has no indexes to look up k codes without scanning)
SUMMARIES_LEVEL = """
SELECT a.code, a.name, a.level, a.country, a.lon, a.lat, a.minx, a.miny, a.maxx, a.maxy,
       p.class_code, pc.name AS class_name, pc.colour
FROM area a
LEFT JOIN predominant p ON p.classification_id = $1::text AND p.level = a.level
     AND p.code = a.code AND p.tier = $3::text
LEFT JOIN profile_class pc ON pc.classification_id = $1::text AND pc.code = p.class_code
WHERE a.level = $2::text
"""
