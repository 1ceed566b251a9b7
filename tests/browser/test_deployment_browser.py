"""A TF Serving model config with two models and labels, opened in chromium: the overview
(models, versions, labels, TF Serving's verdict), a model picked from it, and its warmup
panel. Screenshots go to ``EXPLORER_SHOT_DIR`` (default: the test's temporary folder)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.deployment_fixtures import two_model_config
from tests.browser.conftest import serving_app
from tests.conftest import REPO

pytestmark = pytest.mark.browser

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return two_model_config(tmp_path_factory.mktemp("deployment"))


@pytest.fixture(scope="module")
def config_app_url(deployment: Path) -> Iterator[str]:
    # Its own app: the config's folder must be an allowed root.
    with serving_app((REPO, deployment.parent)) as url:
        yield url


def test_a_two_model_config_with_labels(
    config_app_url: str, browser, deployment: Path, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    shots = Path(os.environ.get("EXPLORER_SHOT_DIR", tmp_path))
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(config_app_url)
    page.wait_for_selector(IDLE, timeout=60_000)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("TF Serving model config", exact=True).click()
    page.wait_for_selector(IDLE, timeout=60_000)
    path_box = sidebar.get_by_label("Model config file", exact=True).and_(
        sidebar.get_by_test_id("stTextInputField")
    )
    path_box.fill(str(deployment))
    path_box.press("Enter")
    page.wait_for_selector(IDLE, timeout=60_000)
    sidebar.get_by_text("Allow labels on versions not loaded yet").click()
    page.wait_for_selector(IDLE, timeout=60_000)
    overview = page.get_by_test_id("stExpander").filter(has_text="TF Serving model config")
    expect(overview).to_be_visible(timeout=30_000)
    overview.get_by_text("TF Serving model config", exact=False).first.click()  # open it
    expect(page.get_by_text("No problems: TF Serving would start with this config.")).to_be_visible(
        timeout=30_000
    )
    expect(page.get_by_text("Model linear", exact=False).first).to_be_visible()
    page.wait_for_timeout(1000)  # the expander's opening animation
    page.screenshot(path=str(shots / "config_overview.png"), full_page=True)
    # Another model of the config, under its config name.
    sidebar.get_by_test_id("stSelectbox").filter(has_text="Model (config name)").click()
    page.get_by_role("option", name="flowers", exact=True).click()
    page.wait_for_selector(IDLE, timeout=60_000)
    expect(page.get_by_text("version 7", exact=False).first).to_be_visible(timeout=30_000)
    # Back to linear version 2: its warmup file in the Test cases tab.
    sidebar.get_by_test_id("stSelectbox").filter(has_text="Model (config name)").click()
    page.get_by_role("option", name="linear", exact=True).click()
    page.wait_for_selector(IDLE, timeout=60_000)
    expect(page.get_by_text("TF Serving warmup file: 2 records", exact=False)).to_be_visible(
        timeout=30_000
    )
    page.get_by_role("tab", name="Test cases", exact=True).click()
    page.wait_for_selector(IDLE, timeout=60_000)
    heading = page.get_by_text("TF Serving warmup file", exact=True)
    expect(heading).to_be_visible(timeout=30_000)
    heading.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "warmup_panel.png"), full_page=True)
    assert (shots / "config_overview.png").stat().st_size > 20_000
    page.close()
