"""The Compare page: pick an old and a new model, see whether existing clients keep working.

Each side is the model open on the Explore page (the first choice once one is open: the
new side at its version, the old side at the version before), a bundled sample (and
version), a folder on the server or an uploaded archive; a version picker belongs to its
folder and starts where the folder points. ``explorer.compat.diff.diff_models`` does the
judging; this page shows its one-line verdict, every change coloured by class, and each
signature's TensorInfos side by side with the changed cells highlighted
(``components.compare.compare_tables``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import streamlit as st

from components import keys
from components.compare.compare_tables import render_changes_table, render_signature_pair
from components.error_panel import show_error
from components.text import md_code, md_text
from explorer.compat.diff import CompatReport, diff_models
from explorer.errors import ExplorerError
from explorer.model.info import ModelInfo
from explorer.model.reader import read_model
from explorer.model.samples import Sample
from explorer.run import runner
from explorer.safety.archives import extract_archive
from explorer.safety.paths import AllowedRoots, check_allowed

Reader = Callable[[str, "int | None"], ModelInfo]
# The first source of each side once a model is open on the Explore page.
OPEN_IN_EXPLORE = "Open in Explore"
_SIDES = {
    "old": ("Old model", "what clients use today"),
    "new": ("New model", "what is about to replace it"),
}


def render_compare_page(
    samples: tuple[Sample, ...],
    *,
    allowed_roots: tuple[str, ...] = (),
    read: Reader | None = None,
) -> CompatReport | None:
    """Two model pickers, the verdict, the changes and the side-by-side signatures.

    ``read(path, version)`` reads a model (the app passes its cached reader); typed
    folders must lie inside ``EXPLORER_ALLOWED_ROOTS`` plus ``allowed_roots``.
    """
    reader: Reader = read or (lambda path, version: read_model(path, version=version))
    st.header("Compare two models")
    st.caption(
        "Will clients of the old model keep working against the new one? TF Serving "
        "clients address signatures by key and tensors by alias, so tensor renames are "
        "safe; removed keys, changed dtypes, incompatible shapes and APIs that no longer "
        "accept a signature break them. Same check on the command line: "
        "`python -m explorer diff OLD[@VERSION] NEW[@VERSION]`."
    )
    columns = st.columns(2, gap="large")
    models: dict[str, ModelInfo | None] = {}
    for column, side in zip(columns, _SIDES, strict=True):
        with column:
            models[side] = _render_side(side, samples, allowed_roots, reader)
    old, new = models["old"], models["new"]
    if old is None or new is None:
        st.info("Choose both models to compare them.")
        return None
    tags = None
    if len(old.meta_graphs) > 1:
        tags = st.selectbox(
            "Tag-set (MetaGraph) TF Serving loads",
            [mg.tag_set for mg in old.meta_graphs],
            key=keys.COMPARE_TAGS,
            persist_state="session",
        )
    check = st.toggle(
        "Judge as TF Serving with --enable_signature_method_name_check",
        key=keys.COMPARE_METHOD_NAME_CHECK,
        persist_state="session",
        help="With the flag, method_name decides which API may call a signature.",
    )
    try:
        report = diff_models(old, new, tags=tags, method_name_check=check)
    except ExplorerError as err:
        show_error(err)
        return None
    st.session_state[keys.COMPARE_REPORT] = report
    render_report(report)
    return report


def render_report(report: CompatReport) -> None:
    """The verdict line, the changes table, one side-by-side view per signature, downloads."""
    if report.breaking:
        st.error(f"**Verdict:** {md_text(report.verdict)}")
    else:
        st.success(f"**Verdict:** {md_text(report.verdict)}")
    counts = {kind: len(report.of_kind(kind)) for kind in ("breaking", "notable", "safe")}
    st.caption(
        f"{len(report.signatures)} signature{'' if len(report.signatures) == 1 else 's'} of "
        f"tag-set {md_code(report.tag_set)} compared; changes: "
        + ", ".join(f"{n} {kind}" for kind, n in counts.items())
        + ". Breaking: existing requests or response readers fail. Notable: they keep "
        "working, but look. Safe: nothing for clients to do."
    )
    if report.changes:
        render_changes_table(report.changes)
    else:
        st.markdown("No changes in any signature: same keys, dtypes, shapes and APIs.")
    st.download_button(
        "Download the report (JSON)",
        json.dumps(report.as_dict(), indent=1, ensure_ascii=False),
        file_name="compat_report.json",
        mime="application/json",
        key="compare.download",
        on_click="ignore",
    )
    if report.old is None or report.new is None:
        return
    st.subheader("Signatures side by side")
    keys_in_order = list(report.signatures) + [
        s.key for s in report.new.callable_signatures if s.key not in report.signatures
    ]
    for signature_key in keys_in_order:
        render_signature_pair(report, signature_key)


def _render_side(
    side: str, samples: tuple[Sample, ...], allowed_roots: tuple[str, ...], read: Reader
) -> ModelInfo | None:
    title, role = _SIDES[side]
    st.markdown(f"**{title}**: {role}")
    opened = st.session_state.get(keys.OPEN_MODEL)
    kinds = ([OPEN_IN_EXPLORE] if opened is not None else []) + list(keys.SOURCE_KINDS)
    kind = st.radio(
        "Source",
        kinds,
        horizontal=True,
        key=keys.compare_key(side, keys.COMPARE_SOURCE),
        label_visibility="collapsed",
        persist_state="session",
    )
    try:
        if kind == OPEN_IN_EXPLORE:
            path, wanted = opened[0], opened[1]
        else:
            path, wanted = _side_path(side, kind, samples, allowed_roots), None
        if path is None:
            return None
        model = read(path, wanted)
        if len(model.available_versions) > 1:
            model = _pick_version(side, path, model, read, follow=kind == OPEN_IN_EXPLORE)
    except ExplorerError as err:
        show_error(err)
        return None
    callable_count = len(model.meta_graph().callable_signatures) if model.meta_graphs else 0
    version_text = f" version {model.version}" if model.version is not None else ""
    plural = "" if callable_count == 1 else "s"
    st.caption(
        f"{md_code(model.name)}{version_text} · {callable_count} signature{plural} · "
        f"{md_code(model.path)}"
    )
    return model


def _pick_version(
    side: str, path: str, model: ModelInfo, read: Reader, *, follow: bool
) -> ModelInfo:
    """The version picker of one side. It belongs to its folder (a new folder starts a new
    picker) and starts where the folder points: a version folder at that version, a base
    folder at its newest; the old side at the version before (what clients use today)."""
    versions = list(reversed(model.available_versions))
    start = versions.index(model.version) if model.version in versions else 0
    base_folder = Path(model.path).resolve() != Path(path).resolve()
    if side == "old" and (base_folder or follow) and start + 1 < len(versions):
        start += 1
    # Following the model open in Explore: its version is part of the picker's identity.
    owner = f"{path}@{model.version}" if follow else path
    version = st.selectbox(
        "Version",
        versions,
        index=start,
        key=f"{keys.compare_key(side, keys.COMPARE_VERSION)}.{owner}",
        persist_state="session",
    )
    if version == model.version:
        return model
    base = str(Path(model.path).parent) if model.version is not None else path
    return read(base, version)


def _side_path(
    side: str, kind: str, samples: tuple[Sample, ...], allowed_roots: tuple[str, ...]
) -> str | None:
    if kind == keys.SOURCE_SAMPLE:
        if not samples:
            st.warning("No bundled samples found: run `python sample_models/build.py`.")
            return None
        names = [s.name for s in samples]
        versioned = [s.name for s in samples if s.versioned]
        name = st.selectbox(
            "Sample model",
            names,
            index=names.index(versioned[0]) if versioned else 0,
            key=keys.compare_key(side, keys.COMPARE_SAMPLE),
            persist_state="session",
        )
        return str(next(s.path for s in samples if s.name == name))
    if kind == keys.SOURCE_FOLDER:
        typed = st.text_input(
            "Folder path",
            key=keys.compare_key(side, keys.COMPARE_FOLDER),
            persist_state="session",
            placeholder="/models/my_model or /models/my_model/3",
        ).strip()
        if not typed:
            return None
        return str(check_allowed(typed, AllowedRoots.from_env(extra=allowed_roots)))
    upload = st.file_uploader(
        "SavedModel archive",
        type=["zip", "gz", "tgz", "tar"],
        key=keys.compare_key(side, keys.COMPARE_UPLOAD),
    )
    if upload is None:
        return None
    return str(_extracted(side, upload.file_id, upload.name, upload.getvalue()))


def _extracted(side: str, upload_id: str, filename: str, data: bytes) -> str:
    """The extracted folder of this side's upload; the previous one is removed."""
    held_key = keys.compare_key(side, "extracted")
    held = st.session_state.get(held_key)
    if held is None or held[0] != upload_id:
        if held is not None:
            runner.unload(str(held[1].model_dir))
            held[1].cleanup()
            del st.session_state[held_key]
        st.session_state[held_key] = (upload_id, extract_archive(data, filename))
        held = st.session_state[held_key]
    return str(held[1].model_dir)
