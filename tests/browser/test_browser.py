"""Real-browser tests: the page loads on the default sample, draws a graph, runs a classify."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def _open(browser, app_url: str):  # returns a Playwright Page
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    page.wait_for_selector(IDLE, timeout=60_000)
    return page


def _choose(page, label: str, option: str) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=60_000)


def test_app_opens_on_sample_and_shows_signature_table(
    app_url: str,
    browser,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    page = _open(browser, app_url)
    expect(page.get_by_text("Model flowers_tf1", exact=False)).to_be_visible(timeout=30_000)
    tables = page.get_by_test_id("stDataFrame")
    # Overview, inputs, outputs: wait for the third (the page draws them one by one).
    expect(tables.nth(2)).to_be_visible(timeout=30_000)
    assert tables.count() >= 3
    expect(page.get_by_test_id("stTable").first).to_be_visible()  # the verdicts
    expect(page.get_by_text("Would TF Serving accept it?")).to_be_visible()
    page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
    assert (tmp_path / "app.png").stat().st_size > 10_000
    page.close()


def test_classify_flow_on_a_sample(app_url: str, browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = _open(browser, app_url)
    _choose(page, "Signature", "classify_images")
    page.get_by_role("tab", name="Run", exact=True).click()
    page.get_by_role("button", name="Run classify").click()
    heading = page.get_by_text("Classification results")
    expect(heading).to_be_visible(timeout=120_000)  # TensorFlow may still be loading
    heading.scroll_into_view_if_needed()
    results = page.get_by_test_id("stDataFrame").filter(has_text="daisy")
    expect(results.first).to_be_visible()
    page.screenshot(path=str(tmp_path / "classify.png"))
    page.close()


def test_deep_link_runs_then_presentation_view(app_url: str, browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(f"{app_url}/?sample=flowers_tf1&case=classify_two_examples&run=1")
    page.wait_for_selector(IDLE, timeout=60_000)
    expect(page.get_by_text("Classification results")).to_be_visible(timeout=120_000)
    expect(page.get_by_text("Loaded example: classify_two_examples")).to_be_visible()
    page.screenshot(path=str(tmp_path / "deep_link.png"))
    page.get_by_test_id("stSidebar").get_by_text("Presentation view").click()
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=60_000)
    expect(page.get_by_text("What comes out")).to_be_visible()
    expect(page.locator(".score-bars").first).to_contain_text("rose")
    expect(page.get_by_text("Answered in", exact=False)).to_be_visible()
    expect(page.get_by_text("Classification results")).to_have_count(0)
    assert "view=presentation" in page.url
    page.screenshot(path=str(tmp_path / "presentation.png"))
    page.close()


def test_a_crash_is_shown_then_a_good_model_answers(
    app_url: str, browser, misbehaving, tmp_path: Path
) -> None:
    from urllib.parse import quote

    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    link = f"folder={quote(str(misbehaving.abort))}&signature=serving_default&method=predict"
    inputs = quote('{"instances": [1.0]}')
    page.goto(f"{app_url}/?{link}&inputs={inputs}&run=1")
    page.wait_for_selector(IDLE, timeout=60_000)
    crash = page.get_by_text("The model's worker crashed.")
    expect(crash).to_be_visible(timeout=120_000)
    expect(page.get_by_text("signal SIGABRT", exact=False).first).to_be_visible()
    expect(page.get_by_text("would crash the whole server", exact=False)).to_be_visible()
    crash.scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "crash.png"), full_page=True)
    page.goto(f"{app_url}/?sample=flowers_tf1&case=classify_two_examples&run=1")
    page.wait_for_selector(IDLE, timeout=60_000)
    expect(page.get_by_text("Classification results")).to_be_visible(timeout=120_000)
    page.screenshot(path=str(tmp_path / "after_crash.png"))
    page.close()
