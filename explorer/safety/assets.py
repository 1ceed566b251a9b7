"""Which tensors TensorFlow's loader feeds with a file of the model's own ``assets/`` folder,
decided as the loader decides.

The loader takes the MetaGraph's ``asset_file_def`` entries; only when there are none does
it read the older ``saved_model_assets`` collection. So a tensor listed in that collection
while ``asset_file_def`` is set is never fed: it keeps the path written in the graph, which
may name any file on the server. Each entry feeds ``<model>/assets/<filename>`` into its
tensor, and a tensor is the model's own asset only when every entry for it names a plain
file name (no folder, no ``..``) and that file is the model's own: ``assets/`` a real
folder and the file a regular file in it, not a symbolic link, which would hand the
table a file of the server. An absent file is harmless (the load fails). Staging checks
the files again when the model is loaded, so a link swapped in after the scan fails there.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from explorer.model import protos
from explorer.safety.index import tensor_name

if TYPE_CHECKING:
    from explorer.model.proto_types import MetaGraphDef

_LEGACY_COLLECTION = "saved_model_assets"


@dataclass(frozen=True, slots=True)
class AssetFeeds:
    """The tensors fed with the model's own asset files, and those that only look so."""

    own: frozenset[str]
    # Tensor → why it is not fed with one of the model's own files (for the finding).
    refused: Mapping[str, str]


def asset_feeds(proto: MetaGraphDef, model_dir: str) -> AssetFeeds:
    """Judge every asset entry of a MetaGraph against the loader's rules and the files.

    Args:
        proto: the MetaGraphDef.
        model_dir: the SavedModel folder it was read from ("" when unknown: then no
            tensor is the model's own asset).

    Returns:
        The tensors (``name:index``) the loader feeds with a regular file inside the
        model's ``assets/``, and the declared ones it does not, each with the reason.
    """
    entries = [(e.tensor_info.name, e.filename) for e in proto.asset_file_def]
    ignored: list[str] = []
    legacy = proto.collection_def.get(_LEGACY_COLLECTION)
    if legacy is not None:
        for packed in legacy.any_list.value:
            entry = protos.message_class("tensorflow.AssetFileDef")()
            if packed.Unpack(entry):
                if proto.asset_file_def:
                    ignored.append(entry.tensor_info.name)
                else:
                    entries.append((entry.tensor_info.name, entry.filename))
    refused: dict[str, str] = {}
    fed = {tensor_name(name) for name, _ in entries if name}
    for name in ignored:
        if not name or tensor_name(name) in fed:
            continue  # asset_file_def feeds it too
        refused[tensor_name(name)] = (
            f"{_LEGACY_COLLECTION} lists it, but TensorFlow's loader reads only "
            "asset_file_def when that is set, so the path written in the graph is read"
        )
    folder = _assets_folder_problem(model_dir)
    own: set[str] = set()
    for name, filename in entries:
        if not name:
            continue
        tensor = tensor_name(name)
        problem = folder or _file_problem(model_dir, filename)
        if problem is not None:
            refused.setdefault(tensor, problem)
        else:
            own.add(tensor)
    return AssetFeeds(frozenset(own - refused.keys()), MappingProxyType(refused))


def _assets_folder_problem(model_dir: str) -> str | None:
    if not model_dir:
        return "the model's folder is not known, so its asset files cannot be checked"
    try:
        mode = os.lstat(os.path.join(model_dir, "assets")).st_mode
    except FileNotFoundError:
        return None  # no asset file at all: a load that needs one fails
    except OSError as exc:
        return f"assets/ cannot be checked ({exc.strerror})"
    if stat.S_ISLNK(mode):
        return "assets/ is a symbolic link: the files it leads to are not the model's own"
    if not stat.S_ISDIR(mode):
        return "assets/ is not a folder"
    return None


def _file_problem(model_dir: str, filename: str) -> str | None:
    if not _plain_file_name(filename):
        return f"its asset file name {filename!r} does not name a file inside assets/"
    try:
        mode = os.lstat(os.path.join(model_dir, "assets", filename)).st_mode
    except FileNotFoundError:
        return None  # absent: the load fails, nothing is read
    except OSError as exc:
        return f"assets/{filename!r} cannot be checked ({exc.strerror})"
    if stat.S_ISLNK(mode):
        return (
            f"assets/{filename!r} is a symbolic link: the file it leads to is not the model's own"
        )
    if not stat.S_ISREG(mode):
        return f"assets/{filename!r} is not a regular file"
    return None


def _plain_file_name(name: str) -> bool:
    return bool(name) and name not in (".", "..") and not any(c in name for c in ("/", "\\", "\0"))
