"""A laid-out scene (``explorer.graph.layout``) as a standalone SVG document.

The same picture the app draws, without the script: for ``graph --format svg``, the
app's download and a notebook without JavaScript. Every text is XML-escaped, and a
scene's texts have their control characters written as escapes already
(``explorer.graph.scene.shown``); ids, which stay as the graph spells them, get the same
here, since most C0 controls may not appear in XML at all.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from explorer.graph.scene import PlacedEdge, Scene, shown

_FILL = {
    "input_key": ("#d6e9ff", "#1f5fa8"),
    "output_key": ("#ffe3c2", "#c2620a"),
    "tensor": ("#fffbe0", "#b8a400"),
    "op": ("#ffffff", "#8a8a8a"),
    "const": ("#eeeeee", "#999999"),
    "variable": ("#e3f2e1", "#5b8c55"),
    "placeholder": ("#d6e9ff", "#1f5fa8"),
    "function_call": ("#ece6f6", "#6a4fb0"),
    "control_flow": ("#fff0dc", "#e07b00"),
    "group": ("#f1f3f6", "#6b7785"),
    "parameters": ("#eef5e6", "#5b8c55"),
}
_FRAME = {
    "function": ("#f8f5fd", "#6a4fb0"),
    "control_flow": ("#fffaf2", "#e07b00"),
    "scope": ("#fbfbfc", "#9aa3ad"),
    "parameters": ("#f7fbf2", "#5b8c55"),
}
_HOT = "#d62728"
_FINDING = "#b3261e"
_MARGIN = 8


def scene_svg(scene: Scene) -> str:
    """The SVG text of ``scene`` (ids as ``<title>``s, so a click target can be found)."""
    width, height = scene.width + 2 * _MARGIN, scene.height + 2 * _MARGIN
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="{-_MARGIN} {-_MARGIN} {width:.0f} {height:.0f}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="11">',
        f'<rect x="{-_MARGIN}" y="{-_MARGIN}" width="{width:.0f}" height="{height:.0f}" '
        'fill="#ffffff"/>',
    ]
    for frame in scene.frames:
        fill, stroke = _FRAME.get(frame.kind, _FRAME["scope"])
        stroke = _FINDING if frame.findings else stroke
        out.append(
            f'<g class="cluster"><title>{escape(shown(frame.id))}</title>'
            f'<rect x="{frame.x}" y="{frame.y}" width="{frame.w}" height="{frame.h}" rx="8" '
            f'fill="{fill}" stroke="{stroke}"/>'
            f'<text x="{frame.x + 8}" y="{frame.y + 13}" font-weight="bold">'
            f"{escape(frame.label)}"
            f'<tspan dx="8" font-weight="normal" fill="#666" font-size="10">'
            f"{escape(frame.sub)}</tspan></text></g>"
        )
    out.extend(_edge(edge) for edge in scene.edges)
    for box in scene.boxes:
        fill, stroke = _FILL.get(box.kind, _FILL["op"])
        if box.findings:
            fill, stroke = "#fde8e6", _FINDING
        if box.highlighted:
            stroke = _HOT
        radius = box.h / 2 if box.kind == "tensor" else 5
        texts = "".join(
            f'<text x="{box.x + 8}" y="{box.y + 15 + 14 * i}"'
            + (' font-weight="bold"' if i == 0 else ' fill="#555" font-size="10"')
            + f">{escape(line)}</text>"
            for i, line in enumerate(box.lines)
        )
        out.append(
            f'<g class="node"><title>{escape(shown(box.id))}</title>'
            f"<desc>{escape(box.title)}</desc>"
            f'<rect x="{box.x}" y="{box.y}" width="{box.w}" height="{box.h}" rx="{radius}" '
            f'fill="{fill}" stroke="{stroke}"/>{texts}</g>'
        )
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _edge(edge: PlacedEdge) -> str:
    p = edge.points
    if len(p) == 4:
        x0, y0, x1, y1 = p
        dx = max(16.0, (x1 - x0) / 2)
        d = f"M{x0},{y0} C{x0 + dx},{y0} {x1 - dx},{y1} {x1},{y1}"
    else:
        d = f"M{p[0]},{p[1]} " + " ".join(f"L{p[i]},{p[i + 1]}" for i in range(2, len(p), 2))
    color = _HOT if edge.highlighted else ("#1f5fa8" if edge.kind == "key" else "#8a8f96")
    dash = ' stroke-dasharray="4 3"' if edge.kind in ("control", "loop") else ""
    return (
        f'<path d="{d}" fill="none" stroke="{color}"{dash}>'
        f"<title>{escape(edge.label or edge.kind)}</title></path>"
    )
