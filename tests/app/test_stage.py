"""AppTest of the presentation view (the stage) on app.py: a photo dropped replaces the one
shown unless "Several photos" is on, and then each photo's answer sits beside it; the
pixel-value preset is one choice for the stage and the full view; the title is the
model's name with the signature in words; an embedding is summarized, never ranked as
"top classes"; a ranking of equal scores says so.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from components import keys
from components.run.output_views import tie_note
from components.run.run_panel import run_scope
from explorer.model.reader import read_model
from explorer.present.readouts import top_k
from tests.conftest import REPO, SAMPLES
from tests.markdown_text import shown

MAIN_APP = str(REPO / "app.py")


def _stage(monkeypatch: pytest.MonkeyPatch, roots: list[Path], **params: str) -> AppTest:
    monkeypatch.setenv("EXPLORER_ALLOWED_ROOTS", ":".join(str(r) for r in roots))
    at = AppTest.from_file(MAIN_APP, default_timeout=300)
    for name, value in {**params, "view": "presentation"}.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    return at


def _scope(folder: Path, signature: str) -> str:
    model = read_model(folder)
    meta_graph = model.meta_graph()
    return run_scope(model, meta_graph, meta_graph.signature(signature))


def _photo(rgb: tuple[int, int, int]) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 64), rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def _sent(at: AppTest, scope: str, alias: str) -> np.ndarray:
    outcome = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "predict")]
    assert outcome.status == 200, outcome.error
    return np.asarray(outcome.result.request.payload[alias])


def _text(at: AppTest) -> str:
    return "\n".join(shown(str(e.value)) for e in [*at.main.markdown, *at.main.caption])


def test_photos_replace_or_join_and_share_the_preset_with_the_full_view(
    monkeypatch: pytest.MonkeyPatch, keras_applications: dict[str, Path]
) -> None:
    folder = keras_applications["MobileNetV2"]
    at = _stage(monkeypatch, [folder.parent], folder=str(folder), signature="serving_default")
    scope = _scope(folder, "serving_default")
    (alias,) = [t.key for t in read_model(folder).meta_graph().signature("serving_default").inputs]
    base = keys.run_key(scope, keys.RUN_INPUT, alias)
    # The title: the model's name, and the signature in words.
    assert next(shown(h.value) for h in at.main.header) == read_model(folder).name
    assert "Prediction · the default signature" in _text(at)
    assert "serving_default" not in _text(at)

    # A photo dropped runs at once; a second one replaces it (a batch of one, blue).
    at.file_uploader(key=base + ".stage_one").set_value([("red.png", _photo((255, 0, 0)), "")])
    at.run()
    assert _sent(at, scope, alias)[0, 0, 0].tolist() == pytest.approx([1.0, 0.0, 0.0])
    at.file_uploader(key=base + ".stage_one").set_value([("blue.png", _photo((0, 0, 255)), "")])
    at.run()
    sent = _sent(at, scope, alias)
    assert sent.shape == (1, 224, 224, 3)
    assert sent[0, 0, 0].tolist() == pytest.approx([0.0, 0.0, 1.0])

    # The stage's compact preset changes the full view's choice, and runs at once.
    at.selectbox(key=base + ".preset").set_value("-1-1").run()
    assert _sent(at, scope, alias)[0, 0, 0].tolist() == pytest.approx([-1.0, -1.0, 1.0])

    # "Several photos": a photo dropped joins the batch; each answer sits by its photo.
    at.toggle(key=base + ".several").set_value(True).run()
    at.file_uploader(key=base + ".stage_many").set_value([("green.png", _photo((0, 255, 0)), "")])
    at.run()
    sent = _sent(at, scope, alias)
    assert sent.shape == (2, 224, 224, 3)
    assert sent[:, 0, 0] == pytest.approx(np.array([[-1.0, -1.0, 1.0], [-1.0, 1.0, -1.0]]))
    photos = [c for image in at.get("image") for c in image.captions if c]
    assert photos == ["Photo 1", "Photo 2"]

    # Back in the full view, the same preset is chosen.
    at.toggle(key=keys.PRESENTATION).set_value(False).run()
    assert at.selectbox(key=base + ".preset").value == "-1-1"


def test_an_embedding_is_summarized_not_ranked(monkeypatch: pytest.MonkeyPatch) -> None:
    at = _stage(monkeypatch, [SAMPLES], sample="keras_multi_io", signature="embed_only", run="1")
    scope = _scope(SAMPLES / "keras_multi_io", "embed_only")
    assert "Prediction · “embed only”" in _text(at)
    # The one input is named in the inputs' table (its body, in row form, names none).
    table = next(h.value for h in at.get("html") if "showcase-table" in h.value)
    assert "<td>country</td>" in table
    assert "instances" not in table
    embedding = at.session_state[keys.run_key(scope, keys.RUN_OUTCOME, "predict")]
    assert np.asarray(embedding.result.outputs["embedding"]).min() < 0
    assert not any("score-bars" in h.value for h in at.get("html"))
    assert "4 values from" in _text(at)
    assert "Not class scores" in _text(at)
    # Asked to, it ranks them after all (logits of a classifier look alike).
    at.toggle(key=keys.run_key(scope, "as_scores", "embedding")).set_value(True).run()
    assert any("score-bars" in h.value for h in at.get("html"))
    # The full view summarizes it too while the switch is off.
    at.toggle(key=keys.run_key(scope, "as_scores", "embedding")).set_value(False).run()
    at.toggle(key=keys.PRESENTATION).set_value(False).run()
    assert "Not class scores (negative values, no labels)" in _text(at)
    assert not [s for s in at.get("slider") if s.label == "Top classes shown"]


def test_equal_scores_are_said_to_be_equal() -> None:
    row = np.full(1000, 0.001, np.float32)
    assert tie_note(row, top_k(row, 5)) == (
        "All 1,000 scores are equal (0.1%): the model prefers no class, so the classes are "
        "listed in their own order."
    )
    row = np.array([0.2, 0.2, 0.2, 0.2, 0.2, 0.0], np.float32)
    assert tie_note(row, top_k(row, 5)) == (
        "The top 5 scores are equal: they are listed in class order, not ranked."
    )
    row = np.array([0.5, 0.3, 0.2], np.float32)
    assert tie_note(row, top_k(row, 3)) is None
