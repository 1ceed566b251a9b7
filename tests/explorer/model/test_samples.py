"""The committed sample models match what ``sample_models/build.py`` declares.

``SAMPLES`` in build.py states every signature TF writes (keys, method names, TensorInfo
encodings, tensor names, dtypes, shapes, defaults). Reading the committed folders back
with the TensorFlow-free reader keeps them from drifting from the script: after changing
a builder, rerun ``python sample_models/build.py`` and update the declaration.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from explorer.model.info import TensorInfo
from explorer.model.reader import read_model
from sample_models.build import SAMPLES, SampleSpec, SignatureDecl, TensorDecl

SAMPLES_DIR = Path(__file__).resolve().parents[3] / "sample_models"
MAX_TOTAL_BYTES = 5 * 1024 * 1024

# One case per SavedModel on disk: (sample, version or None).
CASES = [
    pytest.param(spec, version, id=spec.name + (f"/{version}" if version else ""))
    for spec in SAMPLES
    for version in spec.signature_maps()
]
VERSIONED = [spec for spec in SAMPLES if spec.versioned]


def _as_decl(info: TensorInfo) -> TensorDecl:
    """What the reader found, in the declaration's terms."""
    return TensorDecl(
        dtype=info.dtype,
        shape=info.shape,
        encoding=info.encoding,
        name=info.name,
        components=info.sparse_tensors or info.component_names,
    )


def _read_signatures(spec: SampleSpec, version: int | None) -> dict[str, SignatureDecl]:
    model = read_model(SAMPLES_DIR / spec.name, version=version)
    (meta_graph,) = model.meta_graphs
    assert meta_graph.tags == ("serve",)
    return {
        sig.key: SignatureDecl(
            method_name=sig.method_name,
            inputs={t.key: _as_decl(t) for t in sig.inputs},
            outputs={t.key: _as_decl(t) for t in sig.outputs},
            defaults=tuple(sorted(sig.defaults)),
        )
        for sig in meta_graph.signatures
    }


@pytest.mark.parametrize(("spec", "version"), CASES)
def test_signatures_match_declaration(spec: SampleSpec, version: int | None) -> None:
    declared = spec.signature_maps()[version]
    found = _read_signatures(spec, version)
    assert sorted(found) == sorted(declared)
    for key, decl in declared.items():
        # Per signature, so a failure names the signature that drifted.
        assert found[key] == decl, key


@pytest.mark.parametrize(("spec", "version"), CASES)
def test_assets_are_declared_and_present(spec: SampleSpec, version: int | None) -> None:
    meta_graph = read_model(SAMPLES_DIR / spec.name, version=version).meta_graph()
    assert tuple(a.filename for a in meta_graph.assets) == spec.assets
    assert all(a.size_bytes for a in meta_graph.assets)


@pytest.mark.parametrize("spec", VERSIONED, ids=lambda s: s.name)
def test_versioned_samples_are_serving_base_folders(spec: SampleSpec) -> None:
    model = read_model(SAMPLES_DIR / spec.name)
    assert model.name == spec.name
    assert model.version == max(spec.versions)  # TF Serving serves the newest
    assert model.available_versions == tuple(sorted(spec.versions))


def test_every_sample_folder_is_declared() -> None:
    folders = {
        p.name for p in SAMPLES_DIR.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))
    }
    assert folders == {s.name for s in SAMPLES}


def test_samples_total_under_5_mb() -> None:
    total = sum(f.stat().st_size for f in SAMPLES_DIR.rglob("*") if f.is_file())
    assert total < MAX_TOTAL_BYTES, f"sample_models/ holds {total} bytes"


def test_readme_covers_every_sample() -> None:
    readme = (SAMPLES_DIR / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SAMPLES if f"`{s.name}`" not in readme]
    assert not missing


def test_declaration_imports_without_tensorflow() -> None:
    # A fresh interpreter: this test session may already have TensorFlow loaded.
    code = (
        "import sys; from sample_models.build import SAMPLES; "
        "assert SAMPLES; assert 'tensorflow' not in sys.modules, 'TF imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=SAMPLES_DIR.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
