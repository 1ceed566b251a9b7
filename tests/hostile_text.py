"""A SavedModel whose every name attacks whatever shows it: a terminal, Markdown, HTML.

Built by tests (no TensorFlow: the protos are written directly), never committed. Its
signature key, method_name, input and output keys and tensor names, node and function
names, op type, asset name and TensorFlow version carry ANSI escapes (clear screen,
colours, an OSC 8 hyperlink), a carriage return, a right-to-left override, a Markdown
link and image, HTML tags (an ``<img>`` too), Streamlit's ``:red[…]``, ``$…$`` LaTeX and
``:smile:``. Every URL points at ``evil.example``, so a browser test can tell whether
anything was fetched.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from pathlib import Path

from explorer.model import protos

EVIL_HOST = "evil.example"
# Names may hold ":" (keys, method names) ...
PAYLOAD = (
    "\x1b[2J\x1b[31mRED\x1b[0m\x1b]8;;https://evil.example/osc\x07osc\x1b]8;;\x07\r"
    " [link](https://evil.example/l) ![img](https://evil.example/i.png)"
    " <img src=https://evil.example/h.png> <b>bold</b> :red[red] $x^2$ :smile: **strong**"
    " \u202eRLO\x9b31m"
)
# ... node and function names may not (a tensor is "node:index"): a protocol-relative
# link and image still point off the page.
NODE_PAYLOAD = (
    "\x1b[2J\x1b[31mRED\x1b[0m\r [link](//evil.example/n) ![img](//evil.example/n.png)"
    " <img src=//evil.example/hn.png> <b>bold</b> $x^2$ **strong** \u202eRLO"
)
# What a reader must see of the payloads, once control characters are written as escapes.
LITERALS = (
    "[link](https://evil.example/l)",
    "![img](https://evil.example/i.png)",
    "<img src=https://evil.example/h.png>",
    "<b>bold</b>",
    ":red[red]",
    "$x^2$",
    ":smile:",
    "**strong**",
)


@dataclass(frozen=True, slots=True)
class HostileTextModel:
    """The model's folder and every name in it."""

    path: Path
    key: str
    method_name: str
    input_key: str
    output_key: str
    input_node: str
    call_node: str
    write_node: str
    function: str
    op_type: str
    asset: str


def build_hostile_text_model(parent: Path) -> HostileTextModel:
    """Write the model into ``parent / "hostile_text"`` and describe it."""
    folder = parent / "hostile_text"
    folder.mkdir(parents=True, exist_ok=True)
    names = HostileTextModel(
        path=folder,
        key="key" + PAYLOAD,
        method_name="method" + PAYLOAD,
        input_key="in" + PAYLOAD,
        output_key="out" + PAYLOAD,
        input_node="x" + NODE_PAYLOAD,
        call_node="call" + NODE_PAYLOAD,
        write_node="write" + NODE_PAYLOAD,
        function="fn" + NODE_PAYLOAD,
        op_type="Op" + NODE_PAYLOAD,
        asset="asset" + NODE_PAYLOAD.replace("/", "_"),
    )
    saved_model = protos.SavedModel()
    saved_model.saved_model_schema_version = 1
    meta_graph = saved_model.meta_graphs.add()
    meta_graph.meta_info_def.tags.append("serve")
    meta_graph.meta_info_def.tensorflow_version = "2.99" + PAYLOAD
    graph = meta_graph.graph_def
    placeholder = graph.node.add(name=names.input_node, op="Placeholder")
    placeholder.attr["dtype"].type = 1  # DT_FLOAT
    call = graph.node.add(name=names.call_node, op="StatefulPartitionedCall")
    call.input.append(names.input_node)
    call.attr["f"].func.name = names.function
    function = graph.library.function.add()
    function.signature.name = names.function
    function.signature.input_arg.add(name="a", type=1)
    function.signature.output_arg.add(name="b", type=1)
    odd = function.node_def.add(name="odd", op=names.op_type)
    odd.input.append("a")
    write = function.node_def.add(name=names.write_node, op="WriteFile")
    write.input.extend(["odd:output:0", "odd:output:0"])
    function.ret["b"] = "odd:output:0"
    signature = meta_graph.signature_def[names.key]
    signature.method_name = names.method_name
    signature.inputs[names.input_key].name = names.input_node + ":0"
    signature.inputs[names.input_key].dtype = 1
    signature.outputs[names.output_key].name = names.call_node + ":0"
    signature.outputs[names.output_key].dtype = 1
    asset = meta_graph.asset_file_def.add(filename=names.asset)
    asset.tensor_info.name = "asset_path" + NODE_PAYLOAD + ":0"
    (folder / "saved_model.pb").write_bytes(saved_model.SerializeToString())
    return names


def raw_controls(text: str) -> list[str]:
    """The control and format characters in ``text`` other than line breaks and tabs,
    each as its code point (what a terminal would obey)."""
    return [
        f"U+{ord(c):04X}"
        for c in text
        if c not in "\n\t" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs")
    ]
