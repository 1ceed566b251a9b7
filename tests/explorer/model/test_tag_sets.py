"""Which MetaGraph a command uses: TF Serving loads the one tagged exactly "serve"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from explorer.errors import UnknownTagSetError
from explorer.model import protos
from explorer.model.reader import read_model
from explorer.run import calls
from tests.conftest import REPO


def _model(folder: Path, *tag_sets: tuple[str, ...]) -> Path:
    """A SavedModel whose MetaGraphs carry these tag-sets (a predict signature each)."""
    saved_model = protos.SavedModel()
    for tags in tag_sets:
        meta_graph = saved_model.meta_graphs.add()
        meta_graph.meta_info_def.tags.extend(tags)
        node = meta_graph.graph_def.node.add(name="x", op="Placeholder")
        node.attr["dtype"].type = 1
        signature = meta_graph.signature_def["serving_default"]
        signature.method_name = "tensorflow/serving/predict"
        signature.inputs["x"].name = "x:0"
        signature.inputs["x"].dtype = 1
        signature.outputs["y"].name = "x:0"
        signature.outputs["y"].dtype = 1
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(saved_model.SerializeToString())
    return folder


def test_the_default_is_the_meta_graph_tagged_exactly_serve(tmp_path: Path) -> None:
    model = read_model(_model(tmp_path / "m", ("serve", "gpu"), ("serve",), ("train",)))
    assert model.meta_graph().tags == ("serve",)
    assert set(model.meta_graph(" gpu , serve").tags) == {"gpu", "serve"}  # spaces ignored


def test_a_model_without_a_serve_meta_graph_is_not_run_by_default(tmp_path: Path) -> None:
    path = _model(tmp_path / "m", ("train",))
    assert read_model(path).meta_graph().tags == ("train",)  # still shown
    with pytest.raises(UnknownTagSetError, match="TF Serving loads the tag-set 'serve'"):
        calls.predict(path, '{"instances": [1.0]}')


def test_cli_run_without_a_serve_meta_graph_is_a_user_error(tmp_path: Path) -> None:
    path = _model(tmp_path / "m", ("train",))
    done = subprocess.run(
        [sys.executable, "-m", "explorer", "predict", str(path), "-r", '{"instances": [1.0]}'],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(
        "error: No MetaGraph with tag-set 'serve'. Available tag-sets: train."
    )


def test_diff_and_replay_judge_the_meta_graph_tf_serving_loads(tmp_path: Path) -> None:
    from explorer.compat.diff import diff_models

    train_only = read_model(_model(tmp_path / "old", ("train",)))
    with pytest.raises(UnknownTagSetError, match="TF Serving loads the tag-set 'serve'"):
        diff_models(train_only, train_only)
    assert diff_models(train_only, train_only, tags="train").changes == ()
    cases = tmp_path / "cases.jsonl"
    cases.write_text(
        '{"name": "one", "method": "predict", "request": {"instances": [1.0]}, '
        '"response": {"predictions": [1.0]}}\n',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "explorer", "replay", train_only.path, str(cases)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "No MetaGraph with tag-set 'serve'" in done.stderr
