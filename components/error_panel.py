"""Show an error in the page without ending the session."""

from __future__ import annotations

import streamlit as st

from components.text import md_text
from explorer.errors import (
    ExplorerError,
    InvalidSavedModelError,
    ModelSourceError,
    UnknownSignatureError,
    UnknownTagSetError,
)

_TITLES = {
    ModelSourceError: "Cannot open this model",
    InvalidSavedModelError: "Not a readable SavedModel",
    UnknownTagSetError: "No such tag-set",
    UnknownSignatureError: "No such signature",
}


def show_error(err: ExplorerError) -> None:
    """An error box titled by the kind of failure, with the message that says what to fix."""
    title = next((t for cls, t in _TITLES.items() if isinstance(err, cls)), "Error")
    st.error(f"**{title}.** {md_text(str(err))}", icon=":material/block:")
