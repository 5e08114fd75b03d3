"""The web app in a real headless Chromium against the real server on the embedded demo store.

Debian's chromium is driven by Python playwright (no browser download). Every test fails on a
console error, and each view leaves a screenshot in ``test-artifacts/``.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core.settings import Settings
from tests.live_server import live_server

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
TRAFFORD = "E08000009"
BAND_FILLS = {"#b30000", "#fc8d59", "#fee8c8", "#d9d9d9"}
FEATURES = "#map .leaflet-tile-container svg path"


@pytest.fixture(scope="session")
def demo_duckdb(request: pytest.FixtureRequest, tmp_path_factory, data_dir: Path) -> Settings:
    """The embedded (DuckDB) demo store, shared with the other tests of the session."""
    from tests.conftest import BACKENDS, _demo_store

    if "duckdb" not in BACKENDS:
        pytest.skip("the browser tests run on the DuckDB demo store")
    return _demo_store("duckdb", request, tmp_path_factory, data_dir)


@pytest.fixture(scope="module")
def base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The server under test: a live server on the demo store, or ``INSIGHT_TEST_BASE_URL`` if set."""
    running = os.environ.get("INSIGHT_TEST_BASE_URL")
    if running:
        yield running.rstrip("/")
        return
    with live_server(request.getfixturevalue("demo_duckdb")) as url:
        yield url


@pytest.fixture(scope="module")
def api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Chromium for this module only: Playwright's sync API keeps an event loop running in the
    main thread while it is open, which would break later tests that start their own loop."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class Page:
    """A browser page that records console errors and failed requests."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base = base_url
        self.errors: list[str] = []
        page.on(
            "console",
            lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on(
            "response",
            lambda r: self.errors.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None,
        )

    def open(self, hash_: str = "") -> None:
        self.page.goto(f"{self.base}/{hash_}")
        self.page.wait_for_selector("body[data-ready='true']")

    def features(self, minimum: int = 1, timeout: float = 30_000) -> int:
        """Wait until the map has drawn at least ``minimum`` vector features and tiles settled."""
        self.page.wait_for_function(
            f"document.querySelectorAll({FEATURES!r}).length >= {minimum}", timeout=timeout
        )
        self.settle()
        return self.page.locator(FEATURES).count()

    def settle(self) -> None:
        self.page.wait_for_function(
            "!document.getElementById('status').classList.contains('busy')", timeout=30_000
        )

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.wait_for_timeout(400)  # let tiles finish fading in
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)

    def state(self) -> dict[str, str]:
        fragment = urlsplit(self.page.url).fragment
        return {k: v[0] for k, v in parse_qs(fragment).items()}


@pytest.fixture
def page(browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    p = Page(context.new_page(), base_url)
    yield p
    context.close()
    assert not p.errors, "errors in the browser:\n" + "\n".join(p.errors)


def fills(p: Page) -> set[str]:
    return set(
        p.page.eval_on_selector_all(
            FEATURES, "els => els.map(e => (e.getAttribute('fill') || '').toLowerCase())"
        )
    )


def trafford_ward(api: httpx.Client) -> dict:
    items = api.get("/api/areas", params={"level": "ward", "parent": TRAFFORD, "limit": 100}).json()["items"]
    assert items, "no Trafford wards in the demo store"
    ward = next((w for w in items if w["name"] == "Altrincham"), items[0])
    return api.get(f"/api/areas/{ward['code']}").json()


def test_map_draws_features_from_europe_to_output_areas(page: Page, api: httpx.Client) -> None:
    page.open()
    assert page.features() > 50, "Europe at first sight shows NUTS regions"
    assert "NUTS" in page.page.locator("#legend").inner_text()
    attribution = page.page.locator(".leaflet-control-attribution").inner_text()
    assert "EuroGeographics" in attribution
    page.shot("map-europe")

    page.open("#z=11&lat=53.43&lon=-2.33")
    assert page.features() > 10
    assert "ward" in page.page.locator("#legend").inner_text().lower()
    page.shot("map-city")

    ward = trafford_ward(api)
    page.open(f"#z=15&lat={ward['lat']}&lon={ward['lon']}")
    assert page.features() > 5
    legend = page.page.locator("#legend").inner_text()
    assert "Output area" in legend
    assert "Open Government Licence" in page.page.locator(".leaflet-control-attribution").inner_text()
    page.shot("map-output-areas")


def test_click_a_trafford_ward_opens_its_panel(page: Page, api: httpx.Client) -> None:
    ward = trafford_ward(api)
    predominant = ward["predominant"]["supergroup"]["name"]
    page.open(f"#z=12&lat={ward['lat']}&lon={ward['lon']}")
    page.features()
    box = page.page.locator("#map").bounding_box()
    page.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.page.wait_for_selector("#hover:not([hidden])")
    assert ward["name"] in page.page.locator("#hover").inner_text()
    page.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    title = page.page.locator("#panel-title")
    title.wait_for()
    assert title.inner_text() == ward["name"]
    panel = page.page.locator("#panel")
    panel.locator(".similar-list").wait_for()
    assert predominant in panel.locator(".predominant").inner_text()
    assert ward["code"] in panel.inner_text()
    assert "Trafford" in panel.locator(".crumbs").inner_text()
    assert panel.locator(".mix-bars .bar-row").count() == len(ward["mix"]["supergroup"])
    assert "modelled" in panel.locator(".demand").inner_text().lower()
    assert page.state()["area"] == ward["code"]
    page.settle()
    page.shot("map-panel")

    # a similar area flies the map there and fills the panel with it
    first = panel.locator(".similar-list button").first
    code = first.get_attribute("data-code")
    first.click()
    page.page.wait_for_function(f"location.hash.includes('area={code}')")
    page.page.wait_for_function(
        "document.querySelector('#panel .area-code') && "
        f"document.querySelector('#panel .area-code').textContent === {code!r}"
    )


def test_keyboard_selects_the_area_at_the_map_centre(page: Page, api: httpx.Client) -> None:
    ward = trafford_ward(api)
    page.open(f"#z=12&lat={ward['lat']}&lon={ward['lon']}")
    page.features()
    page.page.locator("#map").focus()
    page.page.keyboard.press("Enter")
    page.page.locator("#panel-title").wait_for()
    assert page.page.locator("#panel-title").inner_text() == ward["name"]


def test_service_theme_recolours_map_and_legend(page: Page, api: httpx.Client) -> None:
    services = api.get("/api/services", params={"modelled": "true"}).json()
    service = services[0]
    page.open("#z=11&lat=53.43&lon=-2.33")
    page.features()
    before = fills(page)
    assert before - BAND_FILLS, "class colours before the switch"
    page.page.locator("input[name='theme'][value='service']").check()
    page.page.locator("#service-q").fill(str(service["lgsl"]))
    page.page.locator("#service-q").press("Enter")
    page.page.wait_for_function("location.hash.includes('theme=service')")
    page.page.wait_for_function(
        f"document.querySelectorAll({FEATURES!r}).length > 0 && [...document.querySelectorAll({FEATURES!r})]"
        ".every(e => ['#b30000','#fc8d59','#fee8c8','#d9d9d9'].includes(e.getAttribute('fill')))"
    )
    page.settle()
    after = fills(page)
    assert after <= BAND_FILLS and after & {"#b30000", "#fc8d59", "#fee8c8"}
    legend = page.page.locator("#legend")
    legend.locator("li[data-band]").first.wait_for()
    text = legend.inner_text()
    assert "Likely demand" in text and "MODELLED" in text.upper()
    assert service["label"] in text
    assert re.search(r"index ≥ \d+", text), "band edges in the legend"
    assert page.state()["service"] == str(service["lgsl"])
    page.shot("map-service")

    # a UK-only service over Europe: NUTS regions drawn as "no estimate", and no failed request
    uk_only = next((s for s in services if s["families"] == ["uk"]), None)
    if uk_only:
        page.open(f"#z=4&theme=service&service={uk_only['lgsl']}")
        page.features()
        page.page.wait_for_function("document.querySelector('#legend li[data-band]') !== null")
        assert "No estimate" in page.page.locator("#legend").inner_text()


def _csv_rows(text: str) -> list[dict[str, str]]:
    """Rows of a CSV that must start with its header: no comment lines, for every tool."""
    assert not any(line.startswith("#") for line in text.splitlines()), text[:200]
    return list(csv.DictReader(io.StringIO(text)))


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))
    except ValueError:
        return False


def test_data_view_rows_and_csv_match_the_api(page: Page, api: httpx.Client) -> None:
    page.open(f"#view=data&level=ward&parent={TRAFFORD}")
    body = api.get("/api/data", params={"level": "ward", "parent": TRAFFORD}).json()
    rows = page.page.locator("#d-table tbody tr")
    page.page.wait_for_function(
        f"document.querySelectorAll('#d-table tbody tr').length === {len(body['rows'])}"
    )
    assert rows.count() == body["total"] > 0
    shown = page.page.eval_on_selector_all("#d-table tbody tr", "trs => trs.map(t => t.dataset.code)")
    assert shown == [r["code"] for r in body["rows"]]
    lgsl = body["services"][0]["lgsl"]
    first = rows.first.inner_text()
    assert body["rows"][0]["name"] in first
    assert str(round(body["rows"][0][f"s{lgsl}_index"])) in first
    page.shot("data")

    with page.page.expect_download() as download:
        page.page.locator("#d-csv").click()
    ours = _csv_rows(Path(download.value.path()).read_text())
    server = _csv_rows(
        # the data view asks for the channel columns too
        api.get(
            "/api/data", params={"level": "ward", "parent": TRAFFORD, "format": "csv", "channels": "true"}
        ).text
    )
    assert [r["code"] for r in ours] == [r["code"] for r in server]
    assert list(ours[0]) == list(server[0])
    for mine, theirs in zip(ours, server, strict=True):
        for key in theirs:
            assert _same(mine[key], theirs[key]), (key, mine[key], theirs[key])

    # sort by the first service's index, descending, then filter: the CSV follows the screen
    page.page.locator(f"button.sort[data-key='s{lgsl}_index']").click()
    page.page.locator(f"button.sort[data-key='s{lgsl}_index']").click()
    page.page.wait_for_function("location.hash.includes('dir=desc')")
    codes = page.page.eval_on_selector_all("#d-table tbody tr", "trs => trs.map(t => t.dataset.code)")
    expected = [r["code"] for r in sorted(body["rows"], key=lambda r: -(r[f"s{lgsl}_index"] or 0))]
    assert codes == expected
    page.page.locator("#d-band").select_option("high")
    page.page.wait_for_function("location.hash.includes('band=high')")
    high = [
        r["code"]
        for r in sorted(body["rows"], key=lambda r: -(r[f"s{lgsl}_index"] or 0))
        if any(r[f"s{s['lgsl']}_band"] == "high" for s in body["services"])
    ]
    page.page.wait_for_function(f"document.querySelectorAll('#d-table tbody tr').length === {len(high)}")
    with page.page.expect_download() as download:
        if high:
            page.page.locator("#d-csv").click()
    if high:
        filtered = _csv_rows(Path(download.value.path()).read_text())
        assert [r["code"] for r in filtered] == high


def test_text_view_has_one_propensity_bar_per_class(page: Page, api: httpx.Client) -> None:
    page.open("#view=text")
    graph = page.page.locator(".propensity-bars").first
    graph.wait_for(timeout=30_000)
    cid, tier = graph.get_attribute("data-classification"), graph.get_attribute("data-tier")
    classes = api.get(f"/api/classifications/{cid}").json()["classes"]
    assert graph.locator(".bar-row").count() == len([c for c in classes if c["tier"] == tier]) > 1
    article = page.page.locator("article.service").first
    assert "modelled" in article.inner_text().lower()
    assert article.locator(".drivers li").count() >= 1
    page.page.locator("#t-classes article.classification").first.wait_for()
    assert page.page.locator("#t-classes .where").count() > 0
    page.page.locator(".toc a[href='#classes-h']").click()  # an in-page link keeps the view
    assert page.page.locator("#view-text").is_visible()
    assert page.state().get("view") == "text"
    page.settle()
    page.shot("text")


def test_copied_url_restores_the_screen_and_history_works(page: Page, browser, api: httpx.Client) -> None:
    ward = trafford_ward(api)
    service = api.get("/api/services", params={"modelled": "true"}).json()[0]
    page.open()
    page.features()
    # a place search flies to the ward and selects it (keyboard only)
    page.page.locator("#place-q").focus()
    page.page.keyboard.type(ward["name"])
    page.page.locator("#place-results [role='option']").first.wait_for()
    page.page.keyboard.press("ArrowDown")
    page.page.keyboard.press("Enter")
    page.page.wait_for_function(f"location.hash.includes('area={ward['code']}')")
    page.page.locator("#panel-title").wait_for()
    page.page.wait_for_function(
        "Number(new URLSearchParams(location.hash.slice(1)).get('z')) >= 11", timeout=15_000
    )
    page.features()
    page.page.locator("#panel .demand button").first.click()  # colour the map by that service
    page.page.wait_for_function("location.hash.includes('theme=service')")
    page.features()
    copied = page.page.url
    state = page.state()

    other = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        twin = Page(other.new_page(), page.base)
        twin.page.goto(copied)
        twin.page.wait_for_selector("body[data-ready='true']")
        twin.features()
        twin.page.locator("#panel-title").wait_for()
        assert twin.page.locator("#panel-title").inner_text() == ward["name"]
        assert twin.page.locator("input[name='theme'][value='service']").is_checked()
        assert twin.state() == state
        centre = twin.page.evaluate(
            "(() => { const c = insightMap.getCenter(); return [insightMap.getZoom(), c.lat, c.lng]; })()"
        )
        assert centre[0] == float(state["z"])
        assert abs(centre[1] - float(state["lat"])) < 1e-3 and abs(centre[2] - float(state["lon"])) < 1e-3
        assert not twin.errors, twin.errors
    finally:
        other.close()

    # back and forward walk through views
    page.page.locator(".tabs a[data-view='data']").click()
    page.page.locator("#view-data").wait_for(state="visible")
    page.page.go_back()
    page.page.locator("#view-map").wait_for(state="visible")
    assert page.page.locator("#view-data").is_hidden()
    page.page.go_forward()
    page.page.locator("#view-data").wait_for(state="visible")
    assert service["lgsl"]  # the service list is not empty


def test_phone_width_has_no_sideways_scroll(browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        p = Page(context.new_page(), base_url)
        p.open("#z=10&lat=53.43&lon=-2.33")
        p.features()
        width = p.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert width <= 1
        p.shot("map-phone")
        p.page.locator(".tabs a[data-view='text']").click()
        p.page.locator(".propensity-bars").first.wait_for(timeout=30_000)
        assert p.page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
        assert not p.errors, p.errors
    finally:
        context.close()


def test_server_errors_are_shown_clearly(page: Page) -> None:
    page.open("#view=data&level=ward&services=999999")
    alert = page.page.locator("#error")
    alert.wait_for(state="visible")
    assert "404" in alert.inner_text() or "not modelled" in alert.inner_text()
    page.errors = [e for e in page.errors if "404" not in e]  # the 404 is the point here
