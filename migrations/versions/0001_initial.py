"""Initial schema: areas, classifications, compositions, services, demand, council workspace.

The schema as this revision released it, written out table by table so that it never changes
when the current table definitions do. Compositions and predominant classes are one row per
area, tier and class; demand above the base level is ``demand_area`` and the ``demand`` view
adds base areas from their class.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# area levels as this revision seeded them: level, family, rank, label, generalisation (m)
LEVELS = [
    ("nuts0", "nuts", 0, "Country (NUTS 0)", 2000.0),
    ("nuts1", "nuts", 1, "Major region (NUTS 1)", 1000.0),
    ("nuts2", "nuts", 2, "Region (NUTS 2)", 1000.0),
    ("nuts3", "nuts", 3, "Small region (NUTS 3)", 500.0),
    ("lad", "uk", 4, "Local authority district", 100.0),
    ("ward", "uk", 5, "Electoral ward", 30.0),
    ("lsoa", "uk", 6, "Lower layer super output area", 15.0),
    ("oa", "uk", 7, "Output area", 5.0),
]

DEMAND_VIEW = """
CREATE VIEW demand AS
SELECT classification_id, lgsl, level, code, households, expected, demand_index, band FROM demand_area
UNION ALL
SELECT k.classification_id, c.lgsl, k.level, k.code, k.households, k.households * c.rate AS expected,
       c.demand_index, c.band
FROM composition k
JOIN class_demand c ON c.classification_id = k.classification_id AND c.level = k.level
     AND c.tier = k.tier AND c.class_code = k.class_code
WHERE k.households > 0
"""

TABLES = [
    "area",
    "area_class",
    "area_level",
    "area_link",
    "area_variable",
    "band_edges",
    "census_value",
    "census_variable",
    "channel",
    "class_demand",
    "classification",
    "composition",
    "council",
    "demand_area",
    "eurostat_value",
    "meta",
    "predominant",
    "profile_class",
    "propensity",
    "service",
    "service_count",
    "service_model",
    "source",
    "unit_cost",
    "upload",
]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "area",
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("name", sa.Text),
        sa.Column("country", sa.Text),
        sa.Column("parent_code", sa.Text),
        sa.Column("vintage", sa.Text),
        sa.Column("source_id", sa.Text, nullable=False),
        sa.Column("lon", sa.Double),
        sa.Column("lat", sa.Double),
        sa.Column("minx", sa.Double),
        sa.Column("miny", sa.Double),
        sa.Column("maxx", sa.Double),
        sa.Column("maxy", sa.Double),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=4326, spatial_index=False)),
        sa.Column("geom_3857", Geometry("MULTIPOLYGON", srid=3857, spatial_index=False)),
        sa.Column("geom_gen", Geometry("MULTIPOLYGON", srid=3857, spatial_index=False)),
        sa.PrimaryKeyConstraint("level", "code"),
    )
    op.create_index("area_parent_idx", "area", ["level", "parent_code"])
    op.create_index("area_source_idx", "area", ["source_id"])
    op.create_table(
        "area_class",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("area_code", sa.Text, nullable=False),
        sa.Column("class_code", sa.Text, nullable=False),
        sa.Column("source_id", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("classification_id", "area_code"),
    )
    op.create_table(
        "area_level",
        sa.Column("level", sa.Text, primary_key=True),
        sa.Column("family", sa.Text, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("gen_tolerance_m", sa.Double, nullable=False),
    )
    op.create_table(
        "area_link",
        sa.Column("child_level", sa.Text, nullable=False),
        sa.Column("child_code", sa.Text, nullable=False),
        sa.Column("parent_level", sa.Text, nullable=False),
        sa.Column("parent_code", sa.Text, nullable=False),
        sa.Column("source_id", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("child_level", "child_code", "parent_level"),
    )
    op.create_index("area_link_parent_idx", "area_link", ["parent_level", "parent_code"])
    op.create_table(
        "area_variable",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("variable", sa.Text, nullable=False),
        sa.Column("value", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("classification_id", "code", "variable"),
    )
    op.create_table(
        "band_edges",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("lgsl", sa.Integer, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("scheme", sa.Text, nullable=False),
        sa.Column("edges", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("classification_id", "lgsl", "level", "scheme"),
    )
    op.create_table(
        "census_value",
        sa.Column("variable", sa.Text, nullable=False),
        sa.Column("area_code", sa.Text, nullable=False),
        sa.Column("value", sa.Double),
        sa.Column("source_id", sa.Text, nullable=False),
    )
    op.create_index("census_value_var_idx", "census_value", ["variable", "area_code"])
    op.create_table(
        "census_variable",
        sa.Column("variable", sa.Text, primary_key=True),
        sa.Column("table_id", sa.Text, nullable=False),
        sa.Column("table_name", sa.Text),
        sa.Column("name", sa.Text),
        sa.Column("source_id", sa.Text, nullable=False),
    )
    op.create_table(
        "channel",
        sa.Column("channel_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("lgchl_id", sa.Integer),
        sa.Column("unit_cost", sa.Double),
        sa.Column("cost_source", sa.Text),
    )
    op.create_table(
        "class_demand",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("lgsl", sa.Integer, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("class_code", sa.Text, nullable=False),
        sa.Column("rate", sa.Double, nullable=False),
        sa.Column("demand_index", sa.Double, nullable=False),
        sa.Column("band", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("classification_id", "lgsl", "class_code"),
    )
    op.create_table(
        "classification",
        sa.Column("classification_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("base_level", sa.Text, nullable=False),
        sa.Column("tiers", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("method", sa.Text),
        sa.Column("attribution", sa.Text),
        sa.Column("source_id", sa.Text, nullable=False),
    )
    op.create_table(
        "composition",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("class_code", sa.Text, nullable=False),
        sa.Column("households", sa.Double, nullable=False),
        sa.PrimaryKeyConstraint("classification_id", "level", "code", "tier", "class_code"),
    )
    op.create_table(
        "council",
        sa.Column("council_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("area_code", sa.Text),
        sa.Column("token_hash", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "demand_area",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("lgsl", sa.Integer, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("households", sa.Double, nullable=False),
        sa.Column("expected", sa.Double, nullable=False),
        sa.Column("demand_index", sa.Double, nullable=False),
        sa.Column("band", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("classification_id", "lgsl", "level", "code"),
    )
    op.create_table(
        "eurostat_value",
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("geo", sa.Text, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("dims", sa.Text, nullable=False),
        sa.Column("value", sa.Double),
        sa.Column("flag", sa.Text),
        sa.Column("source_id", sa.Text, nullable=False),
    )
    op.create_index("eurostat_value_idx", "eurostat_value", ["dataset", "geo"])
    op.create_table(
        "meta",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_table(
        "predominant",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("class_code", sa.Text, nullable=False),
        sa.Column("runner_up_code", sa.Text),
        sa.Column("households", sa.Double, nullable=False),
        sa.Column("share", sa.Double, nullable=False),
        sa.Column("margin", sa.Double, nullable=False),
        sa.Column("mixed", sa.Boolean, nullable=False),
        sa.PrimaryKeyConstraint("classification_id", "level", "code", "tier"),
    )
    op.create_table(
        "profile_class",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("parent_code", sa.Text),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("colour", sa.Text),
        sa.Column("description", sa.Text),
        sa.Column("sort", sa.Integer),
        sa.PrimaryKeyConstraint("classification_id", "code"),
    )
    op.create_table(
        "propensity",
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("lgsl", sa.Integer, nullable=False),
        sa.Column("class_code", sa.Text, nullable=False),
        sa.Column("tier", sa.Text, nullable=False),
        sa.Column("propensity_index", sa.Double, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("as_of", sa.Date),
        sa.Column("sample_size", sa.Integer),
        sa.PrimaryKeyConstraint("classification_id", "lgsl", "class_code"),
    )
    op.create_table(
        "service",
        sa.Column("lgsl", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("status", sa.Text),
        sa.Column("type", sa.Text),
        sa.Column("govuk_tier", sa.Text),
        sa.Column("created", sa.Text),
        sa.Column("modified", sa.Text),
        sa.Column("source_id", sa.Text, nullable=False),
    )
    op.create_table(
        "service_count",
        sa.Column("council_id", sa.Text, nullable=False),
        sa.Column("upload_id", sa.Text, nullable=False),
        sa.Column("lgsl", sa.Integer, nullable=False),
        sa.Column("channel_id", sa.Text, nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("area_level", sa.Text, nullable=False),
        sa.Column("area_code", sa.Text, nullable=False),
        sa.Column("class_code", sa.Text),
        sa.Column("contacts", sa.Integer, nullable=False),
    )
    op.create_index("service_count_council_idx", "service_count", ["council_id", "lgsl"])
    op.create_table(
        "service_model",
        sa.Column("lgsl", sa.Integer, nullable=False),
        sa.Column("classification_id", sa.Text, nullable=False),
        sa.Column("drivers", sa.Text, nullable=False),
        sa.Column("rationale", sa.Text),
        sa.Column("rate", sa.Double),
        sa.PrimaryKeyConstraint("lgsl", "classification_id"),
    )
    op.create_table(
        "source",
        sa.Column("source_id", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("licence", sa.Text),
        sa.Column("attribution", sa.Text),
        sa.Column("vintage", sa.Text),
        sa.Column("file", sa.Text),
        sa.Column("row_count", sa.Integer),
        sa.Column("loaded_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "unit_cost",
        sa.Column("council_id", sa.Text, nullable=False),
        sa.Column("lgsl", sa.Integer, nullable=False),
        sa.Column("channel_id", sa.Text, nullable=False),
        sa.Column("cost", sa.Double, nullable=False),
        sa.Column("source", sa.Text),
        sa.PrimaryKeyConstraint("council_id", "lgsl", "channel_id"),
    )
    op.create_table(
        "upload",
        sa.Column("upload_id", sa.Text, primary_key=True),
        sa.Column("council_id", sa.Text, nullable=False),
        sa.Column("file_name", sa.Text),
        sa.Column("rows_read", sa.Integer),
        sa.Column("rows_matched", sa.Integer),
        sa.Column("received_at", sa.DateTime(timezone=True)),
    )

    for column in ("geom", "geom_3857", "geom_gen"):
        op.create_index(f"area_{column}_gist", "area", [column], postgresql_using="gist")
    op.execute(DEMAND_VIEW)
    op.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '0001')")
    area_level = sa.table(
        "area_level",
        sa.column("level", sa.Text),
        sa.column("family", sa.Text),
        sa.column("rank", sa.Integer),
        sa.column("label", sa.Text),
        sa.column("gen_tolerance_m", sa.Double),
    )
    op.bulk_insert(
        area_level,
        [
            dict(zip(("level", "family", "rank", "label", "gen_tolerance_m"), lv, strict=True))
            for lv in LEVELS
        ],
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS demand")
    for name in TABLES:
        op.drop_table(name)
