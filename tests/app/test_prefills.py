"""AppTest: every prefilled form runs as it opens — on every sample and on TF Serving's own
test models, every callable signature, every API TF Serving accepts for it. Open the Run
panel, press Run, get an answer; or the one error TF Serving gives that signature by
design (listed below with its reason, and checked to be exactly that error).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from components.run.run_panel import run_scope
from explorer.constants import MethodKind
from explorer.model.reader import read_model
from explorer.serving.rules import check_signature
from tests.conftest import ANCHORS, REPO, SAMPLES

APP = str(REPO / "tests" / "app" / "run_panel_app.py")
MODELS = [
    *(SAMPLES / s for s in ("flowers_tf1", "tabular_churn", "keras_multi_io")),
    *(SAMPLES / s for s in ("sparse_ragged_tf1", "unsafe_read_file", "portable_linear")),
    ANCHORS / "saved_model_half_plus_two_cpu",
    ANCHORS / "saved_model_half_plus_two_2_versions" / "00000123",
    ANCHORS / "saved_model_half_plus_two_2_versions",
]
# (model folder name, signature, API) → the error TF Serving answers every request with.
BY_DESIGN = {
    # The signature reads the file its input names; the prefill names none.
    ("unsafe_read_file", "read_file", "predict"): "No such file or directory",
    # TF Serving feeds Regress/Classify a DT_STRING batch of tf.Examples, but the x2 tensor
    # is DT_FLOAT: every request fails at Session::Run (the verdict says so beforehand).
    ("saved_model_half_plus_two_cpu", "regress_x2_to_y3", "regress"): "Expects arg[0] to be "
    "float but string is provided",
    ("00000123", "regress_x2_to_y3", "regress"): "Expects arg[0] to be float but string is",
    ("00000123", "classify_x2_to_y3", "classify"): "Expects arg[0] to be float but string is",
    ("saved_model_half_plus_two_2_versions", "regress_x2_to_y3", "regress"): "Expects arg[0]",
    ("saved_model_half_plus_two_2_versions", "classify_x2_to_y3", "classify"): "Expects arg[0]",
}


@pytest.mark.parametrize("folder", MODELS, ids=lambda p: p.name)
def test_every_prefilled_form_runs_as_it_opens(folder: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.text_input(key="test.folder").input(str(folder)).run()
    at.checkbox(key="test.allow_unsafe").check().run()  # the unsafe sample runs too
    model = read_model(folder)
    meta_graph = model.meta_graph()
    ran = 0
    for signature in meta_graph.callable_signatures:
        at.selectbox(key="test.signature").set_value(signature.key).run()
        scope = run_scope(model, meta_graph, signature)
        for api in MethodKind:
            if not check_signature(signature, api).accepted:
                continue
            at.radio(key=keys.run_key(scope, keys.RUN_API)).set_value(api.value).run()
            assert not at.exception
            at.button(key=keys.run_key(scope, keys.RUN_BUTTON, api.value)).click().run()
            outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, api.value)]
            expected = BY_DESIGN.get((folder.name, signature.key, api.value))
            where = f"{folder.name} {signature.key} {api.value}"
            if expected is None:
                assert outcome.status == 200, f"{where}: {outcome.error}"
            else:
                assert outcome.status != 200, where
                assert expected in (outcome.error or ""), f"{where}: {outcome.error}"
            ran += 1
    assert ran >= len(meta_graph.callable_signatures)
