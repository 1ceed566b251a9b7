"""The Graph tab in chromium: clicks on a sample; the page's shape, readable text, zoom bar,
overview, "go to", expansion and the inspector on a Keras application (exported once per
session); and a profile's colours and legend on the drawing alone."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from explorer.present.assets import standalone_html

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


def _go_to(page, query: str, pick: str) -> bool:
    """Type ``query`` into "go to"; pick the match containing ``pick`` if there are several.
    Whether there was a list to pick from (one match is gone to at once)."""
    page.get_by_label("Go to a key, tensor or op").fill(query)
    page.keyboard.press("Enter")
    _settle(page)
    matches = page.get_by_test_id("stSelectbox").filter(has_text="matches: choose one")
    listed = matches.count() > 0
    if listed:
        matches.click()
        page.get_by_role("option").filter(has_text=pick).first.click()
        _settle(page)
    page.wait_for_timeout(500)
    return listed


def _scale(page) -> float:
    """The drawing's zoom: screen px per drawing px."""
    transform = page.locator(".se-svg > g").first.get_attribute("transform") or ""
    found = re.search(r"scale\(([0-9.]+)\)", transform)
    assert found, transform
    return float(found.group(1))


def _overlap(a: dict, b: dict) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


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
    # The drawing and the inspector beside it are on the first screen, the drawing high.
    view = page.locator(".se-view").bounding_box()
    side = page.locator(".se-inspector").bounding_box()
    assert view is not None
    assert side is not None
    assert view["y"] < 400, view
    assert view["height"] >= 380, view
    assert view["y"] + view["height"] <= 900, view
    assert side["y"] + side["height"] <= 900, side
    assert side["width"] >= 280, side  # wide enough for a layer's name
    assert side["x"] >= view["x"] + view["width"]  # beside the drawing, not under it
    # The overview sits beside the drawing, never over it.
    mini = page.locator(".se-mini").bounding_box()
    assert mini is not None
    assert not _overlap(mini, view), (mini, view)
    # Readable text in the first view: 11 px titles, 10 px lines at zoom 1 or more.
    scale = _scale(page)
    assert scale * 10 >= 9.9, scale
    expect(page.locator(".se-zoom")).to_have_text(f"{round(scale * 100)}%")
    # Every key is drawn in the first view; its input end is in the frame.
    keys = drawing.locator(".se-box[data-id^='input:'], .se-box[data-id^='output:']")
    ids = [keys.nth(i).get_attribute("data-id") for i in range(keys.count())]
    assert any(i.startswith("input:") for i in ids), ids
    assert any(i.startswith("output:") for i in ids), ids
    for key in ids:
        if key.startswith("input:"):
            assert _inside(page, f".se-box[data-id='{key}']"), key
    output = next(i for i in ids if i.startswith("output:")).removeprefix("output:")
    # No box's text runs past its box.
    spills = page.evaluate(
        """() => {
          const host = [...document.querySelectorAll('*')].map(e => e.shadowRoot || e)
            .map(r => r.querySelector && r.querySelector('.se-graph')).find(Boolean);
          const bad = [];
          host.querySelectorAll('.se-box').forEach((g) => {
            const box = g.querySelector('.se-shape').getBBox();
            g.querySelectorAll('text').forEach((t) => {
              const b = t.getBBox();
              if (b.x + b.width > box.x + box.width - 2) bad.push(t.textContent);
            });
          });
          return bad;
        }"""
    )
    assert spills == [], spills
    # The zoom bar: the readout follows the zoom; "1:1" is the reset, "Fit" the overview.
    page.locator("button[data-zoom=in]").click()
    expect(page.locator(".se-zoom")).to_have_text(f"{round(scale * 125)}%")
    page.locator("button[data-zoom=one]").click()
    expect(page.locator(".se-zoom")).to_have_text("100%")
    page.locator("button[data-zoom=fit]").click()
    assert _scale(page) < 1
    for key in ids:  # the whole drawing in the frame
        assert _inside(page, f".se-box[data-id='{key}']"), key
    page.locator("button[data-mini]").click()  # the overview can be hidden
    expect(page.locator(".se-mini")).to_be_hidden()
    page.locator("button[data-mini]").click()
    expect(page.locator(".se-mini")).to_be_visible()
    page.locator("button[data-zoom=one]").click()

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

    # "Go to" an output key, the only match: gone to at once, inside the frame, selected,
    # in the inspector.
    assert not _go_to(page, output, f"output key {output}")
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
    title = page.locator(".se-ins-title")
    expect(title).to_contain_text("conv4_block5_2_conv")
    assert _scale(page) >= 1  # centred readable
    # The inspector breaks the op's name only at its "/" and "_" (and at the end of a
    # line): each line of the title ends at one of them or ends the name.
    lines = title.evaluate(
        """(t) => {
          const range = document.createRange(), found = [];
          let line = '', top = null;
          for (const node of t.childNodes) {
            if (node.nodeType !== 3) continue;
            for (let i = 0; i < node.length; i++) {
              range.setStart(node, i); range.setEnd(node, i + 1);
              const y = Math.round(range.getBoundingClientRect().top);
              if (top !== null && y > top + 2) { found.push(line); line = ''; }
              top = y; line += node.data[i];
            }
          }
          found.push(line);
          return found;
        }"""
    )
    assert "".join(lines) == (title.text_content() or "")
    assert all(line[-1] in "/_:" for line in lines[:-1]), lines
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


def test_one_match_is_gone_to_at_once(keras_app_url: str, browser, keras_applications) -> None:
    """A "go to" query with exactly one match needs no choosing."""
    from playwright.sync_api import expect

    folder = quote(str(keras_applications["MobileNetV2"]))
    page = _graph_page(browser, f"{keras_app_url}/?folder={folder}")
    assert not _go_to(page, "predictions_1/Softmax", "")
    selected = page.locator(".se-graph .se-box.se-selected")
    expect(selected).to_have_count(1)
    assert (selected.get_attribute("data-id") or "").endswith("predictions_1/Softmax")
    assert _inside(page, ".se-box.se-selected")
    expect(page.get_by_text("Went to", exact=False).first).to_be_visible()
    page.close()


def test_profile_colours_keep_text_readable_and_have_a_legend(browser) -> None:
    """The drawing alone (the app's and the notebook's script): a profile's hottest box gets
    white text, a cool one dark text, and a legend says what red means."""
    from playwright.sync_api import expect

    SHOTS.mkdir(parents=True, exist_ok=True)

    def box(i: int, kind: str = "op") -> dict:
        return {
            "id": f"op{i}", "kind": kind, "x": 10 + 130 * i, "y": 20, "w": 120, "h": 38,
            "lines": [f"op{i}", "Conv2D"], "title": f"op{i}", "highlighted": False,
            "on_path": True, "findings": 0,
        }  # fmt: skip

    data = {
        "scene": {"width": 540, "height": 80, "boxes": [box(i) for i in range(4)],
                  "frames": [], "edges": []},
        "heat": {"op0": [1.0, "12.500 ms in the last profiled run"],
                 "op1": [0.5, "6.250 ms in the last profiled run"],
                 "op2": [0.05, "0.625 ms in the last profiled run"]},
        "heat_legend": {"title": "Time in the last profiled run", "max": "12.500 ms"},
        "height": 300, "key": "heat-test",
    }  # fmt: skip
    page = browser.new_page(viewport={"width": 1000, "height": 500})
    page.set_content(f"<!doctype html><body>{standalone_html(data)}</body>")
    page.wait_for_selector(".se-box[data-id='op3']")

    def text_colour(box_id: str) -> str:
        return page.locator(f".se-box[data-id='{box_id}'] .se-l2").evaluate(
            "(t) => getComputedStyle(t).fill"
        )

    assert text_colour("op0") == "rgb(255, 255, 255)"  # white on the slowest box's red
    assert text_colour("op2") == "rgb(34, 34, 34)"  # dark on a pale fill
    assert text_colour("op3") == "rgb(85, 85, 85)"  # no time: the usual grey
    legend = page.locator(".se-legend")
    expect(legend).to_be_visible()
    expect(legend).to_contain_text("Time in the last profiled run")
    expect(legend).to_contain_text("12.500 ms")
    page.screenshot(path=str(SHOTS / "heat_legend.png"))
    # Without a profile: the usual colours, no legend.
    page.evaluate(
        "(data) => document.querySelector('.se-graph').seView.show(data)",
        {**data, "heat": None, "heat_legend": None},
    )
    expect(legend).to_be_hidden()
    assert text_colour("op0") == "rgb(85, 85, 85)"
    page.close()
