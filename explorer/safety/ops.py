"""The table of op types that reach outside TensorFlow: what each can touch and do.

A SavedModel is a program. Most ops only compute on tensors, but some read or write
files, talk to other machines, print, or call back into the Python that wrote the
model. ``saved_model_cli scan`` checks three of them (ReadFile, WriteFile, PrintV2); this
table is wider. ``explorer.safety.scan`` looks every node up here and then decides which
signatures can reach it. :func:`markdown_table` renders the table for the README's
"Security model" section, so the two never drift apart.

Categories:

* **file system**: reads, writes, lists or memory-maps files the server can reach;
* **asset read**: fills a lookup table from a text file. It is how vocabulary assets
  work, so it is expected when the init op reads one of the model's own assets;
* **checkpoint**: reads or writes checkpoint files. Every SavedModel carries a saver for
  its variables; that machinery is not a finding, the same ops anywhere else are;
* **summary writer**: opens, writes or flushes TensorBoard event files or databases;
* **console**: prints to the server's stdout, stderr or log (PrintV2 can target a file);
* **python callback**: runs Python from the process that saved the model. It cannot run
  anywhere else, and in that process it could do anything: files, sockets, processes;
* **network**: sends tensors to, or runs work on, other machines (RPC, collectives,
  Send/Recv, the tf.data service);
* **debugger**: tfdbg ops that stream tensors to ``file://`` dump folders or ``grpc://``
  servers;
* **process**: changes state shared by the whole server process. No core TensorFlow op
  starts a process; only a python callback could;
* **opaque graph**: runs a graph serialized inside a tensor, which no static scan sees.

A few ops are unsafe only with certain attrs (:data:`CONDITIONS`): DecodeProtoV2 and
EncodeProto when ``descriptor_source`` names a file, FixedUnigramCandidateSampler when it
has a ``vocab_file``, and Copy/CopyHost when tfdbg attached ``debug_ops_spec``.
Ops a model brings from a custom shared library are not in the table: TensorFlow
refuses to load a graph whose ops are not registered in the serving process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Category(StrEnum):
    """What an unsafe op reaches outside TensorFlow."""

    FILE_SYSTEM = "file system"
    ASSET_READ = "asset read"
    CHECKPOINT = "checkpoint"
    SUMMARY_WRITER = "summary writer"
    CONSOLE = "console"
    PYTHON_CALLBACK = "python callback"
    NETWORK = "network"
    DEBUGGER = "debugger"
    PROCESS = "process"
    OPAQUE_GRAPH = "opaque graph"


@dataclass(frozen=True, slots=True)
class UnsafeOp:
    """One row of the table: an op type, its category and what it can do."""

    op: str
    category: Category
    what_it_does: str
    # Words for the attr condition under which the op is unsafe; None: always.
    only_if: str | None = None


_FS = Category.FILE_SYSTEM
_NET = Category.NETWORK
_SUMMARY = Category.SUMMARY_WRITER
_CKPT = Category.CHECKPOINT
_DEBUG = Category.DEBUGGER

_READER = "queue-based reader: opens and reads the files whose names are fed to it"
_READER_READ = "reads records from files through a queue-based reader"
_DATASET_READ = "tf.data source that opens and reads files named by its inputs"
_SNAPSHOT_READ = "reads a saved tf.data snapshot from a path given as input"
_SUMMARY_WRITE = "writes a TensorBoard event through a summary writer"
_RPC = "tf.distribute RPC: calls or serves functions over gRPC"
_COLLECTIVE = "collective op: exchanges tensors with other workers over the network"
_SEND_RECV = "sends or receives tensors to or from another device or machine"
_DATA_SERVICE = "talks to a tf.data service dispatcher or workers over the network"
_TFDBG = "tfdbg: streams tensors to debug URLs (file:// dump folders or grpc:// servers)"

_ROWS: tuple[UnsafeOp, ...] = (
    # --- file system -------------------------------------------------------------------
    UnsafeOp("ReadFile", _FS, "reads the whole contents of any file the server can read"),
    UnsafeOp("WriteFile", _FS, "writes (overwrites) any file the server can write"),
    UnsafeOp("MatchingFiles", _FS, "lists the files matching a glob: discloses the file system"),
    UnsafeOp("ImmutableConst", _FS, "memory-maps the file named by memory_region_name"),
    UnsafeOp("LoadAndRemapMatrix", _FS, "reads a matrix from a checkpoint file given as input"),
    UnsafeOp("GenerateVocabRemapping", _FS, "reads two vocabulary files given as input"),
    UnsafeOp("Skipgram", _FS, "reads a text corpus from the file named by its filename attr"),
    UnsafeOp("RecordInput", _FS, "reads records from the files matching its file_pattern attr"),
    UnsafeOp(
        "FixedUnigramCandidateSampler",
        _FS,
        "reads the vocabulary file named by its vocab_file attr",
        only_if="vocab_file is set",
    ),
    UnsafeOp(
        "DecodeProtoV2",
        _FS,
        "loads a protobuf descriptor set from the file named by descriptor_source",
        only_if="descriptor_source names a file (not local:// or bytes://)",
    ),
    UnsafeOp(
        "EncodeProto",
        _FS,
        "loads a protobuf descriptor set from the file named by descriptor_source",
        only_if="descriptor_source names a file (not local:// or bytes://)",
    ),
    UnsafeOp("DumpTensor", _FS, "writes a tensor to a file in its log_dir_path attr"),
    UnsafeOp("CalibrationStatisticsSaver", _FS, "writes statistics to its output_file_path"),
    *(
        UnsafeOp(name, _FS, _READER)
        for name in (
            "TFRecordReader",
            "TFRecordReaderV2",
            "TextLineReader",
            "TextLineReaderV2",
            "FixedLengthRecordReader",
            "FixedLengthRecordReaderV2",
            "WholeFileReader",
            "WholeFileReaderV2",
            "LMDBReader",
        )
    ),
    *(
        UnsafeOp(name, _FS, _READER_READ)
        for name in ("ReaderRead", "ReaderReadV2", "ReaderReadUpTo", "ReaderReadUpToV2")
    ),
    *(
        UnsafeOp(name, _FS, _DATASET_READ)
        for name in (
            "TextLineDataset",
            "TFRecordDataset",
            "TFRecordDatasetV2",
            "FixedLengthRecordDataset",
            "FixedLengthRecordDatasetV2",
            "CSVDataset",
            "CSVDatasetV2",
            "ExperimentalCSVDataset",
            "LMDBDataset",
            "ExperimentalLMDBDataset",
        )
    ),
    UnsafeOp("MatchingFilesDataset", _FS, "tf.data source that lists files matching a glob"),
    UnsafeOp(
        "ExperimentalMatchingFilesDataset", _FS, "tf.data source that lists files matching a glob"
    ),
    UnsafeOp("SqlDataset", _FS, "opens a SQLite database file and runs a query on it"),
    UnsafeOp("ExperimentalSqlDataset", _FS, "opens a SQLite database file and runs a query"),
    UnsafeOp("SaveDataset", _FS, "writes a whole dataset to files under a path given as input"),
    UnsafeOp("SaveDatasetV2", _FS, "writes a whole dataset to files under a path given as input"),
    UnsafeOp("LoadDataset", _FS, "reads a dataset saved under a path given as input"),
    UnsafeOp("DatasetToTFRecord", _FS, "writes a dataset to a TFRecord file given as input"),
    UnsafeOp("ExperimentalDatasetToTFRecord", _FS, "writes a dataset to a TFRecord file"),
    UnsafeOp("SnapshotDataset", _FS, "reads and writes tf.data snapshot files under a path"),
    UnsafeOp("SnapshotDatasetV2", _FS, "reads and writes tf.data snapshot files under a path"),
    *(
        UnsafeOp(name, _FS, _SNAPSHOT_READ)
        for name in (
            "SnapshotDatasetReader",
            "SnapshotNestedDatasetReader",
            "SnapshotChunkDataset",
            "ListSnapshotChunksDataset",
        )
    ),
    UnsafeOp("CacheDataset", _FS, "caches a dataset in files when its filename input is set"),
    UnsafeOp("CacheDatasetV2", _FS, "caches a dataset in files when its filename input is set"),
    # --- asset read ----------------------------------------------------------------------
    UnsafeOp(
        "InitializeTableFromTextFile",
        Category.ASSET_READ,
        "fills a lookup table from a text file (expected for the model's own vocabulary "
        "asset in the init op)",
    ),
    UnsafeOp(
        "InitializeTableFromTextFileV2",
        Category.ASSET_READ,
        "fills a lookup table from a text file (expected for the model's own vocabulary "
        "asset in the init op)",
    ),
    # --- checkpoint ----------------------------------------------------------------------
    UnsafeOp("Save", _CKPT, "writes tensors to a checkpoint file at a path given as input"),
    UnsafeOp("SaveSlices", _CKPT, "writes tensor slices to a checkpoint file at a given path"),
    UnsafeOp("SaveV2", _CKPT, "writes tensors to checkpoint files at a path given as input"),
    UnsafeOp("Restore", _CKPT, "reads a tensor from checkpoint files at a path given as input"),
    UnsafeOp("RestoreSlice", _CKPT, "reads a tensor slice from checkpoint files at a given path"),
    UnsafeOp("RestoreV2", _CKPT, "reads tensors from checkpoint files at a path given as input"),
    UnsafeOp("DTensorRestoreV2", _CKPT, "reads tensors from checkpoint files at a given path"),
    UnsafeOp(
        "MergeV2Checkpoints", _CKPT, "merges checkpoint files, deleting the inputs and folders"
    ),
    # --- summary writer ------------------------------------------------------------------
    *(
        UnsafeOp(name, _SUMMARY, _SUMMARY_WRITE)
        for name in (
            "WriteSummary",
            "WriteScalarSummary",
            "WriteHistogramSummary",
            "WriteImageSummary",
            "WriteAudioSummary",
            "WriteGraphSummary",
            "WriteRawProtoSummary",
            "ImportEvent",
        )
    ),
    UnsafeOp("SummaryWriter", _SUMMARY, "a summary writer resource (event file or database)"),
    UnsafeOp("CreateSummaryFileWriter", _SUMMARY, "creates an event file in a log folder"),
    UnsafeOp("CreateSummaryDbWriter", _SUMMARY, "opens (creates) a SQLite summary database"),
    UnsafeOp("FlushSummaryWriter", _SUMMARY, "flushes pending events to the writer's file"),
    UnsafeOp("CloseSummaryWriter", _SUMMARY, "flushes and closes the writer's file"),
    UnsafeOp("StatsAggregatorSetSummaryWriter", _SUMMARY, "sends tf.data statistics to a writer"),
    # --- console ---------------------------------------------------------------------------
    UnsafeOp("Print", Category.CONSOLE, "prints tensors to the server's stderr (log)"),
    UnsafeOp(
        "PrintV2",
        Category.CONSOLE,
        "prints to the server's stderr/stdout/log, or appends to a file (file://...)",
    ),
    # --- python callback -----------------------------------------------------------------
    *(
        UnsafeOp(
            name,
            Category.PYTHON_CALLBACK,
            "calls Python registered by the process that saved the model: fails anywhere "
            "else, and in that process can do anything (files, network, processes)",
        )
        for name in ("PyFunc", "PyFuncStateless", "EagerPyFunc")
    ),
    # --- network -------------------------------------------------------------------------
    UnsafeOp("Rpc", _NET, "calls a gRPC method on any address given as input"),
    UnsafeOp("TryRpc", _NET, "calls a gRPC method on any address given as input"),
    *(
        UnsafeOp(name, _NET, _RPC)
        for name in (
            "RpcClient",
            "RpcCall",
            "RpcServer",
            "RpcServerStart",
            "RpcServerRegister",
            "RpcCheckStatus",
            "RpcGetValue",
        )
    ),
    UnsafeOp("RemoteCall", _NET, "runs a function on a device named by an input (any task)"),
    *(
        UnsafeOp(name, _NET, _SEND_RECV)
        for name in ("Send", "Recv", "_Send", "_Recv", "_HostSend", "_HostRecv")
    ),
    *(
        UnsafeOp(name, _NET, _COLLECTIVE)
        for name in (
            "CollectiveReduce",
            "CollectiveReduceV2",
            "CollectiveReduceV3",
            "CollectiveGather",
            "CollectiveGatherV2",
            "CollectiveBcastSend",
            "CollectiveBcastSendV2",
            "CollectiveBcastRecv",
            "CollectiveBcastRecvV2",
            "CollectiveAllToAllV2",
            "CollectiveAllToAllV3",
            "CollectiveReduceScatterV2",
            "CollectivePermute",
            "CollectiveInitializeCommunicator",
            "CollectiveAssignGroupV2",
        )
    ),
    *(
        UnsafeOp(name, _NET, _DATA_SERVICE)
        for name in (
            "DataServiceDataset",
            "DataServiceDatasetV2",
            "DataServiceDatasetV3",
            "DataServiceDatasetV4",
            "RegisterDataset",
            "RegisterDatasetV2",
            "DistributedSave",
        )
    ),
    # --- debugger --------------------------------------------------------------------------
    *(
        UnsafeOp(name, _DEBUG, _TFDBG)
        for name in (
            "DebugIdentity",
            "DebugIdentityV2",
            "DebugIdentityV3",
            "DebugNanCount",
            "DebugNumericSummary",
            "DebugNumericSummaryV2",
        )
    ),
    *(
        UnsafeOp(name, _DEBUG, _TFDBG, only_if="debug_ops_spec is set")
        for name in ("Copy", "CopyHost")
    ),
    UnsafeOp(
        "DatasetFromGraph",
        Category.OPAQUE_GRAPH,
        "builds a dataset from a GraphDef passed as a string: its ops are hidden from the scan",
    ),
    # --- process ---------------------------------------------------------------------------
    UnsafeOp(
        "FileSystemSetConfiguration",
        Category.PROCESS,
        "changes process-wide file-system settings (e.g. cloud storage endpoints)",
    ),
)

#: Op type → its row. Read-only.
UNSAFE_OPS: Mapping[str, UnsafeOp] = MappingProxyType({row.op: row for row in _ROWS})

#: The op types of the table, for a fast first look at every node.
UNSAFE_OP_TYPES = frozenset(UNSAFE_OPS)

#: The ops of the saver every SavedModel carries: restore reads the variables at load,
#: save writes a checkpoint (never run by serving). Not findings inside that machinery.
RESTORE_OPS = frozenset({"Restore", "RestoreSlice", "RestoreV2"})
SAVE_OPS = frozenset({"Save", "SaveSlices", "SaveV2", "MergeV2Checkpoints"})

#: Ops that read a vocabulary asset; expected in the init op when the file is an asset.
ASSET_READ_OPS = frozenset(
    op for op, row in UNSAFE_OPS.items() if row.category is Category.ASSET_READ
)


def unsafe_op(node: Any) -> UnsafeOp | None:
    """The table row for a ``NodeDef`` if it is unsafe as configured, else None.

    Args:
        node: a ``NodeDef`` of the top-level graph or of a library function.

    Returns:
        The row (for PrintV2 writing to a file, a file-system variant of it), or None
        when the op is not in the table or its attrs make it harmless.
    """
    row = UNSAFE_OPS.get(node.op)
    if row is None:
        return None
    condition = CONDITIONS.get(node.op)
    if condition is not None and not condition(node.attr):
        return None
    if node.op == "PrintV2":
        stream = _string_attr(node.attr, "output_stream")
        if stream.startswith("file://"):
            return UnsafeOp(row.op, _FS, f"appends printed tensors to the file {stream[7:]}")
    return row


def markdown_table() -> str:
    """The table as Markdown (op, category, what it can do), for the README."""
    lines = ["| op | category | what it can do |", "|---|---|---|"]
    for row in sorted(_ROWS, key=lambda r: (list(Category).index(r.category), r.op)):
        what = row.what_it_does + (f" (only if {row.only_if})" if row.only_if else "")
        lines.append(f"| `{row.op}` | {row.category} | {what} |")
    return "\n".join(lines) + "\n"


def _string_attr(attrs: Any, name: str) -> str:
    if name not in attrs:
        return ""
    return bytes(attrs[name].s).decode("utf-8", "replace")


def _descriptor_from_file(attrs: Any) -> bool:
    # The attr defaults to "local://" (the protos linked into the server).
    source = _string_attr(attrs, "descriptor_source") or "local://"
    return not source.startswith(("local://", "bytes://"))


def _has_vocab_file(attrs: Any) -> bool:
    return bool(_string_attr(attrs, "vocab_file"))


def _has_debug_ops(attrs: Any) -> bool:
    return "debug_ops_spec" in attrs and len(attrs["debug_ops_spec"].list.s) > 0


#: Op type → predicate on its attrs: the op is unsafe only when it returns True.
CONDITIONS: Mapping[str, Callable[[Any], bool]] = MappingProxyType(
    {
        "DecodeProtoV2": _descriptor_from_file,
        "EncodeProto": _descriptor_from_file,
        "FixedUnigramCandidateSampler": _has_vocab_file,
        "Copy": _has_debug_ops,
        "CopyHost": _has_debug_ops,
    }
)
