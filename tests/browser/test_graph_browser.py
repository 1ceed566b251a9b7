"""The Graph tab in chromium: clicks on a sample, and "go to", expansion and the inspector
on a Keras application (exported once per session)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest

pytestmark = pytest.mark.browser

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SHOTS = Path(os.environ.get("EXPLORER_SHOTS", "/tmp/shots/graph"))


def _settle(page) -> None:
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=60_000)


def _graph_page(browser, url: str):  # a Page on the Graph tab, drawing shown
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(url)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.get_by_role("tab", name="Graph", exact=True).click()
    page.wait_for_selector(".se-graph .se-box", state="visible", timeout=60_000)
    _settle(page)
    page.wait_for_timeout(400)
    return page


def _inside(page, selector: str) -> bool:
    """Whether the element's centre lies inside the drawing's frame."""
    view = page.locator(".se-view").bounding_box()
    box = page.locator(selector).first.bounding_box()
    assert view is not None
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    return (
        view["x"] <= cx <= view["x"] + view["width"]
        and view["y"] <= cy <= view["y"] + view["height"]
    )


def _go_to(page, query: str, pick: str) -> None:
    page.get_by_label("Go to a key, tensor or op").fill(query)
    page.keyboard.press("Enter")
    _settle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="choose one to go to it").click()
    page.get_by_role("option").filter(has_text=pick).first.click()
    _settle(page)
    page.wait_for_timeout(500)


def test_sample_graph_answers_clicks(app_url: str, browser) -> None:
    from playwright.sync_api import expect

    page = _graph_page(browser, f"{app_url}/?sample=tabular_churn")
    drawing = page.locator(".se-graph")
    assert drawing.locator(".se-box").count() > 5
    caption = page.get_by_text("boxes drawn", exact=False).first
    # A key highlights its path.
    drawing.locator(".se-box[data-id^='output:']").first.click()
    _settle(page)
    expect(drawing.locator(".se-box.se-hot").first).to_be_visible()
    assert _inside(page, ".se-box.se-hot")  # the path is brought into view
    # An op is selected and shown in the inspector beside the drawing.
    op = drawing.locator(".se-box.se-k-op").first
    op_id = op.get_attribute("data-id") or ""
    op.click()
    _settle(page)
    expect(drawing.locator(".se-box.se-selected")).to_have_count(1)
    expect(page.locator(".se-ins-title")).to_have_text(op_id.split("::")[-1])
    assert page.locator(".se-inspector").is_visible()
    # A group's title closes it; its box opens it again.
    frames = drawing.locator(".se-frame-title")
    if frames.count():
        group = frames.first.get_attribute("data-id")
        before = caption.text_content()
        frames.first.click()
        _settle(page)
        expect(caption).not_to_have_text(before or "")
        drawing.locator(f".se-box[data-id='{group}']").click()
        _settle(page)
        expect(caption).to_have_text(before or "")
    # The keyboard reaches the boxes: Tab to one, Enter selects it.
    other = drawing.locator(".se-box.se-k-op").nth(1)
    other_id = other.get_attribute("data-id")
    other.focus()
    page.keyboard.press("Enter")
    _settle(page)
    expect(drawing.locator(".se-box.se-selected")).to_have_attribute("data-id", other_id or "")
    page.close()


def test_keras_go_to_and_expand(keras_app_url: str, browser, keras_applications) -> None:
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)
    folder = quote(str(keras_applications["ResNet50"]))
    page = _graph_page(browser, f"{keras_app_url}/?folder={folder}")
    drawing = page.locator(".se-graph")
    page.screenshot(path=str(SHOTS / "default_view.png"))
    # Every key is drawn in the first view, inside the frame at Fit.
    keys = drawing.locator(".se-box[data-id^='input:'], .se-box[data-id^='output:']")
    ids = [keys.nth(i).get_attribute("data-id") for i in range(keys.count())]
    assert any(i.startswith("input:") for i in ids), ids
    assert any(i.startswith("output:") for i in ids), ids
    for key in ids:
        assert _inside(page, f".se-box[data-id='{key}']"), key
    output = next(i for i in ids if i.startswith("output:")).removeprefix("output:")

    # Expanding a group leaves it under the cursor.
    group = drawing.locator(".se-box.se-k-group[data-id*='conv3_block']").first
    group_id = group.get_attribute("data-id")
    before = group.bounding_box()
    assert before is not None
    group.click()
    _settle(page)
    page.wait_for_timeout(500)
    frame = drawing.locator(f".se-frame-title[data-id='{group_id}']")
    expect(frame).to_be_visible()
    after = drawing.locator(f".se-frame[data-id='{group_id}'] rect").first.bounding_box()
    assert after is not None
    assert abs(after["x"] - before["x"]) < 12
    assert abs(after["y"] - before["y"]) < 12
    page.screenshot(path=str(SHOTS / "expanded.png"))

    # "Go to" an output key: inside the frame, selected, in the inspector.
    _go_to(page, output, f"output key {output}")
    selected = f".se-box.se-selected[data-id='output:{output}']"
    expect(drawing.locator(selected)).to_have_count(1)
    assert _inside(page, selected)
    expect(page.locator(".se-ins-title")).to_have_text(f"output key {output}")

    # "Go to" an op deep inside the function body: the groups on the way open.
    _go_to(page, "conv4_block5_2_conv_1/convolution", "[Conv2D]")
    deep = drawing.locator(".se-box.se-selected")
    expect(deep).to_have_count(1)
    deep_id = deep.get_attribute("data-id") or ""
    assert "conv4_block5_2_conv" in deep_id
    assert deep_id.count("::") >= 2  # inside the model's function, through two calls
    assert _inside(page, ".se-box.se-selected")
    expect(page.locator(".se-ins-title")).to_contain_text("conv4_block5_2_conv")
    page.screenshot(path=str(SHOTS / "go_to.png"))

    # The inspector's links walk the graph: its first input becomes the selection.
    link = page.locator(".se-inspector .se-link").first
    target = link.get_attribute("title") or ""
    link.click()
    _settle(page)
    page.wait_for_timeout(400)
    expect(drawing.locator(".se-box.se-selected")).to_have_attribute(
        "data-id", target.removeprefix("go to ")
    )
    page.close()
