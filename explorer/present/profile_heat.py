"""A profiled run's times on the drawing: each drawn box's share of the slowest box's time
(``box_heat``, the colours) and the legend that says what the colours measure
(``heat_legend``). The app's Graph tab draws them; they are data, so any view can."""

from __future__ import annotations

from explorer.graph.build import SignatureSlice
from explorer.graph.elements import SignatureGraph


def box_heat(
    prepared: SignatureSlice, graph: SignatureGraph, times: dict[str, float]
) -> dict[str, list[object]] | None:
    """Each drawn box's share of the slowest box's time in the last profiled run (an op
    its own, a group or call every op inside), with the words its tooltip adds."""
    if not times:
        return None
    drawn = {n.id for n in graph.nodes}
    per_box: dict[str, float] = {}
    for op_id, ms in times.items():
        if op_id not in prepared.flat.index:
            continue
        for box in (op_id, *prepared.group_path(op_id)):
            if box in drawn:
                per_box[box] = per_box.get(box, 0.0) + ms
    slowest = max(per_box.values(), default=0.0)
    if slowest <= 0:
        return None
    return {
        box: [ms / slowest, f"{ms:.3f} ms in the last profiled run"] for box, ms in per_box.items()
    }


def heat_legend(heat: dict[str, list[object]] | None) -> dict[str, str] | None:
    """The legend beside a profile's colours: what they measure and the slowest box's time
    (the red end of the scale)."""
    if not heat:
        return None
    slowest = next((v[1] for v in heat.values() if v[0] == 1.0), None)
    if not isinstance(slowest, str):
        return None
    return {
        "title": "Time in the last profiled run",
        "max": slowest.removesuffix(" in the last profiled run"),
    }
