"""A frame's items sorted by name (``explorer.graph.scope_index``): one scope's plain width,
read from its few names (what a group's height asks of each child), is the same as the
arrays give when many scopes are asked at once."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.graph.naming import NAMING_MIN
from explorer.graph.scope_index import Entry, FrameItems

# Names of up to three parts from a few letters: scopes nest, share prefixes ("a" beside
# "a/b" beside "ab"), and an op may be named like a scope.
_PART = st.sampled_from(["a", "b", "ab", "c"])
_NAME = st.lists(_PART, min_size=1, max_size=3).map("/".join)


def _levels(index: FrameItems, prefix: str, start: int, end: int) -> list[list[Entry]]:
    """The scope entries of each scope of the frame (siblings, as a group's level asks)."""
    scopes = [e for e in index.entries(prefix, start, end) if e.scope]
    found = [scopes]
    for entry in scopes:
        found += _levels(index, entry.name + "/", entry.start, entry.end)
    return found


@settings(max_examples=300, deadline=None, derandomize=True)
@given(names=st.sets(_NAME, min_size=1, max_size=24), calls=st.data())
def test_one_scope_plain_width_matches_the_arrays(names: set[str], calls: st.DataObject) -> None:
    ordered = sorted(names)
    is_call = calls.draw(st.lists(st.booleans(), min_size=len(ordered), max_size=len(ordered)))
    items = [-1 - i if call else i for i, call in enumerate(is_call)]
    zeros = np.zeros(len(ordered), dtype=np.int64)
    index = FrameItems(ordered, items, zeros, zeros, zeros.astype(bool))
    for scopes in _levels(index, "", 0, index.size):
        for most in (1, 2, NAMING_MIN):
            for has_calls in (False, True):
                alone = [index.plain_counts([s], most, has_calls)[0] for s in scopes]
                if len(scopes) > 1:
                    assert alone == index.plain_counts(scopes, most, has_calls)
                for entry, width in zip(scopes, alone, strict=True):
                    # A plain scope's width: its run and the op named like it.
                    if width is not None:
                        assert width == entry.end - entry.start + (entry.inner >= 0)
