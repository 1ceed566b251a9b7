"""A tiny page for the TF Serving target: the sidebar picker, the server's signatures and
status, the Run panel sending to the server, and the comparison with a local model."""

from __future__ import annotations

import inspect
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st

from components.remote.remote_panel import (
    compare_requested,
    render_compare_panel,
    render_remote_model,
    render_server_status,
    render_target_picker,
)
from components.run.run_panel import render_run_panel
from explorer.model.reader import read_model

st.set_page_config(page_title="TF Serving target", layout="wide")
target = render_target_picker()
if target is None:
    st.info("Signatures run in this process.")
    st.stop()
if compare_requested():
    model = read_model(st.sidebar.text_input("Local model", key="test.local_path"))
else:
    model = render_remote_model(target)
    if model is None:
        st.stop()
meta_graph = model.meta_graph()
signature_key = st.sidebar.selectbox(
    "Signature", [s.key for s in meta_graph.callable_signatures], key="test.signature"
)
signature = meta_graph.signature(signature_key)
status_tab, run_tab = st.tabs(["Server", "Run"])
with status_tab:
    render_server_status(target)
with run_tab:
    options = {"allow_unsafe": False, "method_name_check": False}
    if compare_requested():
        render_run_panel(model, meta_graph, signature, **options)
        render_compare_panel(target, model, meta_graph, signature, **options)
    elif "remote" in inspect.signature(render_run_panel).parameters:
        render_run_panel(model, meta_graph, signature, remote=target, **options)
