"""The keys a string tensor is looked up in: a model's vocabulary, read from its graph and
assets without TensorFlow.

A string feature usually meets a hash table: ``LookupTableFindV2(table, keys, default)``.
What the table holds is written where it is filled: ``InitializeTableFromTextFileV2``
reads a vocabulary file (a SavedModel asset; TF1 names it by a Const or placeholder listed
in ``asset_file_def``, TF2 by a variable assigned from such a placeholder), and
``InitializeTableV2`` / ``LookupTableImportV2`` take a key list (a ``Const`` in the graph:
``tf.lookup.KeyValueTensorInitializer``, Keras' ``StringLookup``). The table handle
reaches the lookup through function arguments; :class:`explorer.graph.dataflow.Dataflow`
follows it back to the table's node and forward from there to its initializer.

Only values the graph or the model's own ``assets/`` folder holds are read, within
:data:`MAX_VOCABULARY_BYTES`; nothing runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from explorer.graph.dataflow import SHAPE_OPS, Dataflow, Port, Use, data_inputs
from explorer.graph.tensor_values import const_values
from explorer.model.asset_text import asset_lines
from explorer.model.info import MetaGraphInfo

_LOOKUP_OPS = ("LookupTableFindV2", "LookupTableFind")
_TABLE_OPS = (
    "HashTableV2",
    "HashTable",
    "MutableHashTableV2",
    "MutableHashTable",
    "MutableHashTableOfTensorsV2",
    "MutableDenseHashTableV2",
)
_TEXT_INIT_OPS = ("InitializeTableFromTextFileV2", "InitializeTableFromTextFile")
_KEY_INIT_OPS = ("InitializeTableV2", "InitializeTable", "LookupTableImportV2", "LookupTableImport")
# TextFileIndex.WHOLE_LINE: the key is the whole line.
_WHOLE_LINE = -2
# A vocabulary file past this size is read only this far (its first lines are offered).
MAX_VOCABULARY_BYTES = 4 << 20
# Values kept for a choice list; ``Vocabulary.size`` still counts them all.
MAX_VALUES = 5_000


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The keys a table knows: any other value is out of vocabulary for it."""

    values: tuple[str, ...]
    # Every key the table holds (``values`` keeps the first MAX_VALUES).
    size: int
    # Where they come from, for people: 'the asset "plan_vocab.txt"', 'a key list in the
    # graph (StringLookup)'.
    source: str

    def knows(self, value: str) -> bool | None:
        """Whether ``value`` is a key; None when only part of a long vocabulary was read."""
        if value in self.values:
            return True
        return False if self.size <= len(self.values) else None


def lookup_vocabulary(flow: Dataflow, meta_graph: MetaGraphInfo, start: Port) -> Vocabulary | None:
    """The vocabulary of the first table that looks up ``start``'s values.

    Args:
        flow: the MetaGraph's dataflow index.
        meta_graph: the MetaGraph (its ``asset_file_def`` and ``model_dir`` locate files).
        start: a string tensor, e.g. a parsed feature's values.

    Returns:
        The table's keys, or None when no lookup of a readable table is reached through
        slicing and reshaping ops.

    Raises:
        Nothing: a graph or file this cannot read gives None.
    """
    for use in flow.consumers(start, through=_reshaping):
        if use.node.op in _LOOKUP_OPS and use.input_index == 1:
            inputs = data_inputs(use.node)
            vocabulary = _table_keys(flow, meta_graph, use.scope, inputs[0])
            if vocabulary is not None:
                if "string_lookup" in use.node.name.lower() and vocabulary.source == _KEY_LIST:
                    source = f"{_KEY_LIST} (StringLookup)"
                    return Vocabulary(vocabulary.values, vocabulary.size, source)
                return vocabulary
    return None


_KEY_LIST = "a key list in the graph"


def _reshaping(use: Use) -> bool:
    return bool(use.node.op in SHAPE_OPS and use.input_index == 0)


def _table_keys(
    flow: Dataflow, meta_graph: MetaGraphInfo, scope: str, handle: str
) -> Vocabulary | None:
    for table_scope, table in flow.origins(scope, handle):
        if table.op not in _TABLE_OPS:
            continue
        for use in flow.consumers(Port(table_scope, table.name), through=_passes_handle):
            if use.input_index != 0:
                continue
            inputs = data_inputs(use.node)
            if use.node.op in _TEXT_INIT_OPS and len(inputs) > 1:
                found = _text_file_keys(flow, meta_graph, use, inputs[1])
            elif use.node.op in _KEY_INIT_OPS and len(inputs) > 1:
                found = _key_list(flow, use.scope, inputs[1])
            else:
                continue
            if found is not None:
                return found
    return None


def _passes_handle(use: Use) -> bool:
    return bool(use.node.op == "Identity")


def _key_list(flow: Dataflow, scope: str, ref: str) -> Vocabulary | None:
    for _, node in flow.origins(scope, ref):
        values = const_values(node) if node.op == "Const" else None
        if values:
            texts = [_text(v) for v in values]
            return Vocabulary(tuple(texts[:MAX_VALUES]), len(texts), _KEY_LIST)
    return None


def _text_file_keys(
    flow: Dataflow, meta_graph: MetaGraphInfo, use: Use, ref: str
) -> Vocabulary | None:
    attr = use.node.attr
    key_index = int(attr["key_index"].i) if "key_index" in attr else _WHOLE_LINE
    limit = int(attr["vocab_size"].i) if "vocab_size" in attr else -1
    delimiter = attr["delimiter"].s.decode("utf-8", "replace") if "delimiter" in attr else "\t"
    for origin_scope, node in flow.origins(use.scope, ref):
        filename = _asset_filename(meta_graph, origin_scope, node)
        if filename is None:
            continue
        lines = asset_lines(meta_graph, filename, max_bytes=MAX_VOCABULARY_BYTES)
        if lines is None:
            continue
        complete, text_lines = lines
        if limit >= 0:
            text_lines = text_lines[:limit]
        if key_index == _WHOLE_LINE:
            keys = text_lines
        elif key_index >= 0:
            columns = [line.split(delimiter or None) for line in text_lines]
            keys = [c[key_index] for c in columns if len(c) > key_index]
        else:  # LINE_NUMBER keys are numbers, not words
            return None
        size = len(keys) if complete else max(len(keys), limit)
        return Vocabulary(tuple(keys[:MAX_VALUES]), size, f'the asset "{filename}"')
    return None


def _asset_filename(meta_graph: MetaGraphInfo, scope: str, node: Any) -> str | None:
    # The asset_file_def entry whose tensor is this node's output (a placeholder the loader
    # feeds, or a TF1 Const holding the file's path).
    if scope == "":
        for asset in meta_graph.assets:
            if asset.tensor_name and asset.tensor_name.split(":")[0] == node.name:
                return asset.filename
    if node.op == "Const":
        values = const_values(node)
        if values and isinstance(values[0], bytes):
            name = Path(values[0].decode("utf-8", "replace")).name
            if any(a.filename == name for a in meta_graph.assets):
                return name
    return None


def _text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
