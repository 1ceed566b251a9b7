"""A predict request made from image files, as the app's image editor makes one: each file
is one batch item of a signature's image input.

A pixel input (``[B, H, W, C]`` numbers) gets the file resized to the signature's size,
its channels matched and its values scaled by a preset (:mod:`explorer.codec.images`); the
preset starts where the app's does: 0–255 when the graph scales raw pixels itself (a
Rescaling layer), else 0–1. An input whose graph decodes files (``DecodeJpeg`` …) gets the
file's bytes as TF Serving's REST API carries them, ``{"b64": …}``.

The body is plain REST JSON (``{"instances": […]}`` for one input, ``{"inputs": {…}}``
for several), so what the CLI sends is what ``curl`` would send to TF Serving.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from explorer.codec.images import (
    Fit,
    PixelSettings,
    Preset,
    encoded_bytes,
    image_pixels,
    read_image,
    starting_preset,
)
from explorer.errors import InputError
from explorer.graph.image_inputs import ImageInput, image_input
from explorer.graph.input_scaling import input_scaling
from explorer.model.info import MetaGraphInfo, SignatureInfo, TensorInfo

DEFAULT_SIDE = 224  # an open height or width, as the app's editor starts it


@dataclass(frozen=True, slots=True)
class ImageFileInput:
    """One file for one input: the input's key (None: the signature's only image input)."""

    key: str | None
    name: str
    data: bytes


def image_request(
    meta_graph: MetaGraphInfo,
    signature: SignatureInfo,
    files: Sequence[ImageFileInput],
    *,
    preset: Preset | None = None,
    fit: Fit = "stretch",
    size: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """The REST body that sends ``files`` to ``signature``'s image inputs.

    Args:
        meta_graph: the MetaGraph called (its graph says which inputs take images).
        signature: the signature called.
        files: the files, in batch order per input.
        preset: how pixel values are scaled; None: 0–255 when the graph scales raw pixels
            itself, else 0–1 (integer inputs: 0–255).
        fit: how a file of another aspect ratio is resized.
        size: (height, width) for an input whose signature leaves them open (-1);
            None: DEFAULT_SIDE.

    Raises:
        InputError: no image input to send to, a key that is not one, an input left
            without a file, an unbatched input given several, or a file that is not an
            image (each message says which).
    """
    takes = {
        info.key: (info, found)
        for info in signature.inputs
        if (found := image_input(meta_graph, info)) is not None
    }
    if not takes:
        raise InputError(
            f'Signature "{signature.key}" has no image input (a [batch, height, width, '
            "channels] number tensor, or a string its graph decodes): send --request instead."
        )
    batches: dict[str, list[ImageFileInput]] = {}
    for file in files:
        batches.setdefault(_key_of(file, takes, signature), []).append(file)
    others = [t.key for t in signature.inputs if t.key not in takes]
    if others:
        raise InputError(
            f'Signature "{signature.key}" also takes {", ".join(repr(k) for k in others)}, '
            "which is not an image: send the whole request as --request instead."
        )
    missing = [t.key for t in signature.inputs if t.key not in batches]
    if missing:
        raise InputError(
            f"No image for input {', '.join(repr(k) for k in missing)}: a request sends every "
            f'input of "{signature.key}" (give KEY=FILE for each).'
        )
    values = {
        key: _batch(meta_graph, *takes[key], batch, preset=preset, fit=fit, size=size)
        for key, batch in batches.items()
    }
    body: dict[str, Any] = {"signature_name": signature.key}
    if len(values) == 1 and all(found.batched for _, found in takes.values()):
        body["instances"] = next(iter(values.values()))
    else:
        body["inputs"] = values
    return body


def _key_of(
    file: ImageFileInput, takes: Mapping[str, tuple[TensorInfo, ImageInput]], sig: SignatureInfo
) -> str:
    if file.key is None:
        if len(takes) != 1:
            raise InputError(
                f'Signature "{sig.key}" has {len(takes)} image inputs '
                f"({', '.join(repr(k) for k in takes)}): name one as KEY=FILE."
            )
        return next(iter(takes))
    if file.key not in takes:
        known = ", ".join(repr(k) for k in takes)
        raise InputError(f'{file.key!r} is not an image input of "{sig.key}" (they are: {known}).')
    return file.key


def _batch(
    meta_graph: MetaGraphInfo,
    info: TensorInfo,
    found: ImageInput,
    files: list[ImageFileInput],
    *,
    preset: Preset | None,
    fit: Fit,
    size: tuple[int, int] | None,
) -> Any:
    if not found.batched and len(files) != 1:
        raise InputError(
            f"Input {info.key!r} is one image ({info.shape_text}), not a batch: give it one file."
        )
    if found.kind == "encoded":
        items: list[Any] = [
            {"b64": base64.b64encode(encoded_bytes(f.data, found.formats, f.name)[0]).decode()}
            for f in files
        ]
    else:
        chosen = preset or starting_preset(info.dtype, input_scaling(meta_graph, info))
        height, width = size or (DEFAULT_SIDE, DEFAULT_SIDE)
        settings = PixelSettings(
            found.height or height,
            found.width or width,
            found.channels,
            info.dtype,
            chosen,
            fit,
        )
        items = [image_pixels(read_image(f.data, f.name), settings).tolist() for f in files]
    return items if found.batched else items[0]
