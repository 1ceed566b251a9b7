"""The unsafe-op banner and the per-model "I trust this model" opt-in."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import keys
from components.text import md_code, plain
from explorer.safety.scan import ScanResult, UnsafeOpFinding


def render_safety_banner(scan: ScanResult, model_id: str) -> bool:
    """Warn about unsafe ops; returns whether the user opted in to them ("I trust this
    model"). A clean model runs without an opt-in; one is offered for its unreachable
    unsafe ops too, which an extra fetch could otherwise not reach.

    The opt-in is kept per model (``model_id``: its content, folder and tag-set) for the
    session, so switching to another model and back does not silently trust or forget it,
    and a model rewritten on disk is not trusted until the user says so again.
    """
    if scan.clean:
        if not scan.unreachable_findings:
            return False
        st.caption(
            f"{len(scan.unreachable_findings)} op(s) that touch the outside world are in the "
            "graph but no signature or load step runs them: "
            + ", ".join(md_code(op) for op in sorted({f.op for f in scan.unreachable_findings}))
            + ". Signatures run without them; an extra fetch that reaches one needs the opt-in."
        )
        return _trust_checkbox(
            model_id, "I trust this model: let extra fetches reach these ops too"
        )
    findings = scan.reachable_findings
    ops = ", ".join(md_code(op) for op in sorted({f.op for f in findings}))
    affected = ", ".join(md_code(key) for key in scan.signatures_affected)
    st.warning(
        f"**This model contains {len(findings)} unsafe op(s)** ({ops}) reachable from "
        f"{affected or 'its load step'}. "
        "A SavedModel is a program: running it could touch files, the network or processes "
        "on this server. Nothing is run until you opt in.",
    )
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "op": f.op,
                    "where": plain(f.location),
                    "what it can do": f.what_it_does,
                    "run by": ", ".join(map(plain, f.reachable_from)),
                }
                for f in findings
            ]
        ),
        hide_index=True,
        width="stretch",
    )
    _render_go_to_buttons(findings)
    return _trust_checkbox(model_id, "I trust this model: allow running its signatures")


def _trust_checkbox(model_id: str, label: str) -> bool:
    trusted: set[str] = st.session_state.setdefault(keys.TRUSTED_MODELS, set())
    widget_key = keys.TRUST_PREFIX + model_id
    st.session_state[widget_key] = model_id in trusted

    def _remember() -> None:
        if st.session_state[widget_key]:
            trusted.add(model_id)
        else:
            trusted.discard(model_id)

    st.checkbox(label, key=widget_key, on_change=_remember)
    return model_id in trusted


_GO_TO_SHOWN = 6


def _render_go_to_buttons(findings: tuple[UnsafeOpFinding, ...]) -> None:
    """One "go to" per flagged op (the first few, numbered as the table lists them): the
    Graph tab opens on it in a signature that runs it, the groups around it open, and it
    is selected and centred."""
    columns = st.columns(min(len(findings), _GO_TO_SHOWN) or 1)
    for i, finding in enumerate(findings[:_GO_TO_SHOWN]):
        # Labels read Markdown: the op's name (the model's text) stays in the table above.
        columns[i].button(
            f"Go to unsafe op {i + 1} in the graph",
            key=f"{keys.GRAPH_GOTO}.{i}",
            on_click=_go_to,
            args=(finding,),
        )


def _go_to(finding: UnsafeOpFinding) -> None:
    st.session_state[keys.GRAPH_GOTO] = (finding.function or "", finding.node)
    st.session_state[keys.MAIN_TAB] = "Graph"
    # Shown in the graph of a signature that runs it (load steps have no graph here).
    runs = [s for s in finding.reachable_from if s not in ("init op", "restore op")]
    if runs and st.session_state.get(keys.SIGNATURE) not in runs:
        st.session_state[keys.SIGNATURE] = runs[0]
