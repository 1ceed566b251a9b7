"""The Run tab's answer: TF Serving's error as it is, and beside it the plain line saying what
was sent against what the signature declares (model keys in it shown as text)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.markdown_text import markup, shown

ERROR = "Input must be 4 or 5-dimensional\n\t [[{{node pool}}]]"
LINE = (
    "Sent *x*<b> as DT_FLOAT (1, 3); the signature declares *x*<b> as DT_FLOAT (-1, 4, 4, 1): "
    "*x*<b> has 2 dimensions where 4 are declared."
)


def _page() -> None:
    from components.run.result_panel import render_outcome
    from explorer.constants import MethodKind
    from explorer.run.dispatch import RunOutcome
    from tests.app.test_result_explanation import ERROR, LINE

    outcome = RunOutcome(
        method=MethodKind.PREDICT,
        request_text='{"instances": [[1.0, 2.0, 3.0]]}',
        url="http://localhost:8501/v1/models/pool:predict",
        curl="curl ...",
        response_text='{ "error": "..." }',
        status=400,
        error=ERROR,
        result=None,
        code="INVALID_ARGUMENT",
        explanation=LINE,
    )
    render_outcome(outcome, key="outcome")


def test_the_line_is_shown_beside_tf_servings_words_as_text() -> None:
    app = AppTest.from_function(_page, default_timeout=60).run()
    assert not app.exception
    assert len(app.error) == 1
    assert "Input must be 4 or 5-dimensional" in shown(app.error[0].value)
    assert "{{node pool}}" in shown(app.error[0].value)
    assert [shown(info.value) for info in app.info] == [LINE]
    assert not markup(app.info[0].value)  # the model's *x*<b> is text, not emphasis or HTML
