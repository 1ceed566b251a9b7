"""Outputs people read: class scores as ranked bars with their labels, pictures as pictures,
and a large tensor as a summary with its values one click away.

Labels for a ``[B, N]`` score output come from a file the user drops (kept per signature
and output, so the presentation view shows the same names), else from an asset of the
model with N lines, else are the class numbers.
"""

from __future__ import annotations

import json

import numpy as np
import streamlit as st

from components import keys
from components.run.run_state import held_files, kept_files
from components.text import md_text
from explorer.codec.fills import summarize
from explorer.errors import InputError
from explorer.model.dtypes import dtype_for_numpy
from explorer.model.info import MetaGraphInfo
from explorer.present.readouts import (
    Labels,
    Ranked,
    asset_label_lists,
    is_distribution,
    is_score_output,
    read_labels,
    top_k,
)
from explorer.present.text import html_text

DEFAULT_K = 5
_MAX_K = 20
_MAX_ROWS = 8
# Outputs with more values than this are summarized (their values one click away).
SUMMARY_ABOVE = 2_000
# Run key part + ".<output alias>": rank an output with negative values as class scores.
_AS_SCORES = "as_scores"


def labels_key(scope: str, alias: str) -> str:
    """The session key of the labels file dropped for one output of one signature."""
    return keys.run_key(scope, keys.RUN_LABELS, alias)


def chosen_labels(scope: str, alias: str, meta_graph: MetaGraphInfo, count: int) -> Labels | None:
    """The labels for an output of ``count`` classes: the user's file, else a model asset
    with that many lines, else None (class numbers)."""
    for name, data in held_files(labels_key(scope, alias)):
        try:
            return read_labels(name, data)
        except InputError:
            return None
    found = asset_label_lists(meta_graph, count)
    return found[0] if found else None


def as_scores_key(scope: str, alias: str) -> str:
    """The session key of "rank this output as class scores" (both views share it)."""
    return keys.run_key(scope, _AS_SCORES, alias)


def ranks_as_classes(
    array: np.ndarray, *, scope: str, alias: str, meta_graph: MetaGraphInfo
) -> bool:
    """Whether a ``[B, N]`` float output is shown as ranked classes: its values are scores
    (none negative: probabilities, sigmoid or count-like scores), or it has labels (a file
    or a model asset of N lines), or the user asked for it. Negative values without labels
    read as an embedding or features, which a "top classes" list would misrepresent."""
    if not is_score_output(array):
        return False
    if st.session_state.get(as_scores_key(scope, alias)):
        return True
    if chosen_labels(scope, alias, meta_graph, int(array.shape[1])) is not None:
        return True
    finite = array[np.isfinite(array)]
    return bool(finite.size) and bool((finite >= 0).all())


def rank_toggle(scope: str, alias: str) -> None:
    """The switch that ranks an output with negative values as class scores anyway (logits
    of a classifier without a softmax, say)."""
    st.toggle(
        "Rank as class scores",
        key=as_scores_key(scope, alias),
        persist_state="session",
        help="Negative values and no labels: this reads as an embedding or features, so it "
        "is summarized. Switch on if its values are class scores (logits).",
    )


def tie_note(row: np.ndarray, ranked: tuple[Ranked, ...]) -> str | None:
    """A hint when the ranking is no ranking: every score equal, or the classes shown."""
    finite = row[np.isfinite(row)]
    if finite.size == row.size > 1 and finite.min() == finite.max():
        each = _score_text(float(finite[0]), is_distribution(row))
        return (
            f"All {row.size:,} scores are equal ({each}): the model prefers no class, so the "
            "classes are listed in their own order."
        )
    shown = [r.score for r in ranked]
    if len(shown) > 1 and min(shown) == max(shown):
        return f"The top {len(shown)} scores are equal: they are listed in class order, not ranked."
    return None


def vector_summary(row: np.ndarray) -> str:
    """One batch item of a non-score output, for people: how many values and their range."""
    finite = row[np.isfinite(row)].astype(np.float64)
    if not finite.size:
        return f"{row.size:,} values, none finite"
    norm = float(np.sqrt(np.square(finite).sum()))
    return (
        f"{row.size:,} values from {finite.min():.4g} to {finite.max():.4g} · mean "
        f"{finite.mean():.4g} · length (L2 norm) {norm:.4g}"
    )


def render_vector_output(title: str, array: np.ndarray, *, scope: str, alias: str) -> None:
    """A ``[B, N]`` float output that is not class scores (an embedding, features): each
    batch item summarized, the values one click away, and the switch to rank it anyway."""
    st.markdown(f"**{title}** · `{dtype_name(array)}` · shape `{list(array.shape)}`")
    st.caption("Not class scores (negative values, no labels): summarized, not ranked.")
    for row in range(min(len(array), _MAX_ROWS)):
        where = f"Batch item {row}: " if len(array) > 1 else ""
        st.caption(where + vector_summary(array[row]))
    rank_toggle(scope, alias)
    with st.expander(f"All {array.size:,} values"):
        st.dataframe(array.T, width="stretch", height=260)


def render_score_output(
    title: str, array: np.ndarray, *, scope: str, alias: str, meta_graph: MetaGraphInfo
) -> None:
    """A ``[B, N]`` score output: the top k classes of each batch item as bars, the labels
    chooser, and every value one click away."""
    count = int(array.shape[1])
    st.markdown(f"**{title}** · `{dtype_name(array)}` · shape `{list(array.shape)}`")
    if st.session_state.get(as_scores_key(scope, alias)):
        rank_toggle(scope, alias)  # ranked on request: the way back to the summary
    controls, labels_box = st.columns([1, 2])
    k = controls.slider(
        "Top classes shown",
        1,
        min(_MAX_K, count),
        min(DEFAULT_K, count),
        key=keys.run_key(scope, keys.RUN_TOP_K),
    )
    with labels_box:
        labels = _labels_chooser(scope, alias, meta_graph, count)
    for row in range(min(len(array), _MAX_ROWS)):
        ranked = top_k(array[row], k, labels)
        st.html(
            score_bars_html(
                ranked,
                f"Batch item {row}" if len(array) > 1 else None,
                percent=is_distribution(array[row]),
            )
        )
        note = tie_note(array[row], ranked)
        if note:
            st.caption(note)
    if len(array) > _MAX_ROWS:
        st.caption(f"{len(array) - _MAX_ROWS} more batch items in the response JSON.")
    with st.expander(f"All {count:,} scores"):
        st.caption(summarize(array, dtype_name(array)).describe())
        st.dataframe(array.T, width="stretch", height=260)


def render_large_output(title: str, array: np.ndarray, *, key: str) -> None:
    """A big output in brief: shape, dtype, min/max/mean, NaN/Inf counts; its values as
    JSON one click away."""
    dtype = dtype_name(array)
    st.markdown(f"**{title}** · `{dtype}` · shape `{list(array.shape)}`")
    st.caption(summarize(array, dtype).describe())
    st.download_button(
        "Download its values (JSON)",
        lambda: json.dumps(array.tolist() if array.dtype.kind not in "OSU" else _texts(array)),
        file_name="values.json",
        mime="application/json",
        key=key,
        on_click="ignore",
        type="tertiary",
        icon=":material/download:",
    )


def score_bars_html(
    ranked: tuple[Ranked, ...],
    title: str | None = None,
    *,
    percent: bool = True,
    large: bool = False,
) -> str:
    """Labels with horizontal score bars, highest first (as ranked); probabilities as
    percent, other scores as numbers with bars relative to the highest. ``large`` for the
    presentation view (the top class larger still)."""
    top = max((abs(r.score) for r in ranked), default=1.0) or 1.0
    sizes = ("1.6rem", "1.2rem") if large else ("1.1rem", "0.95rem")
    rows = []
    for position, item in enumerate(ranked):
        first = position == 0
        fraction = item.score if percent else item.score / top
        width = max(0.0, min(1.0, fraction if np.isfinite(fraction) else 0.0)) * 100
        rows.append(
            f'<div style="display:flex;align-items:center;gap:14px;margin:7px 0;'
            f'font-size:{sizes[0] if first else sizes[1]}">'
            f'<div style="flex:0 0 42%;text-align:right;font-weight:{700 if first else 400};'
            f'overflow:hidden;text-overflow:ellipsis;white-space:nowrap" '
            f'title="{html_text(item.label)}">{html_text(item.label)}</div>'
            f'<div style="flex:1;height:{(26 if large else 20) if first else 14}px;'
            'border-radius:8px;background:rgba(128,128,128,.18)"><div style="width:'
            f"{width:.1f}%;height:100%;border-radius:8px;"
            f'background:{"#2f6fdb" if first else "#8fb3e8"}"></div></div>'
            f'<div style="flex:0 0 88px;font-variant-numeric:tabular-nums">'
            f"{_score_text(item.score, percent)}</div></div>"
        )
    heading = (
        f'<div style="font-weight:600;opacity:.7;margin-top:10px">{html_text(title)}</div>'
        if title
        else ""
    )
    return f'<div class="score-bars">{heading}{"".join(rows)}</div>'


def _score_text(score: float, percent: bool) -> str:
    if not percent:
        return f"{score:.4g}"
    # Small probabilities keep two significant digits (0.12%), not a flat 0.1%.
    return f"{score * 100:.1f}%" if score >= 0.01 else f"{score * 100:.2g}%"


def dtype_name(array: np.ndarray) -> str:
    """TensorFlow's name for a fetched array's dtype: ``float32`` → ``DT_FLOAT``."""
    if array.dtype.kind in "OSU":
        return "DT_STRING"
    return dtype_for_numpy(array.dtype.name) or array.dtype.name


def _labels_chooser(scope: str, alias: str, meta_graph: MetaGraphInfo, count: int) -> Labels | None:
    with st.popover("Labels", icon=":material/label:"):
        files = kept_files(
            labels_key(scope, alias),
            "A labels file",
            types=["txt", "json", "csv"],
            help_text="One name per line, a JSON list, or a JSON object of index → name "
            "(Keras' imagenet_class_index.json works as it is).",
        )
    labels = None
    problem = ""
    if files:
        name, data = files[0]
        try:
            labels = read_labels(name, data)
        except InputError as err:
            problem = str(err)
    if labels is None:
        found = asset_label_lists(meta_graph, count)
        labels = found[0] if found else None
    if problem:
        st.error(md_text(problem))
    if labels is None:
        st.caption("Labels: class numbers. Drop a labels file under **Labels** to name them.")
        return None
    fit = (
        ""
        if len(labels.names) == count
        else f" ({len(labels.names):,} names for {count:,} classes: check the file)"
    )
    st.caption(f"Labels from {md_text(labels.source + fit)}")
    return labels


def _texts(array: np.ndarray) -> list[object]:
    decoded = np.vectorize(
        lambda v: v.decode("utf-8", errors="replace") if isinstance(v, bytes) else v,
        otypes=[object],
    )(array)
    return list(decoded.tolist())


__all__ = [
    "SUMMARY_ABOVE",
    "chosen_labels",
    "dtype_name",
    "is_score_output",
    "labels_key",
    "ranks_as_classes",
    "render_large_output",
    "render_score_output",
    "render_vector_output",
    "score_bars_html",
    "tie_note",
    "vector_summary",
]
