"""AppTest: a model whose names are Markdown, HTML and ANSI attacks is shown as plain text.

Every string Streamlit would read as Markdown (markdown, captions, alerts, headers, table
cells, widget and tab labels, tooltips, radio options) is collected from the element tree
of each tab; rendered as CommonMark it holds no link, image or HTML, Streamlit's own
syntax (``:red[``, ``$``, ``:smile:``) is never left unescaped, and the names read
literally. The real rendering is checked in chromium (tests/browser/test_hostile_text.py).
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components import keys
from explorer.safety.paths import ENV_ALLOWED_ROOTS
from tests.conftest import REPO
from tests.hostile_text import LITERALS, HostileTextModel, build_hostile_text_model, raw_controls
from tests.markdown_text import markup, shown, streamlit_syntax

TABS = ("Signatures", "Graph", "Run", "Test cases", "MetaGraph facts")
# Elements whose value Streamlit renders as Markdown.
_MARKDOWN_VALUES = {"markdown", "caption", "header", "subheader", "title"}
_ALERTS = {"error", "warning", "info", "success"}


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileTextModel:
    return build_hostile_text_model(tmp_path_factory.mktemp("hostile_app"))


@pytest.fixture(scope="module")
def pages(hostile: HostileTextModel) -> Iterator[dict[str, AppTest]]:
    """The app on the hostile model (a server folder), one AppTest per tab."""
    patch = pytest.MonkeyPatch()
    patch.setenv(ENV_ALLOWED_ROOTS, str(hostile.path.parent))
    opened = {}
    for tab in TABS:
        at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60)
        at.session_state[keys.MAIN_TAB] = tab
        at.run()
        at.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_FOLDER).run()
        at.text_input(key=keys.FOLDER_PATH).input(str(hostile.path)).run()
        opened[tab] = at
    yield opened
    patch.undo()


def _elements(node: Any) -> Iterator[Any]:
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _elements(child)


def markdown_sources(at: AppTest) -> list[str]:
    """Every string on the page that Streamlit reads as Markdown."""
    found: list[str] = []
    for element in _elements(at._tree):
        kind = getattr(element, "type", "")
        value = getattr(element, "value", None)
        if kind in _MARKDOWN_VALUES | _ALERTS and isinstance(value, str):
            found.append(value)
        if kind == "table" and isinstance(value, pd.DataFrame):
            found.extend(str(c) for c in [*value.columns, *value.to_numpy().ravel()])
        for attribute in ("label", "help"):
            text = getattr(element, attribute, None)
            if isinstance(text, str):
                found.append(text)
        if kind == "radio":
            found.extend(str(o) for o in element.options)
    return found


@pytest.mark.parametrize("tab", TABS)
def test_no_model_text_becomes_markup(pages: dict[str, AppTest], tab: str) -> None:
    at = pages[tab]
    assert not at.exception, at.exception
    sources = markdown_sources(at)
    assert sources
    for source in sources:
        assert not markup(source) - {"list"}, source  # our own bullet lists only
        assert streamlit_syntax(source) == [], source
        assert raw_controls(shown(source)) == [], source
    assert not at.get("imgs")  # no image element either


def test_the_names_read_literally(pages: dict[str, AppTest], hostile: HostileTextModel) -> None:
    signatures = "\n".join(shown(s) for s in markdown_sources(pages["Signatures"]))
    for literal in LITERALS:
        assert literal in signatures
    assert "Signature key\\x1b[2J\\x1b[31mRED" in signatures  # the subheader
    assert "method_name method\\x1b[2J" in signatures
    # The unsafe-op banner names the signature that reaches WriteFile, as text.
    assert any(
        "WriteFile" in shown(w.value) and "key\\x1b[2J" in shown(w.value)
        for w in pages["Signatures"].warning
    )
    facts = "\n".join(shown(s) for s in markdown_sources(pages["MetaGraph facts"]))
    assert "2.99\\x1b[2J" in facts  # the TensorFlow version the model claims
    run = "\n".join(shown(s) for s in markdown_sources(pages["Run"]))
    assert f"{hostile.input_key[:2]}\\x1b[2J" in run  # the input's editor and heading


def test_an_upload_name_is_text_too() -> None:
    # The uploader's file name is shown beside the model: it is anyone's text as well.
    name = "m [x](https://evil.example/u) <b>b</b> :red[r].tar.gz"
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(REPO / "sample_models" / "portable_linear" / "1", arcname="model")
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    at.radio(key=keys.SOURCE_KIND).set_value(keys.SOURCE_UPLOAD).run()
    at.file_uploader(key=keys.UPLOAD).upload(name, buffer.getvalue(), "application/gzip").run()
    assert not at.exception
    line = next(m.value for m in at.markdown if "uploaded" in m.value)
    assert f"uploaded {name}" in shown(line)
    assert not markup(line)
    assert streamlit_syntax(line) == []
