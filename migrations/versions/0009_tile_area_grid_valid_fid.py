"""``tile_area.grid_valid``: the band's geometry stays valid on the tile grid of the band's top
zoom and the one below, so a tile that holds it whole draws it without ``ST_AsMVTGeom``;
``tile_area.fid``: each row's feature id, worked out once at build time instead of per tile.

Existing rows keep ``grid_valid`` NULL (not checked: drawn as before) until the next
``insight build``; their ``fid`` is worked out here with the same expression.

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


# The feature id of code ``c`` as core.store.tile_fields.feature_id_sql writes it (frozen here).
FEATURE_ID = (
    "CAST(CASE WHEN length(code) = 9 AND strpos('EKLMNSW', substr(code, 1, 1)) > 0 "
    "AND translate(substr(code, 2, 8), '0123456789', '') = '' "
    "THEN strpos('EKLMNSW', substr(code, 1, 1)) * 100000000 + CAST(substr(code, 2, 8) AS INTEGER) "
    "ELSE {base36} + CASE WHEN length(code) <= 5 THEN 0 ELSE 1000000000 END END AS INTEGER)"
).format(
    base36=" + ".join(
        f"greatest(strpos('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ', "
        f"substr(lpad(upper(substr(code, 1, 5)), 5, '0'), {i + 1}, 1)) - 1, 0) * {36 ** (4 - i)}"
        for i in range(5)
    )
)


def upgrade() -> None:
    op.add_column("tile_area", sa.Column("grid_valid", sa.Boolean))
    op.add_column("tile_area", sa.Column("fid", sa.Integer))
    op.execute(f"UPDATE tile_area SET fid = {FEATURE_ID}")
    op.alter_column("tile_area", "fid", nullable=False)
    op.execute("UPDATE meta SET value = '0009' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.drop_column("tile_area", "fid")
    op.drop_column("tile_area", "grid_valid")
    op.execute("UPDATE meta SET value = '0008' WHERE key = 'schema_version'")
