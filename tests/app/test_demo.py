"""AppTest: deep links open the linked view, presentation view hides and restores the
detail, examples load and run, and a run's HTML report holds inputs, outputs and timing.

Runs against app.py itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from components.present.presentation import report_html
from components.run.run_panel import run_scope
from explorer.compat.cases import load_cases
from explorer.model.reader import read_model
from explorer.present.deep_link import from_query_params
from explorer.present.report import timing_summary
from explorer.run.dispatch import RunOutcome
from tests.conftest import REPO, SAMPLES
from tests.markdown_text import shown

MAIN_APP = REPO / "app.py"
# Bright top half (not quite a saved case's, so links carry it inline): daisy.
BRIGHT_TOP = [1.0] * 8 + [0.0] * 7 + [0.1]
Opener = Callable[..., AppTest]
INPUTS = json.dumps(
    {"signature_name": "classify_images", "examples": [{"image": BRIGHT_TOP}]},
    separators=(",", ":"),
)


@pytest.fixture
def open_link() -> Opener:
    def opener(tab: str | None = None, **params: str) -> AppTest:
        at = AppTest.from_file(str(MAIN_APP), default_timeout=120)
        if tab is not None:
            at.session_state[keys.MAIN_TAB] = tab
        for name, value in params.items():
            at.query_params[name] = value
        at.run()
        assert not at.exception
        return at

    return opener


def _scope(sample: str, signature: str) -> str:
    model = read_model(SAMPLES / sample)
    meta_graph = model.meta_graph()
    return run_scope(model, meta_graph, meta_graph.signature(signature))


def _outcome(at: AppTest, scope: str, api: str) -> RunOutcome:
    return at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, api)]


def _main_text(at: AppTest) -> str:
    # As read: the model's names are escaped in the Markdown source (components.text).
    return "\n".join(shown(str(e.value)) for e in [*at.main.markdown, *at.main.caption])


def test_link_opens_model_signature_and_inputs_without_running(open_link: Opener) -> None:
    at = open_link(
        sample="flowers_tf1", signature="classify_images", method="classify", inputs=INPUTS
    )
    scope = _scope("flowers_tf1", "classify_images")
    assert at.selectbox(key=keys.SAMPLE).value == "flowers_tf1"
    assert at.selectbox(key=keys.SIGNATURE).value == "classify_images"
    assert at.radio(key=keys.run_key(scope, keys.RUN_API)).value == "classify"
    assert at.radio(key=keys.run_key(scope, keys.RUN_MODE, "classify")).value == keys.MODE_REST
    body = at.text_area(key=keys.run_key(scope, keys.RUN_REST_BODY, "classify")).value
    assert json.loads(body) == json.loads(INPUTS)
    assert keys.run_key(scope, keys.RUN_OUTCOME, "classify") not in at.session_state  # no run=1
    # The address bar follows the view (no inputs: those go in a shared link only).
    assert at.query_params == {
        "sample": "flowers_tf1",
        "signature": "classify_images",
        "method": "classify",
    }


def test_link_runs_and_presentation_view_hides_then_restores_detail(open_link: Opener) -> None:
    at = open_link(sample="flowers_tf1", signature="predict_images", run="1")
    scope = _scope("flowers_tf1", "predict_images")
    outcome = _outcome(at, scope, "predict")
    assert outcome.status == 200
    full_code = [c.value for c in at.main.code]
    assert outcome.response_text in full_code  # the JSON panes
    assert "Output scores · DT_FLOAT · shape [1, 3]" in _main_text(at)
    assert "execution" in _main_text(at)

    at.toggle(key=keys.PRESENTATION).set_value(True).run()
    assert not at.exception
    assert not at.main.code  # no request/curl/response JSON
    assert not at.main.text_area  # no editors
    assert "DT_" not in _main_text(at)
    bars = "".join(h.value for h in at.get("html"))
    assert "class 0" in bars
    assert "%" in bars  # scores as percent bars
    assert any(re.fullmatch(r"Answered in [\d,.]+ (ms|s)( · .*)?", c.value) for c in at.caption)
    assert at.query_params.get("view") == "presentation"

    at.toggle(key=keys.PRESENTATION).set_value(False).run()
    assert not at.exception
    assert outcome.response_text in [c.value for c in at.main.code]
    assert "Output scores · DT_FLOAT · shape [1, 3]" in _main_text(at)


def test_presentation_link_shows_classification_as_score_bars(open_link: Opener) -> None:
    at = open_link(
        sample="flowers_tf1",
        signature="classify_images",
        inputs=INPUTS,
        run="1",
        view="presentation",
    )
    assert at.toggle(key=keys.PRESENTATION).value is True
    bars = "".join(h.value for h in at.get("html"))
    assert bars.index("daisy") < bars.index("rose")  # highest score first
    assert re.search(r"\b\d+\.\d%", bars)
    assert "flowers_tf1" in [shown(h.value) for h in at.main.header]


def test_case_link_runs_the_saved_example(open_link: Opener) -> None:
    at = open_link(sample="flowers_tf1", case="regress_brightness", run="1")
    assert at.selectbox(key=keys.SIGNATURE).value == "regress_brightness"
    outcome = _outcome(at, _scope("flowers_tf1", "regress_brightness"), "regress")
    (case,) = [
        c
        for c in load_cases(SAMPLES / "flowers_tf1" / "cases.jsonl")
        if c.name == "regress_brightness"
    ]
    assert outcome.result.response_json["results"] == pytest.approx(case.response["results"])


def test_an_answer_to_an_undeclared_shape_is_a_warning(open_link: Opener) -> None:
    # x is declared (-1, 1): TF Serving answers (1, 2) too, and the app says so aloud.
    body = '{"instances":[[1.0,2.0]]}'
    at = open_link(sample="portable_linear", version="1", inputs=body, run="1", tab="Run")
    model = read_model(SAMPLES / "portable_linear", version=1)
    meta_graph = model.meta_graph()
    scope = run_scope(model, meta_graph, meta_graph.signature("serving_default"))
    outcome = _outcome(at, scope, "predict")
    assert outcome.result is not None
    assert outcome.result.response_json == {"predictions": [[2.5, 3.0]]}
    (warning,) = [w for w in at.main.warning if "checks no shapes" in str(w.value)]
    assert "x has 2 in dimension 1 where 1 is declared" in shown(str(warning.value))
    assert not [c for c in at.main.caption if "checks no shapes" in str(c.value)]  # once


def test_example_button_loads_its_request_and_runs_it(open_link: Opener) -> None:
    at = open_link(tab="Run")
    cases = load_cases(SAMPLES / "flowers_tf1" / "cases.jsonl")
    number = next(i for i, c in enumerate(cases) if c.name == "classify_two_examples")
    at.button(key=f"{keys.EXAMPLES}.{number}").click().run()
    assert not at.exception
    assert at.selectbox(key=keys.SIGNATURE).value == "classify_images"
    scope = _scope("flowers_tf1", "classify_images")
    body = at.text_area(key=keys.run_key(scope, keys.RUN_REST_BODY, "classify")).value
    assert json.loads(body) == cases[number].request
    results = _outcome(at, scope, "classify").result.response_json["results"]
    assert len(results) == 2
    assert "Loaded example: classify_two_examples" in _main_text(at)


def _share_link(at: AppTest) -> str:
    """Opens the sidebar's "Link to this view" expander and returns the link it shows."""
    at.session_state[keys.LINK_OPEN] = True
    at.run()
    (url,) = [c.value for c in at.sidebar.code if "?" in c.value]
    return url


def test_share_link_is_built_only_while_its_expander_is_open(open_link: Opener) -> None:
    at = open_link(sample="flowers_tf1", signature="classify_images", inputs=INPUTS)
    assert not [c for c in at.sidebar.code if "?" in c.value]
    assert "inputs=" in _share_link(at)
    at.checkbox(key=keys.LINK_INCLUDE_INPUTS).uncheck().run()
    at.session_state[keys.LINK_OPEN] = False
    at.run()
    assert not [c for c in at.sidebar.code if "?" in c.value]
    # Closing the expander keeps its options: reopened, the link still leaves inputs out.
    assert "inputs=" not in _share_link(at)


def test_share_link_carries_the_current_inputs(open_link: Opener) -> None:
    at = open_link(sample="flowers_tf1", signature="classify_images", inputs=INPUTS)
    url = _share_link(at)
    query = parse_qs(urlsplit(url).query)
    state = from_query_params({k: v[-1] for k, v in query.items()})
    assert (state.model, state.signature, state.method) == (
        "flowers_tf1",
        "classify_images",
        "classify",
    )
    assert json.loads(state.inputs or "") == json.loads(INPUTS)
    assert state.run is True
    at.checkbox(key=keys.LINK_INCLUDE_INPUTS).uncheck().run()
    (url,) = [c.value for c in at.sidebar.code if "?" in c.value]
    assert "inputs=" not in url


def test_share_link_names_a_loaded_case_instead_of_its_inputs(open_link: Opener) -> None:
    at = open_link(sample="flowers_tf1", case="classify_bright_top")
    url = _share_link(at)
    assert "case=classify_bright_top" in url
    assert "inputs=" not in url


def test_report_holds_inputs_outputs_and_timing(open_link: Opener) -> None:
    at = open_link(sample="flowers_tf1", signature="classify_images", inputs=INPUTS, run="1")
    assert "Download report (HTML)" in [b.label for b in at.get("download_button")]
    model = read_model(SAMPLES / "flowers_tf1")
    outcome = _outcome(at, _scope("flowers_tf1", "classify_images"), "classify")
    page = report_html(model, model.meta_graph(), "classify_images", outcome)
    assert "[1.0,1.0,1.0,1.0,1.0,1.0,1.0,1.0,0.0," in page  # the input, in its table
    assert "daisy" in page  # the top class, in the outputs table and chart
    assert "<svg" in page
    assert timing_summary(outcome.result.timing) in page  # "N ms: a conversion + b model"
    assert "Model execution" in page
    assert outcome.response_text.replace('"', "&quot;")[:40] in page


def test_link_to_folder_outside_allowed_roots_is_refused(open_link: Opener, tmp_path: Path) -> None:
    at = open_link(folder=str(tmp_path))
    assert "outside the allowed folders" in at.error[0].value
    assert at.radio(key=keys.SOURCE_KIND).value == keys.SOURCE_SAMPLE  # nothing applied
    assert at.query_params["sample"] == "flowers_tf1"


def test_folder_link_inside_allowed_roots_opens(
    open_link: Opener, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPLORER_ALLOWED_ROOTS", str(SAMPLES))
    at = open_link(folder=str(SAMPLES / "portable_linear"), version="1")
    assert not at.error
    assert at.radio(key=keys.SOURCE_KIND).value == keys.SOURCE_FOLDER
    assert at.selectbox(key=keys.VERSION).value == 1
    assert at.query_params["version"] == "1"


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"sample": "flowers_tf1", "version": "abc"}, 'Link parameter "version"'),
        ({"sample": "no_such_sample"}, 'sample "no_such_sample" that is not bundled'),
        ({"sample": "flowers_tf1", "signature": "nope", "run": "1"}, 'No signature "nope"'),
        ({"sample": "portable_linear", "version": "9"}, "does not have"),
        ({"sample": "flowers_tf1", "case": "nope"}, 'no saved case "nope"'),
        ({"upload": "x.zip"}, "cannot be linked"),
    ],
)
def test_bad_link_shows_its_error_and_the_page_still_opens(
    open_link: Opener,
    params: dict[str, str],
    message: str,
) -> None:
    at = open_link(**params)
    assert any(message in shown(e.value) for e in at.error), [e.value for e in at.error]
    assert at.selectbox(key=keys.SIGNATURE).value  # the page works
    assert not [k for k in at.session_state if f".{keys.RUN_OUTCOME}." in str(k)]  # nothing ran
