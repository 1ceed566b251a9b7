"""AppTest: the Graph tab draws every signature with its keys, and its controls work."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from explorer.model.reader import read_model
from explorer.present.profile_heat import heat_legend
from tests.conftest import REPO, SAMPLES
from tests.markdown_text import shown

APP = str(REPO / "app.py")


def _signatures(sample: str) -> list[str]:
    meta_graph = read_model(SAMPLES / sample).meta_graph()
    return [s.key for s in meta_graph.callable_signatures]


@pytest.mark.parametrize("sample", ["flowers_tf1", "tabular_churn", "sparse_ragged_tf1"])
def test_graph_dot_holds_every_key_of_every_signature(sample: str) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[keys.MAIN_TAB] = "Graph"
    at.run()
    at.selectbox(key=keys.SAMPLE).set_value(sample).run()
    signature_infos = read_model(SAMPLES / sample).meta_graph()
    for key in _signatures(sample):
        at.selectbox(key=keys.SIGNATURE).set_value(key).run()
        assert not at.exception
        dot = at.session_state[keys.GRAPH_LAST_DOT]
        assert dot.startswith("digraph")
        signature = signature_infos.signature(key)
        for tensor in (*signature.inputs, *signature.outputs):
            assert f'"{tensor.key}' in dot or f">{tensor.key}<" in dot or tensor.key in dot
        assert any("boxes drawn for" in c.value for c in at.caption)


def _graph_tab(sample: str, signature: str) -> AppTest:
    """The app on its Graph tab, showing ``signature`` of the bundled ``sample``."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[keys.MAIN_TAB] = "Graph"
    at.run()
    at.selectbox(key=keys.SAMPLE).set_value(sample).run()
    at.selectbox(key=keys.SIGNATURE).set_value(signature).run()
    return at


def test_highlight_and_expand_change_the_drawing() -> None:
    at = _graph_tab("tabular_churn", "serving_default")
    plain = at.session_state[keys.GRAPH_LAST_DOT]
    at.selectbox(key=keys.GRAPH_HIGHLIGHT).set_value("scores").run()
    highlighted = at.session_state[keys.GRAPH_LAST_DOT]
    assert highlighted != plain
    at.number_input(key=keys.GRAPH_BUDGET).set_value(20).run()
    small = at.session_state[keys.GRAPH_LAST_DOT]
    expand = next(m for m in at.multiselect if m.label.startswith("Expand"))
    assert expand.options, "a tight budget leaves groups to expand"
    expand.set_value([expand.options[0]]).run()
    assert not at.exception
    assert at.session_state[keys.GRAPH_LAST_DOT] != small


def test_go_to_a_search_hit_selects_and_centres_it() -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[keys.MAIN_TAB] = "Graph"
    at.run()
    at.selectbox(key=keys.SAMPLE).set_value("tabular_churn").run()
    at.number_input(key=keys.GRAPH_BUDGET).set_value(4).run()  # everything closed
    at.text_input(key=keys.GRAPH_SEARCH).input("ParseExampleV2").run()
    assert not at.exception
    chosen = at.selectbox(key=keys.GRAPH_NODE)
    hit = next(o for o in chosen.options if "ParseExampleV2" in o)
    chosen.set_value(hit).run()
    assert not at.exception
    _, name, _, box = at.session_state[keys.GRAPH_PICKED]
    assert box.endswith(name)
    assert at.session_state[keys.GRAPH_FOCUS][1] == box
    # The groups on the way were opened: the op is drawn as itself.
    assert f'"{box}"' in at.session_state[keys.GRAPH_LAST_DOT]


def test_go_to_with_one_match_goes_there_at_once() -> None:
    at = _graph_tab("tabular_churn", "serving_default")
    at.text_input(key=keys.GRAPH_SEARCH).input("scores").run()  # only the output key
    assert not at.exception
    assert at.session_state[keys.GRAPH_FOCUS][1] == "output:scores"
    assert at.session_state[keys.GRAPH_PICKED][3] == "output:scores"
    assert not [s for s in at.selectbox if s.key == keys.GRAPH_NODE]  # nothing to choose
    assert any("Went to output key scores" in shown(c.value) for c in at.caption)
    # Several matches: a list to choose from, nothing gone to yet.
    focus = at.session_state[keys.GRAPH_FOCUS]
    at.text_input(key=keys.GRAPH_SEARCH).input("Sigmoid").run()
    assert at.session_state[keys.GRAPH_FOCUS] == focus
    assert at.selectbox(key=keys.GRAPH_NODE).options


def test_profile_legend_names_the_slowest_time() -> None:
    heat: dict[str, list[object]] = {
        "a": [1.0, "12.500 ms in the last profiled run"],
        "b": [0.2, "2.500 ms in the last profiled run"],
    }
    assert heat_legend(heat) == {"title": "Time in the last profiled run", "max": "12.500 ms"}
    assert heat_legend(None) is None


def test_expanding_a_collapsed_group_reopens_it() -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[keys.MAIN_TAB] = "Graph"
    at.run()
    collapse = next(m for m in at.multiselect if m.label.startswith("Collapse"))
    group = collapse.options[0]
    collapse.set_value([group]).run()
    closed_dot = at.session_state[keys.GRAPH_LAST_DOT]
    expand = next(m for m in at.multiselect if m.label.startswith("Expand"))
    expand.set_value([group]).run()
    assert not at.exception
    assert next(m for m in at.multiselect if m.label.startswith("Collapse")).value == []
    assert at.session_state[keys.GRAPH_LAST_DOT] != closed_dot


CLICK_APP = str(REPO / "tests" / "app" / "graph_click_app.py")


def _click(at: AppTest, box: str) -> AppTest:
    at.text_input(key="test.click_id").set_value(box).run()
    at.button(key="test.click").click().run()
    assert not at.exception
    return at


def test_clicks_on_the_drawing_change_options_and_inspector() -> None:
    at = AppTest.from_file(CLICK_APP, default_timeout=60).run()
    assert not at.exception
    _click(at, "output:scores")
    assert at.selectbox(key=keys.GRAPH_HIGHLIGHT).value == "scores"
    assert 'color="#d62728"' in at.session_state[keys.GRAPH_LAST_DOT]
    _click(at, "output:scores")  # the highlighted key again: highlight off
    assert at.selectbox(key=keys.GRAPH_HIGHLIGHT).value is None

    at.number_input(key=keys.GRAPH_BUDGET).set_value(10).run()
    expand = next(m for m in at.multiselect if m.label.startswith("Expand"))
    group = expand.options[0]
    _click(at, group)
    expand = next(m for m in at.multiselect if m.label.startswith("Expand"))
    assert expand.value == [group]
    _click(at, group)  # now an open cluster: its label closes it
    collapse = next(m for m in at.multiselect if m.label.startswith("Collapse"))
    expand = next(m for m in at.multiselect if m.label.startswith("Expand"))
    assert (collapse.value, expand.value) == ([group], [])

    _click(at, "tensor:serving_default_inputs:0")  # selected: the inspector shows it
    assert at.session_state[keys.GRAPH_PICKED][3] == "tensor:serving_default_inputs:0"

    # An inspector link walks to an op anywhere: the groups around it open.
    at.number_input(key=keys.GRAPH_BUDGET).set_value(4).run()
    dot = at.session_state[keys.GRAPH_LAST_DOT]
    deep = "StatefulPartitionedCall_1::StatefulPartitionedCall::"
    at.text_input(key="test.click_id").set_value(deep + "ParseExample/ParseExampleV2").run()
    at.button(key="test.goto").click().run()
    assert not at.exception
    assert at.session_state[keys.GRAPH_LAST_DOT] != dot
    assert f'"{deep}ParseExample/ParseExampleV2"' in at.session_state[keys.GRAPH_LAST_DOT]

    _click(at, "no_such_box")
    assert any('Nothing called "no_such_box"' in shown(w.value) for w in at.warning)


def test_node_search_lists_the_signatures_own_ops_first() -> None:
    at = _graph_tab("keras_multi_io", "serving_default")
    at.text_input(key=keys.GRAPH_SEARCH).set_value("MatMul").run()
    assert not at.exception
    options = at.selectbox(key=keys.GRAPH_NODE).options
    marked = [o for o in options if o.endswith("not run by this signature")]
    assert marked, options  # the embed_only signature's MatMul lives in another function
    first_marked = options.index(marked[0])
    assert first_marked > 0
    assert all(o in marked for o in options[first_marked:])


def test_safety_banner_goes_to_the_flagged_op_in_the_graph() -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.selectbox(key=keys.SAMPLE).set_value("unsafe_read_file").run()
    go = next(b for b in at.button if b.label == "Go to unsafe op 1 in the graph")
    go.click().run()
    assert not at.exception
    _, name, _, box = at.session_state[keys.GRAPH_PICKED]
    assert name.endswith("ReadFile") or "ReadFile" in box
    assert at.session_state[keys.GRAPH_FOCUS][1] == box
    assert at.session_state[keys.SIGNATURE] == "read_file"  # the signature running it
    line = next(
        line
        for line in at.session_state[keys.GRAPH_LAST_DOT].splitlines()
        if line.strip().startswith(f'"{box}" [')
    )
    assert 'class="se-finding"' in line  # drawn as itself, marked as a finding
