"""What a ``--model_config_file`` deploys: every served version, loaded as TF Serving loads it.

``explorer.serving.model_config`` says which versions TF Serving serves and what it thinks
of the config; here each served version is opened the way TF Serving's loader then opens
it (its ``saved_model.pb``, the MetaGraph tagged exactly ``serve``) and its warmup file
checked (``--enable_model_warmup`` is on by default), so "would TF Serving serve this?"
has one answer per version before deploying. Reading never imports TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from explorer.deploy.warmup_check import WarmupCheck, check_warmup
from explorer.errors import ExplorerError
from explorer.model.info import ModelInfo
from explorer.model.reader import read_model
from explorer.run.target import serving_meta_graph
from explorer.serving.model_config import ConfiguredModel, ModelServerConfigInfo


@dataclass(frozen=True, slots=True)
class ServedVersion:
    """One version TF Serving would load, and whether the load succeeds."""

    model: str  # the config's name for it
    version: int
    path: str
    labels: tuple[str, ...]
    info: ModelInfo | None  # None when it cannot be read
    # Why TF Serving's load of this version fails (its words where it has them), or None.
    load_error: str | None
    warmup: WarmupCheck | None  # None when the model could not be read

    @property
    def loads(self) -> bool:
        return self.load_error is None


def served_versions(
    model: ConfiguredModel, *, method_name_check: bool = False
) -> tuple[ServedVersion, ...]:
    """Every version the config serves for ``model``, each opened and its warmup checked."""
    versions = []
    for folder in model.served:
        labels = model.labels_of(folder.version)
        if not folder.has_saved_model:  # model_config reports it in TF Serving's words
            missing = f"version {folder.version} holds no saved_model.pb"
            versions.append(
                ServedVersion(
                    model.name, folder.version, str(folder.path), labels, None, missing, None
                )
            )
            continue
        try:
            info = named(read_model(folder.path), model.name)
            meta_graph = serving_meta_graph(info, None)
            warmup = check_warmup(meta_graph, info.path, method_name_check=method_name_check)
        except ExplorerError as err:
            versions.append(
                ServedVersion(
                    model.name, folder.version, str(folder.path), labels, None, str(err), None
                )
            )
            continue
        failure = warmup.first_error
        error = f"{failure.code}: {failure.message}" if failure is not None else None
        versions.append(
            ServedVersion(model.name, folder.version, info.path, labels, info, error, warmup)
        )
    return tuple(versions)


def deployment(
    config: ModelServerConfigInfo, *, method_name_check: bool = False
) -> tuple[tuple[ServedVersion, ...], ...]:
    """:func:`served_versions` for every model of the config, in the config's order."""
    return tuple(
        served_versions(model, method_name_check=method_name_check) for model in config.models
    )


def named(info: ModelInfo, name: str) -> ModelInfo:
    """The model as TF Serving serves it: under the config's name, not its folder's."""
    return replace(info, name=name)
