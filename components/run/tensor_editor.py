"""The compact editor of a big or image input: never the tensor as text, always a summary.

An input the plan marks "tensor" (more than ``TEXT_ELEMENTS`` numbers) or "image" holds
an array built from a **source**: image files (``components.run.image_editor``), a
**fill** (a shape and zeros, one value or seeded random values — ``explorer.codec.fills``),
a ``.npy``/``.json`` file, or, for small image inputs, JSON text. What the tensor holds is
shown as a summary line and, for images, the pictures the model will see.
"""

from __future__ import annotations

import json

import numpy as np
import streamlit as st

from components.run.image_editor import encoded_images, pixel_images
from components.run.run_state import kept_files
from components.run.tensor_value import TensorValue
from components.run.value_editors import json_editor
from components.text import md_code
from explorer.codec.arrays import read_npy
from explorer.codec.fills import (
    FILLS,
    TEXT_ELEMENTS,
    TensorFill,
    filled_array,
    summarize,
)
from explorer.codec.json_tensor import to_array
from explorer.codec.limits import ElementBudget
from explorer.errors import InputError
from explorer.run.templates import InputPlan

SOURCE_IMAGE = "Image files"
SOURCE_FILL = "Fill"
SOURCE_FILE = ".npy / .json file"
SOURCE_TEXT = "JSON text"
_PERSIST = "session"


def sources(plan: InputPlan) -> list[str]:
    """The sources an input can take its value from, the default first."""
    small = plan.image is not None and int(np.prod(plan.shape or (1,))) <= TEXT_ELEMENTS
    if plan.image is not None and plan.image.kind == "encoded":
        return [SOURCE_IMAGE, SOURCE_FILE]
    if plan.image is not None:
        return [SOURCE_IMAGE, SOURCE_FILL, SOURCE_FILE] + ([SOURCE_TEXT] if small else [])
    return [SOURCE_FILL, SOURCE_FILE]


def tensor_editor(plan: InputPlan, base: str) -> TensorValue:
    """The source chooser and its editor; the value built from them.

    Raises:
        ValueError: what the user gave cannot make this input (the message says why).
    """
    choices = sources(plan)
    source = st.radio(
        f"Value of {md_code(plan.key)} from",
        choices,
        horizontal=True,
        key=base + ".source",
        persist_state=_PERSIST,
        label_visibility="collapsed",
    )
    try:
        if source == SOURCE_IMAGE and plan.image is not None and plan.image.kind == "encoded":
            return encoded_images(plan, base)
        if source == SOURCE_IMAGE:
            return pixel_images(plan, base)
        if source == SOURCE_FILE:
            return _tensor_file(plan, base)
        if source == SOURCE_TEXT:
            start = np.zeros(plan.shape).tolist()
            value = json_editor(plan.info, start, base, "Nested lists, batch first.")
            return TensorValue(value, None)
        return _fill(plan, base)
    except InputError as err:
        raise ValueError(str(err)) from None


def _fill(plan: InputPlan, base: str) -> TensorValue:
    dtype = plan.info.dtype
    left, right = st.columns([2, 3])
    shape_text = left.text_input(
        "Shape",
        value=", ".join(str(d) for d in plan.shape),
        key=base + ".shape",
        persist_state=_PERSIST,
        help="One whole number per dimension; the signature's -1 dimensions are yours to "
        "choose (the batch first).",
    )
    kinds = list(FILLS) if dtype != "DT_STRING" else ["zeros", "constant"]
    kind = right.radio(
        "Fill",
        kinds,
        format_func=lambda k: FILLS[k],
        horizontal=True,
        key=base + ".fill",
        persist_state=_PERSIST,
    )
    shape = _shape(shape_text, plan)
    fill = TensorFill()
    if kind == "constant":
        value = st.text_input("Value", "0", key=base + ".fill_value", persist_state=_PERSIST)
        fill = TensorFill("constant", value if dtype == "DT_STRING" else _number(value))
    elif kind == "random":
        low_box, high_box, seed_box = st.columns(3)
        low = low_box.number_input("Low", value=0.0, key=base + ".low", persist_state=_PERSIST)
        high = high_box.number_input("High", value=1.0, key=base + ".high", persist_state=_PERSIST)
        seed = seed_box.number_input(
            "Seed", 0, 2**31 - 1, 0, key=base + ".seed", persist_state=_PERSIST
        )
        fill = TensorFill("random", low=float(low), high=float(high), seed=int(seed))
    array = filled_array(shape, dtype, fill, key=plan.key, budget=ElementBudget(None))
    return TensorValue(array, summarize(array, dtype))


def _tensor_file(plan: InputPlan, base: str) -> TensorValue:
    files = kept_files(
        base + ".file",
        f"Value of {md_code(plan.key)}",
        types=["npy", "json"],
        help_text=".npy files are read with allow_pickle=False; .json holds nested lists. "
        "The whole tensor, batch dimension included.",
    )
    if not files:
        raise ValueError("upload a .npy or .json file, or choose another source")
    name, data = files[0]
    budget = ElementBudget(None)
    if name.lower().endswith(".npy"):
        array = read_npy(data, key=plan.key, budget=budget)
    else:
        try:
            value = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"cannot read {name} as JSON: {exc}") from exc
        array = to_array(value, plan.info.dtype, key=plan.key, budget=budget)
    return TensorValue(array, summarize(array, plan.info.dtype), [], f"From {md_code(name)}.")


def _shape(text: str, plan: InputPlan) -> tuple[int, ...]:
    try:
        dims = tuple(int(d) for d in text.replace("(", "").replace(")", "").split(",") if d.strip())
    except ValueError:
        raise ValueError(f"the shape is whole numbers separated by commas; got {text!r}") from None
    declared = plan.info.shape or ()
    if len(dims) != len(declared):
        raise ValueError(f"the signature's shape has {len(declared)} dimensions; got {len(dims)}")
    for position, (dim, want) in enumerate(zip(dims, declared, strict=True)):
        if want is not None and dim != want:
            raise ValueError(f"dimension {position} is {want} in the signature; got {dim}")
    return dims


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"the fill value {text!r} is not a number") from None
