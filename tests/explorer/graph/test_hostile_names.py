"""Names a stranger chose, drawn: control and format characters (a right-to-left override,
ANSI escapes, NUL) are written as escapes in every text of the drawing and of its SVG,
which stays valid XML, while ids keep the names as the graph spells them."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any

import pytest

from explorer.graph.build import build_signature_graph
from explorer.graph.layout import layout, scene_dict
from explorer.graph.svg import scene_svg
from explorer.model import protos
from explorer.model.info import MetaGraphInfo
from explorer.model.reader import read_model
from explorer.present.text import visible_controls

RLO = "\u202e"
_SCOPE = f"evil{RLO}scope\x1b[2J"
_OP = f"{_SCOPE}/Re\x00lu{RLO}"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> MetaGraphInfo:
    saved = protos.SavedModel()
    meta = saved.meta_graphs.add()
    meta.meta_info_def.tags.append("serve")
    nodes = meta.graph_def.node
    for name, op, inputs in (
        ("x", "Placeholder", ()),
        (f"{_SCOPE}/w", "Const", ()),
        (f"{_SCOPE}/MatMul", f"Mat{RLO}Mul", ("x", f"{_SCOPE}/w")),
        (_OP, "Relu", (f"{_SCOPE}/MatMul",)),
        ("y", "Identity", (_OP,)),
    ):
        node = nodes.add()
        node.name, node.op = name, op
        node.input.extend(inputs)
        node.attr["T"].type = 1
    signature = meta.signature_def["serving_default"]
    signature.method_name = "tensorflow/serving/predict"
    signature.inputs[f"in{RLO}put"].name = "x:0"
    signature.outputs["y\x07"].name = "y:0"
    folder = tmp_path_factory.mktemp("hostile_names")
    Path(folder, "saved_model.pb").write_bytes(saved.SerializeToString())
    return read_model(folder).meta_graph()


@pytest.mark.parametrize("budget", [4, 10_000])
def test_every_drawn_text_shows_controls_as_escapes(hostile: MetaGraphInfo, budget: int) -> None:
    graph = build_signature_graph(hostile, "serving_default", node_budget=budget)
    scene: dict[str, Any] = scene_dict(layout(graph))
    boxes = scene["boxes"]
    # A tooltip is lines of text: each line is checked.
    texts = [t for box in boxes for t in (*box["lines"], *box["title"].split("\n"))]
    texts += [t for frame in scene["frames"] for t in (frame["label"], frame["sub"])]
    texts += [edge["label"] for edge in scene["edges"]]
    assert texts
    assert all(visible_controls(t) == t for t in texts), [
        t for t in texts if visible_controls(t) != t
    ]
    assert any("\\u202e" in t for t in texts)
    # Ids are the graph's own, unchanged: the drawing still names the op as the model does.
    if budget > 4:
        assert any(box["id"] == _OP for box in boxes)


def test_the_svg_is_valid_xml(hostile: MetaGraphInfo) -> None:
    graph = build_signature_graph(hostile, "serving_default", node_budget=10_000)
    svg = scene_svg(layout(graph))
    root = ElementTree.fromstring(svg)
    titles = [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any("Re\\x00lu\\u202e" in t for t in titles)
    assert RLO not in svg
    assert "\x1b" not in svg
