"""Every path read inside a model folder stays inside it (or an allowed root), and a path no
file system can hold is one message.

A model built here from the half_plus_two anchor gets, one case at a time, a version
folder, a ``saved_model.pb``, a ``saved_model.pbtxt``, ``variables/`` or an asset that is a
link to a folder of secrets next to it; each is refused with a message naming the link and
how to allow it, before anything behind the link is read (the secret text never appears).
Links that stay inside the model, or lead into a configured root, are followed. A
``saved_model.pb`` that is a FIFO is refused at once (TensorFlow's loader waits on it
forever), a pbtxt past its limit and a .pb past protobuf's are refused unread.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import threading
import tracemalloc
from pathlib import Path

import pytest

from explorer.errors import ExplorerError, InvalidSavedModelError, ModelLimitError, ModelSourceError
from explorer.model.bounds import ENV_MAX_PBTXT_BYTES
from explorer.model.locate import ENV_ALLOWED_ROOTS, MAX_DATA_DEPTH, locate_model
from explorer.model.reader import read_model
from explorer.safety.paths import AllowedRoots, check_allowed
from tests.cli_runs import run_explorer_commands
from tests.conftest import HALF_PLUS_TWO_CPU

VERSION = HALF_PLUS_TWO_CPU / "00000123"
SECRET = "TOPSECRET-a1b2c3"


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """models/base/1 (a copy of half_plus_two) and secrets/ (a pbtxt-looking secret file,
    a folder of them) beside it; no allowed roots configured."""
    monkeypatch.delenv(ENV_ALLOWED_ROOTS, raising=False)
    base = tmp_path / "models" / "base"
    shutil.copytree(VERSION, base / "1")
    secrets = tmp_path / "secrets"
    (secrets / "vars").mkdir(parents=True)
    (secrets / "passwd").write_text(f"{SECRET} {{ not: a model }}\n", encoding="utf-8")
    shutil.copytree(VERSION / "variables", secrets / "vars", dirs_exist_ok=True)
    (secrets / "vars" / "secret.txt").write_text(SECRET, encoding="utf-8")
    (secrets / "model").mkdir()
    shutil.copy(VERSION / "saved_model.pb", secrets / "model" / "saved_model.pb")
    return {"tmp": tmp_path, "base": base, "version": base / "1", "secrets": secrets}


def _refused(path: Path, **kwargs: object) -> str:
    with pytest.raises(ModelSourceError) as info:
        read_model(path, **kwargs)  # type: ignore[arg-type]
    message = str(info.value)
    assert SECRET not in message
    assert "outside the model's folder" in message
    assert ENV_ALLOWED_ROOTS in message
    return message


def test_a_version_folder_linked_outside_is_refused(place: dict[str, Path]) -> None:
    (place["base"] / "7").symlink_to(place["secrets"] / "model")
    message = _refused(place["base"])  # the newest version, picked by default
    link = f"Version folder {place['base'] / '7'} is a link to {place['secrets'] / 'model'}"
    assert message.startswith(link)
    _refused(place["base"], version=7)  # as a version picker asks
    assert read_model(place["base"], version=1).version == 1  # the others still open


def test_saved_model_files_linked_outside_are_refused(place: dict[str, Path]) -> None:
    version = place["version"]
    (version / "saved_model.pb").unlink()
    (version / "saved_model.pbtxt").symlink_to(place["secrets"] / "passwd")
    message = _refused(version)
    assert message.startswith(f"saved_model.pbtxt in {version} is a link to ")
    (version / "saved_model.pbtxt").unlink()
    (version / "saved_model.pb").symlink_to(place["secrets"] / "passwd")
    assert _refused(place["base"]).startswith(f"saved_model.pb in {version} is a link")


LINKED = {
    "variables": "vars",
    "assets": "vars",
    "assets/vocab.txt": "secret.txt",
    "assets.extra": "vars",
    "variables/variables.index": "vars/secret.txt",
}


@pytest.mark.parametrize("linked", list(LINKED))
def test_data_folders_and_entries_linked_outside_are_refused(
    place: dict[str, Path], linked: str
) -> None:
    version = place["version"]
    if (version / linked).is_dir():
        shutil.rmtree(version / linked)
    elif (version / linked).exists():
        (version / linked).unlink()
    target = place["secrets"] / LINKED[linked]
    (version / linked).symlink_to(target)
    message = _refused(version)
    assert message.startswith(f"{linked} in {version} is a link to {target}")


def test_links_inside_the_model_or_an_allowed_root_are_followed(place: dict[str, Path]) -> None:
    version = place["version"]
    (version / "assets" / "real.txt").write_text("words", encoding="utf-8")
    (version / "assets" / "alias.txt").symlink_to(version / "assets" / "real.txt")
    assets = {a.filename: a.size_bytes for a in read_model(version).meta_graph().assets}
    assert (assets["alias.txt"], assets["real.txt"]) == (5, 5)
    assert assets["foo.txt"] == (VERSION / "assets" / "foo.txt").stat().st_size

    (place["base"] / "7").symlink_to(place["secrets"] / "model")
    model = read_model(place["base"], roots=[place["secrets"]])
    assert (model.version, Path(model.path)) == (7, place["secrets"] / "model")


def test_the_allowed_roots_variable_allows_links_into_its_folders(
    place: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    (place["base"] / "7").symlink_to(place["secrets"] / "model")
    monkeypatch.setenv(
        ENV_ALLOWED_ROOTS, f"{place['tmp'] / 'elsewhere'}{os.pathsep}{place['secrets']}"
    )
    assert read_model(place["base"]).version == 7


def test_a_typed_path_allowed_by_its_roots_still_cannot_read_through_inner_links(
    place: dict[str, Path],
) -> None:
    (place["version"] / "saved_model.pb").unlink()
    (place["version"] / "saved_model.pb").symlink_to(place["secrets"] / "model" / "saved_model.pb")
    roots = AllowedRoots.of([place["tmp"] / "models"])
    folder = check_allowed(place["base"], roots)  # the typed path is fine ...
    _refused(folder)  # ... what it links to is not


def test_a_fifo_saved_model_is_refused_at_once(place: dict[str, Path]) -> None:
    pb = place["version"] / "saved_model.pb"
    pb.unlink()
    os.mkfifo(pb)
    outcome: list[BaseException | object] = []
    reader = threading.Thread(target=lambda: outcome.append(_catch(place["version"])))
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # it waits for a writer: give it one, then fail
        with open(pb, "wb"):
            pass
        reader.join()
        pytest.fail("reading a FIFO saved_model.pb blocked")
    (error,) = outcome
    assert isinstance(error, ModelSourceError)
    assert f"saved_model.pb in {place['version']} is not a regular file (a FIFO" in str(error)


@pytest.mark.parametrize("kind", ["a folder", "a socket"])
def test_other_special_model_files_are_named(place: dict[str, Path], kind: str) -> None:
    pb = place["version"] / "saved_model.pb"
    pb.unlink()
    if kind == "a folder":
        pb.mkdir()
        expected = "(a folder)"
    else:
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(pb))
        server.close()
        expected = "(a socket)"
    with pytest.raises(ModelSourceError, match=re.escape(f"is not a regular file {expected}")):
        read_model(place["version"])


def _catch(path: Path) -> BaseException | object:
    try:
        return read_model(path)
    except ExplorerError as exc:
        return exc


def test_a_large_pbtxt_is_refused_unread(
    place: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    version = place["version"]
    (version / "saved_model.pb").unlink()
    with open(version / "saved_model.pbtxt", "wb") as sparse:  # 263 MB, no disk used
        sparse.truncate(263_000_000)
    tracemalloc.start()
    try:
        with pytest.raises(ModelLimitError) as info:
            read_model(version)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000  # nothing of the file was read
    assert info.value.limit == ENV_MAX_PBTXT_BYTES
    assert "263,000,000 bytes, past the limit of 67,108,864 bytes" in str(info.value)
    assert "Convert it to saved_model.pb, or raise EXPLORER_MAX_PBTXT_BYTES" in str(info.value)
    (version / "saved_model.pbtxt").write_text("not { a: model " * 10, encoding="utf-8")
    monkeypatch.setenv(ENV_MAX_PBTXT_BYTES, "100")
    with pytest.raises(ModelLimitError, match="is 150 bytes, past the limit of 100 bytes"):
        read_model(version)
    monkeypatch.setenv(ENV_MAX_PBTXT_BYTES, "0")  # no limit: parsed (and not a model)
    with pytest.raises(InvalidSavedModelError, match="cannot parse text proto"):
        read_model(version)


def test_a_pb_past_protobufs_limit_is_refused_unread(place: dict[str, Path]) -> None:
    with open(place["version"] / "saved_model.pb", "wb") as sparse:
        sparse.truncate(3 * 1024**3)
    with pytest.raises(InvalidSavedModelError, match="past protobuf's limit of 2,147,483,647"):
        read_model(place["version"])


def test_data_folders_nested_too_deep_are_one_message(place: dict[str, Path]) -> None:
    deep = place["version"] / "assets" / Path(*["d"] * (MAX_DATA_DEPTH + 5))
    deep.mkdir(parents=True)
    with pytest.raises(ModelSourceError, match=f"at most {MAX_DATA_DEPTH} levels"):
        read_model(place["version"])


def _deep_folder(root: Path, levels: int, name: str) -> Path:
    """``root/name/name/...``, ``levels`` deep, made from inside one level at a time (its
    absolute path may pass PATH_MAX); ``rm -rf`` removes it at the end of the test (it is
    deeper than shutil.rmtree can recurse)."""
    fd = os.open(root, os.O_RDONLY)
    try:
        for _ in range(levels):
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)
    return root.joinpath(*[name] * levels)


@pytest.fixture(autouse=True)
def _remove_deep_folders(tmp_path: Path):  # type: ignore[no-untyped-def]
    yield
    for top in ("dir", "d"):
        subprocess.run(["rm", "-rf", str(tmp_path / top)], check=True)


BAD_PATHS = {
    "nul": ("/tmp/model\x00/x", "holds a NUL character"),
    "1000-character name": ("/tmp/" + "m" * 1000, "is 1,000 bytes long"),
    "1500-deep folder": (None, "bytes long; this system opens paths of at most 4,095"),
}


@pytest.mark.parametrize("case", list(BAD_PATHS))
def test_bad_paths_are_one_message(place: dict[str, Path], case: str) -> None:
    path, expected = BAD_PATHS[case]
    typed = str(_deep_folder(place["tmp"], 1500, "dir")) if path is None else path
    for call in (
        lambda: read_model(typed),
        lambda: locate_model(typed, version=3),
        lambda: check_allowed(typed, AllowedRoots.of([place["tmp"]])),
    ):
        with pytest.raises(ModelSourceError, match=expected):
            call()


def test_the_cli_says_so_in_one_line(place: dict[str, Path]) -> None:
    (place["base"] / "7").symlink_to(place["secrets"] / "model")
    deep = _deep_folder(place["tmp"], 1500, "dir")
    env = {k: v for k, v in os.environ.items() if k != ENV_ALLOWED_ROOTS}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])
    runs = run_explorer_commands(
        {
            "link": (["show", str(place["base"])], None),
            "deep": (["show", str(deep)], None),
            "long": (["scan", "/tmp/" + "m" * 1000], None),
        },
        env,
        timeout_s=60,
    )
    expected = {"link": "is a link to", "deep": "PATH_MAX", "long": "1,000 bytes long"}
    for name, run in runs.items():
        assert run.returncode == 2, (name, run.stderr)
        lines = run.stderr.strip().splitlines()
        assert len(lines) == 1, (name, run.stderr)
        assert lines[0].startswith("error: ")
        assert expected[name] in lines[0]
        assert SECRET not in run.stdout + run.stderr


def test_a_readable_deep_model_within_the_limits_opens(place: dict[str, Path]) -> None:
    deep = _deep_folder(place["tmp"], 1000, "d")  # 2,000 bytes: deep but openable
    shutil.copytree(VERSION, deep / "m")
    assert read_model(deep / "m").meta_graph().signatures
