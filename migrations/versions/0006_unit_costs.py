"""A council's own unit costs per contact (``workspace.unit_cost``), over the published defaults.

One row per council, service (LGSL, or -1 for every service) and channel, with the source the
council gives; every change is also written to the audit trail.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_cost",
        sa.Column("council_id", sa.Text, nullable=False),
        sa.Column("service_code", sa.Integer, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("cost_gbp", sa.Double, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("council_id", "service_code", "channel"),
        schema="workspace",
    )
    op.execute("UPDATE meta SET value = '0006' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.drop_table("unit_cost", schema="workspace")
    op.execute("UPDATE meta SET value = '0005' WHERE key = 'schema_version'")
