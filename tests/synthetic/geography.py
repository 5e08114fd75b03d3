"""The generated geography: jittered grids of output areas nested in LSOAs, wards, districts
and NUTS regions.

Each district is a block of a grid whose inner vertices are moved by a seeded random amount,
so polygons are irregular quadrilaterals that share their edges exactly. An LSOA is a 2×2
block of output areas, a ward a block of LSOAs, a district a block of wards, and a NUTS3
region a block of grid cells holding whole districts: every level nests in the next one by
construction. Regions without districts are plain rectangles beside the grids.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

CELL = (0.015, 0.009)  # degrees of lon/lat per grid cell (about 1 km by 1 km here)


@dataclass
class Grid:
    """A jittered vertex grid: cell (c, r) is the quadrilateral between four vertices."""

    origin: tuple[float, float]
    cols: int
    rows: int
    rng: np.random.Generator
    vertices: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        x0, y0 = self.origin
        cs, rs = np.meshgrid(np.arange(self.cols + 1), np.arange(self.rows + 1), indexing="ij")
        xs, ys = x0 + cs * CELL[0], y0 + rs * CELL[1]
        inner = (cs > 0) & (cs < self.cols) & (rs > 0) & (rs < self.rows)
        xs = xs + np.where(inner, self.rng.uniform(-0.25, 0.25, xs.shape) * CELL[0], 0.0)
        ys = ys + np.where(inner, self.rng.uniform(-0.25, 0.25, ys.shape) * CELL[1], 0.0)
        self.vertices = np.round(np.stack([xs, ys], axis=-1), 6)

    def cell(self, c: int, r: int) -> shapely.Polygon:
        v = self.vertices
        return shapely.Polygon([v[c, r], v[c + 1, r], v[c + 1, r + 1], v[c, r + 1]])

    def block(self, cols: range, rows: range) -> BaseGeometry:
        """The union of a rectangle of cells (one polygon, its outline on the shared edges)."""
        return shapely.union_all([self.cell(c, r) for c in cols for r in rows])

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        x0, y0 = self.origin
        return x0, y0, x0 + self.cols * CELL[0], y0 + self.rows * CELL[1]


@dataclass(frozen=True)
class Area:
    """One generated area: code, name, level, parent code and lon/lat geometry."""

    level: str
    code: str
    name: str
    parent: str | None
    geometry: BaseGeometry
    country: str = "UK"


@dataclass(frozen=True)
class OutputArea:
    """An output area with the codes of every area above it (None where it has no boundary)."""

    code: str
    lsoa: str | None
    ward: str | None
    lad: str
    geometry: BaseGeometry | None


@dataclass
class District:
    """A district's areas at every UK level."""

    lad: Area
    wards: list[Area]
    lsoas: list[Area]
    oas: list[OutputArea]
    msoa: dict[str, str]  # lsoa code -> msoa code


def district(
    grid: Grid,
    lad: tuple[str, str],
    cols: range,
    rows: range,
    ward_size: tuple[int, int],
    ward_names: list[str],
    numbers: dict[str, int],
    lsoa_size: tuple[int, int] | None = (2, 2),
) -> District:
    """Wards of ``ward_size`` cells, LSOAs of ``lsoa_size`` cells (None: no LSOAs), one OA a cell."""
    code, name = lad
    wards, lsoas, oas, msoa = [], [], [], {}
    names = iter(ward_names)
    for wc in range(cols.start, cols.stop, ward_size[0]):
        for wr in range(rows.start, rows.stop, ward_size[1]):
            wcols, wrows = range(wc, wc + ward_size[0]), range(wr, wr + ward_size[1])
            ward_code = _next(numbers, "E05")
            wards.append(Area("ward", ward_code, next(names), code, grid.block(wcols, wrows)))
            blocks = (
                [
                    (range(lc, lc + lsoa_size[0]), range(lr, lr + lsoa_size[1]))
                    for lc in range(wc, wc + ward_size[0], lsoa_size[0])
                    for lr in range(wr, wr + ward_size[1], lsoa_size[1])
                ]
                if lsoa_size
                else [(wcols, wrows)]
            )
            msoa_code = _next(numbers, "E02")
            for lcols, lrows in blocks:
                lsoa_code = _next(numbers, "E01") if lsoa_size else None
                if lsoa_code:
                    label = f"{name} {len(lsoas) + 1:03d}{'ABCD'[len(lsoas) % 4]}"
                    lsoas.append(Area("lsoa", lsoa_code, label, code, grid.block(lcols, lrows)))
                    msoa[lsoa_code] = msoa_code
                for c in lcols:
                    for r in lrows:
                        oas.append(
                            OutputArea(_next(numbers, "E00"), lsoa_code, ward_code, code, grid.cell(c, r))
                        )
    outline = shapely.union_all([w.geometry for w in wards])
    return District(Area("lad", code, name, None, outline), wards, lsoas, oas, msoa)


def _next(numbers: dict[str, int], prefix: str) -> str:
    numbers[prefix] = numbers.get(prefix, 0) + 1
    return f"{prefix}{numbers[prefix] + numbers['base']:06d}"


def rectangle(minx: float, miny: float, maxx: float, maxy: float) -> shapely.Polygon:
    return shapely.box(minx, miny, maxx, maxy)
