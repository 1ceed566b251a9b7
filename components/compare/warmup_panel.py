"""The warmup panel (Test cases tab): the model's TF Serving warmup file listed and judged,
its records replayed and kept as test cases, and the test cases written as a warmup file.

TF Serving replays ``assets.extra/tf_serving_warmup_requests`` when it loads a version and
fails the load at the first bad record; the panel says whether it would, in TF Serving's
words (``explorer.deploy``). Record fields (signature names, aliases) are the file's text:
they are shown in tables, never as Markdown.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from components import keys
from components.compare.cases_panel import session_cases
from components.error_panel import show_error
from components.text import md_code, md_text
from explorer.compat.cases import with_case
from explorer.deploy.warmup_check import WarmupCheck, check_warmup, load_verdict, settled
from explorer.deploy.warmup_file import ASSETS_EXTRA, WARMUP_FILE_NAME
from explorer.deploy.warmup_replay import (
    WarmupReplay,
    record_case,
    replay_warmup,
    response_json,
)
from explorer.deploy.warmup_write import export_cases
from explorer.errors import ExplorerError
from explorer.model.info import MetaGraphInfo, ModelInfo


def render_warmup_note(model: ModelInfo, meta_graph: MetaGraphInfo) -> WarmupCheck | None:
    """One line under the model's header when it has a warmup file (None when it has none)."""
    check = _check(model, meta_graph)
    if check is None or check.file is None:
        return check
    count = len(check.file.records)
    text = (
        f"TF Serving warmup file: {count} record{'' if count == 1 else 's'} "
        f"(Test cases tab) · {md_text(check.verdict)}"
    )
    if check.loads:
        st.caption(text)
    else:
        st.warning(text, icon=":material/warning:")
    return check


def render_warmup_panel(
    model: ModelInfo,
    meta_graph: MetaGraphInfo,
    *,
    allow_unsafe: bool,
    method_name_check: bool,
) -> None:
    """The warmup file of this version, its replay, and the export of the test cases."""
    st.subheader("TF Serving warmup file")
    check = _check(model, meta_graph, method_name_check)
    if check is None:
        return
    if check.file is None:
        st.caption(
            f"No {md_code(f'{ASSETS_EXTRA}/{WARMUP_FILE_NAME}')} in this version: TF Serving "
            "loads it without warmup. Write one from the test cases below."
        )
    else:
        _render_file(model, meta_graph, check, allow_unsafe, method_name_check)
    _render_export(model, meta_graph, method_name_check)


def _check(
    model: ModelInfo, meta_graph: MetaGraphInfo, method_name_check: bool = False
) -> WarmupCheck | None:
    try:
        return check_warmup(meta_graph, model.path, method_name_check=method_name_check)
    except ExplorerError as err:
        show_error(err)
        return None


def _render_file(
    model: ModelInfo,
    meta_graph: MetaGraphInfo,
    check: WarmupCheck,
    allow_unsafe: bool,
    method_name_check: bool,
) -> None:
    assert check.file is not None
    replay_key = keys.warmup_key(model.path, keys.WARMUP_REPLAYED)
    replay: WarmupReplay | None = st.session_state.get(replay_key)
    check = settled(check, replay)  # a shape only inferred to fail may have run
    verdict = load_verdict(check, replay)
    st.caption(f"{md_code(check.path)} · {check.file.size_bytes} bytes")
    if check.loads and (replay is None or not replay.failed):
        st.success(md_text(verdict), icon=":material/check_circle:")
    else:
        st.error(md_text(verdict), icon=":material/error:")
    st.dataframe(_record_rows(check, replay), hide_index=True, width="stretch")
    if check.findings:
        st.dataframe(
            [
                {
                    "record": f.record if f.record is not None else "file",
                    "severity": f.severity,
                    "TF Serving says": (f"{f.code}: " if f.code else "") + f.message,
                    "what it means": f.note,
                }
                for f in check.findings
            ],
            hide_index=True,
            width="stretch",
        )
    if not check.file.records:
        return
    if st.button(
        f"Replay the {len(check.file.records)} records",
        key=keys.warmup_key(model.path, keys.WARMUP_REPLAY),
        help="Run every record on this version, as TF Serving does when it loads it.",
    ):
        with st.spinner("Replaying the warmup records…"):
            st.session_state[replay_key] = replay_warmup(
                model,
                check.file.records,
                tags=meta_graph.tag_set,
                allow_unsafe=allow_unsafe,
                method_name_check=method_name_check,
            )
        st.rerun()
    if replay is not None:
        _render_add_case(model, meta_graph, replay)


def _record_rows(check: WarmupCheck, replay: WarmupReplay | None) -> list[dict[str, Any]]:
    assert check.file is not None
    answers = {r.record.index: r for r in replay.runs} if replay is not None else {}
    rows = []
    for record in check.file.records:
        row: dict[str, Any] = {
            "#": record.index,
            "verb": record.verb,
            "signature": record.signature,
            "batch size": record.batch_size,
            "inputs": record.inputs_text,
        }
        run = answers.get(record.index)
        if run is not None:
            answer = response_json(run)
            row["replayed"] = (
                "answered" if run.passed else "not run" if run.outcome is None else "FAILED"
            )
            row["answer"] = str(answer.get("error", answer))[:200]
        rows.append(row)
    return rows


def _render_add_case(model: ModelInfo, meta_graph: MetaGraphInfo, replay: WarmupReplay) -> None:
    runs = {r.record.index: r for r in replay.runs if r.outcome is not None}
    if not runs:
        return
    columns = st.columns([2, 1], vertical_alignment="bottom")
    index = columns[0].selectbox(
        "Record to keep as a test case",
        list(runs),
        key=keys.warmup_key(model.path, keys.WARMUP_ADD) + ".record",
        format_func=lambda i: f"record {i} ({runs[i].record.verb} {runs[i].record.signature})",
    )
    if columns[1].button("Add to test cases", key=keys.warmup_key(model.path, keys.WARMUP_ADD)):
        try:
            case = record_case(runs[index], meta_graph)
        except ExplorerError as err:
            show_error(err)
            return
        cases_key = keys.cases_key(model.name, keys.CASES)
        st.session_state[cases_key] = with_case(session_cases(model.name), case)
        st.toast(f"Added test case {md_code(case.name)}")  # the record's name: text
        st.rerun()


def _render_export(model: ModelInfo, meta_graph: MetaGraphInfo, method_name_check: bool) -> None:
    cases = session_cases(model.name)
    st.markdown("**Write a warmup file from the test cases**")
    if not cases:
        st.caption("Save runs as test cases (Run tab) or load a cases file above to write them.")
        return
    try:
        export = export_cases(cases, meta_graph, model.name, method_name_check=method_name_check)
    except ExplorerError as err:
        show_error(err)
        return
    folder = str(model.version) if model.version is not None else "VERSION"
    version = f"version {model.version}" if model.version is not None else "this version"
    st.caption(
        f"{len(export.written)} of {len(cases)} test cases become PredictionLog records, "
        "converted as TF Serving's REST handler converts them. Put the file at "
        f"{md_code(f'{folder}/{ASSETS_EXTRA}/{WARMUP_FILE_NAME}')}."
    )
    if export.skipped:
        # TF Serving fails the load at the first failing record: these stay out of the file.
        left_out = "\n".join(f"- {md_code(s.name)}: {md_text(s.reason)}" for s in export.skipped)
        st.warning(
            f"{len(export.skipped)} test case{'' if len(export.skipped) == 1 else 's'} left "
            "out: TF Serving fails to load a model at its first failing warmup request, so "
            f"the file holds only the cases that fit {version}.\n\n{left_out}",
            icon=":material/warning:",
        )
    st.download_button(
        "Download tf_serving_warmup_requests",
        export.data,
        file_name=WARMUP_FILE_NAME,
        mime="application/octet-stream",
        key=keys.warmup_key(model.path, keys.WARMUP_EXPORT),
        on_click="ignore",
    )
