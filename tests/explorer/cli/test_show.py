"""``python -m explorer show`` from the outside: output, golden metadata JSON, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "explorer", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


@pytest.mark.parametrize(
    "name", ["saved_model_half_plus_two_cpu", "saved_model_half_plus_two_2_versions"]
)
def test_show_json_equals_tf_serving_metadata(anchors: Path, name: str) -> None:
    result = _run("show", str(anchors / name), "--json")
    assert result.returncode == 0, result.stderr
    ours = json.loads(result.stdout)
    golden = json.loads((anchors / f"{name}.metadata.json").read_text())
    assert ours["metadata"] == golden["metadata"]
    assert ours["model_spec"]["name"] == name
    assert ours["model_spec"]["signature_name"] == ""
    assert ours["model_spec"]["version"] == ("123" if name.endswith("cpu") else "124")
    # TF Serving's whitespace: one-space indent.
    assert result.stdout.startswith('{\n "model_spec": {\n  "name": ')


def test_show_json_version_flag_and_version_folder(anchors: Path) -> None:
    base = anchors / "saved_model_half_plus_two_2_versions"
    for args in ((str(base), "--version", "123"), (str(base / "00000123"),)):
        result = _run("show", *args, "--json")
        assert result.returncode == 0, result.stderr
        spec = json.loads(result.stdout)["model_spec"]
        assert spec == {
            "name": "saved_model_half_plus_two_2_versions",
            "signature_name": "",
            "version": "123",
        }


def test_show_text_lists_signatures_and_verdicts(half_plus_two_cpu: Path) -> None:
    result = _run("show", str(half_plus_two_cpu))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "MetaGraphDef with tag-set: 'serve' contains the following SignatureDefs:" in out
    assert "signature_def['classify_x_to_y']:" in out
    assert "inputs['inputs'] tensor_info:" in out
    assert "dtype: DT_STRING" in out
    assert "shape: unknown_rank" in out
    assert "name: tf_example:0" in out
    assert "Method name is: tensorflow/serving/classify" in out
    assert "rejected: No classification inputs found in SignatureDef" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("/definitely/not/here",), "Path does not exist"),
        (("{anchor}", "--tags", "gpu"), "No MetaGraph with tag-set 'gpu'"),
        (("{anchor}", "--version", "9"), "Version 9 not found"),
    ],
)
def test_show_user_errors_exit_2(
    half_plus_two_cpu: Path, args: tuple[str, ...], message: str
) -> None:
    result = _run("show", *(a.format(anchor=half_plus_two_cpu) for a in args), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_show_corrupt_model_exits_2(tmp_path: Path) -> None:
    (tmp_path / "saved_model.pb").write_bytes(b"\x0a\xff\xff")
    result = _run("show", str(tmp_path))
    assert result.returncode == 2
    assert "File is not a valid SavedModel" in result.stderr
