"""A council's profile, take-up, funnel and take-up tiles, on the generated store of both backends.

Aggregates are written straight into ``workspace.service_count`` (as an upload leaves them)
and every answer is recomputed here by hand from the generated households.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import math
import uuid
from collections.abc import Iterator

import mapbox_vector_tile
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import Settings
from core.store import open_reader
from core.store.queries import profiles as q
from core.tiling import lonlat_to_tile
from records import access
from tests.conftest import settings_variant

TRAFFORD, MANCHESTER = "E08000009", "E08000003"
LGSL = 1
OTHER_LGSL = 2


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Scenario:
    """Two councils, Trafford's records and the answers worked out by hand."""

    def __init__(self, world, suffix: str) -> None:
        oas = world.oas
        self.trafford_oas = oas[oas["lad"] == TRAFFORD].sort_values("code").reset_index(drop=True)
        self.manchester_oa = oas[oas["lad"] == MANCHESTER].sort_values("code")["code"].iloc[0]
        self.trafford = f"trafford-{suffix}"
        self.manchester = f"manchester-{suffix}"
        counts = {}
        for i, row in self.trafford_oas.iterrows():
            # every output area at least 6, but the one of subgroup 3a1 (so group 3a) has 3
            counts[row["code"]] = 3 if row["subgroup"] == "3a1" else 6 + (int(i) % 7)
        self.oa_counts = counts
        self.lsoa = self.trafford_oas["lsoa"].iloc[0]
        self.lsoa_contacts = 20
        self.outside_contacts = 9

    def rows(self, upload_id: str) -> list[q.ServiceCountInsert]:
        month = dt.date(2025, 1, 1)
        out = [
            q.ServiceCountInsert(upload_id, self.trafford, "oa", code, LGSL, "web", month, -1, n)
            for code, n in self.oa_counts.items()
        ]
        out.append(
            q.ServiceCountInsert(
                upload_id, self.trafford, "lsoa", self.lsoa, LGSL, "telephone", month, -1, self.lsoa_contacts
            )
        )
        out.append(
            q.ServiceCountInsert(
                upload_id,
                self.trafford,
                "oa",
                self.manchester_oa,
                LGSL,
                "web",
                month,
                -1,
                self.outside_contacts,
            )
        )
        # another service: 10 contacts in each of twenty output areas, 2 from outside the district
        out += [
            q.ServiceCountInsert(upload_id, self.trafford, "oa", code, OTHER_LGSL, "post", month, -1, 10)
            for code in self.trafford_oas["code"].iloc[:20]
        ]
        out.append(
            q.ServiceCountInsert(
                upload_id, self.trafford, "oa", self.manchester_oa, OTHER_LGSL, "post", month, -1, 2
            )
        )
        return out

    def customers(self, tier_len: int) -> pd.Series:
        """Customers per class code (its first ``tier_len`` characters) by hand."""
        oas = self.trafford_oas.assign(cls=self.trafford_oas["subgroup"].str[:tier_len])
        whole = oas.assign(n=oas["code"].map(self.oa_counts)).groupby("cls")["n"].sum().astype(float)
        part = oas[oas["lsoa"] == self.lsoa].groupby("cls")["households"].sum()
        shares = part / part.sum() * self.lsoa_contacts
        return whole.add(shares, fill_value=0.0)

    def base(self, tier_len: int) -> pd.Series:
        oas = self.trafford_oas.assign(cls=self.trafford_oas["subgroup"].str[:tier_len])
        return oas.groupby("cls")["households"].sum().astype(float)


async def fill_workspace(
    settings: Settings, sc: Scenario, trafford_name: str, manchester_name: str
) -> dict[str, str]:
    """Two councils (Trafford with the scenario's synthetic aggregates, Manchester empty):
    their tokens as ``{"token", "other"}``."""
    store = await open_reader(settings)
    try:
        _, token = await access.create_council(store, trafford_name, [TRAFFORD], sc.trafford)
        _, other = await access.create_council(store, manchester_name, [MANCHESTER], sc.manchester)
        upload_id = f"u-{uuid.uuid4().hex[:8]}"
        async with store.unit_of_work() as uow:
            await uow.execute(
                q.insert_upload(
                    upload_id=upload_id,
                    council_id=sc.trafford,
                    content_hash=upload_id,
                    source_name="records.csv",
                    synthetic=True,
                    rows=100,
                )
            )
            for statement in q.insert_service_counts(sc.rows(upload_id)):
                await uow.execute(statement)
        return {"token": token, "other": other}
    finally:
        await store.close()


@pytest.fixture(scope="module")
def world_store(synthetic_settings: Settings, synthetic, tmp_path_factory: pytest.TempPathFactory):
    """A copy of the generated store with two councils and Trafford's aggregates."""
    settings = settings_variant(synthetic_settings, tmp_path_factory.mktemp("profiles"))
    sc = Scenario(synthetic, uuid.uuid4().hex[:6])

    tokens = asyncio.run(fill_workspace(settings, sc, sc.trafford.title(), sc.manchester.title()))
    return settings, sc, tokens


@pytest.fixture(scope="module")
def client(world_store) -> Iterator[TestClient]:
    settings, _, _ = world_store
    with TestClient(create_app(settings)) as c:
        yield c


def test_profile_recomputed_by_hand(client: TestClient, world_store) -> None:
    _, sc, tokens = world_store
    answer = client.get(
        f"/api/councils/{sc.trafford}/profile?service={LGSL}", headers=bearer(tokens["token"])
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"].startswith("private")
    doc = answer.json()
    assert doc["tier"] == "supergroup" and doc["base"]["kind"] == "districts"
    c, b = sc.customers(1), sc.base(1)
    big_c, big_b = c.sum(), b.sum()
    assert doc["customers"]["classified"] == pytest.approx(big_c, abs=0.05)
    assert doc["customers"]["outside_area"] == sc.outside_contacts
    assert doc["base"]["households"] == pytest.approx(big_b, abs=0.05)
    assert doc["source"]["synthetic"] is True and "synthetic" in doc["source"]["customers"]
    rows = {r["code"]: r for r in doc["classes"]}
    for code in b.index:
        r = rows[code]
        assert not r["suppressed"]
        index = 100 * (c[code] / big_c) / (b[code] / big_b)
        assert r["customers"] == pytest.approx(c[code], abs=0.05)
        assert r["base_households"] == pytest.approx(b[code], abs=0.05)
        assert r["index"] == pytest.approx(index, abs=0.06)
        assert r["penetration"] == pytest.approx(100 * c[code] / b[code], abs=0.001)
        p_c, p_b = c[code] / big_c, b[code] / big_b
        z = (p_c - p_b) / math.sqrt(p_b * (1 - p_b) / big_c)
        assert r["z"] == pytest.approx(z, abs=0.006)
        assert r["significant"] == (abs(z) > 2)
        assert r["index_low"] < r["index"] < r["index_high"]
        assert r["wording"]


def test_small_counts_are_suppressed_with_what_would_reveal_them(client: TestClient, world_store) -> None:
    _, sc, tokens = world_store
    headers = bearer(tokens["token"])
    groups = {
        r["code"]: r
        for r in client.get(
            f"/api/councils/{sc.trafford}/profile?tier=group&service={LGSL}", headers=headers
        ).json()["classes"]
    }
    # group 3a holds one output area of 3 contacts (the LSOA record lies elsewhere): suppressed;
    # supergroup 3 = 3a + 3b is shown, so 3b is suppressed too
    assert sc.customers(2)["3a"] == 3
    assert groups["3a"]["suppressed"] and groups["3a"]["customers"] is None
    assert groups["3a"]["index"] is None and groups["3a"]["wording"] is None
    assert groups["3b"]["suppressed"] and groups["3b"]["customers"] is None
    assert groups["3a"]["base_households"] > 0  # the census base is public
    assert not groups["1a"]["suppressed"]
    sgs = {
        r["code"]: r
        for r in client.get(f"/api/councils/{sc.trafford}/profile?service={LGSL}", headers=headers).json()[
            "classes"
        ]
    }
    assert not sgs["3"]["suppressed"]
    subs = {
        r["code"]: r
        for r in client.get(
            f"/api/councils/{sc.trafford}/profile?tier=subgroup&service={LGSL}", headers=headers
        ).json()["classes"]
    }
    # 3a1 is 3a; 3b is suppressed, so one of 3b1/3b2 must be as well
    assert subs["3a1"]["suppressed"]
    assert subs["3b1"]["suppressed"] or subs["3b2"]["suppressed"]
    # the CSV says "suppressed", never 0
    text = client.get(
        f"/api/councils/{sc.trafford}/profile?tier=group&format=csv&service={LGSL}", headers=headers
    ).text
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["3a"]["customers"] == "suppressed" and rows["3a"]["index"] == "suppressed"


def test_a_small_count_outside_hides_the_record_total_not_the_profile(
    client: TestClient, world_store
) -> None:
    _, sc, tokens = world_store
    doc = client.get(
        f"/api/councils/{sc.trafford}/profile?service={OTHER_LGSL}", headers=bearer(tokens["token"])
    ).json()
    assert doc["service"]["lgsl"] == OTHER_LGSL
    assert doc["customers"]["classified"] == 200
    # 2 contacts from outside the district: suppressed, and the count of all records with them
    assert doc["customers"]["outside_area"] is None and doc["customers"]["all_records"] is None
    assert doc["customers"]["unclassified"] == 0
    every = client.get(f"/api/councils/{sc.trafford}/profile", headers=bearer(tokens["token"])).json()
    assert every["customers"]["outside_area"] == sc.outside_contacts + 2


def test_profile_csv_is_header_first_and_names_base_and_source(client: TestClient, world_store) -> None:
    _, sc, tokens = world_store
    answer = client.get(f"/api/councils/{sc.trafford}/profile?format=csv", headers=bearer(tokens["token"]))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["cache-control"].startswith("private")
    frame = pd.read_csv(io.StringIO(answer.text))
    assert frame.columns[0] == "council_id" and len(frame) == 4
    assert set(frame["base"]) == {f"{sc.trafford.title()}'s districts"}
    assert all("synthetic" in s for s in frame["source"])
    assert frame["index"].astype(float).notna().all()


def test_base_and_customer_area_choices(client: TestClient, world_store) -> None:
    _, sc, tokens = world_store
    headers = bearer(tokens["token"])
    ew = client.get(f"/api/councils/{sc.trafford}/profile?base=ew", headers=headers).json()
    assert ew["base"]["label"] == "England and Wales"
    assert ew["base"]["households"] > sc.base(1).sum()
    ward = sc.trafford_oas["ward"].iloc[0]
    only = client.get(
        f"/api/councils/{sc.trafford}/profile?area=ward:{ward}&service={LGSL}", headers=headers
    ).json()
    oas = sc.trafford_oas[sc.trafford_oas["ward"] == ward]
    expected = sum(sc.oa_counts[c] for c in oas["code"]) + sc.lsoa_contacts  # the LSOA lies in that ward
    assert only["customers"]["classified"] == pytest.approx(expected, abs=0.05)
    bad = client.get(f"/api/councils/{sc.trafford}/profile?base=nowhere", headers=headers)
    assert bad.status_code == 400 and bad.headers["content-type"] == "application/problem+json"
    missing = client.get(f"/api/councils/{sc.trafford}/profile?base=ward:E05999999", headers=headers)
    assert missing.status_code == 404
    assert client.get(f"/api/councils/{sc.trafford}/profile?tier=nope", headers=headers).status_code == 400


def test_takeup_adds_up_and_matches_a_hand_computation(client: TestClient, world_store) -> None:
    _, sc, tokens = world_store
    headers = bearer(tokens["token"])
    doc = client.get(f"/api/councils/{sc.trafford}/takeup?service={LGSL}&level=oa", headers=headers).json()
    assert doc["level"] == "oa" and len(doc["areas"]) == len(sc.trafford_oas)
    # at output-area level only output-area records count: rates are c_t / b_t of those
    oas = sc.trafford_oas.assign(
        sg=sc.trafford_oas["subgroup"].str[:1], n=sc.trafford_oas["code"].map(sc.oa_counts)
    )
    rate = oas.groupby("sg")["n"].sum() / oas.groupby("sg")["households"].sum()
    areas = {a["code"]: a for a in doc["areas"]}
    for _, row in oas.iterrows():
        a = areas[row["code"]]
        e = row["households"] * rate[row["sg"]]
        assert a["expected"] == pytest.approx(e, abs=0.006)
        if a["suppressed"]:
            assert a["observed"] is None and a["index"] is None
        else:
            assert a["observed"] == row["n"]
            assert a["index"] == pytest.approx(100 * row["n"] / e, abs=0.06)
    assert sum(a["expected"] for a in doc["areas"]) == pytest.approx(oas["n"].sum(), abs=0.1)
    # the one output area of 3 contacts is suppressed, and (the total being shown) one more
    assert doc["totals"]["suppressed_areas"] >= 2
    assert doc["totals"]["not_placed_at_level"] == sc.lsoa_contacts
    assert doc["legend"][0]["colour"].startswith("#")


def test_takeup_at_lsoa_counts_lsoa_records_and_protects_output_areas(
    client: TestClient, world_store
) -> None:
    _, sc, tokens = world_store
    headers = bearer(tokens["token"])
    doc = client.get(f"/api/councils/{sc.trafford}/takeup?level=lsoa&service={LGSL}", headers=headers).json()
    areas = {a["code"]: a for a in doc["areas"]}
    oas = sc.trafford_oas
    first = oas[oas["lsoa"] == sc.lsoa]
    assert areas[sc.lsoa]["observed"] == sum(sc.oa_counts[c] for c in first["code"]) + sc.lsoa_contacts
    # the LSOA holding the 3-contact output area is shown: so another of its output areas is hidden
    small = oas[oas["subgroup"] == "3a1"].iloc[0]
    at_oa = {
        a["code"]: a
        for a in client.get(
            f"/api/councils/{sc.trafford}/takeup?level=oa&service={LGSL}", headers=headers
        ).json()["areas"]
    }
    if not areas[small["lsoa"]]["suppressed"]:
        siblings = oas[(oas["lsoa"] == small["lsoa"]) & (oas["code"] != small["code"])]["code"]
        assert any(at_oa[c]["suppressed"] for c in siblings)


def test_takeup_csv_and_funnel(client: TestClient, world_store) -> None:
    _, sc, tokens = world_store
    headers = bearer(tokens["token"])
    text = client.get(f"/api/councils/{sc.trafford}/takeup?level=ward&format=csv", headers=headers).text
    frame = pd.read_csv(io.StringIO(text))
    assert len(frame) == 4 and frame.columns[0] == "council_id"
    funnel = client.get(f"/api/councils/{sc.trafford}/funnel?level=oa&service={LGSL}", headers=headers).json()
    limits = funnel["limits"]["limits"]
    assert set(limits) >= {"expected", "lower_95", "upper_95", "lower_99.8", "upper_99.8"}
    assert all(p["index"] is not None for p in funnel["points"])
    assert funnel["left_out"]["suppressed"] + len(funnel["points"]) <= len(sc.trafford_oas)
    assert funnel["left_out"]["suppressed"] >= 2


def test_takeup_tiles_are_private_and_carry_the_values(client: TestClient, world_store, synthetic) -> None:
    _, sc, tokens = world_store
    headers = bearer(tokens["token"])
    ward = next(a for a in synthetic.areas("ward") if a.code == sc.trafford_oas["ward"].iloc[0])
    point = ward.geometry.representative_point()
    z = 12
    x, y = lonlat_to_tile(point.x, point.y, z)
    answer = client.get(
        f"/api/councils/{sc.trafford}/takeup/tiles/{z}/{x}/{y}.mvt?level=ward", headers=headers
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"].startswith("private")
    layer = mapbox_vector_tile.decode(answer.content)["takeup"]
    props = {f["properties"]["code"]: f["properties"] for f in layer["features"]}
    assert ward.code in props
    expected = {
        a["code"]: a
        for a in client.get(f"/api/councils/{sc.trafford}/takeup?level=ward", headers=headers).json()["areas"]
    }
    assert props[ward.code]["band"] == expected[ward.code]["band"]
    assert "synthetic" in props[ward.code]["source"]
    assert props[ward.code]["expected"] == pytest.approx(expected[ward.code]["expected"], abs=0.01)
    bad = client.get(f"/api/councils/{sc.trafford}/takeup/tiles/{z}/{x}/{y}.mvt?tier=nope", headers=headers)
    assert bad.status_code == 400
    # another council's token, or none: no tile
    assert client.get(f"/api/councils/{sc.trafford}/takeup/tiles/{z}/{x}/{y}.mvt").status_code == 401
    assert (
        client.get(
            f"/api/councils/{sc.trafford}/takeup/tiles/{z}/{x}/{y}.mvt", headers=bearer(tokens["other"])
        ).status_code
        == 403
    )


def test_a_suppressed_area_is_drawn_as_suppressed_without_its_count(
    client: TestClient, world_store, synthetic
) -> None:
    _, sc, tokens = world_store
    headers = bearer(tokens["token"])
    small = sc.trafford_oas[sc.trafford_oas["subgroup"] == "3a1"]["code"].iloc[0]
    oa = next(o for d in synthetic.districts.values() for o in d.oas if o.code == small)
    point = oa.geometry.representative_point()
    z = 14
    x, y = lonlat_to_tile(point.x, point.y, z)
    answer = client.get(
        f"/api/councils/{sc.trafford}/takeup/tiles/{z}/{x}/{y}.mvt?level=oa&service={LGSL}", headers=headers
    )
    assert answer.status_code == 200, answer.text
    props = {
        f["properties"]["code"]: f["properties"]
        for f in mapbox_vector_tile.decode(answer.content)["takeup"]["features"]
    }
    assert props[small]["band"] == "suppressed"
    assert "observed" not in props[small] and "takeup_index" not in props[small]
    assert props[small]["expected"] > 0  # the expectation comes from the public census


ROUTES = [
    "profile",
    "profile?format=csv",
    "takeup",
    "takeup?format=csv",
    "funnel",
    "takeup/tiles/12/2030/1300.mvt",
]


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_needs_the_councils_own_token(client: TestClient, world_store, route: str) -> None:
    _, sc, tokens = world_store
    url = f"/api/councils/{sc.trafford}/{route}"
    none = client.get(url)
    assert none.status_code == 401 and none.headers["content-type"] == "application/problem+json"
    assert client.get(url, headers=bearer(tokens["token"] + "x")).status_code == 401
    other = client.get(url, headers=bearer(tokens["other"]))
    assert other.status_code == 403 and other.json()["title"] == "Forbidden"


def test_another_council_sees_only_its_own_records(client: TestClient, world_store) -> None:
    _, sc, tokens = world_store
    doc = client.get(f"/api/councils/{sc.manchester}/profile", headers=bearer(tokens["other"])).json()
    # Trafford's record in a Manchester output area is Trafford's, not Manchester's
    assert doc["customers"]["all_records"] is None or doc["customers"]["all_records"] == 0
    assert all(r["customers"] in (0, None) for r in doc["classes"])
    assert doc["source"]["uploads"] == 0


def test_formula_looking_text_is_escaped_in_csv() -> None:
    from app.tabular import to_csv

    text = to_csv(["name", "z"], [{"name": '=HYPERLINK("http://x")', "z": -2.5}, {"name": "+1", "z": None}])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["name", "z"]
    assert rows[1] == ['\'=HYPERLINK("http://x")', "-2.5"]
    assert rows[2] == ["'+1", ""]


UPLOAD_SERVICE = 1614  # an LGSL code the generated service list holds


def test_an_upload_end_to_end_profile_and_takeup_by_hand(client: TestClient, world_store) -> None:
    """Records uploaded through the upload route give the profile and take-up worked out here;
    deleting the upload takes them away again (the take-up kept per data version follows)."""
    _, sc, _ = world_store
    store = client.app.state.store  # type: ignore[attr-defined]
    council_id = f"upload-{uuid.uuid4().hex[:6]}"
    _, token = client.portal.call(access.create_council, store, council_id.title(), [TRAFFORD], council_id)  # type: ignore[union-attr]
    headers = bearer(token)
    oas = sc.trafford_oas
    counts = {code: 6 + (i % 5) for i, code in enumerate(oas["code"])}
    body = "area,service,channel,date,count\n" + "".join(
        f"{code},{UPLOAD_SERVICE},web,2025-03-0{1 + i % 9},{n}\n"
        for i, (code, n) in enumerate(counts.items())
    )
    empty = client.get(
        f"/api/councils/{council_id}/takeup?level=oa&service={UPLOAD_SERVICE}", headers=headers
    )
    assert empty.status_code == 200 and empty.json()["totals"]["observed"] == 0
    posted = client.post(
        f"/api/councils/{council_id}/uploads",
        content=body.encode(),
        headers={**headers, "Content-Type": "text/csv"},
        params={"name": "records.csv"},
    )
    assert posted.status_code == 201, posted.text
    doc = client.get(f"/api/councils/{council_id}/profile?service={UPLOAD_SERVICE}", headers=headers).json()
    c = oas.assign(sg=oas["subgroup"].str[:1], n=oas["code"].map(counts)).groupby("sg")["n"].sum()
    b = oas.assign(sg=oas["subgroup"].str[:1]).groupby("sg")["households"].sum()
    rows = {r["code"]: r for r in doc["classes"]}
    for code in b.index:
        assert rows[code]["customers"] == c[code]
        assert rows[code]["index"] == pytest.approx(100 * (c[code] / c.sum()) / (b[code] / b.sum()), abs=0.06)
    assert doc["source"]["uploads"] == 1 and doc["source"]["synthetic"] is False
    assert doc["source"]["date_from"] == "2025-03-01"
    takeup = client.get(
        f"/api/councils/{council_id}/takeup?level=oa&service={UPLOAD_SERVICE}", headers=headers
    )
    assert takeup.json()["totals"]["observed"] == sum(counts.values())
    upload_id = posted.json()["upload_id"]
    assert (
        client.delete(f"/api/councils/{council_id}/uploads/{upload_id}", headers=headers).status_code == 204
    )
    after = client.get(
        f"/api/councils/{council_id}/takeup?level=oa&service={UPLOAD_SERVICE}", headers=headers
    )
    assert after.json()["totals"]["observed"] == 0
    gone = client.get(f"/api/councils/{council_id}/profile?service={UPLOAD_SERVICE}", headers=headers).json()
    assert gone["customers"]["classified"] == 0 and gone["source"]["uploads"] == 0


def test_area_values_refuse_bad_property_names_and_lengths() -> None:
    from core.store.tile_source import AreaValues

    AreaValues(codes=("a", "b"), numbers={"x": (1.0, None)}, texts={"band": ("low", None)})
    with pytest.raises(ValueError, match="bad property name"):
        AreaValues(codes=("a",), numbers={"x; DROP TABLE area": (1.0,)}, texts={})
    with pytest.raises(ValueError, match="bad property name"):
        AreaValues(codes=("a",), numbers={}, texts={"code": ("z",)})
    with pytest.raises(ValueError, match="1 values for 2 areas"):
        AreaValues(codes=("a", "b"), numbers={"x": (1.0,)}, texts={})


def test_contacts_per_class_and_channel_add_up_to_the_profile(client: TestClient, world_store) -> None:
    """Web contacts are the output-area records, telephone the apportioned LSOA records."""
    from app.council_data import CouncilRef, contacts_by_month, customer_counts_by_channel, districts_area

    _, sc, _ = world_store
    council = CouncilRef(sc.trafford, sc.trafford.title(), (TRAFFORD,))
    store = client.app.state.store  # the server's own store: one embedded store per process

    async def read() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        area = districts_area(council)
        cid = "oac2021"
        wide = await customer_counts_by_channel(store, council, LGSL, cid, "supergroup", area)
        later = await customer_counts_by_channel(
            store,
            council,
            LGSL,
            cid,
            "supergroup",
            area,
            period=(dt.date(2025, 2, 1), dt.date(2025, 12, 31)),
        )
        months = await contacts_by_month(store, council, None)
        return wide, later, months

    wide, later, months = client.portal.call(read)
    assert list(wide.columns) == ["telephone", "web"]
    expected = sc.customers(1)
    assert wide.sum(axis=1).to_dict() == pytest.approx(expected.to_dict())
    oas = sc.trafford_oas.assign(cls=sc.trafford_oas["subgroup"].str[:1])
    web = oas.assign(n=oas["code"].map(sc.oa_counts)).groupby("cls")["n"].sum()
    assert wide["web"].to_dict() == pytest.approx(web.astype(float).to_dict())
    assert later.empty  # every record is of January 2025
    jan = months.loc[dt.date(2025, 1, 1)]
    total_oa = sum(sc.oa_counts.values()) + sc.outside_contacts
    assert jan["web"] == total_oa and jan["telephone"] == sc.lsoa_contacts and jan["post"] == 202
