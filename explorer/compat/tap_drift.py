"""Where two exports start to compute differently: one op tapped in both, on one request.

Two versions of a model may answer a request slightly differently (a retrained layer, a
changed preprocessing, another TensorFlow). Tapping the same op — by name, or the op that
computes the same signature output — in both, on the same request, says by how much each
intermediate value moved; tapping ops further up the graph finds where the drift starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from explorer.constants import MethodKind
from explorer.errors import TapError
from explorer.run import calls
from explorer.run.result import CallResult
from explorer.run.tap_values import TapValue
from explorer.run.taps import output_op
from explorer.run.target import ModelTarget, resolve_target


@dataclass(frozen=True, slots=True)
class TapDrift:
    """One tapped place in both models, and how far apart its values are."""

    old: TapValue
    new: TapValue

    @property
    def comparable(self) -> bool:
        """Both ran, with the same dtype and shape."""
        return (
            self.old.value is not None
            and self.new.value is not None
            and self.old.value.shape == self.new.value.shape
            and self.old.value.dtype == self.new.value.dtype
        )

    @property
    def identical(self) -> bool:
        old, new = self.old.value, self.new.value
        return (
            self.comparable
            and old is not None
            and new is not None
            and bool(np.array_equal(old, new))
        )

    def differences(self) -> dict[str, float] | None:
        """Max and mean absolute difference and the largest relative one; None when the
        values cannot be compared number by number (a shape, dtype or run differs, or
        they are strings)."""
        if not self.comparable or self.old.value is None or self.new.value is None:
            return None
        if self.old.value.dtype.kind not in "biufc":
            return None
        old = self.old.value.astype(np.float64)
        new = self.new.value.astype(np.float64)
        delta = np.abs(new - old)
        if delta.size == 0:
            return {"max_abs": 0.0, "mean_abs": 0.0, "max_rel": 0.0}
        scale = np.maximum(np.abs(old), np.finfo(np.float64).tiny)
        return {
            "max_abs": float(np.nanmax(delta)),
            "mean_abs": float(np.nanmean(delta)),
            "max_rel": float(np.nanmax(delta / scale)),
        }

    def describe(self) -> str:
        """One line a person reads."""
        where = self.old.site.id
        if self.new.site.id != where:
            where = f"{where} → {self.new.site.id}"
        if not self.comparable:
            return f"{where}: {_shape_words(self.old)} before, {_shape_words(self.new)} now"
        if self.identical:
            return f"{where}: identical"
        numbers = self.differences()
        if numbers is None:
            return f"{where}: values differ"
        return (
            f"{where}: max |Δ| {numbers['max_abs']:.3g}, mean |Δ| {numbers['mean_abs']:.3g}, "
            f"max relative {numbers['max_rel']:.3g}"
        )


@dataclass(frozen=True, slots=True)
class DriftReport:
    """The two calls and the drift of every tapped place."""

    old: CallResult
    new: CallResult
    drifts: tuple[TapDrift, ...]


def tap_drift(
    old: ModelTarget,
    new: ModelTarget,
    method: MethodKind | str,
    request: Any,
    *,
    taps: tuple[str, ...] = (),
    outputs: tuple[str, ...] = (),
    signature: str | None = None,
    **options: Any,
) -> DriftReport:
    """Run ``request`` on both models with the same taps and compare them place by place.

    Args:
        old: the model (or version) to compare from.
        new: the model to compare with.
        method: ``predict``, ``classify`` or ``regress``.
        request: the REST body both get.
        taps: op names or ids tapped in both (as ``taps=`` of the calls).
        outputs: signature output keys: the op computing each is tapped in each model.
        signature: the signature key (default: the request's, else serving_default).
        **options: passed to both calls (``allow_unsafe``, ``kernels``, ``tags`` ...).

    Raises:
        TapError: a tap neither model can resolve, or a place only one model has.
        ExplorerError: either call failed as TF Serving would fail it.
    """
    verb = MethodKind(method)
    call = {
        MethodKind.PREDICT: calls.predict,
        MethodKind.CLASSIFY: calls.classify,
        MethodKind.REGRESS: calls.regress,
    }[verb]
    results = []
    for target in (old, new):
        wanted = list(taps)
        if outputs:
            meta_graph, _ = resolve_target(target, options.get("tags"))
            key = signature or _signature_name(request) or "serving_default"
            sig = meta_graph.signature(key)
            wanted.extend(output_op(meta_graph, sig, o) for o in outputs)
        results.append(call(target, request, signature=signature, taps=wanted, **options))
    before, after = results
    if len(before.taps) != len(after.taps):
        raise TapError(
            "The taps run in a different number of places in the two models "
            f"({len(before.taps)} and {len(after.taps)}): tap one place by its op id."
        )
    drifts = tuple(TapDrift(a, b) for a, b in zip(before.taps, after.taps, strict=True))
    return DriftReport(before, after, drifts)


def _signature_name(request: Any) -> str | None:
    if isinstance(request, dict):
        name = request.get("signature_name")
        return name if isinstance(name, str) else None
    return None


def _shape_words(tap: TapValue) -> str:
    if tap.value is None:
        return "not run"
    return f"{tap.value.dtype} {tuple(tap.value.shape)}"
