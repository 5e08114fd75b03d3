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

from alembic import op
from sqlalchemy import inspect

from core.store import schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NEW_TABLES = [
    schema.class_tier,
    schema.base_composition,
    schema.composition_area,
    schema.predominant_area,
    schema.demand_service,
    schema.demand_area,
]


def upgrade() -> None:
    bind = op.get_bind()
    views = set(inspect(bind).get_view_names())
    if "composition" not in views:  # a store made by 0001 as first released: old tables
        op.execute("DROP VIEW IF EXISTS demand")
        op.execute("DROP TABLE IF EXISTS composition, predominant, demand_area")
    for table in NEW_TABLES:
        table.create(bind, checkfirst=True)
    for name, sql in schema.VIEWS.items():
        op.execute(f"DROP VIEW IF EXISTS {name}")
        op.execute(sql)
    op.execute("UPDATE meta SET value = '0002' WHERE key = 'schema_version'")


def downgrade() -> None:
    raise NotImplementedError("0002 drops the old derived tables; rebuild a 0001 store from its sources")
