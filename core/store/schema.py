"""The store's tables, defined once.

PostGIS gets them through Alembic (``migrations/``: each revision spells out its own changes,
so it never moves when these definitions do; ``tests/test_schema.py`` checks that a store
upgraded through them has exactly these tables). The embedded DuckDB store is created from
these definitions directly (:func:`duckdb_ddl`), keys included. Geometry is kept three times
per area: EPSG:4326 (features, exports), EPSG:3857 (tiles at detail zooms) and a generalised
EPSG:3857 copy (tiles at low zooms).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from geoalchemy2 import Geometry
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex
from sqlalchemy.types import TypeEngine

from core.levels import LEVEL_NAMES
from core.tiling import TILE_BANDS

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


@lru_cache
def head_revision() -> str:
    """The newest Alembic revision: the schema version these definitions describe."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(MIGRATIONS)).get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations under {MIGRATIONS}")
    return head


metadata = MetaData()


def _geom(name: str, srid: int) -> Column:
    return Column(name, Geometry("MULTIPOLYGON", srid=srid, spatial_index=False))


meta = Table(
    "meta",
    metadata,
    Column("key", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

source = Table(
    "source",
    metadata,
    Column("source_id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("url", Text),
    Column("licence", Text),
    Column("attribution", Text),
    Column("vintage", Text),
    Column("file", Text),
    Column("row_count", Integer),
    Column("loaded_at", DateTime(timezone=True)),
)

area_level = Table(
    "area_level",
    metadata,
    Column("level", Text, primary_key=True),
    Column("family", Text, nullable=False),  # nuts | uk
    Column("rank", Integer, nullable=False),  # 0 = largest
    Column("label", Text, nullable=False),
    Column("gen_tolerance_m", Double, nullable=False),  # generalisation of geom_gen
)

area = Table(
    "area",
    metadata,
    Column("level", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("name", Text),
    Column("country", Text),
    Column("parent_code", Text),  # parent in the level's main hierarchy
    Column("vintage", Text),
    Column("source_id", Text, nullable=False),
    Column("lon", Double),  # a point inside the area, for labels and fly-to
    Column("lat", Double),
    Column("minx", Double),  # EPSG:4326 bounding box, for bbox filters
    Column("miny", Double),
    Column("maxx", Double),
    Column("maxy", Double),
    _geom("geom", 4326),
    _geom("geom_3857", 3857),
    _geom("geom_gen", 3857),
    PrimaryKeyConstraint("level", "code"),
)
Index("area_source_idx", area.c.source_id)
Index("area_parent_idx", area.c.level, area.c.parent_code)
for _column in (area.c.geom, area.c.geom_3857, area.c.geom_gen):
    Index(f"area_{_column.name}_gist", _column, postgresql_using="gist")

area_link = Table(
    "area_link",
    metadata,
    Column("child_level", Text, nullable=False),
    Column("child_code", Text, nullable=False),
    Column("parent_level", Text, nullable=False),
    Column("parent_code", Text, nullable=False),
    Column("source_id", Text, nullable=False),
    PrimaryKeyConstraint("child_level", "child_code", "parent_level"),
)
Index("area_link_parent_idx", area_link.c.parent_level, area_link.c.parent_code)

census_variable = Table(
    "census_variable",
    metadata,
    Column("variable", Text, primary_key=True),  # e.g. ts0410001
    Column("table_id", Text, nullable=False),  # e.g. TS041
    Column("table_name", Text),
    Column("name", Text),
    Column("source_id", Text, nullable=False),
)

census_value = Table(
    "census_value",
    metadata,
    Column("variable", Text, nullable=False),
    Column("area_code", Text, nullable=False),
    Column("value", Double),
    Column("source_id", Text, nullable=False),
)
Index("census_value_var_idx", census_value.c.variable, census_value.c.area_code)

eurostat_value = Table(
    "eurostat_value",
    metadata,
    Column("dataset", Text, nullable=False),
    Column("geo", Text, nullable=False),
    Column("year", Integer, nullable=False),
    Column("dims", Text, nullable=False),  # e.g. "sex=T;age=Y_LT15;unit=NR"
    Column("value", Double),
    Column("flag", Text),
    Column("source_id", Text, nullable=False),
)
Index("eurostat_value_idx", eurostat_value.c.dataset, eurostat_value.c.geo)

classification = Table(
    "classification",
    metadata,
    Column("classification_id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("base_level", Text, nullable=False),  # level its codes are assigned at (oa, nuts3)
    Column("tiers", Text, nullable=False),  # comma list, coarsest first
    Column("description", Text),
    Column("method", Text),
    Column("attribution", Text),
    Column("source_id", Text, nullable=False),
)

profile_class = Table(
    "profile_class",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("tier", Text, nullable=False),
    Column("parent_code", Text),
    Column("name", Text, nullable=False),
    Column("colour", Text),
    Column("description", Text),
    Column("sort", Integer),
    PrimaryKeyConstraint("classification_id", "code"),
)

area_class = Table(
    "area_class",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("area_code", Text, nullable=False),
    Column("class_code", Text, nullable=False),  # finest tier
    Column("source_id", Text, nullable=False),
    PrimaryKeyConstraint("classification_id", "area_code"),
)

# Derived tables are written by ``insight build``. What follows from an area's one class is not
# stored: base areas (output areas; NUTS3 regions for the Europe classification) keep one row
# each, areas above them one row with households per finest class, and the ``composition``,
# ``predominant`` and ``demand`` views (see VIEWS) spread them out on read. A national rebuild
# therefore writes ~0.6 million rows instead of ~3.6 million. Their keys lead with ``code``:
# every lookup names the area, and a bulk rebuild fills the index faster when key comparisons
# end at the first column.

# The finest classes of a classification numbered from 1 (the position of their households in
# ``composition_area.mix``), each with its ancestor at every tier (itself at the finest).
class_tier = Table(
    "class_tier",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("position", Integer, nullable=False),
    Column("finest_code", Text, nullable=False),
    Column("tier", Text, nullable=False),
    Column("class_code", Text, nullable=False),
    PrimaryKeyConstraint("classification_id", "position", "tier"),
)

# Households of each base area in its one (finest) class; zero counts are kept.
base_composition = Table(
    "base_composition",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("level", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("class_code", Text, nullable=False),
    Column("households", Double, nullable=False),
    PrimaryKeyConstraint("code", "classification_id"),
)

# Areas above the base level: households in total and per finest class (``class_tier`` order).
composition_area = Table(
    "composition_area",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("level", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("households", Double, nullable=False),
    Column("mix", ARRAY(Double), nullable=False),
    PrimaryKeyConstraint("code", "level", "classification_id"),
)

# Leading class per area above the base level and tier (a base area's is its own class):
# ``households`` counts every household of the area, ``class_households`` the leading class's.
predominant_area = Table(
    "predominant_area",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("level", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("tier", Text, nullable=False),
    Column("class_code", Text, nullable=False),
    Column("runner_up_code", Text),
    Column("class_households", Double, nullable=False),
    Column("share", Double, nullable=False),
    Column("margin", Double, nullable=False),
    Column("mixed", Boolean, nullable=False),
    Column("households", Double, nullable=False),
    PrimaryKeyConstraint("code", "tier", "level", "classification_id"),
)

# Serving copy for vector tiles, written by ``insight build``: one row per area and zoom band
# (``max_zoom``: the highest zoom the row's geometry serves, 99 = full detail), with the
# level's default predominant class inline, so a tile is one index scan without a join.
tile_area = Table(
    "tile_area",
    metadata,
    Column("level", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("max_zoom", Integer, nullable=False),
    Column("name", Text),
    Column("classification_id", Text),
    Column("tier", Text),
    Column("households", Double),  # every household of the area
    Column("class_code", Text),
    Column("class_name", Text),
    Column("colour", Text),
    Column("share", Double),
    Column("margin", Double),
    Column("mixed", Boolean),
    Column("minx", Double),
    Column("miny", Double),
    Column("maxx", Double),
    Column("maxy", Double),
    _geom("geom", 3857),
    Column("class_households", Double),  # the leading class's households
    # On PostGIS: the geometry stays valid on the tile grid of the band's top zoom and the one
    # below (queries.tiles.grid_drawing), so tiles inside which it lies skip ST_AsMVTGeom. NULL:
    # not checked (the embedded store, the full-detail band).
    Column("grid_valid", Boolean),
    Column("fid", Integer, nullable=False),  # the feature id (core.store.tile_fields), worked out once
    # Where grid_valid: the geometry on the world grid of the band's top zoom (MVT grid units
    # from the world's top-left corner, no SRID), as a tile at that zoom draws it once moved to
    # its corner. NULL otherwise (and on the embedded store).
    Column("grid_geom", Geometry("MULTIPOLYGON", spatial_index=False)),
    # True: the build wrote this row's pieces (``tile_area_piece``) for every tile of the band's
    # top zoom where the grid shortcut does not draw it. False: it reaches too many tiles to
    # have pieces. NULL: none written (the embedded store, the full-detail band, rows from
    # before pieces). Where no piece was written, tiles draw the row with ST_AsMVTGeom.
    Column("pieces_stored", Boolean),
    PrimaryKeyConstraint("level", "max_zoom", "code"),
)

# On PostGIS: a serving row as ``ST_AsMVTGeom`` draws it in one tile (x, y) of its band's top
# zoom, in that tile's MVT grid units (no SRID), where it crosses the tile's buffered edge or
# is not valid on the grid (queries.tiles._insert_pieces). Absent where it clips to nothing.
tile_area_piece = Table(
    "tile_area_piece",
    metadata,
    Column("level", Text, nullable=False),
    Column("max_zoom", Integer, nullable=False),
    Column("x", Integer, nullable=False),
    Column("y", Integer, nullable=False),
    Column("code", Text, nullable=False),
    Column("geom", Geometry("GEOMETRY", spatial_index=False), nullable=False),
    PrimaryKeyConstraint("level", "max_zoom", "x", "y", "code"),
)
# One spatial index per level and band: a low-zoom NUTS tile must not wade through the
# output areas that share its band (a per-band index made z6 tiles 2-3x slower).
for _level in LEVEL_NAMES:
    for _band in TILE_BANDS:
        Index(
            f"tile_area_{_level}_z{_band}_gist",
            tile_area.c.geom,
            postgresql_using="gist",
            postgresql_where=(tile_area.c.level == _level) & (tile_area.c.max_zoom == _band),
        )

service = Table(
    "service",
    metadata,
    Column("lgsl", Integer, primary_key=True, autoincrement=False),
    Column("label", Text, nullable=False),
    Column("description", Text),
    Column("status", Text),
    Column("type", Text),
    Column("govuk_tier", Text),
    Column("created", Text),
    Column("modified", Text),
    Column("source_id", Text, nullable=False),
)

service_model = Table(
    "service_model",
    metadata,
    Column("lgsl", Integer, nullable=False),
    Column("classification_id", Text, nullable=False),
    Column("drivers", Text, nullable=False),  # JSON list of {variable, label, weight}
    Column("rationale", Text),
    Column("rate", Double),  # uses per household per year, when known
    PrimaryKeyConstraint("lgsl", "classification_id"),
)

propensity = Table(
    "propensity",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("lgsl", Integer, nullable=False),
    Column("class_code", Text, nullable=False),
    Column("tier", Text, nullable=False),
    Column("propensity_index", Double, nullable=False),
    Column("source", Text, nullable=False),  # modelled | observed
    Column("as_of", Date),
    Column("sample_size", Integer),
    PrimaryKeyConstraint("classification_id", "lgsl", "class_code"),
)

# Councils' evidence pooled per service and class (``insight pool``): the observed index with its
# counts and 95 % interval, the modelled one beside it, and which the demand model uses. UK
# classes pool the councils' counts; the Europe classification's classes hold the UK NUTS3
# regions' take-up transferred by class (``councils`` then counts UK regions).
pooled_propensity = Table(
    "pooled_propensity",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("lgsl", Integer, nullable=False),
    Column("tier", Text, nullable=False),
    Column("class_code", Text, nullable=False),
    Column("customers", Double, nullable=False),
    Column("households", Double, nullable=False),
    Column("councils", Integer, nullable=False),
    Column("observed_index", Double),  # NULL: suppressed (1 to 5 customers) or no evidence
    Column("index_low", Double),
    Column("index_high", Double),
    Column("modelled_index", Double),  # filled by the build
    Column("source", Text, nullable=False),  # observed | observed in the UK, transferred by class
    Column("warning", Text),
    Column("as_of", Date, nullable=False),
    Column("sample_size", BigInteger, nullable=False),  # the service's pooled records
    Column("service_councils", Integer, nullable=False),
    Column("synthetic", Boolean, nullable=False),
    PrimaryKeyConstraint("classification_id", "lgsl", "class_code"),
)

# Councils' contacts pooled per class and channel over all services (``insight pool``), never
# per council: the evidence that replaces the modelled channel mix where enough stands behind it.
pooled_channel = Table(
    "pooled_channel",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("class_code", Text, nullable=False),  # the classification's finest tier
    Column("channel", Text, nullable=False),
    Column("contacts", Double, nullable=False),
    Column("councils", Integer, nullable=False),  # councils behind the evidence
    Column("records", Double, nullable=False),  # their classified contacts, every channel
    Column("as_of", Date, nullable=False),
    Column("synthetic", Boolean, nullable=False),
    PrimaryKeyConstraint("classification_id", "class_code", "channel"),
)

# The modelled services of a classification numbered from 1 (their place in ``demand_area``'s
# arrays), with what an area's index and band are worked out from: the expected uses per
# household over the reference population, and the index thresholds of the bands.
demand_service = Table(
    "demand_service",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("lgsl", Integer, nullable=False),
    Column("position", Integer, nullable=False),
    Column("reference", Double, nullable=False),
    Column("band_low", Double, nullable=False),
    Column("band_high", Double, nullable=False),
    PrimaryKeyConstraint("classification_id", "lgsl"),
)

# Demand of areas above the base level, one row per area: households (of classes with a
# propensity) and expected uses per service in ``demand_service`` order. The ``demand`` view
# adds the index ``100 (E/H) / reference`` and its band; base areas' demand is their class's
# (``class_demand``).
demand_area = Table(
    "demand_area",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("level", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("households", Double, nullable=False),
    Column("expected", ARRAY(Double), nullable=False),
    PrimaryKeyConstraint("code", "level", "classification_id"),
)

# Demand per household of each finest class at the base level: a base area's expected uses are
# its households times ``rate``; its index and band are its class's.
class_demand = Table(
    "class_demand",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("lgsl", Integer, nullable=False),
    Column("level", Text, nullable=False),  # the classification's base level
    Column("tier", Text, nullable=False),  # its finest tier
    Column("class_code", Text, nullable=False),
    Column("rate", Double, nullable=False),
    Column("demand_index", Double, nullable=False),
    Column("band", Text, nullable=False),
    PrimaryKeyConstraint("classification_id", "lgsl", "class_code"),
)

# Modelled channel suitability (geo.channel_need): per area, the assisted-contact index (100 =
# the reference population) and the expected shares of web, telephone and face-to-face contact;
# per class, its index. UK areas only (the drivers are Census 2021 tables).
channel_need = Table(
    "channel_need",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("level", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("assisted_index", Double, nullable=False),
    Column("web_share", Double, nullable=False),
    Column("telephone_share", Double, nullable=False),
    Column("face_to_face_share", Double, nullable=False),
    Column("source", Text, nullable=False),  # modelled | observed (councils' pooled records)
    PrimaryKeyConstraint("code", "level", "classification_id"),
)

channel_need_class = Table(
    "channel_need_class",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("tier", Text, nullable=False),
    Column("class_code", Text, nullable=False),
    Column("assisted_index", Double, nullable=False),
    Column("source", Text, nullable=False),  # modelled | observed
    PrimaryKeyConstraint("classification_id", "tier", "class_code"),
)

# Standardised input variables of a classification built from them (the Europe NUTS3 one):
# similar areas compare base areas on these, as every base area holds exactly one class.
area_variable = Table(
    "area_variable",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("code", Text, nullable=False),
    Column("variable", Text, nullable=False),
    Column("value", Double, nullable=False),
    PrimaryKeyConstraint("classification_id", "code", "variable"),
)

band_edges = Table(
    "band_edges",
    metadata,
    Column("classification_id", Text, nullable=False),
    Column("lgsl", Integer, nullable=False),
    Column("level", Text, nullable=False),
    Column("scheme", Text, nullable=False),
    Column("edges", Text, nullable=False),  # JSON list of upper bounds low..high
    PrimaryKeyConstraint("classification_id", "lgsl", "level", "scheme"),
)

postcode = Table(
    "postcode",
    metadata,
    Column("postcode", Text, primary_key=True),  # normalised: upper case, no spaces
    Column("oa_code", Text, nullable=False),  # the 2021 output area
    Column("terminated", Boolean, nullable=False),  # no longer in use (still matched)
    Column("source_id", Text, nullable=False),
)
Index("postcode_oa_idx", postcode.c.oa_code)

# --- the council workspace ----------------------------------------------------------------------
# Written by the server (uploads, tokens, audit). PostGIS keeps these tables in the schema
# ``workspace``; the embedded store in its workspace file, attached as ``workspace``: so every
# statement names them ``workspace.<table>`` on both backends.
WORKSPACE = "workspace"
workspace_metadata = MetaData(schema=WORKSPACE)

workspace_meta = Table(
    "workspace_meta",
    workspace_metadata,
    Column("key", Text, primary_key=True),  # data_version:council:<id>
    Column("value", Text, nullable=False),
)

council = Table(
    "council",
    workspace_metadata,
    Column("council_id", Text, primary_key=True),  # a slug: letters, digits, - and _
    Column("name", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name", name="council_name_key"),
)

council_district = Table(
    "council_district",
    workspace_metadata,
    Column("council_id", Text, nullable=False),
    Column("district_code", Text, nullable=False),  # a local authority district (GSS code)
    PrimaryKeyConstraint("council_id", "district_code"),
)

council_token = Table(
    "council_token",
    workspace_metadata,
    Column("token_id", Text, primary_key=True),
    Column("council_id", Text, nullable=False),
    Column("secret_hash", Text, nullable=False),  # scrypt (core.tokens); the secret is never kept
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

audit = Table(
    "audit",
    workspace_metadata,
    Column("audit_id", Text, primary_key=True),
    Column("council_id", Text, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),  # token:<token_id> or cli
    Column("action", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("row_count", BigInteger),
)
Index("audit_council_idx", audit.c.council_id, audit.c.occurred_at)

upload = Table(
    "upload",
    workspace_metadata,
    Column("upload_id", Text, primary_key=True),
    Column("council_id", Text, nullable=False),
    Column("content_hash", Text, nullable=False),  # sha256 of the file: the same file twice is refused
    Column("source_name", Text, nullable=False),
    Column("uploaded_at", DateTime(timezone=True), nullable=False),
    Column("synthetic", Boolean, nullable=False),
    Column("rows_read", BigInteger, nullable=False),
    Column("rows_matched", BigInteger, nullable=False),
    Column("rows_rejected", BigInteger, nullable=False),
    Column("date_from", Date),
    Column("date_to", Date),
    Column("report", Text, nullable=False),  # the validation report (JSON)
    UniqueConstraint("council_id", "content_hash", name="upload_council_content_key"),
)

service_count = Table(
    "service_count",
    workspace_metadata,
    Column("upload_id", Text, nullable=False),
    Column("council_id", Text, nullable=False),
    Column("level", Text, nullable=False),  # oa | lsoa | ward: the level the records named
    Column("area_code", Text, nullable=False),
    Column("service_code", Integer, nullable=False),  # LGSL
    Column("channel", Text, nullable=False),  # core.channels
    Column("month", Date, nullable=False),  # first day of the month
    Column("interaction_id", Integer, nullable=False),  # LGIL; NO_INTERACTION (-1) when not given
    Column("contacts", BigInteger, nullable=False),
    PrimaryKeyConstraint(
        "upload_id", "level", "area_code", "service_code", "channel", "month", "interaction_id"
    ),
)
Index("service_count_council_idx", service_count.c.council_id, service_count.c.service_code)

NO_INTERACTION = -1  # service_count.interaction_id when the records gave no LGIL id

unit_cost = Table(  # a council's own unit cost per contact, over the published defaults
    "unit_cost",
    workspace_metadata,
    Column("council_id", Text, nullable=False),
    Column("service_code", Integer, nullable=False),  # LGSL; EVERY_SERVICE (-1) for all services
    Column("channel", Text, nullable=False),  # core.channels
    Column("cost_gbp", Double, nullable=False),
    Column("source", Text, nullable=False),  # where the council's figure comes from
    Column("set_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("council_id", "service_code", "channel"),
)
EVERY_SERVICE = -1  # unit_cost.service_code of a cost for every service


# Read-only views over the tables above, created after them on both backends. Each is a
# UNION ALL of a base-level branch and an above-base branch, so a filter or join on level and
# code reaches the key of the table underneath.
# The index of an above-base area for one service, computed as ``geo.demand`` does (same
# operations in the same order, so the same double), and its band under the thresholds scheme.
_INDEX = "100.0 * (d.expected[s.position] / d.households) / s.reference"
_BAND = (
    f"CASE WHEN {_INDEX} >= s.band_high THEN 'high' WHEN {_INDEX} <= s.band_low THEN 'low' ELSE 'medium' END"
)
VIEWS = {
    "area_households": """
CREATE VIEW area_households AS
SELECT classification_id, level, code, households FROM base_composition
UNION ALL
SELECT classification_id, level, code, households FROM composition_area
""",
    "composition": """
CREATE VIEW composition AS
SELECT b.classification_id, b.level, b.code, t.tier, t.class_code, b.households
FROM base_composition b
JOIN class_tier t ON t.classification_id = b.classification_id AND t.finest_code = b.class_code
UNION ALL
SELECT k.classification_id, k.level, k.code, t.tier, t.class_code, SUM(k.mix[t.position]) AS households
FROM composition_area k
JOIN class_tier t ON t.classification_id = k.classification_id
GROUP BY k.classification_id, k.level, k.code, t.tier, t.class_code
HAVING SUM(k.mix[t.position]) > 0
""",
    "predominant": """
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
""",
    "demand": f"""
CREATE VIEW demand AS
SELECT d.classification_id, s.lgsl, d.level, d.code, d.households, d.expected[s.position] AS expected,
       {_INDEX} AS demand_index, {_BAND} AS band
FROM demand_area d
JOIN demand_service s ON s.classification_id = d.classification_id
UNION ALL
SELECT b.classification_id, c.lgsl, b.level, b.code, b.households, b.households * c.rate,
       c.demand_index, c.band
FROM base_composition b
JOIN class_demand c ON c.classification_id = b.classification_id AND c.level = b.level
     AND c.class_code = b.class_code
WHERE b.households > 0
""",
}


def __getattr__(name: str) -> str:
    # ``SCHEMA_VERSION`` is the migrations' head, read from their script directory on first use
    if name == "SCHEMA_VERSION":
        return head_revision()
    raise AttributeError(name)


# --- the embedded store ---------------------------------------------------------------------
# DuckDB column types of the types used above; a type missing here is an error, not a guess.
_DUCKDB_TYPES: dict[type[TypeEngine], str] = {
    BigInteger: "BIGINT",
    Text: "VARCHAR",
    Integer: "INTEGER",
    Double: "DOUBLE",
    Boolean: "BOOLEAN",
    Date: "DATE",
    Geometry: "GEOMETRY",
}


def duckdb_type(column: Column) -> str:
    """The DuckDB type of a column (arrays of a mapped type become ``TYPE[]``)."""
    kind = column.type
    if isinstance(kind, ARRAY):
        return duckdb_type(Column(column.name, kind.item_type)) + "[]"
    if isinstance(kind, DateTime):
        return "TIMESTAMPTZ" if kind.timezone else "TIMESTAMP"
    for base, name in _DUCKDB_TYPES.items():
        if isinstance(kind, base):
            return name
    raise TypeError(f"no DuckDB type for {column.table.name}.{column.name} ({kind!r})")


def duckdb_primary_key(table: Table) -> list[str]:
    """The primary key columns a table has on the embedded store: the same as on PostGIS.

    DuckDB keeps a key in an ART index that deletes slowly (row by row, ~10-40 us a row with
    text keys), so bulk writes avoid deleting keyed rows: a table rewritten whole is dropped
    and created again (:meth:`~core.store.duckdb_backend.DuckTransaction.clear`), a reload
    deletes only the keys that disappear and upserts the rest
    (:meth:`~core.store.duckdb_backend.DuckTransaction.replace`).
    """
    return [c.name for c in table.primary_key.columns]


def duckdb_table_ddl(table: Table) -> str:
    """``CREATE TABLE IF NOT EXISTS`` for DuckDB: columns, NOT NULL and the primary key.

    Secondary indexes are PostGIS's: DuckDB scans with zone maps, and an ART index per column
    list would only slow the bulk rebuilds.
    """
    lines = [
        f"{c.name} {duckdb_type(c)}{'' if c.nullable and not c.primary_key else ' NOT NULL'}"
        for c in table.columns
    ]
    if key := duckdb_primary_key(table):
        lines.append(f"PRIMARY KEY ({', '.join(key)})")
    for unique in sorted(table.constraints, key=lambda c: str(c.name)):
        if isinstance(unique, UniqueConstraint):
            lines.append(f"UNIQUE ({', '.join(c.name for c in unique.columns)})")
    return f"CREATE TABLE IF NOT EXISTS {table.fullname} (\n    " + ",\n    ".join(lines) + "\n)"


def duckdb_ddl() -> list[str]:
    """Statements that create every table and then every view of the embedded store."""
    return [duckdb_table_ddl(t) for t in metadata.sorted_tables] + list(VIEWS.values())


def any_table(name: str) -> Table:
    """A national table by name, or a workspace table as ``workspace.<table>``."""
    table = metadata.tables.get(name)
    if table is None:
        table = workspace_metadata.tables.get(name)
    if table is None:
        raise KeyError(name)
    return table


def duckdb_workspace_ddl() -> list[str]:
    """Statements that create the workspace's tables in the attached workspace file."""
    return [duckdb_table_ddl(t) for t in workspace_metadata.sorted_tables]


# --- bulk loads on PostGIS --------------------------------------------------------------------
def secondary_indexes(table: str) -> list[tuple[str, str]]:
    """``(drop, create)`` statements of a table's secondary indexes, from its definition here.

    A bulk load drops them first and creates them once afterwards, instead of updating them
    row by row.
    """
    dialect = postgresql.dialect()
    return [
        (f"DROP INDEX IF EXISTS {index.name}", str(CreateIndex(index).compile(dialect=dialect)))
        for index in sorted(metadata.tables[table].indexes, key=lambda i: str(i.name))
    ]


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def identifier(name: str) -> str:
    """``name`` unchanged if it is a plain SQL identifier (safe to write into a statement)."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain SQL identifier: {name!r}")
    return name


def staging_table(name: str, key: str, values: list[str]) -> tuple[str, str]:
    """``(create, drop)`` of a temporary PostGIS table: a text key and double value columns,
    dropped at commit; bulk loads copy wide frames into it before unpivoting them."""
    columns = ", ".join([f"{identifier(key)} text", *(f"{identifier(v)} double precision" for v in values)])
    return (
        f"CREATE TEMP TABLE {identifier(name)} ({columns}) ON COMMIT DROP",
        f"DROP TABLE IF EXISTS {name}",
    )


# --- scratch databases (tests, benchmarks) ----------------------------------------------------
def database_ddl(name: str) -> tuple[str, str, str]:
    """``(create, drop, extension)``: a PostGIS database of its own for a test or benchmark run
    (run with autocommit; the extension inside the new database)."""
    identifier(name)
    return (
        f"CREATE DATABASE {name}",
        f"DROP DATABASE IF EXISTS {name} WITH (FORCE)",
        "CREATE EXTENSION IF NOT EXISTS postgis",
    )
