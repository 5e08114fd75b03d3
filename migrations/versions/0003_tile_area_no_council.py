"""Tile serving table in every store; the council workspace tables leave the schema.

``tile_area`` (one row per area and zoom band, written by ``insight build``) used to be created
by the build itself in stores made before it existed; this revision creates it, with one
partial spatial index per level and band, where it is missing. The council tables (``council``,
``upload``, ``service_count``, ``unit_cost``, ``channel``) were never written by any code; the
workspace will define its own tables with the code that uses them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy import inspect

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LEVELS = ("nuts0", "nuts1", "nuts2", "nuts3", "lad", "ward", "lsoa", "oa")
BANDS = (6, 8, 10, 12, 14, 99)
COUNCIL_TABLES = ("service_count", "unit_cost", "upload", "council", "channel")


def upgrade() -> None:
    bind = op.get_bind()
    inspector = inspect(bind)
    if "tile_area" not in inspector.get_table_names():
        op.create_table(
            "tile_area",
            sa.Column("level", sa.Text, nullable=False),
            sa.Column("code", sa.Text, nullable=False),
            sa.Column("max_zoom", sa.Integer, nullable=False),
            sa.Column("name", sa.Text),
            sa.Column("classification_id", sa.Text),
            sa.Column("tier", sa.Text),
            sa.Column("households", sa.Double),
            sa.Column("class_code", sa.Text),
            sa.Column("class_name", sa.Text),
            sa.Column("colour", sa.Text),
            sa.Column("share", sa.Double),
            sa.Column("margin", sa.Double),
            sa.Column("mixed", sa.Boolean),
            sa.Column("minx", sa.Double),
            sa.Column("miny", sa.Double),
            sa.Column("maxx", sa.Double),
            sa.Column("maxy", sa.Double),
            sa.Column("geom", Geometry("MULTIPOLYGON", srid=3857, spatial_index=False)),
            sa.PrimaryKeyConstraint("level", "max_zoom", "code"),
        )
    for band in BANDS:  # one index per band, from before the per-level ones
        op.execute(f"DROP INDEX IF EXISTS tile_area_geom_z{band}_gist")
    for level in LEVELS:
        for band in BANDS:
            op.execute(
                f"CREATE INDEX IF NOT EXISTS tile_area_{level}_z{band}_gist ON tile_area USING gist (geom) "
                f"WHERE level = '{level}' AND max_zoom = {band}"
            )
    for table in COUNCIL_TABLES:
        op.execute(f"DROP TABLE IF EXISTS {table}")
    op.execute("UPDATE meta SET value = '0003' WHERE key = 'schema_version'")


def downgrade() -> None:
    raise NotImplementedError("0003 drops the council tables; rebuild an older store from its sources")
