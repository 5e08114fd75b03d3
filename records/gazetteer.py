"""What an upload is matched against: the council's postcodes, its areas and the known services.

Areas are numbered by their position in ``area_codes``; a postcode points at its output
area's position, so matching a postcode or a code gives the same small integer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa

# GSS code prefixes of the levels an upload may name, and the level each stands for
LEVEL_PREFIXES = {"E00": "oa", "W00": "oa", "E01": "lsoa", "W01": "lsoa", "E05": "ward", "W05": "ward"}


@dataclass(frozen=True)
class Gazetteer:
    """Lookups of one council: postcodes of its districts (normalised) with their output area
    and whether terminated, its OA/LSOA/ward codes with their level, and the LGSL codes."""

    postcodes: pa.Array
    postcode_area: np.ndarray  # position of each postcode's output area in ``area_codes``
    postcode_terminated: np.ndarray
    area_codes: pa.Array
    area_levels: np.ndarray
    services: frozenset[int]

    @cached_property
    def level_names(self) -> list[str]:
        return sorted(set(self.area_levels.tolist()))

    @cached_property
    def level_index(self) -> np.ndarray:
        """Each area's level as its position in :attr:`level_names`."""
        names = {n: i for i, n in enumerate(self.level_names)}
        return np.array([names[lv] for lv in self.area_levels], dtype=np.int64)

    @classmethod
    def build(
        cls,
        postcodes: Iterable[tuple[str, str, bool]],
        areas: Iterable[tuple[str, str]],
        services: Iterable[int],
    ) -> Gazetteer:
        """From ``(postcode, oa_code, terminated)`` rows, ``(code, level)`` rows and LGSL codes."""
        ars = list(areas)
        codes = pa.array([c for c, _ in ars], pa.string())
        oa_position = {c: i for i, (c, lv) in enumerate(ars) if lv == "oa"}
        pcs = [(p, oa_position[o], t) for p, o, t in postcodes if o in oa_position]
        return cls(
            postcodes=pa.array([p for p, _, _ in pcs], pa.string()),
            postcode_area=np.array([a for _, a, _ in pcs], dtype=np.int64),
            postcode_terminated=np.array([bool(t) for _, _, t in pcs], dtype=bool),
            area_codes=codes,
            area_levels=np.array([lv for _, lv in ars], dtype=object),
            services=frozenset(int(s) for s in services),
        )
