"""The request as text: the REST JSON editor, and the request/curl/response of a run.

A request that carries an image or a big tensor is megabytes of JSON: it is never put in
the page (not in the editor, not in a code pane). Its request.json and curl command are
built when the user asks for them, as downloads.
"""

from __future__ import annotations

import streamlit as st

from explorer.codec.exchange import REQUEST_FILE_NAME
from explorer.run.dispatch import CallRequest

# Longer texts are cut in the page (the browser chokes on megabytes of code); downloads
# always carry the whole text.
_SHOWN_CHARS = 60_000


def render_rest_editor(key: str, form_body: str) -> str:
    """A text area holding the REST body exactly as it will be sent, prefilled from the form."""
    if key not in st.session_state:
        st.session_state[key] = form_body

    def refill() -> None:
        st.session_state[key] = form_body

    st.caption(
        "The body is sent exactly as typed: TF Serving's JSON parser, its request formats "
        '({"instances"}, {"inputs"}, {"examples", "context"}) and its error messages apply.'
    )
    text = st.text_area(
        "REST request body",
        key=key,
        height=320,
        persist_state="session",
    )
    st.button(
        "Refill from the form",
        key=key + ".refill",
        on_click=refill,
        type="tertiary",
        icon=":material/sync:",
    )
    return text or ""


def render_big_request_note(request: CallRequest, key: str) -> None:
    """For a form holding images or big tensors: its REST body as a download, not as text."""
    st.info(
        "The form's request holds images or big tensors: its REST JSON is not written into "
        "the page. Download it, edit it if you like, and paste it below — or send it from "
        "the Form.",
        icon=":material/description:",
    )
    st.download_button(
        f"Download the form's {REQUEST_FILE_NAME}",
        request.shown_text,
        file_name=REQUEST_FILE_NAME,
        mime="application/json",
        key=key + ".dl_form_request",
        on_click="ignore",
    )


def render_exchange(
    request_text: str, curl: str, response_text: str, *, key: str, big_request: bool
) -> None:
    """Request JSON, curl command and response JSON: each copyable and downloadable."""
    request_tab, curl_tab, response_tab = st.tabs(["Request", "curl", "Response"])
    with request_tab:
        if len(request_text) > _SHOWN_CHARS:
            st.caption(
                f"The request is {len(request_text):,} characters of JSON (it carries images "
                "or big tensors): download it rather than read it here."
            )
        else:
            _code(request_text, "json")
        st.download_button(
            "Download request.json",
            lambda: request_text,  # built into a file only when asked for
            file_name=REQUEST_FILE_NAME,
            mime="application/json",
            key=key + ".dl_request",
            on_click="ignore",
        )
    with curl_tab:
        if big_request:
            st.caption(
                f"The body is large: save it as {REQUEST_FILE_NAME} (Request tab) "
                "and run this beside it."
            )
        st.code(curl, language="bash", wrap_lines=True)
        st.download_button(
            "Download curl.sh",
            curl + "\n",
            file_name="curl.sh",
            mime="text/x-shellscript",
            key=key + ".dl_curl",
            on_click="ignore",
        )
    with response_tab:
        if len(response_text) > _SHOWN_CHARS:
            st.caption(
                f"The response is {len(response_text):,} characters of JSON: the full text "
                "is one click away."
            )
        else:
            _code(response_text, "json")
        st.download_button(
            "Download response.json",
            lambda: response_text,
            file_name="response.json",
            mime="application/json",
            key=key + ".dl_response",
            on_click="ignore",
        )


def _code(text: str, language: str) -> None:
    if len(text) <= _SHOWN_CHARS:
        st.code(
            text,
            language=language,
            height=360 if text.count("\n") > 18 else "content",
            wrap_lines=True,
        )
        return
    st.caption(
        f"{len(text):,} characters: the first {_SHOWN_CHARS:,} are shown; download "
        "for the whole text."
    )
    st.code(text[:_SHOWN_CHARS] + "\n…", language=language, height=360, wrap_lines=True)
