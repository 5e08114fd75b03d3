"""Response models of the JSON API (they document the OpenAPI schema)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Metric = Literal["hellinger", "euclidean", "cosine"]
Scheme = Literal["thresholds", "quantiles", "natural_breaks"]


class AreaRef(BaseModel):
    level: str
    code: str
    name: str | None = None


class AreaSummary(BaseModel):
    code: str
    name: str | None
    level: str
    country: str | None = None
    parent_code: str | None = None
    lon: float | None = None
    lat: float | None = None
    bbox: list[float] | None = Field(None, description="[minx, miny, maxx, maxy] in EPSG:4326")


class AreaPage(BaseModel):
    total: int
    limit: int
    offset: int
    items: list[AreaSummary]


class ClassShare(BaseModel):
    code: str
    name: str | None
    colour: str | None
    households: float
    share: float


class Predominant(BaseModel):
    code: str
    name: str | None
    colour: str | None
    share: float
    margin: float
    mixed: bool
    runner_up_code: str | None


class ClassificationRef(BaseModel):
    id: str
    name: str
    attribution: str | None


class ChannelMix(BaseModel):
    modelled: bool = True
    source: str = Field("modelled", description="modelled, or observed (councils' pooled records)")
    classification_id: str
    assisted_index: float = Field(
        description="Modelled likelihood of needing assisted (telephone or face-to-face) contact; 100 = England and Wales"
    )
    web: float = Field(description="Expected share of web contact (modelled)")
    telephone: float = Field(description="Expected share of telephone contact (modelled)")
    face_to_face: float = Field(description="Expected share of face-to-face contact (modelled)")
    note: str


class AreaDetail(AreaSummary):
    vintage: str | None = None
    channels: ChannelMix | None = Field(
        None,
        description="Modelled channel suitability (UK areas and UK NUTS3 regions); null elsewhere: "
        "regions outside the UK have no Census 2021 drivers of it",
    )
    parents: list[AreaRef]
    households: float | None = Field(None, description="Households (or population, see basis)")
    households_basis: Literal["households", "population"] | None = None
    classification: ClassificationRef | None
    mix: dict[str, list[ClassShare]]
    predominant: dict[str, Predominant]


class ServiceDemand(BaseModel):
    lgsl: int
    label: str
    expected: float = Field(description="Modelled expected uses (relative units unless a rate is set)")
    index: float = Field(description="Modelled demand index, 100 = national (or European) average")
    band: str


class AreaDemand(BaseModel):
    code: str
    level: str
    classification_id: str
    modelled: bool = True
    note: str
    services: list[ServiceDemand]


class SimilarArea(AreaSummary):
    similarity: float = Field(description="0–100 %, 100 = identical class mix")
    distance: float
    predominant: dict | None = None


class SimilarAreas(BaseModel):
    code: str
    level: str
    metric: Metric
    tier: str
    classification_id: str
    basis: Literal["class_shares", "variables"] = Field(
        "class_shares",
        description="What was compared: the areas' class-share vectors, or (for the base areas of a "
        "classification built from variables, one class per area) its standardised input variables",
    )
    basis_note: str | None = None
    items: list[SimilarArea]


class ProfileClass(BaseModel):
    code: str
    tier: str
    parent_code: str | None
    name: str
    colour: str | None
    description: str | None
    sort: int | None = None


class ClassificationBase(BaseModel):
    id: str
    name: str
    base_level: str = Field(description="Level its codes are assigned at (oa, nuts3)")
    tiers: list[str] = Field(description="Tier names, coarsest first")
    description: str | None
    method: str | None = None
    attribution: str | None


class ClassificationSummary(ClassificationBase):
    classes: int | None = Field(None, description="Number of classes over all tiers")


class ClassificationDetail(ClassificationBase):
    classes: list[ProfileClass] = Field(description="Every class, coarsest tier first")


class ServiceSummary(BaseModel):
    lgsl: int
    label: str
    status: str | None = None
    govuk_tier: str | None = None
    modelled: bool
    families: list[str]


class Driver(BaseModel):
    model_config = {"extra": "allow"}
    variable: str
    label: str | None = None
    weight: float | None = None


class PropensityOut(BaseModel):
    class_code: str
    tier: str
    name: str | None
    colour: str | None
    index: float
    source: str
    sample_size: int | None
    as_of: str | None


class ServiceModel(BaseModel):
    classification_id: str
    classification_name: str
    modelled: bool = True
    drivers: list[Driver]
    rationale: str | None
    rate: float | None
    propensity: list[PropensityOut]
    evidence: PooledEvidence | None = None  # councils' pooled records, when the service has them


class ServiceDetail(BaseModel):
    lgsl: int
    label: str
    description: str | None
    status: str | None
    type: str | None
    govuk_tier: str | None
    modelled: bool
    models: list[ServiceModel]
    attribution: str = "Local Government Service List (LGSL), esd-toolkit / LGA, Open Government Licence"


class PooledClassOut(BaseModel):
    class_code: str
    tier: str
    customers: float | None  # None: suppressed (1 to 5, or the next smallest class)
    households: float
    councils: int  # councils with households of the class (Europe: UK NUTS3 regions)
    observed_index: float | None
    index_low: float | None
    index_high: float | None
    modelled_index: float | None
    used: str  # the source the demand model uses for this class
    suppressed: bool
    warning: str | None


class PooledEvidence(BaseModel):
    """Councils' records pooled into observed propensities (``insight pool``)."""

    used: bool
    source: str  # observed | observed in the UK, transferred by class
    as_of: str
    sample_size: int
    councils: int
    synthetic: bool
    note: str
    classes: list[PooledClassOut]


ServiceModel.model_rebuild()
