"""The only module that imports TensorFlow, and only inside the worker process: one
MetaGraph loaded into its own Graph and Session, run with C++ semantics.

Each model is loaded with the TF1 session loader (``tf.compat.v1.saved_model.loader.load``,
the Python face of the C++ ``LoadSavedModel`` TF Serving uses). Runs go straight to the C
session API: feeds keep their own dtype and shape and errors keep the runtime's text, as in
TF Serving, where Python's ``Session.run`` would cast feeds, reject shapes statically and
prefix "Graph execution error:".

Each set of feeds and fetches runs through a *callable* (``Session::MakeCallable``), made on
first use or ahead of it by :meth:`Session.prepare`: making one builds the run's executors
(pruning, Grappler's optimisations, the kernels) — the seconds a first ``Session::Run``
spends on a large model — and runs nothing, so a model can be warmed before its first call
without side effects. Running a callable is ``Session::RunCallable``, the same executors
and error texts as ``Session::Run``. A traced run (``RunOptions.FULL_TRACE``) goes through
``Session::Run`` itself.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from explorer.errors import ExecutionError, ModelLoadError

TFModule = Any  # tensorflow, imported on first use
_CALLABLES_KEPT = 32  # prepared runs per model (each holds its executors)

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
        self._tensors: dict[str, Any] = {}
        self._outputs_lock = threading.Lock()
        # (sorted feed names, fetch names) → the callable running them; least recent first.
        self._callables: OrderedDict[tuple[tuple[str, ...], tuple[str, ...]], Any] = OrderedDict()
        self._callables_lock = threading.Lock()
        self._making: dict[tuple[tuple[str, ...], tuple[str, ...]], threading.Lock] = {}

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
        unique = list(dict.fromkeys(fetches))
        names = {name: self._tensor_name(name) for name in feeds}
        if len(set(names.values())) != len(names) or not all(
            self._fits(name, value) for name, value in feeds.items()
        ):
            # Session::Run checks feed dtypes first ("Expects arg[0] to be float but bool
            # is provided", TF Serving's text); a callable leaves it to the _Arg kernel,
            # in other words. So does a tensor fed under two spellings ("x", "x:0").
            values, _ = self._run(feeds, fetches, trace=False)
            return values
        order = sorted(names, key=names.__getitem__)
        # One fetch per tensor, however many spellings ask for it ("y", "y:0").
        canonical = {name: self._tensor_name(name) for name in unique}
        distinct = tuple(dict.fromkeys(canonical.values()))
        run = self._callable(tuple(names[n] for n in order), distinct)
        with self._errors():
            values = run(*(feeds[n] for n in order))
        by_tensor = dict(zip(distinct, values, strict=True))
        return [by_tensor[canonical[name]] for name in fetches]

    def prepare(self, feeds: Sequence[str], fetches: Sequence[str]) -> bool:
        """Build the run of these feeds and fetches (its executors) without running it.

        Returns:
            True if it was built now, False if it was ready (built by a call or earlier).

        Raises:
            ExecutionError: TensorFlow cannot build it (a call would fail the same way).
        """
        feed_names = tuple(sorted({self._tensor_name(n) for n in feeds}))
        key = (feed_names, tuple(dict.fromkeys(self._tensor_name(n) for n in fetches)))
        with self._callables_lock:
            ready = key in self._callables
        self._callable(*key)
        return not ready

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
        with self._callables_lock:
            self._callables.clear()  # each releases its handle as it goes
        self.session.close()

    def _callable(self, feeds: tuple[str, ...], fetches: tuple[str, ...]) -> Any:
        key = (feeds, fetches)
        with self._callables_lock:
            made = self._callables.get(key)
            if made is not None:
                self._callables.move_to_end(key)
                return made
            gate = self._making.setdefault(key, threading.Lock())
        with gate:  # made once, however many callers ask at once
            with self._callables_lock:
                made = self._callables.get(key)
            if made is None:
                options = _config().CallableOptions(feed=feeds, fetch=fetches)
                with self._errors():
                    made = self.session._make_callable_from_options(options)
                with self._callables_lock:
                    self._callables[key] = made
                    while len(self._callables) > _CALLABLES_KEPT:
                        self._callables.popitem(last=False)
            with self._callables_lock:
                self._making.pop(key, None)
        return made

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """TensorFlow's errors as ExecutionErrors: its message and status code."""
        tf = self._tf
        try:
            yield
        except tf.errors.OpError as exc:
            raise ExecutionError(exc.message, code=code_name(exc.error_code)) from exc
        except UnicodeDecodeError as exc:
            # The runtime's message quotes a fed string that is not UTF-8 (e.g. "Could not
            # parse example input, value: '\x80'") and TF's wrapper fails to decode it,
            # losing the status code; such messages are about the request's own values.
            message = bytes(exc.object).decode("utf-8", errors="replace")
            raise ExecutionError(message, code="INVALID_ARGUMENT") from exc

    def _fits(self, name: str, value: Any) -> bool:
        """Whether ``value`` has the dtype of the graph tensor it feeds."""
        tf = self._tf
        expected = self._output_tensor(name).dtype.base_dtype
        if not isinstance(value, np.ndarray):
            return False
        if value.dtype.kind in "OSU":
            return bool(expected == tf.string)
        try:
            return bool(tf.as_dtype(value.dtype) == expected)
        except TypeError:  # a numpy dtype TensorFlow has no name for
            return False

    def _tensor_name(self, name: str) -> str:
        """The graph's name of the tensor ``name`` (``op`` or ``op:index``) stands for."""
        self._output(name)  # raises TensorFlow's text for a name the graph lacks
        op_name, _, index = name.partition(":")
        return f"{op_name}:{index or 0}"

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
            self._tensors[name] = tensor
        return output

    def _output_tensor(self, name: str) -> Any:
        """The graph's tensor object for ``name`` (looked up like :meth:`_output`)."""
        self._output(name)
        with self._outputs_lock:
            return self._tensors[name]


def tensorflow() -> TFModule:
    """TensorFlow, imported once; its C++ start-up lines go to the worker's stderr."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # Here, not at the top: importing TensorFlow costs ~6 s, paid once per worker.
    import tensorflow as tf

    return tf


def _config() -> Any:
    """TensorFlow's ``config_pb2`` (CallableOptions); loaded with TensorFlow already."""
    return importlib.import_module("tensorflow.core.protobuf.config_pb2")


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
