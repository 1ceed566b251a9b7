"""The hostile models against TensorFlow and against the explorer, from outside.

Run by TensorFlow itself (no explorer, no sandbox), every hostile model's payload happens:
it writes its file or returns the secret. Through the explorer, ``scan`` exits 1 naming
the op, ``predict`` without ``--allow-unsafe-ops`` is refused (exit 2) and nothing
happens; an extra fetch that reaches an unsafe op is refused the same way. Clean models
(Keras applications, and a TF2 model using an asset and ``api_implements``) stay clean.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from explorer.constants import MethodKind
from explorer.errors import UnsafeModelError
from explorer.model.reader import read_model
from explorer.run import calls
from explorer.run.dispatch import CallRequest, dispatch
from explorer.run.local import LocalTarget
from explorer.safety.scan import require_safe, scan_meta_graph
from tests.cli_runs import run_explorer_commands
from tests.conftest import REPO
from tests.explorer.safety.hostile_calls import HostileModel
from tests.explorer.safety.hostile_models import PREDICT_X, SECRET_TEXT, HostileModels, build


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileModels:
    return build(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(autouse=True)
def _nothing_escaped(hostile: HostileModels) -> Iterator[None]:
    yield
    assert list(hostile.outside.iterdir()) == []


def _run_in_tensorflow(model: HostileModel, signature: str) -> list[Any]:
    """Load the model with TensorFlow's own loader, in this process, and call it."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import numpy as np
    import tensorflow as tf

    v1 = tf.compat.v1
    with tf.Graph().as_default() as graph, v1.Session(graph=graph) as session:
        meta_graph = v1.saved_model.loader.load(session, ["serve"], str(model.path))
        sig = meta_graph.signature_def[signature]
        fetches = [t.name for t in sig.outputs.values()] + list(model.extra_fetches)
        values = session.run(fetches, {sig.inputs["x"].name: np.array([1.0], np.float32)})
    return [v.tolist() if hasattr(v, "tolist") else v for v in values]


def test_each_payload_is_live_in_tensorflow(tmp_path: Path) -> None:
    live = build(tmp_path / "live")
    for name, model in live.models.items():
        for signature in model.signatures:
            answer = repr(_run_in_tensorflow(model, signature))
            if model.writes is not None:
                assert model.writes.exists(), (name, signature)
                model.writes.unlink()
            else:
                assert SECRET_TEXT in answer, (name, signature)


def test_scan_names_each_hole_and_predict_refuses_it(hostile: HostileModels) -> None:
    runs = {}
    for name, model in hostile.models.items():
        runs[f"scan {name}"] = (["scan", str(model.path)], None)
        if model.reached_from:  # the extra-fetch model: its signatures alone are safe
            signature = model.signatures[0]
            runs[f"predict {name}"] = (
                ["predict", str(model.path), "--signature", signature, "--request", PREDICT_X],
                None,
            )
    # The model reader refuses a link out of the allowed roots; allowing where the asset
    # link leads leaves the scan as the guard.
    roots = {"EXPLORER_ALLOWED_ROOTS": str(hostile.secret.parent)}
    done = run_explorer_commands(runs, env={**os.environ, "PYTHONPATH": str(REPO), **roots})
    for name, model in hostile.models.items():
        scan = done[f"scan {name}"]
        assert SECRET_TEXT not in scan.stdout + scan.stderr
        if not model.reached_from:  # only an extra fetch runs it (next test)
            assert scan.returncode == 0, scan.stderr
            assert "Present but unreachable" in scan.stdout
            continue
        assert scan.returncode == 1, (name, scan.stdout, scan.stderr)
        reachable = scan.stdout.split("Present but unreachable")[0]
        for op in model.ops:
            assert f"  {op} [" in reachable, (name, scan.stdout)
        predict = done[f"predict {name}"]
        assert SECRET_TEXT not in predict.stdout + predict.stderr
        assert predict.returncode == 2, (name, predict.stdout, predict.stderr)
        assert "Refusing to run: the model contains unsafe ops" in predict.stderr
        assert all(op in predict.stderr for op in model.ops)
        assert predict.stdout == ""


def test_extra_fetches_that_run_unsafe_ops_are_refused(hostile: HostileModels) -> None:
    model = hostile.models["extra_fetch"]
    with pytest.raises(UnsafeModelError, match="extra fetches 'steal:0', 'leak:0' reach"):
        calls.predict(model.path, PREDICT_X, extra_fetches=model.extra_fetches)
    # The app's and serve's route: the refusal is the outcome, not an answer.
    outcome = dispatch(
        LocalTarget(model.path),
        CallRequest(MethodKind.PREDICT, body=PREDICT_X, extra_fetches=("leak:0",)),
    )
    assert outcome.result is None
    assert outcome.status is None
    assert outcome.error is not None
    assert "extra fetch 'leak:0' reaches unsafe ops (WriteFile)" in outcome.error


@pytest.fixture(scope="session")
def tf2_clean(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF2 SavedModel with a vocabulary asset (its path in a variable, read by an
    initializer function) and two functions implementing one interface (api_implements)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    folder = tmp_path_factory.mktemp("tf2_clean")
    vocab = folder / "vocab.txt"
    vocab.write_text("a\nb\n")
    iface = "explorer_test_iface"

    @tf.function(experimental_attributes={"api_implements": iface, "api_preferred_device": "CPU"})
    def on_cpu(x: Any) -> Any:
        return x * 2.0

    @tf.function(experimental_attributes={"api_implements": iface, "api_preferred_device": "GPU"})
    def on_gpu(x: Any) -> Any:
        return x + x

    class Model(tf.Module):
        def __init__(self) -> None:
            super().__init__()
            self.vocab = tf.saved_model.Asset(str(vocab))
            init = tf.lookup.TextFileInitializer(
                self.vocab,
                tf.string,
                tf.lookup.TextFileIndex.WHOLE_LINE,
                tf.int64,
                tf.lookup.TextFileIndex.LINE_NUMBER,
            )
            self.table = tf.lookup.StaticHashTable(init, -1)

        @tf.function(
            input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([None], tf.float32)]
        )
        def __call__(self, words: Any, x: Any) -> Any:
            on_gpu(x)  # traced into the library, as Keras does for its GPU variants
            return {"ids": self.table.lookup(words), "y": on_cpu(x)}

    model = Model()
    tf.saved_model.save(model, str(folder / "model"), signatures=model.__call__)
    return folder / "model"


def test_clean_models_stay_clean(keras_applications: dict[str, Path], tf2_clean: Path) -> None:
    for path in [*keras_applications.values(), tf2_clean]:
        meta_graph = read_model(path).meta_graph()
        result = scan_meta_graph(meta_graph)
        assert result.findings == (), (path, [(f.op, f.node) for f in result.findings])
        outputs = [
            n for s in meta_graph.callable_signatures for t in s.outputs for n in t.tensor_names
        ]
        require_safe(meta_graph, allow_unsafe=False, extra_fetches=outputs)
    meta_graph = read_model(tf2_clean).meta_graph()
    peers = [f for f in meta_graph.proto.graph_def.library.function if "api_implements" in f.attr]
    assert len(peers) == 2  # the interface is there, and crying wolf over it is not
    (read,) = scan_meta_graph(meta_graph).expected_asset_reads
    assert read.op == "InitializeTableFromTextFileV2"
