"""Rectangular arrays of numbers found in JSON text by their skeleton, without a parser.

A tensor in a request body is nested arrays of numbers. Deleting the number characters
and whitespace from such text leaves its *skeleton* (``[[,,],[,,]]``), which for a
rectangular array of a given shape is one fixed string. Checking a body against skeletons
(a few C-speed byte passes) proves its arrays rectangular, which a parser that flattens
(simdjson's ``as_buffer``) or reads one token at a time cannot do cheaply.
"""

from __future__ import annotations

import re
from functools import lru_cache

NUMBER_CHARS = b"-0123456789.eE+"
MAX_DEPTH = 64  # numpy's limit; deeper arrays are read token by token
WHITESPACE = b" \t\n\r"
_SKELETON_DELETE = NUMBER_CHARS + WHITESPACE
_SKELETON_KEEP_E = b"-0123456789.+" + WHITESPACE
_NUMBER_TOKEN = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")
_BLOCK = re.compile(rb"[-0-9.eE+,\[\] \t\n\r]*")
# Number characters as '0', whitespace dropped: then these pairs never touch in a
# rectangular array of numbers (an empty slot, a number right after ']' or before '[').
_AS_ZERO = bytes(0x30 if c in NUMBER_CHARS else c for c in range(256))
_NEVER_ADJACENT = (b"[,", b",,", b",]", b"[]", b"]0", b"0[")


def skeleton(text: bytes) -> bytes:
    """The text without number characters and whitespace."""
    return text.translate(None, _SKELETON_DELETE)


def skeleton_and_letters(text: bytes) -> tuple[bytes, int]:
    """:func:`skeleton`, and how many 'e'/'E' the text holds (one pass over the text)."""
    kept = text.translate(None, _SKELETON_KEEP_E)
    letters = kept.count(b"e") + kept.count(b"E")
    return (kept.translate(None, b"eE") if letters else kept), letters


@lru_cache(maxsize=64)
def array_skeleton(dims: tuple[int, ...]) -> bytes:
    """The skeleton of a rectangular array of numbers of shape ``dims`` (``()``: a number)."""
    if not dims:
        return b""
    inner = array_skeleton(dims[1:])
    return b"[" + b",".join([inner] * dims[0]) + b"]"


def leading_dims(skel: bytes, at: int = 0) -> tuple[int, ...] | None:
    """The shape of the array whose skeleton starts at ``skel[at]``, read along its first
    elements and checked against the whole of it; None when it is not a rectangular array
    of numbers with no empty dimension.
    """
    depth = len(skel) - at - len(skel[at:].lstrip(b"["))
    if not 0 < depth <= MAX_DEPTH:
        return None
    first_close = skel.find(b"]", at)
    dims = [first_close - (at + depth) + 1]  # the innermost array's commas, plus one
    inner = array_skeleton(tuple(dims))
    for level in range(depth - 2, -1, -1):
        child_at = at + level + 1
        count, pos = 1, child_at + len(inner)
        while skel.startswith(b"," + inner, pos):
            count += 1
            pos += 1 + len(inner)
        dims.insert(0, count)
        inner = array_skeleton(tuple(dims))
    if not skel.startswith(inner, at):
        return None
    return tuple(dims)


def numeric_array(data: bytes, pos: int) -> tuple[tuple[int, ...], list[bytes], int] | None:
    """The rectangular array of well-formed numbers that starts at ``data[pos]`` (a '[').

    Returns:
        (shape, number tokens in order, offset just past its closing ']'), or None when
        the text there is anything else (then it must be read token by token).
    """
    region = _BLOCK.match(data, pos).group()  # type: ignore[union-attr]
    skel = skeleton(region)
    dims = leading_dims(skel)
    if dims is None:
        return None
    # The array ends at the ']' that closes it: count the closers after it in the region.
    closers_after = skel.count(b"]", len(array_skeleton(dims)))
    end = len(region)
    for _ in range(closers_after + 1):
        end = region.rfind(b"]", 0, end)
    text = region[: end + 1]
    tokens = _NUMBER_TOKEN.findall(text)
    count = 1
    for dim in dims:
        count *= dim
    if len(tokens) != count or sum(map(len, tokens)) != len(text) - len(
        text.translate(None, NUMBER_CHARS)
    ):
        return None
    compact = text.translate(_AS_ZERO, WHITESPACE)
    if any(pair in compact for pair in _NEVER_ADJACENT):
        return None
    return dims, tokens, pos + end + 1
