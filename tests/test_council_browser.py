"""The council workspace page in headless Chromium against a live server on the generated store.

Signs in with a token (kept in session storage, never in the address), draws the profile bars
with their whiskers, the take-up layer and its legend, the funnel plot, downloads a CSV, and
shows the error paths: a wrong token, another council's token, signing out.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from tests.conftest import settings_variant
from tests.live_server import live_server
from tests.test_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS
from tests.test_council_profiles import TRAFFORD, Scenario, fill_workspace

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("synthetic_settings", ["duckdb"], indirect=True),
]


@pytest.fixture(scope="module")
def site(synthetic_settings: Settings, synthetic, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A live server on a copy of the generated store with two councils and Trafford's records."""
    folder = tmp_path_factory.mktemp("council-web")
    settings = settings_variant(synthetic_settings, folder)
    settings = settings.model_copy(update={"workspace_path": folder / "workspace.duckdb"})
    sc = Scenario(synthetic, uuid.uuid4().hex[:6])

    tokens = asyncio.run(fill_workspace(settings, sc, "Trafford Council", "Manchester Council"))
    with live_server(settings) as url:
        yield {"url": url, "council": sc.trafford, "oas": list(sc.trafford_oas["code"]), **tokens}


@pytest.fixture(scope="module")
def browser(site: dict) -> Iterator:
    """Chromium, started after the site is filled (Playwright keeps an event loop running)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


class CouncilPage:
    """The page, recording console errors and failed requests (but the ones a test expects)."""

    def __init__(self, browser, base: str, expect_status: tuple[int, ...] = ()) -> None:
        self.context = browser.new_context(accept_downloads=True)
        self.page = self.context.new_page()
        self.base = base
        self.expect_status = expect_status
        self.errors: list[str] = []
        self.urls: list[str] = []
        self.page.on("console", lambda m: self._console(m))
        self.page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        self.page.on("request", lambda r: self.urls.append(r.url))
        self.page.on(
            "response",
            lambda r: (
                self.errors.append(f"HTTP {r.status} {r.url}")
                if r.status >= 400 and r.status not in expect_status
                else None
            ),
        )

    def _console(self, message) -> None:
        if message.type != "error":
            return
        # Chromium logs every failed fetch on the console; the ones a test expects are not errors
        if any(f"status of {s}" in message.text for s in self.expect_status):
            return
        self.errors.append(f"console error: {message.text}")

    def open(self) -> None:
        self.page.goto(f"{self.base}/council")
        self.page.wait_for_selector("body[data-ready='true']")

    def sign_in(self, council: str, token: str) -> None:
        self.page.fill("#council-id", council)
        self.page.fill("#token", token)
        self.page.click("#signin-form button[type=submit]")

    def storage(self) -> str | None:
        return self.page.evaluate("sessionStorage.getItem('insight.council')")

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.wait_for_timeout(400)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


def test_sign_in_profile_takeup_funnel_and_download(browser, site) -> None:
    page = CouncilPage(browser, site["url"])
    try:
        page.open()
        page.sign_in(site["council"], site["token"])
        p = page.page
        p.wait_for_selector("#profile-chart svg .row", timeout=30_000)
        p.wait_for_selector("body[data-loaded='true']")
        # four supergroups, each a bar with its interval whiskers and wording
        assert p.locator("#profile-chart .row").count() == 4
        assert p.locator("#profile-chart .row .bar").count() == 4
        assert p.locator("#profile-chart .whisker").count() == 12
        assert "more likely" in p.inner_text("#profile-chart") or "average" in p.inner_text("#profile-chart")
        assert p.locator("#profile-summary .synthetic").inner_text().lower() == "synthetic"
        # the take-up layer draws the council's wards, coloured by the legend
        p.wait_for_function(
            "document.querySelectorAll('#map .leaflet-tile-container path').length >= 4", timeout=30_000
        )
        assert p.locator("#takeup-legend .legend-row").count() == 7
        fills = p.eval_on_selector_all(
            "#map .leaflet-tile-container path", "els => els.map(e => e.getAttribute('fill'))"
        )
        legend = {"#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b", "#bdbdbd", "#ffffff"}
        assert fills and set(fills) <= legend
        # the funnel plot: four limit curves and a point per shown ward
        assert p.locator("#funnel path.limit").count() == 4
        assert p.locator("#funnel circle.point").count() >= 1
        # the token is in session storage and never in any address the page asked for
        assert site["token"] in (page.storage() or "")
        assert not any(site["token"] in u for u in page.urls)
        assert site["token"] not in p.url
        # a CSV download: header first
        with p.expect_download() as info:
            p.click("button.download[data-what='profile']")
        text = Path(info.value.path()).read_text()
        assert text.splitlines()[0].startswith("council_id,classification_id,tier")
        page.shot("council-workspace")
        # output areas: the take-up layer and the funnel follow the level
        p.select_option("#level", "oa")
        p.click("#controls button[type=submit]")
        p.wait_for_selector("body[data-loaded='true']")
        p.wait_for_function(
            "document.querySelectorAll('#map .leaflet-tile-container path').length >= 20", timeout=30_000
        )
        assert "suppressed" in p.inner_text("#funnel-note")
        # a reload keeps the council signed in (same tab)
        p.reload()
        p.wait_for_selector("#profile-chart svg .row", timeout=30_000)
        assert not p.is_hidden("#workspace")
        assert page.errors == []
    finally:
        page.close()


def test_a_wrong_token_is_refused_and_nothing_is_kept(browser, site) -> None:
    page = CouncilPage(browser, site["url"], expect_status=(401,))
    try:
        page.open()
        page.sign_in(site["council"], site["token"][:-3] + "zzz")
        page.page.wait_for_selector("#signin-error:not([hidden])")
        assert "not accepted" in page.page.inner_text("#signin-error")
        assert page.page.is_hidden("#workspace")
        assert page.storage() is None
        page.shot("council-wrong-token")
        assert page.errors == []
    finally:
        page.close()


def test_another_councils_token_is_refused(browser, site) -> None:
    page = CouncilPage(browser, site["url"], expect_status=(403,))
    try:
        page.open()
        page.sign_in(site["council"], site["other"])
        page.page.wait_for_selector("#signin-error:not([hidden])")
        assert "another council" in page.page.inner_text("#signin-error")
        assert page.storage() is None
        assert page.errors == []
    finally:
        page.close()


def test_sign_out_forgets_the_token(browser, site) -> None:
    page = CouncilPage(browser, site["url"])
    try:
        page.open()
        page.sign_in(site["council"], site["token"])
        page.page.wait_for_selector("#profile-chart svg .row", timeout=30_000)
        page.page.click("#signout")
        assert page.storage() is None
        assert not page.page.is_hidden("#signin")
        page.page.reload()
        page.page.wait_for_selector("body[data-ready='true']")
        assert page.page.is_hidden("#workspace")
        assert page.errors == []
    finally:
        page.close()


UPLOAD_SERVICE = 1614


def test_upload_with_progress_and_report_then_a_refused_file(browser, site, tmp_path: Path) -> None:
    page = CouncilPage(browser, site["url"], expect_status=(422,))
    try:
        page.open()
        page.sign_in(site["council"], site["token"])
        p = page.page
        p.wait_for_selector("#profile-chart svg .row", timeout=30_000)
        good = tmp_path / "records.csv"
        rows = [
            f"{code},{UPLOAD_SERVICE},web,2025-0{1 + i % 9}-01,{7 + i % 3}"
            for i, code in enumerate(site["oas"])
        ]
        rows.append(f"E00999999,{UPLOAD_SERVICE},web,2025-01-01,1")  # an unknown area: rejected, reported
        good.write_text("area,service,channel,date,count\n" + "\n".join(rows) + "\n")
        p.set_input_files("#upload-file", str(good))
        p.click("#upload-form button[type=submit]")
        p.wait_for_selector("body[data-uploaded='ok']", timeout=30_000)
        assert p.eval_on_selector("#upload-progress", "e => e.value") == 100
        report = p.inner_text("#upload-report")
        assert f"{len(rows)} rows read" in report and f"{len(rows) - 1} matched" in report
        assert "E00999999" in report and "unknown area code" in report
        p.wait_for_selector("body[data-loaded='true']")
        page.shot("council-upload")
        # a header-only file is refused whole: the reason is shown, nothing changes
        bad = tmp_path / "empty.csv"
        bad.write_text("area,service,channel,date\n")
        p.set_input_files("#upload-file", str(bad))
        p.click("#upload-form button[type=submit]")
        p.wait_for_selector("body[data-uploaded='error']", timeout=30_000)
        assert "refused (422)" in p.inner_text("#upload-status")
        assert page.errors == []
    finally:
        page.close()


def test_the_base_can_be_another_area(browser, site) -> None:
    """ "another area…" asks for LEVEL:CODE; the profile then names that base."""
    page = CouncilPage(browser, site["url"])
    try:
        page.open()
        page.sign_in(site["council"], site["token"])
        p = page.page
        p.wait_for_selector("#profile-chart svg .row", timeout=30_000)
        assert p.is_hidden("#base-area")
        p.select_option("#base", "area")
        assert p.is_visible("#base-area")
        p.fill("#base-area", f"lad:{TRAFFORD}")
        p.click("#controls button[type=submit]")
        p.wait_for_function(
            f"document.getElementById('profile-summary').textContent.includes('({TRAFFORD})')", timeout=30_000
        )
        assert page.errors == []
    finally:
        page.close()


def test_channels_seasons_migration_costs_and_scenario(browser, site) -> None:
    page = CouncilPage(browser, site["url"])
    try:
        page.open()
        page.sign_in(site["council"], site["token"])
        p = page.page
        p.wait_for_selector("#channels-table table", timeout=30_000)
        # a header, all classes, and one row per supergroup; shares and indices or "suppressed"
        assert p.locator("#channels-table tr").count() == 6
        assert "index" in p.inner_text("#channels-table") or "suppressed" in p.inner_text("#channels-table")
        assert "SYNTHETIC" in p.inner_text("#channels-summary")
        # twelve month labels, a bar for each month with records (January's at least)
        assert p.locator("#seasons-chart g.month").count() == 12
        assert 1 <= p.locator("#seasons-chart rect.bar").count() <= 12

        def compare(periods: dict[str, str]) -> None:
            for key, value in periods.items():
                p.fill(f"#mig-{key}", value)
            p.click("#migration-form button[type=submit]")

        # migration: nothing in 2010 to compare with
        compare({"from1": "2010-01-01", "to1": "2010-12-31", "from2": "2025-01-01", "to2": "2025-12-31"})
        p.wait_for_function(
            "document.getElementById('migration-table').textContent.includes('nothing to compare')"
        )
        # January 2025 against everything before: a verdict per channel
        compare({"from1": "2000-01-01", "to1": "2024-12-31", "from2": "2025-01-01", "to2": "2025-01-31"})
        p.wait_for_function(
            "['within noise', 'a real change', 'nothing to compare'].some("
            "w => document.getElementById('migration-table').textContent.includes(w))"
        )
        # benchmarks need a service; with one, too few other councils here
        assert "Choose a service" in p.inner_text("#benchmarks")
        p.fill("#service", "1")
        p.click("#controls button[type=submit]")
        p.wait_for_function(
            "document.getElementById('benchmarks').textContent.includes('not enough councils')"
        )
        # costs: the published defaults with their source
        assert "£2.83" in p.inner_text("#costs-table") and "Socitm" in p.inner_text("#costs-table")
        # the GUIDE's example: 10,000 calls, 30 % to web
        p.fill("#move-service", "1")
        p.fill("#move-percent", "30")
        p.fill("#move-volume", "10000")
        p.click("#scenario-form button[type=submit]")
        p.wait_for_function("document.getElementById('scenario-result').textContent.includes('£8,040.00')")
        # a council's own cost for post, audited
        p.select_option("#cost-channel", "post")
        p.fill("#cost-gbp", "12.10")
        p.fill("#cost-source", "PwC, 2012")
        p.click("#cost-form button[type=submit]")
        p.wait_for_function("document.getElementById('cost-status').textContent.startsWith('Saved')")
        assert "£12.10" in p.inner_text("#costs-table")
        page.shot("council-channels")
        assert page.errors == []
    finally:
        page.close()
