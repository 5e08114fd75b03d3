"""``households`` is every household of an area; the leading class's count is ``class_households``.

``predominant_area.households`` and ``tile_area.households`` held the leading class's
households, while the area views held the area's: a column summed over areas then missed
every household outside the leading classes. ``households`` now counts the whole area in both
tables and in the ``predominant`` view, and the leading class's count moves to
``class_households``. Existing rows are converted in place (the area totals come from
``composition_area``); ``tile_area`` is rewritten by the next ``insight build``.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PREDOMINANT = """
CREATE VIEW predominant AS
SELECT classification_id, level, code, tier, class_code, runner_up_code, households, class_households,
       share, margin, mixed
FROM predominant_area
UNION ALL
SELECT b.classification_id, b.level, b.code, t.tier, t.class_code, CAST(NULL AS TEXT), b.households,
       b.households, 1.0, 1.0, FALSE
FROM base_composition b
JOIN class_tier t ON t.classification_id = b.classification_id AND t.finest_code = b.class_code
WHERE b.households > 0
"""


def upgrade() -> None:
    op.execute("DROP VIEW IF EXISTS predominant")
    op.alter_column("predominant_area", "households", new_column_name="class_households")
    op.add_column("predominant_area", sa.Column("households", sa.Double))
    op.execute(
        "UPDATE predominant_area p SET households = k.households FROM composition_area k "
        "WHERE k.classification_id = p.classification_id AND k.level = p.level AND k.code = p.code"
    )
    op.execute("UPDATE predominant_area SET households = class_households / share WHERE households IS NULL")
    op.alter_column("predominant_area", "households", nullable=False)
    op.add_column("tile_area", sa.Column("class_households", sa.Double))
    op.execute("DELETE FROM tile_area")  # rewritten by the next build with both counts
    op.execute("DELETE FROM meta WHERE key = 'tile_area_version'")
    op.execute(PREDOMINANT)
    op.execute("UPDATE meta SET value = '0005' WHERE key = 'schema_version'")


def downgrade() -> None:
    raise NotImplementedError("0005 changes what households means; rebuild an older store from its sources")
