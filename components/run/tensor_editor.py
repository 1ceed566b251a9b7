"""The compact editor of a big or image input: never the tensor as text, always a summary.

An input the plan marks "tensor" (more than ``TEXT_ELEMENTS`` numbers) or "image" holds
an array built from a **source**: image files (resized, channels matched, dtype cast and
scaled by a preset — ``explorer.codec.images``), a **fill** (a shape and zeros, one value
or seeded random values — ``explorer.codec.fills``), a ``.npy``/``.json`` file, or, for
small image inputs, JSON text. A graph that decodes image files itself gets the files'
bytes. What the tensor holds is shown as a summary line and, for images, the pictures
the model will see.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import streamlit as st
from PIL import Image

from components.run.run_state import kept_files
from components.run.value_editors import json_editor
from components.text import md_code
from explorer.codec.arrays import read_npy
from explorer.codec.fills import (
    FILLS,
    TEXT_ELEMENTS,
    ArraySummary,
    TensorFill,
    filled_array,
    summarize,
)
from explorer.codec.images import (
    FILE_TYPES,
    FITS,
    PRESETS,
    PixelSettings,
    encoded_bytes,
    image_pixels,
    presets_for,
    read_image,
    value_range,
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
_DEFAULT_SIDE = 224
_MAX_PREVIEWS = 8


@dataclass(frozen=True, slots=True)
class TensorValue:
    """What a compact editor holds: the array (or JSON text's value) and how to show it."""

    value: Any
    summary: ArraySummary | None
    # Pictures of what the tensor holds (uint8 [H, W, C] or encoded image bytes).
    pictures: list[Any] = field(default_factory=list)
    # One line for people: "2 images, 224×224 RGB, values 0 to 1".
    note: str = ""
    # An image input with no file given yet (it holds zeros, or a plain picture).
    waiting: bool = False


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
            return _encoded_images(plan, base)
        if source == SOURCE_IMAGE:
            return _pixel_images(plan, base)
        if source == SOURCE_FILE:
            return _tensor_file(plan, base)
        if source == SOURCE_TEXT:
            start = np.zeros(plan.shape).tolist()
            value = json_editor(plan.info, start, base, "Nested lists, batch first.")
            return TensorValue(value, None)
        return _fill(plan, base)
    except InputError as err:
        raise ValueError(str(err)) from None


def fingerprint(value: Any) -> str:
    """A short digest of an input's value (arrays by their bytes), to tell a changed form."""
    digest = hashlib.blake2b(digest_size=12)
    _feed(digest, value)
    return digest.hexdigest()


def image_drop(plan: InputPlan, base: str, *, label: str | None = None) -> list[tuple[str, bytes]]:
    """The drop zone of an image input (its files are kept for the session and shared by
    the full and the presentation view)."""
    image = plan.image
    assert image is not None
    batched = image.batched
    if image.kind == "encoded":
        readable = ", ".join(sorted(image.formats)) or "any format"
        help_text = (
            f"The graph decodes the bytes itself ({', '.join(image.decoders)}: {readable}); "
            "other formats are re-encoded."
        )
    else:
        help_text = "PNG, JPEG, WebP or BMP, resized to the input's size. " + (
            "Each file is one item of the batch." if batched else "One image."
        )
    files = kept_files(
        base + ".images",
        label or ("Drop image files here" if batched else "Drop an image file here"),
        types=list(FILE_TYPES),
        help_text=help_text,
        multiple=batched,
    )
    return files if batched else files[:1]


def pixel_settings(plan: InputPlan, base: str) -> PixelSettings:
    """The settings chosen for an image input (read from the session, no widgets drawn)."""
    image = plan.image
    assert image is not None
    state = st.session_state
    presets = presets_for(plan.info.dtype)
    preset = state.get(base + ".preset", presets[0] if len(presets) == 1 else "0-1")
    return PixelSettings(
        image.height or int(state.get(base + ".height", _DEFAULT_SIDE)),
        image.width or int(state.get(base + ".width", _DEFAULT_SIDE)),
        image.channels,
        plan.info.dtype,
        preset if preset in presets else presets[0],
        state.get(base + ".fit", "stretch"),
    )


def image_value(plan: InputPlan, base: str, files: list[tuple[str, bytes]]) -> TensorValue:
    """What an image input holds: the files as pixels (per the session's settings) or as
    their bytes for a graph that decodes them.

    Raises:
        InputError: a file that is not a readable image, or settings the input cannot take.
    """
    image = plan.image
    assert image is not None
    if image.kind == "encoded":
        return _encoded_value(plan, files)
    settings = pixel_settings(plan, base)
    dtype = plan.info.dtype
    height, width, channels = settings.height, settings.width, settings.channels
    if not files:
        shape = (1, height, width, channels) if image.batched else (height, width, channels)
        zeros = filled_array(shape, dtype, TensorFill(), key=plan.key, budget=ElementBudget(None))
        note = "No image yet: the tensor holds zeros (a black image). Drop a photo above."
        return TensorValue(zeros, summarize(zeros, dtype), [], note, waiting=True)
    cache_key = (tuple(hashlib.sha1(data).hexdigest() for _, data in files), settings)
    cached = st.session_state.get(base + ".image_cache")
    if cached is None or cached[0] != cache_key:
        pictures, arrays = [], []
        shown = PixelSettings(height, width, channels, "DT_UINT8", "0-255", settings.fit)
        for name, data in files:
            picture = read_image(data, name)
            arrays.append(image_pixels(picture, settings))
            pictures.append(image_pixels(picture, shown))
        array = np.stack(arrays) if image.batched else arrays[0]
        st.session_state[base + ".image_cache"] = (cache_key, array, pictures)
        cached = st.session_state[base + ".image_cache"]
    array, pictures = cached[1], cached[2]
    mode = {1: "grey", 3: "RGB", 4: "RGBA"}[channels]
    count = f"{len(files)} image{'s' if len(files) > 1 else ''}"
    note = f"{count}, {width}×{height} {mode}, values {value_range(settings.preset)}"
    return TensorValue(array, summarize(array, dtype), pictures, note)


def _pixel_images(plan: InputPlan, base: str) -> TensorValue:
    image = plan.image
    assert image is not None
    files = image_drop(plan, base)
    columns = st.columns([3, 2, 2] if image.height is None or image.width is None else [3, 2])
    presets = presets_for(plan.info.dtype)
    columns[0].selectbox(
        "Pixel values",
        presets,
        index=presets.index("0-1") if "0-1" in presets else 0,
        format_func=lambda p: PRESETS[p],
        key=base + ".preset",
        persist_state=_PERSIST,
        help="The range the model was trained on. Keras applications: ResNet50/VGG → "
        "caffe; MobileNet/Inception/Xception → −1–1; DenseNet → torch; EfficientNet/"
        "ConvNeXt → 0–255 (they scale inside the model).",
    )
    columns[1].selectbox(
        "Fit", list(FITS), format_func=lambda f: FITS[f], key=base + ".fit", persist_state=_PERSIST
    )
    if image.height is None or image.width is None:
        with columns[2]:
            if image.height is None:
                st.number_input(
                    "Height", 1, 8192, _DEFAULT_SIDE, key=base + ".height", persist_state=_PERSIST
                )
            if image.width is None:
                st.number_input(
                    "Width", 1, 8192, _DEFAULT_SIDE, key=base + ".width", persist_state=_PERSIST
                )
    return image_value(plan, base, files)


def _encoded_images(plan: InputPlan, base: str) -> TensorValue:
    return image_value(plan, base, image_drop(plan, base))


def _encoded_value(plan: InputPlan, files: list[tuple[str, bytes]]) -> TensorValue:
    image = plan.image
    assert image is not None
    formats = image.formats
    readable = ", ".join(sorted(formats)) or "any format"
    notes = []
    waiting = not files
    if waiting:
        files = [("grey.png", _placeholder(formats))]
        notes.append("No image yet: a plain grey picture is sent. Drop a photo above.")
    sent: list[bytes] = []
    for name, data in files:
        payload, fmt, converted = encoded_bytes(data, formats, name)
        sent.append(payload)
        if converted:
            notes.append(f"{md_code(name)} re-encoded as {fmt}: the graph reads {readable}.")
    array = np.empty(len(sent) if image.batched else (), dtype=object)
    if image.batched:
        array[:] = sent
    else:
        array[()] = sent[0]
    size = sum(len(p) for p in sent)
    notes.append(f'Sent as the files\' bytes ({{"b64": …}} over REST), {size / 1e3:,.0f} KB.')
    return TensorValue(array, None, sent[:_MAX_PREVIEWS], " ".join(notes), waiting=waiting)


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


def _placeholder(formats: frozenset[str]) -> bytes:
    # A small grey picture in a format the graph's decoder reads.
    fmt = "PNG" if not formats or "PNG" in formats else "JPEG" if "JPEG" in formats else "BMP"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (128, 128, 128)).save(buffer, format=fmt)
    return buffer.getvalue()


def _feed(digest: Any, value: Any) -> None:
    if isinstance(value, np.ndarray):
        digest.update(f"{value.dtype}{value.shape}".encode())
        if value.dtype == object:
            for item in value.reshape(-1):
                digest.update(item if isinstance(item, bytes) else repr(item).encode())
        else:
            digest.update(np.ascontiguousarray(value).tobytes())
        return
    if isinstance(value, dict):
        for key in sorted(value):
            digest.update(repr(key).encode())
            _feed(digest, value[key])
        return
    digest.update(json.dumps(value, sort_keys=True, default=repr).encode())
