"""One loader per source kind; each runs in one transaction and replaces its source's rows."""

from boundaries.loaders.areas import load_boundaries, load_dissolved
from boundaries.loaders.census import load_census
from boundaries.loaders.classification import (
    ClassificationSpec,
    load_classification,
    load_oac2011_leeds,
    load_oac2021,
    read_assignments,
    read_classes,
)
from boundaries.loaders.eurostat import dims_key, load_eurostat
from boundaries.loaders.lgsl import load_lgsl
from boundaries.loaders.lookups import LinkSpec, load_lookup
from boundaries.loaders.nuts import load_nuts
from boundaries.loaders.spatial import link_by_point

__all__ = [
    "ClassificationSpec",
    "LinkSpec",
    "dims_key",
    "link_by_point",
    "load_boundaries",
    "load_census",
    "load_classification",
    "load_dissolved",
    "load_eurostat",
    "load_lgsl",
    "load_lookup",
    "load_nuts",
    "load_oac2011_leeds",
    "load_oac2021",
    "read_assignments",
    "read_classes",
]
