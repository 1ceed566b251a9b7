"""Image files as a signature's input: pixels resized, channels matched, dtype cast and
values scaled by a preset; or the file's bytes for a graph that decodes them itself.

Pillow reads PNG, JPEG, WebP, BMP and GIF (first frame), turned upright by its EXIF
orientation. Pixel values then follow a **preset**, the conventions image models are
trained with (Keras applications' own ``preprocess_input`` is one of them):

========  =====================================================================
``0-255`` the pixel values as they are (uint8 models, EfficientNet, ConvNeXt)
``0-1``   divided by 255 (most TF Hub image models)
``-1-1``  scaled to [-1, 1] (MobileNet, Inception, Xception: Keras' "tf" mode)
``caffe`` RGB → BGR, ImageNet's mean subtracted per channel (ResNet50, VGG)
``torch`` divided by 255, then ImageNet's mean and std per channel (DenseNet)
========  =====================================================================

A file's size is checked from its header before its pixels are decoded, so a
decompression bomb is refused, not decoded.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from explorer.errors import InputError
from explorer.graph.input_scaling import InputScaling
from explorer.model.dtypes import numpy_name

Preset = Literal["0-255", "0-1", "-1-1", "caffe", "torch"]
PRESETS: dict[Preset, str] = {
    "0-255": "0–255 (pixel values as they are)",
    "0-1": "0–1 (divided by 255)",
    "-1-1": "−1–1 (MobileNet, Inception: Keras' “tf” mode)",
    "caffe": "caffe: BGR, ImageNet mean subtracted (ResNet50, VGG)",
    "torch": "torch: 0–1, ImageNet mean/std (DenseNet)",
}
Fit = Literal["stretch", "crop"]
FITS: dict[Fit, str] = {
    "stretch": "resize to the size (aspect ratio not kept)",
    "crop": "resize the short side, then crop the centre",
}
FORMATS = frozenset({"PNG", "JPEG", "WEBP", "BMP", "GIF"})
FILE_TYPES = ("png", "jpg", "jpeg", "webp", "bmp", "gif")
# Larger images are refused from their header (a 200-megapixel photo, or a bomb).
MAX_PIXELS = 64_000_000
# Sizes a user may ask for where the signature says -1.
MAX_SIDE = 8_192
_CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68])
_TORCH_MEAN = np.array([0.485, 0.456, 0.406])
_TORCH_STD = np.array([0.229, 0.224, 0.225])
_MODES = {1: "L", 3: "RGB", 4: "RGBA"}


@dataclass(frozen=True, slots=True)
class ImageFile:
    """An image file read upright: its pixels as uint8 ``[H, W, C]`` and what it was."""

    pixels: np.ndarray
    format: str
    # The file's own size (width, height) and Pillow mode before channels were matched.
    size: tuple[int, int]
    mode: str


@dataclass(frozen=True, slots=True)
class PixelSettings:
    """How a file becomes one image of a tensor."""

    height: int
    width: int
    channels: int
    # TensorFlow's dtype name: DT_FLOAT, DT_UINT8, ...
    dtype: str
    preset: Preset = "0-1"
    fit: Fit = "stretch"


def read_image(data: bytes, name: str = "") -> ImageFile:
    """An image file's pixels (uint8, RGB or RGBA or grey as the file has them).

    Raises:
        InputError: not an image Pillow reads, not one of FORMATS, or over MAX_PIXELS.
    """
    label = f"{name}: " if name else ""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise InputError(
                    f"{label}{image.format} images are not read here; use PNG, JPEG, WebP or BMP."
                )
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise InputError(
                    f"{label}the image is {width}×{height} pixels, more than the "
                    f"{MAX_PIXELS:,} read here; scale it down first."
                )
            fmt, mode = str(image.format), image.mode
            upright: Image.Image = ImageOps.exif_transpose(image)
            upright.load()
    except (UnidentifiedImageError, Image.DecompressionBombWarning) as exc:
        raise InputError(
            f"{label}not an image file Pillow can read (PNG, JPEG, WebP, BMP)."
        ) from exc
    except (OSError, ValueError, SyntaxError) as exc:
        raise InputError(f"{label}the image file is damaged: {exc}") from exc
    if upright.mode not in ("L", "RGB", "RGBA"):
        alpha = "A" in upright.mode or "transparency" in upright.info
        upright = upright.convert("RGBA" if alpha else "RGB")
    pixels = np.asarray(upright, dtype=np.uint8)
    if pixels.ndim == 2:
        pixels = pixels[:, :, None]
    return ImageFile(pixels, fmt, (width, height), mode)


def presets_for(dtype: str) -> tuple[Preset, ...]:
    """The presets a dtype can hold: integer tensors take pixel values as they are."""
    if np.dtype(numpy_name(dtype)).kind in "iu":
        return ("0-255",)
    return tuple(PRESETS)


def starting_preset(dtype: str, scaling: InputScaling | None) -> Preset:
    """The preset an image input starts with: 0–255 where the dtype holds whole numbers or
    the graph scales raw pixel values itself (``scaling``, from
    :func:`explorer.graph.input_scaling.input_scaling`); else 0–1 (the commonest range of
    models that leave scaling to their training preprocessing; the user says which it is)."""
    presets = presets_for(dtype)
    if len(presets) == 1 or (scaling is not None and scaling.takes_raw_pixels):
        return presets[0] if len(presets) == 1 else "0-255"
    return "0-1"


def image_pixels(image: ImageFile, settings: PixelSettings) -> np.ndarray:
    """One image as ``[height, width, channels]`` of the settings' dtype and value range.

    Raises:
        InputError: a size out of range, a preset the channels or dtype cannot take, or an
            integer dtype that cannot hold pixel values.
    """
    height, width, channels = settings.height, settings.width, settings.channels
    if not (1 <= height <= MAX_SIDE and 1 <= width <= MAX_SIDE):
        raise InputError(
            f"An image size of {height}×{width} is out of range: give 1 to {MAX_SIDE} pixels "
            "for height and width."
        )
    if channels not in _MODES:
        raise InputError(f"Images have 1, 3 or 4 channels; the input has {channels}.")
    if settings.preset in ("caffe", "torch") and channels != 3:
        raise InputError(
            f'The "{settings.preset}" preset is for RGB images (3 channels); this input has '
            f"{channels}. Choose 0–255, 0–1 or −1–1."
        )
    dtype = np.dtype(numpy_name(settings.dtype))
    if dtype.kind in "iu" and settings.preset != "0-255":
        raise InputError(f"{settings.dtype} holds whole numbers: only the 0–255 preset fits it.")
    if dtype.kind in "iu" and np.iinfo(dtype).max < 255:
        raise InputError(f"{settings.dtype} cannot hold pixel values up to 255.")
    picture = Image.fromarray(image.pixels[:, :, 0] if image.pixels.shape[2] == 1 else image.pixels)
    picture = picture.convert(_MODES[channels])
    if settings.fit == "crop":
        picture = _centre_crop(picture, width / height)
    if picture.size != (width, height):
        picture = picture.resize((width, height), Image.Resampling.BILINEAR)
    values = np.asarray(picture, dtype=np.float64)
    if values.ndim == 2:
        values = values[:, :, None]
    return _scaled(values, settings.preset).astype(dtype)


def value_range(preset: Preset) -> str:
    """The values a preset gives, for people: ``"0 to 1"``."""
    return {
        "0-255": "0 to 255",
        "0-1": "0 to 1",
        "-1-1": "−1 to 1",
        "caffe": "about −124 to 152 (BGR, mean subtracted)",
        "torch": "about −2.1 to 2.6 (mean/std per channel)",
    }[preset]


def encoded_bytes(data: bytes, formats: frozenset[str], name: str = "") -> tuple[bytes, str, bool]:
    """The file's bytes for a graph that decodes them: as they are when a decoder reads its
    format, else re-encoded (PNG, or JPEG for a JPEG-only decoder).

    Returns:
        (bytes, format sent, whether it was re-encoded).

    Raises:
        InputError: the file is not a readable image.
    """
    image = read_image(data, name)
    if not formats or image.format in formats:
        return data, image.format, False
    target = "PNG" if "PNG" in formats else "JPEG" if "JPEG" in formats else sorted(formats)[0]
    pixels = image.pixels[:, :, 0] if image.pixels.shape[2] == 1 else image.pixels
    picture = Image.fromarray(pixels)
    if target == "JPEG" and picture.mode == "RGBA":
        picture = picture.convert("RGB")
    buffer = io.BytesIO()
    picture.save(buffer, format=target)
    return buffer.getvalue(), target, True


def _centre_crop(picture: Image.Image, aspect: float) -> Image.Image:
    width, height = picture.size
    if width / height > aspect:
        keep = max(1, round(height * aspect))
        left = (width - keep) // 2
        return picture.crop((left, 0, left + keep, height))
    keep = max(1, round(width / aspect))
    top = (height - keep) // 2
    return picture.crop((0, top, width, top + keep))


def _scaled(values: np.ndarray, preset: Preset) -> np.ndarray:
    scaled: np.ndarray
    if preset == "0-255":
        scaled = values
    elif preset == "0-1":
        scaled = values / 255.0
    elif preset == "-1-1":
        scaled = values / 127.5 - 1.0
    elif preset == "caffe":
        scaled = values[:, :, ::-1] - _CAFFE_MEAN_BGR
    else:
        scaled = (values / 255.0 - _TORCH_MEAN) / _TORCH_STD
    return scaled
