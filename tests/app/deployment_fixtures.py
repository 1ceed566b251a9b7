"""A TF Serving deployment to open in the app: two models with labels, in a temporary folder.

``linear`` is the bundled portable_linear (versions 1, 2 and 3, each with its warmup file)
served with ``specific {1 2}`` and labels stable → 1, canary → 2; ``flowers`` is a base
folder whose version 7 is a copy of the flowers_tf1 sample, served with the default
policy, labelled ``current``. Nothing special-cased: the app reads them as any config.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.conftest import SAMPLES


def two_model_config(root: Path, *, labels_on_unserved: bool = False) -> Path:
    """Write the deployment under ``root`` and return its config file."""
    flowers = root / "flowers"
    if not flowers.exists():
        shutil.copytree(
            SAMPLES / "flowers_tf1", flowers / "7", ignore=shutil.ignore_patterns("*.jsonl")
        )
    canary = 3 if labels_on_unserved else 2
    config = root / "models.config"
    config.write_text(
        f"""model_config_list {{
  config {{
    name: 'linear'
    base_path: '{SAMPLES / "portable_linear"}'
    model_platform: 'tensorflow'
    model_version_policy {{ specific {{ versions: 1 versions: 2 }} }}
    version_labels {{ key: 'stable' value: 1 }}
    version_labels {{ key: 'canary' value: {canary} }}
  }}
  config {{
    name: 'flowers'
    base_path: '{flowers}'
    model_platform: 'tensorflow'
    version_labels {{ key: 'current' value: 7 }}
  }}
}}
""",
        encoding="utf-8",
    )
    return config
