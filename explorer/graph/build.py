"""The graph a signature really runs: keys → tensors → ops, as plain data (``SignatureGraph``).

Two steps with different lifetimes. ``prepare_signature`` slices the MetaGraph between
the signature's tensors (``explorer.graph.slicing``: only ops on input→output paths and
what feeds them, following calls into the function library) and groups the ops into
functions, name scopes and name-inferred stages and blocks (``explorer.graph.grouping``).
That is most of the cost and depends on nothing the user clicks, so callers keep the
``SignatureSlice`` (the app caches one per signature). ``SignatureSlice.view`` then picks
the open groups for the view options (expand, collapse, budget, highlight, findings) and
assembles the boxes: cheap, done on every click. ``build_signature_graph`` does both.

``explorer.graph.dot.to_dot`` and ``explorer.graph.layout`` draw the result; the app and the
CLI only read it. The graph's data classes and its ids are ``explorer.graph.elements``;
``explorer.graph.inspector.describe_node`` accepts its op ids.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from explorer.collector import collector_paused
from explorer.errors import GraphOptionError
from explorer.graph.elements import DEFAULT_NODE_BUDGET, GraphStats, SignatureGraph
from explorer.graph.flat import Endpoint, FlatGraph
from explorer.graph.grouping import build_hierarchy
from explorer.graph.groups import Group, Hierarchy
from explorer.graph.highlight import Marked, highlight_set, key_id, tensor_id
from explorer.graph.levels import distances
from explorer.graph.library import Library
from explorer.graph.navigation import (
    GroupNames,
    OpIndex,
    OpRef,
    OpRefs,
    adjacency,
    flagged_ops,
    inside_closed_calls,
    neighbours,
)
from explorer.graph.opening import ancestors, choose_expanded
from explorer.graph.slicing import slice_graph
from explorer.graph.view import assemble_view
from explorer.model.info import MetaGraphInfo, SignatureInfo

__all__ = [
    "OpRef",
    "SignatureSlice",
    "build_signature_graph",
    "calls_to_inline",
    "library_of",
    "prepare_signature",
]
_INLINE_ALL = 48  # Library.inline_depth when everything fits


@dataclass(slots=True, eq=False)
class SignatureSlice:
    """One signature's sliced and grouped graph: what every view of it shares."""

    signature: SignatureInfo
    flat: FlatGraph
    endpoints: dict[str, tuple[Endpoint, ...]]
    levels: list[int]
    hierarchy: Hierarchy
    metagraph_nodes: int
    library: Library
    # Built the first time a view or a lookup needs them.
    _op_index: OpIndex | None = field(default=None, repr=False)
    _ops: OpRefs | None = field(default=None, repr=False)
    _names: GroupNames | None = field(default=None, repr=False)
    _marked: dict[str, Marked | None] = field(default_factory=dict, repr=False)
    _adjacency: tuple[list[list[int]], list[list[int]]] | None = field(default=None, repr=False)

    @property
    def ops(self) -> OpRefs:
        """Every (function, op name) this signature runs (made on first use)."""
        if self._ops is None:
            self._ops = OpRefs(lambda: self.op_index)
        return self._ops

    @property
    def op_index(self) -> OpIndex:
        """(function, op name) → the flat ops running it (one per call site)."""
        if self._op_index is None:
            with collector_paused():
                self._op_index = OpIndex(self.flat)
        return self._op_index

    def view(
        self,
        *,
        expand: Iterable[str] = (),
        collapse: Iterable[str] = (),
        node_budget: int = DEFAULT_NODE_BUDGET,
        highlight: str | None = None,
        findings: Collection[OpRef] = (),
        focus: str | None = None,
    ) -> SignatureGraph:
        """The boxes for these options (see ``build_signature_graph``)."""
        signature = self.signature
        if node_budget < 1:
            raise GraphOptionError(
                "node budget",
                str(node_budget),
                (),
                f"The node budget is the most boxes to draw: a whole number ≥ 1, not "
                f"{node_budget}.",
            )
        keys = {t.key for t in (*signature.inputs, *signature.outputs)}
        if highlight is not None and highlight not in keys:
            raise GraphOptionError("signature key", highlight, sorted(keys))
        opening = self._find_groups(expand)
        if focus is not None:
            opening.extend(self.groups_to_show(focus))
        tensors = {n for t in (*signature.inputs, *signature.outputs) for n in t.tensor_names}
        opened = choose_expanded(
            self.hierarchy,
            fixed=len(keys) + len(tensors),
            budget=node_budget,
            expand=opening,
            collapse=self._find_groups(collapse),
        )
        made = self.hierarchy.groups
        for group_id in opened:  # every open group made its children before ops are counted
            made[group_id].groups  # noqa: B018
        nodes, edges, clusters = assemble_view(
            self.flat,
            self.hierarchy,
            opened,
            signature,
            self.endpoints,
            self.levels,
            self._highlight(highlight),
            flagged_ops(self.flat, self.library, self.op_index, findings) if findings else {},
            self.library,
        )
        stats = GraphStats(
            metagraph_nodes=self.metagraph_nodes,
            slice_nodes=len(self.flat.ids),
            visible_nodes=len(nodes),
            visible_edges=len(edges),
            functions_inlined=len(self.flat.frames) - 1,
            collapsed_groups=sum(1 for c in clusters if c.collapsed),
            node_budget=node_budget,
            levels=self.hierarchy.root.height,
        )
        return SignatureGraph(
            signature_key=signature.key,
            method_name=signature.method_name,
            nodes=nodes,
            edges=edges,
            clusters=clusters,
            stats=stats,
            highlight=highlight,
            ops=self.ops,
            focus=focus if focus is not None and any(n.id == focus for n in nodes) else None,
        )

    def _find_groups(self, names: Iterable[str]) -> list[Group]:
        names = [n for n in names if n]
        made = self.hierarchy.groups
        if all(n in made for n in names):  # ids of groups drawn or opened: no lookup table
            return [made[n] for n in names]
        if self._names is None:
            with collector_paused():
                self._names = GroupNames(self.hierarchy.everything())
        return self._names.find(names)

    def _highlight(self, key: str | None) -> Marked | None:
        if key is None:
            return None
        if key not in self._marked:
            on_path = [level >= 0 for level in self.levels]
            self._marked[key] = highlight_set(
                self.flat, self.signature, self.endpoints, on_path, key
            )
        return self._marked[key]

    def op_id(self, ref: OpRef) -> str | None:
        """The box id of an op named by (function, name): in this slice, or inside a call
        left closed (a longer id; ``calls_to_inline`` opens the calls on its way). None
        if the signature does not run it."""
        found = self.op_index.first.get(ref)
        if found is not None:
            return self.flat.ids[found]
        return inside_closed_calls(self.flat, self.library, ref)

    def groups_to_show(self, box_id: str) -> list[Group]:
        """The groups to open so the op ``box_id`` is drawn as itself (none for a key, a
        tensor or an op shown already); a group id opens the groups around it."""
        index = self.flat.index.get(box_id)
        if index is not None:
            with collector_paused():
                home = self.hierarchy.locate(index)
            return [*ancestors(home), home] if home.kind != "root" else []
        group = self.hierarchy.find(box_id)
        return ancestors(group) if group is not None else []

    def group_path(self, op_id: str) -> tuple[str, ...]:
        """Ids of the groups holding op ``op_id``, outermost first (empty at the top)."""
        return tuple(g.id for g in self.groups_to_show(op_id))

    def neighbours(self, op_id: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """The ops feeding ``op_id`` and the ops reading it, across calls: (box id,
        tensor) pairs; signature keys' tensors appear as their ``tensor:`` boxes."""
        index = self.flat.index.get(op_id)
        if index is None:
            return [], []
        if self._adjacency is None:
            with collector_paused():
                self._adjacency = adjacency(self.flat)
        inputs, consumers = neighbours(self.flat, self._adjacency, index)
        for tensor, ends in self.endpoints.items():
            if any(i == index for i, _, _ in ends):
                is_input = any(tensor in t.tensor_names for t in self.signature.inputs)
                (inputs if is_input else consumers).append((tensor_id(tensor), tensor))
        return _unique(inputs), _unique(consumers)

    def key_box(self, key: str) -> str | None:
        """The box id of signature key ``key``."""
        if self.signature.input(key) is not None:
            return key_id(key, True)
        if self.signature.output(key) is not None:
            return key_id(key, False)
        return None


def prepare_signature(
    meta_graph: MetaGraphInfo, signature_key: str, inline: Iterable[str] = ()
) -> SignatureSlice:
    """Slice and group what ``signature_key`` runs, once for every view of it.

    Calls are followed as deep as ``library.INLINE_LIMIT`` ops allow (all of them in most
    models); deeper ones stay closed boxes unless their call node id is in ``inline``
    (``calls_to_inline`` names the ones a view needs).

    Raises:
        UnknownSignatureError: no signature has that key.
    """
    signature = meta_graph.signature(signature_key)
    inputs = tuple(n for t in signature.inputs for n in t.tensor_names)
    outputs = tuple(n for t in signature.outputs for n in t.tensor_names)
    library = library_of(meta_graph)
    with collector_paused():
        flat, endpoints = slice_graph(
            meta_graph.proto,
            inputs,
            outputs,
            depth=library.inline_depth(),
            forced=frozenset(inline),
            library=library,
        )
        levels = distances(flat) if inputs else [0] * len(flat.ids)
        hierarchy = build_hierarchy(flat, levels, library)
    proto = meta_graph.proto.graph_def
    return SignatureSlice(
        signature=signature,
        flat=flat,
        endpoints=endpoints,
        levels=levels,
        hierarchy=hierarchy,
        metagraph_nodes=len(proto.node) + sum(len(f.node_def) for f in proto.library.function),
        library=library,
    )


_LIBRARIES: dict[int, tuple[MetaGraphInfo, Library]] = {}


def library_of(meta_graph: MetaGraphInfo) -> Library:
    """The MetaGraph's function library, analysed once per MetaGraph (the last few kept)."""
    kept = _LIBRARIES.get(id(meta_graph))
    if kept is not None and kept[0] is meta_graph:
        return kept[1]
    library = Library(meta_graph.proto)
    if len(_LIBRARIES) >= 8:
        _LIBRARIES.pop(next(iter(_LIBRARIES)))
    _LIBRARIES[id(meta_graph)] = (meta_graph, library)
    return library


def calls_to_inline(meta_graph: MetaGraphInfo, names: Iterable[str]) -> frozenset[str]:
    """The call node ids to inline so the boxes ``names`` (group, op or call ids, as the
    drawing names them) exist: every call on their ``::`` chains. Empty when the model is
    small enough to be inlined whole (so its slice is the same whatever is open)."""
    if library_of(meta_graph).inline_depth() >= _INLINE_ALL:
        return frozenset()
    found: set[str] = set()
    for name in names:
        parts = name.split("::")
        found.update("::".join(parts[:k]) for k in range(1, len(parts) + 1))
    return frozenset(found)


def build_signature_graph(
    meta_graph: MetaGraphInfo,
    signature_key: str,
    *,
    expand: Iterable[str] = (),
    collapse: Iterable[str] = (),
    node_budget: int = DEFAULT_NODE_BUDGET,
    highlight: str | None = None,
    findings: Collection[OpRef] = (),
    focus: str | None = None,
) -> SignatureGraph:
    """Build the graph of what ``signature_key`` runs, opened one level at a time.

    Args:
        meta_graph: the MetaGraph holding the signature (its parsed proto is used).
        signature_key: the SignatureDef key, e.g. "serving_default".
        expand: groups to open whatever the budget, at any depth: a group id, a name
            scope ("resnet50_1/conv1_conv_1"), a function name, a call node name, or a
            scope's last part with or without Keras's "_N" ("conv1_conv"); the groups
            around it open too. Groups on the data flow win over constants & variables
            (the rule: ``explorer.graph.navigation.GroupNames``).
        collapse: groups to keep closed (same names as ``expand``).
        node_budget: most boxes in the default view; whole levels are opened while the
            view fits.
        highlight: a signature key whose path is marked: an input key's ops down to the
            outputs it reaches, or an output key's ops back to the inputs.
        findings: ops the unsafe-op scan flagged, as (function, op name): marked on the
            boxes that show them.
        focus: a box id (key, tensor, op or group) to bring into view: the groups around
            it are opened and the graph says to centre it.

    Returns:
        The view as frozen dataclasses, sorted so the same model gives the same graph.

    Raises:
        UnknownSignatureError: no signature has that key.
        GraphOptionError: ``highlight``, ``expand`` or ``collapse`` names nothing in this
            graph, or ``node_budget`` is below 1.
    """
    named = [*expand, *([focus] if focus else [])]
    return prepare_signature(meta_graph, signature_key, calls_to_inline(meta_graph, named)).view(
        expand=expand,
        collapse=collapse,
        node_budget=node_budget,
        highlight=highlight,
        findings=findings,
        focus=focus,
    )


def _unique(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return list(dict.fromkeys(pairs))
