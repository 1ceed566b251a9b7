"""``explorer.explore``: a model as an interactive notebook widget.

The widget (``widget_view.ExplorerWidget``) is built on anywidget, so it runs wherever
Jupyter widgets do: JupyterLab, Notebook 7, VS Code and Colab. anywidget is optional
(``pip install "signature-explorer[notebook]"``): without it, ``explore`` says what to
install, and the static HTML views (``explorer.present.html``) still show every model.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from explorer.errors import DependencyError, UnknownSignatureError
from explorer.model.info import ModelInfo
from explorer.model.reader import read_model

if TYPE_CHECKING:
    from explorer.present.widget_view import ExplorerWidget

INSTALL = 'python3 -m pip install "signature-explorer[notebook]"'


def explore(
    model: ModelInfo | str | os.PathLike[str],
    *,
    version: int | None = None,
    tags: str | None = None,
    signature: str | None = None,
    allow_unsafe: bool = False,
) -> ExplorerWidget:
    """A widget showing ``model``: its signatures with TF Serving's verdicts, the graph
    drawing (zoom, pan, open groups, inspect ops), and a run form whose answer shows as
    tables and charts and comes back to Python (``widget.result``, ``widget.request``).

    Args:
        model: a ModelInfo, or the path of a SavedModel, version or TF Serving base folder.
        version: for a base folder given as a path, which version (default the newest).
        tags: the MetaGraph's tag-set (default the one tagged exactly "serve").
        signature: the signature shown first (default serving_default, else the first).
        allow_unsafe: let the run form call a model the unsafe-op scan flags.

    Raises:
        DependencyError: anywidget is not installed (the message names the install line).
        ExplorerError: the model cannot be read, or ``tags`` / ``signature`` name nothing.
    """
    info = model if isinstance(model, ModelInfo) else read_model(model, version=version)
    meta_graph = info.meta_graph(tags)
    if not meta_graph.signatures:
        raise UnknownSignatureError(signature or "serving_default", ())
    try:
        # Here, not at the top: anywidget (and ipywidgets) are optional and cost ~0.3 s, so
        # `import explorer` and the CLI never load them; a missing one is a clear error.
        from explorer.present.widget_view import ExplorerWidget
    except ModuleNotFoundError as exc:
        if exc.name not in ("anywidget", "ipywidgets", "traitlets"):
            raise
        raise DependencyError("The notebook widget (anywidget)", INSTALL) from exc
    return ExplorerWidget(
        info, tag_set=meta_graph.tag_set, signature=signature, allow_unsafe=allow_unsafe
    )
