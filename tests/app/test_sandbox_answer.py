"""A model the scan flagged, opted in and run: when an op it runs is refused by the sandbox,
the answer says the run happened inside the sandbox (TF Serving has none, and would run
the op), beside the error; it is not presented as TF Serving's answer, and the plain line
does not call the failure the model's own. A clean model's failure is TF Serving's."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from components import keys
from components.run.run_panel import run_scope
from explorer.constants import MethodKind
from explorer.model.reader import read_model
from explorer.run import runner, sandbox
from explorer.run.dispatch import CallRequest, dispatch
from explorer.run.local import LocalTarget
from tests.conftest import REPO, SAMPLES
from tests.markdown_text import shown

APP = str(REPO / "tests" / "app" / "run_panel_app.py")
BODY = '{"signature_name": "read_file", "inputs": {"path": "/etc/passwd"}}'


def test_a_run_the_sandbox_refused_says_so_beside_the_error() -> None:
    assert sandbox.status().sandboxed, sandbox.status().line  # CI installs bubblewrap
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.selectbox(key="test.sample").set_value("unsafe_read_file").run()
    at.selectbox(key="test.signature").set_value("read_file").run()
    at.checkbox(key="test.allow_unsafe").check().run()
    model = read_model(SAMPLES / "unsafe_read_file")
    meta_graph = model.meta_graph()
    scope = run_scope(model, meta_graph, meta_graph.signature("read_file"))
    at.radio(key=keys.run_key(scope, keys.RUN_MODE, "predict")).set_value(keys.MODE_REST).run()
    at.text_area(key=keys.run_key(scope, keys.RUN_REST_BODY, "predict")).set_value(BODY).run()
    at.button(key=keys.run_key(scope, keys.RUN_BUTTON, "predict")).click().run()
    assert not at.exception
    outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "predict")]
    assert outcome.status == 404
    assert "/etc/passwd; No such file or directory" in (outcome.error or "")
    assert outcome.sandbox_note == sandbox.OUTSIDE_NOTE
    assert outcome.notes[-1] == sandbox.OUTSIDE_NOTE  # reports and the notebook show it
    assert outcome.unsaveable is not None  # TF Serving's answer would differ: not a case
    (error,) = (shown(e.value) for e in at.error)
    assert "inside the sandbox" in error
    assert "TF Serving would answer" not in error
    assert [shown(w.value) for w in at.warning] == [sandbox.OUTSIDE_NOTE]
    assert "would run it" in sandbox.OUTSIDE_NOTE
    assert "no host files and no network" in sandbox.OUTSIDE_NOTE
    (line,) = (shown(i.value) for i in at.info)
    assert "the failure is the model's own" not in line
    assert "inside the sandbox" in line
    assert sandbox.OUTSIDE_NOTE not in [shown(c.value) for c in at.caption]  # shown once
    runner.unload(str(SAMPLES / "unsafe_read_file"))  # other tests count loaded models


def test_a_clean_models_runtime_failure_has_no_sandbox_note() -> None:
    # Version 3 declares x as (-1, 2): one column fails in MatMul, in TF Serving too.
    target = LocalTarget(SAMPLES / "portable_linear" / "3", allow_unsafe=True)
    outcome = dispatch(target, CallRequest(MethodKind.PREDICT, body='{"instances": [[1.0]]}'))
    assert outcome.status == 400
    assert "Matrix size-incompatible" in (outcome.error or "")
    assert outcome.sandbox_note is None
    assert sandbox.OUTSIDE_NOTE not in outcome.notes
    assert outcome.unsaveable is None
