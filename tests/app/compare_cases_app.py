"""A tiny page for the Compare page and the test-cases panel, as app.py wires them.

``test.page`` picks the page: "Compare", or "Cases" (a sample's Run panel with "Save as
test case" under its outcome, and the cases panel below).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import streamlit as st

from components.compare.cases_panel import render_cases_panel
from components.compare.compare_panel import render_compare_page
from components.run.run_panel import render_run_panel
from explorer.model.reader import read_model
from explorer.model.samples import list_samples

st.set_page_config(page_title="Compare and cases", layout="wide")

page = st.sidebar.radio("Page", ["Compare", "Cases"], key="test.page")
samples = list_samples()
if page == "Compare":
    render_compare_page(samples)
else:
    by_name = {s.name: s for s in samples}
    name = st.sidebar.selectbox("Sample", list(by_name), key="test.sample")
    model = read_model(by_name[name].path)
    meta_graph = model.meta_graph()
    signature = meta_graph.signature(
        st.sidebar.selectbox(
            "Signature", [s.key for s in meta_graph.callable_signatures], key="test.signature"
        )
    )
    run_tab, cases_tab = st.tabs(["Run", "Test cases"])
    with run_tab:
        # The Run panel offers "Save as test case" under each outcome itself.
        render_run_panel(model, meta_graph, signature, allow_unsafe=False, method_name_check=False)
    with cases_tab:
        render_cases_panel(model, allow_unsafe=False)
