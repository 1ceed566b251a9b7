"""Which signature inputs take images, read from their TensorInfo and graph (no TensorFlow).

Two kinds:

- **pixels**: a numeric ``[H, W, C]`` or ``[B, H, W, C]`` tensor with C in 1, 3 or 4 (the
  height and width may be -1: the user then gives them);
- **encoded**: a ``DT_STRING`` input whose bytes the graph decodes with ``DecodeJpeg``,
  ``DecodePng``, ``DecodeImage`` (and friends), possibly inside a ``tf.map_fn`` loop: it
  takes an image file's bytes, which TF Serving's REST API carries as ``{"b64": …}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from explorer.graph.dataflow import dataflow_of
from explorer.model.info import MetaGraphInfo, TensorInfo

# Decoder op → the file formats it reads (Pillow's format names).
DECODERS: dict[str, frozenset[str]] = {
    "DecodeJpeg": frozenset({"JPEG"}),
    "DecodeAndCropJpeg": frozenset({"JPEG"}),
    "DecodePng": frozenset({"PNG"}),
    "DecodeBmp": frozenset({"BMP"}),
    "DecodeGif": frozenset({"GIF"}),
    "DecodeWebP": frozenset({"WEBP"}),
    "DecodeImage": frozenset({"JPEG", "PNG", "GIF", "BMP"}),
}
_PIXEL_DTYPES = frozenset(
    {
        "DT_FLOAT",
        "DT_DOUBLE",
        "DT_HALF",
        "DT_BFLOAT16",
        "DT_UINT8",
        "DT_UINT16",
        "DT_INT8",
        "DT_INT16",
        "DT_INT32",
        "DT_INT64",
    }
)
_CHANNELS = (1, 3, 4)


@dataclass(frozen=True, slots=True)
class ImageInput:
    """How one input takes images."""

    kind: Literal["pixels", "encoded"]
    # Pixels: the signature's height and width (None where it is -1); encoded: None.
    height: int | None = None
    width: int | None = None
    # Pixels: 1 (grey), 3 (RGB) or 4 (RGBA); encoded: what the decoder is asked for (0: as
    # the file is).
    channels: int = 3
    # Pixels: a leading batch dimension ([B, H, W, C]); encoded: a batch of files.
    batched: bool = True
    # Encoded: the decoder ops reached, and the formats every one of them reads.
    decoders: tuple[str, ...] = ()

    @property
    def formats(self) -> frozenset[str]:
        """Encoded: the file formats the graph's decoders all read (empty for pixels)."""
        sets = [DECODERS[d] for d in self.decoders if d in DECODERS]
        return frozenset.intersection(*sets) if sets else frozenset()


def image_input(meta_graph: MetaGraphInfo, info: TensorInfo) -> ImageInput | None:
    """How ``info`` takes images, or None when it does not look like an image input.

    Raises:
        Nothing.
    """
    if info.encoding != "name" or info.shape is None:
        return None
    if info.dtype == "DT_STRING":
        return _encoded(meta_graph, info)
    if info.dtype not in _PIXEL_DTYPES or info.shape[-1:] not in ((1,), (3,), (4,)):
        return None
    if len(info.shape) == 4:
        _, height, width, channels = info.shape
        batched = True
    elif len(info.shape) == 3:
        height, width, channels = info.shape
        batched = False
        # [B, T, C] sequences look alike: an unbatched image states its size, or neither.
        if (height is None) != (width is None):
            return None
    else:
        return None
    assert channels is not None
    if any(d is not None and d < 2 for d in (height, width)):
        return None
    return ImageInput("pixels", height, width, channels, batched)


def _encoded(meta_graph: MetaGraphInfo, info: TensorInfo) -> ImageInput | None:
    if not info.name or meta_graph.proto is None:
        return None
    flow = dataflow_of(meta_graph)
    decoders: list[str] = []
    channels = 0
    for use in flow.consumers(
        flow.port("", info.name), through=lambda use: use.node.op not in DECODERS
    ):
        if use.node.op in DECODERS and use.input_index == 0:
            if use.node.op not in decoders:
                decoders.append(use.node.op)
            if "channels" in use.node.attr:
                channels = channels or int(use.node.attr["channels"].i)
    if not decoders:
        return None
    return ImageInput(
        "encoded", channels=channels, batched=bool(info.shape), decoders=tuple(decoders)
    )
