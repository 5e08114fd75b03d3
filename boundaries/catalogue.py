"""The sources Citizen Insight knows: where each comes from, where it lives, what it holds.

Every loader records one :class:`Source` in the ``source`` table, so licence and attribution
travel with the data. ``files`` are relative to the data directory (``INSIGHT_DATA_DIR``);
``downloads`` map each file to the address ``insight fetch`` gets it from (the official
distribution where it serves the same format, otherwise the pinned public snapshot named in
the folder's SOURCE.md); ``origin`` is the official publication for people elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

OGL = "Open Government Licence v3.0"
ONS_ATTRIBUTION = "Contains National Statistics data © Crown copyright and database right"
GISCO_ATTRIBUTION = "© EuroGeographics for the administrative boundaries; source: Eurostat/GISCO"
GISCO = "https://gisco-services.ec.europa.eu/distribution/v2/nuts/geojson/"
TRAFFORD = (
    "https://raw.githubusercontent.com/traffordDataLab/spatial_data/7fa4f03c29745aa4ca0f17f30e0dd1b31563202c/"
)
LEEDS = "https://raw.githubusercontent.com/North-UK/Microsimulation_case/6aced98e57ad1ac9f8c44b264a4b66a8198e7a9a/data/"
OAC = "https://raw.githubusercontent.com/alexsingleton/LSOA_DZ_SDZ_Area_Classification/1d9890d88c125431fa5098c0d0058708c4e5ec28/data/"
CENSUS = "https://raw.githubusercontent.com/alexsingleton/Census_2021_Output_Areas/fca63ca63767108fc5ffd33fdc962b8667dd27af/"
EUROSTAT = "https://ec.europa.eu/eurostat/api/dissemination/sdmx/2.1/data/{}?format=TSV"
ONS_SERVICES = "https://services1.arcgis.com/ESMARspQHYMw9BZ9/arcgis/rest/services/"
UK_GEOJSON = "https://github.com/martinjc/UK-GeoJSON/tree/88339000fc8711feb9c146d5cd7d145bf286350d/json/"
CENSUS_TABLES = ("ts001", "ts017", "ts037", "ts038", "ts041", "ts045", "ts054")


@dataclass(frozen=True)
class Source:
    """One known source (a file or a set of files loaded together)."""

    id: str
    title: str
    kind: str  # nuts | boundaries | lookup | spatial | derived | classification | census | eurostat | lgsl
    folder: str
    files: tuple[str, ...]
    downloads: dict[str, str] = field(default_factory=dict)
    origin: str = ""
    columns: str = ""
    crs: str = "EPSG:4326"
    licence: str = OGL
    attribution: str = ONS_ATTRIBUTION
    vintage: str = ""

    @property
    def url(self) -> str:
        """The address recorded in the ``source`` table: the official origin, else a download."""
        return self.origin or next(iter(self.downloads.values()), "")

    def path(self, data_dir: Path, index: int = 0) -> Path:
        """Location of file ``index`` under the data directory."""
        return Path(data_dir) / self.folder / self.files[index]

    def paths(self, data_dir: Path) -> list[Path]:
        return [Path(data_dir) / self.folder / f for f in self.files]

    def renamed(self, source_id: str | None, **changes: Any) -> Source:
        """A copy under another id (a user's own file loaded with this source's metadata)."""
        if source_id:
            changes["id"] = source_id
        return replace(self, **changes) if changes else self


def _trafford(name: str) -> str:
    """Trafford Data Lab files are stored as their repository path with ``/`` → ``_``."""
    parts = name.split("_", 2)
    if name.startswith("local_authority_"):
        parts = ["local_authority", *name.removeprefix("local_authority_").split("_", 1)]
    return TRAFFORD + "/".join(parts)


def _gm(id: str, title: str, kind: str, file: str, columns: str, vintage: str) -> Source:
    return Source(
        id,
        title,
        kind,
        "uk-gm-trafford-boundaries",
        (file,),
        {file: _trafford(file)},
        "https://geoportal.statistics.gov.uk/",
        columns,
        attribution="Contains National Statistics and OS data © Crown copyright and database right 2023",
        vintage=vintage,
    )


def _gisco(id: str, title: str, scale: str, files: tuple[str, ...]) -> Source:
    """A GISCO NUTS 2021 boundary set, downloaded file by file from the distribution service."""
    return Source(
        id,
        title,
        "nuts",
        f"gisco-nuts/{scale}",
        files,
        {f: GISCO + f for f in files},
        "https://ec.europa.eu/eurostat/web/gisco/geodata/statistical-units/territorial-units-statistics",
        "NUTS_ID, LEVL_CODE, CNTR_CODE, NAME_LATN, NUTS_NAME",
        licence="GISCO terms: free for non-commercial use; commercial use needs a EuroGeographics licence",
        attribution=GISCO_ATTRIBUTION,
        vintage="2021",
    )


def _national_2011(level: str, title: str, pattern: str, columns: str, vintage: str) -> Source:
    """A level of the ONS 2011/2013 geography of England and Wales: one TopoJSON file per district."""
    return Source(
        f"ons-{level}-{vintage}-ew",
        title,
        "boundaries",
        "uk-ew-boundaries-2011",
        (pattern,),
        origin=UK_GEOJSON,
        columns=columns,
        crs="OGC:CRS84 (declared on the TopoJSON object)",
        licence=f"{OGL}; conversion CC BY 4.0 (Martin Chorley)",
        attribution="Contains Ordnance Survey and Office for National Statistics data © Crown copyright and "
        "database right",
        vintage=vintage,
    )


def _ons_current(
    id: str, title: str, service: str, columns: str, vintage: str, kind: str = "boundaries"
) -> Source:
    """A current national ONS set on the Open Geography portal (an ArcGIS feature service, served in
    pages of at most 2,000 features: ``…/query?where=1%3D1&outFields=*&outSR=4326&f=geojson&resultOffset=N``)."""
    return Source(
        id,
        title,
        kind,
        "ons-open-geography",
        (f"{id}.geojson" if kind == "boundaries" else f"{id}.csv",),
        origin=f"{ONS_SERVICES}{service}/FeatureServer/0",
        columns=columns,
        attribution="Source: Office for National Statistics licensed under the Open Government Licence v.3.0; "
        "Contains OS data © Crown copyright and database right",
        vintage=vintage,
    )


_NUTS20 = tuple(f"NUTS_RG_20M_2021_4326_LEVL_{n}.geojson" for n in range(4))
_LEEDS_ATTR = (
    "CDRC 2011 OAC Geodata Pack by the ESRC Consumer Data Research Centre; Contains National Statistics "
    "data Crown copyright and database right 2015; Contains Ordnance Survey data Crown copyright and "
    "database right 2015"
)

SOURCES: tuple[Source, ...] = (
    _gisco("gisco-nuts-2021-20m", "NUTS 2021 regions, 1:20 million (GISCO)", "2021-20M", _NUTS20),
    _gisco(
        "gisco-nuts-2021-60m",
        "NUTS 2021 regions, 1:60 million, all levels (GISCO)",
        "2021-60M",
        ("NUTS_RG_60M_2021_4326.geojson",),
    ),
    *(
        Source(
            f"eurostat-{ds}",
            title,
            "eurostat",
            "eurostat-nuts3-stats",
            (f"{ds}.tsv",),
            {f"{ds}.tsv": EUROSTAT.format(ds)},
            f"https://ec.europa.eu/eurostat/databrowser/view/{ds}/default/table",
            "key column (dimensions, geo\\TIME_PERIOD), one column per year; values with flags",
            crs="",
            licence="Eurostat re-use policy (free re-use with acknowledgement)",
            attribution="Source: Eurostat",
            vintage="2025",
        )
        for ds, title in (
            ("demo_r_pjanaggr3", "Population on 1 January by broad age group, sex and NUTS 3 region"),
            ("reg_area3", "Area by NUTS 3 region"),
        )
    ),
    _gm(
        "ons-lad-2023-gm",
        "Local authority districts 2023, Greater Manchester (ONS BGC)",
        "boundaries",
        "local_authority_2023_gm_local_authority_generalised.geojson",
        "area_code, area_name",
        "2023",
    ),
    _gm(
        "ons-ward-2023-gm",
        "Electoral wards 2023, Greater Manchester (ONS BGC)",
        "boundaries",
        "ward_2023_gm_ward_generalised.geojson",
        "area_code, area_name, local_authority_area_code",
        "2023",
    ),
    _gm(
        "ons-ward-2023-trafford",
        "Electoral wards 2023, Trafford (ONS BGC)",
        "boundaries",
        "ward_2023_trafford_ward_generalised.geojson",
        "area_code, area_name",
        "2023",
    ),
    _gm(
        "ons-lsoa-2021-gm",
        "Lower layer super output areas 2021, Greater Manchester (ONS BGC)",
        "boundaries",
        "lsoa_2021_gm_lsoa_generalised.geojson",
        "area_code, area_name",
        "2021",
    ),
    _gm(
        "ons-oa-2021-trafford",
        "Output areas 2021, Trafford (ONS BGC)",
        "boundaries",
        "oa_2021_trafford_oa_generalised.geojson",
        "area_code, la_code, la_name",
        "2021",
    ),
    _gm(
        "gm-lookup-statistical-2021",
        "OA → LSOA → LAD lookup 2021, Greater Manchester (ONS)",
        "lookup",
        "lookups_2021_statistical_lookup.csv",
        "oa21cd, lsoa21cd, msoa21cd, lad22cd",
        "2021",
    ),
    _gm(
        "gm-lookup-administrative-2021",
        "Ward → LAD lookup 2022, Greater Manchester (ONS)",
        "lookup",
        "lookups_2021_administrative_lookup.csv",
        "wd22cd, wd22nm, lad22cd, lad22nm",
        "2022",
    ),
    _gm(
        "gm-lookup-lsoa-ward-2021",
        "LSOA 2021 → ward 2022 best-fit lookup, Greater Manchester (ONS)",
        "lookup",
        "lookups_2021_lsoa_to_ward_best-fit_lookup.csv",
        "lsoa21cd, lsoa21nm, wd22cd, wd22nm, lad22cd, lad22nm",
        "2022",
    ),
    Source(
        "trafford-oa-ward-spatial",
        "Trafford output areas → wards, by point on surface",
        "spatial",
        "uk-gm-trafford-boundaries",
        (),
        vintage="2023",
    ),
    Source(
        "gm-lsoa-ward-spatial",
        "Greater Manchester LSOAs 2021 → wards 2023, by point on surface",
        "spatial",
        "uk-gm-trafford-boundaries",
        (),
        vintage="2023",
    ),
    Source(
        "leeds-oa-2011",
        "Output areas 2011, Leeds, with 2011 OAC (CDRC Geodata Pack)",
        "boundaries",
        "uk-leeds-oac2011",
        ("oa_boundaries.geojson",),
        {"oa_boundaries.geojson": LEEDS + "oa_boundaries.geojson"},
        "https://data.cdrc.ac.uk/dataset/output-area-classification-2011",
        "oa_code, supgrpcode, supgrpname, grpcode, grpname, subgrpcode, subgrpname",
        crs="EPSG:27700",
        attribution=_LEEDS_ATTR,
        vintage="2011",
    ),
    Source(
        "leeds-ward-2017",
        "Electoral wards December 2017, Leeds (ONS)",
        "boundaries",
        "uk-leeds-oac2011",
        ("ward_boundaries.geojson",),
        {"ward_boundaries.geojson": LEEDS + "ward_boundaries.geojson"},
        "https://geoportal.statistics.gov.uk/",
        "wd17cd, wd17nm, bng_e, bng_n, long, lat",
        crs="EPSG:27700",
        attribution="Contains National Statistics and OS data © Crown copyright and database right 2017",
        vintage="2017",
    ),
    Source(
        "leeds-lad-derived",
        "Leeds local authority district, dissolved from its 2017 wards (derived)",
        "derived",
        "uk-leeds-oac2011",
        (),
        attribution="Contains National Statistics and OS data © Crown copyright and database right 2017",
        vintage="2017",
    ),
    Source(
        "leeds-oa-ward-spatial",
        "Leeds output areas 2011 → wards 2017, by point on surface",
        "spatial",
        "uk-leeds-oac2011",
        (),
        attribution=_LEEDS_ATTR,
        vintage="2017",
    ),
    _national_2011(
        "oa",
        "Output areas 2011, England and Wales (ONS generalised clipped)",
        "oa/*/*.json",
        "OA11CD, LAD11CD",
        "2011",
    ),
    _national_2011(
        "lsoa",
        "Lower layer super output areas 2011, England and Wales (ONS generalised clipped)",
        "lsoa/*/*.json",
        "LSOA11CD, LSOA11NM",
        "2011",
    ),
    _national_2011(
        "ward",
        "Electoral wards 2013, England and Wales (ONS generalised clipped)",
        "ward/*/*.json",
        "WD13CD, WD13CDO, WD13NM, WD13NMW",
        "2013",
    ),
    _national_2011(
        "lad",
        "Local authority districts 2013, England and Wales (ONS generalised clipped)",
        "lad/*.json",
        "LAD13CD, LAD13CDO, LAD13NM, LAD13NMW",
        "2013",
    ),
    Source(
        "ew-hierarchy-spatial",
        "Hierarchy by location where no lookup exists: OA → LSOA → ward → district → NUTS3 "
        "(each area's point on surface in the parent holding it)",
        "spatial",
        "uk-ew-boundaries-2011",
        (),
        attribution="Contains Ordnance Survey and Office for National Statistics data © Crown copyright and "
        "database right; © EuroGeographics for the administrative boundaries",
    ),
    _ons_current(
        "ons-oa-2021-ew",
        "Output Areas (December 2021) Boundaries EW BGC (ONS Open Geography portal)",
        "Output_Areas_Dec_2021_Boundaries_Generalised_Clipped_EW_BGC_2022",
        "OA21CD, LSOA21CD, LSOA21NM",
        "2021",
    ),
    _ons_current(
        "ons-lsoa-2021-ew",
        "LSOA (December 2021) Boundaries EW BGC (ONS Open Geography portal)",
        "LSOA_Dec_2021_Boundaries_Generalised_Clipped_EW_BGC_V2",
        "LSOA21CD, LSOA21NM",
        "2021",
    ),
    _ons_current(
        "ons-ward-2023-uk",
        "Wards (May 2023) Boundaries UK BGC (ONS Open Geography portal)",
        "WD_MAY_2023_UK_BGC",
        "WD23CD, WD23NM, WD23NMW",
        "2023",
    ),
    _ons_current(
        "ons-lad-2023-uk",
        "Local Authority Districts (May 2023) Boundaries UK BGC (ONS Open Geography portal)",
        "Local_Authority_Districts_May_2023_UK_BGC",
        "LAD23CD, LAD23NM, LAD23NMW",
        "2023",
    ),
    _ons_current(
        "ons-lookup-oa11-oa21",
        "OA (2011) to OA (2021) to Local Authority District (2022) exact-fit lookup, EW (ONS)",
        "OA11_OA21_LAD22_EW_LU_Exact_fit_V3",
        "OA11CD, OA21CD, CHNGIND, LAD22CD, LAD22NM",
        "2021",
        kind="lookup",
    ),
    Source(
        "oac2021",
        "ONS Output Area Classification 2021",
        "classification",
        "uk-oac2021",
        ("UK_OAC_Final.parquet", "classification_codes_and_names.csv"),
        {"UK_OAC_Final.parquet": OAC + "UK_OAC_Final.parquet"},
        "https://www.ons.gov.uk/methodology/geography/geographicalproducts/areaclassifications/2021outputareaclassification",
        "Geography_Code, Supergroup, Group, Subgroup; names: Level, Classification Code, Classification Name",
        crs="",
        attribution="Contains National Statistics data © Crown copyright and database right; " + OGL,
        vintage="2021",
    ),
    Source(
        "oac2011-leeds",
        "Output Area Classification 2011, Leeds (CDRC)",
        "classification",
        "uk-leeds-oac2011",
        ("oa_boundaries.geojson",),
        {"oa_boundaries.geojson": LEEDS + "oa_boundaries.geojson"},
        "https://data.cdrc.ac.uk/dataset/output-area-classification-2011",
        "oa_code, supgrpcode, supgrpname, grpcode, grpname, subgrpcode, subgrpname",
        crs="",
        attribution=_LEEDS_ATTR,
        vintage="2011",
    ),
    Source(
        "census2021-oa",
        "Census 2021 (England and Wales) tables at output area level",
        "census",
        "uk-census2021-oa",
        ("Table_Metadata.csv", *(f"{t}.parquet" for t in CENSUS_TABLES)),
        {
            "Table_Metadata.csv": CENSUS + "Table_Metadata.csv",
            **{f"{t}.parquet": CENSUS + f"output_data/parquet/{t}.parquet" for t in CENSUS_TABLES},
        },
        "https://www.nomisweb.co.uk/output/census/2021/census2021-ts041.zip",
        "OA + one column per category (tsNNN0001...); Table_Metadata.csv: new_names, Table_ID, Table_Name, Variable_Name",
        crs="",
        attribution="Source: Office for National Statistics licensed under the Open Government Licence v.3.0",
        vintage="2021",
    ),
    Source(
        "esd-lgsl",
        "Local Government Service List (LGSL), England and Wales",
        "lgsl",
        "esd-lgsl",
        ("englishAndWelshServices-all.csv", "govuk_local_services.csv"),
        {
            "englishAndWelshServices-all.csv": "https://raw.githubusercontent.com/mysociety/council_climate_services/"
            "3bc38ca178c3042751e581696fc23f128c0ec5eb/data/englishAndWelshServices-all.csv",
            "govuk_local_services.csv": "https://raw.githubusercontent.com/alphagov/publisher/"
            "a51e3588de140f82cd76866a3796ba69bfd331e4/data/local_services.csv",
        },
        "https://standards.esd.org.uk/?uri=list%2FenglishAndWelshServices",
        "Identifier, Label, Status, Description, Created, Modified, History notes, Type; "
        "GOV.UK: LGSL, Description, Providing Tier",
        crs="",
        licence=OGL,
        attribution="Local Government Service List © esd-toolkit (LG Inform Plus), Open Government Licence",
        vintage="2022",
    ),
)

CATALOGUE: dict[str, Source] = {s.id: s for s in SOURCES}


def get_source(source_id: str) -> Source:
    """The catalogue entry ``source_id``; an unknown id lists the known ones."""
    try:
        return CATALOGUE[source_id]
    except KeyError:
        raise KeyError(f"unknown source {source_id!r}; known: {', '.join(sorted(CATALOGUE))}") from None
