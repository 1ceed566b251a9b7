"""The drawing's browser side (HTML, CSS, JavaScript), one source for the app and notebooks."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def text(name: str) -> str:
    """One asset file's text, e.g. ``text("graph_view.js")``.

    Raises:
        FileNotFoundError: no such asset (a packaging bug).
    """
    return resources.files(__name__).joinpath(name).read_text(encoding="utf-8")
