"""Test cases in the app: save a run as a case, load and download cases files, replay them.

The session keeps one list of cases per TF Serving model name (so versions share them);
a cases file is JSON lines (``explorer.compat.cases``) that a user downloads, commits beside the
model and uploads again. Replay sends every request to the current model, or another
version of it, and shows pass/fail with the differences.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import streamlit as st

from components import keys
from components.error_panel import show_error
from components.text import md_code, md_text
from explorer.compat.case_diff import DEFAULT_ATOL, DEFAULT_RTOL
from explorer.compat.cases import TestCase, cases_text, make_case, parse_cases, with_case
from explorer.compat.replay import ReplayReport, replay_cases
from explorer.errors import CasesFileError, ExplorerError
from explorer.model.info import ModelInfo
from explorer.model.reader import read_model
from explorer.run.dispatch import RunOutcome

BUNDLED_CASES_FILE = "cases.jsonl"
_PASS_STYLE = "background-color: #e3f4e1"
_FAIL_STYLE = "background-color: #fbe3e0"
_MAX_MESSAGES = 3  # differences listed per case in the table; the expander has them all


def session_cases(model_name: str) -> tuple[TestCase, ...]:
    """The cases kept in this session for a model name."""
    return tuple(st.session_state.get(keys.cases_key(model_name, keys.CASES), ()))


def render_save_case(
    outcome: RunOutcome, model: ModelInfo, signature_key: str, *, key: str
) -> TestCase | None:
    """Name input and "Save as test case" for the last run; returns the case when saved."""
    if outcome.status is None:
        return None  # the explorer refused to run: there is no TF Serving answer to keep
    if outcome.unsaveable is not None:
        st.caption(f"Not saveable as a test case: {md_text(outcome.unsaveable)}.")
        return None
    existing = session_cases(model.name)
    name_key = f"{key}.{keys.SAVE_CASE_NAME}"
    default = f"{signature_key}-{outcome.method.value}-{len(existing) + 1}"
    name_col, button_col, _ = st.columns([3, 1, 2], vertical_alignment="bottom")
    name = name_col.text_input("Test case name", value=default, key=name_key)
    if not button_col.button("Save as test case", key=f"{key}.{keys.SAVE_CASE_BUTTON}"):
        return None
    try:
        case = make_case(
            name or default,
            outcome.method,
            outcome.request_text,
            outcome.response_text,
            signature_name=None if outcome.result is None else outcome.result.signature_key,
        )
    except CasesFileError as err:
        show_error(err)
        return None
    replaced = case.name in {c.name for c in existing}
    cases = with_case(existing, case)
    st.session_state[keys.cases_key(model.name, keys.CASES)] = cases
    verb = "Replaced" if replaced else "Saved"
    st.success(
        f"{verb} test case {md_code(case.name)} ({len(cases)} for {md_code(model.name)} in "
        "this session). "
        "Download or replay them in the Test cases tab."
    )
    return case


def render_cases_panel(
    model: ModelInfo,
    *,
    allow_unsafe: bool,
    method_name_check: bool = False,
    tags: str | None = None,
    read_version: Callable[[int], ModelInfo] | None = None,
) -> ReplayReport | None:
    """The session's cases for this model: list, upload, download, replay; returns the report.

    ``read_version`` reads another version of a TF Serving base folder (default
    ``read_model``), so a new version can be checked against yesterday's answers.
    """
    name = model.name
    st.subheader(f"Test cases for {md_code(name)}")
    st.caption(
        "A case is a request and the answer TF Serving gave it. Save runs from the Run tab, "
        "download them as cases.jsonl, commit the file beside the model, and replay it "
        "against a new version: `python -m explorer replay MODEL cases.jsonl` does the same."
    )
    _render_loaders(model)
    cases = session_cases(name)
    if not cases:
        st.info("No test cases yet: save a run from the Run tab, or upload a cases file.")
        return None
    _render_case_table(name, cases)
    st.download_button(
        f"Download {len(cases)} cases (.jsonl)",
        cases_text(cases),
        file_name=f"{name}_cases.jsonl",
        mime="application/jsonl",
        key=keys.cases_key(name, "download"),
        on_click="ignore",
    )
    return _render_replay(model, cases, allow_unsafe, method_name_check, tags, read_version)


def _render_loaders(model: ModelInfo) -> None:
    name = model.name
    upload = st.file_uploader(
        "Upload a cases file",
        type=["jsonl", "json"],
        key=keys.cases_key(name, keys.CASES_UPLOAD),
        help="JSON lines: one case per line (as downloaded here or written by "
        "explorer.compat.cases.save_cases). Cases replace session cases of the same name.",
    )
    if upload is not None:
        done_key = keys.cases_key(name, keys.CASES_UPLOADED)
        if upload.file_id not in st.session_state.get(done_key, set()):
            _merge(name, upload.getvalue(), upload.name)
            st.session_state[done_key] = {*st.session_state.get(done_key, set()), upload.file_id}
    bundled = _bundled_cases_file(model)
    loaded_once = keys.cases_key(name, keys.CASES_AUTOLOADED)
    if bundled is not None and not st.session_state.get(loaded_once):
        # The cases committed beside the model are what a user came to replay.
        st.session_state[loaded_once] = True
        if not session_cases(name):
            _merge(name, bundled.read_bytes(), str(bundled))
    if bundled is not None and st.button(
        f"Load {md_code(bundled.name)} from the model folder",
        key=keys.cases_key(name, keys.CASES_LOAD_BUNDLED),
        help=md_code(str(bundled)),
    ):
        _merge(name, bundled.read_bytes(), str(bundled))


def _merge(name: str, data: bytes, source: str) -> None:
    try:
        loaded = parse_cases(data, source=source)
    except CasesFileError as err:
        show_error(err)
        return
    cases = session_cases(name)
    for case in loaded:
        cases = with_case(cases, case)
    st.session_state[keys.cases_key(name, keys.CASES)] = cases
    st.success(f"Loaded {len(loaded)} cases from {md_code(Path(source).name)}.")


def _bundled_cases_file(model: ModelInfo) -> Path | None:
    """``cases.jsonl`` in the model folder, or in the base folder of a versioned model."""
    folder = Path(model.path)
    for candidate in (folder, folder.parent if model.version is not None else None):
        if candidate is not None and (candidate / BUNDLED_CASES_FILE).is_file():
            return candidate / BUNDLED_CASES_FILE
    return None


def _render_case_table(name: str, cases: tuple[TestCase, ...]) -> None:
    rows = [
        {
            "case": c.name,
            "method": c.method,
            "signature": c.signature_name,
            "request": _short(c.request),
            "recorded answer": _short(dict(c.response)),
            "saved": c.created or "",
        }
        for c in cases
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    remove_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
    doomed = remove_col.multiselect(
        "Remove cases", [c.name for c in cases], key=keys.cases_key(name, keys.CASES_REMOVE)
    )
    if button_col.button(
        "Remove", key=keys.cases_key(name, keys.CASES_REMOVE_BUTTON), disabled=not doomed
    ):
        kept = tuple(c for c in cases if c.name not in doomed)
        st.session_state[keys.cases_key(name, keys.CASES)] = kept
        st.rerun()


def _render_replay(
    model: ModelInfo,
    cases: tuple[TestCase, ...],
    allow_unsafe: bool,
    method_name_check: bool,
    tags: str | None,
    read_version: Callable[[int], ModelInfo] | None,
) -> ReplayReport | None:
    name = model.name
    version_col, rtol_col, atol_col = st.columns([2, 1, 1])
    version = model.version
    if len(model.available_versions) > 1:
        versions = list(reversed(model.available_versions))
        version = version_col.selectbox(
            "Replay against version",
            versions,
            index=versions.index(model.version) if model.version in versions else 0,
            key=keys.cases_key(name, keys.CASES_VERSION),
        )
    rtol = rtol_col.number_input(
        "rtol", min_value=0.0, value=DEFAULT_RTOL, format="%g", key=keys.cases_key(name, "rtol")
    )
    atol = atol_col.number_input(
        "atol", min_value=0.0, value=DEFAULT_ATOL, format="%g", key=keys.cases_key(name, "atol")
    )
    report_key = keys.cases_key(name, keys.CASES_REPORT)
    if st.button(
        f"Replay {len(cases)} cases", type="primary", key=keys.cases_key(name, keys.CASES_REPLAY)
    ):
        try:
            target = model
            if version is not None and version != model.version:
                target = (read_version or _reader(model))(int(version))
            with st.spinner("Replaying…"):
                st.session_state[report_key] = replay_cases(
                    target,
                    cases,
                    rtol=float(rtol),
                    atol=float(atol),
                    tags=tags,
                    allow_unsafe=allow_unsafe,
                    method_name_check=method_name_check,
                )
        except ExplorerError as err:
            show_error(err)
            return None
    report: ReplayReport | None = st.session_state.get(report_key)
    if report is not None:
        render_replay_report(report)
    return report


def render_replay_report(report: ReplayReport) -> None:
    """Summary line, a pass/fail row per case, and each failure's differences in full."""
    text = f"{report.summary} (rtol {report.rtol:g}, atol {report.atol:g})"
    (st.success if report.all_passed else st.error)(md_text(text))
    rows = []
    for result in report.results:
        messages = [d.message for d in result.differences[:_MAX_MESSAGES]]
        more = result.difference_count - len(messages)
        rows.append(
            {
                "case": result.case.name,
                "result": "PASS" if result.passed else "FAIL",
                "differences": " | ".join(" ".join(m.split()) for m in messages)
                + (f" | and {more} more" if more else ""),
                "method": result.case.method,
                "signature": result.case.signature_name,
            }
        )
    frame = pd.DataFrame(rows)
    styled = frame.style.apply(
        lambda row: [_PASS_STYLE if row["result"] == "PASS" else _FAIL_STYLE] * len(row), axis=1
    )
    st.dataframe(styled, hide_index=True, width="stretch")
    for result in report.results:
        if result.passed:
            continue
        with st.expander(f"FAIL {md_code(result.case.name)}: recorded answer and answer now"):
            for difference in result.differences:
                st.markdown(f"- {md_code(difference.message)}")
            recorded, now = st.columns(2)
            recorded.markdown("**Recorded**")
            recorded.code(json.dumps(dict(result.case.response), indent=1), language="json")
            now.markdown("**Now**")
            now.code(json.dumps(dict(result.response), indent=1), language="json")


def _reader(model: ModelInfo) -> Callable[[int], ModelInfo]:
    base = Path(model.path).parent if model.version is not None else Path(model.path)
    return lambda version: read_model(base, version=version)


def _short(value: object, limit: int = 90) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"
