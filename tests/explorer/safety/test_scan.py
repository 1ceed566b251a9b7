"""The unsafe-op scan: clean models stay clean, unsafe ops are found where they can run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from explorer.errors import UnsafeModelError
from explorer.model.reader import read_model
from explorer.safety.ops import UNSAFE_OPS, Category, markdown_table
from explorer.safety.scan import (
    INIT_OP,
    ScanResult,
    require_safe,
    scan_meta_graph,
    scan_model,
)
from tests.conftest import ANCHORS, SAMPLES

CLEAN_SAMPLES = ("flowers_tf1", "tabular_churn", "keras_multi_io", "sparse_ragged_tf1")
# Ops in the table that TensorFlow 2.x no longer registers (tf.contrib.rpc) but old
# graphs can still carry.
LEGACY_OPS = {"Rpc", "TryRpc"}


def _sample(name: str) -> Path:
    return SAMPLES / name


def _only(model_path: Path, version: int | None = None) -> ScanResult:
    (result,) = scan_model(read_model(model_path, version=version)).values()
    return result


# --- real models --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("saved_model_half_plus_two_cpu", None),
        ("saved_model_half_plus_two_2_versions", 123),
        ("saved_model_half_plus_two_2_versions", 124),
    ],
)
def test_tf_serving_anchors_have_no_finding(name: str, version: int | None) -> None:
    # TF1 exports: their saver (SaveV2, RestoreV2, MergeV2Checkpoints) is no finding.
    result = _only(ANCHORS / name, version)
    assert result.clean
    assert result.findings == ()
    assert result.signatures_affected == ()


@pytest.mark.parametrize("name", CLEAN_SAMPLES)
def test_clean_samples_have_no_finding(name: str) -> None:
    result = _only(_sample(name))
    assert result.clean
    assert result.findings == (), [f.op for f in result.findings]


def test_portable_linear_versions_are_clean() -> None:
    base = _sample("portable_linear")
    for version in read_model(base).available_versions:
        assert _only(base, version).findings == ()


def test_tf2_saver_functions_are_not_flagged() -> None:
    model = read_model(_sample("keras_multi_io"))
    ops = {n.op for f in model.meta_graphs[0].proto.graph_def.library.function for n in f.node_def}
    assert {"SaveV2", "RestoreV2"} <= ops  # the machinery is there ...
    assert _only(_sample("keras_multi_io")).findings == ()  # ... and not a finding


def test_vocabulary_asset_read_by_init_op_is_expected() -> None:
    result = _only(_sample("tabular_churn"))
    assert result.clean
    (read,) = result.expected_asset_reads
    assert read.op == "InitializeTableFromTextFileV2"
    assert read.category == Category.ASSET_READ
    assert read.reachable_from == (INIT_OP,)


def test_unsafe_read_file_flags_read_file_signature_only() -> None:
    model = read_model(_sample("unsafe_read_file"))
    result = scan_meta_graph(model.meta_graph())
    assert not result.clean
    (finding,) = result.findings
    assert finding.op == "ReadFile"
    assert finding.node == "ReadFile"
    assert finding.function is not None
    assert finding.function.startswith("__inference")
    assert finding.category == "file system"
    assert finding.reachable_from == ("read_file",)
    assert result.signatures_affected == ("read_file",)
    assert result.findings_for("serving_default") == ()
    assert result.findings_for("read_file") == (finding,)


def test_require_safe_refuses_unless_opted_in() -> None:
    meta_graph = read_model(_sample("unsafe_read_file")).meta_graph()
    with pytest.raises(UnsafeModelError, match="ReadFile") as info:
        require_safe(meta_graph, allow_unsafe=False)
    assert info.value.ops == ("ReadFile",)
    assert "--allow-unsafe-ops" in str(info.value)
    require_safe(meta_graph, allow_unsafe=True)
    require_safe(read_model(_sample("flowers_tf1")).meta_graph(), allow_unsafe=False)


def test_scan_is_cached_per_proto() -> None:
    meta_graph = read_model(ANCHORS / "saved_model_half_plus_two_cpu").meta_graph()
    assert scan_meta_graph(meta_graph) is scan_meta_graph(meta_graph)


# --- a TF1 graph built with TensorFlow ------------------------------------------------------


@pytest.fixture(scope="session")
def tf1_unsafe_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A TF1 SavedModel: one clean signature, PrintV2 / WriteFile / PyFunc signatures, a
    vocabulary asset read by the main op and a WriteFile nothing runs."""
    import tensorflow as tf

    tf1 = tf.compat.v1
    folder = tmp_path_factory.mktemp("tf1_unsafe")
    vocab = folder / "vocab.txt"
    vocab.write_text("a\nb\n")
    export = folder / "model"
    with tf.Graph().as_default() as graph, tf1.Session(graph=graph) as sess:
        x = tf1.placeholder(tf.float32, [None], name="x")
        w = tf1.Variable(2.0, name="w")
        clean = tf.identity(x * w, name="clean")
        printed = tf.print("x is", x)
        with tf.control_dependencies([printed]):
            print_out = tf.identity(x, name="print_out")
        written = tf.io.write_file("/tmp/explorer-never-written", tf.strings.as_string(x[0]))
        with tf.control_dependencies([written]):
            write_out = tf.identity(x, name="write_out")
        py_out = tf1.py_func(lambda v: v, [x], tf.float32, name="echo")
        tf.io.write_file("/tmp/explorer-dormant", "never run", name="dormant_write")
        vocab_const = tf.constant(str(vocab), name="vocab_path")
        tf1.add_to_collection(tf1.GraphKeys.ASSET_FILEPATHS, vocab_const)
        table = tf.lookup.StaticHashTable(
            tf.lookup.TextFileInitializer(
                vocab_const,
                tf.string,
                tf.lookup.TextFileIndex.WHOLE_LINE,
                tf.int64,
                tf.lookup.TextFileIndex.LINE_NUMBER,
            ),
            -1,
        )
        ids = table.lookup(tf.strings.as_string(x))
        sess.run(tf1.global_variables_initializer())

        def sig(out: Any) -> Any:
            return tf1.saved_model.predict_signature_def({"x": x}, {"y": out})

        builder = tf1.saved_model.Builder(str(export))
        builder.add_meta_graph_and_variables(
            sess,
            ["serve"],
            signature_def_map={
                "serving_default": sig(clean),
                "lookup": sig(ids),
                "print": sig(print_out),
                "write": sig(write_out),
                "pyfunc": sig(py_out),
            },
            # Declared as an asset: saved into assets/ and fed from there at load time.
            assets_collection=tf1.get_collection(tf1.GraphKeys.ASSET_FILEPATHS),
            main_op=tf1.tables_initializer(),
        )
        builder.save()
    return export


@pytest.fixture(scope="session")
def tf1_result(tf1_unsafe_model: Path) -> ScanResult:
    return _only(tf1_unsafe_model)


@pytest.mark.parametrize(
    ("signature", "op", "category"),
    [
        ("print", "PrintV2", "console"),
        ("write", "WriteFile", "file system"),
        ("pyfunc", "PyFunc", "python callback"),
    ],
)
def test_tf1_graph_flags_each_unsafe_signature(
    tf1_result: ScanResult, signature: str, op: str, category: str
) -> None:
    (finding,) = tf1_result.findings_for(signature)
    assert finding.op == op
    assert finding.category == category
    assert finding.function is None  # a TF1 graph has no library functions
    assert finding.reachable_from == (signature,)


def test_tf1_graph_clean_signatures_and_saver_are_not_flagged(tf1_result: ScanResult) -> None:
    assert not tf1_result.clean
    assert set(tf1_result.signatures_affected) == {"print", "write", "pyfunc"}
    assert tf1_result.findings_for("serving_default") == ()
    assert tf1_result.findings_for("lookup") == ()
    assert not {"SaveV2", "RestoreV2", "MergeV2Checkpoints"} & {f.op for f in tf1_result.findings}
    (read,) = tf1_result.expected_asset_reads
    assert read.op == "InitializeTableFromTextFileV2"


def test_tf1_graph_reports_dormant_op_as_unreachable(tf1_result: ScanResult) -> None:
    (dormant,) = tf1_result.unreachable_findings
    assert dormant.node == "dormant_write"
    assert dormant.severity == "unreachable"
    assert dormant.reachable_from == ()


def test_table_ops_are_registered_tensorflow_ops(tf1_unsafe_model: Path) -> None:
    # The fixture has imported TensorFlow already; this costs nothing more.
    from tensorflow.python.framework import op_def_registry

    unknown = {op for op in UNSAFE_OPS if op_def_registry.get(op) is None}
    assert unknown == LEGACY_OPS


def test_markdown_table_lists_every_op_once() -> None:
    table = markdown_table()
    for op, row in UNSAFE_OPS.items():
        assert table.count(f"| `{op}` | {row.category} |") == 1
    assert all(row.what_it_does for row in UNSAFE_OPS.values())


def test_documented_unsafe_op_list_matches_the_code() -> None:
    from explorer.safety.ops import markdown_table
    from tests.conftest import REPO

    doc = (REPO / "docs" / "unsafe-ops.md").read_text()
    assert markdown_table().rstrip() in doc, "regenerate docs/unsafe-ops.md from markdown_table()"
