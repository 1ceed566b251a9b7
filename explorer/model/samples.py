"""The bundled sample models: where they are and what each shows, and where the app's
page (``app.py``) is, whichever way the package was installed."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from explorer.model.locate import is_saved_model_dir, list_versions


def _bundle_dir() -> Path:
    """The folder holding ``app.py``, ``components/`` and ``sample_models/``.

    In a checkout (and an editable install) that is the repository root, beside the
    ``explorer`` package. A wheel carries the same files as package data in
    ``explorer/_app/`` (see setup.py: one import name in site-packages, no top-level
    ``app`` or ``components`` module to clash with anyone's).
    """
    package = Path(__file__).resolve().parents[1]
    checkout = package.parent
    if (checkout / "app.py").is_file() and (checkout / "sample_models").is_dir():
        return checkout
    return package / "_app"


BUNDLE_DIR = _bundle_dir()
SAMPLES_DIR = BUNDLE_DIR / "sample_models"
# The Streamlit page ``signature-explorer app`` runs (it imports ``components`` from the
# folder it lies in: Streamlit puts the script's folder on sys.path).
APP_SCRIPT = BUNDLE_DIR / "app.py"
# The sample the app opens on: TF1 classify, regress and predict over one model.
DEFAULT_SAMPLE = "flowers_tf1"


@dataclass(frozen=True, slots=True)
class Sample:
    """One bundled SavedModel (or TF Serving base folder)."""

    name: str
    path: Path
    description: str
    versioned: bool


def list_samples(directory: Path = SAMPLES_DIR) -> tuple[Sample, ...]:
    """Every sample folder, the default one first, then by name."""
    descriptions = _descriptions(directory)
    found = []
    for child in sorted(directory.iterdir()) if directory.is_dir() else ():
        if child.name.startswith((".", "_")) or not child.is_dir():
            continue
        versioned = not is_saved_model_dir(child) and bool(list_versions(child))
        if is_saved_model_dir(child) or versioned:
            found.append(Sample(child.name, child, descriptions.get(child.name, ""), versioned))
    found.sort(key=lambda s: (s.name != DEFAULT_SAMPLE, s.name))
    return tuple(found)


@cache
def _descriptions(directory: Path) -> dict[str, str]:
    # build.py declares each sample; it imports TensorFlow only inside its build functions.
    build_script = directory / "build.py"
    spec = importlib.util.spec_from_file_location("_sample_models_build", build_script)
    if spec is None or spec.loader is None or not build_script.is_file():
        return {}
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    try:
        spec.loader.exec_module(module)
    except Exception:  # a broken build script must not break the catalogue
        return {}
    finally:
        sys.modules.pop(spec.name, None)
    return {s.name: s.description for s in getattr(module, "SAMPLES", ())}
