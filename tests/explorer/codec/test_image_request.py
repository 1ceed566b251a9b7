"""Image files as a predict request (``python -m explorer predict --image``): pixels for a
number input, ``{"b64": …}`` for an input the graph decodes, every misfit a clear error."""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from google.protobuf import text_format
from PIL import Image

from explorer.codec.image_request import ImageFileInput, image_request
from explorer.errors import InputError
from explorer.model import protos
from explorer.model.info import MetaGraphInfo, SignatureInfo, TensorInfo

_GRAPH = """
graph_def {
  node { name: "pixels" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
  node { name: "raw" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
  node { name: "scale" op: "Const" attr { key: "dtype" value { type: DT_FLOAT } }
         attr { key: "value" value { tensor { dtype: DT_FLOAT float_val: 0.00392156863 } } } }
  node { name: "scaled" op: "Mul" input: "raw" input: "scale" }
  node { name: "files" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
  node { name: "decode" op: "DecodeJpeg" input: "files" attr { key: "channels" value { i: 3 } } }
  node { name: "n" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
}
"""
PIXELS = TensorInfo("img", "name", "pixels:0", "DT_FLOAT", (None, 8, 6, 3))
RAW = TensorInfo("raw", "name", "raw:0", "DT_FLOAT", (None, None, None, 3))
FILES = TensorInfo("files", "name", "files:0", "DT_STRING", (None,))
NUMBER = TensorInfo("n", "name", "n:0", "DT_FLOAT", (None, 1))


def _meta_graph() -> MetaGraphInfo:
    proto = protos.message_class("tensorflow.MetaGraphDef")()
    text_format.Parse(_GRAPH, proto, descriptor_pool=proto.DESCRIPTOR.file.pool)
    return MetaGraphInfo(("serve",), "", "", (), 0, 7, 0, (), proto)


def _signature(*inputs: TensorInfo) -> SignatureInfo:
    return SignatureInfo("s", "tensorflow/serving/predict", inputs, ())


def _file(colour: tuple[int, int, int], fmt: str = "PNG", key: str | None = None) -> ImageFileInput:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 40), colour).save(buffer, format=fmt)
    return ImageFileInput(key, f"photo.{fmt.lower()}", buffer.getvalue())


def test_pixel_files_are_a_batch_of_rows_resized_and_scaled() -> None:
    files = [_file((255, 0, 0)), _file((0, 0, 255))]
    body = image_request(_meta_graph(), _signature(PIXELS), files)
    assert body["signature_name"] == "s"
    batch = np.array(body["instances"])
    assert batch.shape == (2, 8, 6, 3)  # the signature's size, whatever the file's
    np.testing.assert_allclose(batch[0, 0, 0], [1.0, 0.0, 0.0])  # 0–1: no graph scaling
    np.testing.assert_allclose(batch[1, 0, 0], [0.0, 0.0, 1.0])
    caffe = image_request(_meta_graph(), _signature(PIXELS), files[:1], preset="caffe")
    np.testing.assert_allclose(caffe["instances"][0][0][0], [-103.939, -116.779, 255 - 123.68])


def test_a_graph_that_scales_raw_pixels_gets_them_as_they_are_at_an_open_size() -> None:
    body = image_request(_meta_graph(), _signature(RAW), [_file((255, 0, 0))], size=(5, 7))
    batch = np.array(body["instances"])
    assert batch.shape == (1, 5, 7, 3)
    np.testing.assert_allclose(batch[0, 0, 0], [255.0, 0.0, 0.0])  # × 1/255 in the graph


def test_an_input_the_graph_decodes_gets_the_file_as_b64() -> None:
    jpeg, png = _file((0, 255, 0), "JPEG"), _file((0, 255, 0), "PNG")
    body = image_request(_meta_graph(), _signature(FILES), [jpeg, png])
    sent = [base64.b64decode(item["b64"]) for item in body["instances"]]
    assert sent[0] == jpeg.data  # a JPEG as it is
    assert Image.open(io.BytesIO(sent[1])).format == "JPEG"  # the PNG, re-encoded for DecodeJpeg


def test_several_image_inputs_go_by_name_in_columns() -> None:
    files = [_file((1, 2, 3), key="img"), _file((4, 5, 6), "JPEG", key="files")]
    body = image_request(_meta_graph(), _signature(PIXELS, FILES), files)
    assert set(body["inputs"]) == {"img", "files"}
    assert np.array(body["inputs"]["img"]).shape == (1, 8, 6, 3)


@pytest.mark.parametrize(
    ("inputs", "files", "message"),
    [
        ((NUMBER,), [_file((0, 0, 0))], 'Signature "s" has no image input'),
        ((PIXELS, NUMBER), [_file((0, 0, 0))], "also takes 'n', which is not an image"),
        ((PIXELS, FILES), [_file((0, 0, 0))], "has 2 image inputs ('img', 'files'): name one"),
        ((PIXELS,), [_file((0, 0, 0), key="x")], "'x' is not an image input of \"s\""),
        ((PIXELS, FILES), [_file((0, 0, 0), key="img")], "No image for input 'files'"),
        ((PIXELS,), [ImageFileInput(None, "notes.txt", b"hello")], "notes.txt: not an image"),
    ],
)
def test_misfits_are_input_errors_that_say_what_to_do(
    inputs: tuple[TensorInfo, ...], files: list[ImageFileInput], message: str
) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        image_request(_meta_graph(), _signature(*inputs), files)


def test_an_unbatched_input_takes_one_file() -> None:
    one = TensorInfo("img", "name", "pixels:0", "DT_FLOAT", (8, 6, 3))
    body = image_request(_meta_graph(), _signature(one), [_file((9, 9, 9))])
    assert np.array(body["inputs"]["img"]).shape == (8, 6, 3)  # columns: no batch
    with pytest.raises(InputError, match="is one image"):
        image_request(_meta_graph(), _signature(one), [_file((9, 9, 9))] * 2)
