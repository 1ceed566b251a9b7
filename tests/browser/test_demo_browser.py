"""Real-browser test of the demo: a JPEG dropped on a Keras image model in the presentation
view runs it at once, and its top-5 classes are visible without scrolling at 1400 × 900.
Also the full view's image editor and ranked output. Screenshots go to /tmp/shots/inputs/
for a person to look at.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.browser.conftest import serving_app
from tests.conftest import REPO

pytestmark = pytest.mark.browser

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SHOTS = Path("/tmp/shots/inputs")
VIEWPORT = {"width": 1400, "height": 900}


@pytest.fixture(scope="module")
def demo_url(keras_applications: dict[str, Path]) -> Iterator[str]:
    with serving_app((REPO, keras_applications["MobileNetV2"].parent)) as url:
        yield url


def _photo(path: Path, seed: int = 0) -> Path:
    # A photo-like JPEG: a sunset sky over a dark hill, 640×480 (another seed, another hill).
    y, x = np.mgrid[0:480, 0:640]
    sky = np.stack([255 - y // 4, 120 + y // 6, 200 - y // 3], axis=-1)
    hill = (y > 300 - 80 * seed + 60 * np.sin(x / (90.0 + 40 * seed)))[..., None]
    pixels = np.where(hill, np.array([40, 70 + 90 * seed, 35]), sky).clip(0, 255).astype(np.uint8)
    Image.fromarray(pixels).save(path, format="JPEG", quality=92)
    return path


def _labels(path: Path) -> Path:
    path.write_text("\n".join(f"class {i:03d} (label from labels.txt)" for i in range(1000)))
    return path


def test_a_jpeg_dropped_in_the_presentation_view_shows_the_top_five(
    demo_url: str, browser, keras_applications: dict[str, Path], tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    model = keras_applications["MobileNetV2"]
    query = urllib.parse.urlencode(
        {"folder": str(model), "signature": "serving_default", "view": "presentation"}
    )
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{demo_url}/?{query}")
    page.wait_for_selector(IDLE, timeout=120_000)
    expect(page.get_by_text("What goes in")).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stSidebar")).to_be_hidden()  # the stage: no sidebar
    expect(page.get_by_test_id("stToolbar")).to_be_hidden()  # nor Streamlit's toolbar
    page.screenshot(path=str(SHOTS / "presentation_empty.png"))

    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(
        str(_photo(tmp_path / "sunset.jpg"))
    )
    # The drop runs the model (the first run loads TensorFlow and the model).
    bars = page.locator(".score-bars").first
    expect(bars).to_be_visible(timeout=240_000)
    page.wait_for_selector(IDLE, timeout=240_000)
    rows = bars.locator(":scope > div")
    assert rows.count() == 5
    for n in range(5):
        box = rows.nth(n).bounding_box()
        assert box is not None
        assert box["y"] >= 0
        assert box["y"] + box["height"] <= VIEWPORT["height"], f"bar {n} is below the fold"
    expect(page.get_by_role("img").first).to_be_visible()  # the photo, as the model sees it
    # The pixel-value preset is at hand beside the drop zone, above the fold.
    preset = page.get_by_text("Pixel values").first
    expect(preset).to_be_visible()
    box = preset.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= VIEWPORT["height"]
    page.screenshot(path=str(SHOTS / "presentation_top5.png"))

    # A second photo dropped replaces the first: one photo, one answer.
    shown = page.get_by_test_id("stImage").locator("img")
    before = shown.get_attribute("src")
    page.locator("[data-testid='stFileUploaderDropzoneInput']").first.set_input_files(
        str(_photo(tmp_path / "meadow.jpg", seed=1))
    )
    expect(shown).not_to_have_attribute("src", before or "", timeout=240_000)  # redrawn
    page.wait_for_selector(IDLE, timeout=240_000)
    expect(page.get_by_text("meadow.jpg")).to_be_visible()
    expect(page.get_by_text("sunset.jpg")).to_have_count(0)
    expect(page.get_by_test_id("stImage")).to_have_count(1)
    expect(page.locator(".score-bars")).to_have_count(1)
    page.screenshot(path=str(SHOTS / "presentation_replaced.png"))

    # One click back to the full view: the Run tab with the editor and the ranked output.
    page.get_by_role("button", name="Full view").click()
    page.wait_for_selector(IDLE, timeout=120_000)
    expect(page.get_by_test_id("stSidebar")).to_be_visible()
    expect(page.get_by_text("Pixel values")).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Labels").click()
    popover = page.get_by_test_id("stPopoverBody")
    popover.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        str(_labels(tmp_path / "labels.txt"))
    )
    expect(popover.get_by_text("labels.txt")).to_be_visible(timeout=60_000)  # uploaded
    # The rerun that reads it has drawn its caption: only then is the popover closed (its
    # chip shows before the upload ends, and closing it earlier can drop the upload).
    expect(page.get_by_text("Labels from", exact=False).first).to_be_visible(timeout=120_000)
    page.wait_for_selector(IDLE, timeout=120_000)
    page.keyboard.press("Escape")
    expect(page.get_by_text("label from labels.txt").first).to_be_visible(timeout=60_000)
    page.screenshot(path=str(SHOTS / "full_view.png"), full_page=True)

    # Away to the Graph tab and back: the photo the form shows is the photo the next run
    # sends (it used to send zeros and then say "No image yet").
    page.get_by_role("tab", name="Graph", exact=True).click()
    page.wait_for_selector(IDLE, timeout=120_000)
    page.get_by_role("tab", name="Run", exact=True).click()
    page.wait_for_selector(IDLE, timeout=120_000)
    expect(page.get_by_text("1 image, 224×224 RGB").first).to_be_visible(timeout=60_000)
    page.get_by_role("button", name="Run predict").click()
    page.wait_for_selector(IDLE, timeout=240_000)
    expect(page.get_by_text("1 image, 224×224 RGB").first).to_be_visible()
    expect(page.get_by_text("No image yet")).to_have_count(0)
    expect(page.get_by_text("The form has changed since this answer")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "full_view_after_tabs.png"), full_page=True)
    page.close()


def test_a_tabular_example_reads_in_full_in_the_presentation_view(demo_url: str, browser) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    query = urllib.parse.urlencode(
        {"sample": "tabular_churn", "signature": "serving_default", "view": "presentation"}
    )
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(f"{demo_url}/?{query}&run=1")
    page.wait_for_selector(IDLE, timeout=120_000)
    bars = page.locator(".score-bars").first
    expect(bars).to_be_visible(timeout=180_000)
    page.wait_for_selector(IDLE, timeout=120_000)
    expect(bars).to_contain_text("stay")
    expect(bars).to_contain_text("churn")
    # The example reads down, feature by feature: every feature is on screen.
    table = page.locator(".showcase-table").first
    expect(table).to_be_visible()
    expect(table).to_contain_text("monthly_charges")
    box = table.bounding_box()
    assert box is not None
    assert box["y"] + box["height"] <= VIEWPORT["height"]
    page.screenshot(path=str(SHOTS / "presentation_tabular.png"))
    page.close()
