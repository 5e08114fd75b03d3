"""The council workspace (schema ``workspace``) and the national postcode lookup.

Councils, their districts, hashed API tokens, the audit trail, uploads and the aggregates they
leave behind (``service_count``: area × service × channel × month × interaction, nothing
row-level), and the council-scope data versions (``workspace_meta``). ``postcode`` maps a
normalised postcode to its 2021 output area for uploads that give postcodes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WS = "workspace"


def _created() -> sa.Column:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "postcode",
        sa.Column("postcode", sa.Text, primary_key=True),
        sa.Column("oa_code", sa.Text, nullable=False),
        sa.Column("terminated", sa.Boolean, nullable=False),
        sa.Column("source_id", sa.Text, nullable=False),
    )
    op.create_index("postcode_oa_idx", "postcode", ["oa_code"])

    op.execute(f"CREATE SCHEMA IF NOT EXISTS {WS}")
    op.create_table(
        "workspace_meta",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        schema=WS,
    )
    op.create_table(
        "council",
        sa.Column("council_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        _created(),
        sa.UniqueConstraint("name", name="council_name_key"),
        schema=WS,
    )
    op.create_table(
        "council_district",
        sa.Column("council_id", sa.Text, nullable=False),
        sa.Column("district_code", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("council_id", "district_code"),
        schema=WS,
    )
    op.create_table(
        "council_token",
        sa.Column("token_id", sa.Text, primary_key=True),
        sa.Column("council_id", sa.Text, nullable=False),
        sa.Column("secret_hash", sa.Text, nullable=False),
        _created(),
        sa.Column("revoked_at", sa.DateTime(timezone=True)),
        schema=WS,
    )
    op.create_table(
        "audit",
        sa.Column("audit_id", sa.Text, primary_key=True),
        sa.Column("council_id", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("row_count", sa.BigInteger),
        schema=WS,
    )
    op.create_index("audit_council_idx", "audit", ["council_id", "occurred_at"], schema=WS)
    op.create_table(
        "upload",
        sa.Column("upload_id", sa.Text, primary_key=True),
        sa.Column("council_id", sa.Text, nullable=False),
        sa.Column("content_hash", sa.Text, nullable=False),
        sa.Column("source_name", sa.Text, nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("synthetic", sa.Boolean, nullable=False),
        sa.Column("rows_read", sa.BigInteger, nullable=False),
        sa.Column("rows_matched", sa.BigInteger, nullable=False),
        sa.Column("rows_rejected", sa.BigInteger, nullable=False),
        sa.Column("date_from", sa.Date),
        sa.Column("date_to", sa.Date),
        sa.Column("report", sa.Text, nullable=False),
        sa.UniqueConstraint("council_id", "content_hash", name="upload_council_content_key"),
        schema=WS,
    )
    op.create_table(
        "service_count",
        sa.Column("upload_id", sa.Text, nullable=False),
        sa.Column("council_id", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("area_code", sa.Text, nullable=False),
        sa.Column("service_code", sa.Integer, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("interaction_id", sa.Integer, nullable=False),
        sa.Column("contacts", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint(
            "upload_id", "level", "area_code", "service_code", "channel", "month", "interaction_id"
        ),
        schema=WS,
    )
    op.create_index("service_count_council_idx", "service_count", ["council_id", "service_code"], schema=WS)
    # council-scope versions moved from meta to the workspace
    op.execute(
        f"INSERT INTO {WS}.workspace_meta (key, value) "
        "SELECT key, value FROM meta WHERE key LIKE 'data_version:council:%'"
    )
    op.execute("DELETE FROM meta WHERE key LIKE 'data_version:council:%'")
    op.execute("UPDATE meta SET value = '0004' WHERE key = 'schema_version'")


def downgrade() -> None:
    op.execute(f"DROP SCHEMA IF EXISTS {WS} CASCADE")
    op.drop_table("postcode")
    op.execute("UPDATE meta SET value = '0003' WHERE key = 'schema_version'")
