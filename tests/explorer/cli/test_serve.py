"""``serve``: TF Serving's REST and gRPC APIs for a local model, answering the explorer's own
TF Serving target (run in a thread here; the command waits for Ctrl-C)."""

from __future__ import annotations

import argparse
import re
import threading
from pathlib import Path

import pytest

from explorer.cli import serve
from explorer.errors import UsageError
from explorer.remote.target import RemoteTarget
from tests.conftest import HALF_PLUS_TWO_2_VERSIONS


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    serve.add_parser(parser.add_subparsers())
    return parser.parse_args(["serve", *argv])


def test_serve_answers_rest_and_grpc_until_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    said: list[str] = []
    ready = threading.Event()

    def say(line: str) -> None:
        said.append(line)
        if line.startswith("Serving until"):
            ready.set()

    monkeypatch.setattr(serve, "_say", say)
    stop = threading.Event()
    args = _args(
        str(HALF_PLUS_TWO_2_VERSIONS), "--model-name", "hp2", "--rest-port", "0",
        "--grpc-port", "0", "--label", "stable=123",
    )  # fmt: skip
    worker = threading.Thread(target=serve.run, args=(args,), kwargs={"stop": stop})
    worker.start()
    try:
        assert ready.wait(120), said
        urls = [line.split(": ", 1)[1] for line in said if line.startswith(("REST:", "gRPC:"))]
        assert [u.split("://")[0] for u in urls] == ["http", "grpc"]
        for url in urls:
            target = RemoteTarget(url, "hp2", label="stable")
            assert target.metadata().version == 123
            assert target.predict({"instances": [1.0, 2.0]}) == {"predictions": [2.5, 3.0]}
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive()


def test_a_bad_label_is_a_user_error() -> None:
    with pytest.raises(UsageError, match="expected LABEL=VERSION"):
        serve.run(_args(str(HALF_PLUS_TWO_2_VERSIONS), "--label", "stable"))


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--label", "stable=7"], "has no version 7 (versions: 123, 124)"),
        (["--host", ""], "name an interface"),
    ],
)
def test_settings_tf_serving_would_refuse_are_user_errors(extra: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=re.escape(message)):
        serve.run(_args(str(HALF_PLUS_TWO_2_VERSIONS), *extra))


def test_a_model_without_a_serve_meta_graph_is_not_served(tmp_path: Path) -> None:
    from explorer.errors import UnknownTagSetError
    from explorer.model import protos

    saved_model = protos.SavedModel()
    saved_model.meta_graphs.add().meta_info_def.tags.append("train")
    (tmp_path / "saved_model.pb").write_bytes(saved_model.SerializeToString())
    with pytest.raises(UnknownTagSetError, match="TF Serving loads the tag-set 'serve'"):
        serve.run(_args(str(tmp_path)))
