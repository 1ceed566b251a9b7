"""tf.Example features old and new graphs parse, compared for clients of Classify/Regress.

A Classify/Regress client sends tf.Examples; what it must put in them is written only in
the graph's ParseExample op (``example_features``). A feature the new graph requires
breaks every client that does not send it; one it no longer reads is merely ignored; a
default that changed alters answers for examples that leave the feature out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from explorer.compat.rules import BREAKING, KIND_ORDER, NOTABLE, SAFE, Change, ChangeKind
from explorer.model.info import MetaGraphInfo, Shape, SignatureInfo, format_shape

_WHY = {
    "no longer read": "Clients may keep sending it: ParseExample ignores features it does "
    "not read.",
    "added (required)": "Existing examples lack it: ParseExample fails with 'is required but "
    "could not be found'.",
    "added (optional)": "Examples without it get its default.",
    "dtype changed": "ParseExample fails: 'Data types don't match'.",
    "kind changed": "Dense, sparse and ragged features are parsed differently.",
    "reshaped": "Same number of values, reshaped.",
    "shape changed": "Examples must carry another number of values.",
    "now required": "Examples that left it out relied on its default; now they fail.",
    "now optional": "Examples may leave it out.",
    "default changed": "Examples that leave it out get another value.",
}


def feature_changes(
    old: SignatureInfo, new: SignatureInfo, old_mg: MetaGraphInfo, new_mg: MetaGraphInfo
) -> list[Change]:
    """Changes in the tf.Example features a signature's graph parses, breaking ones first.

    Args:
        old: the old signature.
        new: the new signature of the same key.
        old_mg: the MetaGraph holding ``old`` (its graph is walked).
        new_mg: the MetaGraph holding ``new``.

    Returns:
        The changes; empty when neither side parses tf.Examples.

    Raises:
        Nothing.
    """
    # Imported here: example_features needs numpy, the rest of the diff does not.
    from explorer.graph.example_features import expected_features

    before = {f.name: f for f in expected_features(old_mg, old)}
    after = {f.name: f for f in expected_features(new_mg, new)}
    found: list[Change] = []

    def add(
        kind: ChangeKind, name: str, what: str, was: str | None, now: str | None, column: str
    ) -> None:
        found.append(Change(kind, old.key, name, what, was, now, "feature", column, _WHY[what]))

    for name, was in before.items():
        if name in after:
            for kind, what, old_text, new_text, column in _pair(was, after[name]):
                add(kind, name, what, old_text, new_text, column)
        else:
            add(NOTABLE, name, "no longer read", describe_feature(was), None, "")
    for name, now in after.items():
        if name not in before and now.required:
            add(BREAKING, name, "added (required)", None, describe_feature(now), "")
        elif name not in before:
            add(SAFE, name, "added (optional)", None, describe_feature(now), "")
    return sorted(found, key=lambda change: KIND_ORDER[change.kind])


def describe_feature(feature: Any) -> str:
    """``DT_FLOAT (16,) required`` / ``DT_STRING () default 'basic'`` / ``DT_INT64 sparse``."""
    if feature.kind != "dense":
        return f"{feature.dtype} {feature.kind}"
    return f"{feature.dtype} {format_shape(feature.shape)} {requirement(feature)}"


def requirement(feature: Any) -> str:
    """``required``, ``default 40`` or ``default 'basic'``; "" for sparse and ragged."""
    if feature.kind != "dense":
        return ""
    return "required" if feature.required else f"default {_default_text(feature.default)}"


def _pair(was: Any, now: Any) -> list[tuple[ChangeKind, str, str, str, str]]:
    found: list[tuple[ChangeKind, str, str, str, str]] = []
    if was.dtype != now.dtype:
        found.append((BREAKING, "dtype changed", was.dtype, now.dtype, "dtype"))
    if was.kind != now.kind:
        kind: ChangeKind = BREAKING if now.kind == "dense" and now.required else NOTABLE
        found.append((kind, "kind changed", was.kind, now.kind, "kind"))
    elif was.kind == "dense" and was.shape != now.shape:
        same_size = _size(was.shape) is not None and _size(was.shape) == _size(now.shape)
        reshaped: tuple[ChangeKind, str] = (
            (NOTABLE, "reshaped") if same_size else (BREAKING, "shape changed")
        )
        found.append((*reshaped, format_shape(was.shape), format_shape(now.shape), "shape"))
    if was.kind != "dense" or now.kind != "dense":
        return found  # only dense features have defaults
    before, after = _default_text(was.default), _default_text(now.default)
    if not was.required and now.required:
        found.append((BREAKING, "now required", before, "required", "default"))
    elif was.required and not now.required:
        found.append((SAFE, "now optional", "required", after, "default"))
    elif not was.required and was.default != now.default:
        found.append((NOTABLE, "default changed", before, after, "default"))
    return found


def _size(shape: Shape) -> int | None:
    if shape is None or any(d is None for d in shape):
        return None
    size = 1
    for dim in shape:
        size *= int(dim or 0)
    return size


def _default_text(default: Sequence[Any] | None) -> str:
    if default is None:
        return "none"
    values = [_value_text(v) for v in default]
    text = values[0] if len(values) == 1 else "[" + ", ".join(values) + "]"
    return text if len(text) <= 40 else text[:39] + "…"


def _value_text(value: Any) -> str:
    if isinstance(value, bytes):
        return repr(value.decode("utf-8", "replace"))
    if isinstance(value, float):
        return format(value, ".7g")  # float32 defaults: 0.1, not 0.10000000149011612
    return str(value)
