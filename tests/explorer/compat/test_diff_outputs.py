"""diff on whole models and outputs: missing variables, a lone output's alias, a
classifier losing an output."""

from __future__ import annotations

import shutil
from pathlib import Path

from explorer.compat.diff import diff_models
from explorer.constants import CLASSIFY_METHOD_NAME
from explorer.model.reader import read_model
from tests.conftest import SAMPLES
from tests.explorer.compat.test_diff import _diff, _sig, _t


def test_a_new_model_without_its_variables_breaks_clients(tmp_path: Path) -> None:
    old = SAMPLES / "portable_linear" / "2"
    new = tmp_path / "2"
    shutil.copytree(old, new)
    shutil.rmtree(new / "variables")
    report = diff_models(read_model(old), read_model(new))
    (change,) = report.changes
    assert (change.kind, change.part, change.key, change.what) == (
        "breaking",
        "model",
        "variables",
        "missing",
    )
    assert "variables.index is missing" in change.why
    assert diff_models(read_model(old), read_model(old)).changes == ()


def test_a_lone_output_renamed_keeps_rest_answers_bare_unless_it_turns_base64() -> None:
    old = _sig(outputs=(_t("out", "DT_STRING"),))
    renamed = [
        (c.kind, c.key, c.what) for c in _diff(old, _sig(outputs=(_t("text", "DT_STRING"),)))
    ]
    assert renamed == [("breaking", "out", "removed"), ("safe", "text", "added")]
    changes = _diff(old, _sig(outputs=(_t("out_bytes", "DT_STRING"),)))
    added = next(c for c in changes if c.key == "out_bytes")
    assert (added.kind, added.what) == ("breaking", "added")
    assert '{"b64": ...}' in added.why
    two = _diff(old, _sig(outputs=(_t("out", "DT_STRING"), _t("more"))))
    assert [(c.kind, c.key) for c in two] == [("breaking", "more")]
    assert "bare values to objects" in two[0].why


def test_a_classifier_losing_an_output_answers_differently_not_fails() -> None:
    inputs = (_t("inputs", "DT_STRING", (None,)),)
    classes, scores = _t("classes", "DT_STRING", (None, 2)), _t("scores", "DT_FLOAT", (None, 2))
    old = _sig(inputs=inputs, outputs=(classes, scores), method=CLASSIFY_METHOD_NAME)
    new = _sig(inputs=inputs, outputs=(scores,), method=CLASSIFY_METHOD_NAME)
    api = next(c for c in _diff(old, new) if c.part == "api" and c.key == "Classify")
    assert api.what == "answers change"
    assert 'every label as ""' in api.why
