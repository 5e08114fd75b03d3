"""``pooled_propensity``: councils' records pooled into observed propensities per service and class;
``pooled_channel``: their contacts pooled per class and channel (the observed channel mix).

Written by ``insight pool`` for the services with enough councils and records; the build reads
it and uses the observed index in place of the modelled one (see ``derive/pooling.py``).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pooled_propensity",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("lgsl", sa.Integer, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("class_code", sa.Text, nullable=False),
        sa.Column("customers", sa.Double, nullable=False),
        sa.Column("households", sa.Double, nullable=False),
        sa.Column("councils", sa.Integer, nullable=False),
        sa.Column("observed_index", sa.Double),
        sa.Column("index_low", sa.Double),
        sa.Column("index_high", sa.Double),
        sa.Column("modelled_index", sa.Double),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("warning", sa.Text),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("sample_size", sa.BigInteger, nullable=False),
        sa.Column("service_councils", sa.Integer, nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("classification_id", "lgsl", "class_code"),
    )
    op.create_table(
        "pooled_channel",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("class_code", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("contacts", sa.Double, nullable=False),
        sa.Column("councils", sa.Integer, nullable=False),
        sa.Column("records", sa.Double, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("classification_id", "class_code", "channel"),
    )
    op.execute("UPDATE meta SET value = '0008' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.drop_table("pooled_channel")
    op.drop_table("pooled_propensity")
    op.execute("UPDATE meta SET value = '0007' WHERE key = 'schema_version'")
