"""Attribution statements required by the sources drawn on maps and in exports."""

from __future__ import annotations

from collections.abc import Iterable

from core.levels import BY_NAME

GISCO = "© EuroGeographics for the administrative boundaries; source: Eurostat/GISCO"
ONS_OGL = (
    "Contains National Statistics data © Crown copyright and database right; Open Government Licence v3.0"
)
MODELLED = "Demand indices and bands are modelled from each area's class mix, not observed counts"
OBSERVED = (
    "Demand indices and bands use propensities observed in councils' pooled records (see the "
    "service's text view), applied to each area's class mix"
)
CHANNEL_MODELLED = (
    "Channel suitability is modelled from Census 2021 drivers of digital exclusion and an assumed "
    "baseline mix, not observed"
)


def attribution_for(levels: Iterable[str]) -> str:
    """The attribution of the boundaries and data of some area levels, GISCO first."""
    families = {BY_NAME[lv].family for lv in levels if lv in BY_NAME}
    parts = []
    if "nuts" in families:
        parts.append(GISCO)
    if "uk" in families:
        parts.append(ONS_OGL)
    return " | ".join(parts)
