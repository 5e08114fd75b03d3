"""What `insight build` reads: classifications, class assignments, lookups, census, Eurostat.

Column lists for the census pivot come from the build's own driver catalogue, never from input.
"""

CLASSIFICATIONS = """
SELECT classification_id, name, base_level, tiers, description, method, attribution, source_id
FROM classification ORDER BY classification_id
"""

# $1 classification
CLASSES = """
SELECT code, tier, parent_code, name, colour, description, sort
FROM profile_class WHERE classification_id = $1 ORDER BY sort, code
"""

# $1 classification
AREA_CLASSES = "SELECT area_code, class_code FROM area_class WHERE classification_id = $1"

LINKS = "SELECT child_level, child_code, parent_level, parent_code FROM area_link"

# $1 level
AREA_CODES = "SELECT code, parent_code FROM area WHERE level = $1"

LEVELS_PRESENT = "SELECT DISTINCT level FROM area"


def census_pivot(variables: list[str]) -> str:
    """One row per output area, one column per census variable (values summed)."""
    for v in variables:
        if not v.isalnum():
            raise ValueError(f"bad census variable name {v!r}")
    cols = ",\n  ".join(f"SUM(CASE WHEN variable = '{v}' THEN value END) AS {v}" for v in variables)
    inlist = ", ".join(f"'{v}'" for v in variables)
    return f"SELECT area_code,\n  {cols}\nFROM census_value WHERE variable IN ({inlist}) GROUP BY area_code"


# $1 dataset
EUROSTAT = "SELECT geo, year, dims, value FROM eurostat_value WHERE dataset = $1 AND length(geo) = 5"
