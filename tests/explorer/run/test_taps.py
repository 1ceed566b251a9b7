"""Taps return what the model computed inside its functions, exactly; the profile times
every op; neither changes TF Serving's answer nor lets anything run the scan refuses."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from explorer.compat.tap_drift import tap_drift
from explorer.errors import TapError, UnsafeModelError
from explorer.model.reader import read_model
from explorer.run import calls
from explorer.run.local import call_rest
from explorer.run.result import CallResult
from explorer.run.tap_rewrite import rewrite
from explorer.run.taps import output_op, resolve
from explorer.safety.scan import scan_meta_graph
from tests.cli_runs import run_explorer_commands
from tests.conftest import SAMPLES
from tests.explorer.run.tap_models import TapModels, build, expected
from tests.explorer.run.worker_models import WorkerModels

X = np.array([[1.0, 2.0, 3.0]], np.float32)
CALL = "PartitionedCall::PartitionedCall"


@pytest.fixture(scope="module")
def tap_models(tmp_path_factory: pytest.TempPathFactory) -> TapModels:
    return build(tmp_path_factory.mktemp("tap_models"))


def test_an_op_in_a_function_called_twice_returns_both_values(tap_models: TapModels) -> None:
    result = calls.predict_arrays(tap_models.nested, {"x": X}, taps=["double"])
    want = expected(X)
    assert [t.site.id for t in result.taps] == [
        f"{CALL}::PartitionedCall::double",
        f"{CALL}::PartitionedCall_1::double",
    ]
    np.testing.assert_allclose(result.taps[0].value, want["double_1"])
    np.testing.assert_allclose(result.taps[1].value, want["double_2"])
    assert result.tap(f"{CALL}::PartitionedCall_1::double") is result.taps[1].value
    with pytest.raises(KeyError, match="2 tapped places"):
        result.tap("double")  # two places: the caller must say which
    # TF Serving's answer is the same as without taps.
    assert result.response_text == calls.predict_arrays(tap_models.nested, {"x": X}).response_text


def test_if_branches_say_whether_they_ran(tap_models: TapModels) -> None:
    taps = [f"{CALL}::cond@then_branch::cond/pos", f"{CALL}::cond@else_branch::cond/neg"]
    for x in (X, -X):
        result = calls.predict_arrays(tap_models.nested, {"x": x}, taps=taps)
        pos, neg = result.taps
        taken, skipped = (pos, neg) if x.sum() > 0 else (neg, pos)
        np.testing.assert_allclose(taken.value, expected(x)["c"])
        assert taken.ran
        assert taken.note == ""
        assert not skipped.ran
        assert skipped.value is None
        assert "did not run for this request" in skipped.note


def test_a_while_body_op_returns_its_last_iteration(tap_models: TapModels) -> None:
    result = calls.predict_arrays(
        tap_models.nested, {"x": X}, taps=[f"{CALL}::while@body::while/sq"]
    )
    (square,) = result.taps
    np.testing.assert_allclose(square.value, expected(X)["last_sq"], rtol=1e-6)
    assert square.note == "inside a While loop: the value of its last iteration"
    np.testing.assert_allclose(result.outputs["w"], expected(X)["w"], rtol=1e-6)


def _check_producers(result: CallResult, aliases: list[str]) -> None:
    for alias, tap in zip(aliases, result.taps, strict=True):
        np.testing.assert_array_equal(tap.value, result.outputs[alias])


def test_tapping_the_op_behind_an_output_returns_exactly_that_output() -> None:
    cases = {
        "keras_multi_io": (
            "serving_default",
            {"instances": [{"age": [30.0], "clicks": [3], "country": ["us"]}]},
        ),
        "portable_linear/2": ("serving_default", {"instances": [[1.5], [2.5]]}),
        "flowers_tf1": ("predict_images", {"instances": [[[[0.5]] * 4] * 4]}),
    }
    for name, (key, body) in cases.items():
        meta_graph = read_model(SAMPLES / name).meta_graph()
        signature = meta_graph.signature(key)
        aliases = [t.key for t in signature.outputs]
        taps = [output_op(meta_graph, signature, a) for a in aliases]
        result = calls.predict(meta_graph, {**body, "signature_name": key}, taps=taps)
        _check_producers(result, aliases)
    churn = read_model(SAMPLES / "tabular_churn").meta_graph()
    signature = churn.signature("serving_default")
    taps = [output_op(churn, signature, a) for a in ("classes", "scores")]
    result = calls.classify(
        churn, {"examples": [{"monthly_charges": 95.0, "tenure_months": 2}]}, taps=taps
    )
    _check_producers(result, ["classes", "scores"])


def test_tapping_a_signature_input_returns_what_was_fed() -> None:
    # Before: TensorFlow's "x:0 is both fed and fetched.", and a note blaming the model.
    meta_graph = read_model(SAMPLES / "portable_linear" / "1").meta_graph()  # TF1: x, y
    result = calls.predict(meta_graph, {"instances": [[1.5], [2.5]]}, taps=["x", "y"])
    assert result.response_json == {"predictions": [[2.75], [3.25]]}
    fed, out = result.taps
    np.testing.assert_array_equal(fed.value, np.array([[1.5], [2.5]], np.float32))
    assert fed.value.dtype == np.float32
    np.testing.assert_array_equal(out.value, result.outputs["y"])


def test_a_keras_application_tap_and_profile(keras_applications: dict[str, Path]) -> None:
    model = read_model(keras_applications["MobileNetV2"])
    meta_graph = model.meta_graph()
    signature = meta_graph.signature("serving_default")
    (output,) = signature.outputs
    image = np.random.default_rng(7).random((1, 224, 224, 3), dtype=np.float32)
    pool = next(
        n.name
        for f in meta_graph.proto.graph_def.library.function
        for n in f.node_def
        if n.op == "Mean" and "global_average_pooling" in n.name
    )
    result = calls.predict_arrays(
        meta_graph,
        {signature.inputs[0].key: image},
        taps=[output_op(meta_graph, signature, output.key), pool],
        profile=True,
    )
    exact, pooled = result.taps
    np.testing.assert_array_equal(exact.value, result.outputs[output.key])
    assert pooled.value is not None
    assert pooled.value.shape == (1, 1280)  # the pooled features before the classifier
    summary = pooled.summary()
    assert summary is not None
    assert summary.minimum is not None
    assert summary.minimum >= 0.0  # the mean of ReLU6 activations
    profile = result.profile
    assert profile is not None
    assert profile.total_ms <= profile.execution_ms
    assert profile.span_ms <= profile.execution_ms
    by_kind: dict[str, int] = {}
    for op in profile.ops:
        by_kind[op.ran_as] = by_kind.get(op.ran_as, 0) + op.micros
    slowest = max(by_kind, key=lambda kind: by_kind[kind])
    assert "Conv" in slowest or "MatMul" in slowest, by_kind
    inside = [op for op in profile.ops if op.exact and "::" in op.id]
    assert len(inside) > 100  # ops inside the functions, mapped back to their graph ids


def test_the_rewritten_graph_scans_as_the_original(tap_models: TapModels) -> None:
    for path, tap in ((tap_models.nested, "double"), (tap_models.unsafe_unreachable, "y")):
        meta_graph = read_model(path).meta_graph()
        signature = meta_graph.signature("serving_default")
        rewritten = rewrite(meta_graph.proto, resolve(meta_graph, signature, [tap]))
        before = scan_meta_graph(meta_graph)
        after = scan_meta_graph(replace(meta_graph, proto=rewritten.proto))
        assert after.clean == before.clean
        assert [(f.op, f.node, f.reachable) for f in after.findings] == [
            (f.op, f.node, f.reachable) for f in before.findings
        ]


def test_a_tap_cannot_run_what_the_signature_does_not(tap_models: TapModels) -> None:
    # The ReadFile no output depends on: tapping it would run it, so it cannot be tapped.
    with pytest.raises(TapError, match='runs no op "steal"'):
        calls.predict(tap_models.unsafe_unreachable, {"instances": [1.0]}, taps=["steal"])


def test_a_tap_of_an_unsafe_model_needs_the_opt_in(misbehaving: WorkerModels) -> None:
    with pytest.raises(UnsafeModelError):
        calls.predict(misbehaving.files, {"instances": [1.0]}, taps=["y"])
    assert not misbehaving.written.exists()


def test_taps_that_cannot_be_fetched_say_why(tap_models: TapModels) -> None:
    cases = {
        f"{CALL}::while@cond::while/Less": "in a While loop's condition",
        "double:3": "has 1 output(s); there is no output 3",
        "not a tap::": "is not NODE or NODE:INDEX",
    }
    for tap, words in cases.items():
        with pytest.raises(TapError, match=words.replace("(", r"\(").replace(")", r"\)")):
            calls.predict_arrays(tap_models.nested, {"x": X}, taps=[tap])


def test_cli_taps_go_to_a_file_and_stderr_leaving_stdout_to_tf_serving(
    tap_models: TapModels, tmp_path: Path
) -> None:
    request = '{"instances": [[1.0, 2.0, 3.0]]}'
    model = str(tap_models.nested)
    npz, js = tmp_path / "taps.npz", tmp_path / "taps.json"
    runs = run_explorer_commands(
        {
            "plain": (["predict", model, "-r", request], None),
            "npz": (
                ["predict", model, "-r", request, "--tap", "double", "--taps-out", str(npz)],
                None,
            ),
            "json": (
                [
                    *("predict", model, "-r", request, "--profile", "--tap", "double:0"),
                    *("--taps-out", str(js)),
                ],
                None,
            ),
            "no_tap": (["predict", model, "-r", request, "--taps-out", str(npz)], None),
            "unknown": (["predict", model, "-r", request, "--tap", "nothing"], None),
            "server": (
                [
                    *("predict", "--server", "http://127.0.0.1:9", "--model", "m"),
                    *("-r", request, "--tap", "double"),
                ],
                None,
            ),
        }
    )
    plain = runs["plain"]
    assert plain.returncode == 0
    for name in ("npz", "json"):
        assert runs[name].returncode == 0, runs[name].stderr
        assert runs[name].stdout == plain.stdout
    assert (
        f"tap {CALL}::PartitionedCall::double:0 DT_FLOAT (1, 3): min 2 max 6" in runs["npz"].stderr
    )
    with np.load(npz) as archive:
        manifest = json.loads(str(archive["manifest"]))
        np.testing.assert_allclose(archive["tap_1"], expected(X)["double_2"])
    assert [t["id"] for t in manifest["taps"]] == [
        f"{CALL}::PartitionedCall::double",
        f"{CALL}::PartitionedCall_1::double",
    ]
    written = json.loads(js.read_text())
    assert written["taps"][0]["value"]["values"] == [[2.0, 4.0, 6.0]]
    assert written["profile"]["ops"]
    assert "profile:" in runs["json"].stderr
    for name, words in (
        ("no_tap", "--taps-out needs --tap or --profile"),
        ("unknown", 'runs no op "nothing"'),
        ("server", "--tap (taps look inside a local run"),
    ):
        assert runs[name].returncode == 2, runs[name].stderr
        assert words in runs[name].stderr


def test_a_tap_compared_across_versions_says_how_far_apart_they_are(tap_models: TapModels) -> None:
    base = SAMPLES / "portable_linear"
    same = tap_drift(
        base / "1", base / "2", "predict", {"instances": [[1.0], [2.0]]}, outputs=("y",)
    )
    (drift,) = same.drifts
    assert drift.identical  # a TF1 and a TF2 export of the same y = 0.5x + 2
    assert drift.old.site.id != drift.new.site.id  # found by the output key in each
    assert drift.describe().endswith(": identical")
    # A "retrained" inner function (2.5x instead of 2x): the drift starts there.
    report = tap_drift(
        tap_models.nested,
        tap_models.drifted,
        "predict",
        {"instances": X.tolist()},
        taps=("double",),
    )
    first, second = report.drifts
    assert first.differences() == {"max_abs": 1.5, "mean_abs": 1.0, "max_rel": 0.25}
    assert not second.identical
    assert first.describe() == (
        f"{CALL}::PartitionedCall::double: max |Δ| 1.5, mean |Δ| 1, max relative 0.25"
    )


def test_an_error_with_taps_names_the_models_own_functions(
    keras_applications: dict[str, Path],
) -> None:
    meta_graph = read_model(keras_applications["MobileNetV2"]).meta_graph()
    signature = meta_graph.signature("serving_default")
    key = signature.inputs[0].key
    no_batch = {"inputs": {key: np.zeros((224, 224, 3), np.float32).tolist()}}
    plain = call_rest(meta_graph, "predict", no_batch)
    tapped = call_rest(
        meta_graph, "predict", no_batch, taps=[output_op(meta_graph, signature, "output_0")]
    )
    assert "function_node" in plain["error"]  # the runtime names the model's function
    assert "__tap" not in tapped["error"]
    assert tapped == plain
