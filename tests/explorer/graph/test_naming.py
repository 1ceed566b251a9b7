"""Name-inferred groups (``explorer.graph.naming.infer_groups``): a name's head (all but its
last run of digits or letters) is cut into tokens once and shared by the names after it;
the groups must be those of cutting every name whole."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from explorer.graph import naming
from explorer.graph.naming import NameGroup, infer_groups

# Letters, digits, separators, a digit str.isdigit knows but int() does not, non-ASCII.
_NAMES = st.lists(st.text(alphabet="ab_Z19-./²é x", max_size=10), max_size=40)


def _whole(names: list[str]) -> NameGroup:
    """The groups with every name cut into tokens on its own."""
    root: naming._Trie = ({}, [])
    for index, name in enumerate(names):
        node = root
        for token in naming.tokens(name):
            node = node[0].setdefault(token, ({}, []))
        node[1].append(index)
    top = NameGroup("", "")
    naming._fill(top, root, "")
    return top


@settings(max_examples=300, deadline=None)
@given(_NAMES, st.data())
def test_shared_heads_group_as_whole_names(names: list[str], data: st.DataObject) -> None:
    # Names extending earlier ones (same head, another last token) are the common case.
    for _ in range(data.draw(st.integers(0, 20))):
        if names:
            base = data.draw(st.sampled_from(names))
            cut = data.draw(st.integers(0, len(base)))
            names.append(base[:cut] + data.draw(st.text(alphabet="a1_²", max_size=3)))
    assert infer_groups(names) == _whole(names)


def test_a_wide_level_groups_by_stage_then_block() -> None:
    names = [f"stage{s}_block{b}_{layer}" for s in range(9) for b in range(3) for layer in range(4)]
    top = infer_groups(names)
    assert [g.label for g in top.groups] == ["stage0…8"]
    stage = top.groups[0].groups[0]
    assert stage.prefix == "stage0_block"
    assert [len(g.members) for g in stage.groups] == [4] * 3
    assert infer_groups(names) == _whole(names)
