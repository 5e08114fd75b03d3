"""Modelled channel suitability: ``channel_need`` per area and ``channel_need_class`` per class.

Written by ``insight build`` (geo.channel_need): the assisted-contact index from Census 2021
drivers and the expected shares of web, telephone and face-to-face contact.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_need",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("assisted_index", sa.Double, nullable=False),
        sa.Column("web_share", sa.Double, nullable=False),
        sa.Column("telephone_share", sa.Double, nullable=False),
        sa.Column("face_to_face_share", sa.Double, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("code", "level", "classification_id"),
    )
    op.create_table(
        "channel_need_class",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("class_code", sa.Text, nullable=False),
        sa.Column("assisted_index", sa.Double, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("classification_id", "tier", "class_code"),
    )
    op.execute("UPDATE meta SET value = '0007' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.drop_table("channel_need_class")
    op.drop_table("channel_need")
    op.execute("UPDATE meta SET value = '0006' WHERE key = 'schema_version'")
