"""The only module that imports TensorFlow: load a MetaGraph into a Session and run it.

Each (model folder, tag-set) is loaded once per process with the TF1 session loader
(``tf.compat.v1.saved_model.loader.load``, the Python face of the C++ ``LoadSavedModel``
TF Serving uses) into its own Graph and Session, and stays loaded; a failed request never
touches it. Runs go straight to the C session API (``Session._call_tf_sessionrun``): feeds
keep their own dtype and shape and errors keep the runtime's text, as in TF Serving, where
Python's ``Session.run`` would cast feeds, reject shapes statically and prefix
"Graph execution error:". ``explorer.safety.scan.require_safe`` is checked before a model is
loaded and before every run.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from explorer.errors import ExecutionError, InputError, ModelLoadError
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.safety.scan import require_safe

TFModule = Any  # tensorflow, imported lazily

# absl's canonical status codes, by number (tf.errors.OpError.error_code).
_CODE_NAMES = (
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
)

# What Python's Session.run adds to a runtime error: a prefix, and a traceback of where the
# failing node was defined (here always inside TensorFlow's own loader).
_PYTHON_NOISE = re.compile(
    r"Graph execution error:\s*|Detected at node .*? defined at \(most recent call last\):\n"
    r"(?:.*\n)*?Node: '[^']*'\n"
)

_MAX_STRING_RANK = 32

_lock = threading.Lock()
_models: dict[tuple[str, tuple[str, ...]], LoadedModel] = {}


@dataclass(frozen=True, slots=True)
class RunOutput:
    """Fetched values (in fetch order) and what the call cost."""

    values: tuple[Any, ...]
    # Time spent loading the model for this call (0.0 when it was already loaded).
    load_ms: float
    run_ms: float


class LoadedModel:
    """One MetaGraph loaded into its own Graph and Session (thread-safe to run)."""

    def __init__(self, model_dir: str, tags: tuple[str, ...], tf: TFModule) -> None:
        self.model_dir = model_dir
        self.tags = tags
        self._tf = tf
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.session = tf.compat.v1.Session(graph=self.graph)
            try:
                _quiet_load(tf, self.session, tags, model_dir)
            except Exception:
                self.session.close()
                raise
        self.session._extend_graph()  # the C API run below does not do it itself
        self._outputs: dict[str, Any] = {}
        self._outputs_lock = threading.Lock()

    def has_tensor(self, name: str) -> bool:
        """Whether ``name`` (``op:index``, or ``op`` for index 0) is a tensor of the graph."""
        try:
            self._output(name)
        except ExecutionError:
            return False
        return True

    def run(self, feeds: Mapping[str, Any], fetches: Sequence[str]) -> list[Any]:
        """Feed arrays by tensor name and fetch tensors by name, with C++ semantics.

        Raises:
            ExecutionError: the runtime refused the feeds or failed; its message and code.
        """
        tf = self._tf
        for name, value in feeds.items():
            _check_feed(name, value)
        feed_map = {self._output(name): value for name, value in feeds.items()}
        unique = list(dict.fromkeys(fetches))
        outputs = [self._output(name) for name in unique]
        try:
            values = self.session._call_tf_sessionrun(None, feed_map, outputs, [], None)
        except tf.errors.OpError as exc:
            raise ExecutionError(exc.message, code=_code_name(exc.error_code)) from exc
        except UnicodeDecodeError as exc:
            # The runtime's message quotes a fed string that is not UTF-8 (e.g. "Could not
            # parse example input, value: '\x80'") and TF's wrapper fails to decode it,
            # losing the status code; such messages are about the request's own values.
            message = bytes(exc.object).decode("utf-8", errors="replace")
            raise ExecutionError(message, code="INVALID_ARGUMENT") from exc
        by_name = dict(zip(unique, values, strict=True))
        return [by_name[name] for name in fetches]

    def close(self) -> None:
        self.session.close()

    def _output(self, name: str) -> Any:
        with self._outputs_lock:
            if name in self._outputs:
                return self._outputs[name]
        op_name, _, index = name.partition(":")
        try:
            tensor = self.graph.get_tensor_by_name(f"{op_name}:{index or 0}")
        except (KeyError, ValueError, TypeError) as exc:  # TypeError: a name not UTF-8
            # The text C++ Session::Run gives for a feed/fetch name the graph lacks.
            raise ExecutionError(
                f"Tensor {op_name}:{index or 0}, specified in either feed_devices or "
                "fetch_devices was not found in the Graph"
            ) from exc
        output = tensor._as_tf_output()
        with self._outputs_lock:
            self._outputs[name] = output
        return output


def run(
    model_dir: str,
    meta_graph: MetaGraphInfo,
    feeds: Mapping[str, Any],
    fetches: Sequence[str],
    *,
    allow_unsafe: bool = False,
) -> RunOutput:
    """Run one step of a model's graph: feed tensors by name, fetch tensors by name.

    Args:
        model_dir: the SavedModel folder (holding saved_model.pb and variables/).
        meta_graph: the MetaGraph to load (its tags pick it); scanned for unsafe ops.
        feeds: graph tensor name → numpy array, fed as is (no cast, no shape check).
        fetches: graph tensor names to return, in order.
        allow_unsafe: run even if the model reaches unsafe ops.

    Returns:
        The fetched arrays and the load/run times.

    Raises:
        UnsafeModelError: the model reaches unsafe ops and ``allow_unsafe`` is False.
        ExecutionError: loading or running failed; TensorFlow's message and status code.
    """
    model, load_ms = load(model_dir, meta_graph, allow_unsafe=allow_unsafe)
    start = time.perf_counter()
    values = model.run(feeds, fetches)
    return RunOutput(tuple(values), load_ms, (time.perf_counter() - start) * 1000)


def load(
    model_dir: str, meta_graph: MetaGraphInfo, *, allow_unsafe: bool = False
) -> tuple[LoadedModel, float]:
    """The loaded model for (folder, tags), loading it on first use.

    Args:
        model_dir: the SavedModel folder.
        meta_graph: the MetaGraph to load (its tags pick it); scanned for unsafe ops.
        allow_unsafe: load and run even if the model reaches unsafe ops.

    Returns:
        The model and the milliseconds spent loading it now (0.0 if it was cached).

    Raises:
        UnsafeModelError: unsafe ops and no opt-in (checked on every call).
        ModelLoadError: TensorFlow could not load the SavedModel.
    """
    # Every call: the scan is cached per proto, and an opt-in covers one call only.
    require_safe(meta_graph, allow_unsafe=allow_unsafe)
    key = (os.path.abspath(model_dir), tuple(meta_graph.tags))
    with _lock:
        model = _models.get(key)
        if model is not None:
            return model, 0.0
        start = time.perf_counter()
        tf = _tensorflow()
        try:
            model = LoadedModel(key[0], key[1], tf)
        except tf.errors.OpError as exc:
            raise ModelLoadError(_load_failure(key, exc.message)) from exc
        except (OSError, RuntimeError, ValueError) as exc:
            raise ModelLoadError(_load_failure(key, str(exc))) from exc
        _models[key] = model
        return model, (time.perf_counter() - start) * 1000


def signature_defaults(signature: SignatureInfo) -> dict[str, Any]:
    """The signature's ``defaults`` TensorProtos as arrays (TF Serving feeds them for
    inputs a Predict request leaves out). Imports TensorFlow to decode them.

    Args:
        signature: a signature read with its proto.

    Returns:
        Input alias → array.

    Raises:
        ExecutionError: ``tensor parsing error: <alias>`` for an unreadable TensorProto.
    """
    if signature.proto is None or not signature.defaults:
        return {}
    tf = _tensorflow()
    arrays = {}
    for alias, proto in signature.proto.defaults.items():
        try:
            tf_proto = tf.make_tensor_proto(0)
            tf_proto.ParseFromString(proto.SerializeToString())
            arrays[alias] = tf.make_ndarray(tf_proto)
        except Exception as exc:  # TensorFlow raises assorted types for a bad proto
            raise ExecutionError(f"tensor parsing error: {alias}") from exc
    return arrays


def loaded_models() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(folder, tags) of every model loaded in this process.

    Returns:
        The keys of the loaded models.

    Raises:
        Nothing.
    """
    with _lock:
        return tuple(_models)


def unload(model_dir: str | None = None) -> None:
    """Close and forget loaded models (all, or those of one folder).

    Args:
        model_dir: only this folder's models; None for all.

    Raises:
        Nothing.
    """
    with _lock:
        for key in list(_models):
            if model_dir is None or key[0] == os.path.abspath(model_dir):
                _models.pop(key).close()


def _tensorflow() -> TFModule:
    # Keep TensorFlow's C++ start-up chatter off the CLI's stderr unless asked for.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Here, not at the top: importing TensorFlow costs ~6 s, paid only to run a model.
    import tensorflow as tf

    return tf


def _quiet_load(tf: TFModule, session: Any, tags: tuple[str, ...], model_dir: str) -> None:
    # The TF1 loader logs a deprecation warning on first use; it is the loader we want.
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        tf.compat.v1.saved_model.loader.load(session, list(tags), model_dir)
    finally:
        logger.setLevel(level)


def _check_feed(name: str, value: Any) -> None:
    # TensorFlow's Python binding converts string arrays with a fixed 32-entry shape
    # buffer: a string feed of rank 33 or more crashes the whole process (segfault).
    ndim = getattr(value, "ndim", 0)
    kind = getattr(getattr(value, "dtype", None), "kind", "")
    if ndim > _MAX_STRING_RANK and kind in ("O", "S", "U"):
        raise InputError(
            f"Feed {name}: a string tensor of rank {ndim}; at most {_MAX_STRING_RANK} "
            "dimensions can be fed here (TensorFlow's Python binding crashes past that).",
            key=name,
        )


def _load_failure(key: tuple[str, tuple[str, ...]], message: str) -> str:
    # TensorFlow's words, without Python's additions, and what usually causes them.
    model_dir, tags = key
    text = _PYTHON_NOISE.sub("", message).strip().rstrip(".")
    variables = os.path.join(model_dir, "variables")
    hint = ""
    if not os.path.isdir(variables):
        hint = (
            " The folder has no variables/ sub-folder: copy the whole SavedModel folder, "
            "not only saved_model.pb."
        )
    elif not os.path.isfile(os.path.join(variables, "variables.index")) or not any(
        name.startswith("variables.data-") for name in os.listdir(variables)
    ):
        hint = " Its variables/ folder is incomplete (variables.index or a data shard is missing)."
    elif os.path.join(model_dir, "assets") in text:
        hint = " An asset file the graph reads is missing from assets/."
    return f"Cannot load {model_dir} (tags {','.join(tags)}): {text}.{hint}"


def _code_name(code: int) -> str:
    return _CODE_NAMES[code] if 0 <= code < len(_CODE_NAMES) else "UNKNOWN"
