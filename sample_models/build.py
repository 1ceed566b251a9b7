"""Build the sample SavedModels in this folder, and declare what each one contains.

Run ``python sample_models/build.py [NAME ...]``: it deletes the generated folders named
in ``SAMPLES`` (or only those named) and rebuilds them (no downloads, no randomness; a few
seconds). Importing this module does not import TensorFlow, so ``SAMPLES`` can be
checked against the committed folders by a TensorFlow-free reader
(``tests/explorer/test_samples.py``).

The models and their maths (weights live in ``_tf1_samples.py`` / ``_tf2_samples.py``):

flowers_tf1 (TF1 builder)
    A 4x4 grayscale image x (16 floats). ``pool`` = 2x2 mean-pool → quadrant means
    q = [top-left, top-right, bottom-left, bottom-right]; scores = softmax(q·W + b)
    over ("daisy", "rose", "tulip"): daisy likes a bright top half, rose a bright left
    half, tulip a bright bottom half. Brightness = mean of the 16 pixels. Classify and
    regress read the image from tf.Example feature ``image`` (float, 16 values).

tabular_churn (TF2 tf.Module)
    tf.Example features: monthly_charges (float, required), tenure_months (int64,
    required), age (float, default 40), plan (string, default "basic", looked up in the
    asset ``plan_vocab.txt`` = basic, standard, premium; unknown → no plan one-hot).
    x = [monthly_charges/100, age/100, tenure_months/12, one_hot(plan)];
    p = sigmoid(x·[1.5, -1, -0.8, 0.5, 0, -0.5] - 0.5); scores = [1 - p, p] over
    ("stay", "churn"); lifetime value = monthly_charges * 24 * (1 - p).

keras_multi_io (Keras 3 ExportArchive)
    bucket = to_hash_bucket_fast(country, 8); e = Embedding(8, 4)[bucket];
    embedding = tanh([age/100, log(1 + clicks), e]·W1 + b1) (4 floats);
    probability = sigmoid(embedding·w2 + b2). Weights ~ N(0, 0.5) from numpy seed
    20240611, rounded to 2 decimals. ``embed_only`` takes only country (age = clicks =
    0); ``flag`` adds flagged = probability >= threshold (threshold defaults to 0.5).

sparse_ragged_tf1 (TF1 builder)
    item_id_sum[r] = sum of the sparse item_ids in row r (int64);
    rating_sum[r] = sum of the ragged ratings in row r (float; 0 for an empty row).

unsafe_read_file (TF2 tf.Module)
    read_file: contents = ReadFile(path), any file the server can read.
    serving_default: y = 2x (never touches ReadFile).

portable_linear (TF Serving base folder, versions 1, 2 and 3)
    y = 0.5x + 2 in versions 1 and 2; version 1 saved by the TF1 builder (``x:0`` →
    ``y:0``), version 2 by tf.saved_model.save (``serving_default_x:0`` →
    ``StatefulPartitionedCall:0``): a safe swap, clients keep working. Version 3 takes
    two features per row, x (-1, 2): y = 0.5·x0 + 0.25·x1 + 2 (TF2 save), a breaking
    change for every client of versions 1 and 2.

After building, ``make_cases.py`` writes ``cases.jsonl`` beside flowers_tf1 and
portable_linear: replayable request/response pairs recorded from the real models (data
for ``python -m explorer replay``, not part of any SavedModel; TensorFlow ignores them).
Then ``make_warmup.py`` writes each portable_linear version's TF Serving warmup file,
``assets.extra/tf_serving_warmup_requests``, from the requests ``warmup`` declares.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

PREDICT = "tensorflow/serving/predict"
CLASSIFY = "tensorflow/serving/classify"
REGRESS = "tensorflow/serving/regress"
INIT_OP = "__saved_model_init_op"

# A shape: None means unknown rank; a None dim means -1.
Shape = tuple[int | None, ...] | None


@dataclass(frozen=True)
class TensorDecl:
    """One TensorInfo exactly as TF writes it into the SignatureDef."""

    dtype: str  # DataType enum name; DT_INVALID where TF leaves it unset
    shape: Shape
    # "name" (dense), "coo_sparse" or "composite_tensor".
    encoding: str = "name"
    # Graph tensor name of a dense TensorInfo.
    name: str | None = None
    # coo_sparse: (values, indices, dense_shape) tensor names;
    # composite_tensor: its component tensor names, in order.
    components: tuple[str, ...] = ()


@dataclass(frozen=True)
class SignatureDecl:
    method_name: str
    inputs: dict[str, TensorDecl]
    outputs: dict[str, TensorDecl]
    # Input keys with a default value in SignatureDef.defaults.
    defaults: tuple[str, ...] = ()


Signatures = dict[str, SignatureDecl]


@dataclass(frozen=True)
class SampleSpec:
    name: str  # folder name under sample_models/
    description: str  # one line: what it computes
    why: str  # one line: what it exercises in the explorer
    # "module:function" in this folder, called with the sample's folder; for a
    # versioned sample one per version, called with the version folder.
    builder: str | dict[int, str]
    # Unversioned samples: signature key → declaration.
    signatures: Signatures = field(default_factory=dict)
    # TF Serving base folders: version number → signatures.
    versions: dict[int, Signatures] = field(default_factory=dict)
    assets: tuple[str, ...] = ()  # file names under assets/ (all versions)
    # Version → TF Serving's warmup requests as (method, REST body): make_warmup.py writes
    # them to <version>/assets.extra/tf_serving_warmup_requests, converted as TF Serving's
    # REST handler would.
    warmup: dict[int, tuple[tuple[str, dict[str, Any]], ...]] = field(default_factory=dict)

    @property
    def versioned(self) -> bool:
        return bool(self.versions)

    def signature_maps(self) -> dict[int | None, Signatures]:
        """Version → signatures; the single key None for an unversioned sample."""
        return dict(self.versions) if self.versioned else {None: self.signatures}


def dense(dtype: str, shape: Shape, name: str) -> TensorDecl:
    return TensorDecl(dtype=dtype, shape=shape, name=name)


def _f32(shape: Shape, name: str) -> TensorDecl:
    return dense("DT_FLOAT", shape, name)


def _str(shape: Shape, name: str) -> TensorDecl:
    return dense("DT_STRING", shape, name)


# Every TF2 save adds this: method_name "", no inputs, and one output naming the init
# op (a NoOp whose control inputs run table/asset initialisers) with no dtype.
TF2_INIT_OP: Signatures = {
    INIT_OP: SignatureDecl("", {}, {INIT_OP: TensorDecl("DT_INVALID", None, "name", "NoOp")})
}

_FLOWER_EXAMPLES = _str((None,), "from_examples/tf_examples:0")
_FLOWER_PREDICT = SignatureDecl(
    PREDICT,
    {"images": _f32((None, 4, 4, 1), "images:0")},
    {"scores": _f32((None, 3), "scores:0")},
)

FLOWERS = SampleSpec(
    name="flowers_tf1",
    description="Softmax over 2x2 mean-pooled 4x4 images: daisy / rose / tulip.",
    why="TF1 builder; classify, regress and predict signatures over one graph.",
    builder="_tf1_samples:build_flowers",
    signatures={
        "classify_images": SignatureDecl(
            CLASSIFY,
            {"inputs": _FLOWER_EXAMPLES},
            {
                "classes": _str((None, 3), "from_examples/classes:0"),
                "scores": _f32((None, 3), "from_examples/scores:0"),
            },
        ),
        "regress_brightness": SignatureDecl(
            REGRESS,
            {"inputs": _FLOWER_EXAMPLES},
            {"outputs": _f32((None, 1), "from_examples/brightness:0")},
        ),
        "predict_images": _FLOWER_PREDICT,
        "serving_default": _FLOWER_PREDICT,
    },
)

_CHURN_INPUTS = {"inputs": _str((None,), "serving_default_inputs:0")}
TABULAR_CHURN = SampleSpec(
    name="tabular_churn",
    description="Churn probability and 24-month value from tf.Example customer rows.",
    why="TF2 predict-method signatures shaped for Classify/Regress; asset vocabulary.",
    builder="_tf2_samples:build_churn",
    signatures={
        **TF2_INIT_OP,
        "serving_default": SignatureDecl(
            PREDICT,
            _CHURN_INPUTS,
            {
                "classes": _str((None, 2), "StatefulPartitionedCall_1:0"),
                "scores": _f32((None, 2), "StatefulPartitionedCall_1:1"),
            },
        ),
        "regress_lifetime_value": SignatureDecl(
            PREDICT,
            {"inputs": _str((None,), "regress_lifetime_value_inputs:0")},
            {"outputs": _f32((None, 1), "StatefulPartitionedCall:0")},
        ),
    },
    assets=("plan_vocab.txt",),
)


def _keras_features(prefix: str) -> dict[str, TensorDecl]:
    return {
        "age": _f32((None, 1), f"{prefix}_age:0"),
        "clicks": dense("DT_INT64", (None, 1), f"{prefix}_clicks:0"),
        "country": _str((None, 1), f"{prefix}_country:0"),
    }


KERAS_MULTI_IO = SampleSpec(
    name="keras_multi_io",
    description="Keras model: age, clicks, hashed country → probability and embedding.",
    why="Keras 3 export; several named inputs/outputs, int64/string inputs, a default.",
    builder="_tf2_samples:build_keras_multi_io",
    signatures={
        **TF2_INIT_OP,
        "serving_default": SignatureDecl(
            PREDICT,
            _keras_features("serving_default"),
            {
                "embedding": _f32((None, 4), "StatefulPartitionedCall_2:0"),
                "probability": _f32((None, 1), "StatefulPartitionedCall_2:1"),
            },
        ),
        "embed_only": SignatureDecl(
            PREDICT,
            {"country": _str((None, 1), "embed_only_country:0")},
            {"embedding": _f32((None, 4), "StatefulPartitionedCall:0")},
        ),
        "flag": SignatureDecl(
            PREDICT,
            {**_keras_features("flag"), "threshold": _f32((), "flag_threshold:0")},
            {
                "flagged": dense("DT_BOOL", (None, 1), "StatefulPartitionedCall_1:0"),
                "probability": _f32((None, 1), "StatefulPartitionedCall_1:1"),
            },
            defaults=("threshold",),
        ),
    },
)

# A SparseTensor keeps dtype and dense shape on the TensorInfo itself.
_ITEM_IDS = TensorDecl(
    "DT_INT64",
    (None, None),
    encoding="coo_sparse",
    components=("item_ids/values:0", "item_ids/indices:0", "item_ids/shape:0"),
)
# A RaggedTensor is a composite: TF writes no dtype or shape on the TensorInfo (they
# live in the type_spec), only its components (flat_values, row_splits).
_RATINGS = TensorDecl(
    "DT_INVALID",
    None,
    encoding="composite_tensor",
    components=("ratings/flat_values:0", "ratings/row_splits_0:0"),
)
# SparseReduceSum over a fed dense_shape: TF cannot infer the rank.
_ITEM_ID_SUM = dense("DT_INT64", None, "item_id_sum:0")
_RATING_SUM = _f32((None,), "rating_sum:0")

SPARSE_RAGGED = SampleSpec(
    name="sparse_ragged_tf1",
    description="Per-row sums of a sparse int64 input and a ragged float input.",
    why="coo_sparse and composite_tensor TensorInfos; an unknown-rank output.",
    builder="_tf1_samples:build_sparse_ragged",
    signatures={
        "serving_default": SignatureDecl(
            PREDICT,
            {"item_ids": _ITEM_IDS, "ratings": _RATINGS},
            {"item_id_sum": _ITEM_ID_SUM, "rating_sum": _RATING_SUM},
        ),
        "sum_item_ids": SignatureDecl(
            PREDICT, {"item_ids": _ITEM_IDS}, {"item_id_sum": _ITEM_ID_SUM}
        ),
        "sum_ratings": SignatureDecl(PREDICT, {"ratings": _RATINGS}, {"rating_sum": _RATING_SUM}),
    },
)

UNSAFE_READ_FILE = SampleSpec(
    name="unsafe_read_file",
    description="read_file returns a file's bytes (ReadFile op); serving_default: 2x.",
    why="The unsafe-op scanner must flag ReadFile, and only on read_file's path.",
    builder="_tf2_samples:build_unsafe_read_file",
    signatures={
        **TF2_INIT_OP,
        "read_file": SignatureDecl(
            PREDICT,
            {"path": _str((), "read_file_path:0")},
            {"contents": _str((), "PartitionedCall:0")},
        ),
        "serving_default": SignatureDecl(
            PREDICT,
            {"x": _f32((None, 1), "serving_default_x:0")},
            {"y": _f32((None, 1), "PartitionedCall_1:0")},
        ),
    },
)

_LINEAR_WARMUP: tuple[tuple[str, dict[str, Any]], ...] = (
    ("predict", {"instances": [[1.0], [2.0]]}),
    ("predict", {"signature_name": "serving_default", "inputs": {"x": [[0.5]]}}),
)

PORTABLE_LINEAR = SampleSpec(
    name="portable_linear",
    description="y = 0.5x + 2 as TF Serving versions 1 (TF1 builder) and 2 (TF2 save); "
    "version 3 takes two features (a breaking change).",
    why="Versioned base folder; 1 → 2 only renames tensors, 2 → 3 breaks clients.",
    builder={
        1: "_tf1_samples:build_linear",
        2: "_tf2_samples:build_linear",
        3: "_tf2_samples:build_linear_v3",
    },
    versions={
        1: {
            "serving_default": SignatureDecl(
                PREDICT, {"x": _f32((None, 1), "x:0")}, {"y": _f32((None, 1), "y:0")}
            )
        },
        2: {
            **TF2_INIT_OP,
            "serving_default": SignatureDecl(
                PREDICT,
                {"x": _f32((None, 1), "serving_default_x:0")},
                {"y": _f32((None, 1), "StatefulPartitionedCall:0")},
            ),
        },
        3: {
            **TF2_INIT_OP,
            "serving_default": SignatureDecl(
                PREDICT,
                {"x": _f32((None, 2), "serving_default_x:0")},
                {"y": _f32((None, 1), "StatefulPartitionedCall:0")},
            ),
        },
    },
    # A batch of two rows and one of a single row, so both batch sizes are warm.
    warmup={
        1: _LINEAR_WARMUP,
        2: _LINEAR_WARMUP,
        3: (
            ("predict", {"instances": [[1.0, 2.0], [3.0, 4.0]]}),
            ("predict", {"signature_name": "serving_default", "inputs": {"x": [[0.5, 0.5]]}}),
        ),
    },
)

SAMPLES: tuple[SampleSpec, ...] = (
    FLOWERS,
    TABULAR_CHURN,
    KERAS_MULTI_IO,
    SPARSE_RAGGED,
    UNSAFE_READ_FILE,
    PORTABLE_LINEAR,
)


def _builder(ref: str) -> Callable[[Path], None]:
    module_name, function = ref.split(":")
    return getattr(_local_module(module_name), function)


def _local_module(module_name: str) -> Any:
    # As a script, this folder is sys.path[0]; imported, we are in a package.
    package = __package__ or None
    return importlib.import_module(f"{package}.{module_name}" if package else module_name)


def build_sample(spec: SampleSpec, out_dir: Path = HERE) -> Path:
    """(Re)build one sample under ``out_dir``; returns its folder."""
    target = out_dir / spec.name
    shutil.rmtree(target, ignore_errors=True)
    if isinstance(spec.builder, dict):
        for version, ref in spec.builder.items():
            _builder(ref)(target / str(version))
    else:
        _builder(spec.builder)(target)
    return target


def folder_size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())


def _quiet_tensorflow() -> None:
    # Must happen before TensorFlow is first imported to silence its C++ start-up logs.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")


def main(out_dir: Path = HERE, names: tuple[str, ...] = ()) -> int:
    """Build every sample (or only ``names``) under ``out_dir``, then record its cases."""
    unknown = sorted(set(names) - {s.name for s in SAMPLES})
    if unknown:
        print(f"Unknown sample(s): {', '.join(unknown)}", file=sys.stderr)
        return 2
    _quiet_tensorflow()
    started, total = time.perf_counter(), 0
    for spec in (s for s in SAMPLES if not names or s.name in names):
        tick = time.perf_counter()
        size = folder_size(build_sample(spec, out_dir))
        total += size
        print(f"{spec.name:<20} {size / 1024:7.1f} KiB  {time.perf_counter() - tick:5.2f} s")
    elapsed = time.perf_counter() - started
    print(f"{'total':<20} {total / 1024:7.1f} KiB  {elapsed:5.2f} s")
    # build_sample() deleted each folder, cases.jsonl with it: record them again.
    for written in _local_module("make_cases").write_cases(out_dir, names):
        print(f"cases: {written}")
    # And the warmup files under each version's assets.extra/ (no TensorFlow needed).
    for written in _local_module("make_warmup").write_warmup(out_dir, names):
        print(f"warmup: {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main(names=tuple(sys.argv[1:])))
