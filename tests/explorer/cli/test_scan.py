"""``python -m explorer scan`` from the outside: report, JSON, exit codes 0 / 1 / 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.model import protos
from tests.conftest import ANCHORS, REPO, SAMPLES


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "explorer", "scan", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )


@pytest.fixture
def two_tag_sets(tmp_path: Path) -> Path:
    """A SavedModel whose 'serve' graph is clean and whose 'serve,debug' graph prints."""
    saved_model = protos.SavedModel()
    for tags, unsafe in ((["serve"], False), (["serve", "debug"], True)):
        mg = saved_model.meta_graphs.add()
        mg.meta_info_def.tags.extend(tags)
        graph = mg.graph_def
        graph.node.add(name="x", op="Placeholder")
        if unsafe:
            graph.node.add(name="log", op="PrintV2", input=["x"])
        graph.node.add(name="y", op="Identity", input=["x"] + (["^log"] if unsafe else []))
        graph.node.add(name="spare", op="ReadFile", input=["x"])
        sig = mg.signature_def["serving_default"]
        sig.method_name = "tensorflow/serving/predict"
        sig.outputs["y"].name = "y:0"
    folder = tmp_path / "two_tags"
    folder.mkdir()
    (folder / "saved_model.pb").write_bytes(saved_model.SerializeToString())
    return folder


def test_clean_anchor_exits_0() -> None:
    result = _run(str(ANCHORS / "saved_model_half_plus_two_2_versions"))
    assert result.returncode == 0, result.stderr
    assert "MetaGraph serve: clean" in result.stdout


def test_reachable_finding_exits_1_and_names_op_place_and_signature(
    two_tag_sets: Path,
) -> None:
    result = _run(str(two_tag_sets))
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "MetaGraph serve: clean" in out
    assert (
        "MetaGraph serve,debug: 1 unsafe op reachable; signatures affected: serving_default" in out
    )
    assert "PrintV2 [console] at graph node log" in out
    assert "reached from: serving_default" in out
    assert "Present but unreachable from any signature (lower severity):" in out
    assert "ReadFile [file system] at graph node spare" in out


def test_tags_limits_the_scan_to_one_meta_graph(two_tag_sets: Path) -> None:
    result = _run(str(two_tag_sets), "--tags", "serve")
    assert result.returncode == 0, result.stdout
    assert "serve,debug" not in result.stdout


def test_json_lists_every_meta_graph(two_tag_sets: Path) -> None:
    result = _run(str(two_tag_sets), "--json")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["clean"] is False
    clean, unsafe = report["meta_graphs"]
    assert clean["tags"] == ["serve"]
    assert clean["clean"] is True
    assert [f["severity"] for f in clean["findings"]] == ["unreachable"]
    assert unsafe["signatures_affected"] == ["serving_default"]
    assert unsafe["findings"][0] == {
        "op": "PrintV2",
        "node": "log",
        "function": None,
        "category": "console",
        "what_it_does": unsafe["findings"][0]["what_it_does"],
        "reachable_from": ["serving_default"],
        "severity": "reachable",
    }


def test_unsafe_sample_json() -> None:
    result = _run(str(SAMPLES / "unsafe_read_file"), "--json")
    assert result.returncode == 1, result.stderr
    (graph,) = json.loads(result.stdout)["meta_graphs"]
    (finding,) = graph["findings"]
    assert (finding["op"], finding["reachable_from"]) == ("ReadFile", ["read_file"])
    assert graph["signatures_affected"] == ["read_file"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/model"], "Path does not exist"),
        ([str(ANCHORS / "saved_model_half_plus_two_cpu"), "--tags", "gpu"], "Available tag-sets"),
        ([str(ANCHORS / "saved_model_half_plus_two_cpu"), "--version", "7"], "not found"),
    ],
)
def test_user_errors_exit_2_with_one_line(args: list[str], message: str) -> None:
    result = _run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ")
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_corrupt_model_exits_2(tmp_path: Path) -> None:
    (tmp_path / "saved_model.pb").write_bytes(b"\x0a\xff\xff not a proto")
    result = _run(str(tmp_path))
    assert result.returncode == 2
    assert "not a valid SavedModel" in result.stderr


def test_help_explains_exit_codes() -> None:
    result = _run("--help")
    assert result.returncode == 0
    assert "0 clean, 1 a signature" in " ".join(result.stdout.split())
