"""Reading metadata never imports TensorFlow, and yet gives exactly TensorFlow's JSON.

Issue "Instant metadata": ``explorer.model.protos`` builds TensorFlow's message classes from the
descriptors inside TF's ``*_pb2.py`` files, so that everything that only reads a model
costs milliseconds instead of the ~6 s TensorFlow takes to import. Two things can break
that: a module growing a TensorFlow (or Keras) import, and the private descriptor pool
drifting from the classes TensorFlow itself uses. One test guards each.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ANCHORS, REPO, SAMPLES

# Must import without TensorFlow however they are used: the metadata path of the library.
METADATA_MODULES = (
    "explorer",
    "explorer.model.reader",
    "explorer.serving.rules",
    "explorer.serving.metadata",
    "explorer.serving.listing",
    "explorer.model.samples",
    "explorer.cli",
    "explorer.cli.show",
)
# The one module allowed to import TensorFlow (lazily, to run a signature). Every other
# module under explorer/ is checked too, as soon as its file exists: signature_graph, dot,
# safety, node_inspector, example_features, rest_json, tf_example, calls, cli/graph, ...
TF_ALLOWED = frozenset({"explorer.run.session"})
# Top-level packages whose presence in sys.modules means the ~6 s import happened
# (streamlit too: explorer/ never imports it).
FORBIDDEN = ("tensorflow", "keras", "tf_keras", "streamlit")

# Runs in a fresh interpreter. A meta-path finder records the import stack the first time
# a forbidden package is looked up, so a failure names the module that pulled it in.
_PROBE = textwrap.dedent(
    """
    import contextlib, importlib, io, json, sys, traceback

    FORBIDDEN = set(sys.argv[1].split(","))
    modules, shows = json.loads(sys.argv[2]), json.loads(sys.argv[3])
    culprits = {}

    class Recorder:
        def find_spec(self, name, path=None, target=None):
            top = name.partition(".")[0]
            if top in FORBIDDEN and top not in culprits:
                stack = traceback.extract_stack()[:-1]
                # importlib.util.find_spec only locates (explorer.model.protos does, for TF's
                # .py files); an import goes through _find_and_load.
                if any(frame.name == "_find_and_load" for frame in stack):
                    culprits[top] = "".join(traceback.format_list(stack[-25:]))
            return None

    sys.meta_path.insert(0, Recorder())
    # One module failing (or being half-written) must not hide what the others import.
    errors = {}
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            errors[name] = f"{type(exc).__name__}: {exc}"
    try:
        from explorer.cli import main
        from explorer.model.samples import list_samples

        list_samples()
        for argv in shows:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = main(argv)
            if code != 0 or not out.getvalue():
                errors[" ".join(argv)] = f"exit {code}, output {out.getvalue()[:200]!r}"
    except Exception as exc:
        errors["explorer.cli.main"] = f"{type(exc).__name__}: {exc}"
    loaded = sorted(m for m in sys.modules if m.partition(".")[0] in FORBIDDEN)
    print(json.dumps({"loaded": loaded[:20], "culprits": culprits, "errors": errors}))
    """
)


def _explorer_modules() -> list[str]:
    """METADATA_MODULES first, then every other module file under explorer/ but the session."""
    found = []
    for path in sorted((REPO / "explorer").rglob("*.py")):
        parts = path.relative_to(REPO).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        if name not in METADATA_MODULES and name not in TF_ALLOWED and name != "explorer.__main__":
            found.append(name)
    return [*METADATA_MODULES, *found]


def _model_folders() -> list[tuple[str, Path, int | None]]:
    """(id, folder for ``show``, version) for every sample and anchor, each version apart."""
    found: list[tuple[str, Path, int | None]] = []
    for label, root in (("samples", SAMPLES), ("anchors", ANCHORS)):
        children = sorted(root.iterdir()) if root.is_dir() else []
        for child in children:
            if child.name.startswith((".", "_")) or not child.is_dir():
                continue
            if _is_saved_model(child):
                found.append((f"{label}/{child.name}", child, None))
                continue
            for version_dir in sorted(child.iterdir()):
                if version_dir.name.isdigit() and _is_saved_model(version_dir):
                    version = int(version_dir.name)
                    found.append((f"{label}/{child.name}@{version}", child, version))
    return found


def _is_saved_model(folder: Path) -> bool:
    return (folder / "saved_model.pb").is_file() or (folder / "saved_model.pbtxt").is_file()


MODELS = _model_folders()


@pytest.mark.usefixtures("anchors")  # fails loudly when the anchor models are missing
def test_metadata_path_never_imports_tensorflow() -> None:
    modules = _explorer_modules()
    shows: list[list[str]] = []
    for _, folder, version in MODELS:
        flags = [] if version is None else ["--version", str(version)]
        shows.append(["show", str(folder), *flags])
        shows.append(["show", str(folder), *flags, "--json"])
    assert shows, "no sample or anchor model found to run show on"
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _PROBE,
            ",".join(FORBIDDEN),
            json.dumps(modules),
            json.dumps(shows),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["loaded"] == [], (
        f"TensorFlow-free path loaded {report['loaded']}; first import came from:\n"
        + "\n".join(f"--- {top}\n{stack}" for top, stack in report["culprits"].items())
    )
    assert report["errors"] == {}, "failed imports or show runs:\n" + "\n".join(
        f"  {what}: {error}" for what, error in report["errors"].items()
    )


@pytest.fixture(scope="module")
def tf_saved_model_pb2() -> ModuleType:
    """TensorFlow's own generated SavedModel module (this imports TensorFlow, once)."""
    from tensorflow.core.protobuf import saved_model_pb2

    return saved_model_pb2


def test_anchor_versions_are_all_covered(anchors: Path) -> None:
    anchor_ids = [model_id for model_id, _, _ in MODELS if model_id.startswith("anchors/")]
    assert len(anchor_ids) >= 3, anchor_ids  # half_plus_two_cpu@123, 2_versions@123 and @124


@pytest.mark.parametrize(
    ("folder", "version"),
    [pytest.param(folder, version, id=model_id) for model_id, folder, version in MODELS],
)
def test_show_json_equals_json_format_over_tensorflow_classes(
    tf_saved_model_pb2: ModuleType,
    capsys: pytest.CaptureFixture[str],
    folder: Path,
    version: int | None,
) -> None:
    from explorer.cli import main

    model_dir = folder if version is None else _version_dir(folder, version)
    saved_model = _parse_with_tensorflow(tf_saved_model_pb2, model_dir)
    assert saved_model.meta_graphs
    seen: set[frozenset[str]] = set()
    for meta_graph in saved_model.meta_graphs:
        if frozenset(meta_graph.meta_info_def.tags) in seen:
            continue  # --tags picks the first MetaGraph with a tag-set, as TF does
        seen.add(frozenset(meta_graph.meta_info_def.tags))
        tags = ",".join(meta_graph.meta_info_def.tags)
        flags = ["--tags", tags] + ([] if version is None else ["--version", str(version)])
        capsys.readouterr()
        assert main(["show", str(folder), *flags, "--json"]) == 0
        ours = json.loads(capsys.readouterr().out)["metadata"]
        theirs = {"signature_def": {"signature_def": _tf_signature_map(meta_graph)}}
        assert ours == theirs, f"tag-set {tags!r}"
        assert json.dumps(ours, indent=1) == json.dumps(theirs, indent=1), f"tag-set {tags!r}"


def _version_dir(base: Path, version: int) -> Path:
    return next(c for c in base.iterdir() if c.name.isdigit() and int(c.name) == version)


def _parse_with_tensorflow(saved_model_pb2: ModuleType, model_dir: Path) -> Any:
    from google.protobuf import text_format

    saved_model = saved_model_pb2.SavedModel()
    pb = model_dir / "saved_model.pb"
    if pb.is_file():
        saved_model.ParseFromString(pb.read_bytes())
    else:
        text_format.Parse((model_dir / "saved_model.pbtxt").read_text(), saved_model)
    return saved_model


def _tf_signature_map(meta_graph: Any) -> dict[str, Any]:
    """TF Serving's printer over TensorFlow's classes, map keys sorted as metadata_json does."""
    from google.protobuf import json_format

    result = {}
    for key in sorted(meta_graph.signature_def):
        signature = json_format.MessageToDict(
            meta_graph.signature_def[key],
            preserving_proto_field_name=True,
            always_print_fields_with_no_presence=True,
        )
        for map_field in ("inputs", "outputs", "defaults"):
            signature[map_field] = dict(sorted(signature[map_field].items()))
        result[key] = signature
    return result
