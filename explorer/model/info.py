"""Typed, TensorFlow-free view of a SavedModel: ModelInfo → MetaGraphInfo → SignatureInfo.

These frozen dataclasses are what the app, a notebook and the CLI all draw from. Each
MetaGraphInfo keeps its parsed ``MetaGraphDef`` (``proto``) for the graph builder, the
unsafe-op scan and the runner; nothing else needs protobuf.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TYPE_CHECKING, Literal

from explorer.constants import INIT_OP_SIGNATURE_KEY, SERVE_TAG
from explorer.errors import UnknownSignatureError, UnknownTagSetError
from explorer.model.dtypes import numpy_name

if TYPE_CHECKING:
    from explorer.model.proto_types import MetaGraphDef, SignatureDef

# A shape: None means unknown rank; a None dim means -1 (unknown size).
Shape = tuple[int | None, ...] | None


# How a TensorInfo names its tensor(s): one name, a COO triple, or composite components.
TensorEncoding = Literal["name", "coo_sparse", "composite_tensor"]


@dataclass(frozen=True, slots=True)
class TensorInfo:
    """One input or output of a SignatureDef (a ``meta_graph_pb2.TensorInfo``)."""

    key: str
    # "name" (a dense tensor), "coo_sparse" or "composite_tensor".
    encoding: TensorEncoding
    # Graph tensor name for dense tensors, e.g. "serving_default_x:0"; None otherwise.
    name: str | None
    dtype: str
    shape: Shape
    # coo_sparse: values, indices and dense_shape tensor names.
    sparse_tensors: tuple[str, str, str] | None = None
    # composite_tensor: its type spec in words and its component tensor names.
    composite_spec: str | None = None
    component_names: tuple[str, ...] = ()

    @property
    def numpy_dtype(self) -> str:
        return numpy_name(self.dtype)

    @property
    def shape_text(self) -> str:
        return format_shape(self.shape)

    @property
    def tensor_names(self) -> tuple[str, ...]:
        """Every graph tensor this TensorInfo stands for."""
        if self.name:
            return (self.name,)
        if self.sparse_tensors:
            return self.sparse_tensors
        return self.component_names


@dataclass(frozen=True, slots=True)
class SignatureInfo:
    """One SignatureDef: its key, method_name, TensorInfos and default inputs."""

    key: str
    method_name: str
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    # Input keys that have a default TensorProto (TF Serving feeds it when left out).
    defaults: tuple[str, ...] = ()
    # The parsed ``meta_graph_pb2.SignatureDef``, for TF Serving's DebugString messages.
    proto: SignatureDef | None = field(default=None, repr=False, compare=False, hash=False)
    # The MetaGraphDef it was read from: TF Serving feeds and fetches by tensor name, so
    # the rules judge the graph's own tensors (``explorer.serving.graph_tensors``).
    graph: MetaGraphDef | None = field(default=None, repr=False, compare=False, hash=False)

    @property
    def is_init_op(self) -> bool:
        """``__saved_model_init_op`` runs the model's initializers; it is not callable."""
        return self.key == INIT_OP_SIGNATURE_KEY

    def input(self, key: str) -> TensorInfo | None:
        return next((t for t in self.inputs if t.key == key), None)

    def output(self, key: str) -> TensorInfo | None:
        return next((t for t in self.outputs if t.key == key), None)


@dataclass(frozen=True, slots=True)
class AssetInfo:
    """An asset file the MetaGraph refers to (e.g. a vocabulary)."""

    filename: str
    tensor_name: str
    size_bytes: int | None


@dataclass(frozen=True, slots=True)
class MetaGraphInfo:
    """One MetaGraph (tag-set) of a SavedModel."""

    tags: tuple[str, ...]
    tensorflow_version: str
    tensorflow_git_version: str
    signatures: tuple[SignatureInfo, ...]
    node_count: int
    function_count: int
    function_node_count: int
    assets: tuple[AssetInfo, ...]
    proto: MetaGraphDef = field(repr=False, compare=False, hash=False)
    # The SavedModel folder it was read from: what the runner loads to call it.
    model_dir: str = ""

    @property
    def tag_set(self) -> str:
        return ",".join(self.tags)

    @property
    def op_histogram(self) -> tuple[tuple[str, int], ...]:
        """(op type, count) over the top-level graph, most frequent first.

        Counted when asked, not when the model is read: a look at a graph never needs it,
        and a 200k-op graph takes 50 ms to count.
        """
        histogram = Counter(map(attrgetter("op"), self.proto.graph_def.node))
        return tuple(sorted(histogram.items(), key=lambda kv: (-kv[1], kv[0])))

    @property
    def callable_signatures(self) -> tuple[SignatureInfo, ...]:
        return tuple(s for s in self.signatures if not s.is_init_op)

    def signature(self, key: str) -> SignatureInfo:
        for sig in self.signatures:
            if sig.key == key:
                return sig
        raise UnknownSignatureError(key, [s.key for s in self.signatures])


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A SavedModel on disk and every MetaGraph in it."""

    path: str
    # TF Serving's model name: the model folder's name, or the base folder's when versioned.
    name: str
    # The version folder's number as TF Serving prints it ("00000124" → 124); None if unversioned.
    version: int | None
    # All numeric versions beside this one in the base folder (empty if unversioned).
    available_versions: tuple[int, ...]
    meta_graphs: tuple[MetaGraphInfo, ...]
    saved_model_schema_version: int
    variables_size_bytes: int
    file_format: str  # "saved_model.pb" or "saved_model.pbtxt"

    def meta_graph(self, tags: str | tuple[str, ...] | None = None) -> MetaGraphInfo:
        """The MetaGraph with exactly these tags (comma-separated or a tuple; spaces around
        a tag are ignored); default: the one tagged exactly ``serve`` (what TF Serving
        loads), else the first tagged ``serve`` among others, else the first.

        Raises:
            UnknownTagSetError: no MetaGraph has that tag-set.
        """
        if tags is None:
            serving = [mg for mg in self.meta_graphs if SERVE_TAG in mg.tags]
            exact = [mg for mg in serving if set(mg.tags) == {SERVE_TAG}]
            chosen = exact or serving or list(self.meta_graphs)
            if chosen:
                return chosen[0]
            raise UnknownTagSetError([SERVE_TAG], [])
        wanted = {t.strip() for t in (tags.split(",") if isinstance(tags, str) else tags)}
        wanted.discard("")
        for mg in self.meta_graphs:
            if set(mg.tags) == wanted:
                return mg
        raise UnknownTagSetError(wanted, [mg.tags for mg in self.meta_graphs])


def format_shape(shape: Shape) -> str:
    """``None`` → "unknown rank"; ``(None, 3)`` → "(-1, 3)"; ``()`` → "() scalar"."""
    if shape is None:
        return "unknown rank"
    if not shape:
        return "() scalar"
    dims = ", ".join("-1" if d is None else str(d) for d in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def format_size(n: int | None) -> str:
    """Bytes in words: ``2048`` → "2.0 KB"; None → "missing"."""
    if n is None:
        return "missing"
    size = float(n)
    for unit in ("B", "KB", "MB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"
