"""Text from a model, a request or a server, made safe to show: it is data, never markup.

A SavedModel's signature keys, method names, tensor, op, function and asset names are
chosen by whoever wrote it, and so are a TF Serving reply's texts. Shown as they are, a
key holding ``ESC [2J`` clears the terminal that runs ``scan``, a right-to-left override
(U+202E) shows a name backwards, and a NUL cuts a line short. Each medium has one helper:

- :func:`visible_controls`: control and format characters as Python-style escapes
  (``\\x1b``, ``\\u202e``), the common core of every medium (it lives in
  ``explorer.model.controls``, so the graph's drawing uses it too; re-exported here);
- :func:`html_text`: that, HTML-escaped, for the notebook views and the run report;
- ``explorer.cli.terminal``: for what the CLI prints;
- ``components/text.py``: for Streamlit's Markdown-reading elements (the app).
"""

from __future__ import annotations

import html

from explorer.model.controls import visible_controls

__all__ = ["html_text", "visible_controls"]


def html_text(text: str) -> str:
    """``text`` for HTML element content or a quoted attribute: controls made visible
    (line breaks and tabs kept), then ``& < > " '`` escaped."""
    return html.escape(visible_controls(text, keep="\n\t"), quote=True)
