"""Initial schema: areas, classifications, compositions, services, demand, council workspace.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from alembic import op

from core.levels import LEVELS
from core.store.schema import VIEWS, metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# A fresh store gets the schema module as it is now; later revisions bring stores made by
# earlier releases up to it and do nothing on a fresh one.
GIST = [("area", "geom"), ("area", "geom_3857"), ("area", "geom_gen")]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    bind = op.get_bind()
    metadata.create_all(bind)
    for view in VIEWS.values():
        op.execute(view)
    for table, column in GIST:
        op.execute(f"CREATE INDEX {table}_{column}_gist ON {table} USING gist ({column})")
    op.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '0001')")
    for lv in LEVELS:
        op.execute(
            "INSERT INTO area_level (level, family, rank, label, gen_tolerance_m) VALUES "
            f"('{lv.level}', '{lv.family}', {lv.rank}, '{lv.label}', {lv.gen_tolerance_m})"
        )


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    metadata.drop_all(op.get_bind())
