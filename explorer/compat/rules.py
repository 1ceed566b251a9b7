"""The rules behind ``compat``: one Change per difference between two signatures, classed.

An input must accept every request the old one accepted, so its shape may only loosen (a
fixed dimension becoming -1, a known rank becoming unknown). An output must stay inside
what the old one promised, so it may only tighten. Keys, dtypes and encodings must stay;
graph tensor names may change freely (clients address aliases). Acceptance by
Classify/Regress/Predict is ``serving_rules``' verdict on each side.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from google.protobuf import text_format

from explorer.constants import PREDICT_METHOD_NAME, MethodKind
from explorer.model.info import Shape, SignatureInfo, TensorInfo
from explorer.serving.rules import check_signature

BREAKING: Final = "breaking"
NOTABLE: Final = "notable"
SAFE: Final = "safe"
KIND_ORDER = {BREAKING: 0, NOTABLE: 1, SAFE: 2}

# What each change does to clients, by (part, what).
_WHY = {
    ("input", "removed"): "Requests that send it are rejected (row format needs exactly the "
    "signature's input keys; gRPC: 'Sent extra').",
    ("output", "removed"): "Clients reading it find nothing.",
    ("input", "dtype changed"): "gRPC clients send TensorProtos of the old dtype, which TF "
    "Serving feeds unconverted; JSON values may no longer convert.",
    ("output", "dtype changed"): "Clients get values of another type.",
    ("any", "encoding changed"): "Dense, sparse and ragged tensors are sent and returned "
    "differently.",
    ("any", "tensor renamed"): "Clients address the alias, never the graph tensor.",
    ("input", "added (required)"): "Existing requests do not send it and it has no default.",
    ("input", "added (has a default)"): "Requests that leave it out get the signature's default.",
    ("output", "added"): "A new output; clients can ignore it.",
    ("output", "added to a single output"): "TF Serving's REST Predict response changes from "
    "bare values to objects keyed by output alias.",
    ("output", "added as the single output, base64"): "REST Predict answers hold this output's "
    'values bare, as before, but its alias ends in "_bytes", so TF Serving now writes them as '
    '{"b64": ...}.',
    ("input", "default removed"): "Requests that leave the input out now fail: no default value.",
    ("input", "default added"): "The input may now be left out.",
    ("input", "default changed"): "Requests that leave the input out get another value.",
}


# What a change means for clients: they break, they keep working, or answers change.
ChangeKind = Literal["breaking", "safe", "notable"]


@dataclass(frozen=True, slots=True)
class Change:
    """One difference between the old and the new model, and what it means for clients."""

    kind: ChangeKind
    signature: str  # signature key; "" for the MetaGraph itself
    # Input/output alias, feature name or API; "" when the change is the signature's own.
    key: str
    what: str  # short: "dtype changed", "removed", "tensor renamed", ...
    old: str | None
    new: str | None
    # "tag_set", "signature", "method_name", "input", "output", "api", "feature" or "model"
    # (the model as a whole: its variables).
    part: str = "signature"
    # The table column that changed ("dtype", "shape", "tensor", "encoding", "default",
    # "kind"); "" when the whole row was added or removed.
    column: str = ""
    why: str = ""  # what it does to clients, in a sentence

    @property
    def text(self) -> str:
        """One line: ``serving_default: input "x" shape changed ((-1, 1) → (-1, 2))``."""
        if self.part == "signature":
            subject = f'signature "{self.signature}"'
        elif self.part == "tag_set":
            subject = f'tag-set "{self.key}"'
        elif self.part == "method_name":
            subject = f"{self.signature}: method_name"
        elif self.part == "api":
            subject = f"{self.signature}: {self.key} API"
        elif self.part == "model":
            subject = f"the new model's {self.key}"
        else:
            subject = f'{self.signature}: {self.part} "{self.key}"'
        if self.old is not None and self.new is not None:
            return f"{subject} {self.what} ({self.old} → {self.new})"
        return f"{subject} {self.what}"


def input_shape_change(old: Shape, new: Shape) -> tuple[ChangeKind, str, str] | None:
    """(kind, what, why) for an input's declared shape; None when it did not change.

    Raises:
        Nothing.
    """
    if old == new:
        return None
    if new is None:
        return SAFE, "shape relaxed", "Unknown rank: any request shape is accepted."
    if old is None:
        return BREAKING, "shape now fixed", "The old input took any rank; requests may not fit."
    if len(old) != len(new):
        return BREAKING, "rank changed", "Requests shaped for the old rank no longer fit."
    pairs = list(zip(old, new, strict=True))
    if any(o is not None and n is not None and o != n for o, n in pairs):
        return BREAKING, "shape changed", "A fixed dimension changed size: old requests do not fit."
    if any(o is None and n is not None for o, n in pairs):
        return BREAKING, "-1 became fixed", "Requests of any other size in that dimension fail."
    return SAFE, "shape relaxed", "A fixed dimension became -1: every old request still fits."


def output_shape_change(old: Shape, new: Shape) -> tuple[ChangeKind, str, str] | None:
    """(kind, what, why) for an output's declared shape; None when it did not change.

    Raises:
        Nothing.
    """
    if old == new:
        return None
    if old is None:
        return SAFE, "shape now known", "The output's rank is now declared."
    if new is None:
        return NOTABLE, "rank no longer known", "Clients cannot rely on the output's shape."
    if len(old) != len(new):
        return BREAKING, "rank changed", "Clients reading the old nesting break."
    pairs = list(zip(old, new, strict=True))
    if any(o is not None and n is not None and o != n for o, n in pairs):
        return BREAKING, "shape changed", "A fixed dimension changed size."
    if any(o is not None and n is None for o, n in pairs):
        return NOTABLE, "dimension no longer fixed", "Clients may rely on the old fixed size."
    return SAFE, "shape narrowed", "A -1 dimension is now fixed: it fits the old promise."


def tensor_changes(old_sig: SignatureInfo, new_sig: SignatureInfo, part: str) -> list[Change]:
    """Changes of the inputs (``part="input"``, with their defaults) or the outputs.

    Raises:
        Nothing.
    """
    inputs = part == "input"
    old_map = {t.key: t for t in (old_sig.inputs if inputs else old_sig.outputs)}
    new_map = {t.key: t for t in (new_sig.inputs if inputs else new_sig.outputs)}
    found: list[Change] = []

    def add(
        kind: ChangeKind, key: str, what: str, old: str | None, new: str | None, column: str
    ) -> None:
        why = _WHY.get((part, what)) or _WHY.get(("any", what), "")
        if what.startswith("added to a single output") or what.startswith("added as the single"):
            what = "added"
        found.append(Change(kind, old_sig.key, key, what, old, new, part, column, why))

    for key, was in old_map.items():
        now = new_map.get(key)
        if now is None:
            add(BREAKING, key, "removed", _describe(was), None, "")
            continue
        if was.encoding != now.encoding:
            add(BREAKING, key, "encoding changed", was.encoding, now.encoding, "encoding")
        if was.dtype != now.dtype:
            add(BREAKING, key, "dtype changed", was.dtype, now.dtype, "dtype")
        judged = (input_shape_change if inputs else output_shape_change)(was.shape, now.shape)
        if judged is not None:
            kind, what, why = judged
            found.append(
                Change(
                    kind, old_sig.key, key, what, was.shape_text, now.shape_text, part, "shape", why
                )
            )
        if was.tensor_names != now.tensor_names:
            add(SAFE, key, "tensor renamed", _names(was), _names(now), "tensor")
    # A REST Predict answer holds a lone output's values bare, several outputs by alias.
    single_predict = len(old_map) == 1 and old_sig.method_name == PREDICT_METHOD_NAME
    for key, now in new_map.items():
        if key in old_map:
            continue
        if inputs:
            optional = key in new_sig.defaults
            what = "added (has a default)" if optional else "added (required)"
            add(SAFE if optional else BREAKING, key, what, None, _describe(now), "")
        elif single_predict and len(new_map) > 1:
            add(BREAKING, key, "added to a single output", None, _describe(now), "")
        elif (
            single_predict and key.endswith("_bytes") and not next(iter(old_map)).endswith("_bytes")
        ):
            add(BREAKING, key, "added as the single output, base64", None, _describe(now), "")
        else:
            add(SAFE, key, "added", None, _describe(now), "")
    for key in sorted(old_map.keys() & new_map.keys()) if inputs else ():
        had, has = key in old_sig.defaults, key in new_sig.defaults
        before, after = _default(old_sig, key), _default(new_sig, key)
        if had and not has:
            add(BREAKING, key, "default removed", before, None, "default")
        elif has and not had:
            add(SAFE, key, "default added", None, after, "default")
        elif had and before != after:
            add(NOTABLE, key, "default changed", before, after, "default")
    return found


def api_changes(old: SignatureInfo, new: SignatureInfo, method_name_check: bool) -> list[Change]:
    """Classify/Regress/Predict acceptance lost or gained, and new request-time failures.

    Raises:
        Nothing.
    """
    found = []
    for method in MethodKind:
        before = check_signature(old, method, method_name_check=method_name_check)
        after = check_signature(new, method, method_name_check=method_name_check)
        api = method.value.capitalize()
        if before.accepted and not after.accepted:
            why = f"TF Serving rejects {api} calls to it: {_one_line(after.reason)}"
            found.append(
                Change(
                    BREAKING,
                    old.key,
                    api,
                    "no longer accepted",
                    "accepted",
                    "rejected",
                    "api",
                    why=why,
                )
            )
        elif after.accepted and not before.accepted:
            why = f"{api} can now call this signature."
            found.append(
                Change(SAFE, old.key, api, "now accepted", "rejected", "accepted", "api", why=why)
            )
        elif before.accepted and not before.request_time_issues:
            # Only where the old signature really worked: issues it had are not news.
            found += [
                Change(
                    BREAKING,
                    old.key,
                    api,
                    # A missing classes/scores output is answered, with "" labels or 0.0 scores.
                    "answers change" if issue.startswith('No "') else "fails at request time",
                    None,
                    issue,
                    "api",
                    why=issue,
                )
                for issue in after.request_time_issues
            ]
    return found


def _one_line(reason: str | None, limit: int = 160) -> str:
    # TF Serving quotes the whole SignatureDef after the sentence: keep the sentence.
    text = " ".join((reason or "").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _describe(tensor: TensorInfo) -> str:
    return f"{tensor.dtype} {tensor.shape_text}"


def _names(tensor: TensorInfo) -> str:
    return ", ".join(tensor.tensor_names) or "-"


def _default(signature: SignatureInfo, key: str) -> str | None:
    if signature.proto is None or key not in signature.proto.defaults:
        return None
    return " ".join(text_format.MessageToString(signature.proto.defaults[key]).split())
