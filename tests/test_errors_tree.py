"""The error tree drawn in ``explorer.errors`` is the real one: every ExplorerError subclass
anywhere in the package appears in it, under its real base class."""

from __future__ import annotations

import importlib
import pkgutil
import re

import explorer
from explorer import errors

_LINE = re.compile(r"^(?P<indent>(?:│   |    )*)(?:├── |└── )?(?P<name>[A-Z]\w+)\s")


def _all_subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub} | _all_subclasses(sub)
    return found


def _drawn_tree() -> dict[str, str | None]:
    """Class name → the name it is drawn under (None for the root)."""
    doc = errors.__doc__ or ""
    lines = [line[4:] for line in doc.splitlines() if line.startswith("    ") and line.strip()]
    parents: dict[str, str | None] = {}
    stack: list[str] = []
    for line in lines:
        match = _LINE.match(line)
        assert match, f"cannot read the tree line {line!r}"
        depth = len(match["indent"]) // 4 + (0 if line.startswith(match["name"]) else 1)
        del stack[depth:]
        parents[match["name"]] = stack[-1] if stack else None
        stack.append(match["name"])
    return parents


def test_every_explorer_error_is_drawn_under_its_base() -> None:
    for module in pkgutil.walk_packages(explorer.__path__, "explorer."):
        importlib.import_module(module.name)
    classes = _all_subclasses(errors.ExplorerError)
    drawn = _drawn_tree()
    assert drawn.pop("ExplorerError") is None
    assert {c.__name__ for c in classes} == set(drawn)
    for cls in classes:
        assert cls.__module__ == "explorer.errors", f"{cls.__name__} lives outside the tree"
        assert drawn[cls.__name__] == cls.__bases__[0].__name__, cls.__name__
