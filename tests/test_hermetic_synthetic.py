"""The generator itself: deterministic, valid polygons, every level nested in the next."""

from __future__ import annotations

import shapely

from tests.synthetic import World
from tests.synthetic.world import build_world


def _inside(inner: shapely.Geometry, outer: shapely.Geometry) -> bool:
    """Inside up to the rounding of shared vertices."""
    return inner.difference(outer).area < 1e-9 * inner.area


def test_the_same_seed_gives_the_same_world(synthetic: World) -> None:
    again = build_world()
    assert again.oas.equals(synthetic.oas)
    assert all(again.census[t].equals(synthetic.census[t]) for t in synthetic.census)
    assert [r.geometry.wkt for r in again.regions] == [r.geometry.wkt for r in synthetic.regions]
    assert not build_world(seed=7).oas["households"].equals(synthetic.oas["households"])


def test_every_polygon_is_valid_and_nested(synthetic: World) -> None:
    regions = {r.code: r for r in synthetic.regions}
    for d in synthetic.districts.values():
        assert d.lad.geometry.is_valid and d.lad.geometry.geom_type == "Polygon"
        home = [r for r in regions.values() if r.level == 3 and _inside(d.lad.geometry, r.geometry)]
        assert len(home) == 1, d.lad.code  # one NUTS3 region holds the district
        for ward in d.wards:
            assert ward.geometry.is_valid and _inside(ward.geometry, d.lad.geometry)
        for lsoa in d.lsoas:
            ward = next(w for w in d.wards if _inside(lsoa.geometry, w.geometry))
            assert all(o.ward == ward.code for o in d.oas if o.lsoa == lsoa.code)
        for oa in d.oas:
            ward = next(w for w in d.wards if w.code == oa.ward)
            assert oa.geometry.is_valid and _inside(oa.geometry, ward.geometry)
        # the output areas tile their district exactly: no gaps, no overlaps
        assert abs(sum(o.geometry.area for o in d.oas) - d.lad.geometry.area) < 1e-9
    for code, region in regions.items():
        assert region.geometry.is_valid
        if region.level > 0:
            assert _inside(region.geometry, regions[code[:-1]].geometry), code


def test_statistics_agree_with_each_other(synthetic: World) -> None:
    census = synthetic.census
    households = census["ts041"].set_index("OA")["ts0410001"]
    for table, total in (("ts054", "ts0540001"), ("ts045", "ts0450001")):
        assert census[table].set_index("OA")[total].equals(households)
    tenure = census["ts054"]
    assert (tenure[["ts0540003", "ts0540004"]].sum(axis=1) == tenure["ts0540002"]).all()
    with_households = synthetic.oas.dropna(subset=["households"])
    assert sorted(households.index) == sorted(with_households["code"])
    assert (
        households.loc[with_households["code"]].to_numpy() == with_households["households"].to_numpy()
    ).all()
