"""The TF Serving target: pick a server in the sidebar, send Run-tab requests to it, and
compare its answers with this process's.

Everything on the wire goes through ``explorer.remote.target.RemoteTarget``; this module draws the
choices and outcomes. Calls run through ``components.remote.remote_calls.call_with_cancel``, so the
Stop button (or any rerun) abandons a call at once instead of waiting for the timeout; the
comparison lives in ``components.remote.remote_compare`` (re-exported here).
In the app, servers are limited to ``EXPLORER_ALLOWED_SERVERS`` / ``allowed_servers``
(default: this machine) and certificate files to the allowed roots.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import keys
from components.remote.remote_calls import call_with_cancel, show_remote_error
from components.remote.remote_compare import render_compare_panel, render_compare_results
from components.text import md_code, md_text
from explorer.errors import ExplorerError
from explorer.model.info import ModelInfo
from explorer.model.locate import is_number
from explorer.remote.address import (
    SECRETS_ALLOWED_SERVERS,
    AllowedServers,
    check_server_allowed,
    parse_server_url,
)
from explorer.remote.target import RemoteTarget, TlsOptions
from explorer.safety.paths import SECRETS_KEY, AllowedRoots, check_allowed


def render_target_picker() -> RemoteTarget | None:
    """Sidebar: run in this process (default) or send to a TF Serving; the target or None."""
    st.sidebar.header("Target")
    kind = st.sidebar.radio(
        "Run signatures",
        keys.TARGET_KINDS,
        key=keys.TARGET_KIND,
        help="In this process: the model is loaded here. TF Serving: the signatures come from "
        "the server's metadata and runs are sent to it (REST or gRPC).",
    )
    if kind != keys.TARGET_SERVING:
        return None
    url = st.sidebar.text_input(
        "Server URL",
        key=keys.REMOTE_URL,
        placeholder="http://localhost:8501",
        help="http(s)://HOST:PORT for TF Serving's REST API (--rest_api_port, usually 8501), "
        "grpc(s)://HOST:PORT for its gRPC API (--port, usually 8500).",
    ).strip()
    model = st.sidebar.text_input(
        "Model name", key=keys.REMOTE_MODEL, help="TF Serving's --model_name (or config name)."
    ).strip()
    which = st.sidebar.text_input(
        "Version or label",
        key=keys.REMOTE_VERSION,
        placeholder="latest",
        help="A number picks that version, a word a version label; empty: the latest.",
    ).strip()
    timeout = st.sidebar.number_input(
        "Timeout (s)", min_value=0.5, max_value=600.0, value=10.0, step=1.0, key=keys.REMOTE_TIMEOUT
    )
    with st.sidebar.expander("TLS (https:// and grpcs://)"):
        paths = {
            name: st.text_input(label, key=key, placeholder="/path/on/the/app/server.pem").strip()
            for name, label, key in (
                ("ca_cert", "CA certificate (PEM)", keys.REMOTE_CA_CERT),
                ("client_cert", "Client certificate (mutual TLS)", keys.REMOTE_CLIENT_CERT),
                ("client_key", "Client key (mutual TLS)", keys.REMOTE_CLIENT_KEY),
            )
        }
        server_name = st.text_input(
            "Name on the server's certificate",
            key=keys.REMOTE_SERVER_NAME,
            help="When it differs from the URL's host (a server reached by IP or a tunnel).",
        ).strip()
    st.sidebar.checkbox(
        "Also open a local model, to compare",
        key=keys.REMOTE_COMPARE,
        help="Pick the model below as usual; the Run tab then sends the same request to both "
        "and shows where the answers differ.",
    )
    if not url or not model:
        st.sidebar.info("Enter the server URL and the model name.")
        return None
    try:
        check_server_allowed(parse_server_url(url), AllowedServers.from_env(_secret_servers()))
        tls = TlsOptions(
            **{k: _allowed_file(v) if v else None for k, v in paths.items()},
            server_name=server_name or None,
        )
        version, label = (int(which), None) if is_number(which) else (None, which or None)
        target = RemoteTarget(
            url, model, version=version, label=label, timeout_s=float(timeout),
            tls=None if tls == TlsOptions() else tls,
        )  # fmt: skip
    except ExplorerError as err:
        st.sidebar.error(md_text(str(err)))
        return None
    kept = st.session_state.get(keys.REMOTE_INSTANCE)
    if kept is not None and kept.key == target.key:
        return kept  # keeps its gRPC channel and the metadata it fetched
    if kept is not None:
        kept.close()
    st.session_state[keys.REMOTE_INSTANCE] = target
    return target


def compare_requested() -> bool:
    """Whether the user also wants a local model, to compare it with the server."""
    state = st.session_state
    return state.get(keys.TARGET_KIND) == keys.TARGET_SERVING and bool(
        state.get(keys.REMOTE_COMPARE)
    )


def render_remote_model(target: RemoteTarget) -> ModelInfo | None:
    """The server's signatures as a ModelInfo (fetched once; a button asks again)."""
    refresh = st.sidebar.button("Reload the server's metadata", key=keys.REMOTE_REFRESH)
    try:
        model = call_with_cancel(
            lambda cancel: target.metadata(refresh=refresh, cancel=cancel),
            f"Asking {target.url} for metadata",
        )
    except ExplorerError as err:
        show_remote_error(err)
        return None
    st.sidebar.caption(md_text(target.describe()))
    return model


def render_server_status(target: RemoteTarget) -> None:
    """The model's versions and states on the server (``GET /v1/models/NAME``)."""
    st.markdown(f"{md_text(target.describe())} · {md_code(target.endpoint())}")
    try:
        status = call_with_cancel(
            lambda cancel: target.status(cancel=cancel), f"Asking {target.url} for status"
        )
    except ExplorerError as err:
        show_remote_error(err)
        return
    rows = [
        {
            "version": s.get("version"),
            "state": s.get("state"),
            "status": s.get("status", {}).get("error_code", ""),
            "message": s.get("status", {}).get("error_message", ""),
        }
        for s in status.get("model_version_status", [])
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True)


def _allowed_file(path: str) -> str:
    # Certificate paths are typed paths on the app's server: the folders' allowed roots apply.
    return str(check_allowed(path, AllowedRoots.from_env(extra=_secret_list(SECRETS_KEY))))


def _secret_servers() -> tuple[str, ...]:
    return _secret_list(SECRETS_ALLOWED_SERVERS)


def _secret_list(name: str) -> tuple[str, ...]:
    try:
        entries = st.secrets.get(name, ())
    except Exception:  # no secrets.toml at all: Streamlit raises its own parse/missing errors
        return ()
    return tuple(str(e) for e in ([entries] if isinstance(entries, str) else entries))


__all__ = [
    "call_with_cancel",
    "compare_requested",
    "render_compare_panel",
    "render_compare_results",
    "render_remote_model",
    "render_server_status",
    "render_target_picker",
]
