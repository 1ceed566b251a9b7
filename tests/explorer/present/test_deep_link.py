"""Deep links: a view ⇄ query parameters, and every bad parameter named in its error."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from explorer.constants import MethodKind
from explorer.errors import ExplorerError
from explorer.present.deep_link import (
    MAX_INLINE_INPUTS,
    DeepLinkError,
    ViewState,
    from_query_params,
    inputs_fit,
    link_inputs,
    link_url,
    to_query_params,
    unknown_params,
)

FULL = ViewState(
    source="sample",
    model="flowers_tf1",
    version=2,
    tag_set="serve",
    signature="classify_images",
    method=MethodKind.CLASSIFY,
    inputs='{"examples":[{"image":[0.5]}]}',
    run=True,
    presentation=True,
)


def test_full_view_round_trips_through_query_params() -> None:
    params = to_query_params(FULL)
    assert params == {
        "sample": "flowers_tf1",
        "version": "2",
        "tags": "serve",
        "signature": "classify_images",
        "method": "classify",
        "inputs": '{"examples":[{"image":[0.5]}]}',
        "run": "1",
        "view": "presentation",
    }
    assert from_query_params(params) == FULL


def test_defaults_are_left_out_of_the_link() -> None:
    state = ViewState(source="folder", model="/models/churn")
    assert to_query_params(state) == {"folder": "/models/churn"}
    assert from_query_params({}) == ViewState()
    assert not from_query_params({}).names_model


def test_link_url_replaces_the_query_and_parses_back() -> None:
    url = link_url("http://host:8501/app/?old=1#frag", FULL)
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == (
        "http",
        "host:8501",
        "/app/",
        "",
    )
    params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    assert from_query_params(params) == FULL


def test_case_link_and_repeated_params_take_the_last_value() -> None:
    state = from_query_params({"sample": ["a", "flowers_tf1"], "case": "classify_bright_top"})
    assert state == ViewState(source="sample", model="flowers_tf1", case="classify_bright_top")


@pytest.mark.parametrize(
    ("params", "param", "fragment"),
    [
        ({"sample": "s", "version": "abc"}, "version", "expected a version number such as 2, got"),
        ({"sample": "s", "version": "-1"}, "version", "got '-1'"),
        ({"sample": "s", "version": "1.5"}, "version", "got '1.5'"),
        ({"sample": "s", "method": "explain"}, "method", "expected classify, regress or predict"),
        ({"sample": "s", "inputs": "{not json"}, "inputs", "a REST request body in JSON"),
        ({"sample": "s", "inputs": "[1, 2]"}, "inputs", "a JSON object"),
        ({"sample": "s", "run": "maybe"}, "run", "expected 1 or 0, got 'maybe'"),
        ({"sample": "s", "view": "slides"}, "view", "expected presentation or full"),
        ({"sample": "s", "folder": "/m"}, "folder", "either a sample or a folder, not both"),
        ({"sample": "../etc"}, "sample", "the name of a bundled sample"),
        ({"folder": ""}, "folder", "a non-empty value"),
        ({"sample": "s", "signature": " "}, "signature", "a non-empty value"),
        ({"signature": "serving_default"}, "signature", "needs a model: add sample="),
        ({"run": "1"}, "run", "needs a model"),
        ({"sample": "s", "inputs": "{}", "case": "c"}, "inputs", "either inputs= or case="),
        ({"upload": "model.zip"}, "upload", "An uploaded archive cannot be linked"),
    ],
)
def test_bad_parameter_is_named_in_the_error(params: dict, param: str, fragment: str) -> None:
    with pytest.raises(DeepLinkError) as caught:
        from_query_params(params)
    assert caught.value.param == param
    assert fragment in str(caught.value)
    assert isinstance(caught.value, ExplorerError)  # the app shows it like any user error


def test_oversized_inputs_must_be_linked_as_a_case() -> None:
    body = {"instances": [[0.123456] * 60] * 10}
    text = json.dumps(body)
    assert not inputs_fit(body)
    with pytest.raises(DeepLinkError, match=r"Save the request as a test case and link it "):
        from_query_params({"sample": "s", "inputs": text})
    with pytest.raises(DeepLinkError, match=rf"at most {MAX_INLINE_INPUTS:,} characters"):
        link_inputs(text)


def test_link_inputs_compacts_the_body_and_keeps_its_values() -> None:
    text = '{\n  "signature_name": "x",\n  "instances": [1.0, 2, "é"]\n}'
    compact = link_inputs(text)
    assert compact == '{"signature_name":"x","instances":[1.0,2,"é"]}'
    assert json.loads(compact) == json.loads(text)
    assert link_inputs({"inputs": {"x": [1]}}) == '{"inputs":{"x":[1]}}'
    with pytest.raises(DeepLinkError):
        link_inputs("nope")


def test_a_view_state_is_checked_when_made() -> None:
    with pytest.raises(DeepLinkError, match="uploaded archive cannot be linked"):
        ViewState(source="upload", model="x.zip")  # type: ignore[arg-type]
    with pytest.raises(DeepLinkError, match="version"):
        ViewState(source="sample", model="s", version=True)  # bool is not a version
    with pytest.raises(DeepLinkError, match="inputs"):
        ViewState(source="sample", model="s", inputs="[]")


def test_unknown_params_are_pointed_out() -> None:
    assert unknown_params({"sample": "s", "signatur": "x", "utm_source": "mail"}) == (
        "signatur",
        "utm_source",
    )


_names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,20}", fullmatch=True)
_texts = st.text(min_size=1, max_size=40).filter(lambda t: t.strip() and "\0" not in t)
_bodies = st.dictionaries(
    st.text(max_size=8),
    st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8)),
    max_size=4,
).map(link_inputs)


@given(
    source=st.sampled_from(["sample", "folder"]),
    model=_names,
    version=st.none() | st.integers(min_value=0, max_value=10**9),
    tag_set=st.none() | _texts,
    signature=st.none() | _texts,
    method=st.none() | st.sampled_from(list(MethodKind)),
    inputs=st.none() | _bodies,
    run=st.booleans(),
    presentation=st.booleans(),
)
def test_any_view_survives_a_url(**fields: object) -> None:
    state = ViewState(**fields)  # type: ignore[arg-type]
    query = urlsplit(link_url("http://h/", state)).query
    params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    assert from_query_params(params) == state
