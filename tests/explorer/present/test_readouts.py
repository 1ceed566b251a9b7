"""Score outputs ranked with their labels: labels files in the forms people have them, and
label lists a model carries as assets."""

from __future__ import annotations

import json

import numpy as np
import pytest

from explorer.errors import InputError
from explorer.model.reader import read_model
from explorer.present.readouts import (
    asset_label_lists,
    is_distribution,
    is_score_output,
    read_labels,
    top_k,
)
from tests.conftest import SAMPLES


def test_top_k_ranks_highest_first_with_labels() -> None:
    labels = read_labels("labels.txt", b"cat\ndog\nbird\nfish\n\n")
    scores = np.array([0.1, 0.5, np.nan, 0.4], np.float32)
    ranked = top_k(scores, 3, labels)
    assert [(r.index, r.label) for r in ranked] == [(1, "dog"), (3, "fish"), (0, "cat")]
    assert ranked[0].score == pytest.approx(0.5)
    assert [r.label for r in top_k(scores, 2)] == ["class 1", "class 3"]
    assert is_score_output(np.zeros((2, 1000), np.float32))
    assert not is_score_output(np.zeros((2, 1), np.float32))
    assert not is_score_output(np.zeros((2, 5), np.int64))
    assert is_distribution(np.array([0.25, 0.75]))
    assert not is_distribution(np.array([2.0, -1.0]))


def test_labels_files_in_every_common_form() -> None:
    assert read_labels("l.json", b'["a", "b"]').names == ("a", "b")
    # Keras' imagenet_class_index.json: index -> [WordNet id, name].
    keras_style = json.dumps({"1": ["n01443537", "goldfish"], "0": ["n01440764", "tench"]})
    assert read_labels("i.json", keras_style.encode()).names == ("tench", "goldfish")
    assert read_labels("gap.json", b'{"0": "a", "2": "c"}').names == ("a", "class 1", "c")
    with pytest.raises(InputError, match="keys must be class indexes"):
        read_labels("bad.json", b'{"cat": 0}')
    with pytest.raises(InputError, match="starts like JSON but is not"):
        read_labels("bad.json", b'["a",')
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_labels("bin.txt", b"\xff\xfe\x00")


def test_an_asset_with_one_line_per_class_offers_its_labels() -> None:
    meta_graph = read_model(SAMPLES / "tabular_churn").meta_graph()
    (labels,) = asset_label_lists(meta_graph, 3)
    assert labels.names == ("basic", "standard", "premium")
    assert labels.source == 'the model\'s asset "plan_vocab.txt"'
    assert asset_label_lists(meta_graph, 4) == ()
