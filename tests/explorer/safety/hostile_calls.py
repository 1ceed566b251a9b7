"""Hostile models whose payload runs when a call runs (see hostile_models): Grappler's
implementation selector, functions named only in nested attrs, the gradient map, and ops
only an extra fetch reaches. Also what a hostile model is (:class:`HostileModel`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from explorer.safety.scan import INIT_OP, RESTORE_OP
from tests.explorer.safety.hostile_protos import (
    DT_FLOAT,
    MetaGraph,
    Nodes,
    attr_func,
    attr_funcs,
    attr_placeholder,
    attr_s,
    attr_types,
    func,
    message,
)


@dataclass(frozen=True)
class HostileModel:
    """One hostile model: what the scan must find, and how to set its payload off."""

    path: Path
    # The unsafe op types and the nodes holding them that the scan must report.
    ops: frozenset[str]
    nodes: frozenset[str]
    # What runs them: signature keys, INIT_OP or RESTORE_OP; () for ops only an extra
    # fetch reaches.
    reached_from: tuple[str, ...]
    # Tensors a call adds beside the signature's outputs (the extra-fetch hole).
    extra_fetches: tuple[str, ...] = ()
    # Where the payload writes; None when it leaks the secret instead.
    writes: Path | None = None

    @property
    def signatures(self) -> tuple[str, ...]:
        """The signatures to call to set the payload off (load-time ones: any)."""
        keys = tuple(k for k in self.reached_from if k not in (INIT_OP, RESTORE_OP))
        return keys or ("serving_default",)


def _write_then_identity(nodes: Nodes, target: Path, source: str = "x") -> str:
    """``y = Identity(source)`` after writing ``target``: the writing payload."""
    nodes.write_file("w", target)
    return nodes.identity("y", source, DT_FLOAT, "w")


def selector(root: Path, outside: Path) -> HostileModel:
    """Grappler's implementation selector: the signature calls a benign function; an
    unreferenced one that ``api_implements`` the same interface, preferring the CPU, is
    swapped in when the graph runs, and writes a file."""
    target = outside / "selector.txt"
    g = MetaGraph()
    g.graph.placeholder("x", DT_FLOAT, -1)
    io = ([("x", DT_FLOAT)], [("y", "y:output:0", DT_FLOAT)])
    api = {"api_implements": attr_s("explorer_pick")}
    g.function("benign_impl", *io, **api, api_preferred_device=attr_s("GPU")).identity(
        "y", "x", DT_FLOAT
    )
    evil = g.function("cpu_impl", *io, **api, api_preferred_device=attr_s("CPU"))
    _write_then_identity(evil, target)
    g.graph.call("call", "benign_impl", ["x"], [DT_FLOAT], [DT_FLOAT])
    # Grappler leaves graphs of fewer than 4 nodes alone; a real model has more.
    g.graph.identity("scaled", "call", DT_FLOAT)
    g.graph.identity("y", "scaled", DT_FLOAT)
    g.signature("serving_default", {"x": "x:0"}, {"y": ("y:0", DT_FLOAT)})
    return HostileModel(
        g.write(root / "selector"),
        frozenset({"WriteFile"}),
        frozenset({"w"}),
        ("serving_default",),
        writes=target,
    )


def nested_attrs(root: Path, outside: Path) -> HostileModel:
    """Function names only inside function attrs: an ``apply`` function runs the function
    its ``fn`` attr names (a placeholder), given as a nested ``NameAttrList.attr``, as a
    list of funcs, or left to the attr's default value."""
    target = outside / "nested.txt"
    g = MetaGraph()
    g.graph.placeholder("x", DT_FLOAT, -1)
    io = ([("x", DT_FLOAT)], [("y", "c:output:0", DT_FLOAT)])
    _write_then_identity(
        g.function("evil", [("x", DT_FLOAT)], [("y", "y:output:0", DT_FLOAT)]), target
    )

    def apply(name: str, attr_type_name: str, default: object = None) -> Nodes:
        fn = g.function(name, *io)
        attr = fn.function.signature.attr.add(name="fn", type=attr_type_name)
        if default is not None:
            attr.default_value.CopyFrom(default)
        return fn

    types = {"Tin": attr_types(DT_FLOAT), "Tout": attr_types(DT_FLOAT)}
    apply("apply", "func").add("c", "PartitionedCall", "x", f=attr_placeholder("fn"), **types)
    apply("apply_default", "func", attr_func("evil")).add(
        "c", "PartitionedCall", "x", f=attr_placeholder("fn"), **types
    )
    listed = apply("apply_listed", "list(func)")
    listed.int_const("zero", 0)
    listed.add(
        "c",
        "Case",
        "zero:output:0",
        "x",
        branches=attr_placeholder("fn"),
        output_shapes=message("AttrValue", list=message("AttrValue.ListValue")),
        **types,
    )
    calls = {
        "serving_default": func("apply", fn=attr_func("evil")),
        "listed": func("apply_listed", fn=attr_funcs("evil")),
        "defaulted": func("apply_default"),
    }
    for key, target_fn in calls.items():
        g.graph.call(f"{key}/call", target_fn, ["x"], [DT_FLOAT], [DT_FLOAT])
        g.graph.identity(f"{key}/y", f"{key}/call", DT_FLOAT)
        g.signature(key, {"x": "x:0"}, {"y": (f"{key}/y:0", DT_FLOAT)})
    return HostileModel(
        g.write(root / "nested"),
        frozenset({"WriteFile"}),
        frozenset({"w"}),
        tuple(sorted(calls)),
        writes=target,
    )


def gradient(root: Path, outside: Path) -> HostileModel:
    """``SymbolicGradient`` of a benign function whose gradient, in the library's
    ``gradient`` map, is a function that writes a file."""
    target = outside / "gradient.txt"
    g = MetaGraph()
    g.graph.placeholder("x", DT_FLOAT, -1)
    g.function("square", [("x", DT_FLOAT)], [("y", "y:output:0", DT_FLOAT)]).identity(
        "y", "x", DT_FLOAT
    )
    grad = g.function(
        "square_grad", [("x", DT_FLOAT), ("dy", DT_FLOAT)], [("dx", "y:output:0", DT_FLOAT)]
    )
    _write_then_identity(grad, target, source="dy")
    g.proto.graph_def.library.gradient.add(function_name="square", gradient_func="square_grad")
    g.graph.add(
        "grad",
        "SymbolicGradient",
        "x",
        "x",
        Tin=attr_types(DT_FLOAT, DT_FLOAT),
        Tout=attr_types(DT_FLOAT),
        f=attr_func("square"),
    )
    g.graph.identity("y", "grad", DT_FLOAT)
    g.signature("serving_default", {"x": "x:0"}, {"y": ("y:0", DT_FLOAT)})
    return HostileModel(
        g.write(root / "gradient"),
        frozenset({"WriteFile"}),
        frozenset({"w"}),
        ("serving_default",),
        writes=target,
    )


def extra_fetch(root: Path, secret: Path, outside: Path) -> HostileModel:
    """Ops no signature reaches (a ReadFile of the secret, a WriteFile before an
    Identity), run by a call that adds them as extra fetches."""
    target = outside / "extra_fetch.txt"
    g = MetaGraph()
    graph = g.graph
    graph.placeholder("x", DT_FLOAT, -1)
    graph.identity("y", "x", DT_FLOAT)
    graph.const("secret_path", str(secret))
    graph.add("steal", "ReadFile", "secret_path")
    graph.write_file("w", target)
    graph.identity("leak", "x", DT_FLOAT, "w")
    g.signature("serving_default", {"x": "x:0"}, {"y": ("y:0", DT_FLOAT)})
    return HostileModel(
        g.write(root / "extra_fetch"),
        frozenset({"ReadFile", "WriteFile"}),
        frozenset({"steal", "w"}),
        (),
        extra_fetches=("steal:0", "leak:0"),
        writes=target,
    )
