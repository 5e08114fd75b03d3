"""``tile_area_piece``: serving rows drawn once, at build time, in the tiles of their band's top
zoom whose buffered edge they cross (or whose grid they are not valid on), so such a tile reads
them by key instead of clipping and validating them again; ``tile_area.pieces_stored`` says
which rows have them.

Existing rows keep ``pieces_stored`` NULL and are drawn as before until the next ``insight build``.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tile_area", sa.Column("pieces_stored", sa.Boolean))
    op.create_table(
        "tile_area_piece",
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("max_zoom", sa.Integer, nullable=False),
        sa.Column("x", sa.Integer, nullable=False),
        sa.Column("y", sa.Integer, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("geom", Geometry("GEOMETRY", spatial_index=False), nullable=False),
        sa.PrimaryKeyConstraint("level", "max_zoom", "x", "y", "code"),
    )
    op.execute("UPDATE meta SET value = '0011' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.drop_table("tile_area_piece")
    op.drop_column("tile_area", "pieces_stored")
    op.execute("UPDATE meta SET value = '0010' WHERE key = 'schema_version'")
