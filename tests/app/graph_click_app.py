"""The Graph tab of one sample, plus buttons that stand in for the drawing's events.

AppTest cannot click inside a components-v2 element, so "Click it" calls the drawing's own
click handler (``apply_click``) with the box id typed in the text box, on the graph drawn
in the same run, before the rerun, as the real click does; "Go to it" calls the handler of
an inspector link (``go_to``); "Act" applies an inspector row's action (``tap_action``).
"""

from __future__ import annotations

import streamlit as st

from components.graph.graph_panel import apply_click, go_to, render_graph_tab, tap_action
from components.taps_state import inspect_scope
from explorer.graph.build import prepare_signature
from explorer.model.reader import read_model
from explorer.model.samples import list_samples

sample = next(s for s in list_samples() if s.name == "tabular_churn")
meta_graph = read_model(sample.path).meta_graph()
signature = meta_graph.signature("serving_default")
scope = f"{meta_graph.model_dir}.{meta_graph.tag_set}.{signature.key}"
prepared = prepare_signature(meta_graph, signature.key)
drawn = render_graph_tab(meta_graph, signature, lambda inline: prepared)
box = st.text_input("Box id to click", key="test.click_id")
if drawn is not None:
    st.button("Click it", key="test.click", on_click=apply_click, args=(drawn, scope, box))
    st.button("Go to it", key="test.goto", on_click=go_to, args=(prepared, scope, box))
action = st.text_input("Inspector action", key="test.action")
st.button(
    "Act", key="test.act", on_click=tap_action, args=(inspect_scope(meta_graph, signature), action)
)
