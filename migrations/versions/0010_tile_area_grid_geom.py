"""``tile_area.grid_geom``: each serving row's geometry on the world grid of its band's top
zoom, so a tile at that zoom moves it to its corner instead of scaling, snapping and
simplifying it again.

Existing rows keep ``grid_geom`` NULL and are drawn as before until the next ``insight build``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tile_area", sa.Column("grid_geom", Geometry("MULTIPOLYGON", spatial_index=False)))
    op.execute("UPDATE meta SET value = '0010' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.drop_column("tile_area", "grid_geom")
    op.execute("UPDATE meta SET value = '0009' WHERE key = 'schema_version'")
