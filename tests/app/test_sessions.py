"""Two browser sessions of one app process: they share the loaded model, nothing else.

Two AppTest sessions of the Run panel page (tests/app/run_panel_app.py) send different
REST bodies to flowers_tf1. The runner must hold one Session for both (one entry in
``explorer.run.runner.loaded_models()``), and each session must show only its own request
and the answer to it, even when their runs interleave.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from streamlit.testing.v1 import AppTest

from components import keys
from components.run.run_panel import run_scope
from explorer.model.reader import read_model
from explorer.run import calls, runner
from tests.conftest import REPO, SAMPLES

APP = str(REPO / "tests" / "app" / "run_panel_app.py")
SAMPLE, SIGNATURE, API = "flowers_tf1", "classify_images", "classify"


def _body(pixel: float) -> str:
    return json.dumps({"signature_name": SIGNATURE, "examples": [{"image": [pixel] * 16}]})


def _scope() -> str:
    model = read_model(SAMPLES / SAMPLE)
    meta_graph = model.meta_graph()
    return run_scope(model, meta_graph, meta_graph.signature(SIGNATURE))


def _open(scope: str, body: str) -> AppTest:
    """A new session on the Run panel, its REST body set (not run yet)."""
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key="test.sample").set_value(SAMPLE).run()
    at.selectbox(key="test.signature").set_value(SIGNATURE).run()
    at.radio(key=keys.run_key(scope, keys.RUN_MODE, API)).set_value(keys.MODE_REST).run()
    at.text_area(key=keys.run_key(scope, keys.RUN_REST_BODY, API)).set_value(body).run()
    assert not at.exception
    return at


def _run(at: AppTest, scope: str) -> Any:
    at.button(key=keys.run_key(scope, keys.RUN_BUTTON, API)).click().run()
    assert not at.exception
    assert not at.error
    return at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, API)]


def _shown(at: AppTest) -> str:
    return "\n".join(str(c.value) for c in at.code)


def test_two_sessions_share_the_model_but_not_inputs_or_results() -> None:
    scope = _scope()
    runner.unload()  # count only what these two sessions load
    dark, bright = _body(0.1), _body(0.9)
    first, second = _open(scope, dark), _open(scope, bright)
    first_outcome = _run(first, scope)
    second_outcome = _run(second, scope)

    # One Session for both (other tests of this process may hold other models).
    loaded = [m for m in runner.loaded_models() if m[0] == str(SAMPLES / SAMPLE)]
    assert len(loaded) == 1, runner.loaded_models()

    expected = {b: calls.classify(SAMPLES / SAMPLE, b).response_text for b in (dark, bright)}
    assert expected[dark] != expected[bright]
    for at, outcome, mine, theirs in [
        (first, first_outcome, dark, bright),
        (second, second_outcome, bright, dark),
    ]:
        assert outcome.request_text == mine
        assert outcome.response_text == expected[mine]
        assert at.text_area(key=keys.run_key(scope, keys.RUN_REST_BODY, API)).value == mine
        assert expected[mine] in _shown(at)
        assert expected[theirs] not in _shown(at)

    # A second round in the other order: still each its own.
    first.text_area(key=keys.run_key(scope, keys.RUN_REST_BODY, API)).set_value(bright).run()
    assert _run(second, scope).response_text == expected[bright]
    assert _run(first, scope).response_text == expected[bright]
    second.text_area(key=keys.run_key(scope, keys.RUN_REST_BODY, API)).set_value(dark).run()
    assert _run(second, scope).response_text == expected[dark]
    assert (
        first.session_state[keys.run_key(scope, keys.RUN_OUTCOME, API)].response_text
        == (expected[bright])
    )
    assert [k[0] for k in runner.loaded_models()].count(str(SAMPLES / SAMPLE)) == 1


def test_sessions_running_at_the_same_time_keep_their_own_answers() -> None:
    scope = _scope()
    bodies = [_body(p) for p in (0.2, 0.5, 0.8)]
    sessions = [_open(scope, b) for b in bodies]
    start = threading.Barrier(len(sessions))
    outcomes: dict[int, Any] = {}

    def click(i: int) -> None:
        start.wait()
        outcomes[i] = _run(sessions[i], scope)

    threads = [threading.Thread(target=click, args=(i,)) for i in range(len(sessions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    for i, body in enumerate(bodies):
        assert outcomes[i].request_text == body
        assert outcomes[i].response_text == calls.classify(SAMPLES / SAMPLE, body).response_text
    assert [k[0] for k in runner.loaded_models()].count(str(SAMPLES / SAMPLE)) == 1
