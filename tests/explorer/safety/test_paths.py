"""The allowed-roots policy: real locations only, symlinks cannot lead out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from explorer.errors import ModelSourceError
from explorer.model.samples import SAMPLES_DIR
from explorer.safety.paths import ENV_ALLOWED_ROOTS, AllowedRoots, check_allowed


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """allowed/ (with models and links), allowed-evil/, outside/ and a linked root."""
    allowed = tmp_path / "allowed"
    (allowed / "models" / "m1").mkdir(parents=True)
    outside = tmp_path / "outside"
    (outside / "secret").mkdir(parents=True)
    (tmp_path / "allowed-evil").mkdir()
    (allowed / "escape").symlink_to(outside / "secret")
    (allowed / "shortcut").symlink_to(allowed / "models" / "m1")
    (tmp_path / "root_link").symlink_to(allowed)
    return {"tmp": tmp_path, "allowed": allowed, "outside": outside}


def test_path_inside_a_root_is_returned_resolved(layout: dict[str, Path]) -> None:
    roots = AllowedRoots.of([layout["allowed"]])
    typed = layout["allowed"] / "models" / ".." / "models" / "m1"
    assert check_allowed(typed, roots) == (layout["allowed"] / "models" / "m1").resolve()
    assert check_allowed(layout["allowed"], roots) == layout["allowed"].resolve()


def test_path_outside_every_root_is_refused_with_the_fix(layout: dict[str, Path]) -> None:
    roots = AllowedRoots.of([layout["allowed"]])
    with pytest.raises(ModelSourceError) as info:
        check_allowed(layout["outside"] / "secret", roots)
    message = str(info.value)
    assert f"Path {layout['outside'] / 'secret'} is outside the allowed folders" in message
    assert str(layout["allowed"].resolve()) in message
    assert ENV_ALLOWED_ROOTS in message
    assert "allowed_roots in .streamlit/secrets.toml" in message


def test_symlink_out_of_a_root_is_refused(layout: dict[str, Path]) -> None:
    roots = AllowedRoots.of([layout["allowed"]])
    with pytest.raises(ModelSourceError, match=r"resolves to .*outside/secret"):
        check_allowed(layout["allowed"] / "escape", roots)
    with pytest.raises(ModelSourceError):
        check_allowed(layout["allowed"] / "escape" / "deeper", roots)
    assert not roots.contains(layout["allowed"] / "escape")


def test_symlink_within_a_root_resolves_to_its_target(layout: dict[str, Path]) -> None:
    roots = AllowedRoots.of([layout["allowed"]])
    real = (layout["allowed"] / "models" / "m1").resolve()
    assert check_allowed(layout["allowed"] / "shortcut", roots) == real


def test_dotdot_and_name_prefix_do_not_escape(layout: dict[str, Path]) -> None:
    roots = AllowedRoots.of([layout["allowed"]])
    for path in (layout["allowed"] / ".." / "outside", layout["tmp"] / "allowed-evil"):
        with pytest.raises(ModelSourceError):
            check_allowed(path, roots)


def test_a_linked_root_allows_its_target(layout: dict[str, Path]) -> None:
    roots = AllowedRoots.of([layout["tmp"] / "root_link"])
    assert roots.roots == (layout["allowed"].resolve(),)
    real = (layout["allowed"] / "models" / "m1").resolve()
    assert check_allowed(layout["tmp"] / "root_link" / "models" / "m1", roots) == real
    assert check_allowed(layout["allowed"] / "models" / "m1", roots) == real


def test_roots_from_environment_and_secrets(
    layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(layout["outside"])
    env = {ENV_ALLOWED_ROOTS: f"{layout['allowed']}{os.pathsep}{os.pathsep}"}
    roots = AllowedRoots.from_env([layout["tmp"] / "allowed-evil"], environ=env)
    assert roots.roots == (
        SAMPLES_DIR.resolve(),
        layout["allowed"].resolve(),
        (layout["tmp"] / "allowed-evil").resolve(),
    )
    # Configured roots replace the working folder.
    assert not roots.contains(layout["outside"])


def test_default_roots_are_samples_and_working_folder(
    layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(layout["outside"])
    monkeypatch.delenv(ENV_ALLOWED_ROOTS, raising=False)
    roots = AllowedRoots.from_env()
    assert roots.roots == (SAMPLES_DIR.resolve(), layout["outside"].resolve())
    assert check_allowed("secret") == (layout["outside"] / "secret").resolve()
    assert check_allowed(SAMPLES_DIR / "flowers_tf1").is_relative_to(SAMPLES_DIR.resolve())
    with pytest.raises(ModelSourceError):
        check_allowed(layout["allowed"])


def test_check_allowed_reads_the_environment_by_default(
    layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_ALLOWED_ROOTS, str(layout["allowed"]))
    assert check_allowed(layout["allowed"] / "models").name == "models"
    with pytest.raises(ModelSourceError):
        check_allowed(layout["outside"])


def test_home_folder_is_expanded(layout: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(layout["allowed"]))
    roots = AllowedRoots.of(["~"])
    assert check_allowed("~/models/m1", roots) == (layout["allowed"] / "models" / "m1").resolve()
    assert check_allowed("~/shortcut", roots) == (layout["allowed"] / "models" / "m1").resolve()
