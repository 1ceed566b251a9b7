"""Write the bundled warmup files: ``<version>/assets.extra/tf_serving_warmup_requests`` for
every sample version whose ``SampleSpec.warmup`` lists requests (portable_linear's).

Each REST request is converted to the gRPC request TF Serving's REST handler would build
and written as a ``PredictionLog`` record (``explorer.deploy.warmup_write``), so TF Serving
replays them when it loads the version (``--enable_model_warmup``, on by default). No
TensorFlow is imported: the signatures are read from ``saved_model.pb``.

``build.py`` runs this after building; ``python sample_models/make_warmup.py`` runs it alone.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

from explorer.deploy.warmup_file import warmup_path
from explorer.deploy.warmup_write import logs_bytes, prediction_log, save_warmup
from explorer.model.reader import read_model

HERE = Path(__file__).resolve().parent
if __package__:
    from .build import SAMPLES
else:  # run as a script: this folder is sys.path[0]
    from build import SAMPLES


def write_warmup(out_dir: Path = HERE, names: Iterable[str] = ()) -> list[Path]:
    """Write the warmup file of every declared sample version (or of ``names`` only)."""
    wanted = set(names)
    written = []
    for spec in SAMPLES:
        if wanted and spec.name not in wanted:
            continue
        for version, requests in spec.warmup.items():
            model = read_model(out_dir / spec.name, version=version)
            meta_graph = model.meta_graph()
            logs = [prediction_log(m, body, meta_graph, model.name) for m, body in requests]
            written.append(save_warmup(warmup_path(model.path), logs_bytes(logs)))
    return written


if __name__ == "__main__":
    for path in write_warmup(names=sys.argv[1:]):
        print(f"warmup: {path}")
