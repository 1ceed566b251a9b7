"""The tf.Example builder: a table of the features the model parses, typed by the model.

Rows are examples, columns the features the graph's ParseExample op reads. Number cells
take text and refuse what their feature cannot hold (letters in an int64 cell, a fraction,
a float32 overflow) with a message naming the cell; a required feature left empty is
named too; nothing is turned into 0 and nothing is sent until every cell holds. A string
feature the graph looks up in a table offers the table's keys to pick from (one for a
scalar feature, any number for a list), and still takes other words, marked out of
vocabulary. Messages count rows from 1 down the table (which shows no index to disagree);
a new row starts with the features' defaults, or empty.

Classify and Regress send the rows as ``{"examples": [...]}``; a Predict input of
serialized tf.Examples gets each row serialized, as ``{"b64": ...}``.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from components import keys
from components.run.run_state import kept_table, reset_table
from components.text import md_code, md_text
from explorer.codec.cells import FEATURE_TYPE_WORDS, feature_cell, scalar_feature
from explorer.graph.example_features import ExampleFeature, example_template, expected_features
from explorer.model.info import MetaGraphInfo, SignatureInfo
from explorer.run.templates import serialized_example

# Options a vocabulary column offers (a longer vocabulary still takes any word).
_MAX_OPTIONS = 1_000
_SHOWN_WORDS = 6


@dataclass(frozen=True, slots=True)
class ExampleForm:
    """The builder's request body, or why it cannot be built."""

    body: dict[str, Any] | None
    problems: tuple[str, ...] = ()
    # False when the graph shows no ParseExample op (nothing to build a table from).
    has_features: bool = True


@dataclass(frozen=True, slots=True)
class ExampleRows:
    """The examples a table holds, what stops them being sent, and words the model's
    vocabularies do not know."""

    examples: list[dict[str, Any]]
    problems: list[str]
    out_of_vocabulary: list[str]
    # Each example as messages name it: "Example 1" (the table's row number), "Context".
    names: list[str]
    # The features each row has a cell for (whether or not the cell could be read).
    given: list[frozenset[str]]


def signature_features(
    meta_graph: MetaGraphInfo, signature: SignatureInfo
) -> tuple[ExampleFeature, ...]:
    """The features the signature's ParseExample op reads (empty when there is none)."""
    return expected_features(meta_graph, signature)


def render_example_builder(
    meta_graph: MetaGraphInfo, signature: SignatureInfo, scope: str
) -> ExampleForm:
    """Features line, examples table (rows = examples) and optional context table."""
    features = signature_features(meta_graph, signature)
    if not features:
        st.info(
            "No ParseExample op reads this signature's input, so the features it expects are "
            "unknown. Write the examples in REST JSON mode."
        )
        return ExampleForm(None, has_features=False)
    st.markdown("This model expects features: " + " · ".join(describe(f) for f in features))
    names = [f.name for f in features]
    in_context = st.multiselect(
        "Context features (one value shared by every example)",
        names,
        key=keys.run_key(scope, keys.RUN_CONTEXT_FEATURES),
        persist_state="session",
        help='Sent as "context": TF Serving prepends it to every serialized example; a '
        "feature also set in an example takes the example's value.",
    )
    per_example = [f for f in features if f.name not in in_context]
    shared = [f for f in features if f.name in in_context]
    # A new column set starts a new table: keep edits per choice of context features.
    layout = f"{zlib.crc32('|'.join(in_context).encode()):08x}"
    rows = example_rows(per_example, keys.run_key(scope, keys.RUN_EXAMPLES, layout), "Example")
    body: dict[str, Any] = {"signature_name": signature.key}
    problems, unknown = list(rows.problems), list(rows.out_of_vocabulary)
    shared_values: dict[str, Any] = {}
    if shared:
        st.markdown("**Context**")
        context = example_rows(
            shared, keys.run_key(scope, keys.RUN_CONTEXT, layout), "Context", dynamic=False
        )
        problems += context.problems
        unknown += context.out_of_vocabulary
        shared_values = context.examples[0] if context.examples else {}
        body["context"] = shared_values
    # TF Serving merges the context into every example: a required feature may be in either.
    problems += missing_required(features, rows, shared_values)
    body["examples"] = rows.examples
    show_problems(problems, unknown)
    return ExampleForm(None if problems else body, tuple(problems))


def serialized_rows(features: tuple[ExampleFeature, ...], key: str) -> list[dict[str, str]]:
    """A Predict input of serialized tf.Examples: the table's rows, each serialized.

    Raises:
        ValueError: cells that cannot be held (every problem, one per line).
    """
    st.caption("Serialized tf.Examples: " + " · ".join(describe(f) for f in features))
    rows = example_rows(list(features), key, "Example")
    show_problems([], rows.out_of_vocabulary)
    problems = rows.problems + missing_required(features, rows, {})
    if problems:
        raise ValueError("\n".join(problems))
    return [serialized_example(example) for example in rows.examples]


def example_rows(
    features: list[ExampleFeature], key: str, what: str, *, dynamic: bool = True
) -> ExampleRows:
    """The table of ``features`` (one row per example) and the examples its rows make."""
    if dynamic:
        st.caption(
            "Rows = examples; add or delete rows at the table's edge. An empty cell leaves "
            "the feature out of that example (a feature with a default then uses it). "
            "List-valued features take JSON lists; a vocabulary cell offers the words the "
            "model knows, and others given under Other words (a list cell takes them typed)."
        )
    frame = _table(features, example_template(features), key, dynamic=dynamic)
    problems: list[str] = []
    unknown: list[str] = []
    examples = []
    names: list[str] = []
    given: list[frozenset[str]] = []
    for number, (_, row) in enumerate(frame.iterrows(), start=1):
        # Rows are counted from 1 down the table (it shows no index of its own to disagree
        # with: a row just added would show none), as the answer numbers its examples.
        name = f"{what} {number}" if dynamic else what
        names.append(name)
        example: dict[str, Any] = {}
        for feature in features:
            cell = row.get(feature.name)
            if _empty(cell):
                continue
            where = f"{name} · {feature.name}"
            try:
                example[feature.name] = _feature_value(feature, cell)
            except ValueError as exc:
                problems.append(f"{where}: {exc}")
                continue
            unknown += [f"{where}: {word}" for word in _unknown_words(feature, example)]
        examples.append(example)
        given.append(frozenset(f.name for f in features if not _empty(row.get(f.name))))
    return ExampleRows(examples, problems, unknown, names, given)


def missing_required(
    features: tuple[ExampleFeature, ...] | list[ExampleFeature],
    rows: ExampleRows,
    shared: dict[str, Any],
) -> list[str]:
    """One message per example and required feature it lacks (the context counts): TF
    Serving's ParseExample would refuse the whole request for it."""
    required = [f.name for f in features if f.required and f.name not in shared]
    return [
        f"{name} · {feature}: required (the model has no default for it): give a value"
        for name, cells in zip(rows.names, rows.given, strict=True)
        for feature in required
        if feature not in cells
    ]


def show_problems(problems: list[str], unknown: list[str]) -> None:
    """Cells that stop the request, then words out of the model's vocabulary."""
    for problem in problems:
        st.error(md_text(problem), icon=":material/block:")  # quotes names and typed values
    for word in unknown:
        st.warning(md_text(word), icon=":material/translate:")


def describe(feature: ExampleFeature) -> str:
    """One feature for people: name, kind, shape, default or required, vocabulary."""
    kind = FEATURE_TYPE_WORDS.get(feature.dtype, feature.dtype)
    vocabulary = _vocabulary_words(feature)
    name = md_code(feature.name)
    if feature.kind != "dense":
        return f"**{name}** {kind} {feature.kind} (optional, any length{vocabulary})"
    shape = "scalar" if feature.shape in ((), (1,)) else f"shape {feature.shape}"
    if feature.required:
        need = "required"
    else:
        shown = [_cell_text(v) for v in (feature.default or ())[:4]]
        more = ", …" if len(feature.default or ()) > 4 else ""
        need = f"default {md_text(', '.join(shown))}{more}"
    # Feature names and defaults are the model's: Markdown-safe (this is also a tooltip).
    return f"**{name}** {kind} {shape} ({need}{vocabulary})"


def _vocabulary_words(feature: ExampleFeature) -> str:
    vocabulary = feature.vocabulary
    if vocabulary is None:
        return ""
    words = ", ".join(vocabulary.values[:_SHOWN_WORDS])
    more = f", … ({vocabulary.size:,} in all)" if vocabulary.size > _SHOWN_WORDS else ""
    return f"; vocabulary {md_text(words)}{more} from {md_text(vocabulary.source)}"


def _cell_text(value: Any) -> str:
    return value.decode("utf-8", errors="replace") if isinstance(value, bytes) else f"{value}"


def _choice(feature: ExampleFeature) -> bool:
    # String features with a known vocabulary are picked from it (a list of words per cell).
    return feature.dtype == "DT_STRING" and feature.vocabulary is not None


def _table(
    features: list[ExampleFeature], template: dict[str, Any], key: str, *, dynamic: bool
) -> pd.DataFrame:
    def initial() -> pd.DataFrame:
        row = {f.name: _start_cell(f, template[f.name]) for f in features}
        return pd.DataFrame([row], columns=[f.name for f in features], dtype=object)

    extra = _other_words(features, key)
    config = {f.name: _column(f, extra.get(f.name, ())) for f in features}
    frame = kept_table(
        key,
        initial,
        num_rows="dynamic" if dynamic else "fixed",
        column_config=config,
        hide_index=True,
        width="stretch",
    )
    st.button(
        "Reset table",
        key=key + ".reset",
        on_click=reset_table,
        args=(key,),
        type="tertiary",
        icon=":material/restart_alt:",
    )
    return frame


def _start_cell(feature: ExampleFeature, value: Any) -> Any:
    if _choice(feature) and scalar_feature(feature):
        return str(value[0] if isinstance(value, list) else value)
    if _choice(feature):
        return [str(v) for v in value] if isinstance(value, list) else [str(value)]
    if scalar_feature(feature):
        return _cell_text(value)
    return json.dumps(value)


def _new_row_cell(feature: ExampleFeature) -> Any:
    # What a row added at the table's edge starts with: the feature's default, else empty
    # (a required feature left empty is named before anything is sent).
    if feature.kind != "dense" or not feature.default:
        return [] if _choice(feature) and not scalar_feature(feature) else None
    values = [_cell_text(v) for v in feature.default]
    if _choice(feature):
        return values[0] if scalar_feature(feature) else values
    return values[0] if scalar_feature(feature) else json.dumps(values)


def _column(feature: ExampleFeature, extra: tuple[str, ...]) -> Any:
    words = describe(feature).replace("**", "")
    default = _new_row_cell(feature)
    if _choice(feature) and scalar_feature(feature):
        # One value: a choice of the vocabulary and the other words given for it.
        assert feature.vocabulary is not None
        known = list(feature.vocabulary.values[:_MAX_OPTIONS])
        return st.column_config.SelectboxColumn(
            feature.name,
            help=words + ". Other words: under “Other words” above the table.",
            options=known + [w for w in extra if w not in known],
            default=default,
        )
    if _choice(feature):
        assert feature.vocabulary is not None
        return st.column_config.MultiselectColumn(
            feature.name,
            help=words,
            options=list(feature.vocabulary.values[:_MAX_OPTIONS]),
            accept_new_options=True,
            color="primary",
            default=default,
        )
    return st.column_config.TextColumn(feature.name, help=words, default=default or "")


def _other_words(features: list[ExampleFeature], key: str) -> dict[str, tuple[str, ...]]:
    # A scalar vocabulary column is a choice of one: words outside its vocabulary are given
    # here and offered in the column beside the model's (marked out of vocabulary once used).
    chosen = [f for f in features if _choice(f) and scalar_feature(f)]
    if not chosen:
        return {}
    found: dict[str, tuple[str, ...]] = {}
    with st.popover("Other words", icon=":material/add:"):
        for feature in chosen:
            text = st.text_input(
                f"Words for {md_code(feature.name)} outside its vocabulary",
                key=f"{key}.other.{feature.name}",
                persist_state="session",
                placeholder="comma-separated",
                help="Offered in the column's choices; the model treats them as out of vocabulary.",
            )
            found[feature.name] = tuple(w.strip() for w in text.split(",") if w.strip())
    return found


def _empty(cell: Any) -> bool:
    if cell is None or cell is pd.NA:
        return True
    if isinstance(cell, float):
        return math.isnan(cell)
    if isinstance(cell, str):
        return not cell.strip()
    return isinstance(cell, (list, tuple)) and not cell


def _feature_value(feature: ExampleFeature, cell: Any) -> Any:
    # The table is typed by the model: values become the JSON kind the feature needs.
    if _choice(feature):
        words = [str(w) for w in (cell if isinstance(cell, (list, tuple)) else [cell])]
        if scalar_feature(feature):
            if len(words) != 1:
                raise ValueError(f"pick one value (a scalar feature); got {len(words)}")
            return words[0]
        return words
    return feature_cell(feature, cell)


def _unknown_words(feature: ExampleFeature, example: dict[str, Any]) -> list[str]:
    vocabulary = feature.vocabulary
    if vocabulary is None or feature.name not in example:
        return []
    value = example[feature.name]
    words = value if isinstance(value, list) else [value]
    return [
        f'"{word}" is not in the vocabulary ({vocabulary.source}): the model treats it as '
        "out of vocabulary"
        for word in words
        if isinstance(word, str) and vocabulary.knows(word) is False
    ]
