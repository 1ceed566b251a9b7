"""The fast request path gives exactly what the exact path gives, on generated bodies.

Two corpora: the request fuzzer's predict bodies (``request_strategies.predict_bodies``,
checked against every signature of their model) and numeric bodies built to try the fast
path's proofs (``request_strategies.numeric_bodies``: 17-digit doubles, float32 rounding
midpoints, exponents, integer edges, and now and then something it must hand over). Every
body any other test sends is checked the same way by the session fixture in
``tests/conftest.py``. The exact path itself was checked against rapidjson v1.1.0.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from explorer.model.info import ModelInfo
from tests.explorer.codec.request_paths import exact, fast, same, signature
from tests.explorer.numeric_strategies import numeric_bodies
from tests.explorer.request_strategies import predict_bodies, predict_targets

CORPUS = settings(
    max_examples=1_500,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _text(body: Any) -> bytes | str | None:
    if isinstance(body, (str, bytes)):
        return body
    try:
        return json.dumps(body, allow_nan=True)
    except (TypeError, ValueError):
        return None


def test_paths_agree_on_the_request_fuzzers_bodies(models: dict[str, ModelInfo]) -> None:
    signatures = {
        name: [sig for sig in model.meta_graph().callable_signatures if sig.inputs]
        for name, model in models.items()
    }
    took: list[bool] = []

    @CORPUS
    @given(predict_bodies(predict_targets(models)))
    def prop(drawn: tuple[str, Any]) -> None:
        model, body = drawn
        text = _text(body)
        if text is None:
            return
        for sig in signatures[model]:
            got, fast_took = fast(text, sig)
            assert same(got, exact(text, sig)), (text, sig.key)
            took.append(fast_took)

    prop()
    assert sum(took) >= 100, f"the fast path took only {sum(took)} of {len(took)}"


def test_paths_agree_on_numeric_bodies() -> None:
    took: list[bool] = []

    @CORPUS
    @given(numeric_bodies(), st.booleans())
    def prop(drawn: tuple[dict[str, str], bytes], as_text: bool) -> None:
        dtypes, body = drawn
        sig = signature(*dtypes.items())
        sent: str | bytes = body.decode("utf-8", "surrogateescape") if as_text else body
        got, fast_took = fast(sent, sig)
        want = exact(sent, sig)
        assert same(got, want), (body[:300], got, want)
        took.append(fast_took)

    prop()
    # DT_DOUBLE, DT_BOOL and DT_STRING always go exact; about 7 in 10 DT_FLOAT bodies go fast.
    assert sum(took) >= len(took) // 10, f"the fast path took only {sum(took)} of {len(took)}"


def test_many_exponents_are_checked_in_bulk() -> None:
    # Past 256 exponents the fast path checks them all at once: a 3-digit exponent or a
    # 19-digit integer part before '.'/'e' hands the body to the exact path.
    values = [f"{0.001 * (i + 1):e}" for i in range(300)]
    sig = signature(("x", "DT_FLOAT"))
    plain = '{"instances": [' + ", ".join(values) + "]}"
    outcome, took = fast(plain, sig)
    assert took
    assert same(outcome, exact(plain, sig))
    for odd in ("1.5e-100", "1234567890123456789012.5e-20"):
        body = '{"instances": [' + ", ".join([odd, *values]) + "]}"
        outcome, took = fast(body, sig)
        assert not took, odd
        assert same(outcome, exact(body, sig))
