"""Sidebar pickers: model source, version, tag-set and signature."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from components import keys
from components.model.deployment import render_config_source
from components.text import md_code, plain
from explorer.model.info import MetaGraphInfo, ModelInfo
from explorer.model.samples import Sample

# The pickers keep their choice for the session, across pages: Explore → Compare → Explore
# returns to the same model, version, tag-set and signature.
_KEPT = "session"
# The TF Serving model name a local model was last matched to (see _match_served_name).
_MATCHED = "picker.matched_served_name"


@dataclass(frozen=True, slots=True)
class ModelSource:
    """What the user pointed at: a sample, a server folder, or an uploaded archive."""

    kind: str
    path: str | None = None
    upload_name: str | None = None
    upload_bytes: bytes | None = None
    upload_id: str | None = None
    # A model of a TF Serving model config: its name there (``path`` is its version folder).
    served_name: str | None = None


def render_source_picker(
    samples: tuple[Sample, ...], roots: tuple[str, ...] = ()
) -> ModelSource | None:
    """Pick where the model comes from; None until the user has given enough to open one.
    ``roots``: allowed roots besides ``EXPLORER_ALLOWED_ROOTS`` (for typed paths)."""
    st.sidebar.header("Model")
    _match_served_name(samples)
    kind = st.sidebar.radio(
        "Source",
        (*keys.SOURCE_KINDS, keys.SOURCE_CONFIG),
        key=keys.SOURCE_KIND,
        persist_state=_KEPT,
    )
    if kind != keys.SOURCE_UPLOAD:
        st.session_state[keys.UPLOAD_HAD_FILE] = False
    if kind == keys.SOURCE_SAMPLE:
        by_name = {s.name: s for s in samples}
        if not by_name:
            st.sidebar.warning("No bundled samples found: run `python sample_models/build.py`.")
            return None
        name = st.sidebar.selectbox(
            "Sample model",
            list(by_name),
            key=keys.SAMPLE,
            format_func=lambda n: n + (" (versioned)" if by_name[n].versioned else ""),
            persist_state=_KEPT,
        )
        sample = by_name[name]
        if sample.description:
            st.sidebar.caption(sample.description)
        return ModelSource(kind, path=str(sample.path))
    if kind == keys.SOURCE_CONFIG:  # a model and version of a TF Serving model config
        picked = render_config_source(roots)
        return ModelSource(kind, path=picked[0], served_name=picked[1]) if picked else None
    if kind == keys.SOURCE_FOLDER:
        path = st.sidebar.text_input(
            "Folder path",
            key=keys.FOLDER_PATH,
            persist_state=_KEPT,
            placeholder="/models/my_model or /models/my_model/3",
            help="A SavedModel folder, one version folder, or a TF Serving base folder with "
            "numeric version sub-folders (the newest is picked; choose another below).",
        ).strip()
        return ModelSource(kind, path=path) if path else None
    upload = st.sidebar.file_uploader(
        "SavedModel archive",
        type=["zip", "gz", "tgz", "tar"],
        key=keys.UPLOAD,
        help="A .zip or .tar.gz of a SavedModel folder (or of a versioned base folder).",
    )
    had_file = st.session_state.get(keys.UPLOAD_HAD_FILE, False)
    st.session_state[keys.UPLOAD_HAD_FILE] = upload is not None
    if upload is None:
        kept = st.session_state.get(keys.UPLOAD_KEPT)
        if kept is None or had_file:  # nothing uploaded yet, or the user removed it
            st.session_state.pop(keys.UPLOAD_KEPT, None)
            return None
        # Back from another source: Streamlit has emptied the uploader, not the archive.
        st.sidebar.caption(
            f"Showing the earlier upload {md_code(kept[0])}; upload another to replace it."
        )
        return ModelSource(kind, upload_name=kept[0], upload_id=kept[1])
    st.session_state[keys.UPLOAD_KEPT] = (upload.name, str(upload.file_id))
    return ModelSource(
        kind,
        upload_name=upload.name,
        upload_bytes=upload.getvalue(),
        upload_id=str(upload.file_id),
    )


def render_version_picker(model: ModelInfo, source: str) -> None:
    """For a versioned model: the version to open. ``model`` is what the ``source`` path
    opens by itself (a base folder: the newest; a version folder: that version), and the
    picker starts there whenever the path changes."""
    if len(model.available_versions) < 2:
        return
    if st.session_state.get(keys.VERSION_SOURCE) != source:
        st.session_state[keys.VERSION_SOURCE] = source
        st.session_state[keys.VERSION] = model.version
    versions = list(reversed(model.available_versions))
    st.sidebar.selectbox(
        "Version",
        versions,
        key=keys.VERSION,
        persist_state=_KEPT,
        help="Numeric sub-folders of the base folder; TF Serving serves the newest.",
    )


def render_meta_graph_picker(model: ModelInfo) -> MetaGraphInfo:
    """The tag-set to look at; the one tagged 'serve' first."""
    default = model.meta_graph()
    tag_sets = [default.tag_set] + [
        mg.tag_set for mg in model.meta_graphs if mg.tag_set != default.tag_set
    ]
    if st.session_state.get(keys.TAG_SET) not in tag_sets:
        st.session_state[keys.TAG_SET] = tag_sets[0]
    chosen = st.sidebar.selectbox(
        "Tag-set (MetaGraph)",
        tag_sets,
        key=keys.TAG_SET,
        disabled=len(tag_sets) == 1,
        persist_state=_KEPT,
    )
    return model.meta_graph(chosen or None)


def render_signature_picker(meta_graph: MetaGraphInfo) -> str | None:
    """The signature to inspect and call; ``serving_default`` first when present."""
    ordered = sorted(
        meta_graph.signatures, key=lambda s: (s.is_init_op, s.key != "serving_default", s.key)
    )
    choices = [s.key for s in ordered]
    if not choices:
        st.sidebar.info("This MetaGraph has no signatures.")
        return None
    if st.session_state.get(keys.SIGNATURE) not in choices:
        st.session_state[keys.SIGNATURE] = choices[0]
    st.sidebar.toggle(
        "Enforce method_name",
        key=keys.METHOD_NAME_CHECK,
        persist_state=_KEPT,
        help="Run calls as TF Serving started with --enable_signature_method_name_check would: "
        "Classify/Regress/Predict then also demand the matching method_name (off by default "
        "since TF Serving 2.4).",
    )
    st.sidebar.toggle(
        "oneDNN kernels (mkl build)",
        key=keys.ONEDNN_KERNELS,
        persist_state=_KEPT,
        help="Off: TF Serving's standard CPU build's kernels, what the tensorflow/serving "
        "image runs. On: its --config=mkl build's oneDNN kernels (numerics differ slightly, "
        "and some requests crash there that the standard build answers).",
    )
    return st.sidebar.selectbox(
        "Signature",
        choices,
        key=keys.SIGNATURE,
        persist_state=_KEPT,
        format_func=lambda k: (
            plain(k) + (" (initializer)" if meta_graph.signature(k).is_init_op else "")
        ),
    )


def _match_served_name(samples: tuple[Sample, ...]) -> None:
    # A TF Serving target with "also open a local model": start on the bundled sample that
    # has the server's model name (once per name, so the user's own choice then stays).
    state = st.session_state
    if state.get(keys.TARGET_KIND) != keys.TARGET_SERVING or not state.get(keys.REMOTE_COMPARE):
        return
    name = str(state.get(keys.REMOTE_MODEL) or "").strip()
    if not name or state.get(_MATCHED) == name:
        return
    state[_MATCHED] = name
    if name in {s.name for s in samples}:
        state[keys.SOURCE_KIND] = keys.SOURCE_SAMPLE
        state[keys.SAMPLE] = name
        st.sidebar.caption(
            f"Opened the bundled sample named like the server's model, {md_code(name)}."
        )
    else:
        st.sidebar.caption(
            f"No bundled sample is called {md_code(name)}: pick the local model to compare "
            "with the server's."
        )
