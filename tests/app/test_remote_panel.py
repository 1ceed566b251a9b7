"""AppTest: the TF Serving target in the sidebar, the server's signatures and status, runs
sent to the server, comparison with a local model, and faults that leave the page working.

The loopback servers run in this process (``tests.explorer.loopback``), as the AppTest does.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from components.run.run_panel import run_scope
from tests.conftest import HALF_PLUS_TWO_2_VERSIONS, REPO
from tests.explorer.loopback import Servers, free_port, serving
from tests.markdown_text import shown

APP = str(REPO / "tests" / "app" / "remote_app.py")


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    with serving() as running:
        yield running


def _open(url: str, model: str = "default", **more: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.radio(key=keys.TARGET_KIND).set_value(keys.TARGET_SERVING).run()
    at.text_input(key=keys.REMOTE_URL).input(url)
    at.text_input(key=keys.REMOTE_MODEL).input(model)
    for key, value in more.items():
        at.text_input(key=key).input(value)
    return at.run()


def _texts(at: AppTest) -> str:
    elements = [*at.markdown, *at.caption, *at.error, *at.success]
    return "\n".join(shown(str(e.value)) for e in elements)  # as read, escapes resolved


def test_runs_in_this_process_by_default() -> None:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.radio(key=keys.TARGET_KIND).value == keys.TARGET_LOCAL
    assert at.info[0].value == "Signatures run in this process."


@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_signatures_and_status_come_from_the_server(servers: Servers, protocol: str) -> None:
    at = _open(servers.url(protocol))
    assert not at.exception
    assert not at.error
    options = at.selectbox(key="test.signature").options
    assert {"classify_x_to_y", "regress_x_to_y", "serving_default"} <= set(options)
    status = at.dataframe[0].value
    assert status.to_dict("records") == [
        {"version": "123", "state": "AVAILABLE", "status": "OK", "message": ""}
    ]
    assert f"TF Serving at {servers.url(protocol)}" in _texts(at)


@pytest.mark.parametrize("protocol", ["rest", "grpc"])
def test_the_run_tab_sends_to_the_server(servers: Servers, protocol: str) -> None:
    at = _open(servers.url(protocol))
    at.selectbox(key="test.signature").set_value("regress_x_to_y").run()
    target = at.session_state[keys.REMOTE_INSTANCE]
    model = target.metadata()
    scope = run_scope(model, model.meta_graph(), model.meta_graph().signature("regress_x_to_y"))
    # The metadata has no graph, so no tf.Example features to prefill: REST JSON it is.
    assert at.radio(key=keys.run_key(scope, keys.RUN_MODE, "regress")).value == keys.MODE_REST
    body = '{"signature_name": "regress_x_to_y", "examples": [{"x": 4.0}]}'
    at.text_area(key=keys.run_key(scope, keys.RUN_REST_BODY, "regress")).input(body).run()
    at.button(key=keys.run_key(scope, keys.RUN_BUTTON, "regress")).click().run()
    assert not at.exception
    outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "regress")]
    assert outcome.error is None, outcome.error
    assert outcome.url == target.endpoint("regress")
    assert outcome.result.response_json == {"results": [4.0]}
    assert "Sent to TF Serving at" in _texts(at)
    assert outcome.unsaveable is None  # a plain run: its answer can be kept as a case
    save = f"{keys.run_key(scope, keys.RUN_OUTCOME, 'regress')}.{keys.SAVE_CASE_BUTTON}"
    assert [b for b in at.button if b.key == save]
    # A request the server rejects shows its answer, with its HTTP status.
    at.text_area(key=keys.run_key(scope, keys.RUN_REST_BODY, "regress")).input("{}").run()
    at.button(key=keys.run_key(scope, keys.RUN_BUTTON, "regress")).click().run()
    outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "regress")]
    assert outcome.status == 400
    assert "key 'examples' is expected" in outcome.error


def test_server_down_is_an_error_and_the_page_recovers(servers: Servers) -> None:
    at = _open(f"http://127.0.0.1:{free_port()}")
    assert not at.exception
    assert "Connection refused" in at.error[0].value
    at.text_input(key=keys.REMOTE_URL).input(servers.rest.url).run()
    assert not at.exception
    assert not at.error
    assert "serving_default" in at.selectbox(key="test.signature").options


@pytest.mark.parametrize(
    ("url", "model", "message"),
    [
        ("http://10.9.9.9:8501", "default", "not among the servers this app may call"),
        ("ftp://localhost:1", "default", 'unknown scheme "ftp"'),
        ("{rest}", "nope", "Servable not found for request: Latest(nope)"),
    ],
)
def test_bad_settings_are_explained(servers: Servers, url: str, model: str, message: str) -> None:
    at = _open(url.replace("{rest}", servers.rest.url), model)
    assert not at.exception
    assert message in "\n".join(shown(e.value) for e in at.error)


def test_version_or_label_field_picks_the_servable(servers: Servers) -> None:
    at = _open(servers.grpc.url, "two", **{keys.REMOTE_VERSION: "canary"})
    assert not at.exception
    assert at.session_state[keys.REMOTE_INSTANCE].metadata().version == 124


def test_compare_runs_the_request_on_both_sides(servers: Servers) -> None:
    at = _open(servers.rest.url)
    at.checkbox(key=keys.REMOTE_COMPARE).check().run()
    at.text_input(key="test.local_path").input(str(HALF_PLUS_TWO_2_VERSIONS)).run()
    for signature, expected in (("serving_default", "Same answer"), ("classify_x2_to_y3", "")):
        # The server's "default" has no classify_x2_to_y3: an error on its side only.
        at.selectbox(key="test.signature").set_value(signature).run()
        button = next(b for b in at.button if b.key and keys.REMOTE_COMPARE_RUN in b.key)
        button.click().run()
        assert not at.exception
        if expected:
            assert expected in at.success[0].value
        else:
            assert "difference(s)" in at.warning[-1].value
            assert "an error on one side" in at.dataframe[-1].value.to_csv()
