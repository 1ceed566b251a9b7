"""``warmup`` and ``show``/``serve --model-config`` from outside: output and exit codes (0 ok,
1 TF Serving would fail or a record fails, 2 user error). The commands start together
(``tests/cli_runs.py``): the replays pay TensorFlow's import once, side by side."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from explorer.cli import serve
from explorer.compat.cases import load_cases
from explorer.deploy.warmup_file import warmup_path
from explorer.deploy.warmup_write import logs_bytes, prediction_log, save_warmup
from explorer.errors import UnknownModelError, UsageError
from explorer.model.reader import read_model
from explorer.remote.target import RemoteTarget
from tests.app.deployment_fixtures import two_model_config
from tests.cli_runs import run_explorer_commands
from tests.conftest import HALF_PLUS_TWO_CPU, SAMPLES

LINEAR = SAMPLES / "portable_linear"
Runs = dict[str, subprocess.CompletedProcess[str]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Runs, Path]:
    root = tmp_path_factory.mktemp("warmup_cli")
    # Version 3 (two features per row) with version 1's warmup file: every record fails.
    broken = root / "broken" / "3"
    shutil.copytree(LINEAR / "3", broken)
    shutil.copy(warmup_path(LINEAR / "1"), warmup_path(broken))
    garbage = root / "garbage"
    shutil.copytree(LINEAR / "2", garbage)
    warmup_path(garbage).write_bytes(b"not a tfrecord file at all")
    # half_plus_two with TF Serving's own golden request as its warmup record: x is sent as
    # float32[3] where (-1, 1) is declared, and the graph (x * 0.5 + 2) takes it.
    golden = root / "half_plus_two" / "123"
    shutil.copytree(HALF_PLUS_TWO_CPU / "00000123", golden)
    meta_graph = read_model(golden).meta_graph()
    body = {"instances": [2.0, 3.0, 4.0]}
    save_warmup(warmup_path(golden), logs_bytes([prediction_log("predict", body, meta_graph, "h")]))
    loose = root / "loose" / "tf_serving_warmup_requests"  # not in VERSION/assets.extra/
    loose.parent.mkdir()
    shutil.copy(warmup_path(LINEAR / "2"), loose)
    config = two_model_config(root)
    bad_config = root / "bad.config"
    bad_config.write_text("model_config_list { config { nam: 'x' } }", encoding="utf-8")
    out = root / "exported" / "assets.extra" / "tf_serving_warmup_requests"
    results = run_explorer_commands(
        {
            "list": (["warmup", str(LINEAR)], None),
            "list_json": (["warmup", str(LINEAR), "--version", "2", "--json"], None),
            "check_garbage": (["warmup", str(garbage), "--check"], None),
            "replay": (
                [
                    "warmup",
                    str(LINEAR),
                    "--version",
                    "2",
                    "--replay",
                    "--save-cases",
                    str(root / "kept.jsonl"),
                ],
                None,
            ),
            "replay_broken": (["warmup", str(broken), "--replay", "--json"], None),
            "check_broken": (["warmup", str(broken), "--check"], None),
            "check_golden": (["warmup", str(golden), "--check"], None),
            "replay_golden": (["warmup", str(golden), "--replay"], None),
            "show_broken": (["show", str(broken)], None),
            "export_v3": (
                [
                    "warmup",
                    str(LINEAR),
                    "--version",
                    "3",
                    "--export",
                    str(LINEAR / "cases.jsonl"),
                    "--out",
                    str(root / "v3" / "warmup"),
                ],
                None,
            ),
            "export": (
                [
                    "warmup",
                    str(LINEAR),
                    "--version",
                    "2",
                    "--export",
                    str(LINEAR / "cases.jsonl"),
                    "--out",
                    str(out),
                ],
                None,
            ),
            "out_alone": (["warmup", str(LINEAR), "--out", str(out)], None),
            "loose_file": (["warmup", str(loose)], None),
            "no_warmup": (["warmup", str(SAMPLES / "flowers_tf1"), "--check"], None),
            "show": (["show", str(LINEAR), "--version", "2"], None),
            "config": (["show", "--model-config", str(config)], None),
            "config_flag": (
                [
                    "show",
                    "--model-config",
                    str(config),
                    "--allow-version-labels-for-unavailable-models",
                    "--json",
                ],
                None,
            ),
            "config_bad": (["show", "--model-config", str(bad_config)], None),
        }
    )
    return results, out


def test_list(runs: tuple[Runs, Path]) -> None:
    result = runs[0]["list"]
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("portable_linear/3/assets.extra/tf_serving_warmup_requests "
                             "(161 bytes, 2 records read)")  # fmt: skip
    assert lines[1].split() == ["#", "verb", "signature", "batch", "inputs"]
    assert lines[2].split() == ["1", "predict", "serving_default", "2", "x", "float32[2,2]"]
    assert lines[-1] == "TF Serving loads the model and replays 2 warmup records first."


def test_list_json(runs: tuple[Runs, Path]) -> None:
    result = runs[0]["list_json"]
    doc = json.loads(result.stdout)
    assert doc["loads"] is True
    assert [(r["verb"], r["batch_size"]) for r in doc["records"]] == [
        ("predict", 2),
        ("predict", 1),
    ]
    assert doc["records"][0]["inputs"] == [{"alias": "x", "dtype": "DT_FLOAT", "shape": [2, 1]}]


def test_a_file_that_is_not_a_tfrecord(runs: tuple[Runs, Path]) -> None:
    result = runs[0]["check_garbage"]
    assert result.returncode == 1
    assert "ERROR record 1: DATA_LOSS: corrupted record at 0 (Is this even a TFRecord file?). " \
        "Please verify your warmup data is in TFRecord format." in result.stdout  # fmt: skip
    assert result.stdout.splitlines()[-1].startswith("TF Serving fails to load the model")


def test_replay(runs: tuple[Runs, Path]) -> None:
    result = runs[0]["replay"]
    assert result.returncode == 0, result.stderr
    assert 'PASS  record 1  {"outputs":[[2.5],[3.0]]}' in result.stdout
    assert "2 answered, 0 failed against portable_linear version 2" in result.stdout
    # --save-cases: the answered records, as test cases for `replay`.
    kept = load_cases(runs[1].parent.parent.parent / "kept.jsonl")
    assert [(c.name, c.response) for c in kept] == [
        ("warmup_record_1", {"outputs": [[2.5], [3.0]]}),
        ("warmup_record_2", {"outputs": [[2.25]]}),
    ]
    assert result.stderr.endswith(
        "test cases written to " + str(runs[1].parent.parent.parent / "kept.jsonl") + "\n"
    )


def test_replay_of_records_the_model_cannot_take(runs: tuple[Runs, Path]) -> None:
    result = runs[0]["replay_broken"]
    assert result.returncode == 1
    doc = json.loads(result.stdout)
    assert doc["loads"] is False
    assert [r["passed"] for r in doc["replay"]] == [False, False]
    assert doc["verdict"].startswith("TF Serving fails to load the model (record 1): ")
    assert "Matrix size-incompatible" in doc["verdict"]  # the run's words, where it ran
    # What the check inferred without running, marked as inferred.
    assert [(f["record"], f["code"], f["predicted"]) for f in doc["findings"]] == [
        (1, None, True),
        (2, None, True),
    ]


def test_export(runs: tuple[Runs, Path]) -> None:
    results, out = runs
    result = results["export"]
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Wrote 4 warmup records to {out}\n"
    assert result.stderr.splitlines() == [
        "warning: left out string_is_rejected: it records an error answer; TF Serving fails "
        "to load a model whose warmup request fails",
        "warning: 1 of 5 cases left out: TF Serving fails to load a model at its first "
        "failing warmup request, so the file holds only the 4 that fit portable_linear "
        "version 2.",
    ]
    assert out.is_file()


def test_check_of_records_that_do_not_fit_the_signature(runs: tuple[Runs, Path]) -> None:
    # Version 1's records in version 3 (x is (-1, 2)): found without running them.
    result = runs[0]["check_broken"]
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[1] == (
        "ERROR record 1: Input x is sent as float32[2,1] where the signature declares "
        "DT_FLOAT (-1, 2): x has 1 in dimension 1 where 2 is declared."
    )
    assert lines[-1].startswith(
        "TF Serving would fail to load the model (record 1), unless its graph takes a shape "
        "the signature does not declare (replaying the records settles it): Input x is sent "
        "as float32[2,1]"
    )
    shown = runs[0]["show_broken"]
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.rstrip().splitlines()[-1] == lines[-1]  # show's quick look says it too


def test_a_warmup_file_away_from_its_model_is_a_user_error(runs: tuple[Runs, Path]) -> None:
    result = runs[0]["loose_file"]
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert "a warmup file is judged against the SavedModel it belongs to" in result.stderr
    assert "(VERSION/assets.extra/tf_serving_warmup_requests)" in result.stderr


def test_a_replay_settles_a_shape_only_inferred_to_fail(runs: tuple[Runs, Path]) -> None:
    checked = runs[0]["check_golden"]
    assert checked.returncode == 1  # without a run, the declared shape is all there is
    assert checked.stdout.splitlines()[-1].startswith("TF Serving would fail to load the model")
    replayed = runs[0]["replay_golden"]
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    lines = replayed.stdout.splitlines()  # the file, its record, the finding, the run
    assert lines[3].startswith("WARNING record 1: Input x is sent as float32[3] where the "
                               "signature declares DT_FLOAT (-1, 1)")  # fmt: skip
    assert lines[4].strip().startswith("The replay ran it and the model answered")
    assert 'PASS  record 1  {"outputs":[3.0,3.5,4.0]}' in lines  # gRPC's answer: columns
    assert lines[-1] == "TF Serving loads the model and replays 1 warmup record first."


def test_export_of_cases_that_fit_no_longer(runs: tuple[Runs, Path]) -> None:
    # The bundled cases were saved against versions 1 and 2: none fits version 3.
    results, out = runs
    result = results["export_v3"]
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(
        "error: No case can go into a warmup file (one_row: it does not fit this version's "
        "signature, and TF Serving's load would likely fail on it: Input x is sent as "
        "float32[1,1] where the signature declares DT_FLOAT (-1, 2): x has 1 in dimension 1 "
        "where 2 is declared; three_rows: "
    )
    assert not (out.parent.parent.parent / "v3").exists()  # nothing written


def test_usage_errors_exit_2(runs: tuple[Runs, Path]) -> None:
    result = runs[0]["out_alone"]
    assert result.returncode == 2
    assert result.stderr.startswith("error: --out goes with --export CASES")


def test_a_model_without_warmup_loads(runs: tuple[Runs, Path]) -> None:
    result = runs[0]["no_warmup"]
    assert result.returncode == 0
    assert result.stdout.startswith("No warmup data file found at ")


def test_show_names_the_warmup_file(runs: tuple[Runs, Path]) -> None:
    result = runs[0]["show"]
    assert result.returncode == 0
    assert "Warmup file: " in result.stdout
    # Its records, as `warmup` lists them.
    assert "  1  predict  serving_default  2      x float32[2,1]" in result.stdout
    # A quick look (signatures, dtypes and shapes, not input names): show does not load
    # the call layer.
    assert result.stdout.rstrip().endswith(
        "TF Serving finds the signature of each of the 2 warmup records, and their tensors' "
        "dtypes and shapes fit it; `python -m explorer warmup PATH --check` also matches "
        "their input names."
    )


def test_show_model_config(runs: tuple[Runs, Path]) -> None:
    result = runs[0]["config"]
    assert result.returncode == 1  # TF Serving refuses the labels at start-up
    out = result.stdout
    assert "Model linear: base_path " in out
    assert "  served: 1, 2" in out
    assert "  label canary -> version 2 (served)" in out
    assert "  version 1 [stable]: loads" in out
    assert (
        "ERROR FAILED_PRECONDITION: Request to assign label to version 1 of model linear, "
        "which is not currently available for inference" in out
    )


def test_show_model_config_with_the_flag(runs: tuple[Runs, Path]) -> None:
    result = runs[0]["config_flag"]
    assert result.returncode == 0, result.stdout
    doc = json.loads(result.stdout)
    assert doc["serves_all"] is True
    flowers = next(m for m in doc["models"] if m["name"] == "flowers")
    assert flowers["served_versions"] == [7]
    assert flowers["labels"] == [{"label": "current", "version": 7, "served": True}]
    linear = next(m for m in doc["models"] if m["name"] == "linear")
    assert [v["warmup_records"] for v in linear["versions"]] == [2, 2]


def test_show_model_config_unparsable(runs: tuple[Runs, Path]) -> None:
    result = runs[0]["config_bad"]
    assert result.returncode == 2
    assert result.stderr.startswith("error: Invalid protobuf file: '")


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    return parser.parse_args(["serve", *argv])


def test_serve_refuses_a_config_tf_serving_would_refuse(tmp_path: Path) -> None:
    config = two_model_config(tmp_path)
    with pytest.raises(UsageError, match=r"TF Serving would not start with .*FAILED_PRECONDITION"):
        serve.run(_args("--model-config", str(config)))
    with pytest.raises(UsageError, match="give no PATH"):
        serve.run(_args(str(LINEAR), "--model-config", str(config)))


def test_serve_serves_what_the_config_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = two_model_config(tmp_path)
    said: list[str] = []
    ready = threading.Event()

    def say(line: str) -> None:
        said.append(line)
        if line.startswith("Serving until"):
            ready.set()

    monkeypatch.setattr(serve, "_say", say)
    stop = threading.Event()
    args = _args(
        "--model-config", str(config), "--allow-version-labels-for-unavailable-models",
        "--rest-port", "0", "--grpc-port", "-1",
    )  # fmt: skip
    worker = threading.Thread(target=serve.run, args=(args,), kwargs={"stop": stop})
    worker.start()
    try:
        assert ready.wait(120), said
        url = next(line.split(": ", 1)[1] for line in said if line.startswith("REST:"))
        stable = RemoteTarget(url, "linear", label="stable")
        assert stable.metadata().version == 1
        assert stable.predict({"instances": [[1.0]]}) == {"predictions": [[2.5]]}
        assert RemoteTarget(url, "linear").metadata().version == 2  # the newest served
        assert RemoteTarget(url, "flowers", label="current").metadata().version == 7
        with pytest.raises(UnknownModelError, match=re.escape("Specific(linear, 3)")):
            RemoteTarget(url, "linear", version=3).predict({"instances": [[1.0, 2.0]]})
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive()
