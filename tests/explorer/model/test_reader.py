"""read_model on TF Serving's anchors and on broken inputs: every failure is a clear message."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.errors import (
    InvalidSavedModelError,
    ModelSourceError,
    UnknownSignatureError,
    UnknownTagSetError,
)
from explorer.model import protos
from explorer.model.reader import read_model
from tests.conftest import REPO, SAMPLES


def test_reads_every_anchor_signature(half_plus_two_cpu: Path) -> None:
    model = read_model(half_plus_two_cpu)
    assert model.name == "saved_model_half_plus_two_cpu"
    assert model.version == 123
    meta_graph = model.meta_graph("serve")
    assert meta_graph.tags == ("serve",)
    assert meta_graph.tensorflow_version == "1.14.0"
    keys = [s.key for s in meta_graph.signatures]
    assert keys == sorted(
        [
            "serving_default",
            "classify_x_to_y",
            "regress_x_to_y",
            "regress_x_to_y2",
            "regress_x2_to_y3",
        ]
    )
    serving = meta_graph.signature("serving_default")
    assert serving.method_name == "tensorflow/serving/predict"
    (x,) = serving.inputs
    assert (x.key, x.name, x.dtype, x.numpy_dtype, x.shape) == (
        "x",
        "x:0",
        "DT_FLOAT",
        "float32",
        (None, 1),
    )
    assert x.shape_text == "(-1, 1)"
    classify = meta_graph.signature("classify_x_to_y")
    assert classify.inputs[0].shape is None  # tf_example:0 has unknown rank
    assert classify.inputs[0].shape_text == "unknown rank"


def test_facts_are_counted_from_the_graph(half_plus_two_cpu: Path) -> None:
    model = read_model(half_plus_two_cpu)
    meta_graph = model.meta_graph()
    assert meta_graph.node_count == len(meta_graph.proto.graph_def.node)
    assert sum(n for _, n in meta_graph.op_histogram) == meta_graph.node_count
    assert meta_graph.op_histogram[0][1] >= meta_graph.op_histogram[-1][1]
    assert model.variables_size_bytes > 0


def test_versioned_base_folder_picks_newest_or_asked(half_plus_two_2_versions: Path) -> None:
    newest = read_model(half_plus_two_2_versions)
    assert (newest.name, newest.version, newest.available_versions) == (
        "saved_model_half_plus_two_2_versions",
        124,
        (123, 124),
    )
    older = read_model(half_plus_two_2_versions, version=123)
    assert older.version == 123
    direct = read_model(half_plus_two_2_versions / "00000123")
    assert (direct.name, direct.version) == ("saved_model_half_plus_two_2_versions", 123)


def test_missing_version_lists_available(half_plus_two_2_versions: Path) -> None:
    with pytest.raises(ModelSourceError, match=r"Version 7 not found.*123, 124"):
        read_model(half_plus_two_2_versions, version=7)


def test_unknown_tag_set_lists_choices(half_plus_two_cpu: Path) -> None:
    with pytest.raises(UnknownTagSetError, match=r"'gpu'.*Available tag-sets: serve"):
        read_model(half_plus_two_cpu).meta_graph("gpu")


def test_unknown_signature_lists_choices(half_plus_two_cpu: Path) -> None:
    with pytest.raises(UnknownSignatureError, match=r'"nope".*serving_default'):
        read_model(half_plus_two_cpu).meta_graph().signature("nope")


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(ModelSourceError, match="Path does not exist"):
        read_model(tmp_path / "absent")


def test_file_instead_of_folder(tmp_path: Path) -> None:
    file = tmp_path / "model.bin"
    file.write_bytes(b"x")
    with pytest.raises(ModelSourceError, match="Not a folder"):
        read_model(file)


def test_folder_without_saved_model(tmp_path: Path) -> None:
    with pytest.raises(ModelSourceError, match=r"holds no saved_model.pb.*no numeric version"):
        read_model(tmp_path)


def test_empty_version_folder(tmp_path: Path) -> None:
    (tmp_path / "1").mkdir()
    with pytest.raises(ModelSourceError, match=r"Version folder .*1 holds no saved_model.pb"):
        read_model(tmp_path)


@pytest.mark.parametrize("keep", [0, 1, 57, 400])
def test_truncated_saved_model_pb(tmp_path: Path, half_plus_two_cpu: Path, keep: int) -> None:
    data = (half_plus_two_cpu / "00000123" / "saved_model.pb").read_bytes()
    (tmp_path / "saved_model.pb").write_bytes(data[:keep])
    with pytest.raises(InvalidSavedModelError, match="File is not a valid SavedModel"):
        read_model(tmp_path)


def test_garbage_saved_model_pb(tmp_path: Path) -> None:
    (tmp_path / "saved_model.pb").write_bytes(b"\xff\xfe this is not protobuf \x00" * 10)
    with pytest.raises(InvalidSavedModelError, match="cannot parse protobuf"):
        read_model(tmp_path)


def test_reads_saved_model_pbtxt(tmp_path: Path, half_plus_two_cpu: Path) -> None:
    from google.protobuf import text_format

    proto = protos.SavedModel()
    proto.ParseFromString((half_plus_two_cpu / "00000123" / "saved_model.pb").read_bytes())
    (tmp_path / "saved_model.pbtxt").write_text(text_format.MessageToString(proto))
    model = read_model(tmp_path)
    assert model.file_format == "saved_model.pbtxt"
    assert "serving_default" in [s.key for s in model.meta_graph().signatures]


def test_garbage_pbtxt(tmp_path: Path) -> None:
    (tmp_path / "saved_model.pbtxt").write_text("meta_graphs { this is { not: text proto")
    with pytest.raises(InvalidSavedModelError, match="cannot parse text proto"):
        read_model(tmp_path)


def test_missing_variables_folder_is_still_readable(
    tmp_path: Path, half_plus_two_cpu: Path
) -> None:
    shutil.copy(half_plus_two_cpu / "00000123" / "saved_model.pb", tmp_path / "saved_model.pb")
    model = read_model(tmp_path)
    assert model.variables_size_bytes == 0
    assert model.version is None


def test_reading_metadata_never_imports_tensorflow(half_plus_two_cpu: Path) -> None:
    code = (
        "import sys, explorer\n"
        "from explorer.model.reader import read_model\n"
        "from explorer.serving.rules import check_all\n"
        "from explorer.serving.metadata import metadata_response\n"
        f"m = read_model({str(half_plus_two_cpu)!r})\n"
        "[check_all(s) for s in m.meta_graph().signatures]\n"
        "metadata_response(m, m.meta_graph())\n"
        "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'\n"
        "assert 'streamlit' not in sys.modules, 'streamlit was imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_assets_listed_from_asset_file_def_or_folder(half_plus_two_cpu: Path) -> None:
    from tests.conftest import SAMPLES

    churn = read_model(SAMPLES / "tabular_churn").meta_graph()
    assert [(a.filename, a.size_bytes is not None) for a in churn.assets] == [
        ("plan_vocab.txt", True)
    ]
    # TF1 anchors name assets only in a collection; the files in assets/ still show.
    legacy = read_model(half_plus_two_cpu).meta_graph()
    assert [a.filename for a in legacy.assets] == ["foo.txt"]


def test_first_reads_racing_in_a_fresh_process_all_succeed() -> None:
    # The protobuf pool is built on first use; racing first calls must not build it twice
    # (the loser would find every schema "already added" and stay empty for good).
    code = (
        "import threading\n"
        "from explorer.model.reader import read_model\n"
        f"paths = [{str(SAMPLES / 'flowers_tf1')!r}, {str(SAMPLES / 'tabular_churn')!r}] * 8\n"
        "errors = []\n"
        "start = threading.Barrier(len(paths))\n"
        "def read(path):\n"
        "    start.wait()\n"
        "    try:\n"
        "        read_model(path)\n"
        "    except Exception as exc:\n"
        "        errors.append(repr(exc))\n"
        "threads = [threading.Thread(target=read, args=(p,)) for p in paths]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "assert not errors, errors\n"
        "read_model(paths[0])\n"
    )
    for _ in range(3):  # a race: several fresh processes
        subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=60)
