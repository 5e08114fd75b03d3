"""``tile_area.grid_valid``: the band's geometry stays valid on the tile grid of the band's top
zoom and the one below, so a tile that holds it whole draws it without ``ST_AsMVTGeom``.

Existing rows keep NULL (not checked: drawn as before) until the next ``insight build``.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tile_area", sa.Column("grid_valid", sa.Boolean))
    op.execute("UPDATE meta SET value = '0009' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.drop_column("tile_area", "grid_valid")
    op.execute("UPDATE meta SET value = '0008' WHERE key = 'schema_version'")
