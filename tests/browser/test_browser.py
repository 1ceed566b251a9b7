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


def test_graph_is_drawn_and_answers_clicks(app_url: str, browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page = _open(browser, app_url)
    _choose(page, "Sample model", "tabular_churn")
    page.get_by_role("tab", name="Graph", exact=True).click()
    drawing = page.locator(".se-graph")
    expect(drawing.locator("svg").first).to_be_visible(timeout=30_000)
    assert drawing.locator("g.node").count() > 5
    expect(drawing.locator("text", has_text="scores").first).to_be_attached()
    caption = page.get_by_text("boxes drawn", exact=False).first
    expect(caption).to_contain_text("0 group(s) closed")

    def box(title: str):  # the drawn box whose Graphviz name is ``title``
        return drawing.locator("g.node").filter(has=page.locator(f"title:text-is('{title}')"))

    def settle() -> None:
        page.wait_for_timeout(300)
        page.wait_for_selector(IDLE, timeout=60_000)

    # An open cluster's label closes it; the box it becomes opens it again.
    cluster = drawing.locator("g.cluster").first
    group = cluster.locator("a").first.get_attribute("xlink:title")
    assert group
    cluster.locator("text").first.click(force=True)
    settle()
    expect(caption).to_contain_text("1 group(s) closed")
    box(group).first.click()
    settle()
    expect(caption).to_contain_text("0 group(s) closed")

    # A key highlights its path; an op opens in the node inspector, outlined in the drawing.
    key = drawing.locator("g.node > title", has_text="input:").first.text_content() or ""
    box(key).first.click()
    settle()
    highlight = page.get_by_test_id("stSelectbox").filter(has_text="Highlight the path")
    expect(highlight.get_by_role("combobox")).to_have_value(key.removeprefix("input:"))
    titles = drawing.locator("g.node > title").all_text_contents()
    op = next(t for t in titles if not t.startswith(("input:", "output:", "tensor:")))
    box(op).first.click()
    settle()
    expect(page.get_by_text("Clicked in the drawing", exact=False)).to_be_visible()
    expect(drawing.locator("g.node.se-selected")).to_have_count(1)
    # The keyboard reaches the boxes too: Tab to one, Enter inspects it.
    other = next(
        t for t in titles if t != op and not t.startswith(("input:", "output:", "tensor:"))
    )
    box(other).first.focus()
    page.keyboard.press("Enter")
    settle()
    selected = drawing.locator("g.node.se-selected > title")
    expect(selected).to_have_text(other)
    page.screenshot(path=str(tmp_path / "graph.png"), full_page=True)
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
