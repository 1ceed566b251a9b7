"""``python -m explorer graph`` from the outside: formats, options, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLES


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "explorer", "graph", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        check=False,
    )


def test_dot_goes_to_stdout_by_default(half_plus_two_cpu: Path) -> None:
    result = _run(str(half_plus_two_cpu), "--signature", "regress_x_to_y2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith('digraph "signature regress_x_to_y2" {')
    assert '"input:inputs"' in result.stdout
    assert '"output:outputs"' in result.stdout
    assert "rankdir=LR" in result.stdout


def test_json_lists_nodes_edges_and_clusters(half_plus_two_cpu: Path) -> None:
    result = _run(str(half_plus_two_cpu), "--signature", "regress_x_to_y2", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["signature_key"] == "regress_x_to_y2"
    ids = {n["id"] for n in data["nodes"]}
    assert {"input:inputs", "tensor:tf_example:0", "Mul_1", "output:outputs"} <= ids
    assert {"Mul", "y"}.isdisjoint(ids)
    assert {"src": "x", "dst": "Mul_1"}.items() <= next(
        e for e in data["edges"] if e["src"] == "x"
    ).items()
    assert any(c["id"] == "ParseExample/" for c in data["clusters"])
    assert data["stats"]["visible_nodes"] == len(data["nodes"])


def test_budget_expand_and_highlight_options(half_plus_two_cpu: Path) -> None:
    base = [str(half_plus_two_cpu), "--signature", "regress_x_to_y2", "--format", "json"]
    small = json.loads(_run(*base, "--budget", "1").stdout)
    opened = json.loads(_run(*base, "--budget", "1", "--expand", "ParseExample").stdout)
    assert small["stats"]["visible_nodes"] < opened["stats"]["visible_nodes"]
    assert {"input:inputs", "output:outputs"} <= {n["id"] for n in small["nodes"]}
    marked = json.loads(_run(*base, "--highlight", "outputs").stdout)
    assert any(n["highlighted"] for n in marked["nodes"])


def test_svg_is_rendered_with_graphviz(half_plus_two_cpu: Path) -> None:
    result = _run(str(half_plus_two_cpu), "--signature", "serving_default", "--format", "svg")
    assert result.returncode == 0, result.stderr
    assert "<svg" in result.stdout
    assert "input:x" in result.stdout  # node ids become SVG titles


def test_svg_without_graphviz_says_what_to_install(half_plus_two_cpu: Path) -> None:
    env = {**os.environ, "PATH": ""}
    result = _run(
        str(half_plus_two_cpu), "--signature", "serving_default", "--format", "svg", env=env
    )
    assert result.returncode == 2
    assert not result.stdout
    assert "Graphviz" in result.stderr
    assert "apt-get install graphviz" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--signature", "nope"], 'No signature "nope"'),
        (["--signature", "serving_default", "--highlight", "zz"], 'signature key "zz"'),
        (["--signature", "serving_default", "--expand", "zz"], 'scope or function "zz"'),
        (["--signature", "serving_default", "--budget", "0"], "node budget"),
    ],
)
def test_user_errors_exit_2_with_one_line(
    half_plus_two_cpu: Path, args: list[str], message: str
) -> None:
    result = _run(str(half_plus_two_cpu), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_missing_model_exits_2(tmp_path: Path) -> None:
    result = _run(str(tmp_path / "missing"), "--signature", "serving_default")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")


def test_tf2_sample_json_has_function_clusters() -> None:
    path = SAMPLES / "tabular_churn"
    result = _run(str(path), "--signature", "serving_default", "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert any(c["kind"] == "function" for c in data["clusters"])
    assert any(n["function"] for n in data["nodes"])


def test_hierarchy_in_json_and_expand_at_any_depth() -> None:
    path = str(SAMPLES / "keras_multi_io")
    base = [path, "--signature", "serving_default", "--format", "json", "--budget", "4"]
    closed = json.loads(_run(*base).stdout)
    assert closed["stats"]["levels"] >= 2
    groups = [n for n in closed["nodes"] if n["kind"] in ("group", "function_call")]
    assert groups
    assert all(n["summary"] and n["size"] > 0 for n in groups)
    # The deepest group of the full view, named on the command line, opens with the groups
    # around it.
    full = json.loads(_run(path, "--signature", "serving_default", "--format", "json").stdout)
    deepest = max(full["clusters"], key=lambda c: c["id"].count("::") + c["id"].count("/"))
    opened = json.loads(_run(*base, "--expand", deepest["id"]).stdout)
    assert any(c["id"] == deepest["id"] and not c["collapsed"] for c in opened["clusters"])


def test_svg_is_the_wrapped_layout_with_box_ids(half_plus_two_cpu: Path) -> None:
    result = _run(str(half_plus_two_cpu), "--signature", "regress_x_to_y2", "--format", "svg")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<svg")
    assert "<title>output:outputs</title>" in result.stdout
