"""``explorer.compat.cases`` and ``case_diff``: cases files, answer comparison, replay."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from explorer.compat.case_diff import compare_responses
from explorer.compat.cases import (
    TestCase,
    cases_text,
    load_cases,
    make_case,
    parse_cases,
    save_cases,
    with_case,
)
from explorer.compat.replay import replay_cases
from explorer.errors import CasesFileError, UnsafeModelError
from explorer.model.reader import read_model
from tests.conftest import HALF_PLUS_TWO_CPU, SAMPLES

LINEAR = SAMPLES / "portable_linear"
LINEAR_CASES = LINEAR / "cases.jsonl"
FLOWERS_CASES = SAMPLES / "flowers_tf1" / "cases.jsonl"


# --- cases and files ------------------------------------------------------------------------


def test_make_case_parses_text_and_names_the_signature() -> None:
    case = make_case(
        "two",
        "regress",
        '{"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]}',
        '{"results": [3.0]}',
    )
    assert case.signature_name == "regress_x_to_y"
    assert case.request == {"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]}
    assert case.response == {"results": [3.0]}
    assert case.created is not None
    assert case.created.endswith("+00:00")
    assert not case.expects_error


def test_make_case_keeps_a_body_that_is_not_an_object_as_text() -> None:
    error = {"error": "JSON Parse error: Invalid value. at offset: 0"}
    case = make_case("broken", "predict", "nonsense", error, created=None)
    assert case.request == "nonsense"
    assert case.signature_name == "serving_default"
    assert case.expects_error
    assert case.created is None


def test_make_case_refuses_bad_names_methods_and_responses() -> None:
    with pytest.raises(CasesFileError, match='"name" must be a non-empty string'):
        make_case(" ", "predict", "{}", "{}")
    with pytest.raises(CasesFileError, match='"method" must be classify, regress or predict'):
        make_case("a", "multi_inference", "{}", "{}")
    with pytest.raises(CasesFileError, match="the response is not JSON"):
        make_case("a", "predict", "{}", "<html>")


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    cases = (
        make_case("a", "predict", {"instances": [[1.0]]}, {"predictions": [[2.5]]}),
        make_case("b", "classify", {"examples": [{"x": 2}]}, {"error": "x"}, created=None),
        make_case("ünïcode", "predict", '{"instances": ["é"]}', {"predictions": ["é"]}),
    )
    path = save_cases(tmp_path / "cases.jsonl", cases)
    assert load_cases(path) == cases
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    assert json.loads(lines[2])["name"] == "ünïcode"
    # A JSON array of cases reads too; ints stay ints (TF Serving reads 2 as int64).
    assert parse_cases(json.dumps([c.as_dict() for c in cases])) == cases
    assert load_cases(path)[1].request == {"examples": [{"x": 2}]}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"name": "a"\n', "cases file line 1 is not a JSON object"),
        ("\n\n3\n", "cases file line 3: expected a JSON object, got int"),
        ("[1]", "cases file item 1: expected a JSON object, got int"),
        ('{"name": "a", "method": "predict", "request": {}, "response": []}', '"response" must be'),
        ('{"name": "a", "method": "predict", "request": 3, "response": {}}', '"request" must be'),
        (
            '{"name": "a", "method": "predict", "request": {}, "response": {}}\n'
            '{"name": "a", "method": "regress", "request": {}, "response": {}}\n',
            'cases file line 2: case name "a" is already used (cases file line 1)',
        ),
    ],
)
def test_bad_cases_files_name_the_line(text: str, message: str) -> None:
    with pytest.raises(CasesFileError, match=re.escape(message)):
        parse_cases(text)


def test_a_case_is_labelled_with_the_signature_its_request_runs() -> None:
    # Replay sends the body as it is, so the signature it names is the one that runs.
    body = {"signature_name": "classify_x_to_y", "examples": [{"x": 2.0}]}
    line = json.dumps({"name": "a", "method": "classify", "request": body, "response": {}})
    (case,) = parse_cases(line)
    assert case.signature_name == "classify_x_to_y"
    # A body naming none runs the case's own signature_name, else serving_default.
    (case,) = parse_cases(
        '{"name": "a", "method": "regress", "signature_name": "regress_x_to_y", '
        '"request": {"examples": [{"x": 2.0}]}, "response": {}}'
    )
    assert case.signature_name == "regress_x_to_y"
    # A body naming one TF Serving refuses (not a string) keeps the case's label.
    (case,) = parse_cases(
        '{"name": "a", "method": "predict", "request": {"signature_name": 100, "inputs": [1]}, '
        '"response": {"error": "x"}}'
    )
    assert case.signature_name == "serving_default"


def test_a_case_naming_another_signature_than_its_request_is_refused() -> None:
    line = (
        '{"name": "a", "method": "predict", "signature_name": "serving_default", "request": '
        '{"signature_name": "classify_x2_to_y3", "inputs": {"inputs": [[2.0]]}}, '
        '"response": {"outputs": [[4.0]]}}'
    )
    message = (
        """cases file line 1: "signature_name" is 'serving_default' but its request names """
        "'classify_x2_to_y3', and the request's is the one that runs."
    )
    with pytest.raises(CasesFileError, match=re.escape(message)):
        parse_cases(line)
    with pytest.raises(CasesFileError, match="its request names 'regress_x_to_y'"):
        make_case(
            "a", "regress", {"signature_name": "regress_x_to_y", "examples": []}, {},
            signature_name="serving_default",
        )  # fmt: skip


def test_unreadable_cases_file(tmp_path: Path) -> None:
    with pytest.raises(CasesFileError, match="Cannot read the cases file"):
        load_cases(tmp_path / "missing.jsonl")
    (tmp_path / "latin1.jsonl").write_bytes(b"\xff\xfe")
    with pytest.raises(CasesFileError, match="is not UTF-8 text"):
        load_cases(tmp_path / "latin1.jsonl")


def test_with_case_replaces_by_name_in_place() -> None:
    a, b = make_case("a", "predict", {}, {}), make_case("b", "predict", {}, {})
    newer = make_case("a", "predict", {"instances": [1.0]}, {})
    assert with_case((a, b), newer) == (newer, b)
    assert with_case((a,), b) == (a, b)
    assert cases_text((a, b)).count("\n") == 2


def test_testcase_is_not_collected_by_pytest() -> None:
    assert TestCase.__test__ is False


# --- comparing answers ----------------------------------------------------------------------


def test_floats_compare_within_tolerance() -> None:
    assert compare_responses({"predictions": [1.0]}, {"predictions": [1.0 + 1e-7]}) == []
    (difference,) = compare_responses({"predictions": [1.0]}, {"predictions": [1.001]})
    assert (difference.path, difference.kind) == ("predictions[0]", "value")
    assert difference.message == "predictions[0]: 1.001, expected 1.0 (off by 0.001)"
    assert compare_responses({"p": [1.0]}, {"p": [1.001]}, rtol=1e-2) == []
    assert compare_responses({"p": [0.0]}, {"p": [1e-3]}, atol=1e-2) == []
    assert compare_responses({"p": [1.0]}, {"p": [1.0 + 1e-9]}, rtol=0, atol=0) != []


def test_non_floats_compare_exactly() -> None:
    assert compare_responses({"p": [3]}, {"p": [4]}, rtol=1)[0].kind == "value"
    assert compare_responses({"p": ["daisy"]}, {"p": ["rose"]})[0].message == (
        "p[0]: 'rose', expected 'daisy'"
    )
    # An int where a float was recorded is a dtype change, and True is not 1.
    assert compare_responses({"p": [3.0]}, {"p": [3]})[0].message == (
        "p[0]: 3 (int), expected 3.0 (float)"
    )
    assert compare_responses({"p": [1]}, {"p": [True]})[0].kind == "type"


def test_nan_and_infinity() -> None:
    assert compare_responses({"p": [math.nan]}, {"p": [math.nan]}) == []
    assert compare_responses({"p": [math.inf]}, {"p": [math.inf]}) == []
    assert compare_responses({"p": [math.inf]}, {"p": [-math.inf]}) != []
    assert compare_responses({"p": [1.0]}, {"p": [math.nan]}) != []


def test_structure_differences() -> None:
    found = compare_responses(
        {"outputs": {"y": [[1.0]], "z": [1.0]}}, {"outputs": {"y": [[1.0], [2.0]], "w": [1]}}
    )
    assert [(d.path, d.kind) for d in found] == [
        ("outputs.y", "length"),
        ("outputs.z", "missing"),
        ("outputs.w", "extra"),
    ]
    assert found[0].message == "outputs.y: 2 items, expected 1"
    key_change = compare_responses({"predictions": [1.0]}, {"outputs": [1.0]})
    assert [(d.path, d.kind) for d in key_change] == [
        ("predictions", "missing"),
        ("outputs", "extra"),
    ]


def test_errors_and_results() -> None:
    assert compare_responses({"error": "bad"}, {"error": "bad"}) == []
    (changed,) = compare_responses({"error": "bad"}, {"error": "worse"})
    assert changed.message == "another error: 'worse', expected 'bad'"
    (lost,) = compare_responses({"results": [1.0]}, {"error": "Expected one input Tensor."})
    assert lost.message == "got an error instead of a result: Expected one input Tensor."
    (gained,) = compare_responses({"error": "bad"}, {"results": [1.0]})
    assert gained.message == "expected the error 'bad', got a result"


# --- replay (runs the models) --------------------------------------------------------------


def test_bundled_linear_cases_pass_on_versions_1_and_2() -> None:
    cases = load_cases(LINEAR_CASES)
    assert len(cases) >= 4
    assert any(c.expects_error for c in cases)
    for version in (1, 2):
        report = replay_cases(read_model(LINEAR, version=version), cases)
        assert report.all_passed, [d.message for r in report.results for d in r.differences]
        assert (
            report.summary
            == f"{len(cases)} passed, 0 failed against portable_linear version {version}"
        )


def test_bundled_linear_cases_fail_on_version_3_with_the_reason() -> None:
    cases = load_cases(LINEAR_CASES)
    report = replay_cases(read_model(LINEAR, version=3), cases)
    assert not report.all_passed
    failed = {r.case.name: r for r in report.results if not r.passed}
    one_row = failed["one_row"]
    (difference,) = one_row.differences
    assert difference.kind == "error"
    assert "Matrix size-incompatible" in difference.message
    assert "string_is_rejected" not in failed  # the same JSON error on every version
    data = json.loads(json.dumps(report.as_dict()))
    assert data["failed"] == len(failed)


def test_bundled_flowers_cases_pass() -> None:
    report = replay_cases(SAMPLES / "flowers_tf1", load_cases(FLOWERS_CASES))
    assert report.all_passed, report.summary
    assert {r.case.method for r in report.results} == {"classify", "regress", "predict"}


def test_tolerance_decides_a_drifted_answer() -> None:
    case = make_case(
        "drift",
        "regress",
        {"signature_name": "regress_x_to_y", "examples": [{"x": 2.0}]},
        {"results": [3.0000001]},
    )
    model = read_model(HALF_PLUS_TWO_CPU)
    assert replay_cases(model, [case]).all_passed
    strict = replay_cases(model, [case], rtol=0.0, atol=0.0)
    (difference,) = strict.results[0].differences
    assert difference.path == "results[0]"
    assert (difference.expected, difference.got) == (3.0000001, 3.0)


def test_case_without_signature_name_in_body_uses_its_signature_name() -> None:
    case = TestCase(
        "named", "regress", "regress_x_to_y", {"examples": [{"x": 2.0}]}, {"results": [3.0]}
    )
    assert replay_cases(HALF_PLUS_TWO_CPU, [case]).all_passed


def test_replay_refuses_an_unsafe_model_up_front() -> None:
    case = make_case("x", "predict", {"instances": [[1.0]]}, {"predictions": [[2.0]]})
    with pytest.raises(UnsafeModelError):
        replay_cases(SAMPLES / "unsafe_read_file", [case])
    assert replay_cases(SAMPLES / "unsafe_read_file", [case], allow_unsafe=True).all_passed
