"""What a box says, in the room it has: names cut at their boundaries, op summaries and
border shapes shortened by whole items ("+N"), boxes measured to hold their text, and
variable handles not taken for shapes crossing a border."""

from __future__ import annotations

from pathlib import Path

import pytest

from explorer.graph.build import prepare_signature
from explorer.graph.elements import GraphNode
from explorer.graph.layout import layout
from explorer.graph.scene import (
    BOX_PAD_X,
    MAX_TEXT_PX,
    TEXT_PX,
    TITLE_PX,
    box_lines,
    box_size,
)
from explorer.graph.summary import op_summary
from explorer.graph.text_width import border_lines, cut_name, fit_items, fit_shapes, text_px
from explorer.model.reader import read_model


def test_text_is_measured_by_its_characters() -> None:
    assert text_px("", 10) == 0
    assert text_px("ii", 10) < text_px("MM", 10)  # not a mean width per character
    assert text_px("Conv2D", 11, bold=True) > text_px("Conv2D", 11)
    assert text_px("ab", 20) == 2 * text_px("ab", 10)
    assert text_px("漢字", 10) == 20  # full-width characters take an em each


def test_a_path_keeps_its_end_and_a_name_its_start_at_a_boundary() -> None:
    name = "resnet50_1/conv4_block6_2_conv_1/BiasAdd"
    room = text_px("…/conv4_block6_2_conv_1/BiasAdd", 11, bold=True) + 1
    assert cut_name(name, room, 11, bold=True) == "…/conv4_block6_2_conv_1/BiasAdd"
    assert cut_name(name, 1000, 11) == name  # fits: unchanged
    function = "__inference_signature_wrapper___call___9035"
    cut = cut_name(function, 150, 11)
    assert cut.endswith("…")
    kept = cut.removesuffix("…")
    assert function.startswith(kept)
    assert kept.endswith("_")  # cut after a "_", never inside a word
    assert text_px(cut, 11) <= 150
    # A single word longer than the room loses its end, still within it.
    word = "ReadVariableOpReadVariableOp"
    assert text_px(cut_name(word, 60, 11), 11) <= 60


def test_an_op_summary_drops_whole_types_and_counts_them() -> None:
    items = ["Conv2D 10", "Relu 9", "Mul 30", "+7 types"]
    assert (
        fit_items("282 ops", items, 1000, 10) == "282 ops · Conv2D 10 · Relu 9 · Mul 30 · +7 types"
    )
    room = text_px("282 ops · Conv2D 10 · Relu 9 · +8 types", 10) + 1
    assert fit_items("282 ops", items, room, 10) == "282 ops · Conv2D 10 · Relu 9 · +8 types"
    assert fit_items("3 ops", ["MaxPool", "Pad"], 40, 10) == "3 ops · +2 types"
    assert fit_items("3 ops", ["MaxPool", "Pad"], 1000, 10) == "3 ops · MaxPool · Pad"
    assert fit_items(
        "9 ops", ["Relu", "ResizeBilinear"], text_px("9 ops · Relu · +1 type", 10), 10
    ) == ("9 ops · Relu · +1 type")


def test_a_summary_names_what_a_layer_computes_first() -> None:
    # ResNet's blocks hold more batch-norm arithmetic than convolutions.
    ops = {"Mul": 30, "Reshape": 50, "AddV2": 23, "Conv2D": 10, "Relu": 9, "ReadVariableOp": 70}
    assert op_summary(ops) == "Conv2D 10 · Relu 9 · Reshape 50 · +2 types"
    assert op_summary({"Mul": 2, "AddV2": 1}) == "Mul 2 · AddV2"
    assert op_summary({"A": 1, "B": 1, "C": 1, "D": 1}) == "A · B · C · +1 type"


def test_a_border_keeps_in_and_out_readable() -> None:
    border = "in (-1, 56, 56, 64) → out (-1, 56, 56, 256)"
    assert border_lines(border, 1000, 10) == [border]
    narrow = text_px("→ out (-1, 56, 56, 256)", 10) + 2
    assert border_lines(border, narrow, 10) == ["in (-1, 56, 56, 64)", "→ out (-1, 56, 56, 256)"]
    # Too many shapes: whole shapes go, counted; a shape is never cut inside.
    side = "(-1, 56, 56, 64), (-1, 28, 28, 128) +1"
    room = text_px("in (-1, 56, 56, 64) +2", 10) + 1
    assert fit_shapes("in", side, room, 10) == "in (-1, 56, 56, 64) +2"
    assert border_lines("out resource", 1000, 10) == ["out resource"]


def _group(summary: str, border: str, label: str = "conv4_block1…6") -> GraphNode:
    return GraphNode(
        id="g",
        label=f"{label}\n537 ops",
        kind="group",
        size=537,
        summary=summary,
        border=border,
    )


def test_a_group_box_is_sized_for_its_lines() -> None:
    node = _group(
        "Conv2D 19 · Relu 18 · Reshape 95 · +6 types",
        "in (-1, 28, 28, 512), (-1, 28, 28, 512) → out (-1, 14, 14, 1024)",
    )
    lines = box_lines(node)
    assert lines[0] == "conv4_block1…6"
    assert lines[1].startswith("537 ops · Conv2D 19")
    assert lines[-1].startswith("→ out (-1, 14, 14, 1024)")
    assert "…" not in "".join(lines[1:])  # items dropped whole, never cut
    width, height = box_size(lines)
    assert text_px(lines[0], TITLE_PX, bold=True) + 2 * BOX_PAD_X <= width
    assert all(text_px(line, TEXT_PX) + 2 * BOX_PAD_X <= width for line in lines[1:])
    assert all(text_px(line, TEXT_PX) <= MAX_TEXT_PX for line in lines[1:])
    assert height >= len(lines) * 14
    # An op box fits its op type ("ReadVariableOp" overflowed a box sized per character).
    op = GraphNode(id="r", label="ReadVariableOp\nReadVariableOp", kind="op", op="ReadVariableOp")
    width, _ = box_size(box_lines(op))
    assert width >= text_px("ReadVariableOp", TITLE_PX, bold=True) + 2 * BOX_PAD_X
    # A flagged box makes room for its mark.
    flagged, _ = box_size(box_lines(op), findings=True)
    assert flagged > width


@pytest.fixture(scope="module")
def resnet_scene(keras_applications: dict[str, Path]):  # type: ignore[no-untyped-def]
    meta_graph = read_model(keras_applications["ResNet50"]).meta_graph()
    graph = prepare_signature(meta_graph, "serving_default").view()
    return graph, layout(graph)


def test_keras_boxes_hold_their_text_and_borders_show_data(resnet_scene) -> None:  # type: ignore[no-untyped-def]
    graph, scene = resnet_scene
    for box in scene.boxes:
        widths = [text_px(box.lines[0], TITLE_PX, bold=True)]
        widths += [text_px(line, TEXT_PX) for line in box.lines[1:]]
        assert max(widths) + 2 * BOX_PAD_X <= box.w + 0.1, (box.id, box.lines, box.w)
        assert len(box.lines) * 14 <= box.h
    groups = [n for n in graph.nodes if n.kind == "group"]
    assert groups
    # The variables a Keras model passes in are handles, not () scalars crossing borders.
    assert not [n.id for n in groups if "scalar" in n.border], [n.border for n in groups]
    parameters = next(n for n in graph.nodes if n.kind == "parameters")
    assert parameters.border == "out resource"
    # A stage's box says its convolutions and the shapes going in and out.
    stage = next(b for b in scene.boxes if b.kind == "group" and b.lines[0].startswith("conv3"))
    assert "Conv2D" in stage.lines[1]
    assert stage.lines[-1].startswith(("in (-1, 56, 56, 256) →", "→ out (-1, 28, 28, 512)"))
