"""Hostile models whose payload runs when the model loads (see hostile_models): the asset
exemption fooled three ways, and a restore from a checkpoint outside the model."""

from __future__ import annotations

from pathlib import Path

from explorer.safety.scan import INIT_OP, RESTORE_OP
from tests.explorer.safety.hostile_calls import HostileModel
from tests.explorer.safety.hostile_protos import (
    DT_FLOAT,
    DT_INT64,
    DT_RESOURCE,
    DT_STRING,
    MetaGraph,
    Nodes,
    attr_i,
    attr_s,
    attr_type,
    attr_types,
)


def _table(nodes: Nodes, name: str, path: str) -> str:
    """A string → line-number table filled from the file named by ``path``; returns the
    filling node (the asset read)."""
    table = nodes.add(
        f"{name}/table",
        "HashTableV2",
        key_dtype=attr_type(DT_STRING),
        value_dtype=attr_type(DT_INT64),
        shared_name=attr_s(name),
        container=attr_s(""),
    )
    nodes.add(
        f"{name}/export",
        "LookupTableExportV2",
        table,
        Tkeys=attr_type(DT_STRING),
        Tvalues=attr_type(DT_INT64),
    )
    return nodes.add(
        f"{name}/fill",
        "InitializeTableFromTextFileV2",
        table,
        path,
        key_index=attr_i(-2),  # the whole line
        value_index=attr_i(-1),  # its line number
        vocab_size=attr_i(-1),
        delimiter=attr_s("\t"),
        offset=attr_i(0),
    )


def _table_model(g: MetaGraph, fills: list[str], folder: Path) -> Path:
    """The init op fills every table; the signature returns every table's keys."""
    g.graph.add("init_all", "NoOp", *(f"^{fill}" for fill in fills))
    g.main_op("init_all")
    g.graph.identity("y", "x", DT_FLOAT)
    outputs = {"y": ("y:0", DT_FLOAT)}
    outputs.update(
        {fill.split("/")[0]: (f"{fill.split('/')[0]}/export:0", DT_STRING) for fill in fills}
    )
    g.signature("serving_default", {"x": "x:0"}, outputs)
    g.write(folder)
    (folder / "assets").mkdir()
    (folder / "assets" / "vocab.txt").write_text("a\nb\n")
    return folder


def asset_precedence(root: Path, secret: Path) -> HostileModel:
    """The loader feeds ``asset_file_def`` and ignores the ``saved_model_assets``
    collection whenever the former is not empty: the collection's tensor keeps the path
    the graph holds, the secret's."""
    g = MetaGraph()
    g.graph.placeholder("x", DT_FLOAT, -1)
    g.graph.const("decoy", "vocab.txt")
    g.graph.const("vocab_path", str(secret))
    g.asset("decoy:0", "vocab.txt")
    g.asset("vocab_path:0", "vocab.txt", legacy=True)
    fill = _table(g.graph, "stolen", "vocab_path")
    return HostileModel(
        _table_model(g, [fill], root / "asset_precedence"),
        frozenset({"InitializeTableFromTextFileV2"}),
        frozenset({fill}),
        (INIT_OP,),
    )


def asset_shared_name(root: Path, secret: Path) -> HostileModel:
    """The asset's path sits in a variable assigned from the asset tensor (as TF2 saves
    it), and something else writes that variable before the table reads it: (a) a second
    VarHandleOp with the same shared_name, (b) one inside a function, (c) a function the
    variable's own handle is passed to."""
    g = MetaGraph()
    graph = g.graph
    graph.placeholder("x", DT_FLOAT, -1)
    graph.placeholder("asset_path", DT_STRING)
    g.asset("asset_path:0", "vocab.txt")
    graph.const("secret_path", str(secret))
    fills = []
    # (a) at top level
    graph.var_handle("a/var", "a_path")
    graph.assign("a/var/assign", "a/var", "asset_path")
    graph.var_handle("a/twin", "a_path")
    graph.assign("a/twin/assign", "a/twin", "secret_path", "a/var/assign")
    graph.read("a/read", "a/var", "a/twin/assign")
    fills.append(_table(graph, "a", "a/read"))
    # (b) inside a function
    graph.var_handle("b/var", "b_path")
    graph.assign("b/var/assign", "b/var", "asset_path")
    twin = g.function("overwrite_b", [], [])
    twin.const("p", str(secret))
    twin.var_handle("twin", "b_path")
    twin.assign("assign", "twin:resource:0", "p:output:0")
    graph.call("b/call", "overwrite_b", ["^b/var/assign"], [], [])
    graph.read("b/read", "b/var", "b/call")
    fills.append(_table(graph, "b", "b/read"))
    # (c) the handle itself, passed to a function that assigns it
    graph.var_handle("c/var", "c_path")
    graph.assign("c/var/assign", "c/var", "asset_path")
    assign = g.function("assign_c", [("handle", DT_RESOURCE)], [])
    assign.const("p", str(secret))
    assign.assign("assign", "handle", "p:output:0")
    graph.call("c/call", "assign_c", ["c/var", "^c/var/assign"], [DT_RESOURCE], [])
    graph.read("c/read", "c/var", "c/call")
    fills.append(_table(graph, "c", "c/read"))
    return HostileModel(
        _table_model(g, fills, root / "asset_shared_name"),
        frozenset({"InitializeTableFromTextFileV2"}),
        frozenset(fills),
        (INIT_OP,),
    )


def asset_symlink(root: Path, secret: Path) -> HostileModel:
    """A declared asset whose file in ``assets/`` is a symbolic link to the secret."""
    g = MetaGraph()
    g.graph.placeholder("x", DT_FLOAT, -1)
    g.graph.const("vocab_path", "vocab.txt")
    g.asset("vocab_path:0", "vocab.txt")
    fill = _table(g.graph, "stolen", "vocab_path")
    folder = _table_model(g, [fill], root / "asset_symlink")
    (folder / "assets" / "vocab.txt").unlink()
    (folder / "assets" / "vocab.txt").symlink_to(secret)
    return HostileModel(
        folder, frozenset({"InitializeTableFromTextFileV2"}), frozenset({fill}), (INIT_OP,)
    )


def restore_prefix(root: Path, checkpoint: Path) -> HostileModel:
    """The restore op restores the model's variable from the saver's filename tensor, and
    a second variable from a checkpoint prefix outside the model (a constant), which the
    signature returns."""
    g = MetaGraph()
    graph = g.graph
    graph.placeholder("x", DT_FLOAT, -1)
    graph.placeholder("saver_filename", DT_STRING)

    def restore(name: str, prefix: str, tensor: str, dtype: int) -> str:
        graph.const(f"{name}/names", tensor, vector=True)
        graph.const(f"{name}/slices", "", vector=True)
        graph.add(
            f"{name}/restore",
            "RestoreV2",
            prefix,
            f"{name}/names",
            f"{name}/slices",
            dtypes=attr_types(dtype),
        )
        graph.var_handle(f"{name}/var", name, dtype)
        return graph.assign(f"{name}/assign", f"{name}/var", f"{name}/restore", dtype=dtype)

    graph.const("elsewhere", str(checkpoint))
    own = restore("scale", "saver_filename", "scale", DT_FLOAT)
    stolen = restore("stolen", "elsewhere", "secret", DT_STRING)
    graph.add("restore_all", "NoOp", f"^{own}", f"^{stolen}")
    saver = g.proto.saver_def
    saver.filename_tensor_name = "saver_filename:0"
    saver.save_tensor_name = "saver_filename:0"
    saver.restore_op_name = "restore_all"
    saver.version = 2  # V2 checkpoints
    graph.read("secret", "stolen/var")
    graph.identity("y", "x", DT_FLOAT)
    g.signature(
        "serving_default", {"x": "x:0"}, {"y": ("y:0", DT_FLOAT), "secret": ("secret:0", DT_STRING)}
    )
    return HostileModel(
        g.write(root / "restore_prefix"),
        frozenset({"RestoreV2"}),
        frozenset({"stolen/restore"}),
        (RESTORE_OP,),
    )
