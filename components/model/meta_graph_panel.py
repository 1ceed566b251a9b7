"""The MetaGraph's facts: tags, writer, op histogram, sizes, assets."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components.text import md_code, md_text, plain
from explorer.model.info import MetaGraphInfo, ModelInfo, format_size


def render_meta_graph_facts(model: ModelInfo, meta_graph: MetaGraphInfo) -> None:
    """Tags, TF version, node and function counts, variables size, assets, op histogram."""
    cols = st.columns(5)
    cols[0].metric("Graph nodes", f"{meta_graph.node_count:,}")
    cols[1].metric("Library functions", f"{meta_graph.function_count:,}")
    cols[2].metric("Nodes in functions", f"{meta_graph.function_node_count:,}")
    cols[3].metric("Variables", format_size(model.variables_size_bytes))
    cols[4].metric("Signatures", len(meta_graph.callable_signatures))
    git = meta_graph.tensorflow_git_version  # the model's own words: shown as text
    st.markdown(
        f"**Tags** {md_code(meta_graph.tag_set or '(none)')} · **written by TensorFlow** "
        f"{md_code(meta_graph.tensorflow_version or 'unknown')} "
        f"{f'({md_text(git)})' if git else ''}"
        f" · **file** `{model.file_format}` · **schema version** "
        f"{md_text(str(model.saved_model_schema_version))}"
    )
    if meta_graph.assets:
        st.markdown("**Assets**")
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "file": plain(a.filename),
                        "tensor": plain(a.tensor_name),
                        "size": format_size(a.size_bytes),
                    }
                    for a in meta_graph.assets
                ]
            ),
            hide_index=True,
        )
    st.markdown("**Op histogram** (top-level graph)")
    histogram = pd.DataFrame(
        [(plain(op), count) for op, count in meta_graph.op_histogram], columns=["op", "count"]
    )
    # A table with bars rather than a chart: charts load a large script on first paint.
    st.dataframe(
        histogram,
        hide_index=True,
        column_config={
            "count": st.column_config.ProgressColumn(
                "count", format="%d", min_value=0, max_value=int(histogram["count"].max() or 1)
            )
        },
    )
