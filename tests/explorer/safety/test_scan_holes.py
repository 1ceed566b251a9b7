"""The scan closes each hole class generally (no TensorFlow here): the hostile models'
findings, and hand-built variants showing each rule follows TensorFlow's own behaviour,
neither missing a way in nor crying wolf."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from explorer.errors import UnsafeModelError
from explorer.model.info import MetaGraphInfo
from explorer.model.reader import read_model
from explorer.safety.scan import (
    EXTRA_FETCH,
    INIT_OP,
    RESTORE_OP,
    ScanResult,
    fetch_findings,
    require_safe,
    scan_meta_graph,
)
from tests.conftest import HALF_PLUS_TWO_CPU
from tests.explorer.safety.hostile_models import HostileModels, build
from tests.explorer.safety.hostile_protos import (
    DT_FLOAT,
    DT_RESOURCE,
    DT_STRING,
    MetaGraph,
    attr_func,
    attr_placeholder,
    attr_s,
    attr_type,
    attr_types,
    message,
)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileModels:
    return build(tmp_path_factory.mktemp("hostile_scan"), checkpoints=False)


@pytest.fixture(autouse=True)
def _links_may_lead_here(
    hostile: HostileModels, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The model reader refuses links that leave the allowed roots; these tests show the
    # scan refuses a linked asset even where the reader lets the link through.
    roots = os.pathsep.join([str(hostile.secret.parent), str(tmp_path)])
    monkeypatch.setenv("EXPLORER_ALLOWED_ROOTS", roots)


def _scan(path: Path) -> tuple[MetaGraphInfo, ScanResult]:
    meta_graph = read_model(path).meta_graph()
    return meta_graph, scan_meta_graph(meta_graph)


# --- the hostile models ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "selector",
        "nested",
        "gradient",
        "asset_precedence",
        "asset_shared_name",
        "asset_symlink",
        "restore_prefix",
    ],
)
def test_each_hostile_model_is_a_finding_where_its_payload_runs(
    hostile: HostileModels, name: str
) -> None:
    model = hostile.models[name]
    meta_graph, result = _scan(model.path)
    assert not result.clean
    found = {f.node: f for f in result.reachable_findings}
    assert set(found) == model.nodes
    for finding in found.values():
        assert finding.op in model.ops
        assert set(finding.reachable_from) == set(model.reached_from)
    # Load-time payloads run before any call: every signature is affected.
    assert set(result.signatures_affected) >= set(model.signatures)
    with pytest.raises(UnsafeModelError) as refused:
        require_safe(meta_graph, allow_unsafe=False)
    assert set(refused.value.ops) == model.ops


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("asset_precedence", "TensorFlow's loader reads only asset_file_def"),
        ("asset_symlink", "is a symbolic link"),
        ("asset_shared_name", "names the same resource"),
        ("restore_prefix", "checkpoint prefix is not the saver's filename tensor"),
    ],
)
def test_a_refused_exemption_says_why(hostile: HostileModels, name: str, words: str) -> None:
    _, result = _scan(hostile.models[name].path)
    assert any(words in f.what_it_does for f in result.findings)


def test_asset_variable_writers_are_each_named(hostile: HostileModels) -> None:
    _, result = _scan(hostile.models["asset_shared_name"].path)
    notes = {f.node: f.what_it_does for f in result.findings}
    assert "another node names the same resource ('a_path')" in notes["a/fill"]
    assert "another node names the same resource ('b_path')" in notes["b/fill"]  # a function's
    assert "used by more than reads" in notes["c/fill"]  # passed to a function that assigns


def test_extra_fetches_need_the_opt_in(hostile: HostileModels) -> None:
    model = hostile.models["extra_fetch"]
    meta_graph, result = _scan(model.path)
    assert result.clean  # no signature or load runs them ...
    assert {f.node for f in result.unreachable_findings} == model.nodes
    reached = fetch_findings(meta_graph, model.extra_fetches)  # ... an extra fetch does
    assert {(f.op, f.node, f.reachable_from) for f in reached} == {
        ("ReadFile", "steal", (f"{EXTRA_FETCH} steal:0",)),
        ("WriteFile", "w", (f"{EXTRA_FETCH} leak:0",)),
    }
    with pytest.raises(UnsafeModelError, match="extra fetches 'steal:0', 'leak:0' reach") as e:
        require_safe(meta_graph, allow_unsafe=False, extra_fetches=model.extra_fetches)
    assert e.value.ops == ("ReadFile", "WriteFile")
    require_safe(meta_graph, allow_unsafe=False, extra_fetches=["y:0", "x"])
    require_safe(meta_graph, allow_unsafe=True, extra_fetches=model.extra_fetches)


def test_an_extra_fetch_of_the_saver_is_not_exempt() -> None:
    # Fetching the saver's save tensor writes a checkpoint wherever save/Const points.
    meta_graph = read_model(HALF_PLUS_TWO_CPU).meta_graph()
    assert scan_meta_graph(meta_graph).clean
    require_safe(meta_graph, allow_unsafe=False, extra_fetches=["y2:0"])
    with pytest.raises(UnsafeModelError, match="'save/Identity:0'") as refused:
        require_safe(meta_graph, allow_unsafe=False, extra_fetches=["save/Identity:0"])
    assert "SaveV2" in refused.value.ops


# --- hand-built variants: the rules, not the payloads ----------------------------------------


def _read(g: MetaGraph, folder: Path) -> ScanResult:
    return scan_meta_graph(read_model(g.write(folder)).meta_graph())


def _caller(g: MetaGraph, function: str) -> None:
    """serving_default(x) = function(x)."""
    g.graph.placeholder("x", DT_FLOAT, -1)
    g.graph.call("call", function, ["x"], [DT_FLOAT], [DT_FLOAT])
    g.signature("serving_default", {"x": "x:0"}, {"y": ("call:0", DT_FLOAT)})


def _printer(g: MetaGraph, name: str, **attrs: object) -> None:
    """A float → float function that prints its input."""
    fn = g.function(name, [("x", DT_FLOAT)], [("y", "x", DT_FLOAT)], **attrs)
    fn.add("p", "PrintV2", "x", output_stream=attr_s("stderr"))


def test_interface_peers_run_only_when_one_of_them_can(tmp_path: Path) -> None:
    g = MetaGraph()
    _caller(g, "plain")
    g.function("plain", [("x", DT_FLOAT)], [("y", "x", DT_FLOAT)])
    iface = {"api_implements": attr_s("unused_iface")}
    g.function("iface_a", [("x", DT_FLOAT)], [("y", "x", DT_FLOAT)], **iface)
    _printer(g, "iface_b", **iface)
    result = _read(g, tmp_path / "m")
    (finding,) = result.findings
    assert (finding.function, finding.reachable_from) == ("iface_b", ())  # nobody calls a


def test_function_attrs_of_a_function_are_followed(tmp_path: Path) -> None:
    g = MetaGraph()
    _caller(g, "outer")
    g.function("outer", [("x", DT_FLOAT)], [("y", "x", DT_FLOAT)], helper=attr_func("inner"))
    _printer(g, "inner")
    (finding,) = _read(g, tmp_path / "m").findings
    assert (finding.function, finding.reachable_from) == ("inner", ("serving_default",))


def test_the_attrs_of_each_function_in_a_list_are_followed(tmp_path: Path) -> None:
    g = MetaGraph()
    g.graph.placeholder("x", DT_FLOAT, -1)
    g.graph.int_const("zero", 0)
    branches = message("AttrValue")
    branches.list.func.add(name="apply").attr["fn"].CopyFrom(attr_func("inner"))
    g.graph.add("case", "Case", "zero", "x", branches=branches)
    g.signature("serving_default", {"x": "x:0"}, {"y": ("case:0", DT_FLOAT)})
    apply = g.function("apply", [("x", DT_FLOAT)], [("y", "c:output:0", DT_FLOAT)])
    apply.add("c", "PartitionedCall", "x", f=attr_placeholder("fn"))
    _printer(g, "inner")
    (finding,) = _read(g, tmp_path / "m").findings
    assert (finding.function, finding.reachable_from) == ("inner", ("serving_default",))


def test_gradient_functions_run_only_when_a_gradient_is_instantiated(tmp_path: Path) -> None:
    g = MetaGraph()
    _caller(g, "f")
    g.function("f", [("x", DT_FLOAT)], [("y", "x", DT_FLOAT)])
    _printer(g, "f_grad")
    g.proto.graph_def.library.gradient.add(function_name="f", gradient_func="f_grad")
    (finding,) = _read(g, tmp_path / "plain").findings
    assert finding.reachable_from == ()  # a plain call never computes a gradient
    g.graph.add("grad", "SymbolicGradient", "x", "x", f=attr_func("f"))
    g.signature("grad", {"x": "x:0"}, {"y": ("grad:0", DT_FLOAT)})
    (finding,) = _read(g, tmp_path / "grad").findings
    assert finding.reachable_from == ("grad",)


def _restore_model(g: MetaGraph, second_prefix: str | None) -> None:
    """TF2's shape: the restore op calls a function whose RestoreV2 reads its argument."""
    g.graph.placeholder("saver_filename", DT_STRING)
    fn = g.function("restore_fn", [("file_prefix", DT_STRING)], [])
    fn.const("names", "v", vector=True)
    fn.const("slices", "", vector=True)
    fn.add(
        "r", "RestoreV2", "file_prefix", "names:output:0", "slices:output:0", dtypes=attr_types(1)
    )
    g.graph.call("restore_all", "restore_fn", ["saver_filename"], [DT_STRING], [])
    g.proto.saver_def.filename_tensor_name = "saver_filename:0"
    g.proto.saver_def.restore_op_name = "restore_all"
    if second_prefix is not None:  # the same function, called from elsewhere at load
        g.graph.const("other", second_prefix)
        g.graph.call("again", "restore_fn", ["other", "^restore_all"], [DT_STRING], [])
        g.proto.saver_def.restore_op_name = "again"
    g.graph.placeholder("x", DT_FLOAT, -1)
    g.signature("serving_default", {"x": "x:0"}, {"y": ("x:0", DT_FLOAT)})


def test_a_restore_through_a_function_argument_follows_every_call(tmp_path: Path) -> None:
    own = MetaGraph()
    _restore_model(own, None)
    assert _read(own, tmp_path / "own").findings == ()
    other = MetaGraph()
    _restore_model(other, "/srv/other-model/variables/variables")
    (finding,) = _read(other, tmp_path / "other").findings
    assert (finding.op, finding.reachable_from) == ("RestoreV2", (RESTORE_OP,))


def _asset_variable_model(g: MetaGraph, folder: Path, *, forge: bool = False) -> Path:
    """TF2's shape: the asset path in a variable; its handle passed to an initializer
    function that reads it and fills a table."""
    graph = g.graph
    graph.placeholder("asset_path", DT_STRING)
    g.asset("asset_path:0", "vocab.txt")
    graph.var_handle("var", "asset_var")
    graph.assign("var/assign", "var", "asset_path")
    graph.add(
        "table",
        "HashTableV2",
        key_dtype=attr_type(DT_STRING),
        value_dtype=attr_type(9),
        shared_name=attr_s("t"),
    )
    init = g.function("init_fn", [("handle", DT_RESOURCE), ("table", DT_RESOURCE)], [])
    init.read("path", "handle")
    init.add("fill", "InitializeTableFromTextFileV2", "table", "path:value:0")
    graph.call("init", "init_fn", ["var", "table", "^var/assign"], [DT_RESOURCE] * 2, [])
    g.main_op("init")
    if forge:
        graph.add("forged", "Const", dtype=attr_type(DT_RESOURCE))
    graph.placeholder("x", DT_FLOAT, -1)
    g.signature("serving_default", {"x": "x:0"}, {"y": ("x:0", DT_FLOAT)})
    g.write(folder)
    (folder / "assets").mkdir()
    (folder / "assets" / "vocab.txt").write_text("a\n")
    return folder


def test_an_asset_variable_read_where_its_handle_is_passed_is_expected(tmp_path: Path) -> None:
    result = scan_meta_graph(
        read_model(_asset_variable_model(MetaGraph(), tmp_path / "m")).meta_graph()
    )
    assert result.findings == ()
    (read,) = result.expected_asset_reads
    assert (read.function, read.reachable_from) == ("init_fn", (INIT_OP,))


def test_a_node_that_forges_resource_handles_voids_the_asset_variable(tmp_path: Path) -> None:
    folder = _asset_variable_model(MetaGraph(), tmp_path / "m", forge=True)
    (finding,) = scan_meta_graph(read_model(folder).meta_graph()).findings
    assert "makes resource handles out of data" in finding.what_it_does


def _vocab_model(g: MetaGraph, folder: Path, entries: list[tuple[str, bool]]) -> Path:
    """A TF1 vocabulary read of ``path:0``, declared by ``entries`` (file name, legacy)."""
    g.graph.const("path", "vocab.txt")
    g.graph.add("table", "HashTableV2", key_dtype=attr_type(DT_STRING), value_dtype=attr_type(9))
    g.graph.add("fill", "InitializeTableFromTextFileV2", "table", "path")
    g.main_op("fill")
    for filename, legacy in entries:
        g.asset("path:0", filename, legacy=legacy)
    g.graph.placeholder("x", DT_FLOAT, -1)
    g.signature("serving_default", {"x": "x:0"}, {"y": ("x:0", DT_FLOAT)})
    g.write(folder)
    (folder / "assets").mkdir()
    (folder / "assets" / "vocab.txt").write_text("a\n")
    return folder


@pytest.mark.parametrize(
    ("entries", "own"),
    [
        ([("vocab.txt", False), ("vocab.txt", True)], True),  # listed both ways: fed
        ([("vocab.txt", False), ("../../etc/passwd", False)], False),  # one entry leaves
        ([("vocab.txt", True)], True),  # the collection alone: the loader reads it
    ],
)
def test_asset_entries_are_judged_as_the_loader_feeds_them(
    tmp_path: Path, entries: list[tuple[str, bool]], own: bool
) -> None:
    result = scan_meta_graph(
        read_model(_vocab_model(MetaGraph(), tmp_path / "m", entries)).meta_graph()
    )
    assert result.clean is own
    assert len(result.expected_asset_reads) == (1 if own else 0)


def test_an_assets_folder_that_is_a_link_holds_no_own_asset(tmp_path: Path) -> None:
    folder = _vocab_model(MetaGraph(), tmp_path / "m", [("vocab.txt", False)])
    (folder / "assets").rename(tmp_path / "elsewhere")
    (folder / "assets").symlink_to(tmp_path / "elsewhere")
    (finding,) = scan_meta_graph(read_model(folder).meta_graph()).findings
    assert "assets/ is a symbolic link" in finding.what_it_does


# --- hostile shapes do not break the scan ------------------------------------------------------


def test_long_chains_are_followed_or_refused_without_recursion(tmp_path: Path) -> None:
    g = MetaGraph()
    # 5,000 functions, each calling the next; the last prints.
    _caller(g, "f0")
    for i in range(5_000):
        fn = g.function(f"f{i}", [("x", DT_FLOAT)], [("y", "c:output:0", DT_FLOAT)])
        fn.call("c", f"f{i + 1}", ["x"], [DT_FLOAT], [DT_FLOAT])
    _printer(g, "f5000")
    # A vocabulary read whose file name passes 5,000 Identity ops from the asset.
    g.graph.const("path", "vocab.txt")
    g.asset("path:0", "vocab.txt")
    previous = "path"
    for i in range(5_000):
        previous = g.graph.identity(f"hop{i}", previous, DT_STRING)
    g.graph.add("table", "HashTableV2", key_dtype=attr_type(DT_STRING), value_dtype=attr_type(9))
    g.graph.add("fill", "InitializeTableFromTextFileV2", "table", previous)
    g.main_op("fill")
    # The function-attr nesting protobuf allows (NameAttrList inside NameAttrList ...).
    nested = attr_func("inner_most")
    for _ in range(25):  # 3 message levels each, under protobuf's limit of 100
        nested = attr_func("f0", fn=nested)
    g.graph.add("deep_attr", "PartitionedCall", "x", f=nested)
    g.signature("deep", {"x": "x:0"}, {"y": ("deep_attr:0", DT_FLOAT)})
    _printer(g, "inner_most")
    result = _read(g, tmp_path / "m")
    found = {(f.function or f.node, f.reachable_from) for f in result.findings}
    assert ("f5000", ("deep", "serving_default")) in found
    assert ("inner_most", ("deep",)) in found
    # Too far to prove it is the asset: a finding, not a crash.
    assert ("fill", (INIT_OP,)) in found
