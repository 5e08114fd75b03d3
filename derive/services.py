"""The modelled services: which LGSL services get a modelled propensity, and from what.

Each driver is a share computed per base area from real tables (Census 2021 for output areas,
Eurostat for NUTS3 regions). The rationale says why the driver plausibly moves demand; it is
shown with the service in the API so every modelled number can be questioned.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CensusDriver:
    """A Census 2021 share per output area: sum(numerator) / sum(denominator)."""

    variable: str
    label: str
    numerator: tuple[str, ...]
    denominator: tuple[str, ...]
    table: str


HOUSEHOLDS_17 = tuple(f"ts01700{i:02d}" for i in range(3, 11))  # households of 1..8+ people

CENSUS_DRIVERS: dict[str, CensusDriver] = {
    d.variable: d
    for d in (
        CensusDriver(
            "social_rented",
            "Households renting from a social landlord",
            ("ts0540007",),
            ("ts0540001",),
            "TS054",
        ),
        CensusDriver(
            "private_rented", "Households renting privately", ("ts0540010",), ("ts0540001",), "TS054"
        ),
        CensusDriver(
            "owned_outright", "Households owning their home outright", ("ts0540003",), ("ts0540001",), "TS054"
        ),
        CensusDriver(
            "mortgage", "Households owning with a mortgage or loan", ("ts0540004",), ("ts0540001",), "TS054"
        ),
        CensusDriver("owned", "Households owning their home", ("ts0540002",), ("ts0540001",), "TS054"),
        CensusDriver("no_car", "Households with no car or van", ("ts0450002",), ("ts0450001",), "TS045"),
        CensusDriver(
            "two_cars",
            "Households with two or more cars or vans",
            ("ts0450004", "ts0450005"),
            ("ts0450001",),
            "TS045",
        ),
        CensusDriver("one_person", "One-person households", ("ts0170003",), HOUSEHOLDS_17, "TS017"),
        CensusDriver(
            "large_household",
            "Households of four or more people",
            tuple(f"ts01700{i:02d}" for i in range(6, 11)),
            HOUSEHOLDS_17,
            "TS017",
        ),
        CensusDriver(
            "bad_health",
            "Residents in bad or very bad health",
            ("ts0370005", "ts0370006"),
            ("ts0370001",),
            "TS037",
        ),
        CensusDriver(
            "disabled", "Residents disabled under the Equality Act", ("ts0380002",), ("ts0380001",), "TS038"
        ),
        CensusDriver(
            "disabled_lot",
            "Residents whose day-to-day activities are limited a lot",
            ("ts0380003",),
            ("ts0380001",),
            "TS038",
        ),
    )
}

EUROPE_DRIVERS: dict[str, str] = {
    "share_lt15": "Share of the population aged under 15 (Eurostat demo_r_pjanaggr3)",
    "share_ge65": "Share of the population aged 65 or over (Eurostat demo_r_pjanaggr3)",
    "share_15_64": "Share of the population aged 15 to 64 (Eurostat demo_r_pjanaggr3)",
}


@dataclass(frozen=True)
class ServiceSpec:
    lgsl: int
    drivers: dict[str, float]  # driver variable → weight
    rationale: str
    europe: dict[str, float] | None = None  # Eurostat drivers, when modelled for NUTS3 too
    europe_rationale: str | None = None


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec(
        279,
        {"disabled_lot": 0.7, "bad_health": 0.3},
        "Blue Badges go to people with severe mobility problems: driven by residents whose "
        "activities are limited a lot, with poor general health as a secondary signal.",
    ),
    ServiceSpec(
        280,
        {"no_car": 0.5, "disabled": 0.3, "owned_outright": 0.2},
        "Concessionary bus passes matter most where households have no car; eligibility comes "
        "with disability or pension age (outright ownership stands in for older households).",
        {"share_ge65": 1.0},
        "Older people's passes: driven by the share aged 65 or over.",
    ),
    ServiceSpec(
        70,
        {"social_rented": 0.6, "private_rented": 0.4},
        "Housing benefit is paid to tenants on low incomes: social and private renters.",
    ),
    ServiceSpec(
        64,
        {"social_rented": 0.5, "bad_health": 0.25, "no_car": 0.25},
        "Council tax support follows low income: social renting, poor health and having no car "
        "are the census signals of it we hold.",
    ),
    ServiceSpec(
        12,
        {"large_household": 1.0},
        "Nursery places follow families with young children, which the census shows as larger households.",
        {"share_lt15": 1.0},
        "Driven by the share of children under 15.",
    ),
    ServiceSpec(
        13,
        {"large_household": 1.0},
        "Primary school places follow families with children: households of four or more.",
        {"share_lt15": 1.0},
        "Driven by the share of children under 15.",
    ),
    ServiceSpec(
        14,
        {"large_household": 1.0},
        "Secondary school places follow families with children: households of four or more.",
        {"share_lt15": 1.0},
        "Driven by the share of children under 15.",
    ),
    ServiceSpec(
        705,
        {"large_household": 0.7, "private_rented": 0.3},
        "Admission appeals follow school-age families; families who move (renters) more often "
        "miss their first choice.",
    ),
    ServiceSpec(
        4,
        {"large_household": 0.5, "social_rented": 0.5},
        "Free school meals go to children of low-income families: larger households in social housing.",
    ),
    ServiceSpec(
        716,
        {"private_rented": 0.8, "one_person": 0.2},
        "Houses in multiple occupation are privately rented shared homes, common where single people rent.",
    ),
    ServiceSpec(
        1801,
        {"private_rented": 1.0},
        "Inspections of private rented housing scale with the private rented stock.",
    ),
    ServiceSpec(
        1800,
        {"social_rented": 0.4, "private_rented": 0.4, "one_person": 0.2},
        "Homelessness assessments come mostly from renters, especially single people.",
    ),
    ServiceSpec(
        141,
        {"social_rented": 1.0},
        "Housing repairs are requested by council and housing association tenants.",
    ),
    ServiceSpec(
        292,
        {"disabled_lot": 0.5, "bad_health": 0.3, "one_person": 0.2},
        "Residential care follows severe disability and poor health, more so for people living alone.",
        {"share_ge65": 1.0},
        "Driven by the share aged 65 or over.",
    ),
    ServiceSpec(
        313,
        {"disabled_lot": 0.5, "one_person": 0.3, "owned_outright": 0.2},
        "Community alarms serve people living alone with limiting conditions, often older owners.",
        {"share_ge65": 1.0},
        "Driven by the share aged 65 or over.",
    ),
    ServiceSpec(
        178,
        {"disabled_lot": 0.8, "owned": 0.2},
        "Home adaptations follow disability; owners adapt their own homes more often.",
    ),
    ServiceSpec(
        137,
        {"disabled_lot": 0.7, "owned_outright": 0.3},
        "Disabled facilities grants follow disability, and are claimed mostly by owner-occupiers.",
    ),
    ServiceSpec(
        1755,
        {"disabled": 0.5, "bad_health": 0.5},
        "Carers' assessments follow the number of people needing care: disability and poor health.",
    ),
    ServiceSpec(
        530,
        {"owned": 0.5, "two_cars": 0.5},
        "Garden waste collections are taken up by owner-occupied suburban houses with gardens, "
        "which the census shows as ownership and two or more cars.",
    ),
    ServiceSpec(
        854,
        {"disabled_lot": 1.0},
        "Assisted bin collections are for residents who cannot move their bins: severe disability.",
    ),
    ServiceSpec(
        189,
        {"social_rented": 0.5, "bad_health": 0.25, "disabled": 0.25},
        "Welfare rights advice is sought by people on low incomes or with health conditions.",
    ),
    ServiceSpec(
        891,
        {"large_household": 0.6, "two_cars": 0.4},
        "School transport follows families with children, more so in car-dependent areas far from schools.",
        {"share_lt15": 1.0},
        "Driven by the share of children under 15.",
    ),
)


def driver_list(weights: dict[str, float], europe: bool = False) -> list[dict]:
    """The drivers of a model as stored in ``service_model.drivers`` (JSON)."""
    out = []
    total = sum(weights.values())
    for variable, weight in weights.items():
        if europe:
            label, table = EUROPE_DRIVERS[variable], "demo_r_pjanaggr3"
        else:
            d = CENSUS_DRIVERS[variable]
            label, table = d.label, f"Census 2021 {d.table}"
        out.append(
            {"variable": variable, "label": label, "weight": round(weight / total, 4), "source": table}
        )
    return out
