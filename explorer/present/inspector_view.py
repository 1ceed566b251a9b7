"""What the inspector beside the drawing shows for the selected box: a key's TensorInfo,
or an op decoded (attrs, outputs, the groups holding it) with its inputs and consumers as
links that walk the graph across calls, and its outputs as tap actions. Plain data for
``graph_view.js`` (the app's Graph tab and the notebook widget alike), which sets every
text as text, never as markup."""

from __future__ import annotations

from explorer.errors import ExplorerError
from explorer.graph.build import SignatureSlice
from explorer.graph.elements import SignatureGraph
from explorer.graph.inspector import describe_node
from explorer.model.info import MetaGraphInfo

_ATTRS_SHOWN = 14


def inspector_data(
    meta_graph: MetaGraphInfo,
    prepared: SignatureSlice,
    graph: SignatureGraph,
    box: str | None,
    taps: tuple[str, ...] | None = None,
    times: dict[str, float] | None = None,
) -> dict[str, object] | None:
    """What the inspector beside the drawing shows for the selected box (None: nothing
    selected). With ``taps`` (the taps chosen so far), an op's outputs are also offered as
    tap actions (``tap:<op id>:<n>``, ``untap:…`` when tapped); with ``times``, its time in
    the last profiled run."""
    if not box:
        return None
    signature = prepared.signature
    if box.startswith(("input:", "output:")):
        key = box.split(":", 1)[1]
        info = signature.input(key) or signature.output(key)
        if info is None:
            return None
        rows = [{"text": t, "target": f"tensor:{t}"} for t in info.tensor_names]
        return {
            "title": f"{box.split(':')[0]} key {key}",
            "lines": [f"{info.dtype} {info.shape_text}", f"encoding {info.encoding}"],
            "sections": [{"title": "Tensors", "rows": rows}],
        }
    op_box = box
    if box.startswith("tensor:"):
        tensor = box.removeprefix("tensor:")
        ends = prepared.endpoints.get(tensor, ())
        if not ends:
            return {"title": tensor, "lines": ["not in the graph"], "sections": []}
        op_box = prepared.flat.nodes[ends[0][0]].id
    if op_box not in prepared.flat.index:
        return None
    try:
        details = describe_node(meta_graph, op_box)
    except ExplorerError as err:
        return {"title": op_box, "lines": [str(err)], "sections": []}
    inputs, consumers = prepared.neighbours(op_box)
    lines = [f"op {details.op}", f"in {details.function or 'the top-level graph'}"]
    if details.device:
        lines.append(f"device {details.device}")
    lines.extend(
        f"output {port}: {dtype} {shape}".rstrip() for port, dtype, shape in details.outputs
    )
    path = prepared.group_path(op_box)
    if path:
        lines.append("group " + " › ".join(short_group(g) for g in path))
    node = graph.node(op_box)
    if node is not None and node.findings:
        lines.append("⚠ flagged by the unsafe-op scan")
    if times and op_box in times:
        lines.append(f"{times[op_box]:.3f} ms in the last profiled run")
    tap_rows = []
    for port, dtype, shape in details.outputs if taps is not None else ():
        tap = f"{op_box}:{port}"
        tapped = tap in (taps or ())
        what = " ".join(part for part in (dtype, shape) if part)
        output = f"output {port}" + (f" ({what})" if what else "")
        tap_rows.append(
            {
                "text": f"✓ tapped — remove {output}"
                if tapped
                else f"Show {output} on the next run",
                "action": f"{'untap' if tapped else 'tap'}:{tap}",
            }
        )

    def link(target: str, tensor: str) -> dict[str, str]:
        name = target.split("::")[-1]
        return {"text": f"{name}  ({tensor})" if tensor else name, "target": target}

    attrs = [{"text": f"{k} = {v}"} for k, v in details.attrs[:_ATTRS_SHOWN]]
    if len(details.attrs) > _ATTRS_SHOWN:
        attrs.append({"text": f"… {len(details.attrs) - _ATTRS_SHOWN} more"})
    return {
        "title": details.name,
        "lines": lines,
        "sections": [
            *([{"title": "Look inside a run (Run tab)", "rows": tap_rows}] if tap_rows else []),
            {"title": f"Inputs ({len(inputs)})", "rows": [link(t, n) for t, n in inputs]},
            {"title": f"Consumers ({len(consumers)})", "rows": [link(t, n) for t, n in consumers]},
            {"title": "Attributes", "rows": attrs},
        ],
    }


def short_group(group_id: str) -> str:
    last = group_id.split("::")[-1].rstrip("/")
    return last.rsplit("/", 1)[-1] or last
