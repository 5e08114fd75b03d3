# ruff: noqa: F811  (the browser fixture imported from test_browser is a parameter here)
"""The map's "likely contact channel" theme (modelled): tiles coloured by the assisted-contact
index, its legend, the area panel's expected mix and the text view's drivers."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from tests.conftest import settings_variant
from tests.live_server import live_server
from tests.test_browser import FEATURES, browser  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("synthetic_settings", ["duckdb"], indirect=True)]
CHANNEL_COLOURS = {"#7a0177", "#c51b8a", "#fbb4b9", "#a6dba0", "#1b7837", "#d9d9d9"}


def test_channel_theme_panel_and_text(browser, synthetic_settings: Settings, tmp_path: Path) -> None:
    settings = settings_variant(synthetic_settings, tmp_path)
    with live_server(settings) as url:
        wards = httpx.get(f"{url}/api/areas", params={"level": "ward", "limit": 5}).json()["items"]
        ward = httpx.get(f"{url}/api/areas/{wards[0]['code']}").json()
        assert ward["channels"] is not None
        page = browser.new_page(viewport={"width": 1366, "height": 820})
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        try:
            page.goto(
                f"{url}/#theme=channel&region=uk&z=11&lat={ward['lat']}&lon={ward['lon']}&area={ward['code']}"
            )
            page.wait_for_function(f"document.querySelectorAll('{FEATURES}').length >= 3", timeout=30_000)
            fills = set(
                page.eval_on_selector_all(
                    FEATURES, "els => els.map(e => (e.getAttribute('fill') || '').toLowerCase())"
                )
            )
            assert fills and fills <= CHANNEL_COLOURS, fills
            assert fills - {"#d9d9d9"}, "no area coloured by its channel index"
            page.wait_for_function(
                "document.getElementById('legend').textContent.includes('Likely contact channel')"
            )
            assert "modelled" in page.inner_text("#legend").lower()
            page.wait_for_selector("section.channels", timeout=20_000)
            panel = page.inner_text("section.channels")
            assert f"Assisted-contact index {round(ward['channels']['assisted_index'])}" in panel
            assert f"{round(100 * ward['channels']['web'])} %" in panel
            europe = httpx.get(f"{url}/api/areas", params={"level": "nuts3", "limit": 50}).json()["items"]
            outside = next(a for a in europe if not a["code"].startswith("UK"))
            page.goto(
                f"{url}/#theme=channel&region=europe&z=6&lat={outside['lat']}&lon={outside['lon']}&area={outside['code']}"
            )
            page.wait_for_function(
                "[...document.querySelectorAll('section.channels')].some(s => s.textContent.includes('Not available'))",
                timeout=20_000,
            )
            page.goto(f"{url}/#view=data&level=ward")
            page.wait_for_selector("#d-table tbody tr", timeout=30_000)
            assert "Assisted-contact index" in page.inner_text("#d-table thead")
            assert "Likely contact channels" in page.inner_text("#d-table thead")
            page.goto(f"{url}/#view=text")
            page.wait_for_selector("ul.channel-drivers li", timeout=20_000)
            assert page.locator("ul.channel-drivers li").count() == 6
            assert "assumption" in page.inner_text("#t-channels")
            assert "Not available for regions elsewhere in Europe" in page.inner_text("#t-channels")
            assert errors == []
        finally:
            page.close()
