"""AppTest: taps chosen in the Graph tab come back from the Run tab's next run with a
summary and a view, the profile's times colour the drawing, and nothing changes TF
Serving's answer."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from components import keys
from components.run.run_panel import run_scope
from components.taps_state import inspect_scope
from explorer.graph.build import prepare_signature
from explorer.model.reader import read_model
from explorer.present.inspector_view import inspector_data
from explorer.present.profile_heat import box_heat
from tests.app.test_run_panel import _text
from tests.conftest import REPO, SAMPLES

RUN_APP = str(REPO / "tests" / "app" / "run_panel_app.py")
GRAPH_APP = str(REPO / "tests" / "app" / "graph_click_app.py")


def test_an_inspector_action_taps_the_op_and_the_inspector_says_so() -> None:
    meta_graph = read_model(SAMPLES / "tabular_churn").meta_graph()
    signature = meta_graph.signature("serving_default")
    prepared = prepare_signature(meta_graph, signature.key)
    op = next(n.id for n in prepared.flat.nodes if n.node.op == "ParseExampleV2")
    scope = inspect_scope(meta_graph, signature)
    at = AppTest.from_file(GRAPH_APP, default_timeout=60).run()
    at.text_input(key="test.action").input(f"tap:{op}:2").run()
    at.button(key="test.act").click().run()
    assert not at.exception
    assert at.session_state[f"{keys.INSPECT_TAPS}.{scope}"] == [f"{op}:2"]
    graph = prepared.view()
    shown = inspector_data(meta_graph, prepared, graph, op, (f"{op}:2",))
    assert shown is not None
    rows = next(s["rows"] for s in shown["sections"] if s["title"].startswith("Look inside"))
    assert rows[2]["action"] == f"untap:{op}:2"
    assert rows[2]["text"].startswith("✓ tapped — remove output 2")
    assert rows[0]["action"] == f"tap:{op}:0"
    at.button(key="test.act").click().run()  # the same action again untaps it
    assert at.session_state[f"{keys.INSPECT_TAPS}.{scope}"] == []


def test_a_profile_colours_ops_and_the_groups_holding_them() -> None:
    meta_graph = read_model(SAMPLES / "tabular_churn").meta_graph()
    prepared = prepare_signature(meta_graph, "serving_default")
    graph = prepared.view()
    op = next(n.id for n in prepared.flat.nodes if n.node.op == "ParseExampleV2")
    other = next(n.id for n in prepared.flat.nodes if n.node.op == "MatMul")
    heat = box_heat(prepared, graph, {op: 3.0, other: 1.0, "not in the graph": 99.0})
    assert heat is not None
    drawn = {n.id for n in graph.nodes}
    holders = [b for b in (op, *prepared.group_path(op)) if b in drawn]
    assert holders  # the op, or a closed group holding it, is drawn
    for box in holders:  # each holds at least the op's 3 ms (the slowest box: 1.0)
        assert heat[box][0] * max(float(v[1].split()[0]) for v in heat.values()) >= 3.0
    assert max(v[0] for v in heat.values()) == 1.0
    assert all("ms in the last profiled run" in v[1] for v in heat.values())
    assert box_heat(prepared, graph, {}) is None


def test_tapping_a_keras_pooling_layer_shows_its_summary_and_views(
    keras_applications: dict[str, Path],
) -> None:
    path = keras_applications["MobileNetV2"]
    model = read_model(path)
    meta_graph = model.meta_graph()
    signature = meta_graph.signature("serving_default")
    pool = next(
        n.name
        for f in meta_graph.proto.graph_def.library.function
        for n in f.node_def
        if n.op == "Mean" and "global_average_pooling" in n.name
    )
    relu = next(
        n.name
        for f in meta_graph.proto.graph_def.library.function
        for n in f.node_def
        if n.op == "Relu6" and "out_relu" in n.name
    )
    at = AppTest.from_file(RUN_APP, default_timeout=300).run()
    at.text_input(key="test.folder").input(str(path)).run()
    at.selectbox(key="test.signature").set_value("serving_default").run()
    tap_scope = inspect_scope(meta_graph, signature)
    at.session_state[f"{keys.INSPECT_TAPS}.{tap_scope}"] = [pool, relu]
    at.session_state[f"{keys.INSPECT_PROFILE}.{tap_scope}"] = True
    scope = run_scope(model, meta_graph, signature)
    at.button(key=keys.run_key(scope, keys.RUN_BUTTON, "predict")).click().run()
    assert not at.exception
    outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "predict")]
    assert outcome.status == 200
    assert [t.site.node for t in outcome.result.taps] == [pool, relu]
    text = _text(at)
    assert "Inside the run" in [h.value for h in at.subheader]
    assert "shape [1, 1280] · DT_FLOAT · 1,280 values" in text  # the pooled features
    assert "shape [1, 7, 7, 1280]" in text
    assert "64 of 1280 channels, each 7×7" in text  # the feature map as a channel grid
    assert "Where the time went" in text
    assert at.session_state[f"{keys.INSPECT_TIMES}.{tap_scope}"]  # colours the Graph tab
    # The answer is TF Serving's, taps or not.
    assert set(outcome.result.response_json) == {"predictions"}


def test_taps_removed_in_the_run_tab_stay_removed_across_tabs() -> None:
    meta_graph = read_model(SAMPLES / "flowers_tf1").meta_graph()
    signature = meta_graph.signature("serving_default")
    scope = inspect_scope(meta_graph, signature)
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.session_state[keys.MAIN_TAB] = "Run"
    at.session_state[f"{keys.INSPECT_TAPS}.{scope}"] = ["scores"]
    at.run()
    box = at.multiselect(key=f"{keys.INSPECT_TAPS_BOX}.{scope}")
    assert box.value == ["scores"]
    box.set_value([]).run()
    assert at.session_state[f"{keys.INSPECT_TAPS}.{scope}"] == []
    at.session_state[keys.MAIN_TAB] = "Graph"
    at.run()
    at.session_state[keys.MAIN_TAB] = "Run"
    at.run()
    assert not at.exception
    assert at.session_state[f"{keys.INSPECT_TAPS}.{scope}"] == []
    assert at.multiselect(key=f"{keys.INSPECT_TAPS_BOX}.{scope}").value == []
    # A tap added in the Graph tab shows in the box when the Run tab comes back.
    at.session_state[f"{keys.INSPECT_TAPS}.{scope}"] = ["scores:0"]
    at.session_state[keys.MAIN_TAB] = "Graph"
    at.run()
    at.session_state[keys.MAIN_TAB] = "Run"
    at.run()
    assert at.multiselect(key=f"{keys.INSPECT_TAPS_BOX}.{scope}").value == ["scores:0"]
