"""The only module that imports TensorFlow, and only inside the worker process: one
MetaGraph loaded into its own Graph and Session, run with C++ semantics.

Each model is loaded with the TF1 session loader (``tf.compat.v1.saved_model.loader.load``,
the Python face of the C++ ``LoadSavedModel`` TF Serving uses). Runs go straight to the C
session API (``Session._call_tf_sessionrun``): feeds keep their own dtype and shape and
errors keep the runtime's text, as in TF Serving, where Python's ``Session.run`` would cast
feeds, reject shapes statically and prefix "Graph execution error:".
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from explorer.errors import ExecutionError, ModelLoadError

TFModule = Any  # tensorflow, imported on first use

# absl's canonical status codes, by number (tf.errors.OpError.error_code).
CODE_NAMES = (
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


class Session:
    """One MetaGraph loaded into its own Graph and Session (thread-safe to run).

    Raises:
        ModelLoadError: TensorFlow could not load the SavedModel (its words, and a hint).
    """

    def __init__(self, model_dir: str, tags: tuple[str, ...]) -> None:
        tf = tensorflow()
        self._tf = tf
        self.graph = tf.Graph()
        with self.graph.as_default():
            self.session = tf.compat.v1.Session(graph=self.graph)
            try:
                _quiet_load(tf, self.session, tags, model_dir)
            except tf.errors.OpError as exc:
                self.session.close()
                raise ModelLoadError(load_failure(model_dir, tags, exc.message)) from exc
            except (OSError, RuntimeError, ValueError) as exc:
                self.session.close()
                raise ModelLoadError(load_failure(model_dir, tags, str(exc))) from exc
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
        values, _ = self._run(feeds, fetches, trace=False)
        return values

    def run_traced(
        self, feeds: Mapping[str, Any], fetches: Sequence[str]
    ) -> tuple[list[Any], bytes]:
        """:meth:`run` with ``RunOptions.FULL_TRACE``: also the serialized ``RunMetadata``
        holding each kernel's step stats.

        Raises:
            ExecutionError: as :meth:`run`.
        """
        return self._run(feeds, fetches, trace=True)

    def _run(
        self, feeds: Mapping[str, Any], fetches: Sequence[str], *, trace: bool
    ) -> tuple[list[Any], bytes]:
        tf = self._tf
        feed_map = {self._output(name): value for name, value in feeds.items()}
        unique = list(dict.fromkeys(fetches))
        outputs = [self._output(name) for name in unique]
        c_api = _c_api()
        options = metadata = None
        if trace:
            run_options = tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE)
            options = c_api.TF_NewBufferFromString(run_options.SerializeToString())
            metadata = c_api.TF_NewBuffer()
        try:
            values = self.session._call_tf_sessionrun(options, feed_map, outputs, [], metadata)
            traced = bytes(c_api.TF_GetBuffer(metadata)) if metadata is not None else b""
        except tf.errors.OpError as exc:
            raise ExecutionError(exc.message, code=code_name(exc.error_code)) from exc
        except UnicodeDecodeError as exc:
            # The runtime's message quotes a fed string that is not UTF-8 (e.g. "Could not
            # parse example input, value: '\x80'") and TF's wrapper fails to decode it,
            # losing the status code; such messages are about the request's own values.
            message = bytes(exc.object).decode("utf-8", errors="replace")
            raise ExecutionError(message, code="INVALID_ARGUMENT") from exc
        finally:
            for buffer in (options, metadata):
                if buffer is not None:
                    c_api.TF_DeleteBuffer(buffer)
        by_name = dict(zip(unique, values, strict=True))
        return [by_name[name] for name in fetches], traced

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


def tensorflow() -> TFModule:
    """TensorFlow, imported once; its C++ start-up lines go to the worker's stderr."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Here, not at the top: importing TensorFlow costs ~6 s, paid once per worker.
    import tensorflow as tf

    return tf


def _c_api() -> Any:
    """TensorFlow's C session API (its buffers carry RunOptions and RunMetadata)."""
    return importlib.import_module("tensorflow.python.client.pywrap_tf_session")


def op_defs(names: Sequence[str]) -> dict[str, bytes]:
    """Serialized OpDefs from TensorFlow's op registry, for the names it knows."""
    tensorflow()
    op_def_registry = importlib.import_module("tensorflow.python.framework.op_def_registry")
    found = {}
    for name in names:
        op_def = op_def_registry.get(name)
        if op_def is not None:
            found[name] = op_def.SerializeToString()
    return found


def load_failure(model_dir: str, tags: Sequence[str], message: str) -> str:
    """TensorFlow's words for a load that failed, without Python's additions, and what
    usually causes them."""
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


def code_name(code: int) -> str:
    """absl's status code name for its number."""
    return CODE_NAMES[code] if 0 <= code < len(CODE_NAMES) else "UNKNOWN"


def _quiet_load(tf: TFModule, session: Any, tags: tuple[str, ...], model_dir: str) -> None:
    # The TF1 loader logs a deprecation warning on first use; it is the loader we want.
    logger = tf.get_logger()
    level = logger.level
    logger.setLevel("ERROR")
    try:
        tf.compat.v1.saved_model.loader.load(session, list(tags), model_dir)
    finally:
        logger.setLevel(level)
