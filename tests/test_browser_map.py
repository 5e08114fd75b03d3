# ruff: noqa: F811  (the fixtures imported from test_browser are parameters here)
"""The map page in Chromium at a laptop's size: layout, keyboard, tile requests, basemap (drawn
from a local stub and the fallback when it is unreachable), the UK / Europe switch and the
notice for a UK-only service. Nothing here reaches the internet.
"""

from __future__ import annotations

import shutil
import struct
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from tests.live_server import free_port, live_server
from tests.test_browser import FEATURES, TRAFFORD, Page, browser, demo_duckdb, trafford_ward  # noqa: F401

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1366, "height": 820}


def _png(rgba: tuple[int, int, int, int], size: int = 256) -> bytes:
    """A plain square RGBA PNG, made here so the stub needs no image library."""
    row = b"\x00" + bytes(rgba) * size
    raw = zlib.compress(row * size)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


class TileStub:
    """A local XYZ tile server: an opaque grey tile for the basemap, a transparent one for labels."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        stub = self
        base = _png((200, 200, 200, 255))
        labels = _png((0, 0, 0, 0))

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                stub.requests.append(self.path)
                tile = labels if self.path.startswith("/labels/") else base
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Content-Length", str(len(tile)))
                self.end_headers()
                self.wfile.write(tile)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> TileStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def stub() -> Iterator[TileStub]:
    with TileStub() as s:
        yield s


def _serve(settings: Settings, copy_to: Path | None = None, **update: object) -> Iterator[str]:
    """A live server with some settings changed; ``copy_to``: on a copy of the store, since one
    process cannot open the same DuckDB file twice with different settings."""
    if copy_to is not None:
        copy = copy_to / settings.duckdb_path.name
        shutil.copyfile(settings.duckdb_path, copy)
        update = {"database_url": f"duckdb:///{copy}", "workspace_path": None, **update}
    with live_server(settings.model_copy(update=update)) as url:
        yield url


@pytest.fixture(scope="module")
def plain_url(demo_duckdb: Settings) -> Iterator[str]:
    """The server with its default settings: no basemap, opens on Europe."""
    yield from _serve(demo_duckdb)


@pytest.fixture(scope="module")
def basemap_url(
    tmp_path_factory: pytest.TempPathFactory, demo_duckdb: Settings, stub: TileStub
) -> Iterator[str]:
    yield from _serve(
        demo_duckdb,
        tmp_path_factory.mktemp("basemap"),
        basemap_url=f"{stub.url}/base/{{z}}/{{x}}/{{y}}.png",
        basemap_attribution="© Stub basemap",
        basemap_labels_url=f"{stub.url}/labels/{{z}}/{{x}}/{{y}}.png",
    )


@pytest.fixture(scope="module")
def unreachable_url(tmp_path_factory: pytest.TempPathFactory, demo_duckdb: Settings) -> Iterator[str]:
    closed = free_port()  # nothing listens there: every basemap tile fails to connect
    yield from _serve(
        demo_duckdb,
        tmp_path_factory.mktemp("unreachable"),
        basemap_url=f"http://127.0.0.1:{closed}/{{z}}/{{x}}/{{y}}.png",
        basemap_attribution="© Nowhere",
    )


@pytest.fixture(scope="module")
def uk_url(tmp_path_factory: pytest.TempPathFactory, demo_duckdb: Settings) -> Iterator[str]:
    yield from _serve(demo_duckdb, tmp_path_factory.mktemp("uk"), initial_view="uk")


@pytest.fixture(scope="module")
def api(plain_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=plain_url, timeout=30) as client:
        yield client


def _page(browser, base: str, viewport: dict[str, int] = LAPTOP):
    context = browser.new_context(viewport=viewport)
    return context, Page(context.new_page(), base)


@pytest.fixture
def laptop(browser, plain_url: str) -> Iterator[Page]:
    context, p = _page(browser, plain_url)
    yield p
    context.close()
    assert not p.errors, "errors in the browser:\n" + "\n".join(p.errors)


def _map_box(p: Page) -> dict[str, float]:
    return p.page.evaluate(
        "(() => { const r = document.getElementById('map').getBoundingClientRect();"
        " return {top: r.top, height: r.height, bottom: r.bottom, centre: r.top + r.height / 2,"
        " viewport: window.innerHeight, scroll: document.documentElement.scrollHeight}; })()"
    )


def _in_view(p: Page, lat: float, lon: float) -> bool:
    return bool(p.page.evaluate(f"insightMap.getBounds().contains([{lat}, {lon}])"))


def test_selecting_an_area_keeps_the_map_in_the_window(laptop: Page, api: httpx.Client) -> None:
    ward = trafford_ward(api)
    tiles: list[str] = []
    laptop.page.on("request", lambda r: tiles.append(r.url) if ".mvt" in r.url else None)
    laptop.open(f"#z=12&lat={ward['lat']}&lon={ward['lon']}")
    laptop.features()
    # one view of a 742 × 717 px map needs at most 4 × 4 tiles of 256 px
    assert 0 < len(tiles) <= 16, f"{len(tiles)} tile requests for one view"
    before = _map_box(laptop)
    assert before["height"] <= before["viewport"] and before["bottom"] <= before["viewport"]

    laptop.page.locator("#map").focus()
    laptop.page.keyboard.press("Enter")
    laptop.page.locator("#panel .similar-list").wait_for()
    assert laptop.page.locator("#panel-title").inner_text() == ward["name"]
    after = _map_box(laptop)
    assert after["height"] == before["height"], "the panel must not stretch the map"
    assert 0 < after["centre"] < after["viewport"], "the map centre stays on screen"
    assert after["scroll"] <= after["viewport"] + 1, "the page itself does not scroll"
    panel = laptop.page.evaluate(
        "(() => { const p = document.getElementById('panel'); return [p.scrollHeight, p.clientHeight]; })()"
    )
    assert panel[0] > panel[1], "the panel scrolls on its own"

    # Enter again on the focused map still selects the area at the centre
    laptop.page.locator("#map").focus()
    laptop.page.keyboard.press("Enter")
    assert laptop.page.locator("#panel-title").inner_text() == ward["name"]

    # "+" zooms in about the centre: the area stays in view
    zoom = laptop.page.evaluate("insightMap.getZoom()")
    laptop.page.keyboard.press("+")
    laptop.page.wait_for_function(f"insightMap.getZoom() > {zoom}")
    laptop.settle()
    assert _in_view(laptop, ward["lat"], ward["lon"])
    assert laptop.state()["area"] == ward["code"]
    assert _map_box(laptop)["height"] == before["height"]
    laptop.shot("map-laptop-panel")


def test_no_basemap_by_default(laptop: Page) -> None:
    laptop.open("#z=11&lat=53.43&lon=-2.33")
    laptop.features()
    assert laptop.page.locator("#map").get_attribute("data-basemap") == "none"
    assert laptop.page.locator("#basemap-box").is_hidden()
    assert laptop.page.locator("#map img.leaflet-tile").count() == 0


def test_basemap_under_the_areas_and_labels_above(browser, basemap_url: str, stub: TileStub) -> None:
    context, p = _page(browser, basemap_url)
    try:
        p.open("#z=11&lat=53.43&lon=-2.33")
        p.features()
        p.page.wait_for_function("document.getElementById('map').dataset.basemap === 'on'")
        assert any(r.startswith("/base/11/") for r in stub.requests)
        assert any(r.startswith("/labels/11/") for r in stub.requests)
        assert p.page.locator("#map .basemap img.leaflet-tile-loaded").count() > 0
        # stacking: basemap below the areas, labels above them
        order = p.page.evaluate(
            """(() => {
              const z = (el) => Number(getComputedStyle(el).zIndex) || 0;
              const base = document.querySelector('#map .basemap img').closest('.leaflet-layer');
              const areas = document.querySelector('#map .leaflet-tile-container svg').closest('.leaflet-layer');
              const labels = document.querySelector('#map .basemap-labels img').closest('.leaflet-pane');
              const tilePane = document.querySelector('#map .leaflet-tile-pane');
              return {base: z(base), areas: z(areas), labels: z(labels), tiles: z(tilePane),
                      labelEvents: getComputedStyle(labels).pointerEvents};
            })()"""
        )
        assert order["base"] < order["areas"] and order["labels"] > order["tiles"], order
        assert order["labelEvents"] == "none"
        assert "Stub basemap" in p.page.locator(".leaflet-control-attribution").inner_text()
        # the opacity slider sets the areas' opacity and lives in the URL
        box = p.page.locator("#basemap-box")
        assert box.is_visible()
        opacity = "(() => getComputedStyle(document.querySelector('#map .leaflet-tile-container svg')"
        opacity += ".closest('.leaflet-layer')).opacity)()"
        assert float(p.page.evaluate(opacity)) == pytest.approx(0.7)
        p.page.locator("#opacity").fill("0.4")
        p.page.wait_for_function("location.hash.includes('opacity=0.4')")
        assert float(p.page.evaluate(opacity)) == pytest.approx(0.4)
        assert p.page.locator("#opacity-value").inner_text() == "40%"
        # clicking still selects an area through the labels
        m = p.page.locator("#map").bounding_box()
        p.page.mouse.click(m["x"] + m["width"] / 2, m["y"] + m["height"] / 2)
        p.page.locator("#panel-title").wait_for()
        p.shot("map-basemap")
        assert not p.errors, p.errors
    finally:
        context.close()


def test_unreachable_basemap_falls_back_to_plain_areas(browser, unreachable_url: str) -> None:
    context, p = _page(browser, unreachable_url)
    try:
        p.open("#z=11&lat=53.43&lon=-2.33")
        p.features()
        p.page.wait_for_function("document.getElementById('map').dataset.basemap === 'unavailable'")
        assert p.page.locator("#map img.leaflet-tile").count() == 0, "the failed basemap is removed"
        assert "cannot be reached" in p.page.locator("#basemap-status").inner_text()
        assert p.page.locator("#opacity").is_disabled()
        layer = "(() => getComputedStyle(document.querySelector('#map .leaflet-tile-container svg')"
        layer += ".closest('.leaflet-layer')).opacity)()"
        assert float(p.page.evaluate(layer)) == 1.0, "areas drawn solid without a basemap"
        assert p.page.locator(FEATURES).count() > 10
        assert "Nowhere" not in p.page.locator(".leaflet-control-attribution").inner_text()
        # the browser reports each refused tile; those are the point of this test
        others = [e for e in p.errors if "ERR_CONNECTION_REFUSED" not in e]
        assert not others, others
    finally:
        context.close()


def test_uk_officers_can_open_on_the_uk_with_oac_names(browser, uk_url: str) -> None:
    context, p = _page(browser, uk_url)
    try:
        p.open()
        p.features()
        assert p.page.locator("#region button[data-region='uk']").get_attribute("aria-pressed") == "true"
        zoom = p.page.evaluate("insightMap.getZoom()")
        assert zoom <= 7, "continental zoom, yet UK areas"
        legend = p.page.locator("#legend")
        p.page.wait_for_function("document.querySelectorAll('#legend li[data-code]').length > 0")
        text = legend.inner_text()
        assert "European average" not in text
        assert "Local authority district" in text
        levels = set(
            p.page.evaluate(
                "Object.values(insightMap._layers).filter(l => l._vectorTiles)"
                ".flatMap(l => Object.values(l._vectorTiles)).flatMap(t => "
                "Object.values(t._features || {})).map(f => f.feature.properties.level)"
            )
        )
        assert levels == {"lad"}, levels
        oac = httpx.get(f"{uk_url}/api/classifications/oac2021").json()["classes"]
        names = {c["name"] for c in oac if c["tier"] == "supergroup"}
        shown = set(
            p.page.eval_on_selector_all(
                "#legend li[data-code]:not([data-code='mixed']):not([data-code='none']) span:not(.swatch)",
                "s => s.map(x => x.textContent)",
            )
        )
        assert shown and shown <= names, shown
        p.shot("map-uk")

        # the switch goes to Europe (NUTS regions, their classes) and back
        p.page.locator("#region button[data-region='europe']").click()
        p.page.wait_for_function("location.hash.includes('region=europe')")
        p.page.wait_for_function("insightMap.getZoom() === 4")
        p.features()
        p.page.wait_for_function("document.querySelector('#legend').innerText.includes('NUTS')")
        p.page.locator("#region button[data-region='uk']").click()
        p.page.wait_for_function("!location.hash.includes('region=')")
        p.features()
        p.page.wait_for_function("!document.querySelector('#legend').innerText.includes('NUTS')")
        assert not p.errors, p.errors
    finally:
        context.close()


def test_europe_by_default_with_a_switch_to_the_uk(laptop: Page) -> None:
    laptop.open()
    laptop.features()
    assert laptop.page.locator("#region button[data-region='europe']").get_attribute("aria-pressed") == "true"
    laptop.page.locator("#region button[data-region='uk']").click()
    laptop.page.wait_for_function("location.hash.includes('region=uk')")
    laptop.page.wait_for_function(
        "document.querySelector('#legend').innerText.includes('Local authority district')"
    )
    laptop.features()
    assert "European average" not in laptop.page.locator("#legend").inner_text()
    # a copied link keeps the region
    assert "region=uk" in laptop.page.url


def test_uk_only_service_over_europe_says_so(laptop: Page, api: httpx.Client) -> None:
    services = api.get("/api/services", params={"modelled": "true"}).json()
    uk_only = next((s for s in services if s["families"] == ["uk"]), None)
    europe = [s for s in services if "europe" in s["families"]]
    if uk_only is None:
        pytest.skip("the demo store models no UK-only service")
    laptop.open(f"#z=4&theme=service&service={uk_only['lgsl']}")
    laptop.features()
    notice = laptop.page.locator("#map-notice")
    notice.wait_for(state="visible")
    text = notice.inner_text()
    assert "modelled for the UK only — zoom into the UK" in text
    assert uk_only["label"] in text
    for s in europe:
        assert s["label"] in text
    laptop.shot("map-uk-only-notice")
    notice.get_by_role("button", name="Zoom into the UK").click()
    laptop.page.wait_for_function("location.hash.includes('region=uk')")
    notice.wait_for(state="hidden")
    laptop.features()
    fills = set(laptop.page.eval_on_selector_all(FEATURES, "els => els.map(e => e.getAttribute('fill'))"))
    assert fills & {"#b30000", "#fc8d59", "#fee8c8"}, "UK areas carry demand bands"
    if europe:  # a Europe service over Europe: no notice
        laptop.open(f"#z=4&theme=service&service={europe[0]['lgsl']}")
        laptop.features()
        laptop.page.wait_for_timeout(500)
        assert notice.is_hidden()


def test_a_link_to_an_area_opens_on_it(laptop: Page, api: httpx.Client) -> None:
    ward = trafford_ward(api)
    laptop.open(f"#area={ward['code']}")
    laptop.page.locator("#panel-title").wait_for()
    laptop.page.wait_for_function("insightMap.getZoom() >= 11", timeout=15_000)
    laptop.settle()
    assert _in_view(laptop, ward["lat"], ward["lon"])
    assert laptop.page.locator("#panel-title").inner_text() == ward["name"]
