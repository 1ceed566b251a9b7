"""Looking inside a run in chromium: tap ResNet50's first pooling layer from the Graph
tab's inspector, run a random image with the profile on, read the tapped feature map as
a grid of heatmaps, and see the profile colour the drawing."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.browser.test_graph_browser import _go_to, _graph_page, _settle

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("EXPLORER_SHOTS", "/tmp/shots")) / "taps"


def test_tap_a_pooling_layer_and_profile_the_run(
    keras_app_url: str, browser, keras_applications: dict[str, Path]
) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    folder = quote(str(keras_applications["ResNet50"]))
    page = _graph_page(browser, f"{keras_app_url}/?folder={folder}&signature=serving_default")
    _go_to(page, "pool1_pool", "[MaxPool]")
    action = page.locator(".se-inspector .se-action").first
    expect(action).to_contain_text("Show output 0")
    action.click()
    _settle(page)
    expect(page.locator(".se-inspector .se-action").first).to_contain_text("✓ tapped")
    page.screenshot(path=str(SHOTS / "tapped.png"))

    page.get_by_role("tab", name="Run", exact=True).click()
    _settle(page)
    page.get_by_text("Fill", exact=True).first.click()  # the image's values: a fill
    _settle(page)
    page.get_by_text("random, uniform in a range").click()
    _settle(page)
    page.get_by_text("Look inside the run").first.click()
    _settle(page)
    expect(page.get_by_text("pool1_pool_1/MaxPool2d:0").first).to_be_visible()
    page.get_by_text("Profile the run").first.click()
    _settle(page)
    page.get_by_role("button", name="Run predict").click()
    page.wait_for_timeout(1000)
    _settle(page)

    heading = page.get_by_text("Inside the run", exact=True)
    expect(heading).to_be_visible()
    expect(page.get_by_text("shape [1, 56, 56, 64] · DT_FLOAT").first).to_be_visible()
    grid = page.get_by_text("64 of 64 channels, each 56×56").first
    grid.scroll_into_view_if_needed()
    expect(grid).to_be_visible()
    page.screenshot(path=str(SHOTS / "feature_map.png"))
    slowest = page.get_by_text("Where the time went", exact=True)
    slowest.scroll_into_view_if_needed()
    expect(page.get_by_text("ms of op time").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "profile.png"))

    page.get_by_role("tab", name="Graph", exact=True).click()
    _settle(page)
    page.wait_for_timeout(500)
    coloured = page.locator(".se-graph .se-shape[style*='fill']")
    assert coloured.count() >= 5  # ops and groups coloured by the profiled run's times
    page.screenshot(path=str(SHOTS / "profile_on_graph.png"))
    page.close()


def test_taps_removed_in_the_run_tab_stay_removed(app_url: str, browser) -> None:
    from playwright.sync_api import expect

    page = _graph_page(browser, f"{app_url}/?sample=flowers_tf1")
    page.locator(".se-graph .se-box.se-k-op").first.click()
    _settle(page)
    page.locator(".se-inspector .se-action").first.click()  # tap its first output
    _settle(page)
    page.get_by_role("tab", name="Run", exact=True).click()
    _settle(page)
    title = page.get_by_text("Look inside the run").first
    expect(title).to_have_text("Look inside the run: taps and profile (1 tap)")
    title.click()
    _settle(page)
    box = page.get_by_test_id("stMultiSelect").filter(has_text="Taps")
    box.get_by_label("Clear all").click()
    _settle(page)
    expect(title).to_have_text("Look inside the run: taps and profile")
    for tab in ("Graph", "Run"):  # the box is not drawn while the Graph tab is shown
        page.get_by_role("tab", name=tab, exact=True).click()
        _settle(page)
    expect(page.get_by_text("Look inside the run").first).to_have_text(
        "Look inside the run: taps and profile"
    )
    page.close()
