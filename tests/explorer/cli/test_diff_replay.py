"""``python -m explorer diff`` and ``replay`` as subprocesses: output, --json, exit codes
0 (compatible / all pass), 1 (breaking / a case fails) and 2 (user error).

The replay runs import TensorFlow, so they are started together and overlap.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import HALF_PLUS_TWO_2_VERSIONS, HALF_PLUS_TWO_CPU, REPO, SAMPLES

LINEAR = str(SAMPLES / "portable_linear")
LINEAR_CASES = str(SAMPLES / "portable_linear" / "cases.jsonl")
_MAIN = "import sys; from explorer import cli; sys.exit(cli.main(sys.argv[1:]))"


def _start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _MAIN, *args],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    process = _start(*args)
    stdout, stderr = process.communicate(timeout=300)
    return subprocess.CompletedProcess(args, process.returncode, stdout, stderr)


REPLAYS = {
    "v2_passes": (LINEAR, LINEAR_CASES, "--version", "2"),
    "v3_fails": (LINEAR, LINEAR_CASES, "--json"),
}


@pytest.fixture(scope="module")
def replays() -> dict[str, subprocess.CompletedProcess[str]]:
    started = {name: _start("replay", *args) for name, args in REPLAYS.items()}
    done = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=300)
        done[name] = subprocess.CompletedProcess(REPLAYS[name], process.returncode, stdout, stderr)
    return done


def test_diff_compatible_versions_exit_0() -> None:
    result = _run("diff", f"{LINEAR}@1", f"{LINEAR}@2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("old: portable_linear version 1 (")
    assert lines[1].startswith("new: portable_linear version 2 (")
    assert (
        'SAFE      serving_default: input "x" tensor renamed (x:0 → serving_default_x:0)' in lines
    )
    assert lines[-1] == "clients keep working"


def test_diff_breaking_versions_exit_1_and_newest_is_the_default() -> None:
    result = _run("diff", f"{LINEAR}@2", LINEAR)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines()[-1] == (
        'breaks clients: serving_default: input "x" shape changed ((-1, 1) → (-1, 2))'
    )
    assert "A fixed dimension changed size" in result.stdout


def test_diff_json_on_the_anchor() -> None:
    two = str(HALF_PLUS_TWO_2_VERSIONS)
    result = _run("diff", f"{two}@123", f"{two}@124", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["verdict"] == "clients keep working"
    assert report["changes"] == []
    back = json.loads(_run("diff", two, str(HALF_PLUS_TWO_CPU), "--json").stdout)
    assert back["breaking"] is True
    assert back["changes"][0]["signature"] == "classify_x2_to_y3"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((f"{LINEAR}@9", LINEAR), "error: Version 9 not found in"),
        (("/no/such/model", LINEAR), "error: Path does not exist: /no/such/model"),
        ((LINEAR, LINEAR, "--tags", "gpu"), "error: No MetaGraph with tag-set 'gpu'"),
    ],
)
def test_diff_user_errors_exit_2(args: tuple[str, ...], message: str) -> None:
    result = _run("diff", *args)
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert result.stdout == ""


def test_replay_passes_on_the_recorded_version(replays: dict) -> None:
    result = replays["v2_passes"]
    assert result.returncode == 0, result.stderr
    assert "PASS  one_row  (predict serving_default)" in result.stdout
    assert result.stdout.splitlines()[-1] == (
        "5 passed, 0 failed against portable_linear version 2 (rtol 1e-05, atol 1e-06)"
    )


def test_replay_fails_on_the_breaking_version(replays: dict) -> None:
    result = replays["v3_fails"]
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["target"] == "portable_linear version 3"
    failed = [c for c in report["cases"] if not c["passed"]]
    assert failed
    assert "Matrix size-incompatible" in failed[0]["differences"][0]["message"]


def test_replay_user_errors_exit_2(tmp_path: Path) -> None:
    missing = _run("replay", LINEAR, str(tmp_path / "none.jsonl"))
    assert missing.returncode == 2
    assert missing.stderr.startswith("error: Cannot read the cases file")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    result = _run("replay", LINEAR, str(empty))
    assert result.returncode == 2
    assert result.stderr.startswith("error: No test cases in")
    bad = _run("replay", LINEAR, LINEAR_CASES, "--rtol", "-1")
    assert bad.returncode == 2
    assert "must be 0 or more" in bad.stderr
