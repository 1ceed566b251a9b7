"""The scan on hand-built graphs: every function attr, control inputs, init and restore ops."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from explorer.model import protos
from explorer.model.info import MetaGraphInfo
from explorer.model.reader import read_model
from explorer.safety.ops import unsafe_op
from explorer.safety.scan import (
    INIT_OP,
    RESTORE_OP,
    scan_meta_graph,
)

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
    build.mg.saver_def.filename_tensor_name = "path:0"  # the loader feeds variables/ here
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


@pytest.mark.parametrize(
    ("declared", "expected"),
    [
        ("asset_file_def", True),  # the loader feeds it a file inside assets/
        ("legacy_collection", True),  # the same, as older TF1 builders wrote it
        ("asset_filepaths_only", False),  # the graph's own path stays: any file on the server
        ("escaping_filename", False),  # joined onto assets/, "../../etc/passwd" leaves it
    ],
)
def test_only_files_the_loader_puts_in_assets_are_expected_reads(
    build: _Builder, declared: str, expected: bool
) -> None:
    build.node("path", "Const")
    build.node("table", "HashTableV2")
    build.node("fill", "InitializeTableFromTextFileV2", "table", "path")
    build.node("init", "NoOp", "^fill")
    build.mg.collection_def["saved_model_main_op"].node_list.value.append("init")
    build.mg.collection_def["asset_filepaths"].node_list.value.append("path:0")
    entry = protos.message_class("tensorflow.AssetFileDef")(filename="vocab.txt")
    entry.tensor_info.name = "path:0"
    if declared == "asset_file_def":
        build.mg.asset_file_def.append(entry)
    elif declared == "legacy_collection":
        build.mg.collection_def["saved_model_assets"].any_list.value.add().Pack(entry)
    elif declared == "escaping_filename":
        entry.filename = "../../etc/passwd"
        build.mg.asset_file_def.append(entry)
    build.signature("serving_default", "table:0")
    result = scan_meta_graph(build.read())
    assert result.clean is expected
    assert [f.node for f in result.expected_asset_reads] == (["fill"] if expected else [])


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
