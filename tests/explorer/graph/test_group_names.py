"""Groups named the way a user names them (``--expand``, ``--collapse``): a layer's name opens
the layer's group, not the scope of its kernel among the constants & variables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.errors import GraphOptionError
from explorer.graph.build import SignatureSlice, prepare_signature
from explorer.model.reader import read_model
from tests.conftest import REPO

_LAYER = "StatefulPartitionedCall_1::StatefulPartitionedCall::resnet50_1/conv4_block6_2_conv_1/"


@pytest.fixture(scope="module")
def resnet(keras_applications: dict[str, Path]) -> SignatureSlice:
    return prepare_signature(
        read_model(keras_applications["ResNet50"]).meta_graph(), "serving_default"
    )


def _open(prepared: SignatureSlice, *names: str) -> set[str]:
    graph = prepared.view(expand=names)
    return {c.id for c in graph.clusters if not c.collapsed}


def test_a_layer_name_opens_the_layer_not_its_variables(resnet: SignatureSlice) -> None:
    # "conv4_block6_2_conv" is exactly the scope of the layer's kernel (a top-level
    # VarHandleOp among the constants & variables), and the layer's own scope's last part
    # without Keras's "_1": the layer wins.
    for name in (
        "conv4_block6_2_conv",
        "conv4_block6_2_conv_1",
        "resnet50_1/conv4_block6_2_conv_1",
    ):
        opened = _open(resnet, name)
        assert _LAYER in opened, (name, sorted(opened))
        assert not any("constants & variables" in g for g in opened), (name, sorted(opened))
    # The group id, as the drawing and --format json name it, is that group alone.
    assert _LAYER in _open(resnet, _LAYER)
    # Only the constants & variables have it: they open.
    kernel = "conv4_block6_2_conv/"
    assert kernel in resnet.hierarchy.groups
    assert kernel in _open(resnet, kernel)


def test_an_unknown_name_suggests_close_ones(resnet: SignatureSlice) -> None:
    with pytest.raises(GraphOptionError) as caught:
        resnet.view(expand=["conv4_block6_2_convv"])
    assert "conv4_block6_2_conv" in str(caught.value)


def test_cli_expand_by_layer_name(keras_applications: dict[str, Path]) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "explorer",
            "graph",
            str(keras_applications["ResNet50"]),
            "--signature",
            "serving_default",
            "--expand",
            "conv4_block6_2_conv",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    clusters = json.loads(done.stdout)["clusters"]
    opened = {c["id"] for c in clusters if not c["collapsed"]}
    assert _LAYER in opened
    assert not any("constants & variables" in c for c in opened)
