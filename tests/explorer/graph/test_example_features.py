"""Reading the tf.Example features a signature parses, from its graph, without TensorFlow:
TF1 ParseExample in the top-level graph, ParseExampleV2 behind StatefulPartitionedCall in
a TF2 function library, and hand-built graphs for sparse, ragged and ParseSingleExample."""

from __future__ import annotations

from pathlib import Path

from google.protobuf import text_format

from explorer.codec import tf_example
from explorer.graph.example_features import ExampleFeature, example_template, expected_features
from explorer.model import protos
from explorer.model.info import MetaGraphInfo, SignatureInfo, TensorInfo
from explorer.model.reader import read_model

SAMPLES = Path(__file__).resolve().parents[3] / "sample_models"


def _features(path: Path, key: str) -> tuple[ExampleFeature, ...]:
    meta_graph = read_model(path).meta_graph()
    return expected_features(meta_graph, meta_graph.signature(key))


def test_tf1_parse_example_in_the_top_level_graph(half_plus_two_2_versions: Path) -> None:
    features = _features(half_plus_two_2_versions, "classify_x_to_y")
    assert features == (
        ExampleFeature("x", "DT_FLOAT", (1,), None, required=True),
        # The default comes through a Reshape of a Const.
        ExampleFeature("x2", "DT_FLOAT", (1,), (0.0,)),
    )
    assert example_template(features) == {"x": 0.0, "x2": 0.0}


def test_inputs_that_are_not_parsed_have_no_features(half_plus_two_2_versions: Path) -> None:
    assert _features(half_plus_two_2_versions, "classify_x2_to_y3") == ()
    assert _features(half_plus_two_2_versions, "serving_default") == ()


def test_tf2_parse_example_inside_a_called_function() -> None:
    features = {f.name: f for f in _features(SAMPLES / "tabular_churn", "serving_default")}
    assert features["age"] == ExampleFeature("age", "DT_FLOAT", (1,), (40.0,))
    assert features["plan"].default == (b"basic",)
    assert features["monthly_charges"].required
    assert features["tenure_months"].dtype == "DT_INT64"
    assert features["tenure_months"].list_kind == "int64_list"
    template = example_template(features.values())
    assert template == {"age": 40.0, "monthly_charges": 0.0, "plan": "basic", "tenure_months": 0}


def test_parse_example_v2_with_a_vector_feature() -> None:
    (image,) = _features(SAMPLES / "flowers_tf1", "classify_images")
    assert (image.name, image.shape, image.required) == ("image", (16,), True)
    assert example_template([image]) == {"image": [0.0] * 16}


# A hand-built MetaGraph: the serialized input reaches a PartitionedCall as its *second*
# argument; the function parses sparse, ragged and dense features with ParseExampleV2.
_GRAPH = """
graph_def {
  node { name: "other" op: "Placeholder" attr { key: "dtype" value { type: DT_FLOAT } } }
  node { name: "serialized" op: "Placeholder" attr { key: "dtype" value { type: DT_STRING } } }
  node { name: "call" op: "PartitionedCall" input: "other" input: "serialized"
         attr { key: "f" value { func { name: "parse_fn" } } } }
  node { name: "single" op: "ParseSingleExample" input: "serialized" input: "d0"
         attr { key: "dense_keys" value { list { s: "score" } } }
         attr { key: "sparse_keys" value { list { s: "ids" } } }
         attr { key: "Tdense" value { list { type: DT_FLOAT } } }
         attr { key: "sparse_types" value { list { type: DT_INT64 } } }
         attr { key: "dense_shapes" value { list { shape { dim { size: 2 } } } } } }
  node { name: "d0" op: "Const" attr { key: "value" value { tensor {
         dtype: DT_FLOAT tensor_shape { dim { size: 2 } } float_val: 0.5 } } } }
  library {
    function {
      signature { name: "parse_fn" input_arg { name: "unused" type: DT_FLOAT }
                  input_arg { name: "examples" type: DT_STRING } }
      node_def { name: "names" op: "Const"
                 attr { key: "value" value { tensor { dtype: DT_STRING } } } }
      node_def { name: "sk" op: "Const" attr { key: "value" value { tensor {
                 dtype: DT_STRING tensor_shape { dim { size: 1 } } string_val: "tags" } } } }
      node_def { name: "dk" op: "Const" attr { key: "value" value { tensor {
                 dtype: DT_STRING tensor_shape { dim { size: 1 } } string_val: "lang" } } } }
      node_def { name: "rk" op: "Const" attr { key: "value" value { tensor {
                 dtype: DT_STRING tensor_shape { dim { size: 1 } } string_val: "words" } } } }
      node_def { name: "dd" op: "Const" attr { key: "value" value { tensor {
                 dtype: DT_STRING tensor_shape { dim { size: 1 } } string_val: "en" } } } }
      node_def { name: "id" op: "Identity" input: "examples" }
      node_def { name: "parse" op: "ParseExampleV2"
                 input: "id:output:0" input: "names:output:0" input: "sk:output:0"
                 input: "dk:output:0" input: "rk:output:0" input: "dd:output:0"
                 attr { key: "Tdense" value { list { type: DT_STRING } } }
                 attr { key: "num_sparse" value { i: 1 } }
                 attr { key: "sparse_types" value { list { type: DT_STRING } } }
                 attr { key: "ragged_value_types" value { list { type: DT_FLOAT } } }
                 attr { key: "ragged_split_types" value { list { type: DT_INT64 } } }
                 attr { key: "dense_shapes" value { list { shape { } } } } }
    }
  }
}
"""


def _hand_built() -> tuple[MetaGraphInfo, SignatureInfo]:
    proto = protos.message_class("tensorflow.MetaGraphDef")()
    text_format.Parse(_GRAPH, proto, descriptor_pool=proto.DESCRIPTOR.file.pool)
    tensor = TensorInfo("inputs", "name", "serialized:0", "DT_STRING", (None,))
    signature = SignatureInfo("s", "tensorflow/serving/classify", (tensor,), ())
    meta_graph = MetaGraphInfo(("serve",), "", "", (signature,), 0, 1, 7, (), proto)
    return meta_graph, signature


def test_follows_call_arguments_into_functions_and_reads_every_kind() -> None:
    meta_graph, signature = _hand_built()
    features = {f.name: f for f in expected_features(meta_graph, signature)}
    assert features["lang"] == ExampleFeature("lang", "DT_STRING", (), (b"en",))
    assert features["tags"] == ExampleFeature("tags", "DT_STRING", None, None, kind="sparse")
    assert features["words"] == ExampleFeature("words", "DT_FLOAT", None, None, kind="ragged")
    # ParseSingleExample keeps its keys in attrs; a short float_val fills the shape.
    assert features["score"] == ExampleFeature("score", "DT_FLOAT", (2,), (0.5, 0.5))
    assert features["ids"].kind == "sparse"
    template = example_template(features.values())
    assert template == {"lang": "en", "tags": [""], "words": [0.0], "score": [0.5, 0.5], "ids": [0]}
    # The template is valid TF Serving JSON: it becomes a tf.Example unchanged.
    tf_example.example_from_json(template)


def test_a_looked_up_string_feature_offers_the_vocabulary_asset() -> None:
    features = {f.name: f for f in _features(SAMPLES / "tabular_churn", "serving_default")}
    plan = features["plan"].vocabulary
    assert plan is not None
    assert plan.values == ("basic", "standard", "premium")
    assert plan.source == 'the asset "plan_vocab.txt"'
    assert (plan.knows("premium"), plan.knows("gold")) == (True, False)
    assert features["age"].vocabulary is None  # floats are not looked up


# A TF2-shaped graph: the table is created at the top level and filled by an initializer
# function from a Const key list (KeyValueTensorInitializer, Keras' StringLookup); the
# serving function gets the table handle as an argument and looks the parsed feature up.
_TABLE_GRAPH = """
graph_def {
  node { name: "serving_default_inputs" op: "Placeholder"
         attr { key: "dtype" value { type: DT_STRING } } }
  node { name: "hash_table" op: "HashTableV2" }
  node { name: "keys" op: "Const" attr { key: "value" value { tensor { dtype: DT_STRING
         tensor_shape { dim { size: 4 } }
         string_val: "Private" string_val: "Self-emp" string_val: "Gov" string_val: "Never-worked"
         } } } }
  node { name: "ids" op: "Const" attr { key: "value" value { tensor { dtype: DT_INT64
         tensor_shape { dim { size: 4 } } int64_val: 0 int64_val: 1 int64_val: 2 int64_val: 3
         } } } }
  node { name: "init" op: "StatefulPartitionedCall" input: "hash_table" input: "keys"
         input: "ids" attr { key: "f" value { func { name: "initializer" } } } }
  node { name: "call" op: "StatefulPartitionedCall" input: "serving_default_inputs"
         input: "hash_table" attr { key: "f" value { func { name: "serve" } } } }
  library {
    function {
      signature { name: "initializer" input_arg { name: "table" type: DT_RESOURCE }
                  input_arg { name: "k" type: DT_STRING } input_arg { name: "v" type: DT_INT64 } }
      node_def { name: "import" op: "LookupTableImportV2" input: "table" input: "k"
                 input: "v" }
    }
    function {
      signature { name: "serve" input_arg { name: "examples" type: DT_STRING }
                  input_arg { name: "handle" type: DT_RESOURCE }
                  output_arg { name: "out" type: DT_INT64 } }
      node_def { name: "names" op: "Const"
                 attr { key: "value" value { tensor { dtype: DT_STRING } } } }
      node_def { name: "none" op: "Const"
                 attr { key: "value" value { tensor { dtype: DT_STRING } } } }
      node_def { name: "dk" op: "Const" attr { key: "value" value { tensor {
                 dtype: DT_STRING tensor_shape { dim { size: 2 } } string_val: "hours"
                 string_val: "workclass" } } } }
      node_def { name: "d0" op: "Const" attr { key: "value" value { tensor {
                 dtype: DT_FLOAT tensor_shape { dim { size: 1 } } float_val: 40 } } } }
      node_def { name: "d1" op: "Const" attr { key: "value" value { tensor {
                 dtype: DT_STRING tensor_shape { dim { size: 1 } } string_val: "Private" } } } }
      node_def { name: "parse" op: "ParseExampleV2"
                 input: "examples" input: "names:output:0" input: "none:output:0"
                 input: "dk:output:0" input: "none:output:0" input: "d0:output:0"
                 input: "d1:output:0"
                 attr { key: "Tdense" value { list { type: DT_FLOAT type: DT_STRING } } }
                 attr { key: "num_sparse" value { i: 0 } }
                 attr { key: "dense_shapes" value { list { shape { dim { size: 1 } } shape {
                        dim { size: 1 } } } } } }
      node_def { name: "squeeze" op: "Squeeze" input: "parse:dense_values:1" }
      node_def { name: "string_lookup/None_Lookup/LookupTableFindV2" op: "LookupTableFindV2"
                 input: "handle" input: "squeeze:output:0" input: "none:output:0" }
      ret { key: "out" value: "string_lookup/None_Lookup/LookupTableFindV2:values:0" }
    }
  }
}
"""


def test_a_key_list_filled_by_an_initializer_function_is_the_vocabulary() -> None:
    proto = protos.message_class("tensorflow.MetaGraphDef")()
    text_format.Parse(_TABLE_GRAPH, proto, descriptor_pool=proto.DESCRIPTOR.file.pool)
    tensor = TensorInfo("inputs", "name", "serving_default_inputs:0", "DT_STRING", (None,))
    signature = SignatureInfo("serving_default", "tensorflow/serving/predict", (tensor,), ())
    meta_graph = MetaGraphInfo(("serve",), "", "", (signature,), 0, 2, 9, (), proto)
    hours, workclass = expected_features(meta_graph, signature)
    assert hours.vocabulary is None
    assert workclass.vocabulary is not None
    assert workclass.vocabulary.values == ("Private", "Self-emp", "Gov", "Never-worked")
    assert workclass.vocabulary.source == "a key list in the graph (StringLookup)"
