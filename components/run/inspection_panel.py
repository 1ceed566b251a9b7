"""Looking inside a local run: the taps and the profile the Run tab asks for, and what they
returned — each tapped op output with its summary and a view that fits its shape, the
slowest ops, and a tap compared with another version of the model.

Taps are chosen in the Graph tab (select an op, then "Show output N on the next run") or
typed here; they are kept per signature. TF Serving's answer above stays TF Serving's.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

from components import keys
from components.taps_state import chosen_taps, inspect_scope, keep_profile_times, keep_taps
from components.text import md_code, md_text, plain
from explorer.compat.tap_drift import tap_drift
from explorer.constants import MethodKind
from explorer.errors import ExplorerError
from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo
from explorer.model.locate import list_versions
from explorer.present.array_views import (
    ViewKind,
    channel_grid,
    heatmap,
    histogram,
    squeezed,
    view_kinds,
)
from explorer.run.dispatch import RunOutcome
from explorer.run.profile import Profile
from explorer.run.tap_values import TapValue

_TOP_OPS = 10
_VIEW_NAMES: dict[ViewKind, str] = {
    "channels": "Channels",
    "heatmap": "Heatmap",
    "table": "Table",
    "histogram": "Histogram",
}


def render_inspection_options(
    meta_graph: MetaGraphInfo, signature: SignatureInfo
) -> tuple[tuple[str, ...], bool]:
    """The taps and the profile switch for the next local run."""
    scope = inspect_scope(meta_graph, signature)
    box_key, profile_key = f"{keys.INSPECT_TAPS_BOX}.{scope}", f"{keys.INSPECT_PROFILE}.{scope}"
    taps = chosen_taps(scope)
    # The box shows the taps kept for the signature (chosen here or in the Graph tab): set
    # before it is drawn, as a widget's state is dropped while its tab is not shown.
    if st.session_state.get(box_key) != taps:
        st.session_state[box_key] = taps
    title = "Look inside the run: taps and profile"
    if taps or st.session_state.get(profile_key):
        title += f" ({len(taps)} tap{'s' * (len(taps) != 1)})"
    with st.expander(title):
        st.caption(
            "Tap any op — at top level or inside functions — to see its value for the next "
            "request: select it in the Graph tab and choose “Show output N on the next run”, "
            "or type its id (as the graph's inspector names it) here. The answer stays TF "
            "Serving's; taps run in a rewritten copy of the graph, scanned like the model."
        )
        st.multiselect(
            "Taps (op id or op name, :N for output N)",
            taps,
            key=box_key,
            accept_new_options=True,
            placeholder="e.g. StatefulPartitionedCall::dense/MatMul:0",
            on_change=lambda: keep_taps(scope, st.session_state[box_key]),
        )
        st.toggle(
            "Profile the run (time every op; colours the Graph tab)",
            key=profile_key,
            persist_state="session",
            help="TensorFlow's step stats (RunOptions FULL_TRACE), functions included.",
        )
    return tuple(chosen_taps(scope)), bool(st.session_state.get(profile_key, False))


def render_inspection(
    outcome: RunOutcome, model: ModelInfo, meta_graph: MetaGraphInfo, signature: SignatureInfo
) -> None:
    """What the run's taps and profile returned, under its answer."""
    result = outcome.result
    if result is None or not (result.taps or result.profile):
        return
    scope = inspect_scope(meta_graph, signature)
    st.subheader("Inside the run", anchor=False)
    for index, tap in enumerate(result.taps):
        with st.container(border=True):
            _render_tap(tap, f"{scope}.{index}")
            if tap.ran and model.version is not None and len(model.available_versions) > 1:
                body = result.request_json
                _render_drift(tap, model, meta_graph, result.method, body, f"{scope}.{index}")
    if result.profile is not None:
        keep_profile_times(scope, result.profile.ms_by_id())
        _render_profile(result.profile)


def _render_tap(tap: TapValue, key: str) -> None:
    site = tap.site
    st.markdown(f"{md_code(f'{site.id}:{site.port}')} · {md_code(site.dtype)}")
    if tap.note:
        st.caption(md_text(tap.note))
    summary = tap.summary()
    if tap.value is None or summary is None:
        return
    words = summary.describe()
    if summary.std is not None:
        words += f" · std {summary.std:.4g}"
    if summary.zero_fraction is not None:
        words += f" · {summary.zero_fraction:.1%} zeros"
    st.caption(words)
    kinds = view_kinds(tap.value)
    if not kinds:
        return
    choice = st.segmented_control(
        "View",
        kinds,
        default=kinds[0],
        format_func=lambda k: _VIEW_NAMES[k],
        key=f"{keys.INSPECT_VIEW}.{key}",
        label_visibility="collapsed",
    )
    _render_view(tap.value, choice or kinds[0])
    buffer = io.BytesIO()
    np.save(buffer, tap.value, allow_pickle=False)
    st.download_button(
        "Download (.npy)",
        buffer.getvalue(),
        file_name=f"{site.node.replace('/', '_')}_{site.port}.npy",
        key=f"{keys.INSPECT_VIEW}.{key}.npy",
        on_click="ignore",
        type="tertiary",
        icon=":material/download:",
    )


def _render_view(value: np.ndarray, kind: ViewKind) -> None:
    shown = squeezed(value)
    if kind == "channels":
        count = shown.shape[2]
        st.image(channel_grid(shown), clamp=True)
        st.caption(
            f"{min(count, 64)} of {count} channels, each {shown.shape[0]}×{shown.shape[1]}, "
            "scaled to its own range (dark blue low, yellow high)."
        )
    elif kind == "heatmap":
        st.image(heatmap(shown))
        st.caption(f"{shown.shape[0]}×{shown.shape[1]}, dark blue low to yellow high.")
    elif kind == "table":
        if shown.ndim == 0:
            st.code(plain(repr(shown.item())))
        else:
            table = shown.reshape(-1, 1) if shown.ndim == 1 else shown
            st.dataframe(_cells(table), height=min(36 + 35 * len(table), 300))
    else:
        edges, counts = histogram(shown)
        st.bar_chart(pd.DataFrame({"values": counts}, index=[f"{e:.3g}" for e in edges]))


def _cells(table: np.ndarray) -> pd.DataFrame:
    if table.dtype.kind in "OSU":  # strings: decoded as text, control characters escaped
        texts = [
            [plain(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)) for v in row]
            for row in table
        ]
        return pd.DataFrame(texts)
    return pd.DataFrame(table)


def _render_drift(
    tap: TapValue,
    model: ModelInfo,
    meta_graph: MetaGraphInfo,
    method: MethodKind,
    request: dict[str, object],
    key: str,
) -> None:
    others = [v for v in model.available_versions if v != model.version]
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    version = left.selectbox(
        "Compare this tap with version",
        others,
        key=f"{keys.INSPECT_DRIFT}.{key}",
        help="The same op (by its id) in another version, on the same request: where two "
        "exports start to compute differently.",
    )
    if not right.button("Compare", key=f"{keys.INSPECT_DRIFT}.{key}.go"):
        return
    other = list_versions(Path(model.path).parent).get(int(version))
    if other is None:
        st.error(f"Version {version} is no longer in {md_code(str(Path(model.path).parent))}.")
        return
    try:
        report = tap_drift(
            meta_graph,
            str(other),
            method,
            request,
            taps=(f"{tap.site.id}:{tap.site.port}",),
            tags=meta_graph.tag_set,
        )
    except ExplorerError as err:
        st.error(md_text(str(err)))
        return
    for drift in report.drifts:
        st.caption(md_text(f"version {model.version} → {version}: {drift.describe()}"))


def _render_profile(profile: Profile) -> None:
    st.markdown("**Where the time went**")
    st.caption(
        f"{len(profile.ops):,} ops ran · {profile.total_ms:.1f} ms of op time · "
        f"{profile.span_ms:.1f} ms from the first op to the last · "
        f"{profile.execution_ms:.1f} ms execution. The Graph tab colours ops and groups by "
        "this run's times."
    )
    rows = [
        {
            "ms": round(op.micros / 1000, 3),
            "op": plain(op.ran_as),
            "where": plain(op.id if op.exact else f"{op.name} (in {op.id or 'top level'})"),
            "output shapes": plain(
                " ".join(str(list(s)) if s is not None else "?" for s in op.shapes)
            ),
            "runs": op.count,
        }
        for op in profile.top(_TOP_OPS)
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
