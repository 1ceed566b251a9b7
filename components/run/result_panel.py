"""A run's outcome: results drawn to fit their shape, timing, and the REST exchange beside."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from components.run.output_views import (
    SUMMARY_ABOVE,
    is_score_output,
    ranks_as_classes,
    render_large_output,
    render_score_output,
    render_vector_output,
)
from components.run.request_text import render_exchange
from components.text import md_code, md_text
from explorer.codec.rest_text import parse_error_location
from explorer.constants import KERNEL_WORDS, MethodKind
from explorer.model.dtypes import dtype_for_numpy
from explorer.model.info import MetaGraphInfo
from explorer.run.dispatch import RunOutcome
from explorer.run.result import CallResult

_MAX_EXAMPLES_SHOWN = 20
_MAX_IMAGES = 8
_MAX_JSON_CHARS = 20_000
# Tiny images (the samples' 4x4 pixels) are blown up with square pixels to at least this.
_MIN_IMAGE_PIXELS = 128


# How the model's worker ended, as the title of the answer's error box.
ENDED_TITLES = {
    "crashed": "The model's worker crashed.",
    "memory": "Out of memory.",
    "timeout": "Out of time.",
}


def render_outcome(
    outcome: RunOutcome,
    *,
    key: str,
    labels_scope: str | None = None,
    meta_graph: MetaGraphInfo | None = None,
) -> None:
    """Results on the left, the request, curl command and response JSON on the right.

    With ``labels_scope`` and ``meta_graph``, score outputs are ranked with their labels
    (the labels file dropped for that signature, or the model's own label asset).
    """
    left, right = st.columns([3, 2], gap="medium")
    # Errors and notes quote the model's keys and names: md_text shows them as text.
    error = md_text(outcome.error or "")
    with left:
        if outcome.ended is not None:
            st.error(f"**{ENDED_TITLES[outcome.ended]}** {error}")
        elif outcome.error is not None and outcome.status is None:
            st.error(f"**Not run.** {error}")
        elif outcome.error is not None and outcome.extra_fetches:
            st.error(
                f"**HTTP {outcome.status}** (this run also fetched extra tensors, which TF "
                f"Serving would not): {error}"
            )
        elif outcome.error is not None and outcome.sandbox_note is not None:
            # Not TF Serving's answer for sure: the sandbox may be what refused the op.
            st.error(f"**HTTP {outcome.status} here, inside the sandbox:** {error}")
            st.warning(md_text(outcome.sandbox_note))
        elif outcome.error is not None:
            st.error(f"**TF Serving would answer HTTP {outcome.status}:** {error}")
            where = parse_error_location(outcome.error, outcome.request_text)
            if where is not None:
                st.code(f"The request's {where}", language=None)
        elif outcome.result is not None:
            _render_timing(outcome.result)
            _render_result(outcome.result, key, labels_scope, meta_graph)
        if outcome.explanation is not None:
            # TF Serving's words name a node; this says what was sent against the
            # signature (model keys in it: md_text shows them as text).
            st.info(md_text(outcome.explanation))
        misfit = outcome.result.shape_misfit if outcome.result is not None else None
        if misfit is not None:  # an answer that may be wrong without an error: said aloud
            st.warning(md_text(misfit), icon=":material/warning:")
        for note in outcome.notes:
            if note not in (outcome.sandbox_note, misfit):  # each shown once, above
                st.caption(md_text(note))
    with right:
        render_exchange(
            outcome.request_text,
            outcome.curl,
            outcome.response_text,
            key=key,
            big_request=outcome.big_request,
        )


def _render_timing(result: CallResult) -> None:
    timing = result.timing
    load = f" · model load {timing.load_ms:,.0f} ms (first call only)" if timing.load_ms else ""
    ran = f" · {KERNEL_WORDS[result.kernels]}" if result.kernels is not None else ""
    st.caption(
        f"**{result.method.value}** on {md_code(result.signature_key)} · conversion "
        f"{timing.conversion_ms:,.1f} ms · execution {timing.execution_ms:,.1f} ms{load}{ran}"
    )


def _render_result(
    result: CallResult, key: str, scope: str | None, meta_graph: MetaGraphInfo | None
) -> None:
    if result.method is MethodKind.CLASSIFY:
        _render_classifications(result.response_json["results"])
    elif result.method is MethodKind.REGRESS:
        values = result.response_json["results"]
        st.markdown("**Regression results**")
        st.dataframe(
            pd.DataFrame({"example": range(1, len(values) + 1), "value": values}),
            hide_index=True,
        )
    else:
        for alias, array in result.outputs.items():
            output = np.asarray(array)
            title = f"Output {md_code(alias)}"
            if scope is not None and meta_graph is not None and is_score_output(output):
                if ranks_as_classes(output, scope=scope, alias=alias, meta_graph=meta_graph):
                    render_score_output(
                        title, output, scope=scope, alias=alias, meta_graph=meta_graph
                    )
                else:
                    render_vector_output(title, output, scope=scope, alias=alias)
            elif output.size > SUMMARY_ABOVE and _as_images(output) is None:
                render_large_output(title, output, key=f"{key}.values.{alias}")
            else:
                render_tensor(title, output)
    for name, array in result.extra.items():
        render_tensor(f"Extra tensor {md_code(name)}", np.asarray(array))


def _render_classifications(results: list[list[list[Any]]]) -> None:
    st.markdown("**Classification results** (per example, highest score first)")
    for number, classes in enumerate(results[:_MAX_EXAMPLES_SHOWN], start=1):
        frame = pd.DataFrame(classes, columns=["label", "score"])
        frame = frame.sort_values("score", ascending=False, kind="stable")
        st.markdown(f"Example {number}")
        table, chart = st.columns([2, 3])
        table.dataframe(frame, hide_index=True, width="stretch")
        # Labels can repeat or be "" (no classes output): chart by position then.
        names = frame["label"] if frame["label"].is_unique and all(frame["label"]) else None
        chart_frame = pd.DataFrame(
            {
                "class": names if names is not None else [f"class {i}" for i in frame.index],
                "score": frame["score"],
            }
        )
        chart.bar_chart(
            chart_frame,
            x="class",
            y="score",
            horizontal=True,
            sort="-score",
            height=max(160, 36 * len(frame) + 70),
        )
    if len(results) > _MAX_EXAMPLES_SHOWN:
        st.caption(f"{len(results) - _MAX_EXAMPLES_SHOWN} more examples in the response JSON.")


def render_tensor(title: str, array: np.ndarray) -> None:
    """A fetched tensor in the view that fits: image, table (≤ 2-D) or JSON; dtype and shape.

    ``title`` is Markdown: names in it go through ``components.text.md_code``.
    """
    st.markdown(f"**{title}** · `{dtype_name(array)}` · shape `{list(array.shape)}`")
    images = _as_images(array)
    if array.ndim <= 2:
        frame = _table(array)
        if images is not None:
            table_tab, image_tab = st.tabs(["Table", "Image"])
            table_tab.dataframe(frame, width=_width(frame))
            with image_tab:
                _show_images(images)
        else:
            st.dataframe(frame, width=_width(frame))
        return
    if images is not None:
        _show_images(images)
        if array.size > SUMMARY_ABOVE:  # a picture's numbers are read as a summary
            render_large_output("Its values", array, key=f"values.{title}")
            return
        with st.expander("Values (JSON)"):
            _json(array)
        return
    _json(array)


def dtype_name(array: np.ndarray) -> str:
    """TensorFlow's name for a fetched array's dtype: ``float32`` → ``DT_FLOAT``."""
    if array.dtype.kind in "OSU":
        return "DT_STRING"
    return dtype_for_numpy(array.dtype.name) or array.dtype.name


def _table(array: np.ndarray) -> pd.DataFrame:
    values = _texts(array)
    if values.ndim == 0:
        return pd.DataFrame({"value": [values.item()]})
    if values.ndim == 1:
        return pd.DataFrame({"value": values})
    if values.shape[1] > 50 and values.shape[0] <= 8:  # e.g. [1, 1001] logits: one column each
        return pd.DataFrame(values.T, columns=[f"item {i}" for i in range(values.shape[0])])
    names = ["value"] if values.shape[1] == 1 else [str(i) for i in range(values.shape[1])]
    return pd.DataFrame(values, columns=names)


def _width(frame: pd.DataFrame) -> int | str:
    # A few columns stretched across the page are hard to read: size them to fit.
    return "stretch" if len(frame.columns) > 4 else 120 * len(frame.columns) + 80


def _texts(array: np.ndarray) -> np.ndarray:
    if array.dtype.kind in "SO" and array.size:
        return np.vectorize(
            lambda v: v.decode("utf-8", errors="replace") if isinstance(v, bytes) else v,
            otypes=[object],
        )(array)
    return array


def _json(array: np.ndarray) -> None:
    text = json.dumps(_texts(array).tolist(), default=str)
    if len(text) > _MAX_JSON_CHARS:
        st.caption(
            f"{len(text):,} characters; the first {_MAX_JSON_CHARS:,} are shown (the "
            "response JSON has all)."
        )
        text = text[:_MAX_JSON_CHARS] + " …"
    st.code(text, language="json", wrap_lines=True)


def render_images(
    array: np.ndarray, *, captions: list[str] | None = None, framed: bool = False
) -> bool:
    """Draw an array as images when it looks like some; False (nothing drawn) otherwise.

    ``framed`` draws a grey border, so white pixels stay visible on a white page.
    """
    images = _as_images(array)
    if images is None:
        return False
    if framed:
        images = [
            np.pad(i, [(3, 3), (3, 3)] + [(0, 0)] * (i.ndim - 2), constant_values=0.7)
            for i in images
        ]
    if captions is None:
        _show_images(images)
    else:
        st.image(images, caption=captions[: len(images)], clamp=True, width=images[0].shape[1])
    return True


def _as_images(array: np.ndarray) -> list[np.ndarray] | None:
    """[H, W], [H, W, C] or [N, H, W, C] (C = 1, 3, 4) with values in a pixel range, as
    float images in [0, 1]; None when the tensor does not look like images."""
    if array.dtype.kind not in "fiu" or array.dtype == np.bool_ or not array.size:
        return None
    if array.ndim == 2:
        stack = array[None, :, :, None]
        if min(array.shape) < 8:
            return None
    elif array.ndim == 3 and array.shape[-1] in (1, 3, 4):
        stack = array[None]
    elif array.ndim == 4 and array.shape[-1] in (1, 3, 4):
        stack = array[:_MAX_IMAGES]
    else:
        return None
    if min(stack.shape[1:3]) < 2:
        return None
    scaled = _to_unit_range(stack.astype(np.float64), array.dtype.kind)
    if scaled is None:
        return None
    return [_upscale(image) for image in scaled]


def _to_unit_range(values: np.ndarray, kind: str) -> np.ndarray | None:
    if not np.isfinite(values).all():
        return None
    low, high = float(values.min()), float(values.max())
    if kind == "u" and high <= 255:
        return values / 255.0
    if low >= 0.0 and high <= 1.0:
        return values
    if low >= -1.0 and high <= 1.0:
        return (values + 1.0) / 2.0  # the [-1, 1] range MobileNet-style models use
    if low >= 0.0 and high <= 255.0:
        return values / 255.0
    return None


def _upscale(image: np.ndarray) -> np.ndarray:
    factor = max(1, -(-_MIN_IMAGE_PIXELS // max(image.shape[0], image.shape[1])))
    image = image.repeat(factor, axis=0).repeat(factor, axis=1)
    return image[:, :, 0] if image.shape[-1] == 1 else image


def _show_images(images: list[np.ndarray]) -> None:
    captions = [f"item {i}" for i in range(len(images))] if len(images) > 1 else None
    st.image(images, caption=captions, clamp=True, width=min(256, images[0].shape[1]))
