"""The three layers stay apart: explorer ← components ← app.py."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import explorer
from tests.conftest import REPO


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
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


def test_only_the_runner_imports_tensorflow() -> None:
    importers = sorted(
        str(p.relative_to(REPO))
        for p in (REPO / "explorer").rglob("*.py")
        if "tensorflow" in _imports(p)
    )
    assert importers == ["explorer/run/runner.py"]


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
