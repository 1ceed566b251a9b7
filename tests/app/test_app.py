"""AppTest: the page opens on a sample, switches model/signature, and survives bad input."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from explorer.model.reader import read_model
from explorer.run import runner
from tests.conftest import REPO
from tests.markdown_text import shown

APP = str(REPO / "app.py")


@pytest.fixture
def app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60).run()


def _markdown(at: AppTest) -> str:
    # As read: the model's names are escaped in the Markdown source (components.text).
    return "\n".join(shown(str(m.value)) for m in at.markdown)


def _frames(at: AppTest) -> list:  # list of pandas DataFrames shown
    return [d.value for d in at.dataframe]


def test_opens_on_default_sample_with_signatures(app: AppTest) -> None:
    assert not app.exception
    assert not app.error
    assert "Model flowers_tf1" in _markdown(app)
    overview = _frames(app)[0]
    assert set(overview["signature"]) >= {"classify_images", "regress_brightness", "predict_images"}
    row = overview.set_index("signature").loc["classify_images"]
    assert row["method_name"] == "tensorflow/serving/classify"
    assert (row["Classify"], row["Regress"]) == ("✓", "✗")


def test_switching_signature_shows_its_tensors_and_verdicts(app: AppTest) -> None:
    app.selectbox(key=keys.SIGNATURE).set_value("classify_images").run()
    assert not app.exception
    inputs, outputs = _frames(app)[1:3]
    verdicts = app.table[0].value
    assert list(inputs["key"]) == ["inputs"]
    assert inputs["dtype"].iloc[0] == "DT_STRING"
    assert set(outputs["key"]) == {"classes", "scores"}
    by_api = verdicts.set_index("API")
    assert by_api.loc["Classify", "TF Serving default"] == "✓ accepted"
    # Two outputs: regressor.cc stops at its output count check.
    assert by_api.loc["Regress", "TF Serving default"] == "✗ rejected: Expected one output Tensor."


def test_tf2_signature_classify_depends_on_method_name_check(app: AppTest) -> None:
    app.selectbox(key=keys.SAMPLE).set_value("tabular_churn").run()
    assert not app.exception
    app.selectbox(key=keys.SIGNATURE).set_value("serving_default").run()
    verdicts = app.table[0].value.set_index("API")
    assert verdicts.loc["Classify", "TF Serving default"] == "✓ accepted"
    assert shown(verdicts.loc["Classify", "--enable_signature_method_name_check"]).startswith(
        "✗ rejected: Expected classification signature method_name to be "
        "tensorflow/serving/classify. Was: tensorflow/serving/predict"
    )


def test_overview_follows_the_method_name_check_toggle(app: AppTest) -> None:
    app.selectbox(key=keys.SAMPLE).set_value("tabular_churn").run()
    row = _frames(app)[0].set_index("signature").loc["serving_default"]
    assert row["Classify"] == "✓"  # TF2 method_name, default server
    app.toggle(key=keys.METHOD_NAME_CHECK).set_value(True).run()
    row = _frames(app)[0].set_index("signature").loc["serving_default"]
    assert row["Classify"] == "✗"
    assert any("--enable_signature_method_name_check accepts" in c.value for c in app.caption)


def test_full_rejection_messages_are_drawn_only_when_opened(app: AppTest) -> None:
    app.selectbox(key=keys.SIGNATURE).set_value("classify_images").run()
    assert not [c for c in app.main.code if "Expected one output Tensor" in c.value]
    app.session_state[keys.REJECTIONS_OPEN] = True
    app.run()
    messages = [c.value for c in app.main.code]
    assert "Expected one output Tensor." in messages  # Regress, default mode
    assert any(m.startswith("Expected regression signature method_name") for m in messages)


def test_versioned_sample_offers_versions(app: AppTest) -> None:
    app.selectbox(key=keys.SAMPLE).set_value("portable_linear").run()
    assert not app.exception
    version = app.selectbox(key=keys.VERSION)
    assert version.value == 3  # TF Serving serves the newest
    assert "version 3" in _markdown(app)
    version.set_value(1).run()
    assert "version 1" in _markdown(app)
    inputs = _frames(app)[1]
    assert inputs["tensor"].iloc[0] == "x:0"


def test_a_version_folder_opens_that_version_and_its_siblings(app: AppTest) -> None:
    linear = REPO / "sample_models" / "portable_linear"
    app.selectbox(key=keys.SAMPLE).set_value("portable_linear").run()  # picker on 3
    app.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_FOLDER).run()
    app.text_input(key=keys.FOLDER_PATH).input(str(linear / "1")).run()
    assert not app.exception
    assert not app.error
    assert app.selectbox(key=keys.VERSION).value == 1
    assert "version 1" in _markdown(app)
    app.selectbox(key=keys.VERSION).set_value(2).run()  # read from the base folder
    assert not app.error
    assert "version 2" in _markdown(app)
    app.text_input(key=keys.FOLDER_PATH).input(str(linear / "3")).run()  # a new path wins
    assert not app.error
    assert app.selectbox(key=keys.VERSION).value == 3


def test_an_empty_source_says_what_to_give(app: AppTest) -> None:
    app.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_UPLOAD).run()
    assert "Upload a .zip or .tar.gz" in app.info[0].value
    app.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_FOLDER).run()
    assert "Type the path of a SavedModel folder" in app.info[0].value


def test_a_server_target_without_a_server_shows_no_local_model(app: AppTest) -> None:
    app.radio(key=keys.TARGET_KIND).set_value(keys.TARGET_SERVING).run()
    assert not app.exception
    assert "Name the TF Serving to send to" in app.info[0].value
    assert "Model flowers_tf1" not in _markdown(app)
    assert not app.dataframe


def test_bad_folder_shows_error_and_page_keeps_working(app: AppTest, tmp_path: Path) -> None:
    app.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_FOLDER).run()
    app.text_input(key=keys.FOLDER_PATH).input(str(REPO / "no_such_model")).run()
    assert not app.exception
    assert app.error
    assert "Path does not exist" in app.error[0].value
    app.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_SAMPLE).run()
    assert not app.exception
    assert not app.error
    assert "Model flowers_tf1" in _markdown(app)


def test_corrupt_model_folder_shows_error(app: AppTest) -> None:
    corrupt = REPO / "tests" / "app" / "_corrupt_model"
    corrupt.mkdir(exist_ok=True)
    try:
        (corrupt / "saved_model.pb").write_bytes(b"\x0a\xff\xff\x00garbage")
        app.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_FOLDER).run()
        app.text_input(key=keys.FOLDER_PATH).input(str(corrupt)).run()
        assert not app.exception
        assert "File is not a valid SavedModel" in app.error[0].value
    finally:
        (corrupt / "saved_model.pb").unlink()
        corrupt.rmdir()


def test_uploaded_archive_opens(app: AppTest) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(REPO / "sample_models" / "flowers_tf1", arcname="flowers_tf1")
    app.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_UPLOAD).run()
    app.file_uploader(key=keys.UPLOAD).upload(
        "flowers_tf1.tar.gz", buffer.getvalue(), "application/gzip"
    ).run()
    assert not app.exception
    assert not app.error
    overview = _frames(app)[0]
    assert "classify_images" in set(overview["signature"])
    assert "uploaded flowers_tf1.tar.gz" in _markdown(app)  # not its temporary folder
    # Away to a sample and back: Streamlit empties the uploader, the archive stays open.
    app.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_SAMPLE).run()
    app.selectbox(key=keys.SAMPLE).set_value("tabular_churn").run()
    app.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_UPLOAD).run()
    assert "uploaded flowers_tf1.tar.gz" in _markdown(app)
    assert any("earlier upload flowers_tf1.tar.gz" in shown(c.value) for c in app.sidebar.caption)
    app.run()  # stays on another rerun
    assert "uploaded flowers_tf1.tar.gz" in _markdown(app)
    # Removing the file from the uploader closes it.
    uploader = app.file_uploader(key=keys.UPLOAD)
    uploader.upload("flowers_tf1.tar.gz", buffer.getvalue(), "application/gzip").run()
    app.file_uploader(key=keys.UPLOAD).clear().run()
    assert "Upload a .zip or .tar.gz" in app.info[0].value


def test_unsafe_model_shows_banner_and_opt_in_is_per_model(app: AppTest) -> None:
    app.selectbox(key=keys.SAMPLE).set_value("unsafe_read_file").run()
    assert not app.exception
    assert any("unsafe op" in w.value and "ReadFile" in w.value for w in app.warning)
    unsafe = read_model(REPO / "sample_models" / "unsafe_read_file")
    model_id = runner.model_key(unsafe.path, unsafe.meta_graph())
    trust = app.checkbox(key=keys.TRUST_PREFIX + model_id)
    assert trust.value is False
    trust.check().run()
    assert model_id in app.session_state[keys.TRUSTED_MODELS]
    app.selectbox(key=keys.SAMPLE).set_value("flowers_tf1").run()
    assert not app.warning
    app.selectbox(key=keys.SAMPLE).set_value("unsafe_read_file").run()
    assert app.checkbox(key=keys.TRUST_PREFIX + model_id).value is True


def test_hostile_upload_is_refused_and_page_keeps_working(app: AppTest) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        data = b"owned"
        member = tarfile.TarInfo("../escape.txt")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    app.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_UPLOAD).run()
    app.file_uploader(key=keys.UPLOAD).upload("evil.tar.gz", buffer.getvalue()).run()
    assert not app.exception
    assert app.error
    assert "escape.txt" in app.error[0].value
    app.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_SAMPLE).run()
    assert not app.error


def test_run_then_save_as_test_case() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state[keys.MAIN_TAB] = "Run"
    at.run()
    run = next(b for b in at.button if b.label.startswith("Run "))
    run.click().run()
    assert not at.exception
    save = next(b for b in at.button if "test case" in b.label.lower())
    save.click().run()
    assert not at.exception
    cases = at.session_state[keys.cases_key("flowers_tf1", keys.CASES)]
    assert len(cases) == 1
    assert cases[0].response
