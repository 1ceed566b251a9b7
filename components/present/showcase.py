"""The presentation view's first half: what goes in (what comes out is
``components.present.stage_outputs``).

Inputs are readable in full: an image input is a drop zone with a compact pixel-value
preset beside it and the pictures the model sees (a photo dropped, or another preset,
runs the model at once; a new photo replaces the one shown unless "Several photos" is
on), examples and small inputs are a table of name → value that never clips, big tensors
are a one-line summary.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import numpy as np
import streamlit as st

from components import keys
from components.run.form_state import in_rest_mode, kept_form
from components.run.image_editor import image_drop, image_value, pixel_settings, preset_box
from components.run.predict_form import PredictForm, default_form
from components.run.result_panel import render_images
from components.run.tensor_value import TensorValue
from components.text import md_text
from explorer.constants import MethodKind
from explorer.errors import InputError
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.present import report
from explorer.present.text import html_text
from explorer.run.dispatch import CallRequest
from explorer.run.templates import input_plans

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"BM")
_MAX_ROWS = 40
_TABLE_CSS = """<style>
.showcase-table { border-collapse: collapse; font-size: 1.2rem; width: 100%; }
.showcase-table th { text-align: left; font-weight: 600; opacity: .6; padding: 6px 12px; }
.showcase-table td { padding: 8px 12px; border-top: 1px solid rgba(128,128,128,.25);
  overflow-wrap: anywhere; vertical-align: top; }
.showcase-table td:first-child { font-weight: 600; white-space: nowrap; }
</style>"""


def presentation_predict(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str
) -> tuple[CallRequest | None, dict[str, TensorValue], bool]:
    """A Predict request for the presentation view: the full view's form, with each image
    input's drop zone drawn here. Returns the request, what the image inputs hold, and
    whether a new photo was just dropped (the view then runs at once)."""
    plans = input_plans(meta_graph, signature)
    images = [p for p in plans if p.kind == "image"]
    form = kept_form(scope, MethodKind.PREDICT) or default_form(signature, plans, scope)
    values, tensors = dict(form.values), dict(form.tensors)
    dropped: list[tuple[Any, ...]] = []
    for plan in images:
        base = keys.run_key(scope, keys.RUN_INPUT, plan.key)
        assert plan.image is not None
        pixels = plan.image.kind == "pixels"
        drop, settings = st.columns([3, 1]) if pixels else (st.container(), None)
        with drop:
            files = image_drop(plan, base, label="Drop a photo here", stage=True)
        if settings is not None:
            with settings:
                preset_box(plan, base, compact=True)  # the full view's choice, shared
        preset = pixel_settings(plan, base).preset if pixels else None
        dropped.append((tuple(name for name, _ in files), preset))
        try:
            value = image_value(plan, base, files)
        except InputError as err:
            st.error(md_text(str(err)), icon=":material/block:")
            return None, tensors, False
        values[plan.key], tensors[plan.key] = value.value, value
    # A photo dropped, or another pixel-value preset for photos shown, runs the model at once.
    marker = keys.run_key(scope, "presentation_drops")
    photos = any(names for names, _ in dropped)
    new_drop = bool(images) and st.session_state.get(marker) != dropped and photos
    st.session_state[marker] = dropped
    shown = PredictForm(values, form.left_out, form.row_format, (), tensors)
    return shown.request(signature.key), tensors, new_drop


def presentation_request(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str, api: MethodKind
) -> bool:
    """Whether this view builds the request itself (a Predict form with image inputs)."""
    return (
        api is MethodKind.PREDICT
        and not in_rest_mode(scope, api)
        and any(p.kind == "image" for p in input_plans(meta_graph, signature))
    )


def render_presentation_inputs(
    method: MethodKind,
    request: CallRequest | None,
    tensors: dict[str, TensorValue],
    aliases: tuple[str, ...] = (),
) -> None:
    """The request's inputs: pictures for images, a table of name → value for the rest.
    ``aliases``: the signature's inputs (a one-input body names none of them)."""
    if request is None:
        st.caption("The request is not complete yet: switch presentation view off to edit it.")
        return
    for alias, value in tensors.items():
        titled = alias if len(tensors) > 1 else None
        if value.waiting:
            st.info("Drop a photo above: the model answers at once.", icon=":material/image:")
        elif value.pictures:
            _pictures(value.pictures, titled)
        elif isinstance(value.value, np.ndarray) and render_images(value.value, framed=True):
            if titled:
                st.caption(md_text(alias))
        elif value.summary is not None:
            summary = value.summary
            numbers = (
                f" from {summary.minimum:.4g} to {summary.maximum:.4g}"
                if summary.minimum is not None
                else ""
            )
            st.caption(f"{md_text(alias)}: {summary.size:,} values{numbers}")
    if request.body is None:
        return
    doc = request.body
    if isinstance(doc, (str, bytes)):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError:
            doc = None
    if not isinstance(doc, dict):
        st.caption("The request is not a JSON object yet: switch presentation view off to edit it.")
        return
    if method is not MethodKind.PREDICT or "examples" in doc:
        for feature, pixels in _example_pictures(doc).items():
            names = [f"Example {n}" for n in range(1, len(pixels) + 1)]
            if render_images(pixels, captions=names, framed=True):
                st.caption(
                    f"{md_text(feature)} drawn as {pixels.shape[1]}×{pixels.shape[2]} pixels"
                )
        _table(report.request_table(method.value, doc))
        return
    values = {k: v for k, v in _predict_values(doc, aliases).items() if k not in tensors}
    plain = {k: v for k, v in values.items() if not _show_picture(k, v, len(values) > 1)}
    if plain:
        _table(report.request_table("predict", {"inputs": plain}))


def _pictures(pictures: list[Any], title: str | None) -> None:
    if title:
        st.markdown(f"**{md_text(title)}**")
    width = 360 if len(pictures) == 1 else 180
    st.image(pictures[:8], width=width)


def _predict_values(doc: dict[str, Any], aliases: tuple[str, ...]) -> dict[str, Any]:
    # Input alias → the batch of values, whichever REST form the body uses; a body for a
    # one-input signature gives the values bare, named by that input.
    bare = aliases[0] if len(aliases) == 1 else None
    if "instances" in doc:
        rows = doc["instances"] if isinstance(doc["instances"], list) else []
        if rows and all(isinstance(r, dict) and "b64" not in r for r in rows):
            return {k: [r.get(k) for r in rows] for k in rows[0]}
        return {bare or "instances": rows}
    inputs = doc.get("inputs")
    if isinstance(inputs, dict) and "b64" not in inputs:
        return dict(inputs)
    return {bare or "inputs": inputs}


def _show_picture(alias: str, value: Any, titled: bool) -> bool:
    # Encoded images ({"b64": JPEG/PNG bytes}) and pixel arrays are shown as pictures.
    encoded = _encoded_images(value)
    if encoded:
        _pictures(encoded, alias if titled else None)
        return True
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    names = [f"Example {n}" for n in range(1, len(array) + 1)] if array.ndim == 4 else None
    shown = render_images(array, captions=names, framed=True)
    if shown and titled:
        st.caption(md_text(alias))
    return shown


def _example_pictures(doc: dict[str, Any]) -> dict[str, np.ndarray]:
    # A float feature of k*k values (k >= 4) in every example is likely a small image.
    examples = doc.get("examples")
    if not isinstance(examples, list) or not examples:
        return {}
    found = {}
    for feature, first in examples[0].items() if isinstance(examples[0], dict) else ():
        side = int(len(first) ** 0.5) if isinstance(first, list) else 0
        if side < 4 or side * side != len(first):
            continue
        try:
            rows = [np.asarray(e[feature], dtype=np.float64) for e in examples[:8]]
        except (KeyError, TypeError, ValueError):
            continue
        if all(r.shape == (side * side,) for r in rows):
            found[feature] = np.stack(rows).reshape(len(rows), side, side, 1)
    return found


def _encoded_images(value: Any) -> list[bytes]:
    items = value if isinstance(value, list) else [value]
    found = []
    for item in items:
        if isinstance(item, list) and len(item) == 1:
            item = item[0]
        if not (isinstance(item, dict) and set(item) == {"b64"}):
            return []
        try:
            data = base64.b64decode(str(item["b64"]), validate=False)
        except ValueError:
            return []
        if not data.startswith(_IMAGE_MAGIC):
            return []
        found.append(data)
    return found


def _table(table: report.ReportTable) -> None:
    # Large type, wrapped cells (nothing clips): an HTML table, every cell escaped. One row
    # (a single example or instance) reads down, name → value.
    if len(table.rows) == 1 and len(table.columns) > 2:
        header: tuple[str, ...] = ("input", "value")
        rows = [(name, value) for name, value in zip(table.columns, table.rows[0], strict=True)]
        rows = rows[1:]
    else:
        header, rows = table.columns, [tuple(r) for r in table.rows[:_MAX_ROWS]]
    head = "".join(f"<th>{html_text(str(c))}</th>" for c in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html_text(str(c))}</td>" for c in row) + "</tr>" for row in rows
    )
    st.html(f'<table class="showcase-table"><tr>{head}</tr>{body}</table>{_TABLE_CSS}')
    if table.note:
        st.caption(md_text(table.note))
