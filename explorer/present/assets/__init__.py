"""The drawing's browser side (HTML, CSS, JavaScript), one source for the app and notebooks.

``graph_view.js`` is self-contained: ``mount(root, send)`` returns a view whose
``show(data)`` draws a laid-out scene (``explorer.graph.layout.scene_dict``) with its
minimap and inspector, and ``send(name, value)`` reports clicks. The Streamlit component
(``components/graph/graph_view.py``) calls its default export; ``standalone_html`` mounts
it in a page of its own (notebooks, the benchmark).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def text(name: str) -> str:
    """One asset file's text, e.g. ``text("graph_view.js")``.

    Raises:
        FileNotFoundError: no such asset (a packaging bug).
    """
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")


def standalone_html(data: dict[str, Any], *, element_id: str = "se-graph-0") -> str:
    """A self-contained HTML fragment drawing ``data`` (the same ``show`` data as the app);
    clicks only select and zoom, since nothing listens to them.

    The data goes in as JSON inside a ``<script type=application/json>`` element, with
    ``<`` escaped, so no model-provided name can end the script or become markup.
    """
    payload = json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
    module = text("graph_view.js").replace("export default function", "function _streamlit", 1)
    module = module.replace("export function mount", "function mount", 1)
    return (
        f'<div id="{element_id}"><style>{text("graph_view.css")}</style>{text("graph_view.html")}'
        f'<script type="application/json" class="se-data">{payload}</script>'
        f"<script type=module>{module}\n"
        f'const host = document.getElementById("{element_id}");\n'
        'const root = host.querySelector(".se-graph");\n'
        'const data = JSON.parse(host.querySelector(".se-data").textContent);\n'
        "root.seView = mount(root, () => {}); root.seView.show(data);\n"
        "</script></div>"
    )
