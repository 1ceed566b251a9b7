"""The editor of an image input: a drop zone, the pixel settings, and what the tensor holds.

Image files become pixels (resized, channels matched, dtype cast and scaled by a preset —
``explorer.codec.images``), or, for a graph that decodes image files itself, their bytes.
The pixel-value preset starts where the graph itself says (a graph that scales its input
by 1/255 takes pixel values as they are, 0–255) and else at 0–1, said to be a guess that
the model's training preprocessing decides; the full view and the presentation view share
the drop zone's files and the preset (same session keys).
"""

from __future__ import annotations

import hashlib
import io

import numpy as np
import streamlit as st
from PIL import Image

from components.run.run_state import kept_files
from components.run.tensor_value import TensorValue
from components.text import md_code
from explorer.codec.fills import TensorFill, filled_array, summarize
from explorer.codec.images import (
    FILE_TYPES,
    FITS,
    PRESETS,
    PixelSettings,
    Preset,
    encoded_bytes,
    image_pixels,
    presets_for,
    read_image,
    starting_preset,
    value_range,
)
from explorer.codec.limits import ElementBudget
from explorer.run.templates import InputPlan

_PERSIST = "session"
_DEFAULT_SIDE = 224
_MAX_PREVIEWS = 8
# The presets' names where room is short (the presentation view).
_SHORT: dict[Preset, str] = {
    "0-255": "0–255",
    "0-1": "0–1",
    "-1-1": "−1–1",
    "caffe": "caffe (BGR − mean)",
    "torch": "torch (mean/std)",
}


def image_drop(
    plan: InputPlan, base: str, *, label: str | None = None, stage: bool = False
) -> list[tuple[str, bytes]]:
    """The drop zone of an image input. Its files are kept for the session and shared by
    the full and the presentation view (``stage``). The full view's zone lists every file
    of a batch; on the stage a photo dropped replaces the one shown, unless the user
    switches on "Several photos" (batched inputs): then each drop joins the batch."""
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
    several = stage and batched and bool(st.session_state.get(base + ".several", False))
    key = base + ".images" if not stage else base + (".stage_many" if several else ".stage_one")
    files = kept_files(
        key,
        label or ("Drop image files here" if batched else "Drop an image file here"),
        types=list(FILE_TYPES),
        help_text=help_text,
        multiple=batched and (several or not stage),
        store=base + ".images",
        adds=several,
    )
    if stage and batched:
        st.toggle(
            "Several photos",
            key=base + ".several",
            persist_state=_PERSIST,
            help="On, each photo dropped joins the batch (the model answers for each); off, "
            "a photo dropped replaces the one shown.",
        )
    return files if batched else files[:1]


def pixel_settings(plan: InputPlan, base: str) -> PixelSettings:
    """The settings chosen for an image input (read from the session, no widgets drawn)."""
    image = plan.image
    assert image is not None
    state = st.session_state
    presets = presets_for(plan.info.dtype)
    preset = state.get(base + ".preset", first_preset(plan))
    return PixelSettings(
        image.height or int(state.get(base + ".height", _DEFAULT_SIDE)),
        image.width or int(state.get(base + ".width", _DEFAULT_SIDE)),
        image.channels,
        plan.info.dtype,
        preset if preset in presets else presets[0],
        state.get(base + ".fit", "stretch"),
    )


def first_preset(plan: InputPlan) -> Preset:
    """The preset an image input starts with: 0–255 where the graph scales raw pixel
    values itself, else 0–1 (see :func:`preset_note`)."""
    return starting_preset(plan.info.dtype, plan.scaling)


def preset_box(plan: InputPlan, base: str, *, compact: bool = False) -> None:
    """The pixel-value preset chooser. The full view's and the presentation view's (compact:
    short names) are one widget key, so both show and change the same choice."""
    presets = presets_for(plan.info.dtype)
    st.selectbox(
        "Pixel values",
        presets,
        index=presets.index(first_preset(plan)),
        format_func=lambda p: _SHORT[p] if compact else PRESETS[p],
        key=base + ".preset",
        persist_state=_PERSIST,
        disabled=len(presets) == 1,
        help="The range of pixel values the model was trained on: " + preset_note(plan),
    )


def preset_note(plan: InputPlan) -> str:
    """Where the starting preset comes from, in plain words (Markdown, names escaped)."""
    scaling = plan.scaling
    if len(presets_for(plan.info.dtype)) == 1:
        return f"{plan.info.dtype} holds whole numbers: pixel values go in as they are, 0–255."
    if scaling is not None and scaling.takes_raw_pixels:
        return (
            f"The graph scales its input itself (× 1/{1 / scaling.factor:.4g} in "
            f"{md_code(scaling.op)}): it takes pixel values as they are, 0–255."
        )
    return (
        "The graph does not scale its input, so the range is the one the model was trained "
        "with (its preprocessing), which a SavedModel does not record: 0–1 is a start, not "
        "a finding. Keras applications: ResNet50/VGG → caffe; MobileNet/Inception/Xception "
        "→ −1–1; DenseNet → torch."
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


def pixel_images(plan: InputPlan, base: str) -> TensorValue:
    image = plan.image
    assert image is not None
    files = image_drop(plan, base)
    columns = st.columns([3, 2, 2] if image.height is None or image.width is None else [3, 2])
    with columns[0]:
        preset_box(plan, base)
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
    st.caption(preset_note(plan))
    return image_value(plan, base, files)


def encoded_images(plan: InputPlan, base: str) -> TensorValue:
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


def _placeholder(formats: frozenset[str]) -> bytes:
    # A small grey picture in a format the graph's decoder reads.
    fmt = "PNG" if not formats or "PNG" in formats else "JPEG" if "JPEG" in formats else "BMP"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (128, 128, 128)).save(buffer, format=fmt)
    return buffer.getvalue()
