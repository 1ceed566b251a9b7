"""The fast request path gives exactly what the exact path gives, on generated bodies.

Two corpora: the request fuzzer's predict bodies (``request_strategies.predict_bodies``,
checked against every signature of their model) and numeric bodies built to try the fast
path's proofs (``request_strategies.numeric_bodies``: 17-digit doubles, float32 rounding
midpoints, exponents, integer edges, and now and then something it must hand over). Each
body goes through both fast readers, the C one (``explorer.codec.speedups``) and
pysimdjson, and the exact path: the same tensors bit for bit, or the same error. Every
body any other test sends is checked the same way by the session fixture in
``tests/conftest.py``. The exact path itself was checked against rapidjson v1.1.0.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from explorer.codec import speedups
from explorer.model.info import ModelInfo
from tests.explorer.codec.properties import repeatable
from tests.explorer.codec.request_paths import exact, fast, same, signature
from tests.explorer.numeric_strategies import numeric_bodies
from tests.explorer.request_strategies import predict_bodies, predict_targets

CORPUS = repeatable(1_500)


def _text(body: Any) -> bytes | str | None:
    if isinstance(body, (str, bytes)):
        return body
    try:
        return json.dumps(body, allow_nan=True)
    except (TypeError, ValueError):
        return None


# The C reader where the extension is built (a test in test_speedups.py checks it is here).
READERS = (True, False) if speedups.AVAILABLE else (False,)


def test_paths_agree_on_the_request_fuzzers_bodies(models: dict[str, ModelInfo]) -> None:
    signatures = {
        name: [sig for sig in model.meta_graph().callable_signatures if sig.inputs]
        for name, model in models.items()
    }
    took: dict[bool, list[bool]] = {native: [] for native in READERS}

    @CORPUS
    @given(predict_bodies(predict_targets(models)))
    def prop(drawn: tuple[str, Any]) -> None:
        model, body = drawn
        text = _text(body)
        if text is None:
            return
        for sig in signatures[model]:
            want = exact(text, sig)
            for native in READERS:
                got, fast_took = fast(text, sig, native=native)
                assert same(got, want), (text, sig.key, native)
                took[native].append(fast_took)

    prop()
    for native, flags in took.items():
        assert sum(flags) >= 100, f"fast path (native={native}) took {sum(flags)} of {len(flags)}"


def test_paths_agree_on_numeric_bodies() -> None:
    took: dict[bool, list[bool]] = {native: [] for native in READERS}

    @CORPUS
    @given(numeric_bodies(), st.booleans())
    def prop(drawn: tuple[dict[str, str], bytes], as_text: bool) -> None:
        dtypes, body = drawn
        sig = signature(*dtypes.items())
        sent: str | bytes = body.decode("utf-8", "surrogateescape") if as_text else body
        want = exact(sent, sig)
        for native in READERS:
            got, fast_took = fast(sent, sig, native=native)
            assert same(got, want), (body[:300], native, got, want)
            took[native].append(fast_took)

    prop()
    # pysimdjson: DT_DOUBLE, DT_BOOL and DT_STRING always go exact; about 7 in 10 DT_FLOAT
    # bodies go fast. The C reader reads rapidjson's own doubles: DT_DOUBLE too, and every
    # DT_FLOAT body without an odd token (8 in 10). Integer inputs mostly get a fraction
    # somewhere, an error only the exact path words.
    assert sum(took[False]) >= len(took[False]) // 10, f"pysimdjson took only {sum(took[False])}"
    if speedups.AVAILABLE:
        assert sum(took[True]) >= len(took[True]) // 5, f"the C reader took only {sum(took[True])}"
        assert sum(took[True]) > sum(took[False]) * 1.2


def test_many_exponents_are_checked_in_bulk() -> None:
    # Past 256 exponents pysimdjson's reader checks them all at once: a 3-digit exponent or
    # a 19-digit integer part before '.'/'e' hands the body to the exact path. The C reader
    # reads such numbers as rapidjson does, and takes the body.
    values = [f"{0.001 * (i + 1):e}" for i in range(300)]
    sig = signature(("x", "DT_FLOAT"))
    plain = '{"instances": [' + ", ".join(values) + "]}"
    for native in READERS:
        outcome, took = fast(plain, sig, native=native)
        assert took
        assert same(outcome, exact(plain, sig))
    for odd in ("1.5e-100", "1234567890123456789012.5e-20"):
        body = '{"instances": [' + ", ".join([odd, *values]) + "]}"
        for native in READERS:
            outcome, took = fast(body, sig, native=native)
            assert took == native, (odd, native)
            assert same(outcome, exact(body, sig))
