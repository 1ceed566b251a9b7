"""AppTest: a clean model whose graph holds unsafe ops no signature runs offers the
opt-in too; without it an extra fetch reaching them is refused, with it the fetch runs
(inside the sandbox, where the host's file stays out of reach)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from components.run.run_panel import run_scope
from explorer.model.reader import read_model
from explorer.run import runner
from tests.conftest import REPO
from tests.explorer.run.tap_models import TapModels, build


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> TapModels:
    return build(tmp_path_factory.mktemp("optin_models"))


def test_unreachable_unsafe_ops_can_be_opted_in_for_an_extra_fetch(
    models: TapModels, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = models.unsafe_unreachable
    monkeypatch.setenv("EXPLORER_ALLOWED_ROOTS", str(folder.parent))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=180).run()
    at.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_FOLDER).run()
    at.text_input(key=keys.FOLDER_PATH).input(str(folder)).run()
    at.session_state[keys.MAIN_TAB] = "Run"
    at.run()
    assert not at.exception
    model = read_model(folder)
    meta_graph = model.meta_graph()
    scope = run_scope(model, meta_graph, meta_graph.signature("serving_default"))
    at.session_state[keys.run_key(scope, keys.RUN_EXTRA_FETCHES, "predict")] = ["steal:0"]
    trust = keys.TRUST_PREFIX + runner.model_key(model.path, meta_graph)
    assert not at.checkbox(key=trust).value
    run = keys.run_key(scope, keys.RUN_BUTTON, "predict")
    at.button(key=run).click().run()
    outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "predict")]
    assert outcome.status is None
    assert "Refusing to run: the extra fetch 'steal:0' reaches unsafe ops (ReadFile)" in (
        outcome.error or ""
    )
    at.checkbox(key=trust).check().run()
    at.button(key=run).click().run()
    assert not at.exception
    outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "predict")]
    assert "Refusing to run" not in (outcome.error or "")
    assert models.secret.read_text() not in outcome.response_text  # the sandbox holds
    runner.unload(str(folder))  # other tests count the models this process holds
