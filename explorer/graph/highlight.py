"""Which ops and boxes a highlighted signature key's path covers.

An input key marks everything its tensors reach downstream, and the output keys among
them; an output key marks its producers back through the ops on input→output paths
(constants and variables feeding them stay unmarked), and the input keys it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

from explorer.graph.flat import Endpoint, FlatGraph
from explorer.model.info import SignatureInfo


@dataclass(frozen=True, slots=True)
class Marked:
    """What a highlight covers: flat op indices and key/tensor box ids."""

    ops: frozenset[int]
    ids: frozenset[str]


def highlight_set(
    flat: FlatGraph,
    signature: SignatureInfo,
    endpoints: dict[str, tuple[Endpoint, ...]],
    on_path: list[bool],
    key: str | None,
) -> Marked | None:
    """The ops and boxes on ``key``'s path (see ``build_signature_graph``)."""
    if key is None:
        return None
    info = signature.input(key)
    forward = info is not None
    if info is None:
        info = signature.output(key)
    assert info is not None
    start = {i for t in info.tensor_names for i, _, _ in endpoints.get(t, ())}
    neighbours: list[list[int]] = [[] for _ in flat.ids]
    for src, dst in zip(flat.src, flat.dst, strict=True):
        if forward:
            neighbours[src].append(dst)
        elif on_path[src]:
            neighbours[dst].append(src)
    reached, stack = set(start), list(start)
    while stack:
        for nxt in neighbours[stack.pop()]:
            if nxt not in reached:
                reached.add(nxt)
                stack.append(nxt)
    ids = {key_id(key, forward), *(tensor_id(t) for t in info.tensor_names)}
    others = signature.outputs if forward else signature.inputs
    for other in others:
        hit = [
            t for t in other.tensor_names if any(i in reached for i, _, _ in endpoints.get(t, ()))
        ]
        if hit:
            ids.add(key_id(other.key, not forward))
            ids.update(tensor_id(t) for t in hit)
    return Marked(frozenset(reached), frozenset(ids))


def key_id(key: str, is_input: bool) -> str:
    """Box id of a signature key: ``input:<key>`` or ``output:<key>``."""
    return f"{'input' if is_input else 'output'}:{key}"


def tensor_id(name: str) -> str:
    """Box id of a signature tensor: ``tensor:<name>``."""
    return f"tensor:{name}"
