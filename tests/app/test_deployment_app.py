"""AppTest: the "TF Serving model config" source opens a two-model config with labels, any
model and version is explored as any other model, and the warmup panel lists, judges,
replays and writes TF Serving's warmup files."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from explorer.deploy.warmup_file import parse_warmup
from tests.app.deployment_fixtures import two_model_config
from tests.conftest import REPO
from tests.markdown_text import shown

APP = str(REPO / "app.py")


@pytest.fixture
def config_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[AppTest, Path]:
    monkeypatch.setenv("EXPLORER_ALLOWED_ROOTS", f"{tmp_path}:{REPO}")
    config = two_model_config(tmp_path)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_CONFIG).run()
    at.text_input(key=keys.CONFIG_PATH).set_value(str(config)).run()
    return at, config


def _markdown(at: AppTest) -> str:
    return "\n".join(shown(str(m.value)) for m in at.markdown)


def test_the_config_opens_with_every_model_version_and_label(config_app) -> None:  # type: ignore[no-untyped-def]
    at, _ = config_app
    assert not at.exception
    models = at.dataframe[0].value.set_index("model")
    assert models.loc["linear", "served"] == "1, 2"
    assert models.loc["linear", "versions on disk"] == "1, 2, 3"
    assert models.loc["flowers", "served"] == "7"
    labels = at.dataframe[1].value
    assert set(zip(labels["label"], labels["version"], labels["served"], strict=True)) == {
        ("stable", 1, "yes"),
        ("canary", 2, "yes"),
        ("current", 7, "yes"),
    }
    # Without the flag TF Serving refuses every label at start-up, in its words.
    problems = at.dataframe[2].value
    said = "\n".join(problems["TF Serving says"])
    assert (
        "FAILED_PRECONDITION: Request to assign label to version 1 of model linear, which is "
        "not currently available for inference" in said
    )
    # The first model, its newest served version, under the config's name.
    assert "Model linear · version 2" in _markdown(at)
    versions = at.selectbox(key=f"{keys.CONFIG_VERSION}.linear").options
    assert versions == ["2 · served · canary", "1 · served · stable", "3 · not served"]


def test_with_the_flag_the_config_starts(config_app) -> None:  # type: ignore[no-untyped-def]
    at, _ = config_app
    at.toggle(key=keys.CONFIG_ALLOW_LABELS).set_value(True).run()
    assert not at.exception
    assert any("No problems: TF Serving would start" in str(s.value) for s in at.success)


def test_any_model_and_version_is_explored_under_its_config_name(config_app) -> None:  # type: ignore[no-untyped-def]
    at, _ = config_app
    at.selectbox(key=keys.CONFIG_MODEL).set_value("flowers").run()
    assert not at.exception
    assert "Model flowers · version 7" in _markdown(at)
    at.selectbox(key=keys.CONFIG_MODEL).set_value("linear").run()
    at.selectbox(key=f"{keys.CONFIG_VERSION}.linear").set_value(3).run()
    assert "Model linear · version 3" in _markdown(at)
    # Version 3 has a warmup file: the header says so, with TF Serving's verdict.
    assert any("TF Serving warmup file: 2 records" in str(c.value) for c in at.caption)


def test_a_label_on_a_version_not_served_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EXPLORER_ALLOWED_ROOTS", f"{tmp_path}:{REPO}")
    config = two_model_config(tmp_path, labels_on_unserved=True)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_CONFIG).run()
    at.toggle(key=keys.CONFIG_ALLOW_LABELS).set_value(True).run()
    at.text_input(key=keys.CONFIG_PATH).set_value(str(config)).run()
    labels = at.dataframe[1].value.set_index("label")
    assert labels.loc["canary", "served"] == "no"
    said = "\n".join(at.dataframe[2].value["TF Serving says"])
    # Accepted with the flag, but requests through the label find nothing.
    assert "NOT_FOUND: Servable not found for request: Specific(linear, 3)" in said


def test_a_config_outside_the_allowed_roots_is_refused(tmp_path: Path) -> None:
    config = two_model_config(tmp_path)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_CONFIG).run()
    at.text_input(key=keys.CONFIG_PATH).set_value(str(config)).run()
    assert not at.exception
    assert at.error
    assert not at.dataframe  # nothing of the file was read


def test_the_warmup_panel_replays_keeps_and_writes(config_app) -> None:  # type: ignore[no-untyped-def]
    at, _ = config_app
    at.session_state[keys.MAIN_TAB] = "Test cases"
    at.run()
    assert not at.exception
    model_path = str(REPO / "sample_models" / "portable_linear" / "2")
    records = next(d.value for d in at.dataframe if "verb" in d.value.columns)
    assert list(records["signature"]) == ["serving_default", "serving_default"]
    assert list(records["batch size"]) == [2, 1]
    at.button(key=keys.warmup_key(model_path, keys.WARMUP_REPLAY)).click().run(timeout=120)
    assert not at.exception
    records = next(d.value for d in at.dataframe if "verb" in d.value.columns)
    assert list(records["replayed"]) == ["answered", "answered"]
    at.button(key=keys.warmup_key(model_path, keys.WARMUP_ADD)).click().run()
    cases = at.session_state[keys.cases_key("linear", keys.CASES)]
    added = next(c for c in cases if c.name == "warmup_record_1")
    assert added.request == {"signature_name": "serving_default", "inputs": {"x": [[1.0], [2.0]]}}
    assert added.response == {"outputs": [[2.5], [3.0]]}
    # The test cases, written back as a warmup file, hold the record again.
    download = at.get("download_button")
    assert download
    written = parse_warmup(_download_bytes(at, model_path), "download")
    assert any(r.inputs_text == "x float32[2,1]" for r in written.records)


def _download_bytes(at: AppTest, model_path: str) -> bytes:
    # AppTest exposes no download content: rebuild it the way the panel does.
    from explorer.deploy.warmup_write import export_cases
    from explorer.model.reader import read_model

    model = read_model(model_path)
    cases = at.session_state[keys.cases_key("linear", keys.CASES)]
    return export_cases(cases, model.meta_graph(), "linear").data


def test_a_base_path_outside_the_allowed_roots_is_not_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two_model_config(tmp_path / "deployment")  # builds deployment/flowers/7
    secret = tmp_path / "outside" / "secret_model" / "5"
    secret.mkdir(parents=True)
    config = tmp_path / "deployment" / "outside.config"
    config.write_text(
        f"model_config_list {{ config {{ name: 'secret' base_path: '{secret.parent}' "
        "model_platform: 'tensorflow' } config { name: 'flowers' base_path: "
        f"'{tmp_path / 'deployment' / 'flowers'}' model_platform: 'tensorflow' }} }}",
        encoding="utf-8",
    )
    # Only the config's own folder is allowed, not tmp_path/outside.
    monkeypatch.setenv("EXPLORER_ALLOWED_ROOTS", str(tmp_path / "deployment"))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_CONFIG).run()
    at.text_input(key=keys.CONFIG_PATH).set_value(str(config)).run()
    assert not at.exception
    models = at.dataframe[0].value.set_index("model")
    assert models.loc["secret", "versions on disk"] == "(none)"  # not even listed
    assert models.loc["flowers", "served"] == "7"
    said = "\n".join(at.dataframe[1].value["TF Serving says"])
    assert "outside the folders Signature Explorer may open here" in said
    assert at.selectbox(key=keys.CONFIG_MODEL).options == ["flowers"]
