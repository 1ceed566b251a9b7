"""Numeric and boolean tensors as TF Serving's REST JSON text, written in bulk.

TF Serving writes each value with rapidjson (``AddSingleValueAndAdvance`` in
``json_tensor.cc``): floats through ``WriteDecimal`` (digits from
``explorer.codec.decimal_digits``), integers as ``Int``/``Int64``/``Uint``/``Uint64``,
booleans as ``true``/``false``; nested arrays in ``PrettyWriter``'s layout, or its
``kFormatSingleLineArray`` one. The C extension writes the whole text in one pass
(:func:`explorer.codec.speedups.join_numbers`, the GIL released); where it is not built,
every value of a chunk becomes one row of a byte matrix — separator, then the token's
characters at fixed columns, NUL wherever a character is absent — built with numpy's
vectorised operations, and dropping the NULs joins the rows into the text. Either way no
Python work is done per number, and the bytes are the same (the tests compare them).

A row's separator is the same for every value but those that start an inner array
(``],\n        [`` in the pretty layout): those get a two-byte marker, replaced by their
separator once the text is joined.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from explorer.codec.ascii_digits import (
    BYTE_MASKS,
    POINTS,
    digit_matrix,
    digit_words,
    significant_digits,
)
from explorer.codec.decimal_digits import CHUNK, decimal_parts
from explorer.codec.speedups import AVAILABLE, join_numbers

_INDENT = "    "
_MARK = 1  # a marker's first byte: no token or separator holds a control character
_MAX_MARKED_RANK = 200  # a marker's second byte is 32 + the number of arrays it closes


def writes_in_bulk(array: np.ndarray) -> bool:
    """Whether :func:`array_text` writes this dtype: the floats, integers and booleans
    TF Serving's JSON writer has a case for."""
    kind, size = array.dtype.kind, array.dtype.itemsize
    if kind == "f":
        return size in (4, 8)
    if kind == "i":
        return size in (1, 2, 4, 8)
    if kind == "u":
        return size in (1, 4, 8)  # DT_UINT16 has no case in the writer
    return kind == "b"


def array_text(
    array: np.ndarray,
    *,
    depth: int,
    single_line: bool,
    end: str | None = None,
    native: bool = AVAILABLE,
) -> str:
    """A non-empty tensor (any rank) as one JSON value, in rapidjson PrettyWriter's layout.

    Args:
        array: values of a dtype :func:`writes_in_bulk` accepts, at least one.
        depth: the writer's nesting depth where the value goes (its indentation).
        single_line: rapidjson's ``kFormatSingleLineArray`` (row-format items).
        end: text in place of the outermost array's closing bracket (the text is long:
            one copy less than replacing it afterwards).
        native: write with the C extension (the default where it is built), else numpy.

    Returns:
        The text: a bare token for a scalar, else the nested arrays.
    """
    rank = array.ndim
    if rank == 0:
        if native:
            return join_numbers(array, (b"",))
        return _body(array.reshape(1), (1,), b"", _never).decode("ascii")
    layout = _Layout(depth, rank, single_line)
    tail = layout.tail if end is None else layout.tail[:-1] + end
    if native:
        separators = tuple(layout.separator(closed) for closed in range(rank))
        return join_numbers(array, separators, layout.head.encode(), tail.encode())
    body = _body(array.reshape(-1), array.shape, layout.separator(0), layout.separator)
    return layout.head + body.decode("ascii") + tail


def item_texts(array: np.ndarray, *, native: bool = AVAILABLE) -> list[str]:
    """Each ``array[i]`` as its own single-line JSON value (row-format items, pairs).

    Args:
        array: rank 1 or more, at least one value, a dtype :func:`writes_in_bulk` accepts.
        native: write with the C extension (the default where it is built), else numpy.

    Returns:
        One text per item along the first dimension.
    """
    rank = array.ndim
    inner = _Layout(0, rank - 1, True) if rank > 1 else None

    def separator(closed: int) -> bytes:
        # Closing every inner array ends an item: split there.
        if inner is None or closed == rank - 1:
            return b"\x02"
        return inner.separator(closed)

    if native:
        text = join_numbers(array, tuple(separator(closed) for closed in range(rank)))
    else:
        body = _body(array.reshape(-1), array.shape, separator(0), separator)
        text = body.decode("ascii")
    parts = text.split("\x02")
    if inner is None:
        return parts
    return [inner.head + part + inner.tail for part in parts]


class _Layout:
    """PrettyWriter's text around the values of a rank-``rank`` array at ``depth``."""

    def __init__(self, depth: int, rank: int, single_line: bool) -> None:
        self.depth, self.rank, self.single_line = depth, rank, single_line
        if single_line:
            self.head, self.tail = "[" * rank, "]" * rank
        else:
            self.head = "".join("[\n" + _INDENT * (depth + t + 1) for t in range(rank))
            self.tail = "".join("\n" + _INDENT * (depth + t) + "]" for t in reversed(range(rank)))

    def separator(self, closed: int) -> bytes:
        """Between two values where ``closed`` inner arrays end (and as many begin)."""
        rank, depth = self.rank, self.depth
        if self.single_line:
            return ("]" * closed + ", " + "[" * closed).encode()
        closers = "".join(
            "\n" + _INDENT * (depth + t) + "]" for t in range(rank - 1, rank - closed - 1, -1)
        )
        openers = "".join("[\n" + _INDENT * (depth + t + 1) for t in range(rank - closed, rank))
        return (closers + ",\n" + _INDENT * (depth + rank - closed) + openers).encode()


def _never(closed: int) -> bytes:
    raise AssertionError("a scalar has no separators")  # a bug


def _body(
    flat: np.ndarray, shape: tuple[int, ...], plain: bytes, separator: Callable[[int], bytes]
) -> bytes:
    """The values joined: ``plain`` between values of one innermost array, the marked
    ``separator(closed)`` where inner arrays close; nothing before the first value."""
    if len(shape) > _MAX_MARKED_RANK:
        raise ValueError(f"rank {len(shape)} is past what the bulk writer marks")  # a bug
    last = shape[-1]
    strides = np.cumprod(shape[::-1])[:-1]  # elements per inner array, innermost first
    marked = len(shape) > 1
    chunks = []
    closings: set[int] = set()
    for start in range(0, len(flat), CHUNK):
        values = flat[start : start + CHUNK]
        rows = _token_rows(values, plain)
        # Rows that start an inner array: a marker saying how many arrays close before it.
        first = -(-start // last) * last
        boundary = np.arange(first, start + len(values), last, dtype=np.int64)
        if marked and len(boundary):
            closed = np.zeros(len(boundary), np.int64)
            for stride in strides.tolist():
                closed += boundary % stride == 0
            local = boundary - start
            rows[local, : len(plain)] = 0
            rows[local, 0] = _MARK
            rows[local, 1] = 32 + closed
            closings.update(closed[boundary > 0].tolist())  # the first value has none
        if start == 0:
            rows[0, : len(plain)] = 0
        chunks.append(rows.tobytes().translate(None, b"\0"))
    body = b"".join(chunks)
    for count in sorted(closings):
        if count:
            body = body.replace(bytes([_MARK, 32 + count]), separator(count))
    return body


# --- one row of bytes per value -------------------------------------------------------------


def _token_rows(values: np.ndarray, plain: bytes) -> np.ndarray:
    """Per value: the separator ``plain``, then its token's characters (NUL elsewhere)."""
    kind = values.dtype.kind
    if kind == "f":
        return _float_rows(values, plain)
    lead = len(plain)
    if kind == "b":
        rows = np.zeros((len(values), lead + 5), np.uint8)
        rows[:, lead:] = _BOOLEANS.take(values.astype(np.intp), axis=0)
    else:
        rows = _integer_rows(values, lead)
    rows[:, :lead] = np.frombuffer(plain, np.uint8)
    return rows


_BOOLEANS = np.frombuffer(b"false" + b"true\0", np.uint8).reshape(2, 5)

# Float frame columns after the separator: sign, the "0.000" lead, the first digit, then per
# group of eight digits nine columns (the group with the point inserted where it goes),
# the ".0" zero, the exponent.
_SIGN, _LEAD, _HEAD = 0, 1, 6


def _float_rows(values: np.ndarray, plain: bytes) -> np.ndarray:
    width = 9 if values.dtype == np.float32 else 17
    frame = _frame(width, plain)
    ordinary = np.isfinite(values) & (values != 0)
    special = np.flatnonzero(~ordinary)
    numbers = values
    if len(special):
        numbers = values.copy()
        numbers[special] = 1  # any ordinary value: their rows are replaced below
    parts = decimal_parts(numbers)
    head, groups = digit_words(parts.digits, width)
    significant = significant_digits(groups)
    exponent, precision = parts.exponent, parts.precision
    fixed = (exponent >= 0) & (exponent < precision)
    # Arithmetic blends: np.where on an unpredictable mask is slower.
    widened = np.minimum(np.maximum(significant, exponent + 2), width)
    keep = significant + fixed * (widened - significant)
    # The point goes before digit `point` (1 … width): after digit X in fixed notation,
    # after the first in scientific notation with more than one digit; 0: no point.
    scientific = ((exponent >= 0) | (exponent < -4)) & (significant > 1)
    point = scientific + fixed * (exponent + 1 - scientific)
    code = frame.code(np.signbit(values), precision == 6, exponent, significant > 1)
    if len(special):
        keep[special] = 0
        point[special] = 0
        code[special] = frame.special_code(values[special])
        head[special] = 0
    rows = frame.table.take(code, axis=0)
    rows[:, frame.head] = head
    last = len(groups) - 1
    for index, group in enumerate(groups):
        # Digits 1 + 8·index … past what is kept become NUL.
        group &= BYTE_MASKS.take(np.clip(keep - 1 - 8 * index, 0, 8))
        # The point, when it falls in this group: at byte p, the digits from p on move up
        # one byte and the group's last digit into its ninth column.
        # (digits 1 + 8·index … 8 + 8·index are this group's; after the very last digit,
        # the point is the last group's ninth byte).
        end = 8 * index + (9 if index == last else 8)
        here = (point >= 1 + 8 * index) & (point <= end)
        at = np.where(here, point - 1 - 8 * index, 8)
        low = BYTE_MASKS.take(at)
        inserted = (group & low) | (POINTS.take(at) * here) | ((group & ~low) << np.uint64(8))
        spill = (group >> np.uint64(56)) * (at < 8) + np.uint64(ord(".")) * (here & (at == 8))
        start = frame.groups + 9 * index
        rows[:, start : start + 8] = inserted.view(np.uint8).reshape(-1, 8)
        rows[:, start + 8] = spill
    return rows


class _Frame:
    """The fixed characters of every float token shape, one table row per shape:
    (sign, %g precision 6 or full, exponent, more than one digit), then the specials."""

    def __init__(self, width: int, plain: bytes) -> None:
        self.width = width
        self.lead = len(plain)
        self.head = self.lead + _HEAD  # the column of the first digit
        self.groups = self.head + 1  # where the groups of eight digits start
        count = (width - 1) // 8
        self.zero = self.groups + 9 * count
        self.low = -330 if width == 17 else -50
        high = 310 if width == 17 else 40
        self.span = high - self.low
        self.columns = self.zero + 1 + 5
        rows = []
        for negative in (False, True):
            for six in (False, True):
                for exponent in range(self.low, high):
                    for several in (False, True):
                        rows.append(self._row(negative, six, exponent, several))
        self.specials = ("NaN", "Infinity", "-Infinity", "0.0", "-0.0")
        # A special's text goes where no digit is written: sign and lead, then the zero and
        # exponent columns (the digit columns between them stay NUL).
        free = [*range(self.lead, self.head), *range(self.zero, self.columns)]
        for text in self.specials:
            row = np.zeros(self.columns, np.uint8)
            row[free[: len(text)]] = np.frombuffer(text.encode(), np.uint8)
            rows.append(row)
        self.table = np.stack(rows)
        self.table[:, : self.lead] = np.frombuffer(plain, np.uint8)

    def _row(self, negative: bool, six: bool, exponent: int, several: bool) -> np.ndarray:
        # The point is inserted with the digits; here: sign, lead, ".0" zero, exponent.
        width = self.width
        precision = 6 if six else width
        row = np.zeros(self.columns, np.uint8)
        base = self.lead
        if negative:
            row[base + _SIGN] = ord("-")
        if 0 <= exponent < precision:  # %g's fixed notation, with TF Serving's ".0"
            if exponent == width - 1:
                row[self.zero] = ord("0")
        elif -4 <= exponent < 0:
            lead = "0." + "0" * (-exponent - 1)
            row[base + _LEAD : base + _LEAD + len(lead)] = np.frombuffer(lead.encode(), np.uint8)
        else:  # scientific: d[.ddd]e±XX
            text = f"e{'+' if exponent >= 0 else '-'}{abs(exponent):02d}"
            row[self.zero + 1 : self.zero + 1 + len(text)] = np.frombuffer(text.encode(), np.uint8)
        return row

    def code(
        self, negative: np.ndarray, six: np.ndarray, exponent: np.ndarray, several: np.ndarray
    ) -> np.ndarray:
        shape = (negative.astype(np.int64) * 2 + six) * self.span + (exponent - self.low)
        code: np.ndarray = shape * 2 + several
        return code

    def special_code(self, values: np.ndarray) -> np.ndarray:
        base = 8 * self.span
        nan, negative = np.isnan(values), np.signbit(values)
        infinite = np.isinf(values)
        return np.where(
            nan, base, np.where(infinite, base + 1 + negative, base + 3 + negative)
        ).astype(np.int64)


_FRAMES: dict[tuple[int, bytes], _Frame] = {}
_FRAMES_LOCK = threading.Lock()
_FRAMES_KEPT = 16  # (width, separator) pairs: one per nesting depth and layout in use


def _frame(width: int, plain: bytes) -> _Frame:
    with _FRAMES_LOCK:
        frame = _FRAMES.get((width, plain))
        if frame is None:
            if len(_FRAMES) >= _FRAMES_KEPT:
                _FRAMES.pop(next(iter(_FRAMES)))
            frame = _FRAMES[width, plain] = _Frame(width, plain)
    return frame


def _integer_rows(values: np.ndarray, lead: int) -> np.ndarray:
    signed = values.dtype.kind == "i"
    wide = values.astype(np.int64 if signed else np.uint64)
    negative = wide < 0 if signed else np.zeros(len(values), np.bool_)
    # |v| as uint64, int64's minimum included (two's complement).
    magnitude = wide.astype(np.uint64)
    if signed:
        magnitude = np.where(negative, ~magnitude + np.uint64(1), magnitude)
    digits = digit_matrix(magnitude)
    first = np.argmax(digits != 48, axis=1)
    first[magnitude == 0] = 23  # 0 keeps its last digit
    digits *= np.arange(24) >= first[:, None]
    rows = np.zeros((len(values), lead + 25), np.uint8)
    rows[:, lead] = negative * ord("-")
    rows[:, lead + 1 :] = digits
    return rows
