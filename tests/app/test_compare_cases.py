"""AppTest: the Compare page (verdicts, changes, side-by-side tables) and test cases (save a
run, load, upload, download, replay against another version).

Runs ``tests/app/compare_cases_app.py``, a tiny page wiring the components as app.py does.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from components.run.run_panel import run_scope
from explorer.compat.cases import cases_text, load_cases
from explorer.model.reader import read_model
from explorer.safety.paths import ENV_ALLOWED_ROOTS
from tests.conftest import ANCHORS, REPO, SAMPLES
from tests.markdown_text import shown

APP = str(REPO / "tests" / "app" / "compare_cases_app.py")
LINEAR = "portable_linear"


def _old(part: str) -> str:
    return keys.compare_key("old", part)


def _new(part: str) -> str:
    return keys.compare_key("new", part)


@pytest.fixture
def compare() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    return at


def _changes(at: AppTest):  # type: ignore[no-untyped-def]
    # The table's cells are Markdown (the models' names escaped): compared as read.
    return at.table[0].value.map(lambda cell: shown(cell) if isinstance(cell, str) else cell)


# --- Compare ----------------------------------------------------------------------------------


def _version(at: AppTest, side: str):  # the side's version picker (it is named by folder)
    prefix = keys.compare_key(side, keys.COMPARE_VERSION) + "."
    (picker,) = [s for s in at.selectbox if s.key and s.key.startswith(prefix)]
    return picker


def test_compare_opens_on_the_breaking_sample_versions(compare: AppTest) -> None:
    assert _version(compare, "old").value == 2
    assert _version(compare, "new").value == 3
    (verdict,) = compare.error
    assert shown(verdict.value) == (
        'Verdict: breaks clients: serving_default: input "x" shape changed ((-1, 1) → (-1, 2))'
    )
    report = compare.session_state[keys.COMPARE_REPORT]
    assert report.breaking
    changes = _changes(compare)
    assert list(changes["class"]) == ["breaking"]
    assert list(changes["where"]) == ['input "x"']
    # Side by side: old inputs, old outputs, new inputs, new outputs.
    old_inputs, _, new_inputs, _ = (d.value for d in compare.dataframe[0:4])
    assert old_inputs.loc[0, "shape"] == "(-1, 1)"
    assert new_inputs.loc[0, "shape"] == "(-1, 2)"


def test_compare_compatible_versions(compare: AppTest) -> None:
    _version(compare, "old").set_value(1).run()
    _version(compare, "new").set_value(2).run()
    assert not compare.exception
    assert not compare.error
    assert shown(compare.success[0].value) == "Verdict: clients keep working"
    changes = _changes(compare)
    assert list(changes["change"]) == ["tensor renamed", "tensor renamed"]
    assert list(changes["old"]) == ["x:0", "y:0"]


def test_compare_two_different_samples_lists_features(compare: AppTest) -> None:
    compare.selectbox(key=_old(keys.COMPARE_SAMPLE)).set_value("tabular_churn").run()
    compare.selectbox(key=_new(keys.COMPARE_SAMPLE)).set_value("keras_multi_io").run()
    assert not compare.exception
    changes = _changes(compare)
    assert "signature" in set(changes["where"])
    assert {'feature "age"', 'feature "plan"'} <= set(changes["where"])
    assert "tf.Example features the graph parses" in [c.value for c in compare.caption]
    assert shown(compare.error[0].value).startswith("Verdict: breaks clients: ")


def test_compare_folders_on_the_anchor(compare: AppTest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_ALLOWED_ROOTS, str(ANCHORS))
    base = str(ANCHORS / "saved_model_half_plus_two_2_versions")
    for side in ("old", "new"):
        key = keys.compare_key(side, keys.COMPARE_SOURCE)
        compare.radio(key=key).set_value(keys.SOURCE_FOLDER).run()
        compare.text_input(key=keys.compare_key(side, keys.COMPARE_FOLDER)).input(base).run()
    assert not compare.exception
    assert _version(compare, "old").value == 123
    assert _version(compare, "new").value == 124
    assert shown(compare.success[0].value) == "Verdict: clients keep working"
    assert compare.session_state[keys.COMPARE_REPORT].changes == ()


def test_compare_refuses_a_folder_outside_the_allowed_roots(compare: AppTest) -> None:
    compare.radio(key=_new(keys.COMPARE_SOURCE)).set_value(keys.SOURCE_FOLDER).run()
    compare.text_input(key=_new(keys.COMPARE_FOLDER)).input("/etc").run()
    assert not compare.exception
    assert "outside the allowed folders" in compare.error[0].value
    assert "Choose both models" in compare.info[0].value


def test_compare_an_upload_with_a_sample(compare: AppTest) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(SAMPLES / LINEAR / "1", arcname="linear_v1")
    compare.radio(key=_old(keys.COMPARE_SOURCE)).set_value(keys.SOURCE_UPLOAD).run()
    compare.file_uploader(key=_old(keys.COMPARE_UPLOAD)).upload(
        "linear_v1.tar.gz", buffer.getvalue(), "application/gzip"
    ).run()
    assert not compare.exception
    _version(compare, "new").set_value(2).run()
    assert shown(compare.success[0].value) == "Verdict: clients keep working"
    extracted = compare.session_state[keys.compare_key("old", "extracted")][1]
    assert Path(extracted.model_dir).is_dir()


# --- test cases -------------------------------------------------------------------------------


@pytest.fixture
def cases_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180).run()
    at.radio(key="test.page").set_value("Cases").run()
    at.selectbox(key="test.sample").set_value(LINEAR).run()
    assert not at.exception
    return at


def _scope(sample: str) -> str:
    model = read_model(SAMPLES / sample)
    meta_graph = model.meta_graph()
    return run_scope(model, meta_graph, meta_graph.signature("serving_default"))


def test_the_cases_beside_the_model_are_loaded_on_first_visit(cases_page: AppTest) -> None:
    bundled = load_cases(SAMPLES / LINEAR / "cases.jsonl")
    cases = cases_page.session_state[keys.cases_key(LINEAR, keys.CASES)]
    assert [c.name for c in cases] == [c.name for c in bundled]
    assert any(
        f"Loaded {len(bundled)} cases from cases.jsonl" in shown(s.value)
        for s in cases_page.success
    )
    # Removing them all is not undone by the next run: the file is loaded once a session.
    cases_page.session_state[keys.cases_key(LINEAR, keys.CASES)] = ()
    cases_page.run()
    assert not cases_page.session_state[keys.cases_key(LINEAR, keys.CASES)]


def test_save_a_run_then_replay_it_against_another_version(cases_page: AppTest) -> None:
    at = cases_page
    bundled = load_cases(SAMPLES / LINEAR / "cases.jsonl")
    outcome_key = keys.run_key(_scope(LINEAR), keys.RUN_OUTCOME, "predict")
    at.button(key=keys.run_key(_scope(LINEAR), keys.RUN_BUTTON, "predict")).click().run()
    assert not at.exception
    at.text_input(key=f"{outcome_key}.{keys.SAVE_CASE_NAME}").input("zeros").run()
    at.button(key=f"{outcome_key}.{keys.SAVE_CASE_BUTTON}").click().run()
    assert not at.exception
    saved = next(
        c for c in at.session_state[keys.cases_key(LINEAR, keys.CASES)] if c.name == "zeros"
    )
    assert (saved.name, saved.method, saved.signature_name) == (
        "zeros",
        "predict",
        "serving_default",
    )
    assert saved.response == {"predictions": [[2.0]]}  # 0.5·0 + 0.25·0 + 2 on version 3
    assert any("Saved test case zeros (" in shown(s.value) for s in at.success)

    at.button(key=keys.cases_key(LINEAR, keys.CASES_LOAD_BUNDLED)).click().run()
    cases = at.session_state[keys.cases_key(LINEAR, keys.CASES)]
    assert [c.name for c in cases] == [c.name for c in bundled] + ["zeros"]

    at.selectbox(key=keys.cases_key(LINEAR, keys.CASES_VERSION)).set_value(2).run()
    at.button(key=keys.cases_key(LINEAR, keys.CASES_REPLAY)).click().run()
    assert not at.exception
    report = at.session_state[keys.cases_key(LINEAR, keys.CASES_REPORT)]
    assert report.target == "portable_linear version 2"
    results = {r.case.name: r.passed for r in report.results}
    assert results.pop("zeros") is False  # recorded on version 3: two values per row
    assert all(results.values())
    table = next(d.value for d in at.dataframe if "result" in d.value.columns)
    assert list(table["result"]).count("FAIL") == 1
    assert shown(at.error[0].value).startswith(f"{len(cases) - 1} passed, 1 failed against")

    at.selectbox(key=keys.cases_key(LINEAR, keys.CASES_VERSION)).set_value(3).run()
    at.button(key=keys.cases_key(LINEAR, keys.CASES_REPLAY)).click().run()
    report = at.session_state[keys.cases_key(LINEAR, keys.CASES_REPORT)]
    assert {r.case.name for r in report.results if r.passed} == {"zeros", "string_is_rejected"}


def test_upload_download_and_remove_cases(cases_page: AppTest) -> None:
    at = cases_page
    text = (SAMPLES / LINEAR / "cases.jsonl").read_bytes()
    at.file_uploader(key=keys.cases_key(LINEAR, keys.CASES_UPLOAD)).upload(
        "cases.jsonl", text, "application/jsonl"
    ).run()
    assert not at.exception
    cases = at.session_state[keys.cases_key(LINEAR, keys.CASES)]
    assert cases == load_cases(SAMPLES / LINEAR / "cases.jsonl")
    download = at.get("download_button")
    assert any(f"Download {len(cases)} cases" in str(d.proto.label) for d in download)
    assert cases_text(cases).encode() == text  # the file round-trips byte for byte
    at.multiselect(key=keys.cases_key(LINEAR, keys.CASES_REMOVE)).set_value(["one_row"]).run()
    at.button(key=keys.cases_key(LINEAR, keys.CASES_REMOVE_BUTTON)).click().run()
    assert "one_row" not in [c.name for c in at.session_state[keys.cases_key(LINEAR, keys.CASES)]]


def test_a_bad_cases_file_shows_the_line_at_fault(cases_page: AppTest) -> None:
    at = cases_page
    bad = b'{"name": "a", "method": "predict", "request": {}, "response": {}}\n{oops\n'
    at.file_uploader(key=keys.cases_key(LINEAR, keys.CASES_UPLOAD)).upload(
        "bad.jsonl", bad, "application/jsonl"
    ).run()
    assert not at.exception
    assert "bad.jsonl line 2 is not a JSON object" in at.error[0].value
    names = [c.name for c in at.session_state[keys.cases_key(LINEAR, keys.CASES)]]
    assert "a" not in names  # nothing of a bad file is loaded


def test_grpc_only_runs_cannot_be_saved(cases_page: AppTest) -> None:
    at = cases_page
    scope = _scope(LINEAR)
    at.session_state[keys.run_key(scope, keys.RUN_DEBUG_OPEN)] = True  # a lazy expander
    at.run()
    at.multiselect(key=keys.run_key(scope, keys.RUN_EXTRA_FETCHES, "predict")).set_value(
        ["serving_default_x:0"]
    ).run()
    at.button(key=keys.run_key(scope, keys.RUN_BUTTON, "predict")).click().run()
    assert not at.exception
    outcome_key = keys.run_key(scope, keys.RUN_OUTCOME, "predict")
    assert not [b for b in at.button if b.key == f"{outcome_key}.{keys.SAVE_CASE_BUTTON}"]
    assert any("Not saveable as a test case" in c.value for c in at.caption)
    assert json.loads(at.session_state[outcome_key].response_text)["predictions"]
