"""Which MetaGraph a call runs, and the folder its variables are read from.

A call takes a path, a ``ModelInfo`` or one of its ``MetaGraphInfo``s. Given no tag-set it
runs the MetaGraph TF Serving loads, the one tagged exactly ``serve``.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from explorer.constants import SERVE_TAG
from explorer.errors import ModelSourceError, UnknownTagSetError
from explorer.model.info import MetaGraphInfo, ModelInfo
from explorer.model.reader import read_model

ModelTarget = ModelInfo | MetaGraphInfo | str | os.PathLike[str]

# Folder of each MetaGraph seen inside a ModelInfo, by proto identity: MetaGraphInfo does
# not record where it was read from. The proto is kept so its id() cannot be reused.
_MODEL_DIRS: dict[int, tuple[Any, str]] = {}
_MODEL_DIRS_LOCK = threading.Lock()
_MODEL_DIRS_KEPT = 64  # the most recent ones; an app re-reading models must not grow it


def serving_meta_graph(model: ModelInfo, tags: str | None) -> MetaGraphInfo:
    """The MetaGraph with ``tags``; by default the one TF Serving loads, tagged exactly
    "serve" (its ``--saved_model_tags`` default).

    Raises:
        UnknownTagSetError: no such MetaGraph; by default the message says TF Serving
            could not load the model.
    """
    if tags is not None:
        return model.meta_graph(tags)
    try:
        return model.meta_graph(SERVE_TAG)
    except UnknownTagSetError as err:
        raise UnknownTagSetError(
            err.requested,
            err.available,
            "TF Serving loads the tag-set 'serve' (its --saved_model_tags default), so it "
            "cannot load this model as it is; choose a tag-set (--tags) to use another.",
        ) from None


def resolve_target(target: ModelTarget, tags: str | None) -> tuple[MetaGraphInfo, str]:
    """The MetaGraph to run and its model folder.

    Raises:
        UnknownTagSetError: no MetaGraph has ``tags`` (default: exactly "serve").
        ModelSourceError: ``target`` is not a model, or a MetaGraphInfo whose folder is
            unknown.
    """
    if isinstance(target, (str, os.PathLike)):
        target = read_model(target)
    if isinstance(target, ModelInfo):
        with _MODEL_DIRS_LOCK:
            for meta_graph in target.meta_graphs:
                _MODEL_DIRS.pop(id(meta_graph.proto), None)
                _MODEL_DIRS[id(meta_graph.proto)] = (meta_graph.proto, target.path)
            while len(_MODEL_DIRS) > _MODEL_DIRS_KEPT:
                _MODEL_DIRS.pop(next(iter(_MODEL_DIRS)))
        return serving_meta_graph(target, tags), target.path
    if isinstance(target, MetaGraphInfo):
        directory = getattr(target, "model_dir", None)
        with _MODEL_DIRS_LOCK:
            directory = directory or _MODEL_DIRS.get(id(target.proto), (None, None))[1]
        if directory:
            return target, str(directory)
        raise ModelSourceError(
            "This MetaGraphInfo does not say which folder it was read from; pass the "
            "ModelInfo from read_model(path), or the path, instead."
        )
    # Reachable at run time: a notebook passes anything. The type's name, not repr: a
    # ModelInfo from a reloaded module would print kilobytes.
    kind = f"{type(target).__module__}.{type(target).__qualname__}"  # type: ignore[unreachable]
    raise ModelSourceError(
        f"Not a model: a {kind}. Pass a path, ModelInfo or MetaGraphInfo (if this is a "
        "ModelInfo, its module was reloaded since it was read: read the model again)."
    )
