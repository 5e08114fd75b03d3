# ruff: noqa: F811  (the fixtures imported from test_browser are parameters here)
"""The data and text views in Chromium: a place name in "Within", class names, demand read as an
index and a band (never a count without a usage rate), and the text view's layout shift, size
and accessibility (axe-core from npm, run in the page).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from core.settings import Settings
from tests.live_server import live_server
from tests.test_browser import TRAFFORD, Page, browser, demo_duckdb  # noqa: F401

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="module")
def base_url(demo_duckdb: Settings) -> Iterator[str]:
    with live_server(demo_duckdb) as url:
        yield url


@pytest.fixture(scope="module")
def api(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


@pytest.fixture
def page(browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1366, "height": 820}, accept_downloads=True)
    p = Page(context.new_page(), base_url)
    yield p
    context.close()
    assert not p.errors, "errors in the browser:\n" + "\n".join(p.errors)


def _codes(p: Page) -> list[str]:
    return p.page.eval_on_selector_all("#d-table tbody tr", "trs => trs.map(t => t.dataset.code)")


def test_within_takes_a_place_name(page: Page, api: httpx.Client) -> None:
    wards = api.get("/api/data", params={"level": "ward", "parent": TRAFFORD, "limit": 1000}).json()
    page.open("#view=data")
    page.page.locator("#d-level").select_option("ward")
    page.page.locator("#d-parent").fill("Trafford")
    page.page.locator("#data-form button[type='submit']").click()
    page.page.wait_for_function(f"location.hash.includes('parent={TRAFFORD}')")
    page.page.wait_for_function(f"document.querySelectorAll('#d-table tbody tr').length === {wards['total']}")
    assert sorted(_codes(page)) == sorted(r["code"] for r in wards["rows"])
    assert "Within Trafford (E08000009" in page.page.locator("#d-parent-note").inner_text()
    assert page.page.locator("#d-parent").input_value() == TRAFFORD

    # lower case code works too; an unknown name says what the box needs, with no table
    page.page.locator("#d-parent").fill("nowhere-at-all")
    page.page.locator("#data-form button[type='submit']").click()
    note = page.page.locator("#d-parent-note")
    page.page.wait_for_function("document.getElementById('d-parent-note').innerText.includes('No area')")
    assert "name or code of a larger area" in note.inner_text()
    assert page.page.locator("#d-table tbody tr").count() == 0
    assert page.page.locator("#d-csv").is_disabled()


def test_data_view_names_classes_and_reads_demand_as_an_index(page: Page, api: httpx.Client) -> None:
    body = api.get("/api/data", params={"level": "ward", "parent": TRAFFORD}).json()
    service = body["services"][0]
    assert service["rate"] is None, "the demo sets no usage rate"
    page.open(f"#view=data&level=ward&parent={TRAFFORD}")
    page.page.wait_for_function(f"document.querySelectorAll('#d-table tbody tr').length === {body['total']}")
    heads = page.page.eval_on_selector_all(
        "#d-table thead tr:last-child th", "ths => ths.map(t => t.innerText.trim())"
    )
    assert "Class code" not in heads and "Predominant class" in heads
    assert not any("Expected" in h for h in heads), "no count-like column without a usage rate"
    lgsl = service["lgsl"]
    keys = page.page.eval_on_selector_all(
        "#d-table thead tr:last-child th button", "bs => bs.map(b => b.dataset.key)"
    )
    assert keys.index(f"s{lgsl}_index") < keys.index(f"s{lgsl}_band") < keys.index(f"s{lgsl}_share")
    first = body["rows"][0]
    row = page.page.locator(f"#d-table tbody tr[data-code='{first['code']}']")
    cells = row.locator("td, th").all_inner_texts()
    assert first["predominant_name"] in cells
    assert first["predominant_code"] not in cells, "a bare class code on screen"
    share = 100 * first[f"s{lgsl}_expected"] / sum(r[f"s{lgsl}_expected"] for r in body["rows"])
    assert f"{share:.1f}%" in cells
    assert str(round(first[f"s{lgsl}_index"])) in cells
    assert round(first[f"s{lgsl}_expected"]) not in {
        int(c.replace(",", "")) for c in cells if c.replace(",", "").isdigit()
    }
    assert "no counts" in page.page.locator("#d-count").inner_text()


def _layout_shift(p: Page) -> float:
    return float(
        p.page.evaluate(
            """new Promise((done) => {
              let total = 0;
              new PerformanceObserver((list) => {
                for (const e of list.getEntries()) if (!e.hadRecentInput) total += e.value;
              }).observe({ type: 'layout-shift', buffered: true });
              setTimeout(() => done(total), 500);
            })"""
        )
    )


def test_text_view_is_stable_small_and_accessible(browser, base_url: str) -> None:
    context = browser.new_context(viewport={"width": 412, "height": 823}, is_mobile=True, has_touch=True)
    try:
        p = Page(context.new_page(), base_url)
        p.open("#view=text")
        p.page.locator(".propensity-bars").first.wait_for(timeout=30_000)
        p.page.locator("#t-classes article.classification").first.wait_for()
        p.settle()
        p.page.wait_for_timeout(500)
        shift = _layout_shift(p)
        assert shift < 0.1, f"cumulative layout shift {shift:.3f}"
        nodes = p.page.evaluate("document.getElementsByTagName('*').length")
        assert nodes < 1500, f"{nodes} DOM nodes"
        # opening a classification's sub-classes renders them on demand
        details = p.page.locator("#t-classes details").first
        details.locator("summary").click()
        details.locator("li.class").first.wait_for()
        assert not p.errors, p.errors
    finally:
        context.close()


@pytest.mark.parametrize("hash_", ["#view=text", "#z=11&lat=53.43&lon=-2.33"])
def test_axe_finds_no_violations(page: Page, hash_: str) -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in frontend/")
    page.open(hash_)
    if "text" in hash_:
        page.page.locator(".propensity-bars").first.wait_for(timeout=30_000)
    else:
        page.features()
    page.settle()
    page.page.add_script_tag(path=str(AXE))
    result = page.page.evaluate("axe.run(document, { resultTypes: ['violations'] })")
    violations = [
        f"{v['id']}: {v['help']} ({len(v['nodes'])}: {v['nodes'][0]['target']})" for v in result["violations"]
    ]
    assert not violations, "\n".join(violations)
