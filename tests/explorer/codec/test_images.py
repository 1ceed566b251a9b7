"""Image files as inputs: read upright, resized, channels matched, cast and scaled by the
presets image models are trained with; bombs and non-images refused with a message."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from explorer.codec.images import (
    MAX_PIXELS,
    PixelSettings,
    encoded_bytes,
    image_pixels,
    presets_for,
    read_image,
)
from explorer.errors import InputError


def _file(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _pixel(rgb: tuple[int, int, int], preset: str) -> np.ndarray:
    picture = read_image(_file(Image.new("RGB", (8, 6), rgb), "PNG"))
    settings = PixelSettings(4, 4, 3, "DT_FLOAT", preset)  # type: ignore[arg-type]
    return image_pixels(picture, settings)[0, 0]


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("0-255", [255.0, 128.0, 0.0]),
        ("0-1", [1.0, 128 / 255, 0.0]),
        ("-1-1", [1.0, 128 / 127.5 - 1, -1.0]),
        # Keras' "caffe" mode: BGR order, ImageNet's mean subtracted per channel.
        ("caffe", [0.0 - 103.939, 128.0 - 116.779, 255.0 - 123.68]),
        # Keras' "torch" mode: 0-1, then ImageNet's mean and std per channel.
        ("torch", [(1 - 0.485) / 0.229, (128 / 255 - 0.456) / 0.224, (0 - 0.406) / 0.225]),
    ],
)
def test_presets_scale_as_keras_preprocessing_does(preset: str, expected: list[float]) -> None:
    assert _pixel((255, 128, 0), preset) == pytest.approx(expected, abs=1e-5)


def test_every_format_is_resized_to_the_size_and_channels_asked() -> None:
    photo = Image.linear_gradient("L").resize((300, 200)).convert("RGB")
    for fmt in ("PNG", "JPEG", "WEBP", "BMP"):
        picture = read_image(_file(photo, fmt), f"x.{fmt.lower()}")
        assert (picture.format, picture.size) == (fmt, (300, 200))
        array = image_pixels(picture, PixelSettings(224, 224, 3, "DT_FLOAT", "0-1"))
        assert (array.shape, array.dtype) == ((224, 224, 3), np.float32)
        assert array.min() >= 0.0
        assert array.max() <= 1.0
    grey = image_pixels(
        read_image(_file(photo, "PNG")), PixelSettings(10, 20, 1, "DT_UINT8", "0-255")
    )
    assert (grey.shape, grey.dtype) == ((10, 20, 1), np.uint8)
    rgba = image_pixels(read_image(_file(photo, "PNG")), PixelSettings(5, 5, 4, "DT_FLOAT"))
    assert rgba.shape == (5, 5, 4)
    assert rgba[..., 3] == pytest.approx(1.0)  # opaque


def test_centre_crop_keeps_the_middle() -> None:
    # Left third red, middle green, right third blue: a square crop keeps only green.
    stripes = np.zeros((100, 300, 3), np.uint8)
    stripes[:, :100, 0] = stripes[:, 100:200, 1] = stripes[:, 200:, 2] = 255
    picture = read_image(_file(Image.fromarray(stripes), "PNG"))
    cropped = image_pixels(picture, PixelSettings(10, 10, 3, "DT_UINT8", "0-255", "crop"))
    assert (cropped[..., 1] > 200).all()
    stretched = image_pixels(picture, PixelSettings(10, 30, 3, "DT_UINT8", "0-255", "stretch"))
    assert stretched[5, 0, 0] > 200
    assert stretched[5, -1, 2] > 200


def test_exif_orientation_turns_a_photo_upright() -> None:
    wide = Image.new("RGB", (40, 20), (10, 20, 30))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90° clockwise: upright, it is 20 wide and 40 high
    picture = read_image(_file(wide, "JPEG", exif=exif.tobytes()))
    assert picture.pixels.shape[:2] == (40, 20)


def test_integer_inputs_take_pixel_values_only() -> None:
    assert presets_for("DT_UINT8") == ("0-255",)
    assert "caffe" in presets_for("DT_FLOAT")
    picture = read_image(_file(Image.new("RGB", (4, 4)), "PNG"))
    with pytest.raises(InputError, match="only the 0–255 preset fits it"):
        image_pixels(picture, PixelSettings(4, 4, 3, "DT_INT32", "0-1"))
    with pytest.raises(InputError, match="cannot hold pixel values up to 255"):
        image_pixels(picture, PixelSettings(4, 4, 3, "DT_INT8", "0-255"))
    with pytest.raises(InputError, match='"caffe" preset is for RGB images'):
        image_pixels(picture, PixelSettings(4, 4, 1, "DT_FLOAT", "caffe"))


def test_what_is_not_an_image_is_refused_with_a_message() -> None:
    with pytest.raises(InputError, match="not an image file Pillow can read"):
        read_image(b"%PDF-1.4 not a picture", "notes.pdf")
    with pytest.raises(InputError, match="TIFF images are not read here"):
        read_image(_file(Image.new("RGB", (2, 2)), "TIFF"), "x.tiff")


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    side = int(MAX_PIXELS**0.5) + 10
    bomb = _file(Image.new("1", (side, side)), "PNG", optimize=True)  # tiny file, huge image
    assert len(bomb) < 200_000
    with pytest.raises(InputError, match="more than the 64,000,000 read here"):
        read_image(bomb, "bomb.png")


def test_encoded_bytes_are_kept_or_re_encoded_for_the_graphs_decoder() -> None:
    png = _file(Image.new("RGB", (3, 3), (1, 2, 3)), "PNG")
    assert encoded_bytes(png, frozenset({"PNG", "JPEG"})) == (png, "PNG", False)
    sent, fmt, converted = encoded_bytes(png, frozenset({"JPEG"}))
    assert (fmt, converted) == ("JPEG", True)
    assert read_image(sent).format == "JPEG"
