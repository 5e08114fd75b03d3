"""The text view in headless Chromium: a service whose propensities come from councils' pooled
records says so, shows the observed and the modelled index per class, and hides small counts."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.demo import build_demo
from cli.main import cli
from cli.pool import run_pool
from core.settings import Settings
from tests.conftest import SYNTHETIC_EUROPE_STARTS, new_store_url
from tests.live_server import live_server
from tests.test_browser import CHROMIUM, CHROMIUM_ARGS
from tests.test_pooling import POOLED, SPARSE, Councils, _fill

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def site(synthetic, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = new_store_url("duckdb", tmp_path_factory.mktemp("pool-web"), None)
    settings = Settings(database_url=url, data_dir=synthetic.root, europe_starts=SYNTHETIC_EUROPE_STARTS)
    build_demo(settings)
    env = {"INSIGHT_DATABASE_URL": url, "INSIGHT_DATA_DIR": str(synthetic.root)}
    assert CliRunner().invoke(cli, ["load", "hierarchy"], env=env).exit_code == 0
    councils = Councils(synthetic)
    asyncio.run(_fill(settings, councils))
    run_pool(settings.model_copy(update={"pooling_min_records": councils.total}))
    with live_server(settings) as base:
        yield base


@pytest.fixture(scope="module")
def browser(site: str) -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def test_text_view_shows_observed_and_modelled(browser, site: str) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{site}/#view=text")
        article = page.locator(f"#svc-{POOLED}")
        article.wait_for(state="attached", timeout=30_000)
        article.scroll_into_view_if_needed()
        evidence = article.locator(".evidence[data-source='observed']")
        evidence.wait_for(timeout=30_000)
        text = evidence.inner_text()
        assert "Used: observed." in text and "3 councils" in text and "synthetic" in text
        rows = evidence.locator("tbody tr")
        assert rows.count() >= 2
        assert "observed" in rows.first.inner_text()
        europe = article.locator(".evidence[data-source='observed in the UK, transferred by class']")
        assert europe.count() == 1 and "no UK region" in europe.inner_text()
        assert article.locator(".propensity .tag", has_text="observed").count() >= 1
        sparse = page.locator(f"#svc-{SPARSE}")
        sparse.scroll_into_view_if_needed()
        sparse.locator(".evidence-none").first.wait_for(timeout=30_000)
        assert not errors, errors
    finally:
        page.close()
