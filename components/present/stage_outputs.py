"""The presentation view's answer: what comes out, big and clean.

Classify and score outputs are ranked bars with their labels; a batch of photos gets each
photo's bars beside that photo (the photos the answer was for, kept with it); Regress
and one-value outputs are big numbers; image outputs are pictures. A ``[B, N]`` output
with negative values and no labels is an embedding or features, not class scores: it is
summarized, not ranked. A ranking whose scores are all equal says so.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from components import keys
from components.run.output_views import (
    DEFAULT_K,
    as_scores_key,
    chosen_labels,
    rank_toggle,
    ranks_as_classes,
    score_bars_html,
    tie_note,
    vector_summary,
)
from components.run.result_panel import ENDED_TITLES, render_images
from components.text import md_text
from explorer.constants import MethodKind
from explorer.model.info import MetaGraphInfo
from explorer.present.readouts import Ranked, is_distribution, is_score_output, top_k
from explorer.run.dispatch import RunOutcome

_MAX_EXAMPLES = 10
_MAX_METRICS = 12
_MAX_ROWS = 40
_MAX_RANKED = 4  # batch items ranked on the stage (the full view lists more)
_PHOTO_WIDTH = 150


def render_presentation_outcome(
    outcome: RunOutcome | None,
    meta_graph: MetaGraphInfo,
    scope: str,
    pictures: list[Any] | None = None,
) -> None:
    """The answer: ranked bars with labels, big numbers or pictures; the timing in a line.

    ``pictures``: the photos of the request this outcome answers, one per batch item;
    each item's answer is drawn beside its photo when there are several.
    """
    if outcome is None:
        st.caption("Press Run to see the answer.")
        return
    if outcome.error is not None:
        where = (
            ENDED_TITLES[outcome.ended].rstrip(".")
            if outcome.ended is not None
            else "Not run"
            if outcome.status is None
            else f"TF Serving would answer HTTP {outcome.status}"
        )
        st.error(f"**{where}.** {md_text(outcome.error)}")
        return
    result = outcome.result
    if result is None:
        return
    st.caption(
        _answered_in(
            result.timing.conversion_ms + result.timing.execution_ms, result.timing.load_ms
        )
    )
    if result.method is MethodKind.CLASSIFY:
        results = result.response_json["results"]
        for number, classes in enumerate(results[:_MAX_EXAMPLES], start=1):
            ranked = _ranked([(str(label), float(score)) for label, score in classes])
            row = np.asarray([float(score) for _, score in classes])
            title = f"Example {number}" if len(results) > 1 else None
            _bars(ranked, True, tie_note(row, ranked), title)
        _more(len(results), _MAX_EXAMPLES, "examples")
    elif result.method is MethodKind.REGRESS:
        values = result.response_json["results"]
        _metrics([(f"Example {number}", v) for number, v in enumerate(values, 1)])
    else:
        outputs = {k: np.asarray(v) for k, v in result.outputs.items()}
        _predict_outputs(outputs, meta_graph, scope, pictures or [])


def _predict_outputs(
    outputs: dict[str, np.ndarray], meta_graph: MetaGraphInfo, scope: str, pictures: list[Any]
) -> None:
    classes, scores = outputs.get("classes"), outputs.get("scores")
    if (
        classes is not None
        and scores is not None
        and classes.shape == scores.shape
        and classes.ndim == 2
        and scores.dtype.kind == "f"
    ):
        for number in range(min(len(scores), _MAX_EXAMPLES)):
            row = zip(classes[number], scores[number], strict=True)
            ranked = _ranked([(_text(label), float(score)) for label, score in row])
            note = tie_note(scores[number], ranked)
            _beside(pictures, number, len(scores), partial(_bars, ranked, True, note))
        outputs = {k: v for k, v in outputs.items() if k not in ("classes", "scores")}
    k = int(st.session_state.get(keys.run_key(scope, keys.RUN_TOP_K), DEFAULT_K))
    for alias, array in outputs.items():
        array = np.atleast_1d(array)
        numeric = array.dtype.kind in "fiu" and array.dtype != np.bool_
        if numeric and array.size == len(array) <= _MAX_METRICS:  # one number per example
            names = [alias] if len(array) == 1 else [f"{alias}, example {i}" for i in range(1, 13)]
            _metrics(list(zip(names, array.reshape(-1).tolist(), strict=False)))
            continue
        if len(outputs) > 1:
            st.markdown(f"**{md_text(alias)}**")
        if render_images(array, framed=True):
            continue
        if is_score_output(array) and ranks_as_classes(
            array, scope=scope, alias=alias, meta_graph=meta_graph
        ):
            labels = chosen_labels(scope, alias, meta_graph, int(array.shape[1]))
            for number in range(min(len(array), _MAX_RANKED)):
                ranked = top_k(array[number], k, labels)
                percent = is_distribution(array[number])
                note = tie_note(array[number], ranked)
                _beside(
                    pictures,
                    number,
                    len(array),
                    partial(_bars, ranked, percent, note),
                )
            _more(len(array), _MAX_RANKED, "batch items")
            if st.session_state.get(as_scores_key(scope, alias)):
                rank_toggle(scope, alias)  # ranked on request: the way back to the summary
            continue
        if is_score_output(array):
            # An embedding or features: a summary per item, never a "top classes" list.
            for number in range(min(len(array), _MAX_RANKED)):
                line = vector_summary(array[number])
                _beside(pictures, number, len(array), partial(_summary, line))
            _more(len(array), _MAX_RANKED, "batch items")
            rank_toggle(scope, alias)
            continue
        values = array
        if array.dtype.kind in "OS" and array.size:
            values = np.vectorize(_text, otypes=[object])(array)
        st.dataframe(pd.DataFrame(values.reshape(len(values), -1)[:_MAX_ROWS]), hide_index=True)


def _beside(
    pictures: list[Any], number: int, count: int, draw: Callable[[str | None], None]
) -> None:
    # One batch item's answer; beside its photo when the request held one photo per item.
    title = f"Photo {number + 1}" if pictures else f"Example {number + 1}"
    if count < 2:
        draw(None)
        return
    if len(pictures) != count:
        draw(title)
        return
    photo, answer = st.columns([1, 3], vertical_alignment="center")
    photo.image(pictures[number], width=_PHOTO_WIDTH, caption=title)
    with answer:
        draw(None)


def _summary(line: str, title: str | None) -> None:
    if title:
        st.markdown(f"**{title}**")
    st.markdown(f"{line}  \nNot class scores: summarized, not ranked.")


def _answered_in(answer_ms: float, load_ms: float) -> str:
    # For an audience: how long the answer took; a first call's model load said apart.
    line = f"Answered in {_duration(answer_ms)}"
    return line + (f" · loading the model first took {_duration(load_ms)}" if load_ms else "")


def _duration(ms: float) -> str:
    return f"{ms:,.0f} ms" if ms < 1000 else f"{ms / 1000:,.1f} s"


def _ranked(pairs: list[tuple[str, float]]) -> tuple[Ranked, ...]:
    named = [(label or f"class {i}", score, i) for i, (label, score) in enumerate(pairs)]
    ordered = sorted(named, key=lambda p: -p[1])[:_MAX_METRICS]
    return tuple(Ranked(i, label, score) for label, score, i in ordered)


def _bars(ranked: tuple[Ranked, ...], percent: bool, note: str | None, title: str | None) -> None:
    st.html(score_bars_html(ranked, title, percent=percent, large=True))
    if note:
        st.caption(note)


def _metrics(values: list[tuple[str, Any]]) -> None:
    shown = values[:_MAX_METRICS]
    for start in range(0, len(shown), 4):
        for column, (label, value) in zip(st.columns(4), shown[start : start + 4], strict=False):
            column.metric(md_text(label), _number(value))  # labels are output aliases
    _more(len(values), _MAX_METRICS, "values")


def _more(total: int, shown: int, what: str) -> None:
    if total > shown:
        st.caption(f"{total - shown} more {what} in the full view.")


def _number(value: Any) -> str:
    if isinstance(value, (list, tuple)) and len(value) == 1:
        value = value[0]
    try:
        return f"{float(value):.4g}"
    except (TypeError, ValueError):
        return str(value)


def _text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else str(value)
