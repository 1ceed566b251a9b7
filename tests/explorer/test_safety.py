"""The unsafe-op scan: clean models stay clean, unsafe ops are found where they can run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from explorer import protos
from explorer.errors import UnsafeModelError
from explorer.model_info import MetaGraphInfo
from explorer.reader import read_model
from explorer.safety import (
    INIT_OP,
    RESTORE_OP,
    ScanResult,
    require_safe,
    scan_meta_graph,
    scan_model,
)
from explorer.unsafe_ops import UNSAFE_OPS, Category, markdown_table, unsafe_op
from tests.conftest import ANCHORS, SAMPLES

CLEAN_SAMPLES = ("flowers_tf1", "tabular_churn", "keras_multi_io", "sparse_ragged_tf1")
# Ops in the table that TensorFlow 2.x no longer registers (tf.contrib.rpc) but old
# graphs can still carry.
LEGACY_OPS = {"Rpc", "TryRpc"}


def _sample(name: str) -> Path:
    path = SAMPLES / name
    if not path.is_dir():
        pytest.skip(f"sample model {name} not built yet")
    return path


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
    assert [f.op for f in info.value.findings] == ["ReadFile"]
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


# --- hand-built graphs (no TensorFlow) -----------------------------------------------------


class _Builder:
    """A MetaGraphDef assembled node by node, read back through read_model."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.saved_model = protos.SavedModel()
        self.mg = self.saved_model.meta_graphs.add()
        self.mg.meta_info_def.tags.append("serve")

    def function(self, name: str, *args: str) -> Any:
        fn = self.mg.graph_def.library.function.add()
        fn.signature.name = name
        for arg in args:
            fn.signature.input_arg.add(name=arg, type=7)
        return fn

    def node(self, name: str, op: str, *inputs: str, within: Any = None, **attrs: Any) -> Any:
        node = (within.node_def if within is not None else self.mg.graph_def.node).add()
        node.name, node.op = name, op
        node.input.extend(inputs)
        for key, value in attrs.items():
            if isinstance(value, bytes):
                node.attr[key].s = value
            elif isinstance(value, list):
                node.attr[key].list.func.add().name = value[0]
            else:
                node.attr[key].func.name = value
        return node

    def signature(self, key: str, output: str) -> None:
        sig = self.mg.signature_def[key]
        sig.method_name = "tensorflow/serving/predict"
        sig.outputs["y"].name = output

    def read(self) -> MetaGraphInfo:
        self.folder.mkdir(exist_ok=True)
        (self.folder / "saved_model.pb").write_bytes(self.saved_model.SerializeToString())
        return read_model(self.folder).meta_graphs[0]


@pytest.fixture
def build(tmp_path: Path) -> _Builder:
    return _Builder(tmp_path / "model")


def test_functions_are_followed_through_every_function_attr(build: _Builder) -> None:
    build.node("x", "Placeholder")
    build.node("call", "StatefulPartitionedCall", "x", f="outer")
    build.signature("serving_default", "call:0")
    outer = build.function("outer", "a")
    build.node("cond", "If", "a", "a", within=outer, then_branch="then", else_branch="other")
    then = build.function("then", "a")
    build.node("case", "Case", "a", within=then, branches=["deep"])
    build.node("by_name", "deep_by_op", within=build.function("other"))
    build.node("w", "WriteFile", "a", "a", within=build.function("deep", "a"))
    build.node("p", "PrintV2", "a", within=build.function("deep_by_op"))
    result = scan_meta_graph(build.read())
    assert {(f.op, f.function, f.reachable_from) for f in result.findings} == {
        ("WriteFile", "deep", ("serving_default",)),
        ("PrintV2", "deep_by_op", ("serving_default",)),
    }


def test_control_inputs_count_and_unrelated_nodes_do_not(build: _Builder) -> None:
    build.node("x", "Placeholder")
    build.node("print", "PrintV2", "x")
    build.node("y", "Identity", "x", "^print")
    build.node("z", "Identity", "x")
    build.node("unused_read", "ReadFile", "x")
    build.signature("logs", "y:0")
    build.signature("quiet", "z:0")
    result = scan_meta_graph(build.read())
    assert [(f.op, f.reachable_from) for f in result.findings] == [
        ("PrintV2", ("logs",)),
        ("ReadFile", ()),
    ]
    assert result.signatures_affected == ("logs",)
    assert result.findings_for("quiet") == ()


def test_init_op_findings_affect_every_signature(build: _Builder) -> None:
    build.node("x", "Placeholder")
    build.node("y", "Identity", "x")
    build.node("leak", "WriteFile", "x", "x")
    build.node("init", "NoOp", "^leak")
    build.signature("a", "y:0")
    build.signature("b", "y:0")
    build.signature("__saved_model_init_op", "init")
    result = scan_meta_graph(build.read())
    (finding,) = result.findings
    assert finding.reachable_from == (INIT_OP,)
    assert result.signatures_affected == ("a", "b")
    assert result.findings_for("a") == (finding,)


def test_restore_op_may_restore_but_nothing_else(build: _Builder) -> None:
    build.node("path", "Const")
    build.node("restore", "RestoreV2", "path")
    build.node("save", "SaveV2", "path")
    build.node("smuggled", "PyFunc", "path")
    build.node("restore_all", "NoOp", "^restore", "^save", "^smuggled")
    build.mg.saver_def.restore_op_name = "restore_all"
    build.signature("serving_default", "path:0")
    result = scan_meta_graph(build.read())
    assert {(f.op, f.reachable_from) for f in result.findings} == {
        ("SaveV2", (RESTORE_OP,)),
        ("PyFunc", (RESTORE_OP,)),
    }
    assert result.signatures_affected == ("serving_default",)


def test_saver_ops_a_signature_reaches_are_findings(build: _Builder) -> None:
    build.node("path", "Placeholder")
    build.node("dump", "SaveV2", "path")
    build.node("y", "Identity", "path", "^dump")
    build.signature("exfiltrate", "y:0")
    (finding,) = scan_meta_graph(build.read()).findings
    assert (finding.op, finding.category, finding.reachable_from) == (
        "SaveV2",
        "checkpoint",
        ("exfiltrate",),
    )


def test_signature_named_like_the_init_op_cannot_hide(build: _Builder) -> None:
    build.node("x", "Placeholder")
    build.node("read", "ReadFile", "x")
    build.signature(INIT_OP, "read:0")
    result = scan_meta_graph(build.read())
    assert not result.clean
    assert result.signatures_affected == (INIT_OP,)


def test_vocabulary_read_outside_the_init_op_or_assets_is_a_finding(build: _Builder) -> None:
    build.node("asset", "Const")
    build.node("elsewhere", "Const")
    build.node("table", "HashTableV2")
    build.node("from_asset", "InitializeTableFromTextFileV2", "table", "asset")
    build.node("from_elsewhere", "InitializeTableFromTextFileV2", "table", "elsewhere")
    build.node("init", "NoOp", "^from_asset", "^from_elsewhere")
    build.node("reinit", "Identity", "table", "^from_asset")
    build.mg.collection_def["saved_model_main_op"].node_list.value.append("init")
    asset = build.mg.asset_file_def.add(filename="vocab.txt")
    asset.tensor_info.name = "asset:0"
    build.signature("serving_default", "reinit:0")
    result = scan_meta_graph(build.read())
    assert {(f.node, f.reachable_from) for f in result.findings} == {
        ("from_asset", ("serving_default", INIT_OP)),
        ("from_elsewhere", (INIT_OP,)),
    }
    assert result.expected_asset_reads == ()


def test_deep_graph_scans_without_recursion(build: _Builder) -> None:
    build.node("n0", "Placeholder")
    for i in range(1, 10_000):
        build.node(f"n{i}", "AddV2", f"n{i - 1}", f"n{i - 1}:0")
    build.node("print", "Print", "n0")
    build.node("end", "Identity", "n9999", "^print")
    build.signature("serving_default", "end:0")
    (finding,) = scan_meta_graph(build.read()).findings
    assert (finding.op, finding.reachable_from) == ("Print", ("serving_default",))


@pytest.mark.parametrize(
    ("op", "attrs", "expected"),
    [
        ("DecodeProtoV2", {}, None),
        ("DecodeProtoV2", {"descriptor_source": b"local://"}, None),
        ("DecodeProtoV2", {"descriptor_source": b"bytes://\x0a\x00"}, None),
        ("DecodeProtoV2", {"descriptor_source": b"/srv/descriptors.pb"}, "file system"),
        ("EncodeProto", {"descriptor_source": b"/srv/descriptors.pb"}, "file system"),
        ("FixedUnigramCandidateSampler", {}, None),
        ("FixedUnigramCandidateSampler", {"vocab_file": b"/srv/vocab"}, "file system"),
        ("Copy", {}, None),
        ("PrintV2", {"output_stream": b"stderr"}, "console"),
        ("PrintV2", {"output_stream": b"file:///tmp/log"}, "file system"),
        ("MatMul", {}, None),
    ],
)
def test_attr_conditions(op: str, attrs: dict[str, bytes], expected: str | None) -> None:
    node = protos.message_class("tensorflow.NodeDef")(name="n", op=op)
    for key, value in attrs.items():
        node.attr[key].s = value
    row = unsafe_op(node)
    assert (row.category if row else None) == expected


def test_markdown_table_lists_every_op_once() -> None:
    table = markdown_table()
    for op, row in UNSAFE_OPS.items():
        assert table.count(f"| `{op}` | {row.category} |") == 1
    assert all(row.what_it_does for row in UNSAFE_OPS.values())


def test_documented_unsafe_op_list_matches_the_code() -> None:
    from explorer.unsafe_ops import markdown_table
    from tests.conftest import REPO

    doc = (REPO / "docs" / "unsafe-ops.md").read_text()
    assert markdown_table().rstrip() in doc, "regenerate docs/unsafe-ops.md from markdown_table()"
