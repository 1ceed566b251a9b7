"""A worker's view of its models: each model staged as its own folder under one private
root, which is all of the file system the sandboxed worker can see of models.

Staging writes ``saved_model.pb`` from the scanned MetaGraphDef itself, so the bytes the
worker loads are the bytes that were scanned: swapping the file on disk after the scan
(keeping its mtime) changes nothing. The model's data files (``variables/``, ``assets/``,
``assets.extra/``) are hard-linked where the file system allows it, else copied; only
regular files are staged, so a symlink inside a model cannot lead the worker elsewhere.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import threading
from pathlib import Path

from explorer.errors import ModelSourceError
from explorer.model import protos
from explorer.model.info import MetaGraphInfo

# What TensorFlow's loader reads besides saved_model.pb.
DATA_FOLDERS = ("variables", "assets", "assets.extra")


class StagingArea:
    """One worker's private folder of staged models (removed by :meth:`close`)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="explorer-models-"))  # mode 0700
        self._lock = threading.Lock()
        self._count = 0

    def stage(self, model_dir: str, meta_graph: MetaGraphInfo) -> str:
        """Stage one MetaGraph of ``model_dir``; the staged folder's name under the root.

        Raises:
            ModelSourceError: a data file is a symlink or not a regular file, or cannot be
                read.
        """
        with self._lock:
            self._count += 1
            name = str(self._count)
        target = self.root / name
        target.mkdir()
        try:
            saved_model = protos.SavedModel()
            saved_model.saved_model_schema_version = 1
            saved_model.meta_graphs.add().CopyFrom(meta_graph.proto)
            (target / "saved_model.pb").write_bytes(saved_model.SerializeToString())
            for folder in DATA_FOLDERS:
                _stage_tree(Path(model_dir) / folder, target / folder, Path(model_dir))
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        return name

    def remove(self, name: str) -> None:
        """Forget one staged model (its files; the worker should have unloaded it)."""
        shutil.rmtree(self.root / name, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def content_key(model_dir: str, meta_graph: MetaGraphInfo) -> str:
    """What identifies a loaded model: its graph's bytes, its folder and its tag-set. A
    rewritten saved_model.pb is another model, whatever its path or mtime."""
    digest = hashlib.sha256()
    digest.update(os.path.realpath(model_dir).encode("utf-8", "surrogateescape"))
    digest.update(b"\0" + ",".join(meta_graph.tags).encode("utf-8", "surrogateescape") + b"\0")
    digest.update(meta_graph.proto.SerializeToString(deterministic=True))
    return digest.hexdigest()[:32]


def _stage_tree(source: Path, target: Path, model_dir: Path) -> None:
    try:
        info = source.lstat()
    except FileNotFoundError:
        return  # an optional folder: TensorFlow's own error says if it was needed
    except OSError as exc:
        raise ModelSourceError(f"Cannot read {source}: {exc.strerror}.") from exc
    if stat.S_ISLNK(info.st_mode):
        raise ModelSourceError(
            f"{source} is a symbolic link (to {os.readlink(source)}): a model runs from its "
            "own files only. Copy the files into the model folder."
        )
    if not stat.S_ISDIR(info.st_mode):
        raise ModelSourceError(f"{source} is not a folder.")
    target.mkdir()
    for entry in sorted(os.scandir(source), key=lambda e: e.name):
        path = Path(entry.path)
        mode = entry.stat(follow_symlinks=False).st_mode
        where = path.relative_to(model_dir)
        if stat.S_ISLNK(mode):
            raise ModelSourceError(
                f"{where} in {model_dir} is a symbolic link (to {os.readlink(path)}): a model "
                "runs from its own files only. Copy the file into the model folder."
            )
        if stat.S_ISDIR(mode):
            _stage_tree(path, target / entry.name, model_dir)
        elif stat.S_ISREG(mode):
            _link_or_copy(path, target / entry.name)
        else:
            raise ModelSourceError(
                f"{where} in {model_dir} is not a regular file (a device, FIFO or socket)."
            )


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or links refused: a copy costs only time
        try:
            shutil.copyfile(source, target)
        except OSError as exc:
            raise ModelSourceError(f"Cannot read {source}: {exc.strerror}.") from exc
