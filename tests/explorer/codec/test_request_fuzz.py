"""Property-based requests against every call path: each ends in a result or an ExplorerError.

Hypothesis builds requests near the valid ones (right keys and dtypes, small tensors)
and mutates them: malformed or truncated JSON text, non-UTF-8 bytes, lone surrogates,
wrong JSON types, ragged or over-nested lists, NaN/Infinity, integers past int64 and
double, bad base64, unknown/missing keys, wrong signature names, examples mixing feature
kinds. At least 5,000 requests per verb run in-process on the sample models and TF
Serving's half_plus_two; after each property a good request must still get the right
answer (a failed request must not break the loaded model). The element budget and the
nesting limit have their own deterministic tests in test_request_limits.py.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from explorer.errors import ExplorerError
from explorer.model.info import ModelInfo
from explorer.run import calls
from explorer.run.local import call_rest
from tests.explorer.codec.properties import repeatable
from tests.explorer.request_models import check_usable
from tests.explorer.request_strategies import (
    BUDGETS,
    array_requests,
    example_bodies,
    predict_bodies,
    predict_targets,
)

BATCH = 5  # requests per Hypothesis example
EXAMPLES = 1_000  # Hypothesis examples per verb: BATCH * EXAMPLES requests
FUZZ = repeatable(EXAMPLES)


def _outcome(call: Any, *args: Any, **kwargs: Any) -> Any:
    """Run one request: a result or an ExplorerError with a message; anything else fails."""
    try:
        return call(*args, **kwargs)
    except ExplorerError as exc:
        error = exc
    assert str(error).strip(), f"{type(error).__name__} without a message"
    return error


def _tally(outcomes: list[Any]) -> None:
    """At least 5,000 requests, and enough of them answered to have reached the Session."""
    answered = sum(not isinstance(o, ExplorerError) for o in outcomes)
    assert len(outcomes) >= BATCH * EXAMPLES
    assert answered >= len(outcomes) // 10, f"only {answered} of {len(outcomes)} answered"


def _fuzz_rest(models: dict[str, ModelInfo], verb: str, strategy: Any) -> None:
    call = {"predict": calls.predict, "classify": calls.classify, "regress": calls.regress}[verb]
    outcomes: list[Any] = []

    @FUZZ
    @given(st.lists(st.tuples(strategy, BUDGETS), min_size=BATCH, max_size=BATCH))
    def prop(requests: list[tuple[tuple[str, Any], int | None]]) -> None:
        for (model, body), budget in requests:
            outcome = _outcome(call, models[model], body, max_request_elements=budget)
            outcomes.append(outcome)
            if not isinstance(outcome, ExplorerError):  # (NaN != NaN: compare as text)
                assert json.dumps(json.loads(outcome.response_text)) == json.dumps(
                    dict(outcome.response_json)
                )
                rest = call_rest(models[model], verb, body, max_request_elements=budget)
                assert set(rest) == set(outcome.response_json)

    prop()
    _tally(outcomes)


def test_predict_rest_requests_never_crash(models: dict[str, ModelInfo]) -> None:
    _fuzz_rest(models, "predict", predict_bodies(predict_targets(models)))
    check_usable(models)


def test_classify_requests_never_crash(models: dict[str, ModelInfo]) -> None:
    _fuzz_rest(models, "classify", example_bodies("classify"))
    check_usable(models)


def test_regress_requests_never_crash(models: dict[str, ModelInfo]) -> None:
    _fuzz_rest(models, "regress", example_bodies("regress"))
    check_usable(models)


def test_predict_arrays_requests_never_crash(models: dict[str, ModelInfo]) -> None:
    outcomes: list[Any] = []
    strategy = st.tuples(array_requests(predict_targets(models)), BUDGETS)

    @FUZZ
    @given(st.lists(strategy, min_size=BATCH, max_size=BATCH))
    def prop(requests: list[tuple[tuple[str, dict[str, Any], Any, dict[str, Any]], Any]]) -> None:
        for (model, values, signature, options), budget in requests:
            outcomes.append(
                _outcome(
                    calls.predict_arrays,
                    models[model],
                    values,
                    signature=signature,
                    max_request_elements=budget,
                    **options,
                )
            )

    prop()
    _tally(outcomes)
    check_usable(models)


# --- element budget and nesting ---------------------------------------------------------------
