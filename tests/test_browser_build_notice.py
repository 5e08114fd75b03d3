# ruff: noqa: F811  (the browser fixture imported from test_browser is a parameter here)
"""The map page says when England and Wales is being built behind the demo, and how far."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.settings import Settings
from tests.conftest import settings_variant
from tests.live_server import live_server
from tests.test_browser import browser  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("synthetic_settings", ["duckdb"], indirect=True)]


def test_the_page_shows_a_background_build(browser, synthetic_settings: Settings, tmp_path: Path) -> None:
    settings = settings_variant(synthetic_settings, tmp_path)
    path = settings.build_progress_file
    assert path is not None
    doc = {"state": "building", "what": "England and Wales", "step": "ons-oa-2011-ew", "done": 4, "of": 9}
    path.write_text(json.dumps(doc))
    with live_server(settings) as url:
        page = browser.new_page()
        try:
            page.goto(f"{url}/")
            page.wait_for_selector("#build-notice:not([hidden])", timeout=20_000)
            text = page.inner_text("#build-notice")
            assert "England and Wales is being loaded" in text and "step 5 of 9 (ons-oa-2011-ew)" in text
            assert page.get_attribute("#build-notice progress", "value") == "44"
        finally:
            page.close()
        path.write_text(json.dumps({"state": "none"}))
        page = browser.new_page()
        try:
            page.goto(f"{url}/")
            page.wait_for_selector("body", timeout=10_000)
            page.wait_for_timeout(1500)
            assert page.is_hidden("#build-notice")
        finally:
            page.close()
