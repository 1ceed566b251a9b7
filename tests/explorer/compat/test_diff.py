"""``explorer.compat.diff``: the signature diff on the samples, TF Serving's two-version anchor,
and synthetic signatures for every class of change."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from explorer.compat.diff import COMPATIBLE, Change, CompatReport, diff_models
from explorer.constants import CLASSIFY_METHOD_NAME, PREDICT_METHOD_NAME, REGRESS_METHOD_NAME
from explorer.errors import UnknownTagSetError
from explorer.graph.example_features import ExampleFeature
from explorer.model import protos
from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo, TensorInfo
from explorer.model.reader import read_model
from tests.conftest import HALF_PLUS_TWO_2_VERSIONS, HALF_PLUS_TWO_CPU, REPO, SAMPLES

LINEAR = SAMPLES / "portable_linear"


def _summary(report: CompatReport) -> list[tuple[str, str, str, str, str | None, str | None]]:
    return [(c.kind, c.part, c.key, c.what, c.old, c.new) for c in report.changes]


# --- samples and anchors ---------------------------------------------------------------------


def test_portable_linear_1_to_2_only_renames_tensors() -> None:
    report = diff_models(read_model(LINEAR, version=1), read_model(LINEAR, version=2))
    assert report.verdict == COMPATIBLE == "clients keep working"
    assert not report.breaking
    assert _summary(report) == [
        ("safe", "input", "x", "tensor renamed", "x:0", "serving_default_x:0"),
        ("safe", "output", "y", "tensor renamed", "y:0", "StatefulPartitionedCall:0"),
    ]
    # TF2's __saved_model_init_op is not a signature clients call: not "added".
    assert report.signatures == ("serving_default",)


def test_portable_linear_2_to_3_breaks_clients() -> None:
    report = diff_models(read_model(LINEAR, version=2), read_model(LINEAR))
    assert report.breaking
    assert report.verdict == (
        'breaks clients: serving_default: input "x" shape changed ((-1, 1) → (-1, 2))'
    )
    (change,) = report.changes
    assert (change.column, change.signature) == ("shape", "serving_default")


def test_portable_linear_1_to_3_breaks_and_renames() -> None:
    report = diff_models(read_model(LINEAR, version=1), read_model(LINEAR, version=3))
    assert [c.kind for c in report.changes] == ["breaking", "safe", "safe"]


def test_tf_serving_two_version_anchor_has_no_changes() -> None:
    old = read_model(HALF_PLUS_TWO_2_VERSIONS, version=123)
    new = read_model(HALF_PLUS_TWO_2_VERSIONS, version=124)
    report = diff_models(old, new)
    assert report.changes == ()
    assert report.verdict == "clients keep working"
    assert "classify_x2_to_y3" in report.signatures  # in both versions, not new in 124
    assert report.old_label.startswith("saved_model_half_plus_two_2_versions version 123 (")


def test_anchor_cpu_to_two_versions_adds_a_signature_and_back_removes_it() -> None:
    cpu, two = read_model(HALF_PLUS_TWO_CPU), read_model(HALF_PLUS_TWO_2_VERSIONS)
    forward = diff_models(cpu, two)
    assert forward.verdict == "clients keep working"
    assert _summary(forward) == [("safe", "signature", "", "added", None, None)]
    assert forward.changes[0].signature == "classify_x2_to_y3"
    back = diff_models(two, cpu)
    assert back.verdict == 'breaks clients: signature "classify_x2_to_y3" removed'


def test_example_features_are_compared_on_real_graphs() -> None:
    churn = read_model(SAMPLES / "tabular_churn")
    assert diff_models(churn, churn).changes == ()
    report = diff_models(churn, read_model(SAMPLES / "keras_multi_io"))
    unread = {c.key for c in report.changes if c.part == "feature"}
    assert unread == {"age", "monthly_charges", "plan", "tenure_months"}
    assert {c.kind for c in report.changes if c.part == "feature"} == {"notable"}


def test_report_as_dict_is_json() -> None:
    report = diff_models(read_model(LINEAR, version=2), read_model(LINEAR, version=3))
    data = json.loads(json.dumps(report.as_dict()))
    assert data["breaking"] is True
    assert data["counts"] == {"breaking": 1, "notable": 0, "safe": 0}
    assert data["changes"][0]["text"] == (
        'serving_default: input "x" shape changed ((-1, 1) → (-1, 2))'
    )
    assert data["verdict"].startswith("breaks clients: ")


def test_compat_imports_neither_numpy_nor_tensorflow() -> None:
    code = (
        "import sys, explorer.compat.diff, explorer.compat.cases; "
        "bad = {'numpy', 'tensorflow'} & set(sys.modules); assert not bad, bad"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --- synthetic signatures: every class ------------------------------------------------------


def _t(key: str, dtype: str = "DT_FLOAT", shape: Any = (None, 1), name: str = "") -> TensorInfo:
    return TensorInfo(key, "name", name or f"{key}:0", dtype, shape)


def _sig(
    key: str = "serving_default",
    inputs: tuple[TensorInfo, ...] = (),
    outputs: tuple[TensorInfo, ...] = (),
    method: str = PREDICT_METHOD_NAME,
    defaults: tuple[str, ...] = (),
    proto: Any = None,
) -> SignatureInfo:
    return SignatureInfo(key, method, inputs or (_t("x"),), outputs or (_t("y"),), defaults, proto)


def _mg(*signatures: SignatureInfo, tags: tuple[str, ...] = ("serve",)) -> MetaGraphInfo:
    # Signatures only, as a TF Serving's metadata gives them: an empty graph.
    empty = protos.message_class("tensorflow.MetaGraphDef")()
    return MetaGraphInfo(tags, "", "", signatures, 0, 0, 0, (), proto=empty)


def _diff(old: SignatureInfo, new: SignatureInfo, **options: Any) -> list[Change]:
    return list(diff_models(_mg(old), _mg(new), **options).changes)


def _one(old: SignatureInfo, new: SignatureInfo, **options: Any) -> tuple[str, str, str]:
    (change,) = _diff(old, new, **options)
    return change.kind, change.what, change.column


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ((None, 1), (None, 2), ("breaking", "shape changed", "shape")),
        ((None, 1), (1, 1), ("breaking", "-1 became fixed", "shape")),
        ((None, 1), (None,), ("breaking", "rank changed", "shape")),
        (None, (None, 1), ("breaking", "shape now fixed", "shape")),
        ((None, 1), (None, None), ("safe", "shape relaxed", "shape")),
        ((None, 1), None, ("safe", "shape relaxed", "shape")),
    ],
)
def test_input_shapes_may_only_loosen(old: Any, new: Any, expected: tuple[str, str, str]) -> None:
    assert _one(_sig(inputs=(_t("x", shape=old),)), _sig(inputs=(_t("x", shape=new),))) == expected


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ((None, 3), (None, 4), ("breaking", "shape changed", "shape")),
        ((None, 3), (None, 3, 1), ("breaking", "rank changed", "shape")),
        ((None, 3), (None, None), ("notable", "dimension no longer fixed", "shape")),
        ((None, 3), None, ("notable", "rank no longer known", "shape")),
        ((None, None), (None, 3), ("safe", "shape narrowed", "shape")),
        (None, (None, 3), ("safe", "shape now known", "shape")),
    ],
)
def test_output_shapes_may_only_tighten(old: Any, new: Any, expected: tuple[str, str, str]) -> None:
    old_sig = _sig(outputs=(_t("y", shape=old),))
    assert _one(old_sig, _sig(outputs=(_t("y", shape=new),))) == expected


def test_dtype_and_encoding_changes_break() -> None:
    assert _one(_sig(), _sig(inputs=(_t("x", "DT_DOUBLE"),))) == (
        "breaking",
        "dtype changed",
        "dtype",
    )
    assert _one(_sig(), _sig(outputs=(_t("y", "DT_INT64"),))) == (
        "breaking",
        "dtype changed",
        "dtype",
    )
    sparse = TensorInfo("x", "coo_sparse", None, "DT_FLOAT", (None, 1), ("v:0", "i:0", "s:0"))
    kinds = {(c.kind, c.what) for c in _diff(_sig(), _sig(inputs=(sparse,)))}
    # serving_rules: Predict feeds inputs by tensor name, a sparse TensorInfo has none.
    assert kinds == {
        ("breaking", "encoding changed"),
        ("breaking", "fails at request time"),
        ("safe", "tensor renamed"),
    }


def test_removed_and_added_keys() -> None:
    two_in = _sig(inputs=(_t("x"), _t("z")))
    assert _one(two_in, _sig())[:2] == ("breaking", "removed")
    assert _one(_sig(), two_in)[:2] == ("breaking", "added (required)")
    optional = _sig(inputs=(_t("x"), _t("z")), defaults=("z",))
    assert _one(_sig(), optional)[:2] == ("safe", "added (has a default)")
    two_out = _sig(outputs=(_t("y"), _t("w")))
    assert _one(two_out, _sig())[:2] == ("breaking", "removed")
    # One output → two: TF Serving's REST Predict answer changes shape.
    (change,) = _diff(_sig(), two_out)
    assert (change.kind, change.what) == ("breaking", "added")
    assert "objects keyed by output alias" in change.why
    three_out = _sig(outputs=(_t("y"), _t("w"), _t("v")))
    assert _one(two_out, three_out)[:2] == ("safe", "added")


def test_signature_removed_added_and_verdict_lists_at_most_three() -> None:
    old = _mg(_sig(), _sig("a"), _sig("b"), _sig("c"))
    report = diff_models(old, _mg(_sig("d")))
    assert [(c.kind, c.signature) for c in report.changes] == [
        ("breaking", "serving_default"),
        ("breaking", "a"),
        ("breaking", "b"),
        ("breaking", "c"),
        ("safe", "d"),
    ]
    assert "requests without a signature_name" in report.changes[0].why
    assert report.verdict == (
        'breaks clients: signature "serving_default" removed; signature "a" removed; '
        'signature "b" removed; and 1 more'
    )


def _defaults(value: float) -> Any:
    signature = protos.message_class("tensorflow.SignatureDef")()
    default = signature.defaults["t"]
    default.dtype = 1  # DT_FLOAT
    default.float_val.append(value)
    return signature


def test_signature_defaults() -> None:
    plain = _sig(inputs=(_t("x"), _t("t")))
    with_default = _sig(inputs=(_t("x"), _t("t")), defaults=("t",), proto=_defaults(0.5))
    assert _one(with_default, plain) == ("breaking", "default removed", "default")
    assert _one(plain, with_default) == ("safe", "default added", "default")
    changed = _sig(inputs=(_t("x"), _t("t")), defaults=("t",), proto=_defaults(0.75))
    (change,) = _diff(with_default, changed)
    assert (change.kind, change.what) == ("notable", "default changed")
    assert (change.old, change.new) == (
        "dtype: DT_FLOAT float_val: 0.5",
        "dtype: DT_FLOAT float_val: 0.75",
    )


def test_method_name_and_api_acceptance() -> None:
    examples = (_t("inputs", "DT_STRING", (None,)),)
    classify = _sig(
        inputs=examples, outputs=(_t("scores", shape=(None, 2)),), method=CLASSIFY_METHOD_NAME
    )
    tf2 = _sig(inputs=examples, outputs=(_t("scores", shape=(None, 2)),))
    # TF Serving's default ignores method_name: only notable.
    assert _one(classify, tf2) == ("notable", "changed", "method_name")
    strict = _diff(classify, tf2, method_name_check=True)
    assert [(c.kind, c.part, c.key, c.what) for c in strict] == [
        ("breaking", "api", "Classify", "no longer accepted"),
        ("notable", "method_name", "", "changed"),
    ]
    assert "Expected classification signature method_name" in strict[0].why
    regress = _sig(inputs=examples, outputs=(_t("outputs"),), method=REGRESS_METHOD_NAME)
    two = _sig(inputs=examples, outputs=(_t("outputs"), _t("extra")), method=REGRESS_METHOD_NAME)
    found = {(c.kind, c.key, c.what) for c in _diff(regress, two)}
    assert ("breaking", "Regress", "no longer accepted") in found
    assert _diff(two, regress)[0].what == "removed"
    assert ("safe", "Regress", "now accepted") in {
        (c.kind, c.key, c.what) for c in _diff(two, regress)
    }


def test_new_request_time_failure_is_breaking() -> None:
    regress = _sig(
        inputs=(_t("inputs", "DT_STRING", (None,)),),
        outputs=(_t("outputs"),),
        method=REGRESS_METHOD_NAME,
    )
    doubled = _sig(
        inputs=(_t("inputs", "DT_STRING", (None,)),),
        outputs=(_t("outputs", "DT_DOUBLE"),),
        method=REGRESS_METHOD_NAME,
    )
    found = {(c.kind, c.part, c.what) for c in _diff(regress, doubled)}
    assert ("breaking", "api", "fails at request time") in found
    assert ("breaking", "output", "dtype changed") in found


def test_missing_tag_set_breaks_and_unknown_old_tag_set_raises() -> None:
    def model(mg: MetaGraphInfo) -> ModelInfo:
        return ModelInfo("/m", "m", None, (), (mg,), 1, 0, "saved_model.pb")

    report = diff_models(model(_mg(_sig())), model(_mg(_sig(), tags=("serve", "gpu"))))
    (change,) = report.changes
    assert (change.kind, change.part, change.key) == ("breaking", "tag_set", "serve")
    assert report.verdict == 'breaks clients: tag-set "serve" missing'
    with pytest.raises(UnknownTagSetError):
        diff_models(model(_mg(_sig())), model(_mg(_sig())), tags="gpu")


# --- tf.Example features ----------------------------------------------------------------------


def _feature(name: str, **fields: Any) -> ExampleFeature:
    values = {"dtype": "DT_FLOAT", "shape": (1,), "default": None, "required": True, **fields}
    return ExampleFeature(name, **values)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ((), (_feature("f"),), ("breaking", "added (required)", "")),
        ((), (_feature("f", default=(1.0,), required=False),), ("safe", "added (optional)", "")),
        ((_feature("f"),), (), ("notable", "no longer read", "")),
        (
            (_feature("f"),),
            (_feature("f", dtype="DT_INT64"),),
            ("breaking", "dtype changed", "dtype"),
        ),
        (
            (_feature("f", shape=(16,)),),
            (_feature("f", shape=(4, 4)),),
            ("notable", "reshaped", "shape"),
        ),
        (
            (_feature("f", shape=(16,)),),
            (_feature("f", shape=(15,)),),
            ("breaking", "shape changed", "shape"),
        ),
        (
            (_feature("f", default=(1.0,), required=False),),
            (_feature("f"),),
            ("breaking", "now required", "default"),
        ),
        (
            (_feature("f"),),
            (_feature("f", default=(1.0,), required=False),),
            ("safe", "now optional", "default"),
        ),
        (
            (_feature("f", default=(1.0,), required=False),),
            (_feature("f", default=(2.0,), required=False),),
            ("notable", "default changed", "default"),
        ),
        (
            (_feature("f", shape=None, kind="sparse", required=False),),
            (_feature("f"),),
            ("breaking", "kind changed", "kind"),
        ),
    ],
)
def test_example_feature_changes(
    monkeypatch: pytest.MonkeyPatch, old: tuple, new: tuple, expected: tuple[str, str, str]
) -> None:
    old_mg, new_mg = _mg(_sig()), _mg(_sig())
    features = {id(old_mg): old, id(new_mg): new}
    monkeypatch.setattr(
        "explorer.graph.example_features.expected_features", lambda mg, sig: features[id(mg)]
    )
    (change,) = diff_models(old_mg, new_mg).changes
    assert (change.kind, change.what, change.column) == expected
    assert change.part == "feature"
    assert change.why
