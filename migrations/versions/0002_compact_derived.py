"""Derived tables stored compactly: one row per base area, one per area above it.

Compositions, predominant classes and demand were stored one row per area, tier, class or
service (~3.6 million rows for the UK). They are now ``base_composition``, ``composition_area``
(households per class as an array), ``predominant_area`` and ``demand_area`` (expected uses per
service as an array), with ``class_tier`` and ``demand_service`` numbering the array positions;
``composition``, ``predominant`` and ``demand`` become views with the columns they had.
Derived rows are not carried over: run ``insight build`` after upgrading.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import inspect
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The views as this revision defined them: each a UNION ALL of a base-level branch and an
# above-base branch.
_INDEX = "100.0 * (d.expected[s.position] / d.households) / s.reference"
_BAND = (
    f"CASE WHEN {_INDEX} >= s.band_high THEN 'high' WHEN {_INDEX} <= s.band_low THEN 'low' ELSE 'medium' END"
)
VIEWS = {
    "area_households": """
CREATE VIEW area_households AS
SELECT classification_id, level, code, households FROM base_composition
UNION ALL
SELECT classification_id, level, code, households FROM composition_area
""",
    "composition": """
CREATE VIEW composition AS
SELECT b.classification_id, b.level, b.code, t.tier, t.class_code, b.households
FROM base_composition b
JOIN class_tier t ON t.classification_id = b.classification_id AND t.finest_code = b.class_code
UNION ALL
SELECT k.classification_id, k.level, k.code, t.tier, t.class_code, SUM(k.mix[t.position]) AS households
FROM composition_area k
JOIN class_tier t ON t.classification_id = k.classification_id
GROUP BY k.classification_id, k.level, k.code, t.tier, t.class_code
HAVING SUM(k.mix[t.position]) > 0
""",
    "predominant": """
CREATE VIEW predominant AS
SELECT classification_id, level, code, tier, class_code, runner_up_code, households, share, margin,
       mixed
FROM predominant_area
UNION ALL
SELECT b.classification_id, b.level, b.code, t.tier, t.class_code, CAST(NULL AS TEXT), b.households,
       1.0, 1.0, FALSE
FROM base_composition b
JOIN class_tier t ON t.classification_id = b.classification_id AND t.finest_code = b.class_code
WHERE b.households > 0
""",
    "demand": f"""
CREATE VIEW demand AS
SELECT d.classification_id, s.lgsl, d.level, d.code, d.households, d.expected[s.position] AS expected,
       {_INDEX} AS demand_index, {_BAND} AS band
FROM demand_area d
JOIN demand_service s ON s.classification_id = d.classification_id
UNION ALL
SELECT b.classification_id, c.lgsl, b.level, b.code, b.households, b.households * c.rate,
       c.demand_index, c.band
FROM base_composition b
JOIN class_demand c ON c.classification_id = b.classification_id AND c.level = b.level
     AND c.class_code = b.class_code
WHERE b.households > 0
""",
}


def _create_class_tier() -> None:
    op.create_table(
        "class_tier",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("finest_code", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("class_code", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("classification_id", "position", "tier"),
    )


def _create_base_composition() -> None:
    op.create_table(
        "base_composition",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("class_code", sa.Text, nullable=False),
        sa.Column("households", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("code", "classification_id"),
    )


def _create_composition_area() -> None:
    op.create_table(
        "composition_area",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("households", sa.Double, nullable=False),
        sa.Column("mix", postgresql.ARRAY(sa.Double), nullable=False),
        sa.PrimaryKeyConstraint("code", "level", "classification_id"),
    )


def _create_predominant_area() -> None:
    op.create_table(
        "predominant_area",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("class_code", sa.Text, nullable=False),
        sa.Column("runner_up_code", sa.Text),
        sa.Column("households", sa.Double, nullable=False),
        sa.Column("share", sa.Double, nullable=False),
        sa.Column("margin", sa.Double, nullable=False),
        sa.Column("mixed", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("code", "tier", "level", "classification_id"),
    )


def _create_demand_service() -> None:
    op.create_table(
        "demand_service",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("lgsl", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("reference", sa.Double, nullable=False),
        sa.Column("band_low", sa.Double, nullable=False),
        sa.Column("band_high", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("classification_id", "lgsl"),
    )


def _create_demand_area() -> None:
    op.create_table(
        "demand_area",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("households", sa.Double, nullable=False),
        sa.Column("expected", postgresql.ARRAY(sa.Double), nullable=False),
        sa.PrimaryKeyConstraint("code", "level", "classification_id"),
    )


NEW_TABLES = {
    "class_tier": _create_class_tier,
    "base_composition": _create_base_composition,
    "composition_area": _create_composition_area,
    "predominant_area": _create_predominant_area,
    "demand_service": _create_demand_service,
    "demand_area": _create_demand_area,
}


def upgrade() -> None:
    bind = op.get_bind()
    inspector = inspect(bind)
    views = set(inspector.get_view_names())
    tables = set(inspector.get_table_names())
    if "composition" not in views:  # the per-row derived tables of 0001
        op.execute("DROP VIEW IF EXISTS demand")
        op.execute("DROP TABLE IF EXISTS composition, predominant, demand_area")
    if "demand" in tables:  # a store made before demand became a view
        op.execute("DROP TABLE demand")
    tables = set(inspect(bind).get_table_names())
    for name, create in NEW_TABLES.items():
        if name not in tables:
            create()
    for name, sql in VIEWS.items():
        op.execute(f"DROP VIEW IF EXISTS {name}")
        op.execute(sql)
    op.execute("UPDATE meta SET value = '0002' WHERE key = 'schema_version'")


def downgrade() -> None:
    raise NotImplementedError("0002 drops the old derived tables; rebuild a 0001 store from its sources")
