"""``python -m explorer show|predict|classify|regress --server URL --model NAME`` as
subprocesses against loopback TF Servings started in this test process: the same output
and exit codes as the local commands (0 answered, 1 rejected, 2 could not be answered).

The runs are started together. Runs named ``*_probed`` go through a wrapper that reports,
after the command, whether it imported TensorFlow: a client needs none, gRPC included.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest

from explorer.model.reader import read_model
from explorer.run import calls
from tests.cli_runs import run_explorer_commands
from tests.conftest import ANCHORS, HALF_PLUS_TWO_CPU
from tests.explorer.loopback import Servers, free_port, serving

CLASSIFY = '{"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}'
PREDICT = '{"instances": [2.0, 3.0, 4.0]}'
# name → (arguments with {rest}/{grpc}/{down} for the server URLs, stdin)
RUNS = {
    "show_rest": (["show", "--server", "{rest}", "--model", "default"], None),
    "show_json_rest": (["show", "--server", "{rest}", "--model", "default", "--json"], None),
    "show_json_grpc": (["show", "--server", "{grpc}", "--model", "default", "--json"], None),
    "show_label": (
        ["show", "--server", "{rest}", "--model", "two", "--label", "canary", "--json"],
        None,
    ),
    "predict_rest": (["predict", "--server", "{rest}", "--model", "default", "-r", PREDICT], None),
    "predict_rest_version": (
        ["predict", "--server", "{rest}", "--model", "default", "--version", "123", "-r", PREDICT],
        None,
    ),
    "classify_grpc_stdin": (
        ["classify", "--server", "{grpc}", "--model", "default", "--request", "-"],
        CLASSIFY,
    ),
    "predict_grpc_probed": (
        ["predict", "--server", "{grpc}", "--model", "default", "-r", PREDICT],
        None,
    ),
    "show_grpc_probed": (["show", "--server", "{grpc}", "--model", "default"], None),
    "regress_rejected_rest": (
        [
            "regress",
            "--server",
            "{rest}",
            "--model",
            "default",
            "--signature",
            "regress_x_to_y",
            "-r",
            '{"examples": [{"x": 2}]}',
        ],
        None,
    ),
    "unknown_model": (["predict", "--server", "{rest}", "--model", "foo", "-r", "{}"], None),
    "server_down": (["predict", "--server", "{down}", "--model", "default", "-r", "{}"], None),
    "path_and_server": (
        ["predict", str(HALF_PLUS_TWO_CPU), "--server", "{rest}", "--model", "m", "-r", "{}"],
        None,
    ),
    "no_model": (["show", "--server", "{rest}"], None),
    "unsafe_flag": (
        ["predict", "--server", "{rest}", "--model", "default", "--allow-unsafe-ops", "-r", "{}"],
        None,
    ),
    "no_path_no_server": (["show"], None),
}


# The CLI as ``python -m explorer`` runs it, then one stderr line: was TensorFlow imported?
_TF_PROBE = """
import runpy, sys
sys.argv = ["explorer", *sys.argv[1:]]
code = 0
try:
    runpy.run_module("explorer", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
print("tensorflow imported:", "tensorflow" in sys.modules, file=sys.stderr)
sys.exit(code)
"""


@pytest.fixture(scope="module")
def runs() -> Iterator[dict[str, subprocess.CompletedProcess[str]]]:
    with serving() as servers:
        yield _run_all(servers)


def _run_all(servers: Servers) -> dict[str, subprocess.CompletedProcess[str]]:
    urls = {
        "{rest}": servers.rest.url,
        "{grpc}": servers.grpc.url,
        "{down}": f"http://127.0.0.1:{free_port()}",
    }
    return run_explorer_commands(
        {name: ([urls.get(a, a) for a in args], stdin) for name, (args, stdin) in RUNS.items()},
        timeout_s=120,
        entries={name: ["-c", _TF_PROBE] for name in RUNS if name.endswith("_probed")},
    )


def _one_error_line(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stdout == ""
    lines = run.stderr.splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_show_lists_the_servers_signatures_with_verdicts(runs) -> None:
    run = runs["show_rest"]
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Model: default  (TF Serving at http://127.0.0.1:")
    assert "Version: 123  (server status: 123 AVAILABLE)" in run.stdout
    assert "signature_def['classify_x_to_y']:" in run.stdout
    assert "TF Serving (default / --enable_signature_method_name_check):" in run.stdout
    assert "0 nodes" not in run.stdout  # the metadata has no graph to count


@pytest.mark.parametrize("name", ["show_json_rest", "show_json_grpc"])
def test_show_json_prints_the_servers_metadata(runs, name: str) -> None:
    run = runs[name]
    assert run.returncode == 0, run.stderr
    golden = json.loads((ANCHORS / "saved_model_half_plus_two_cpu.metadata.json").read_text())
    assert json.loads(run.stdout) == golden


def test_a_label_picks_its_version(runs) -> None:
    run = runs["show_label"]
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["model_spec"]["version"] == "124"


@pytest.mark.parametrize("name", ["predict_rest", "predict_rest_version"])
def test_predict_prints_tf_servings_body_as_the_local_command_does(runs, name: str) -> None:
    run = runs[name]
    assert run.returncode == 0, run.stderr
    local = calls.predict(read_model(HALF_PLUS_TWO_CPU), PREDICT).response_text
    assert run.stdout == local + "\n"


def test_classify_over_grpc_reads_stdin(runs) -> None:
    run = runs["classify_grpc_stdin"]
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {"results": [[["", 3.0]]]}
    assert run.stderr == ""  # gRPC's start-up lines stay off stderr


@pytest.mark.parametrize("name", ["predict_grpc_probed", "show_grpc_probed"])
def test_grpc_client_runs_without_importing_tensorflow(runs, name: str) -> None:
    run = runs[name]
    assert run.returncode == 0, run.stderr
    assert run.stderr.splitlines() == ["tensorflow imported: False"]
    assert run.stdout.strip()


def test_a_rejected_request_prints_the_error_and_exits_1(runs) -> None:
    run = runs["regress_rejected_rest"]
    assert run.returncode == 1, run.stderr
    error = json.loads(run.stdout)["error"]
    assert "Data type: int64 but expected type: float" in error


def test_unknown_model_is_one_stderr_line_exit_2(runs) -> None:
    line = _one_error_line(runs["unknown_model"])
    assert "Servable not found for request: Latest(foo)" in line


def test_server_down_is_one_stderr_line_exit_2(runs) -> None:
    line = _one_error_line(runs["server_down"])
    assert "Connection refused by 127.0.0.1:" in line


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("path_and_server", "not both"),
        ("no_model", "needs --model NAME"),
        ("unsafe_flag", "--allow-unsafe-ops"),
        ("no_path_no_server", "Give a model PATH, or --server URL --model NAME"),
    ],
)
def test_argument_mistakes_are_user_errors(runs, name: str, message: str) -> None:
    assert message in _one_error_line(runs[name])
