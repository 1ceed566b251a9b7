"""The one real-browser test: the page loads on the default sample and shows its signatures."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser


def test_app_opens_on_sample_and_shows_signature_table(
    app_url: str,
    browser,
    tmp_path: Path,
) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(app_url)
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=60_000
    )
    expect(page.get_by_text("Model flowers_tf1", exact=False)).to_be_visible(timeout=30_000)
    tables = page.get_by_test_id("stDataFrame")
    expect(tables.first).to_be_visible()
    assert tables.count() >= 3  # overview, inputs, outputs (+ verdicts)
    expect(page.get_by_text("Would TF Serving accept it?")).to_be_visible()
    page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
    assert (tmp_path / "app.png").stat().st_size > 10_000
    page.close()
