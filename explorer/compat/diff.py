"""Will clients of the old model keep working against the new one? The signature diff.

TF Serving's promise for a model swap: clients address signatures by key and tensors by
alias, never by graph tensor name, so a new SavedModel may rename every tensor. What it
may not do is change what a request must look like or what a response holds. For every
signature of the old MetaGraph this compares method_name, input and output keys, each
TensorInfo's encoding, dtype and shape, signature defaults, which TF Serving APIs accept
it (``serving_rules``), and for signatures fed serialized tf.Examples the features the
graph parses (``example_features``). Each change is classed:

* breaking: an existing request or response reader fails (signature or key removed,
  dtype changed, incompatible shape, an API that no longer accepts the signature, a
  required input or feature added, a single-output Predict signature gaining outputs);
* notable: clients keep working but should look (method_name or a default changed, a
  feature no longer read, an output dimension that is no longer fixed);
* safe: tensor renamed under the same key, new signature, new optional input or output.

The rules are in ``compat_rules`` and ``compat_features``. Metadata only: no TensorFlow,
and numpy only once tf.Example features are compared.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from explorer.compat.features import feature_changes
from explorer.compat.rules import (
    BREAKING,
    KIND_ORDER,
    NOTABLE,
    SAFE,
    Change,
    api_changes,
    tensor_changes,
)
from explorer.constants import DEFAULT_SERVING_SIGNATURE_KEY
from explorer.errors import UnknownTagSetError
from explorer.model.info import MetaGraphInfo, ModelInfo, SignatureInfo
from explorer.run.target import serving_meta_graph

__all__ = ["BREAKING", "COMPATIBLE", "NOTABLE", "SAFE", "Change", "CompatReport", "diff_models"]

COMPATIBLE = "clients keep working"
# Breaking changes the one-line verdict names before "and N more".
_VERDICT_NAMES = 3


@dataclass(frozen=True, slots=True)
class CompatReport:
    """Every change from an old MetaGraph to a new one, and the verdict for existing clients."""

    changes: tuple[Change, ...]
    old_label: str
    new_label: str
    tag_set: str
    # The old model's callable signature keys: every one was compared.
    signatures: tuple[str, ...]
    method_name_check: bool = False
    # The MetaGraphs compared, for side-by-side views (None when the tag-set is missing).
    old: MetaGraphInfo | None = field(default=None, repr=False, compare=False)
    new: MetaGraphInfo | None = field(default=None, repr=False, compare=False)

    @property
    def breaking(self) -> bool:
        return any(c.kind == BREAKING for c in self.changes)

    @property
    def verdict(self) -> str:
        """One line: "clients keep working" or "breaks clients: <the breaking changes>"."""
        broken = [c.text for c in self.changes if c.kind == BREAKING]
        if not broken:
            return COMPATIBLE
        more = len(broken) - _VERDICT_NAMES
        tail = f"; and {more} more" if more > 0 else ""
        return "breaks clients: " + "; ".join(broken[:_VERDICT_NAMES]) + tail

    def of_kind(self, kind: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.kind == kind)

    def for_signature(self, key: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.signature == key)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able: labels, verdict, counts per kind and every change with its text."""
        return {
            "old": self.old_label,
            "new": self.new_label,
            "tag_set": self.tag_set,
            "method_name_check": self.method_name_check,
            "breaking": self.breaking,
            "verdict": self.verdict,
            "counts": {kind: len(self.of_kind(kind)) for kind in (BREAKING, NOTABLE, SAFE)},
            "signatures": list(self.signatures),
            "changes": [asdict(c) | {"text": c.text} for c in self.changes],
        }


def diff_models(
    old: ModelInfo | MetaGraphInfo,
    new: ModelInfo | MetaGraphInfo,
    *,
    tags: str | None = None,
    method_name_check: bool = False,
) -> CompatReport:
    """Compare two SavedModels' signatures as clients of the old one would meet the new one.

    Args:
        old: the model clients use today (a ModelInfo, or the MetaGraph to compare).
        new: the model about to replace it.
        tags: the tag-set TF Serving loads (``--saved_model_tags``); default the old
            model's ``serve`` MetaGraph, and the same tag-set in the new one.
        method_name_check: judge API acceptance as TF Serving started with
            ``--enable_signature_method_name_check`` does.

    Returns:
        Every change, breaking ones first, and the one-line verdict.

    Raises:
        UnknownTagSetError: the old model has no MetaGraph with ``tags`` (a new model
            without the old tag-set is reported as a breaking change instead).
    """
    old_mg = serving_meta_graph(old, tags) if isinstance(old, ModelInfo) else old
    head = (_label(old), _label(new), old_mg.tag_set)
    compared = tuple(s.key for s in old_mg.callable_signatures)
    try:
        new_mg = new.meta_graph(old_mg.tags) if isinstance(new, ModelInfo) else new
    except UnknownTagSetError as err:
        why = f"TF Serving cannot load the new model with these tags. {err}"
        gone = Change(BREAKING, "", old_mg.tag_set, "missing", None, None, "tag_set", why=why)
        return CompatReport((gone,), *head, compared, method_name_check, old_mg, None)
    changes: list[Change] = []
    missing = _missing_variables(new, new_mg)
    if missing is not None:
        why = (
            f"The graph holds variables but {missing} is missing: TF Serving's loader "
            "restores nothing, and every request fails on an uninitialized variable."
        )
        changes.append(Change(BREAKING, "", "variables", "missing", None, None, "model", why=why))
    if set(new_mg.tags) != set(old_mg.tags):
        why = "Start TF Serving with --saved_model_tags naming the new tag-set."
        changes.append(
            Change(
                NOTABLE,
                "",
                old_mg.tag_set,
                "changed",
                old_mg.tag_set,
                new_mg.tag_set,
                "tag_set",
                why=why,
            )
        )
    new_signatures = {s.key: s for s in new_mg.callable_signatures}
    for sig in old_mg.callable_signatures:
        now = new_signatures.get(sig.key)
        if now is None:
            changes.append(Change(BREAKING, sig.key, "", "removed", None, None, why=_gone(sig)))
        else:
            changes += _signature_changes(sig, now, old_mg, new_mg, method_name_check)
    why = "A new signature; no client uses it yet."
    changes += [
        Change(SAFE, key, "", "added", None, None, why=why)
        for key in new_signatures
        if key not in compared
    ]
    changes.sort(key=lambda c: KIND_ORDER[c.kind])
    return CompatReport(tuple(changes), *head, compared, method_name_check, old_mg, new_mg)


_VARIABLE_OPS = frozenset({"VarHandleOp", "VariableV2", "Variable"})


def _missing_variables(model: ModelInfo | MetaGraphInfo, meta_graph: MetaGraphInfo) -> Path | None:
    """The variables index a model with variables lacks, or None."""
    folder = getattr(model, "path", None) or getattr(meta_graph, "model_dir", None)
    if not folder or not any(n.op in _VARIABLE_OPS for n in meta_graph.proto.graph_def.node):
        return None
    index = Path(folder) / "variables" / "variables.index"
    return None if index.is_file() else index


def _signature_changes(
    old: SignatureInfo,
    new: SignatureInfo,
    old_mg: MetaGraphInfo,
    new_mg: MetaGraphInfo,
    method_name_check: bool,
) -> list[Change]:
    changes = []
    if old.method_name != new.method_name:
        why = (
            "TF Serving ignores method_name unless started with "
            "--enable_signature_method_name_check; then it decides which API may call."
        )
        changes.append(
            Change(
                NOTABLE,
                old.key,
                "",
                "changed",
                old.method_name or '""',
                new.method_name or '""',
                "method_name",
                "method_name",
                why,
            )
        )
    changes += tensor_changes(old, new, "input")
    changes += tensor_changes(old, new, "output")
    changes += api_changes(old, new, method_name_check)
    changes += feature_changes(old, new, old_mg, new_mg)
    return changes


def _gone(signature: SignatureInfo) -> str:
    if signature.key == DEFAULT_SERVING_SIGNATURE_KEY:
        return (
            "Requests naming it fail, and so do requests without a signature_name "
            "(TF Serving uses serving_default)."
        )
    return "Requests naming it fail: TF Serving has no signature of that key."


def _label(target: ModelInfo | MetaGraphInfo) -> str:
    if isinstance(target, ModelInfo):
        version = f" version {target.version}" if target.version is not None else ""
        return f"{target.name}{version} ({target.path})"
    return target.model_dir or f"MetaGraph {target.tag_set}"
