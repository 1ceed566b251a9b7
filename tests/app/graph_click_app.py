"""The Graph tab of one sample, plus a button that stands in for a click on the drawing.

AppTest cannot click inside a components-v2 element, so the button calls the drawing's own
click handler (``apply_click``) with the box id typed in the text box, on the graph drawn
in the same run, before the rerun, as the real click does.
"""

from __future__ import annotations

import streamlit as st

from components.graph.graph_panel import GraphOptions, apply_click, render_graph_tab
from explorer.graph.elements import SignatureGraph
from explorer.model.reader import read_model
from explorer.model.samples import list_samples

sample = next(s for s in list_samples() if s.name == "tabular_churn")
meta_graph = read_model(sample.path).meta_graph()
signature = meta_graph.signature("serving_default")
scope = f"{meta_graph.model_dir}.{meta_graph.tag_set}.{signature.key}"
drawn: list[SignatureGraph] = []


def _build(options: GraphOptions) -> SignatureGraph:
    graph = options.build(meta_graph, signature.key)
    drawn.append(graph)
    return graph


render_graph_tab(meta_graph, signature, _build)
box = st.text_input("Box id to click", key="test.click_id")
if drawn:
    st.button("Click it", key="test.click", on_click=apply_click, args=(drawn[-1], scope, box))
