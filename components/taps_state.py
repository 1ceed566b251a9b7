"""What the Graph tab and the Run tab share about looking inside a run: the taps chosen
for a signature, and its last profiled run's times (kept in the session, per signature)."""

from __future__ import annotations

import streamlit as st

from components import keys
from explorer.model.info import MetaGraphInfo, SignatureInfo


def inspect_scope(meta_graph: MetaGraphInfo, signature: SignatureInfo) -> str:
    """One signature of one model: where its taps and last profile are kept."""
    return f"{meta_graph.model_dir}.{meta_graph.tag_set}.{signature.key}"


def chosen_taps(scope: str) -> list[str]:
    """The op outputs (``<op id>:<n>``) the next local run also returns."""
    return list(st.session_state.get(f"{keys.INSPECT_TAPS}.{scope}", []))


def keep_taps(scope: str, taps: list[str]) -> None:
    """The taps for the signature's next run (kept apart from any widget's state, which
    Streamlit drops while the widget is not drawn)."""
    st.session_state[f"{keys.INSPECT_TAPS}.{scope}"] = list(dict.fromkeys(taps))


def toggle_tap(scope: str, tap: str) -> bool:
    """Add the tap, or remove it if it is there; whether it is tapped now."""
    taps = chosen_taps(scope)
    tapped = tap not in taps
    keep_taps(scope, [*taps, tap] if tapped else [t for t in taps if t != tap])
    return tapped


def profile_times(scope: str) -> dict[str, float]:
    """The last profiled run's milliseconds per op id (empty before one)."""
    return dict(st.session_state.get(f"{keys.INSPECT_TIMES}.{scope}", {}))


def keep_profile_times(scope: str, times: dict[str, float]) -> None:
    st.session_state[f"{keys.INSPECT_TIMES}.{scope}"] = times
