"""Warmup files written from test cases, and the bundled ones against their declaration."""

from __future__ import annotations

import json

import pytest

from explorer.compat.cases import load_cases, make_case
from explorer.deploy.warmup_file import parse_warmup, read_warmup
from explorer.deploy.warmup_write import export_cases, prediction_log
from explorer.errors import WarmupFileError
from explorer.model.reader import read_model
from sample_models.build import SAMPLES as DECLARED
from tests.conftest import SAMPLES

LINEAR = SAMPLES / "portable_linear"


@pytest.mark.parametrize(
    ("spec", "version"),
    [(s, v) for s in DECLARED for v in s.warmup],
    ids=lambda x: getattr(x, "name", str(x)),
)
def test_bundled_warmup_files_hold_what_build_declares(spec, version: int) -> None:  # type: ignore[no-untyped-def]
    model = read_model(SAMPLES / spec.name, version=version)
    file = read_warmup(model.path)
    assert file is not None
    assert file.stop is None
    expected = [
        prediction_log(m, body, model.meta_graph(), model.name) for m, body in spec.warmup[version]
    ]
    assert [r.log for r in file.records] == expected


def test_every_versioned_sample_declares_a_warmup_file_per_version() -> None:
    linear = next(s for s in DECLARED if s.name == "portable_linear")
    assert sorted(linear.warmup) == sorted(linear.versions)


def test_cases_become_predict_logs_as_the_rest_handler_converts_them() -> None:
    model = read_model(LINEAR, version=2)
    case = make_case(
        "named", "predict", {"signature_name": "serving_default", "inputs": {"x": [[1], [2]]}}, {}
    )
    export = export_cases([case], model.meta_graph(), model.name)
    (record,) = parse_warmup(export.data, "mem").records
    assert record.verb == "predict"
    assert record.inputs_text == "x float32[2,1]"  # ints in JSON, the signature's DT_FLOAT
    assert record.log.predict_log.request.model_spec.name == "portable_linear"


def test_a_case_without_signature_name_goes_to_its_signature() -> None:
    model = read_model(SAMPLES / "flowers_tf1")
    body = {"examples": [{"image": [0.0] * 16}]}
    case = make_case("c", "classify", body, {"results": []}, signature_name="classify_images")
    (record,) = parse_warmup(export_cases([case], model.meta_graph(), "f").data, "m").records
    assert record.signature == "classify_images"
    assert record.inputs_text == "examples tf.Example[1]"


def test_the_bundled_cases_export_without_their_error_case() -> None:
    model = read_model(LINEAR, version=2)
    cases = load_cases(LINEAR / "cases.jsonl")
    export = export_cases(cases, model.meta_graph(), model.name)
    erring = [c.name for c in cases if c.expects_error]
    assert erring
    assert [s.name for s in export.skipped] == erring
    assert list(export.written) == [c.name for c in cases if not c.expects_error]


def test_a_request_the_rest_handler_rejects_is_left_out_with_its_words() -> None:
    model = read_model(LINEAR, version=2)
    good = make_case("good", "predict", {"instances": [[1.0]]}, {"predictions": [[2.5]]})
    bad = make_case("bad", "predict", json.dumps({"instances": [["text"]]}), {"predictions": []})
    export = export_cases([good, bad], model.meta_graph(), model.name)
    assert export.written == ("good",)
    (skipped,) = export.skipped
    assert skipped.reason.startswith("TF Serving's REST handler rejects it: ")


def test_nothing_to_write_is_an_error() -> None:
    model = read_model(LINEAR, version=2)
    erring = make_case("e", "predict", {"instances": [[1.0]]}, {"error": "x"})
    with pytest.raises(WarmupFileError, match="No case can go into a warmup file"):
        export_cases([erring], model.meta_graph(), model.name)


def test_cases_that_do_not_fit_this_version_are_left_out_with_why() -> None:
    # The bundled cases were saved against versions 1 and 2 (x is (-1, 1)); version 3
    # declares x (-1, 2), so TF Serving's warmup would fail on them and with it the load.
    version3 = read_model(LINEAR, version=3)
    cases = load_cases(LINEAR / "cases.jsonl")
    fits = make_case("fits", "predict", {"instances": [[1.0, 2.0]]}, {"predictions": [[0.0]]})
    export = export_cases([*cases, fits], version3.meta_graph(), version3.name)
    assert export.written == ("fits",)
    reasons = {s.name: s.reason for s in export.skipped}
    assert set(reasons) == {c.name for c in cases}
    assert reasons["one_row"] == (
        "it does not fit this version's signature, and TF Serving's load would likely fail "
        "on it: Input x is sent as float32[1,1] where the signature declares DT_FLOAT "
        "(-1, 2): x has 1 in dimension 1 where 2 is declared."
    )
    assert reasons["string_is_rejected"].startswith("it records an error answer")
    (record,) = parse_warmup(export.data, "mem").records
    assert record.inputs_text == "x float32[1,2]"
    # None left: nothing is written rather than a file TF Serving cannot load.
    with pytest.raises(WarmupFileError, match=r"No case can go into a warmup file \(one_row: "):
        export_cases(cases, version3.meta_graph(), version3.name)
