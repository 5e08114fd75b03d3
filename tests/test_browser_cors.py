"""Cross-origin reads in a real browser: a page on another origin fetches our tiles and JSON.

Chromium sends the real preflight (``If-None-Match`` is not a simple header) and enforces the
answer: the page can read the tile's ``ETag`` and ``X-Tile-*`` headers, and a council route
stays unreadable. The page is served by the same server under ``localhost``, the API is called
as ``127.0.0.1``: two origins.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.settings import Settings
from tests.conftest import settings_variant
from tests.live_server import live_server
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

READ = """async (url) => {
  try {
    const r = await fetch(url, {headers: {'If-None-Match': '"nothing"'}});
    return {status: r.status, etag: r.headers.get('ETag'), level: r.headers.get('X-Tile-Level'),
            link: r.headers.get('Link')};
  } catch (e) { return {error: String(e)}; }
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def test_a_page_on_another_origin_reads_tiles_but_not_council_routes(
    browser, synthetic_settings: Settings, tmp_path: Path
) -> None:
    settings = settings_variant(synthetic_settings, tmp_path)
    with live_server(settings) as base:
        other_origin = base.replace("127.0.0.1", "localhost")
        page = browser.new_page()
        try:
            page.goto(f"{other_origin}/api/levels")
            tile = page.evaluate(READ, f"{base}/tiles/ward/12/2015/1319.mvt")
            csv = page.evaluate(READ, f"{base}/api/export/ward.csv?parent=E08000009")
            council = page.evaluate(READ, f"{base}/api/councils/leeds/uploads")
        finally:
            page.close()
    assert tile.get("status") in (200, 204) and tile["etag"] and tile["level"] == "ward", tile
    assert csv.get("status") == 200 and 'rel="describedby"' in csv["link"], csv
    assert "error" in council, council  # the browser refuses: no CORS headers on council routes
