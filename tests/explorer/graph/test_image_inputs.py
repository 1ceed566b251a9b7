"""Which inputs take images: pixel tensors by their TensorInfo, encoded files by the decoder
ops the graph runs on them (through calls and loops), read without TensorFlow."""

from __future__ import annotations

from google.protobuf import text_format

from explorer.graph.image_inputs import ImageInput, image_input
from explorer.model import protos
from explorer.model.info import MetaGraphInfo, SignatureInfo, TensorInfo

# Bytes → a call → a While loop (tf.map_fn) whose body decodes each item with DecodeJpeg;
# a second input decoded by DecodePng and DecodeImage; a third one only reshaped.
_GRAPH = """
graph_def {
  node { name: "files" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
  node { name: "png" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
  node { name: "words" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
  node { name: "call" op: "StatefulPartitionedCall" input: "files"
         attr { key: "f" value { func { name: "serve" } } } }
  node { name: "a" op: "DecodePng" input: "png" attr { key: "channels" value { i: 3 } } }
  node { name: "b" op: "DecodeImage" input: "png" }
  node { name: "r" op: "Reshape" input: "words" }
  library {
    function {
      signature { name: "serve" input_arg { name: "x" type: DT_STRING } }
      node_def { name: "loop" op: "While" input: "x"
                 attr { key: "body" value { func { name: "body" } } }
                 attr { key: "cond" value { func { name: "cond" } } } }
    }
    function {
      signature { name: "body" input_arg { name: "item" type: DT_STRING } }
      node_def { name: "get" op: "TensorListGetItem" input: "item" }
      node_def { name: "decode" op: "DecodeJpeg" input: "get:item:0"
                 attr { key: "channels" value { i: 3 } } }
    }
    function { signature { name: "cond" input_arg { name: "item" type: DT_STRING } } }
  }
}
"""


def _meta_graph() -> MetaGraphInfo:
    proto = protos.message_class("tensorflow.MetaGraphDef")()
    text_format.Parse(_GRAPH, proto, descriptor_pool=proto.DESCRIPTOR.file.pool)
    signature = SignatureInfo("s", "tensorflow/serving/predict", (), ())
    return MetaGraphInfo(("serve",), "", "", (signature,), 0, 3, 4, (), proto)


def _string(name: str, shape: tuple[int | None, ...] = (None,)) -> TensorInfo:
    return TensorInfo("in", "name", f"{name}:0", "DT_STRING", shape)


def test_encoded_image_inputs_are_found_by_their_decoders() -> None:
    meta_graph = _meta_graph()
    jpeg = image_input(meta_graph, _string("files"))
    assert jpeg == ImageInput("encoded", channels=3, batched=True, decoders=("DecodeJpeg",))
    assert jpeg.formats == {"JPEG"}
    png = image_input(meta_graph, _string("png", ()))
    assert png is not None
    assert (png.decoders, png.formats, png.batched) == (
        ("DecodePng", "DecodeImage"),
        {"PNG"},
        False,
    )
    assert image_input(meta_graph, _string("words")) is None


def test_pixel_inputs_are_found_by_their_shape() -> None:
    meta_graph = _meta_graph()

    def pixels(dtype: str, shape: tuple[int | None, ...]) -> ImageInput | None:
        return image_input(meta_graph, TensorInfo("x", "name", "x:0", dtype, shape))

    assert pixels("DT_FLOAT", (None, 224, 224, 3)) == ImageInput("pixels", 224, 224, 3, True)
    assert pixels("DT_UINT8", (None, None, None, 3)) == ImageInput("pixels", None, None, 3, True)
    assert pixels("DT_FLOAT", (28, 28, 1)) == ImageInput("pixels", 28, 28, 1, False)
    assert pixels("DT_FLOAT", (None, 4, 4, 1)) is not None  # the flowers sample's 4×4 images
    assert pixels("DT_FLOAT", (None, 10, 3)) is None  # [batch, steps, features]
    assert pixels("DT_FLOAT", (None, 224, 224, 5)) is None
    assert pixels("DT_FLOAT", (None, 1, 1, 3)) is None
    assert pixels("DT_BOOL", (None, 8, 8, 1)) is None
    assert pixels("DT_FLOAT", None) is None
