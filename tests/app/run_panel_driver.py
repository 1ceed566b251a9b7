"""Driving ``run_panel_app.py`` (the Run panel alone) under AppTest: open a signature of a
bundled sample or of any model folder, press Run."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from components import keys
from components.run.run_panel import run_scope
from explorer.model.reader import read_model
from tests.conftest import REPO, SAMPLES

RUN_PANEL_APP = str(REPO / "tests" / "app" / "run_panel_app.py")


def open_run_panel(
    model: str | Path, signature: str, *, timeout_s: float = 300
) -> tuple[AppTest, str]:
    """The page on ``signature`` of ``model`` (a bundled sample's name, chosen in the
    page's sample list, or a folder, typed in), and the Run panel's session scope."""
    at = AppTest.from_file(RUN_PANEL_APP, default_timeout=timeout_s).run()
    if isinstance(model, Path):
        at.text_input(key="test.folder").input(str(model)).run()
        folder = model
    else:
        at.selectbox(key="test.sample").set_value(model).run()
        folder = SAMPLES / model
    at.selectbox(key="test.signature").set_value(signature).run()
    assert not at.exception
    info = read_model(folder)
    meta_graph = info.meta_graph()
    return at, run_scope(info, meta_graph, meta_graph.signature(signature))


def press_run(at: AppTest, scope: str, api: str = "predict") -> None:
    """Press the Run button of ``api`` ("predict", "classify" or "regress")."""
    at.button(key=keys.run_key(scope, keys.RUN_BUTTON, api)).click().run()
    assert not at.exception
