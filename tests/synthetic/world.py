"""What the generated data holds: districts, NUTS regions, classes and households.

Three districts: Trafford (E08000009) and Manchester (E08000003) side by side in one grid in
NUTS3 regions UKD34 and UKD33, and Leeds (E08000035, the demo's derived district) in UKE42.
Trafford has output-area boundaries; Manchester's output areas exist only in the lookup,
the census and the classification (they reach their wards through their LSOAs); Leeds has
2011 output areas with the 2011 classification, one of them without a 2021 record, and one
2021 output area without a boundary. A few output areas elsewhere in England and Wales have
statistics but no boundary, and one Scottish output area has a class only (the census covers
England and Wales). NUTS3 regions of Ireland, France and Germany make up the twenty-odd
regions the Europe classification needs (it keeps to the loaded regions from twenty on).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from tests.synthetic.geography import Area, District, Grid, OutputArea, district, rectangle

TRAFFORD = ("E08000009", "Trafford")
MANCHESTER = ("E08000003", "Manchester")
LEEDS = ("E08000035", "Leeds")
GM_ORIGIN, GM_SIZE = (-2.45, 53.36), (16, 16)
LEEDS_ORIGIN, LEEDS_SIZE = (-1.70, 53.75), (6, 4)

# OAC 2021 (a small one): supergroup > group > subgroup, codes nested by prefix
OAC_CLASSES = {
    "1": ("Settled suburbs", {"1a": ("Leafy suburbs", ["1a1", "1a2"]), "1b": ("Older owners", ["1b1"])}),
    "2": ("Urban families", {"2a": ("Terraced families", ["2a1", "2a2"])}),
    "3": ("City renters", {"3a": ("Young renters", ["3a1"]), "3b": ("Student quarters", ["3b1", "3b2"])}),
    "4": ("Social housing estates", {"4a": ("Council estates", ["4a1"])}),
}
OAC2011_CLASSES = {
    1.0: ("Rural residents", {"1a": ("Farming communities", ["1a1", "1a2"]), "1b": ("Villages", ["1b1"])}),
    2.0: ("Cosmopolitans", {"2a": ("Students around campus", ["2a1"])}),
    3.0: ("Hard-pressed living", {"3a": ("Industrious communities", ["3a1"])}),
}

# per supergroup: tenure (outright, mortgage, shared, council, other social, private landlord,
# other private, rent free), cars (0, 1, 2, 3+), household size 1..8+, health (very good ..
# very bad), disability (a lot, a little, condition not limiting, none)
PROFILES = {
    "1": (
        [40, 40, 1, 2, 2, 10, 3, 2],
        [8, 40, 40, 12],
        [25, 40, 15, 14, 4, 1, 1, 0],
        [50, 33, 12, 4, 1],
        [6, 9, 8, 77],
    ),
    "2": (
        [15, 45, 2, 8, 5, 18, 5, 2],
        [20, 45, 28, 7],
        [20, 28, 20, 20, 8, 3, 1, 0],
        [48, 34, 12, 5, 1],
        [7, 10, 7, 76],
    ),
    "3": (
        [5, 15, 1, 10, 8, 50, 9, 2],
        [55, 35, 8, 2],
        [45, 35, 12, 5, 2, 1, 0, 0],
        [55, 32, 9, 3, 1],
        [5, 8, 9, 78],
    ),
    "4": (
        [6, 10, 1, 45, 20, 13, 3, 2],
        [50, 38, 10, 2],
        [40, 25, 14, 11, 6, 3, 1, 0],
        [38, 33, 18, 8, 3],
        [14, 13, 9, 64],
    ),
}


@dataclass
class Region:
    """A NUTS region: its code, name, country and geometry."""

    code: str
    name: str
    country: str
    geometry: shapely.Geometry

    @property
    def level(self) -> int:
        return len(self.code) - 2


@dataclass
class World:
    """Every generated area and statistic, as frames the tests can work answers out from."""

    districts: dict[str, District]
    regions: list[Region]
    oas: pd.DataFrame  # code, lsoa, ward, lad, households, subgroup, oac2011, boundary
    census: dict[str, pd.DataFrame]  # table id -> wide frame (OA + tsNNNxxxx columns)
    population: pd.DataFrame  # geo, year, sex, age, value (NUTS3 and above)
    area_km2: dict[str, float]
    root: Path = Path()  # the data directory the files were written to

    def areas(self, level: str) -> list[Area]:
        """All generated areas of a UK level (lad, ward, lsoa)."""
        out: list[Area] = []
        for d in self.districts.values():
            out += {"lad": [d.lad], "ward": d.wards, "lsoa": d.lsoas}[level]
        return out

    def oac_classes(self) -> pd.DataFrame:
        """``code, tier, parent_code, name`` of the generated OAC 2021."""
        return _class_frame(OAC_CLASSES)


def _class_frame(spec: dict) -> pd.DataFrame:
    rows = []
    for sg, (sg_name, groups) in spec.items():
        sg_code = str(int(sg)) if isinstance(sg, float) else sg
        rows.append((sg_code, "supergroup", None, sg_name))
        for g, (g_name, subs) in groups.items():
            rows.append((g, "group", sg_code, g_name))
            rows += [(s, "subgroup", g, f"{g_name} {i + 1}") for i, s in enumerate(subs)]
    return pd.DataFrame(rows, columns=["code", "tier", "parent_code", "name"])


def subgroups(spec: dict) -> list[str]:
    return [s for _, groups in spec.values() for _, subs in groups.values() for s in subs]


def build_world(seed: int = 2021) -> World:
    """The whole generated world, the same for the same seed."""
    rng = np.random.default_rng(seed)
    numbers = {"base": 900000}
    gm = Grid(GM_ORIGIN, *GM_SIZE, rng)
    trafford = district(
        gm,
        TRAFFORD,
        range(0, 8),
        range(0, 8),
        (4, 4),
        ["Altrincham", "Sale Central", "Stretford", "Urmston"],
        numbers,
    )
    manchester = district(
        gm,
        MANCHESTER,
        range(8, 16),
        range(0, 8),
        (4, 4),
        ["Ancoats", "Didsbury", "Hulme", "Moss Side"],
        numbers,
    )
    leeds_grid = Grid(LEEDS_ORIGIN, *LEEDS_SIZE, rng)
    leeds = district(
        leeds_grid,
        LEEDS,
        range(0, 6),
        range(0, 4),
        (2, 4),
        ["Headingley", "Roundhay", "Armley"],
        numbers,
        None,
    )
    districts = {d.lad.code: d for d in (trafford, manchester, leeds)}
    regions = _regions(gm, leeds_grid)
    oas = _output_areas(districts, numbers, rng)
    census = _census(oas, rng)
    population, km2 = _eurostat(regions, rng)
    return World(districts, regions, oas, census, population, km2)


def _regions(gm: Grid, leeds: Grid) -> list[Region]:
    gx0, gy0, gx1, gy1 = gm.bounds
    lx0, ly0, lx1, ly1 = leeds.bounds
    nuts3 = [
        Region("UKD34", "Greater Manchester South West", "UK", gm.block(range(0, 8), range(0, 16))),
        Region("UKD33", "Manchester", "UK", gm.block(range(8, 16), range(0, 16))),
        Region("UKD35", "Greater Manchester South East", "UK", rectangle(gx0, gy1, gx1, gy1 + 0.1)),
        Region("UKD36", "Greater Manchester North West", "UK", rectangle(gx1, gy0, gx1 + 0.16, gy1 + 0.1)),
        Region("UKE42", "Leeds", "UK", leeds.block(range(0, 6), range(0, 4))),
        Region("UKE41", "Bradford", "UK", rectangle(lx0 - 0.15, ly0 - 0.05, lx0, ly1 + 0.06)),
        Region("UKE44", "Calderdale and Kirklees", "UK", rectangle(lx0, ly0 - 0.1, lx1 + 0.06, ly0)),
        Region("UKE45", "Wakefield", "UK", rectangle(lx1, ly0, lx1 + 0.16, ly1 + 0.06)),
        *(
            Region(f"IE06{i + 1}", name, "IE", rectangle(-6.5 - 0.5 * i, 53.2, -6.0 - 0.5 * i, 53.6))
            for i, name in enumerate(["Dublin", "Mid-East", "Midland"])
        ),
        *(
            Region(
                f"FR10{i + 1}",
                name,
                "FR",
                rectangle(
                    2.0 + 0.3 * (i % 3), 48.6 + 0.2 * (i // 3), 2.3 + 0.3 * (i % 3), 48.8 + 0.2 * (i // 3)
                ),
            )
            for i, name in enumerate(
                ["Paris", "Seine-et-Marne", "Yvelines", "Essonne", "Hauts-de-Seine", "Val-d'Oise"]
            )
        ),
        *(
            Region(
                f"DE21{i + 1}",
                name,
                "DE",
                rectangle(
                    11.3 + 0.3 * (i % 2), 48.0 + 0.2 * (i // 2), 11.6 + 0.3 * (i % 2), 48.2 + 0.2 * (i // 2)
                ),
            )
            for i, name in enumerate(["Ingolstadt", "München, Kreisfreie Stadt", "Rosenheim", "Altötting"])
        ),
    ]
    names = {
        "UKD3": "Greater Manchester",
        "UKE4": "West Yorkshire",
        "IE06": "Eastern and Midland",
        "FR10": "Paris",
        "DE21": "Oberbayern",
        "UKD": "North West (England)",
        "UKE": "Yorkshire and The Humber",
        "IE0": "Ireland",
        "FR1": "Ile-de-France",
        "DE2": "Bayern",
        "UK": "United Kingdom",
        "IE": "Éire/Ireland",
        "FR": "France",
        "DE": "Deutschland",
    }
    upper = [
        Region(
            code, name, code[:2], shapely.union_all([r.geometry for r in nuts3 if r.code.startswith(code)])
        )
        for code, name in names.items()
    ]
    return nuts3 + upper


def _output_areas(
    districts: dict[str, District], numbers: dict[str, int], rng: np.random.Generator
) -> pd.DataFrame:
    """Every output area with households and classes; some without boundary or statistics."""
    subs = subgroups(OAC_CLASSES)
    rows = []
    for d in districts.values():
        for i, ward in enumerate(d.wards):
            favourite = subs[(3 * i + len(rows)) % len(subs)]
            for oa in (o for o in d.oas if o.ward == ward.code):
                rows.append(_oa_row(oa, favourite, subs, rng))
    frame = pd.DataFrame(rows)
    # Trafford's output areas have boundaries; Manchester's are known by lookup only
    frame["boundary"] = frame["lad"] != MANCHESTER[0]
    leeds = frame["lad"] == LEEDS[0]
    frame["vintage"] = np.where(leeds, "2011", "2021")
    frame["oac2011"] = None
    frame.loc[leeds, "oac2011"] = rng.choice(subgroups(OAC2011_CLASSES), int(leeds.sum()))
    # the last Leeds 2011 output area has no 2021 record: no households, no 2021 class
    gone = frame.index[leeds][-1]
    frame.loc[gone, ["households", "subgroup"]] = [np.nan, None]
    extra = [  # 2021 output areas with statistics but no boundary
        {
            "code": f"E00{numbers['base'] + 900 + i:06d}",
            "lad": lad,
            "households": float(rng.integers(60, 260)),
            "subgroup": rng.choice(subs),
            "boundary": False,
            "vintage": "2021",
        }
        for i, lad in enumerate([LEEDS[0], "E06000001", "E06000001", "E07000001", "E09000001"])
    ]
    extra.append(
        {
            "code": "W00900001",
            "lad": "W06000001",
            "households": 150.0,
            "subgroup": "1b1",
            "boundary": False,
            "vintage": "2021",
        }
    )
    frame = pd.concat([frame, pd.DataFrame(extra)], ignore_index=True)
    return frame


def _oa_row(oa: OutputArea, favourite: str, subs: list[str], rng: np.random.Generator) -> dict:
    sub = favourite if rng.random() < 0.5 else str(rng.choice(subs))
    return {
        "code": oa.code,
        "lsoa": oa.lsoa,
        "ward": oa.ward,
        "lad": oa.lad,
        "households": float(rng.integers(60, 260)),
        "subgroup": sub,
    }


def _census(oas: pd.DataFrame, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """The seven Census 2021 tables, consistent with each output area's households and class."""
    rows: dict[str, list[dict]] = {
        t: [] for t in ("ts001", "ts017", "ts037", "ts038", "ts041", "ts045", "ts054")
    }
    for oa in oas.dropna(subset=["households"]).itertuples():
        h = int(oa.households)
        tenure, cars, sizes, health, disability = (
            np.array(p, float) / sum(p) for p in PROFILES[oa.subgroup[0]]
        )
        t = rng.multinomial(h, tenure)
        c = rng.multinomial(h, cars)
        s = rng.multinomial(h, sizes)
        empty = int(rng.integers(0, 6))
        residents = int((s * np.arange(1, 9)).sum())
        communal = 25 if oa.Index % 17 == 0 else 0
        usual = residents + communal
        hl = rng.multinomial(usual, health)
        dl = rng.multinomial(usual, disability)
        rows["ts041"].append({"OA": oa.code, "ts0410001": h})
        rows["ts001"].append(
            {"OA": oa.code, "ts0010001": usual, "ts0010002": residents, "ts0010003": communal}
        )
        rows["ts017"].append(
            {
                "OA": oa.code,
                "ts0170001": h + empty,
                "ts0170002": empty,
                **{f"ts01700{i + 3:02d}": int(n) for i, n in enumerate(s)},
            }
        )
        rows["ts037"].append(
            {"OA": oa.code, "ts0370001": usual, **{f"ts037000{i + 2}": int(n) for i, n in enumerate(hl)}}
        )
        rows["ts038"].append(
            {
                "OA": oa.code,
                "ts0380001": usual,
                "ts0380002": int(dl[0] + dl[1]),
                "ts0380003": int(dl[0]),
                "ts0380004": int(dl[1]),
                "ts0380005": int(dl[2] + dl[3]),
                "ts0380006": int(dl[2]),
                "ts0380007": int(dl[3]),
            }
        )
        rows["ts045"].append(
            {"OA": oa.code, "ts0450001": h, **{f"ts045000{i + 2}": int(n) for i, n in enumerate(c)}}
        )
        rows["ts054"].append(
            {
                "OA": oa.code,
                "ts0540001": h,
                "ts0540002": int(t[0] + t[1]),
                "ts0540003": int(t[0]),
                "ts0540004": int(t[1]),
                "ts0540005": int(t[2]),
                "ts0540006": int(t[2]),
                "ts0540007": int(t[3] + t[4]),
                "ts0540008": int(t[3]),
                "ts0540009": int(t[4]),
                "ts0540010": int(t[5] + t[6]),
                "ts0540011": int(t[5]),
                "ts0540012": int(t[6]),
                "ts0540013": int(t[7]),
            }
        )
    return {k: pd.DataFrame(v).astype({c: "int32" for c in v[0] if c != "OA"}) for k, v in rows.items()}


AGES = ("Y_LT15", "Y15-64", "Y_GE65")


def _eurostat(regions: list[Region], rng: np.random.Generator) -> tuple[pd.DataFrame, dict[str, float]]:
    """Population by sex and broad age, 2016-2025 (UK to 2019), and area, for every region."""
    rows = []
    km2 = {}
    for r in (r for r in regions if r.level == 3):
        start = float(rng.integers(150_000, 1_500_000))
        growth = rng.uniform(-0.01, 0.02)
        shares = rng.dirichlet([3.0, 12.0, 3.5])
        km2[r.code] = float(rng.integers(50, 4000))
        last = 2019 if r.country == "UK" else 2025
        for year in range(2016, last + 1):
            total = start * (1 + growth) ** (year - 2016)
            for age, share in zip(AGES, shares, strict=True):
                female = round(total * share * 0.51)
                male = round(total * share * 0.49)
                rows += [
                    (r.code, year, "F", age, female),
                    (r.code, year, "M", age, male),
                    (r.code, year, "T", age, female + male),
                ]
    frame = pd.DataFrame(rows, columns=["geo", "year", "sex", "age", "value"])
    totals = frame.groupby(["geo", "year", "sex"], as_index=False)["value"].sum().assign(age="TOTAL")
    frame = pd.concat([frame, totals], ignore_index=True)
    upper = []
    for n in (4, 3, 2):
        part = frame[frame["geo"].str.len() == 5].assign(geo=lambda f, n=n: f["geo"].str[:n])
        upper.append(part.groupby(["geo", "year", "sex", "age"], as_index=False)["value"].sum())
    for n in (4, 3, 2):
        for code in {c[:n] for c in km2 if len(c) == 5}:
            km2[code] = sum(v for c, v in km2.items() if len(c) == 5 and c.startswith(code))
    return pd.concat([frame, *upper], ignore_index=True), km2
