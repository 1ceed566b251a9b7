"""The widget in a real JupyterLab: the tour notebook runs in chromium, the widget draws the
app's graph, a click on an op shows it in the inspector, a click on a group opens it, a call
from the widget's form answers, and Python reads that call back.

JupyterLab runs on loopback with a token, on a copy of the tour and the samples (the
committed notebook is never saved over), with a private config that turns off its news
prompt and draws every cell (no windowing). Screenshots go to /tmp/shots/notebook/.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.browser.conftest import _free_port
from tests.conftest import REPO

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots/notebook")
# What TensorFlow's C++ log lines start with (severity, date, time) and its start-up words.
_TF_LOG = re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d|cuInit|oneDNN custom operations|TF-TRT", re.M)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, token) of a JupyterLab serving a copy of notebooks/ and sample_models/."""
    home = tmp_path_factory.mktemp("lab")
    shutil.copytree(REPO / "notebooks", home / "notebooks", ignore=shutil.ignore_patterns(".*"))
    shutil.copytree(REPO / "sample_models", home / "sample_models")
    config = home / "config"
    (config / "labconfig").mkdir(parents=True)
    (config / "labconfig" / "page_config.json").write_text(
        json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}})
    )
    # Every cell drawn, not only those in view: the test finds the widget by its markup.
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
    token = secrets.token_hex(16)
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(config),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        # The kernel imports the checkout's explorer, as a notebook beside the code would.
        "PYTHONPATH": str(REPO),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            # CI runs as root; the server still listens on loopback only, behind a token.
            "--ServerApp.allow_root=True",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={home}",
            "--LabApp.expose_app_in_browser=True",
            f"--LabApp.user_settings_dir={home / 'settings'}",
            "--LabServerApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                err = process.stderr.read().decode() if process.stderr else ""
                pytest.fail(f"JupyterLab did not come up on {url}: {err[-2000:]}")
            time.sleep(0.3)
    yield url, token
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def _notebook_ready(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function(
        "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
        " && window.jupyterapp.shell.currentWidget.sessionContext"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
        " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'",
        timeout=120_000,
    )


def _run_cell(page, source_part: str) -> str:  # type: ignore[no-untyped-def]
    """Run the notebook's first code cell whose source holds ``source_part``; its output text."""
    index = page.evaluate(
        """(part) => {
            const panel = window.jupyterapp.shell.currentWidget;
            const cells = panel.content.widgets;
            const i = cells.findIndex((c) => c.model.type === "code"
                && c.model.sharedModel.getSource().includes(part));
            panel.content.activeCellIndex = i;
            return i;
        }""",
        source_part,
    )
    assert index >= 0, source_part
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-cell')")
    _notebook_ready(page)
    return str(
        page.evaluate(
            "(i) => window.jupyterapp.shell.currentWidget.content.widgets[i]"
            ".node.querySelector('.jp-OutputArea').innerText",
            index,
        )
    )


def _inside(box: dict[str, float] | None, view: dict[str, float]) -> bool:
    if box is None:
        return False
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    return bool(
        view["x"] < x < view["x"] + view["width"] and view["y"] < y < view["y"] + view["height"]
    )


def test_the_tour_runs_in_jupyterlab_with_a_live_widget(lab: tuple[str, str], browser) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    url, token = lab
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{url}/lab/tree/notebooks/tour.ipynb?token={token}")
    _notebook_ready(page)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    widget = page.locator(".sew").first
    widget.wait_for(timeout=120_000)
    _notebook_ready(page)
    widget.scroll_into_view_if_needed()
    # Signatures: every signature with verdicts; the widget's Python ran a call meanwhile.
    assert "regress_lifetime_value" in widget.inner_text()
    # widget.run's answer, drawn in the (hidden) Run tab.
    widget.locator(".sew-answer .sew-chart").wait_for(state="attached", timeout=60_000)
    page.screenshot(path=str(SHOTS / "1-signatures.png"))

    # Graph: the app's drawing, mounted from the same script.
    widget.get_by_role("tab", name="Graph").click()
    boxes = widget.locator(".se-box")
    boxes.first.wait_for(timeout=30_000)
    before = boxes.count()
    widget.locator(".se-box.se-k-function_call").first.click()
    page.wait_for_function(
        f"() => document.querySelectorAll('.sew .se-box').length > {before}", timeout=30_000
    )
    assert widget.locator(".se-frame").count() >= 1  # the opened call is a frame now
    widget.locator("button[data-zoom=fit]").click()  # the whole drawing in view
    view = widget.locator(".se-view").bounding_box()
    assert view is not None
    ops = widget.locator(".se-box.se-k-op")
    op = next(ops.nth(i) for i in range(ops.count()) if _inside(ops.nth(i).bounding_box(), view))
    name = op.get_attribute("aria-label") or ""
    op.click()
    title = widget.locator(".se-ins-title")
    title.wait_for(timeout=30_000)
    page.wait_for_function(
        "() => document.querySelector('.sew .se-ins-title')?.textContent.length > 0"
    )
    assert title.inner_text().strip() == name.split("  ")[0].strip()
    assert "op " in widget.locator(".se-inspector").inner_text()
    assert widget.locator(".se-box.se-selected").count() == 1
    widget.scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "2-graph-inspector.png"))

    # Run: the example builder, one changed cell, Run; the answer as a chart and tables.
    widget.get_by_role("tab", name="Run").click()
    cell = widget.get_by_label("monthly_charges, example 0")
    cell.fill("77.5")
    widget.get_by_role("button", name="+ example").click()
    widget.get_by_label("tenure_months, example 1").fill("60")
    before = widget.locator(".sew-answer").text_content()
    widget.locator(".sew-run").click()
    page.wait_for_function(
        "(before) => { const t = document.querySelector('.sew .sew-answer')?.textContent;"
        " return t && t !== before && t.includes('77.5'); }",
        arg=before,
        timeout=120_000,
    )
    answer = widget.locator(".sew-answer").inner_text()
    assert "churn" in answer
    assert "stay" in answer
    assert widget.locator(".sew-bar").count() >= 4  # two examples, two classes each
    widget.locator(".sew-answer").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / "3-run-answer.png"))

    # The other ways to write a request: Predict's field per input, raw REST JSON.
    widget.get_by_role("radio", name="Predict").check()
    field = widget.get_by_label("input inputs")
    assert '"monthly_charges"' in field.input_value()  # tf.Examples written as JSON features
    widget.get_by_role("radio", name="REST JSON").check()
    assert (
        '"signature_name": "serving_default"'
        in widget.locator("textarea.sew-json").first.input_value()
    )
    page.screenshot(path=str(SHOTS / "3b-rest-json.png"))

    # Python reads the call back: the request the form sent, the result's table.
    request = _run_cell(page, "widget.request")
    assert "77.5" in request
    assert "'tenure_months': 60" in request
    frame = _run_cell(page, "widget.result.to_dataframes()")
    assert "churn" in frame
    page.screenshot(path=str(SHOTS / "4-read-back.png"))

    # A clean notebook: no TensorFlow log line anywhere on the page.
    text = page.locator(".jp-Notebook").inner_text()
    assert not _TF_LOG.search(text), _TF_LOG.search(text)
    assert "Traceback" not in text
    page.close()
