"""AppTest: the warmup panel's "Write a warmup file from the test cases" leaves out the cases
that do not fit this version (saved against another one) or recorded an error, and says so
in a warning; only the cases that fit are in the file offered for download."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.markdown_text import shown


def _page() -> None:
    import streamlit as st

    from components import keys
    from components.compare.warmup_panel import render_warmup_panel
    from explorer.compat.cases import load_cases, make_case
    from explorer.model.reader import read_model
    from tests.conftest import SAMPLES

    model = read_model(SAMPLES / "portable_linear", version=3)
    fits = make_case("fits", "predict", {"instances": [[1.0, 2.0]]}, {"predictions": [[0.0]]})
    cases = [*load_cases(SAMPLES / "portable_linear" / "cases.jsonl"), fits]
    st.session_state.setdefault(keys.cases_key(model.name, keys.CASES), cases)
    render_warmup_panel(model, model.meta_graph(), allow_unsafe=False, method_name_check=False)


def test_cases_of_another_version_are_left_out_with_a_warning() -> None:
    at = AppTest.from_function(_page, default_timeout=60).run()
    assert not at.exception
    (warning,) = (shown(w.value) for w in at.warning)
    assert warning.startswith(
        "5 test cases left out: TF Serving fails to load a model at its first failing warmup "
        "request, so the file holds only the cases that fit version 3."
    )
    assert (
        "one_row: it does not fit this version's signature, and TF Serving's load would "
        "likely fail on it: Input x is sent as float32[1,1] where the signature declares "
        "DT_FLOAT (-1, 2): x has 1 in dimension 1 where 2 is declared."
    ) in warning
    assert "string_is_rejected: it records an error answer" in warning
    captions = "\n".join(shown(c.value) for c in at.caption)
    assert "1 of 6 test cases become PredictionLog records" in captions
    assert at.get("download_button")
