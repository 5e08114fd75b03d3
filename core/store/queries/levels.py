"""Area levels and counts."""

LEVEL_COUNTS = """
SELECT l.level, l.family, l.rank, l.label, COUNT(a.code) AS areas
FROM area_level l LEFT JOIN area a ON a.level = l.level
GROUP BY l.level, l.family, l.rank, l.label
ORDER BY l.rank
"""

SOURCES = """
SELECT source_id, kind, title, url, licence, attribution, vintage, file, row_count, loaded_at
FROM source ORDER BY source_id
"""
