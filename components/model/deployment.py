"""The "TF Serving model config" source: a ``--model_config_file`` opened, any of its
models and versions picked to explore, run or compare as any other model.

The sidebar takes the config's path (inside the allowed roots, like a server folder), a
model and one of its versions (the served ones first, each with its labels); the page
shows what TF Serving would make of the whole config: every model's versions on disk,
the ones served, where each label points, each served version's load and warmup, and
every problem in TF Serving's words (``explorer.serving.model_config``,
``explorer.deploy.deployment``). Config text (names, labels, paths) is shown in tables and
code spans, never read as Markdown.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from components import keys
from components.error_panel import show_error
from components.text import md_code, md_text
from explorer.deploy.deployment import ServedVersion, served_versions
from explorer.errors import ExplorerError
from explorer.safety.paths import AllowedRoots, check_allowed
from explorer.serving.model_config import (
    ConfiguredModel,
    ModelServerConfigInfo,
    read_model_config,
)


def render_config_source(roots: tuple[str, ...] = ()) -> tuple[str, str] | None:
    """The sidebar part of the source: config path, model, version.

    Args:
        roots: allowed roots beside ``EXPLORER_ALLOWED_ROOTS`` (the app's secrets).

    Returns:
        (version folder, the model's name in the config), or None until one is picked.
    """
    typed = st.sidebar.text_input(
        "Model config file",
        key=keys.CONFIG_PATH,
        placeholder="/models/models.config",
        help="TF Serving's --model_config_file: a text ModelServerConfig with a "
        "model_config_list. Every model it lists is opened as TF Serving would serve it.",
    ).strip()
    st.sidebar.toggle(
        "Allow labels on versions not loaded yet",
        key=keys.CONFIG_ALLOW_LABELS,
        help="As TF Serving's --allow_version_labels_for_unavailable_models: without it, TF "
        "Serving refuses every version label at start-up (nothing is loaded yet when it "
        "assigns them).",
    )
    if not typed:
        return None
    policy = AllowedRoots.from_env(extra=roots)
    try:
        config = read_model_config(
            check_allowed(typed, policy),
            allow_labels_for_unavailable=bool(st.session_state.get(keys.CONFIG_ALLOW_LABELS)),
            may_open=policy.contains,  # base paths outside the roots are not even listed
        )
    except ExplorerError as err:
        show_error(err)
        return None
    openable = [m for m in config.models if m.served or m.on_disk]
    render_config_overview(config)
    if not openable:
        st.sidebar.warning("No model of this config has a version folder to open.")
        return None
    names = list(dict.fromkeys(m.name for m in openable))
    if st.session_state.get(keys.CONFIG_MODEL) not in names:
        st.session_state[keys.CONFIG_MODEL] = names[0]
    name = st.sidebar.selectbox("Model (config name)", names, key=keys.CONFIG_MODEL)
    model = next(m for m in openable if m.name == name)
    choices = _version_choices(model)
    version_key = f"{keys.CONFIG_VERSION}.{name}"
    if st.session_state.get(version_key) not in choices:
        st.session_state[version_key] = next(iter(choices))
    version = st.sidebar.selectbox(
        "Version",
        list(choices),
        key=version_key,
        format_func=lambda v: choices[v],
        help="The versions TF Serving serves under the model's version policy come first; "
        "the others are on disk but not served.",
    )
    folder = model.folder(version)
    if folder is None:
        return None
    try:  # each base path is a folder on the server: it must be allowed too
        allowed = check_allowed(folder.path, policy)
    except ExplorerError as err:
        show_error(err)
        return None
    return str(allowed), model.name


def _version_choices(model: ConfiguredModel) -> dict[int, str]:
    """version → its label in the picker, served versions (newest first) before the rest."""
    served = sorted(model.served_versions, reverse=True)
    others = sorted({f.version for f in model.on_disk} - set(served), reverse=True)
    choices = {}
    for version in served:
        labels = model.labels_of(version)
        choices[version] = f"{version} · served" + (f" · {', '.join(labels)}" if labels else "")
    for version in others:
        choices[version] = f"{version} · not served"
    return choices


def render_config_overview(config: ModelServerConfigInfo) -> None:
    """The whole config as TF Serving sees it, above the model's tabs."""
    starts = config.starts
    title = f"TF Serving model config · {len(config.models)} models · " + (
        "TF Serving would start" if starts else f"{len(config.errors)} errors"
    )
    with st.expander(title, expanded=not starts, icon=":material/dns:"):
        st.caption(f"{md_code(config.path)}: what tensorflow_model_server would serve from it.")
        st.dataframe(_models_table(config), hide_index=True, width="stretch")
        rows = _label_rows(config)
        if rows:
            st.markdown("**Version labels**")
            st.dataframe(rows, hide_index=True, width="stretch")
        if config.problems:
            st.markdown(
                "**Problems**, in the order TF Serving meets them (it stops at the first error)"
            )
            st.dataframe(
                [
                    {
                        "severity": p.severity,
                        "model": p.model or "",
                        "TF Serving says": (f"{p.code}: " if p.code else "") + p.message,
                        "fix": p.fix,
                    }
                    for p in config.problems
                ],
                hide_index=True,
                width="stretch",
            )
        else:
            st.success("No problems: TF Serving would start with this config.")
        loads = _loaded(config)
        if loads:
            st.markdown("**Served versions**, opened as TF Serving's loader opens them")
            st.dataframe(
                [
                    {
                        "model": v.model,
                        "version": v.version,
                        "labels": ", ".join(v.labels),
                        "loads": "yes" if v.loads else "no",
                        "warmup records": (
                            len(v.warmup.file.records)
                            if v.warmup is not None and v.warmup.file is not None
                            else 0
                        ),
                        "path": v.path,
                    }
                    for v in loads
                ],
                hide_index=True,
                width="stretch",
            )
        failing = [v for v in loads if not v.loads]
        for version in failing:
            st.error(
                f"Version {version.version} of {md_code(version.model)} would not load: "
                f"{md_text(version.load_error or '')}"
            )


def _models_table(config: ModelServerConfigInfo) -> list[dict[str, Any]]:
    return [
        {
            "model": m.name,
            "base_path": m.base_path,
            "platform": m.platform,
            "version policy": m.policy.text,
            "versions on disk": ", ".join(f.name for f in m.on_disk) or "(none)",
            "served": ", ".join(map(str, m.served_versions)) or "(none)",
            "labels": ", ".join(f"{lb.label} → {lb.version}" for lb in m.labels),
        }
        for m in config.models
    ]


def _label_rows(config: ModelServerConfigInfo) -> list[dict[str, Any]]:
    return [
        {
            "model": m.name,
            "label": lb.label,
            "version": lb.version,
            "served": "yes" if lb.served else "no",
            "REST /labels/ URL": "yes" if lb.rest_addressable else "no (gRPC only)",
        }
        for m in config.models
        for lb in m.labels
    ]


def _loaded(config: ModelServerConfigInfo) -> list[ServedVersion]:
    """Every served version opened (its saved_model.pb and warmup file), cached by mtime."""
    result: list[ServedVersion] = []
    for model in config.models:
        stamp = tuple((str(f.path), _mtime(f.path)) for f in model.served)
        result += _cached_versions(model, model.name, stamp)
    return result


@st.cache_resource(show_spinner=False, max_entries=64)
def _cached_versions(
    _model: ConfiguredModel, name: str, stamp: tuple[tuple[str, float], ...]
) -> list[ServedVersion]:
    # name and stamp (each served folder and its saved_model's mtime) stand for the
    # unhashable ConfiguredModel: a rewritten model is opened again.
    return list(served_versions(_model))


def _mtime(path: Path) -> float:
    try:
        return max((p.stat().st_mtime for p in path.glob("saved_model.pb*")), default=0.0)
    except OSError:
        return 0.0
