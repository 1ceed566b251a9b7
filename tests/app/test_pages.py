"""AppTest: nothing forgotten between pages — Explore → Compare → Explore keeps the model,
signature, tab and request; Compare starts from the model open in Explore; a TF Serving
target's "also open a local model" opens the sample named as the server's model.

Runs against app.py itself; pages are switched as its navigation does (by page hash).
"""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from components import keys
from components.compare.compare_panel import OPEN_IN_EXPLORE
from components.run.run_panel import run_scope
from explorer.model.reader import read_model
from tests.conftest import REPO, SAMPLES

APP = str(REPO / "app.py")
BODY = {"examples": [{"monthly_charges": 50.0, "tenure_months": 3}]}


def _go(at: AppTest, url_path: str) -> None:
    """Switch to the page registered under ``url_path`` ("" is Explore), as a click in the
    navigation does."""
    (page,) = [h for h, i in at._registered_pages.items() if i.get("url_pathname") == url_path]
    at._page_hash = page
    at.run()
    assert not at.exception


def _version(at: AppTest, side: str) -> int:
    prefix = keys.compare_key(side, keys.COMPARE_VERSION) + "."
    (picker,) = [s for s in at.selectbox if s.key and s.key.startswith(prefix)]
    return int(picker.value)


def test_explore_compare_explore_keeps_model_signature_tab_and_request() -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key=keys.SAMPLE).set_value("tabular_churn").run()
    at.selectbox(key=keys.SIGNATURE).set_value("regress_lifetime_value").run()
    at.session_state[keys.MAIN_TAB] = "Run"
    at.run()
    model = read_model(SAMPLES / "tabular_churn")
    meta_graph = model.meta_graph()
    scope = run_scope(model, meta_graph, meta_graph.signature("regress_lifetime_value"))
    at.radio(key=keys.run_key(scope, keys.RUN_MODE, "regress")).set_value(keys.MODE_REST).run()
    body = keys.run_key(scope, keys.RUN_REST_BODY, "regress")
    at.text_area(key=body).set_value(json.dumps(BODY)).run()

    _go(at, "compare")
    assert "Compare two models" in [h.value for h in at.header]
    # Compare starts from the model open in Explore.
    for side in ("old", "new"):
        assert at.radio(key=keys.compare_key(side, keys.COMPARE_SOURCE)).value == OPEN_IN_EXPLORE

    _go(at, "")
    assert at.selectbox(key=keys.SAMPLE).value == "tabular_churn"
    assert at.selectbox(key=keys.SIGNATURE).value == "regress_lifetime_value"
    assert at.session_state[keys.MAIN_TAB] == "Run"
    assert at.radio(key=keys.run_key(scope, keys.RUN_MODE, "regress")).value == keys.MODE_REST
    assert json.loads(at.text_area(key=body).value) == BODY


def test_compare_starts_from_the_open_version_and_pickers_follow_their_folder() -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key=keys.SAMPLE).set_value("portable_linear").run()
    at.selectbox(key=keys.VERSION).set_value(2).run()
    _go(at, "compare")
    # The new side is the open version, the old side the one before it.
    assert (_version(at, "old"), _version(at, "new")) == (1, 2)
    assert at.success  # 1 → 2 keeps clients working
    # The old side switched to a typed version folder starts at that folder's version.
    linear = SAMPLES / "portable_linear"
    at.radio(key=keys.compare_key("old", keys.COMPARE_SOURCE)).set_value(keys.SOURCE_FOLDER).run()
    at.text_input(key=keys.compare_key("old", keys.COMPARE_FOLDER)).input(str(linear / "3")).run()
    assert not at.exception
    assert _version(at, "old") == 3
    at.text_input(key=keys.compare_key("old", keys.COMPARE_FOLDER)).input(str(linear / "1")).run()
    assert _version(at, "old") == 1


def test_a_served_model_opens_the_local_sample_of_the_same_name() -> None:
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert at.selectbox(key=keys.SAMPLE).value == "flowers_tf1"
    at.radio(key=keys.TARGET_KIND).set_value(keys.TARGET_SERVING).run()
    at.text_input(key=keys.REMOTE_URL).input("http://127.0.0.1:9").run()
    at.text_input(key=keys.REMOTE_MODEL).input("tabular_churn").run()
    at.checkbox(key=keys.REMOTE_COMPARE).check().run()
    assert not at.exception
    assert at.selectbox(key=keys.SAMPLE).value == "tabular_churn"
