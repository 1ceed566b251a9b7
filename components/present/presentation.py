"""Presentation view: what goes in and what comes out, big and clean, for showing a model.

The sidebar and Streamlit's toolbar are hidden and the type is large; one button leads
back to the full view. No tensor names, dtypes or JSON panes: inputs as pictures and
readable tables, Classify and score outputs as labelled bars, Regress as big numbers,
image outputs as pictures (``components.present.showcase``), and the timing in one line.
The full view (the Run tab) keeps every detail; the HTML report download serves both.
"""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from components import keys
from components.present.showcase import render_presentation_inputs
from components.present.stage_outputs import render_presentation_outcome
from components.text import md_text
from explorer.constants import DEFAULT_SERVING_SIGNATURE_KEY, MethodKind
from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo
from explorer.present import report
from explorer.run.dispatch import RunOutcome

RUN_TAB = "Run"  # the app's tab with the Run panel
# The stage: no sidebar, no toolbar or header bar, larger type, wider content.
_STAGE_CSS = """<style>
section[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"],
[data-testid="stSidebarCollapseButton"], header[data-testid="stHeader"],
[data-testid="stToolbar"], [data-testid="stDecoration"] { display: none !important; }
[data-testid="stMainBlockContainer"] { padding-top: 1.2rem; max-width: 1500px; }
[data-testid="stMainBlockContainer"] p, [data-testid="stMainBlockContainer"] li,
[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"] { font-size: 1.15rem; }
[data-testid="stMainBlockContainer"] h2 { font-size: 2.3rem; }
[data-testid="stMainBlockContainer"] h3 { font-size: 1.6rem; }
</style>"""

__all__ = [
    "RUN_TAB",
    "render_presentation_header",
    "render_presentation_inputs",
    "render_presentation_outcome",
    "render_presentation_toggle",
    "render_report_download",
    "report_html",
]


def render_presentation_toggle() -> bool:
    """The sidebar switch between the full view and the presentation view."""
    return st.sidebar.toggle(
        "Presentation view",
        key=keys.PRESENTATION,
        on_change=_full_detail_of_the_run,
        persist_state="session",
        help="Hide tensor names, dtypes, JSON and the sidebar: show what goes in and what "
        "comes out, big and clean, for a demo. Switch off for the full detail.",
    )


def render_presentation_header(model: ModelInfo, signature: SignatureInfo) -> None:
    """The stage (no sidebar, no toolbar, large type), the model's name as the title (the
    presenter may give it another), what the signature does in words under it, and the way
    back to the full view."""
    st.html(_STAGE_CSS)
    title, rename, back = st.columns([10, 1, 2], vertical_alignment="center")
    title_key = f"{keys.PRESENTATION}.title.{model.path}"
    with rename.popover("", icon=":material/edit:", help="A title for the audience"):
        st.text_input(
            "Title for the audience",
            key=title_key,
            placeholder=model.name,
            persist_state="session",
            help="Shown instead of the model's name (TF Serving's: its folder's) on this stage.",
        )
    # The model's names are shown as text (md_text), never read as Markdown.
    title.header(md_text(st.session_state.get(title_key) or model.name), anchor=False)
    title.markdown(md_text(signature_words(signature, model.version)))
    back.button(
        "Full view",
        key=keys.PRESENTATION_BACK,
        on_click=_leave_presentation,
        icon=":material/arrow_back:",
        help="Back to every detail: the sidebar, the tabs, the request and response JSON.",
    )


def signature_words(signature: SignatureInfo, version: int | None) -> str:
    """What a signature does, for an audience: "Prediction · the default signature ·
    version 2" rather than "serving_default"."""
    kind = signature.method_name.rsplit("/", 1)[-1]
    what = {"classify": "Classification", "regress": "Regression"}.get(kind, "Prediction")
    if signature.key == DEFAULT_SERVING_SIGNATURE_KEY:
        which = "the default signature"
    else:
        words = " ".join(signature.key.replace("_", " ").replace("-", " ").split())
        which = f"“{words or signature.key}”"
    return f"{what} · {which}" + (f" · version {version}" if version is not None else "")


def render_report_download(
    model: ModelInfo,
    meta_graph: MetaGraphInfo,
    signature_key: str,
    outcome: RunOutcome,
    *,
    key: str,
) -> None:
    """A button that downloads the run as a self-contained HTML report (built on click)."""
    created = outcome.created or datetime.now().astimezone()
    st.download_button(
        "Download report (HTML)",
        lambda: report_html(model, meta_graph, signature_key, outcome),
        file_name=report.report_file_name(model.name, signature_key, created),
        mime="text/html",
        key=key + ".report",
        on_click="ignore",
        help="One HTML file with the model, inputs, outputs, chart, TF Serving request and "
        "response and the timing: it opens offline in any browser.",
    )


def report_html(
    model: ModelInfo, meta_graph: MetaGraphInfo, signature_key: str, outcome: RunOutcome
) -> str:
    """The HTML report of one run (see ``explorer.present.report.render_report_html``)."""
    method = outcome.method.value
    created = outcome.created or datetime.now().astimezone()
    response = outcome.response_text
    return report.render_report_html(
        model.name,
        model.version,
        signature_key,
        method,
        outcome.request_text,
        response,
        outcome.result.timing if outcome.result is not None else None,
        created,
        report.classify_chart_svg(response) if outcome.method is MethodKind.CLASSIFY else None,
        report.request_table(method, outcome.request_text),
        report.response_table(method, response),
        status=outcome.status,
        url=outcome.url,
        tag_set=meta_graph.tag_set,
        notes=outcome.notes,
    )


def _full_detail_of_the_run() -> None:
    # Back from the presentation view, the full detail of what was shown is the Run tab.
    if not st.session_state.get(keys.PRESENTATION):
        st.session_state[keys.MAIN_TAB] = RUN_TAB


def _leave_presentation() -> None:
    st.session_state[keys.PRESENTATION] = False
    _full_detail_of_the_run()
