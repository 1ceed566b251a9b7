"""Hostile SavedModels, one builder per hole class of the unsafe-op scan, built in the test
session (never committed).

Each model passed ``scan`` (exit 0) before the scan closed its hole, and carries a live
payload: loaded and run by TensorFlow itself, outside the explorer and its sandbox, it
writes a file outside the model (into :attr:`HostileModels.outside`) or returns the
contents of a file outside it (:attr:`HostileModels.secret`). The protos are written node
by node (no TensorFlow); only the checkpoints the restore model reads need TensorFlow, and
are written only when asked for.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tests.explorer.safety.hostile_calls import (
    HostileModel,
    extra_fetch,
    gradient,
    nested_attrs,
    selector,
)
from tests.explorer.safety.hostile_loading import (
    asset_precedence,
    asset_shared_name,
    asset_symlink,
    restore_prefix,
)

SECRET_TEXT = "the host's secret b81c"
PREDICT_X = '{"inputs": {"x": [1.0]}}'


@dataclass(frozen=True)
class HostileModels:
    models: dict[str, HostileModel]
    secret: Path  # a host file no model may return without opt-in
    outside: Path  # where writing payloads write (must stay empty)


def build(root: Path, *, checkpoints: bool = True) -> HostileModels:
    """Every hostile model under ``root``, with the secret and the outside folder.

    ``checkpoints=False`` skips the checkpoints the restore model reads (the scan does not
    need them, and writing them takes TensorFlow).
    """
    root.mkdir(parents=True, exist_ok=True)
    outside = root / "outside"
    outside.mkdir()
    secret = root / "secret.txt"
    secret.write_text(SECRET_TEXT + "\n")
    stolen = root / "checkpoint_outside" / "ckpt"
    models = {
        "selector": selector(root, outside),
        "nested": nested_attrs(root, outside),
        "gradient": gradient(root, outside),
        "asset_precedence": asset_precedence(root, secret),
        "asset_shared_name": asset_shared_name(root, secret),
        "asset_symlink": asset_symlink(root, secret),
        "restore_prefix": restore_prefix(root, stolen),
        "extra_fetch": extra_fetch(root, secret, outside),
    }
    if checkpoints:
        own = models["restore_prefix"].path / "variables" / "variables"
        _write_checkpoints({stolen: ("secret", SECRET_TEXT), own: ("scale", 2.0)})
    return HostileModels(models, secret, outside)


def _write_checkpoints(tensors: dict[Path, tuple[str, object]]) -> None:
    """One V2 checkpoint per prefix, holding one named tensor (only TensorFlow writes
    checkpoints)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    for prefix, (name, value) in tensors.items():
        prefix.parent.mkdir(parents=True, exist_ok=True)
        tf.raw_ops.SaveV2(
            prefix=str(prefix), tensor_names=[name], shape_and_slices=[""], tensors=[value]
        )
