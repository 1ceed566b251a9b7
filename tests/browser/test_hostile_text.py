"""In chromium: a model whose names are Markdown, HTML and ANSI attacks fetches nothing and
reads as plain text, on every tab (uploaded as an archive, as an attacker would)."""

from __future__ import annotations

import tarfile
from pathlib import Path

import pytest

from tests.hostile_text import EVIL_HOST, build_hostile_text_model

pytestmark = pytest.mark.browser

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SHOTS = Path("/tmp/shots/security")
# What the page must show as text (controls as escapes), never as markup.
READ_AS_TEXT = (
    "[link](https://evil.example/l)",
    "![img](https://evil.example/i.png)",
    "<img src=https://evil.example/h.png>",
    "<b>bold</b>",
    ":red[red]",
    "$x^2$",
    ":smile:",
    "**strong**",
    "\\x1b[2J",
)


def _settle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(300)
    page.wait_for_selector(IDLE, timeout=60_000)


def _assert_text_only(page, fetched: list[str], where: str) -> None:  # type: ignore[no-untyped-def]
    off_page = [url for url in fetched if EVIL_HOST in url]
    assert off_page == [], f"{where}: the page fetched {off_page}"
    assert page.locator(f"a[href*='{EVIL_HOST}']").count() == 0, where
    assert page.locator(f"img[src*='{EVIL_HOST}'], image[href*='{EVIL_HOST}']").count() == 0
    assert page.locator("[data-testid='stMain'] .katex").count() == 0, where  # no LaTeX
    assert page.locator("[data-testid='stMain'] b").filter(has_text="bold").count() == 0, where


def test_hostile_names_are_text_on_every_tab(app_url: str, browser, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    model = build_hostile_text_model(tmp_path)
    archive = tmp_path / "hostile_text.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(model.path, arcname="hostile_text")
    SHOTS.mkdir(parents=True, exist_ok=True)

    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(app_url)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.get_by_test_id("stSidebar").get_by_text("Upload .zip / .tar.gz").click()
    _settle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(archive))
    expect(page.get_by_text("Model hostile_text", exact=False)).to_be_visible(timeout=60_000)
    _settle(page)
    main = page.get_by_test_id("stMain")
    text = main.inner_text()
    for literal in READ_AS_TEXT:
        assert literal in text, literal
    _assert_text_only(page, fetched, "Signatures")
    page.screenshot(path=str(SHOTS / "hostile_signatures.png"), full_page=True)

    for tab in ("Graph", "Run", "MetaGraph facts"):
        page.get_by_role("tab", name=tab, exact=True).click()
        _settle(page)
        page.wait_for_timeout(1500)  # the graph view draws after the script ends
        _assert_text_only(page, fetched, tab)
        page.screenshot(path=str(SHOTS / f"hostile_{tab.split()[0].lower()}.png"), full_page=True)
    # The sidebar's signature picker shows the key as text, its controls as escapes.
    picker = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox")
    shown = picker.filter(has_text="Signature").evaluate(
        "box => box.textContent + [...box.querySelectorAll('input')].map(i => i.value).join()"
    )
    assert "key\\x1b[2J" in shown
    _assert_text_only(page, fetched, "after every tab")
    page.close()
