"""Keras applications exported as SavedModels for the benchmarks, cached in the temp folder.

Benchmarks need realistic, large SavedModels (ResNet50's graph has ~2,200 top-level nodes
and ~3,500 more in library functions), but such models must never be committed. Each one
is built with ``weights=None`` (no download) and written with Keras's own
``model.export(path, format="tf_saved_model")`` — the export Keras documents for TF Serving —
into ``$TMPDIR/signature-explorer-bench/<Name>-tf<version>-keras<version>/``. (Keras 3.15's
models passed straight to ``tf.saved_model.save`` restore copies of their variables and
leave the variables the signature reads uninitialized: TF Serving's loader, like
TensorFlow's TF1 loader, then fails every request with "Could not find variable".) The
folder name carries the installed TensorFlow and Keras versions, so upgrading either
re-exports instead of reusing a model written by another release, and a cached model
costs no TensorFlow import at all.

Usable from any script in ``bench/``::

    from _export import export_application      # python bench/<script>.py
    path = export_application("ResNet50")

or alone: ``python bench/_export.py ResNet50 EfficientNetB0 [--refresh]`` prints the paths.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import shutil
import sys
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

CACHE_ROOT = Path(tempfile.gettempdir()) / "signature-explorer-bench"
# Written last: a folder without it is an interrupted export and is rebuilt.
_COMPLETE_MARKER = ".export-complete"


def export_application(name: str, *, cache_root: Path = CACHE_ROOT, refresh: bool = False) -> Path:
    """The SavedModel folder of ``keras.applications.<name>(weights=None)``, exported once.

    Args:
        name: a ``keras.applications`` constructor, e.g. ``"ResNet50"``, ``"MobileNetV2"``,
            ``"EfficientNetB0"``.
        cache_root: folder holding one sub-folder per exported model.
        refresh: export again even when a complete cached copy exists.

    Returns:
        The SavedModel folder (holds ``saved_model.pb`` and ``variables/``).

    Raises:
        ValueError: ``keras.applications`` has no constructor called ``name``.
    """
    target = cached_path(name, cache_root=cache_root)
    if not refresh and (target / _COMPLETE_MARKER).is_file():
        return target
    cache_root.mkdir(parents=True, exist_ok=True)
    # Export into a private folder and rename it into place, so that two benchmarks
    # running at once never see (or reuse) a half-written model.
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=cache_root))
    staging.chmod(0o755)  # mkdtemp makes it private; the model itself is not secret
    try:
        _save_application(name, staging)
        (staging / _COMPLETE_MARKER).write_text(f"{name}\n", encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        try:
            os.replace(staging, target)
        except OSError:
            # Another process finished the same export first: keep its copy.
            if not (target / _COMPLETE_MARKER).is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def export_applications(
    names: Iterable[str], *, cache_root: Path = CACHE_ROOT, refresh: bool = False
) -> dict[str, Path]:
    """``export_application`` for several models; returns name → SavedModel folder."""
    return {
        name: export_application(name, cache_root=cache_root, refresh=refresh) for name in names
    }


def cached_path(name: str, *, cache_root: Path = CACHE_ROOT) -> Path:
    """Where ``export_application(name)`` keeps the model (it may not exist yet)."""
    return cache_root / f"{name}-tf{_version('tensorflow')}-keras{_version('keras')}"


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _save_application(name: str, directory: Path) -> None:
    # Only exporting needs TensorFlow; quiet its C++ start-up banner for this process.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import keras

    build = getattr(keras.applications, name, None)
    if not callable(build):
        known = sorted(n for n in dir(keras.applications) if n[:1].isupper())
        raise ValueError(f"keras.applications has no model {name!r}; choose from {known}")
    model = build(weights=None)
    model.export(str(directory), format="tf_saved_model", verbose=False)
    del model
    keras.backend.clear_session()


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export Keras applications for the benchmarks.")
    parser.add_argument("names", nargs="+", metavar="NAME", help="e.g. ResNet50 EfficientNetB0")
    parser.add_argument("--refresh", action="store_true", help="export even if cached")
    parser.add_argument("--cache-root", type=Path, default=CACHE_ROOT)
    args = parser.parse_args(argv)
    for name, path in export_applications(
        args.names, cache_root=args.cache_root, refresh=args.refresh
    ).items():
        print(f"{name}\t{path}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
