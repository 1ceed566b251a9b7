"""AppTest: a model that crashes TensorFlow shows the crash and the page keeps working;
the next run, on a good model, answers; a model rewritten on disk loses its opt-in."""

from __future__ import annotations

import io
import shutil
import tarfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from components.run.run_panel import run_scope
from explorer.model import protos
from explorer.model.reader import read_model
from explorer.run import calls, runner
from explorer.run.supervisor import CRASH_NOTE
from tests.conftest import HALF_PLUS_TWO_CPU, REPO, SAMPLES
from tests.explorer.run.worker_models import WorkerModels
from tests.markdown_text import shown


@pytest.fixture
def app(misbehaving: WorkerModels, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("EXPLORER_ALLOWED_ROOTS", f"{misbehaving.abort.parent}:{tmp_path}")
    return AppTest.from_file(str(REPO / "app.py"), default_timeout=180).run()


def _open_folder(app: AppTest, folder: Path) -> None:
    app.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_FOLDER).run()
    app.text_input(key=keys.FOLDER_PATH).input(str(folder)).run()
    app.session_state[keys.MAIN_TAB] = "Run"
    app.run()
    assert not app.exception


def _run(app: AppTest, folder: Path, signature: str, api: str) -> None:
    model = read_model(folder)
    meta_graph = model.meta_graph()
    scope = run_scope(model, meta_graph, meta_graph.signature(signature))
    app.button(key=keys.run_key(scope, keys.RUN_BUTTON, api)).click().run()
    assert not app.exception


def test_a_crash_is_shown_and_the_next_run_answers(app: AppTest, misbehaving: WorkerModels) -> None:
    _open_folder(app, misbehaving.abort)
    _run(app, misbehaving.abort, "serving_default", "predict")
    errors = [e.value for e in app.error]
    assert any("The model's worker crashed." in e and "signal SIGABRT" in e for e in errors), errors
    assert CRASH_NOTE in [shown(c.value) for c in app.caption]
    app.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_SAMPLE).run()
    app.selectbox(key=keys.SAMPLE).set_value("flowers_tf1").run()
    app.session_state[keys.MAIN_TAB] = "Run"
    app.run()
    _run(app, SAMPLES / "flowers_tf1", "serving_default", "predict")
    assert not app.error
    flowers = read_model(SAMPLES / "flowers_tf1")
    scope = run_scope(
        flowers, flowers.meta_graph(), flowers.meta_graph().signature("serving_default")
    )
    outcome = app.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "predict")]
    assert outcome.error is None
    assert len(outcome.result.response_json["predictions"][0]) == 3


def test_a_model_rewritten_on_disk_is_not_trusted_any_more(app: AppTest, tmp_path: Path) -> None:
    folder = tmp_path / "unsafe"
    shutil.copytree(SAMPLES / "unsafe_read_file", folder)
    _open_folder(app, folder)
    model = read_model(folder)
    key = keys.TRUST_PREFIX + runner.model_key(model.path, model.meta_graph())
    app.checkbox(key=key).check().run()
    assert app.checkbox(key=key).value is True
    # Another unsafe graph at the same path (a newer mtime): the opt-in does not carry over.
    graph = folder / "saved_model.pb"
    saved_model = protos.SavedModel()
    saved_model.ParseFromString(graph.read_bytes())
    extra = saved_model.meta_graphs[0].graph_def.node.add()
    extra.name, extra.op = "one_more_node", "NoOp"
    graph.write_bytes(saved_model.SerializeToString())
    app.run()
    rewritten = read_model(folder)
    new_key = keys.TRUST_PREFIX + runner.model_key(rewritten.path, rewritten.meta_graph())
    assert new_key != key
    assert any("unsafe op" in w.value for w in app.warning)
    assert app.checkbox(key=new_key).value is False


def test_uploads_in_a_loop_keep_one_model_loaded(app: AppTest) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(HALF_PLUS_TWO_CPU / "00000123", arcname="half_plus_two")
    app.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_UPLOAD).run()
    folders = []
    for round_ in range(4):
        app.file_uploader(key=keys.UPLOAD).upload(
            f"half_plus_two_{round_}.tar.gz", buffer.getvalue(), "application/gzip"
        ).run()
        assert not app.exception
        folder = Path(app.session_state["upload.extracted"][1].model_dir)
        folders.append(folder)
        calls.predict(folder, {"instances": [2.0]})  # loaded, as a Run would load it
    loaded = {Path(d) for d, _ in runner.loaded_models()}
    assert folders[-1] in loaded
    # Each new upload unloaded the one before it and removed its folder.
    for old in folders[:-1]:
        assert old not in loaded
        assert not old.exists()
