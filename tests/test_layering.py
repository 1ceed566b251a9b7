"""The three layers stay apart: explorer ← components ← app.py."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import explorer
from tests.conftest import REPO


def _imports(path: Path) -> set[str]:
    """Top-level packages a module imports (type-only imports under TYPE_CHECKING aside)."""
    names: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for n in ast.walk(block)
    }
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", sorted((REPO / "explorer").rglob("*.py")), ids=str)
def test_explorer_never_imports_streamlit(path: Path) -> None:
    assert "streamlit" not in _imports(path)


@pytest.mark.parametrize("path", sorted((REPO / "components").rglob("*.py")), ids=str)
def test_components_hold_no_tensorflow(path: Path) -> None:
    assert not {"tensorflow", "keras"} & _imports(path)


def test_only_the_workers_session_imports_tensorflow() -> None:
    importers = sorted(
        str(p.relative_to(REPO))
        for p in (REPO / "explorer").rglob("*.py")
        if "tensorflow" in _imports(p)
    )
    assert importers == ["explorer/run/session.py"]


def test_all_lists_exactly_the_public_names() -> None:
    assert set(explorer.__all__) == set(explorer._EXPORTS)
    assert sorted(explorer.__all__) == explorer.__all__
    for name in explorer.__all__:
        assert getattr(explorer, name).__name__ == name


def test_import_explorer_is_free_of_tensorflow_and_streamlit() -> None:
    code = (
        "import sys, explorer\n"
        "assert 'tensorflow' not in sys.modules\n"
        "assert 'streamlit' not in sys.modules\n"
        "assert 'numpy' not in sys.modules, 'import explorer should stay cheap'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_show_imports_neither_numpy_nor_tensorflow() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from explorer.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['show', 'sample_models/flowers_tf1', '--json']) == 0\n"
        "leaked = {'numpy', 'tensorflow'} & set(sys.modules)\n"
        "assert not leaked, leaked\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO)


def test_the_import_contracts_hold() -> None:
    done = subprocess.run(["lint-imports"], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:]


def test_a_lower_layer_importing_a_higher_one_breaks_the_contract(tmp_path: Path) -> None:
    # The contracts must catch a real violation, not just pass on today's code.
    shutil.copytree(REPO / "explorer", tmp_path / "explorer")
    shutil.copytree(REPO / "components", tmp_path / "components")
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / "explorer" / "model" / "upward.py").write_text("import explorer.cli\n")
    done = subprocess.run(
        ["lint-imports"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.returncode != 0
    assert "explorer.model is not allowed to import explorer.cli" in done.stdout


def test_the_core_type_checks() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:]
