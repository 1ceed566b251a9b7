"""Corrupt or odd models: a clear ExplorerError in the library, exit 2 and one stderr line
in the CLI, one case at a time.

Each case breaks a copy of a sample in a temporary folder: an empty folder, a truncated
``saved_model.pb``, a garbage ``saved_model.pbtxt``, a model without ``variables/`` (its
metadata still reads; running it fails cleanly), tabular_churn without its vocabulary
asset, an unknown tag-set, and a TF Serving base folder whose version holds no model.
The CLI runs are started together so their TensorFlow start-ups overlap.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from explorer.errors import (
    ExplorerError,
    InvalidSavedModelError,
    ModelLoadError,
    ModelSourceError,
    UnknownTagSetError,
)
from explorer.model.reader import read_model
from explorer.run import calls
from explorer.run.local import call_rest
from tests.cli_runs import run_explorer_commands
from tests.conftest import REPO, SAMPLES

PREDICT = json.dumps({"instances": [[[[0.5]] * 4] * 4]})  # one 4x4x1 image
CHURN = '{"examples": [{"monthly_charges": 70.0, "tenure_months": 3}]}'


def _build(root: Path) -> dict[str, Path]:
    """One broken copy per case."""
    cases = {"empty": root / "empty"}
    cases["empty"].mkdir()
    truncated = shutil.copytree(SAMPLES / "flowers_tf1", root / "truncated")
    pb = truncated / "saved_model.pb"
    pb.write_bytes(pb.read_bytes()[: pb.stat().st_size // 2])
    cases["truncated"] = truncated
    garbage = root / "garbage"
    garbage.mkdir()
    (garbage / "saved_model.pbtxt").write_text("this is { not a SavedModel\n", encoding="utf-8")
    cases["garbage"] = garbage
    no_variables = shutil.copytree(SAMPLES / "flowers_tf1", root / "no_variables")
    shutil.rmtree(no_variables / "variables")
    cases["no_variables"] = no_variables
    no_asset = shutil.copytree(SAMPLES / "tabular_churn", root / "no_asset")
    (no_asset / "assets" / "plan_vocab.txt").unlink()
    cases["no_asset"] = no_asset
    empty_version = root / "empty_version"
    (empty_version / "1").mkdir(parents=True)
    cases["empty_version"] = empty_version
    return cases


# name → (CLI arguments after the path, message in the one stderr line)
CLI_CASES = {
    "empty": (["predict"], [], "holds no saved_model.pb or saved_model.pbtxt"),
    "truncated": (["predict"], [], "File is not a valid SavedModel"),
    "garbage": (["predict"], [], "cannot parse text proto"),
    "no_variables": (["predict"], [], "has no variables/ sub-folder"),
    "no_asset": (["classify"], [], "plan_vocab.txt; No such file or directory"),
    "unknown_tags": (["predict"], ["--tags", "serve,gpu"], "No MetaGraph with tag-set"),
    "empty_version": (["predict"], [], "holds no saved_model.pb or saved_model.pbtxt"),
}


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    cases = _build(tmp_path_factory.mktemp("broken"))
    cases["unknown_tags"] = SAMPLES / "flowers_tf1"
    return cases


@pytest.fixture(scope="module")
def cli_runs(broken: dict[str, Path]) -> dict[str, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("EXPLORER_TF_LOGS", None)
    runs = {}
    for name, (command, extra, _) in CLI_CASES.items():
        request = CHURN if command == ["classify"] else PREDICT
        runs[name] = ([*command, str(broken[name]), *extra, "--request", request], None)
    return run_explorer_commands(runs, env)


@pytest.mark.parametrize("name", list(CLI_CASES))
def test_the_cli_exits_2_with_one_stderr_line(cli_runs, name: str) -> None:
    run = cli_runs[name]
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: ")
    assert CLI_CASES[name][2] in lines[0]


def test_an_empty_folder(broken) -> None:
    with pytest.raises(ModelSourceError, match=r"holds no saved_model\.pb or saved_model\.pbtxt"):
        read_model(broken["empty"])
    assert "holds no saved_model.pb" in call_rest(broken["empty"], "predict", PREDICT)["error"]


def test_a_truncated_saved_model_pb(broken) -> None:
    with pytest.raises(InvalidSavedModelError) as info:
        read_model(broken["truncated"])
    assert info.value.path.endswith("saved_model.pb")
    assert "cannot parse protobuf" in str(info.value)


def test_a_garbage_pbtxt(broken) -> None:
    with pytest.raises(InvalidSavedModelError, match=r"saved_model\.pbtxt \(cannot parse text"):
        read_model(broken["garbage"])


def test_missing_variables_read_but_do_not_run(broken) -> None:
    model = read_model(broken["no_variables"])  # metadata needs no variables
    assert {s.key for s in model.meta_graph().callable_signatures} >= {"serving_default"}
    with pytest.raises(ModelLoadError) as info:
        calls.predict(model, PREDICT)
    message = str(info.value)
    assert message.startswith(f"Cannot load {model.path} (tags serve): ")
    assert "has no variables/ sub-folder" in message
    assert "error" in call_rest(model, "predict", PREDICT)  # an answer, not a crash
    good = calls.predict(SAMPLES / "flowers_tf1", PREDICT)  # the runner still works
    assert len(good.response_json["predictions"][0]) == 3


def test_a_missing_asset_is_named(broken) -> None:
    model = read_model(broken["no_asset"])
    with pytest.raises(ModelLoadError) as info:
        calls.classify(model, CHURN)
    message = str(info.value)
    assert str(broken["no_asset"] / "assets" / "plan_vocab.txt") in message
    assert "An asset file the graph reads is missing from assets/" in message
    assert "Graph execution error" not in message
    result = calls.classify(SAMPLES / "tabular_churn", CHURN)
    assert [label for label, _ in result.response_json["results"][0]] == ["stay", "churn"]


def test_an_unknown_tag_set(broken) -> None:
    with pytest.raises(UnknownTagSetError, match="Available tag-sets: serve"):
        calls.predict(broken["unknown_tags"], PREDICT, tags="serve,gpu")
    with pytest.raises(UnknownTagSetError):
        read_model(broken["unknown_tags"]).meta_graph("train")


def test_a_version_folder_with_no_model(broken) -> None:
    with pytest.raises(ModelSourceError) as info:
        read_model(broken["empty_version"])
    assert str(broken["empty_version"] / "1") in str(info.value)
    with pytest.raises(ExplorerError):
        calls.predict(broken["empty_version"], PREDICT)
