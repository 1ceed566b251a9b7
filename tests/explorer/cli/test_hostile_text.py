"""A model's names never drive the terminal: every human output escapes control characters."""

from __future__ import annotations

import json
import subprocess
import xml.dom.minidom
from pathlib import Path

import pytest

from explorer.model import protos
from explorer.model.reader import read_model
from tests.cli_runs import run_explorer_commands
from tests.hostile_text import (
    LITERALS,
    PAYLOAD,
    HostileTextModel,
    build_hostile_text_model,
    raw_controls,
)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileTextModel:
    return build_hostile_text_model(tmp_path_factory.mktemp("hostile_cli"))


@pytest.fixture(scope="module")
def runs(hostile: HostileTextModel) -> dict[str, subprocess.CompletedProcess[str]]:
    path = str(hostile.path)
    return run_explorer_commands(
        {
            "show": (["show", path], None),
            "scan": (["scan", path], None),
            "scan_json": (["scan", path, "--json"], None),
            "graph": (["graph", path, "--signature", hostile.key], None),
            "svg": (["graph", path, "--signature", hostile.key, "--format", "svg"], None),
            "diff": (["diff", path, path], None),
            # Refused before anything runs: the message quotes the unsafe op's location.
            "predict": (["predict", path, "--request", '{"instances": [1.0]}'], None),
            "bad_tags": (["show", path, "--tags", "serve\x1b[2J\x1b[31m"], None),
            # The message lists the keys there are: the hostile one among them.
            "unknown_key": (["graph", path, "--signature", "nope"], None),
        }
    )


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("show", 0),
        ("scan", 1),
        ("graph", 0),
        ("svg", 0),
        ("diff", 0),
        ("predict", 2),
        ("bad_tags", 2),
        ("unknown_key", 2),
    ],
)
def test_human_output_holds_no_raw_control_character(
    runs: dict[str, subprocess.CompletedProcess[str]], name: str, code: int
) -> None:
    run = runs[name]
    assert run.returncode == code, run.stderr
    assert raw_controls(run.stdout) == [], run.stdout
    assert raw_controls(run.stderr) == [], run.stderr
    assert "Traceback" not in run.stderr


def test_show_prints_every_name_literally_with_its_controls_escaped(
    runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    out = runs["show"].stdout
    for literal in LITERALS:
        assert literal in out
    assert "signature_def['key\\x1b[2J\\x1b[31mRED\\x1b[0m\\x1b]8;;" in out
    assert "\\r [link]" in out
    assert "\\u202eRLO\\x9b31m" in out


def test_scan_keeps_each_finding_on_its_lines(
    runs: dict[str, subprocess.CompletedProcess[str]], hostile: HostileTextModel
) -> None:
    out = runs["scan"].stdout
    finding = next(line for line in out.splitlines() if line.startswith("  WriteFile"))
    # Location and all on one line: neither "\r" nor ESC in the node name can move the cursor.
    assert "\\x1b[2J" in finding
    assert "\\r [link](//evil.example/n)" in finding
    assert "reached from: key\\x1b[2J" in out
    # JSON keeps the model's exact text (json.dumps escapes C0 controls itself).
    doc = json.loads(runs["scan_json"].stdout)
    assert doc["meta_graphs"][0]["signatures_affected"] == [hostile.key]


def test_errors_quote_names_escaped(runs: dict[str, subprocess.CompletedProcess[str]]) -> None:
    assert "unsafe ops (WriteFile)" in runs["predict"].stderr
    assert "key\\x1b[2J\\x1b[31mRED" in runs["unknown_key"].stderr
    assert runs["bad_tags"].stderr.startswith("error: ")
    assert "serve\\x1b[2J\\x1b[31m" in runs["bad_tags"].stderr


def test_graph_dot_and_svg_hold_the_names_escaped(
    runs: dict[str, subprocess.CompletedProcess[str]],
) -> None:
    assert "[link](https://evil.example/l)" in runs["graph"].stdout
    svg = runs["svg"].stdout
    assert svg.lstrip().startswith("<?xml") or "<svg" in svg
    assert "\\x1b[2J" in svg  # as text: the SVG stays well-formed XML
    xml.dom.minidom.parseString(svg.encode())


def test_payload_really_holds_what_a_terminal_obeys() -> None:
    # The test's own premise: without escaping, these outputs would carry ESC, CR, CSI, RLO.
    assert {"U+001B", "U+000D", "U+009B", "U+202E", "U+0007"} <= set(raw_controls(PAYLOAD))


def test_every_name_reaches_the_cli(hostile: HostileTextModel) -> None:
    # The builder's names are what the model holds (guards the builder against drift).
    meta_graph = read_model(hostile.path).meta_graphs[0]
    signature = meta_graph.signature(hostile.key)
    assert signature.method_name == hostile.method_name
    assert [t.key for t in signature.inputs] == [hostile.input_key]
    assert [t.key for t in signature.outputs] == [hostile.output_key]


SPOOF = "\n\nMetaGraph serve: clean (spoofed)\n"


def test_a_line_break_in_a_name_cannot_start_a_line_of_its_own(tmp_path: Path) -> None:
    # A key, an input key and a method name ending a line and writing one the listing's way.
    saved_model = protos.SavedModel()
    meta_graph = saved_model.meta_graphs.add()
    meta_graph.meta_info_def.tags.append("serve")
    meta_graph.graph_def.node.add(name="x", op="Placeholder").attr["dtype"].type = 1
    signature = meta_graph.signature_def["read" + SPOOF]
    signature.method_name = "tensorflow/serving/predict" + SPOOF
    signature.inputs["in" + SPOOF].name = "x:0"
    signature.inputs["in" + SPOOF].dtype = 1
    signature.outputs["out"].name = "x:0"
    signature.outputs["out"].dtype = 1
    (tmp_path / "saved_model.pb").write_bytes(saved_model.SerializeToString())
    path = str(tmp_path)
    runs = run_explorer_commands(
        {
            "show": (["show", path], None),
            "scan": (["scan", path], None),
            "diff": (["diff", path, path], None),
            "graph": (["graph", path, "--signature", "read" + SPOOF], None),
        }
    )
    for name, run in runs.items():
        assert "Traceback" not in run.stderr, name
        for line in (run.stdout + run.stderr).splitlines():
            assert not line.startswith("MetaGraph serve: clean (spoofed)"), (name, run.stdout)
    assert "signature_def['read\\n\\nMetaGraph serve: clean (spoofed)\\n']:" in runs["show"].stdout
