"""A tiny page for the Run panel alone: pick a sample (or type a model folder) and a
signature, then run it."""

from __future__ import annotations

import streamlit as st

from components.run.run_panel import render_run_panel
from components.text import md_text
from explorer.model.info import ModelInfo
from explorer.model.reader import read_model
from explorer.model.samples import list_samples

st.set_page_config(page_title="Run panel", layout="wide")


@st.cache_resource(show_spinner=False)
def _model(path: str) -> ModelInfo:
    return read_model(path)


samples = {s.name: s for s in list_samples()}
name = st.sidebar.selectbox("Sample", list(samples), key="test.sample")
# A folder typed here (any model: TF Serving's test models, Keras applications) wins.
folder = st.sidebar.text_input("Model folder", key="test.folder").strip()
model = _model(folder or str(samples[name].path))
meta_graph = model.meta_graph()
signature_key = st.sidebar.selectbox(
    "Signature", [s.key for s in meta_graph.callable_signatures], key="test.signature"
)
allow_unsafe = st.sidebar.checkbox("I trust this model", key="test.allow_unsafe")
method_name_check = st.sidebar.checkbox(
    "--enable_signature_method_name_check", key="test.method_name_check"
)
st.header(f"{md_text(model.name)} · {md_text(signature_key)}")
render_run_panel(
    model,
    meta_graph,
    meta_graph.signature(signature_key),
    allow_unsafe=allow_unsafe,
    method_name_check=method_name_check,
)
