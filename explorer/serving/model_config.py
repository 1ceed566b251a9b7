"""A TF Serving ``--model_config_file`` opened: every model, its versions, labels and problems.

The file is a text-format ``ModelServerConfig`` whose ``model_config_list`` names each model
(``name``, ``base_path``, ``model_platform``, ``model_version_policy``, ``version_labels``).
:func:`read_model_config` reads it with TF Serving's own schema (no TensorFlow) and checks it
in the order TF Serving's ``ServerCore::ReloadConfig`` does at start-up
(``server_core.cc``): model names, absolute base paths, labels
(``UpdateModelVersionLabelMap``), platforms, then the file system
(``file_system_storage_path_source.cc``, see :mod:`explorer.serving.version_policy`).
TF Serving stops at its first error; here every problem is listed, each in TF Serving's
words, in that order, with what it does to the server and how to fix it.

Labels: TF Serving assigns them before it has loaded anything, so at start-up every label
fails ("... which is not currently available for inference") unless the server runs with
``--allow_version_labels_for_unavailable_models`` (then only requests through a label on a
version it does not serve fail). Pushed later to a running server (a config reload), a
label on a served version is fine. ``allow_labels_for_unavailable`` chooses the first two.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal

from google.protobuf import text_format

from explorer.errors import ModelConfigError
from explorer.model import protos
from explorer.serving.version_policy import (
    PolicyKind,
    VersionFolder,
    VersionPolicy,
    aspired_versions,
)

TENSORFLOW_PLATFORM = "tensorflow"  # the one platform TF Serving's standard build has
Severity = Literal["error", "warning"]
# REST addresses a label as /v1/models/NAME/labels/LABEL, LABEL a word (serving_config.md).
_REST_LABEL = re.compile(r"[a-zA-Z0-9_]+")
_URI = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://")
_ALLOW_FLAG = "--allow_version_labels_for_unavailable_models"


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing TF Serving would refuse or warn about, in its words."""

    severity: Severity  # error: the server does not start (or never serves the model)
    message: str  # TF Serving's Status message or LOG line
    model: str | None  # the model it is about; None for the whole config
    fix: str  # what to change
    code: str | None = None  # the Status code TF Serving returns, None for a log line


@dataclass(frozen=True, slots=True)
class VersionLabel:
    """A ``version_labels`` entry and what it points to."""

    label: str
    version: int
    served: bool  # the version is one TF Serving serves under the policy
    rest_addressable: bool  # usable in /v1/models/NAME/labels/LABEL


@dataclass(frozen=True, slots=True)
class ConfiguredModel:
    """One ``ModelConfig`` entry, with what TF Serving finds on disk for it."""

    name: str
    base_path: str  # as written in the file
    # The folder looked at (None for a URI or a path that is not there).
    directory: Path | None
    platform: str
    policy: VersionPolicy
    on_disk: tuple[VersionFolder, ...]
    served: tuple[VersionFolder, ...]
    labels: tuple[VersionLabel, ...]
    problems: tuple[ConfigProblem, ...]

    @property
    def served_versions(self) -> tuple[int, ...]:
        return tuple(sorted({f.version for f in self.served}))

    def folder(self, version: int) -> VersionFolder | None:
        """The folder TF Serving loads ``version`` from (a served one first)."""
        for folder in (*self.served, *self.on_disk):
            if folder.version == version:
                return folder
        return None

    def labels_of(self, version: int) -> tuple[str, ...]:
        return tuple(label.label for label in self.labels if label.version == version)


@dataclass(frozen=True, slots=True)
class ModelServerConfigInfo:
    """A whole ``--model_config_file``."""

    path: str
    models: tuple[ConfiguredModel, ...]
    # Every problem, in the order TF Serving meets them (config-wide ones among them).
    problems: tuple[ConfigProblem, ...]
    allow_labels_for_unavailable: bool

    @property
    def errors(self) -> tuple[ConfigProblem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def starts(self) -> bool:
        """Would TF Serving start and serve every model? (No error-level problem.)"""
        return not self.errors

    def model(self, name: str) -> ConfiguredModel:
        """The (first) model of that name.

        Raises:
            ModelConfigError: no model of that name in the config.
        """
        for model in self.models:
            if model.name == name:
                return model
        names = ", ".join(m.name for m in self.models) or "(none)"
        raise ModelConfigError(f'No model "{name}" in {self.path}. Models: {names}.')


def parse_model_config(text: str, *, source: str = "model config") -> Any:
    """The ``ModelServerConfig`` message of a text-format file.

    Raises:
        ModelConfigError: TF Serving's ``Invalid protobuf file`` (with the parser's reason).
    """
    config = protos.serving_message_class("tensorflow.serving.ModelServerConfig")()
    try:
        text_format.Parse(text, config, descriptor_pool=config.DESCRIPTOR.file.pool)
    except text_format.ParseError as exc:
        raise ModelConfigError(
            f"Invalid protobuf file: '{source}' (line {exc}). TF Serving reads "
            "--model_config_file as a text-format ModelServerConfig, e.g. model_config_list "
            "{ config { name: 'my_model' base_path: '/models/my_model' model_platform: "
            "'tensorflow' } }."
        ) from exc
    return config


def read_model_config(
    path: str | os.PathLike[str],
    *,
    allow_labels_for_unavailable: bool = False,
    may_open: Callable[[Path], bool] | None = None,
) -> ModelServerConfigInfo:
    """Open a ``--model_config_file``: every model, its versions and labels, every problem.

    Args:
        path: the text-format ModelServerConfig.
        allow_labels_for_unavailable: as TF Serving's ``--allow_version_labels_for_
            unavailable_models`` (default off, as in TF Serving).
        may_open: whether a base path may be looked at (the app's allowed roots); a base
            path it refuses is not touched at all, not even to see whether it exists.

    Returns:
        The models in file order and the problems in the order TF Serving meets them.

    Raises:
        ModelConfigError: the file cannot be read, or is not a text ModelServerConfig.
    """
    file = Path(path).expanduser()
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ModelConfigError(f"Cannot read the model config {file}: {reason}") from exc
    config = parse_model_config(text, source=str(file))
    return model_config_info(config, str(file), allow_labels_for_unavailable, may_open)


def model_config_info(
    config: Any,
    path: str,
    allow_labels_for_unavailable: bool = False,
    may_open: Callable[[Path], bool] | None = None,
) -> ModelServerConfigInfo:
    """:func:`read_model_config` on an already parsed ModelServerConfig message."""
    which = config.WhichOneof("config")
    if which != "model_config_list":
        problem = ConfigProblem(
            "warning" if which is None else "error",
            "Taking no action for empty config."
            if which is None
            else "Missing custom_model_config_loader in ServerCore Options",
            None,
            "List the models under model_config_list { config { ... } }."
            if which is None
            else "tensorflow_model_server loads model_config_list only; custom_model_config "
            "needs a custom build.",
            None if which is None else "INVALID_ARGUMENT",
        )
        return ModelServerConfigInfo(path, (), (problem,), allow_labels_for_unavailable)
    entries = list(config.model_config_list.config)
    relative_to = Path(path).parent
    opened = [_configured(e, relative_to, allow_labels_for_unavailable, may_open) for e in entries]
    # TF Serving's order: names and paths, then every label, then platforms, then disks.
    ordered = _list_problems(entries)
    for stage in range(3):
        ordered += [p for _, stages in opened for p in stages[stage]]
    models = tuple(model for model, _ in opened)
    return ModelServerConfigInfo(path, models, tuple(ordered), allow_labels_for_unavailable)


# --- the checks, each in TF Serving's words ---------------------------------------------


def _list_problems(entries: list[Any]) -> list[ConfigProblem]:
    """``ValidateModelConfigList``: unique names, absolute base paths."""
    problems = []
    seen: set[str] = set()
    for entry in entries:
        if entry.name in seen:
            problems.append(
                ConfigProblem(
                    "error",
                    f"Illegal to list model {entry.name} multiple times in config list",
                    entry.name,
                    "Give every config entry its own name (one entry per model).",
                    "INVALID_ARGUMENT",
                )
            )
        seen.add(entry.name)
    for entry in entries:
        if _is_relative(entry.base_path):
            problems.append(
                ConfigProblem(
                    "error",
                    f"Expected model {entry.name} to have an absolute path or URI; got "
                    f"base_path()={entry.base_path}",
                    entry.name,
                    "Write base_path as an absolute path (/models/NAME) or a URI; here it is "
                    "looked up beside the config file.",
                    "INVALID_ARGUMENT",
                )
            )
    return problems


def _is_relative(base_path: str) -> bool:
    # UriIsRelativePath: no scheme, no host and not absolute.
    return not _URI.match(base_path) and not PurePosixPath(base_path).is_absolute()


def _label_problems(
    entry: Any, served: set[int] | None, allow_unavailable: bool
) -> tuple[list[ConfigProblem], tuple[VersionLabel, ...]]:
    """``UpdateModelVersionLabelMap``: a label must point at an AVAILABLE version; and
    REST's word rule. ``served`` None: the versions cannot be looked at (a URI)."""
    problems, labels = [], []
    for label in sorted(entry.version_labels):
        version = int(entry.version_labels[label])
        is_served = served is not None and version in served
        rest = bool(_REST_LABEL.fullmatch(label))
        labels.append(VersionLabel(label, version, is_served, rest))
        if not rest:
            problems.append(
                ConfigProblem(
                    "warning",
                    f'Label "{label}" cannot be used over REST: /v1/models/{entry.name}/labels/'
                    "LABEL takes word characters only ([a-zA-Z0-9_]+); gRPC's version_label "
                    "can use it.",
                    entry.name,
                    "Rename the label with letters, digits and underscores only.",
                )
            )
        message = (
            f"Request to assign label to version {version} of model {entry.name}, which is "
            "not currently available for inference"
        )
        if served is not None and not is_served and not allow_unavailable:
            fix = (
                f"Serve version {version} (see model_version_policy) or point the label at a "
                "served version."
            )
            problems.append(ConfigProblem("error", message, entry.name, fix, "FAILED_PRECONDITION"))
        elif served is not None and not is_served:
            problems.append(
                ConfigProblem(
                    "warning",
                    f"Servable not found for request: Specific({entry.name}, {version})",
                    entry.name,
                    f'Requests with version_label "{label}" fail (TF Serving accepts the label '
                    f"with {_ALLOW_FLAG} but never serves version {version}): serve it or move "
                    "the label.",
                    "NOT_FOUND",
                )
            )
        elif not allow_unavailable:  # served, or not known: refused at start-up all the same
            problems.append(
                ConfigProblem(
                    "error",
                    message,
                    entry.name,
                    f"At start-up nothing is loaded yet, so TF Serving refuses every label: start "
                    f"it with {_ALLOW_FLAG}, or add the labels by reloading the config once "
                    f"version {version} is AVAILABLE.",
                    "FAILED_PRECONDITION",
                )
            )
    return problems, tuple(labels)


def _platform_problems(entry: Any) -> tuple[str, list[ConfigProblem]]:
    """``GetPlatform`` and ``CreateStoragePathRoutes``."""
    name = entry.name
    if entry.model_type != 0:  # MODEL_TYPE_UNSPECIFIED
        deprecated = ConfigProblem(
            "warning",
            "Deprecated ModelServerConfig::model_type field used. Prefer "
            "ModelServerConfig::model_platform.",
            name,
            "Replace model_type with model_platform: 'tensorflow'.",
        )
        if entry.model_platform:
            return entry.model_platform, [
                deprecated,
                _error(
                    "Illegal setting both ModelServerConfig::model_type (deprecated) and "
                    f"ModelServerConfig::model_platform, model name is {name}",
                    name,
                    "Keep model_platform only.",
                ),
            ]
        if entry.model_type != 1:  # TENSORFLOW
            return "", [
                deprecated,
                _error(
                    f"ModelServerConfig::model_type choice {entry.model_type} not supported.",
                    name,
                    "Use model_platform: 'tensorflow'.",
                ),
            ]
        return TENSORFLOW_PLATFORM, [deprecated]
    if not entry.model_platform:
        return "", [
            _error(
                "Illegal setting neither ModelServerConfig::model_type (deprecated) nor "
                f"ModelServerConfig::model_platform, model name is {name}",
                name,
                "Add model_platform: 'tensorflow' to the entry.",
            )
        ]
    if entry.model_platform != TENSORFLOW_PLATFORM:
        return entry.model_platform, [
            _error(
                f"Model {name} requests unsupported platform {entry.model_platform}",
                name,
                "tensorflow_model_server serves model_platform 'tensorflow' (SavedModels).",
            )
        ]
    return TENSORFLOW_PLATFORM, []


def _error(message: str, model: str, fix: str) -> ConfigProblem:
    return ConfigProblem("error", message, model, fix, "INVALID_ARGUMENT")


def _policy(entry: Any) -> VersionPolicy:
    policy = entry.model_version_policy
    choice: PolicyKind | None = policy.WhichOneof("policy_choice")
    if choice == "specific":
        return VersionPolicy("specific", versions=tuple(int(v) for v in policy.specific.versions))
    if choice == "all":
        return VersionPolicy("all")
    return VersionPolicy("latest", num_versions=int(policy.latest.num_versions) or 1)


_Stages = tuple[list[ConfigProblem], list[ConfigProblem], list[ConfigProblem]]


def _configured(
    entry: Any,
    relative_to: Path,
    allow_unavailable: bool,
    may_open: Callable[[Path], bool] | None = None,
) -> tuple[ConfiguredModel, _Stages]:
    """One entry opened; its problems as (labels, platform, file system)."""
    name, base_path = entry.name, entry.base_path
    platform, platform_problems = _platform_problems(entry)
    policy = _policy(entry)
    directory: Path | None = None
    on_disk: tuple[VersionFolder, ...] = ()
    served: tuple[VersionFolder, ...] = ()
    disk: list[ConfigProblem] = []
    looked_at = True  # False: the base path may not be opened here
    if _URI.match(base_path):
        disk.append(
            ConfigProblem(
                "warning",
                f"{base_path} is a URI: Signature Explorer looks at local folders only.",
                name,
                "Copy the model to a local folder to explore it.",
            )
        )
    else:
        candidate = Path(base_path) if not _is_relative(base_path) else relative_to / base_path
        if may_open is not None and not may_open(candidate):
            looked_at = False
            disk.append(
                ConfigProblem(
                    "warning",
                    f"{base_path} is outside the folders Signature Explorer may open here "
                    "(EXPLORER_ALLOWED_ROOTS): it was not looked at.",
                    name,
                    "Ask the app's operator to allow the folder, or explore it from the CLI.",
                )
            )
        elif not os.path.lexists(candidate):  # FileExists (a dangling link is "there" too)
            disk.append(
                ConfigProblem(
                    "error",
                    f"Could not find base path {base_path} for servable {name} with error "
                    f"NOT_FOUND: {base_path} not found",
                    name,
                    "Point base_path at the folder holding the numeric version folders. TF "
                    "Serving logs this at every file-system poll and serves none of the "
                    "config's models until the path is there.",
                    "INVALID_ARGUMENT",
                )
            )
        elif not candidate.is_dir():
            disk.append(
                ConfigProblem(
                    "error",
                    f"No versions of servable {name} found under base path {base_path}. Did "
                    "you forget to name your leaf directory as a number (eg. '/1/')?",
                    name,
                    "base_path is a file: point it at the folder holding the version folders.",
                )
            )
        else:
            directory = candidate
            aspired = aspired_versions(name, candidate, policy)
            on_disk, served = aspired.on_disk, aspired.served
            for note in aspired.notes:
                # Serving nothing keeps TF Serving waiting for the model at start-up forever.
                severity: Severity = "warning" if served else "error"
                disk.append(ConfigProblem(severity, note.message, name, _policy_fix(policy)))
            disk += _unloadable(name, served)
    looked = None if _URI.match(base_path) or not looked_at else {f.version for f in served}
    label_problems, labels = _label_problems(entry, looked, allow_unavailable)
    model = ConfiguredModel(
        name=name,
        base_path=base_path,
        directory=directory,
        platform=platform,
        policy=policy,
        on_disk=on_disk,
        served=served,
        labels=labels,
        problems=tuple(label_problems + platform_problems + disk),
    )
    return model, (label_problems, platform_problems, disk)


def _policy_fix(policy: VersionPolicy) -> str:
    if policy.kind == "specific":
        return "List versions that exist as folders under base_path in model_version_policy."
    return "Put each SavedModel in a numeric version folder under base_path (base/1/...)."


def _unloadable(name: str, served: tuple[VersionFolder, ...]) -> list[ConfigProblem]:
    """Served versions TF Serving's SavedModel loader cannot open."""
    return [
        ConfigProblem(
            "error",
            "Could not find SavedModel .pb or .pbtxt at supplied export directory path: "
            f"{folder.path}. Check that the directory exists and that you have the right "
            "permissions for accessing it.",
            name,
            f"Version {folder.version} is served but holds no SavedModel: put saved_model.pb "
            "there, or remove the folder.",
            "NOT_FOUND",
        )
        for folder in served
        if not folder.has_saved_model
    ]
