"""``python -m explorer predict|classify|regress`` as subprocesses on TF Serving's anchors:
the response body on stdout and exit codes 0 (answered), 1 (rejected), 2 (user error).

The runs that import TensorFlow are started together, so their start-up overlaps.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from explorer.codec.image_request import ImageFileInput, image_request
from explorer.model.reader import read_model
from tests.cli_runs import run_explorer_commands

REPO = Path(__file__).resolve().parents[3]
ANCHORS = REPO.parent / "shared" / "anchors" / "tfserving"
CPU = str(ANCHORS / "saved_model_half_plus_two_cpu")
TWO = str(ANCHORS / "saved_model_half_plus_two_2_versions")
FLOWERS = str(REPO / "sample_models" / "flowers_tf1")
CLASSIFY = '{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}'

# name → (arguments, stdin)
RUNS = {
    "classify_stdin": (["classify", CPU, "--request", "-"], CLASSIFY),
    "regress_rejected": (
        ["regress", CPU, "-r", '{"signature_name": "regress_x_to_y", "examples": [{"x": 2}]}'],
        None,
    ),
    "predict_file_override": (
        ["predict", TWO, "--version", "123", "--signature", "serving_default", "-r", "@{file}"],
        None,
    ),
    "bad_path": (["predict", "/no/such/model", "-r", "{}"], None),
    "bad_request_file": (["classify", CPU, "-r", "@/no/such/request.json"], None),
    "bad_tags": (["regress", CPU, "--tags", "gpu", "-r", "{}"], None),
    "unsafe": (["predict", str(REPO / "sample_models" / "unsafe_read_file"), "-r", "{}"], None),
    # An image file as the signature's image input: the same answer as its REST body.
    "image": (["predict", FLOWERS, "--signature", "predict_images", "--image", "{png}"], None),
    "image_body": (["predict", FLOWERS, "--signature", "predict_images", "-r", "@{body}"], None),
    "image_and_request": (["predict", FLOWERS, "--image", "{png}", "-r", "{}"], None),
    "no_request": (["predict", FLOWERS], None),
    "not_an_image": (
        ["predict", FLOWERS, "--signature", "predict_images", "--image", "{file}"],
        None,
    ),
    "sparse_components": (
        [
            "predict",
            str(REPO / "sample_models" / "sparse_ragged_tf1"),
            "--signature",
            "sum_item_ids",
            "-r",
            '{"inputs": {"item_ids": {"indices": [[0, 0], [0, 2]], "values": [3, 4], '
            '"dense_shape": [1, 3]}}}',
        ],
        None,
    ),
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, subprocess.CompletedProcess]:
    folder = tmp_path_factory.mktemp("cli")
    request_file = folder / "request.json"
    request_file.write_text('{"signature_name": "nope", "inputs": [1.0, 2.0]}', encoding="utf-8")
    png = folder / "photo.png"  # a left-to-right ramp, 40×20: resized to the input's 4×4
    ramp = np.tile(np.linspace(0, 255, 40, dtype=np.uint8), (20, 1))
    Image.fromarray(np.stack([ramp] * 3, axis=-1)).save(png)
    model = read_model(FLOWERS)
    meta_graph = model.meta_graph()
    signature = meta_graph.signature("predict_images")
    body = image_request(meta_graph, signature, [ImageFileInput(None, "p", png.read_bytes())])
    body_file = folder / "image_body.json"
    body_file.write_text(json.dumps(body), encoding="utf-8")
    places = {"{file}": str(request_file), "{png}": str(png), "{body}": str(body_file)}

    def placed(arg: str) -> str:
        for mark, path in places.items():
            arg = arg.replace(mark, path)
        return arg

    return run_explorer_commands(
        {name: ([placed(a) for a in args], stdin) for name, (args, stdin) in RUNS.items()}
    )


def test_an_image_file_is_sent_as_its_rest_body(runs) -> None:
    run = runs["image"]
    assert run.returncode == 0, run.stderr
    assert run.stdout == runs["image_body"].stdout
    assert json.loads(run.stdout)["predictions"]


def test_classify_reads_the_request_from_stdin(runs) -> None:
    run = runs["classify_stdin"]
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"results": [[["", 3.0]]]}


def test_predict_prints_tf_servings_body_and_signature_overrides_the_file(runs) -> None:
    run = runs["predict_file_override"]
    assert run.returncode == 0, run.stderr
    # The request names "nope"; --signature wins. Columnar layout, byte for byte.
    assert run.stdout == '{\n    "outputs": [\n        2.5,\n        3.0\n    ]\n}\n'


def test_a_rejected_request_prints_the_error_and_exits_1(runs) -> None:
    run = runs["regress_rejected"]
    assert run.returncode == 1
    error = json.loads(run.stdout)["error"]
    assert error.startswith("Name: <unknown>, Key: x, Index: 0.  Data types don't match.")


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad_path", "Path does not exist"),
        ("bad_request_file", "Cannot read the request file"),
        ("bad_tags", "No MetaGraph with tag-set 'gpu'"),
        ("unsafe", "Refusing to run: the model contains unsafe ops"),
        ("image_and_request", "--request and --image are two ways to give the request"),
        ("no_request", "Give the request: --request JSON|@FILE|-, or image files with --image"),
        ("not_an_image", "not an image file Pillow can read"),
    ],
)
def test_user_errors_exit_2_with_one_stderr_line(runs, name: str, message: str) -> None:
    run = runs[name]
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]


@pytest.mark.parametrize("command", ["predict", "classify", "regress"])
def test_help_lists_the_request_forms(command: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "explorer", command, "--help"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0
    assert "JSON|@FILE|-" in run.stdout
    assert "--enable-signature-method-name-check" in run.stdout


def test_sparse_input_fed_by_components_says_tf_serving_would_not_answer(runs) -> None:
    run = runs["sparse_components"]
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"outputs": [7]}
    (note,) = run.stderr.splitlines()
    assert note.startswith("note: TF Serving would not give this answer")
    assert '"item_ids" (coo_sparse)' in note
