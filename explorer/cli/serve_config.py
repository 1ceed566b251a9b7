"""``serve --model-config FILE``: serve what TF Serving would serve with that config.

Every model of the config under its name, only the versions its version policy picks,
with its version labels; refused, with TF Serving's first error, when TF Serving would not
start (``explorer.serving.model_config``) or a served version would not load (its
SavedModel, its MetaGraph tagged ``serve`` or its warmup file: ``explorer.deploy``).
"""

from __future__ import annotations

import argparse

from explorer.deploy.deployment import deployment
from explorer.errors import UsageError
from explorer.serving.model_config import read_model_config
from explorer.standin.rest_server import ModelRegistry


def config_registry(args: argparse.Namespace) -> tuple[ModelRegistry, list[str]]:
    """``serve --model-config FILE``: the models and versions TF Serving would serve, with
    their labels, and a line per model saying so.

    Raises:
        UsageError: TF Serving would not start with this config, or a served version would
            not load (its first error, in its words).
        ModelConfigError: the file cannot be read or parsed.
    """
    config = read_model_config(
        args.model_config, allow_labels_for_unavailable=args.allow_unavailable_labels
    )
    if not config.models:
        raise UsageError(f"{config.path} lists no model_config_list models: nothing to serve.")
    if config.errors:
        first = config.errors[0]
        raise UsageError(
            f"TF Serving would not start with {config.path}: {first.code or 'error'}: "
            f"{first.message} ({first.fix}) `python -m explorer show --model-config` lists "
            "every problem."
        )
    lines = []
    for model, versions in zip(config.models, deployment(config), strict=True):
        for version in versions:
            if not version.loads:  # TF Serving: "N model(s) did not become available"
                raise UsageError(
                    f"TF Serving would not serve {model.name} version {version.version}: "
                    f"{version.load_error}"
                )
        labels = ", ".join(f"{lb.label}={lb.version}" for lb in model.labels)
        lines.append(
            f"{model.name}: versions {', '.join(map(str, model.served_versions))} of "
            f"{model.directory} ({model.policy.text})" + (f", labels {labels}" if labels else "")
        )
    registry = ModelRegistry(
        {m.name: str(m.directory) for m in config.models},
        labels={m.name: {lb.label: lb.version for lb in m.labels} for m in config.models},
        allow_unsafe=args.allow_unsafe,
        served={m.name: m.served_versions for m in config.models},
    )
    return registry, lines
