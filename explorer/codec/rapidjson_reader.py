"""A REST body read exactly as TF Serving reads it: rapidjson 1.1.0's iterative parser.

TF Serving (``json_tensor.cc`` ``ParseJson``, built with rapidjson v1.1.0 as its
``workspace.bzl`` pins it) parses ``MemoryStream`` → ``EncodedInputStream<UTF8<>>`` with
``kParseIterativeFlag | kParseNanAndInfFlag | kParseStopWhenDoneFlag``. What follows:

- leading ``EF``, ``BB``, ``BF`` bytes are each skipped when present (a byte-order mark);
  error offsets still count them;
- nesting has no limit (the iterative parser keeps its own stack);
- the parser stops after the first complete value: bytes after it are never read, and a
  NUL byte reads as the end of the input;
- strings are copied byte for byte, with no UTF-8 validation (``\\u`` escapes are decoded,
  a high surrogate must be followed by a low one; a lone low one is encoded as is);
- ``NaN``, ``Inf``, ``Infinity`` are numbers; numbers are read by
  :mod:`explorer.codec.rapidjson_number` (normal precision, not correctly rounded);
- every error is rapidjson's English message and byte offset.

The document's Python values are described in :mod:`explorer.codec.json_document`
(numbers: ``int`` for rapidjson's integer kinds, ``float`` for its doubles).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from explorer.codec.json_document import json_object
from explorer.codec.numeric_text import numeric_array
from explorer.codec.rapidjson_number import (
    VALUE_INVALID,
    NumberError,
    number_values,
    parse_number,
)

DOCUMENT_EMPTY = "The document is empty."
ROOT_NOT_SINGULAR = "The document root must not be followed by other values."
MISS_NAME = "Missing a name for object member."
MISS_COLON = "Missing a colon after a name of object member."
MISS_COMMA_OR_CURLY = "Missing a comma or '}' after an object member."
MISS_COMMA_OR_SQUARE = "Missing a comma or ']' after an array element."
BAD_HEX = "Incorrect hex digit after \\u escape in string."
BAD_SURROGATE = "The surrogate pair in string is invalid."
BAD_ESCAPE = "Invalid escape character in string."
MISS_QUOTE = "Missing a closing quotation mark in string."

__all__ = ["JsonParseError", "parse"]


class JsonParseError(Exception):
    """rapidjson could not parse the body: ``message`` at byte ``offset``."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} at offset: {offset}")
        self.message = message
        self.offset = offset


# Iterative parser states and tokens (reader.h, in its order).
(
    _START, _FINISH, _ERROR,
    _OBJECT_INITIAL, _MEMBER_KEY, _KEY_VALUE_DELIMITER, _MEMBER_VALUE, _MEMBER_DELIMITER,
    _OBJECT_FINISH, _ARRAY_INITIAL, _ELEMENT, _ELEMENT_DELIMITER, _ARRAY_FINISH, _VALUE,
) = range(14)  # fmt: skip
_LEFT_BRACKET, _RIGHT_BRACKET, _LEFT_CURLY, _RIGHT_CURLY, _COMMA, _COLON = range(6)
_STRING, _FALSE, _TRUE, _NULL, _NUMBER = range(6, 11)
_TOKEN = [_NUMBER] * 256
for _char, _token in zip(b'[]{},:"ftn', range(10), strict=True):
    _TOKEN[_char] = _token
_E = _ERROR
_SINK = [_E] * 11
# Predict(): state × token → next state.
_PREDICT = [
    [_ARRAY_INITIAL, _E, _OBJECT_INITIAL, _E, _E, _E, _VALUE, _VALUE, _VALUE, _VALUE, _VALUE],
    _SINK,
    _SINK,
    [_E, _E, _E, _OBJECT_FINISH, _E, _E, _MEMBER_KEY, _E, _E, _E, _E],
    [_E, _E, _E, _E, _E, _KEY_VALUE_DELIMITER, _E, _E, _E, _E, _E],
    [_ARRAY_INITIAL, _E, _OBJECT_INITIAL, _E, _E, _E, *[_MEMBER_VALUE] * 5],
    [_E, _E, _E, _OBJECT_FINISH, _MEMBER_DELIMITER, _E, _E, _E, _E, _E, _E],
    [_E, _E, _E, _OBJECT_FINISH, _E, _E, _MEMBER_KEY, _E, _E, _E, _E],
    _SINK,
    [_ARRAY_INITIAL, _ARRAY_FINISH, _OBJECT_INITIAL, _E, _E, _E, *[_ELEMENT] * 5],
    [_E, _ARRAY_FINISH, _E, _E, _ELEMENT_DELIMITER, _E, _E, _E, _E, _E, _E],
    [_ARRAY_INITIAL, _ARRAY_FINISH, _OBJECT_INITIAL, _E, _E, _E, *[_ELEMENT] * 5],
    _SINK,
    _SINK,
]
# HandleError(): the error for a token the state does not accept (or the end of input).
_STATE_ERROR = {
    _START: DOCUMENT_EMPTY,
    _FINISH: ROOT_NOT_SINGULAR,
    _OBJECT_INITIAL: MISS_NAME,
    _MEMBER_DELIMITER: MISS_NAME,
    _MEMBER_KEY: MISS_COLON,
    _MEMBER_VALUE: MISS_COMMA_OR_CURLY,
    _KEY_VALUE_DELIMITER: VALUE_INVALID,
    _ARRAY_INITIAL: VALUE_INVALID,
    _ELEMENT_DELIMITER: VALUE_INVALID,
    _ELEMENT: MISS_COMMA_OR_SQUARE,
}
_WHITESPACE = re.compile(rb"[ \n\r\t]*")
_PLAIN = re.compile(rb'[^"\\\x00-\x1f]*')  # string bytes copied as they are
_ESCAPED = {ord(k): v for k, v in zip('"\\/bfnrt', '"\\/\b\f\n\r\t', strict=True)}
_HEX = re.compile(rb"[0-9A-Fa-f]{4}")
# A run of well-formed numbers and commas inside an array, read in one step.
_NUMBER_TEXT = rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?"
_NUMBER_RUN = re.compile(_NUMBER_TEXT + rb"(?:[ \n\r\t]*,[ \n\r\t]*" + _NUMBER_TEXT + rb")*")
_NUMBER_START = frozenset(b"-0123456789")
_NUMBER_TAIL = frozenset(b".eE")


def parse(body: bytes | str) -> Any:
    """Parse a request body as TF Serving's ``ParseJson`` does (before its object check).

    Args:
        body: the HTTP body; a ``str`` is sent as UTF-8 (a lone surrogate as the bytes
            ``surrogatepass`` gives it).

    Returns:
        The document (see the module docstring for its Python types).

    Raises:
        JsonParseError: rapidjson's error; ``message`` and ``offset`` as TF Serving
            prints them (``JSON Parse error: <message> at offset: <offset>``).
    """
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)
    try:
        return _Reader(data).document()
    except NumberError as exc:
        raise JsonParseError(exc.message, exc.offset) from None


class _Reader:
    __slots__ = ("data", "end", "pending", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.end = len(data)
        self.pos = 0
        # Number runs read later all at once: (list, first index, tokens, offset).
        self.pending: list[tuple[list[Any], int, list[bytes], int]] = []
        # EncodedInputStream<UTF8<>, MemoryStream> takes each BOM byte if it is there.
        for char in (0xEF, 0xBB, 0xBF):
            if self.pos < self.end and data[self.pos] == char:
                self.pos += 1

    def peek(self) -> int:
        # MemoryStream::Peek: the end reads as NUL, and so does a NUL byte.
        return self.data[self.pos] if self.pos < self.end else 0

    def skip_whitespace(self) -> None:
        self.pos = _WHITESPACE.match(self.data, self.pos).end()  # type: ignore[union-attr]

    def document(self) -> Any:
        try:
            root = self.walk()
        except (JsonParseError, NumberError):
            self.fill_numbers()  # a number too big before the error is reported first
            raise
        self.fill_numbers()
        return root

    def fill_numbers(self) -> None:
        tokens = [token for _, _, run, _ in self.pending for token in run]
        try:
            values = number_values(tokens)
        except NumberError:
            for _, _, run, offset in self.pending:
                try:
                    number_values(run)
                except NumberError:
                    self.reread(offset, len(run))
            raise
        at = 0
        for items, first, run, _ in self.pending:
            items[first : first + len(run)] = values[at : at + len(run)]
            at += len(run)
        self.pending.clear()

    def walk(self) -> Any:
        state = _START
        # Each frame: [state to return to, container, pending key].
        stack: list[list[Any]] = []
        root: Any = None
        self.skip_whitespace()
        while self.peek():
            token = _TOKEN[self.peek()]
            target = _PREDICT[state][token]
            if target == _ERROR:
                raise JsonParseError(_STATE_ERROR[state], self.pos)
            if target == _ARRAY_INITIAL and state == _KEY_VALUE_DELIMITER:
                block = self.numeric_block()
                if block is not None:  # a whole tensor-like member value at once
                    frame = stack[-1]
                    frame[1].append((frame[2], block))
                    state = _MEMBER_VALUE
                    self.skip_whitespace()
                    continue
            if target in (_OBJECT_INITIAL, _ARRAY_INITIAL):
                back = state
                if state in (_ARRAY_INITIAL, _ELEMENT_DELIMITER):
                    back = _ELEMENT
                elif state == _KEY_VALUE_DELIMITER:
                    back = _MEMBER_VALUE
                stack.append([back, [], None])
                self.pos += 1
                state = target
            elif target == _MEMBER_KEY:
                stack[-1][2] = self.string()
                state = target
            elif target in (_KEY_VALUE_DELIMITER, _MEMBER_DELIMITER, _ELEMENT_DELIMITER):
                self.pos += 1
                state = target
            elif target == _MEMBER_VALUE:
                frame = stack[-1]
                frame[1].append((frame[2], self.value()))
                state = target
            elif target == _ELEMENT:
                items = stack[-1][1]
                if state != _ELEMENT and self.peek() in _NUMBER_START:
                    self.number_run(items)
                else:
                    items.append(self.value())
                state = target
            elif target in (_OBJECT_FINISH, _ARRAY_FINISH):
                if state == _MEMBER_DELIMITER:
                    raise JsonParseError(MISS_NAME, self.pos)
                if state == _ELEMENT_DELIMITER:
                    raise JsonParseError(VALUE_INVALID, self.pos)
                back, items, _ = stack.pop()
                value = items if target == _ARRAY_FINISH else json_object(items)
                self.pos += 1
                if back == _START:
                    return value
                state = back
                frame = stack[-1]
                if back == _ELEMENT:
                    frame[1].append(value)
                else:
                    frame[1].append((frame[2], value))
            else:  # _VALUE: a single scalar root
                root = self.value()
                return root
            self.skip_whitespace()
        raise JsonParseError(_STATE_ERROR[state], self.pos)

    def value(self) -> Any:
        char = self.peek()
        if char == 0x22:
            return self.string()
        if char in (0x6E, 0x74, 0x66):  # null / true / false
            word = {0x6E: b"null", 0x74: b"true", 0x66: b"false"}[char]
            self.pos += 1
            for expected in word[1:]:
                if self.peek() != expected:
                    raise JsonParseError(VALUE_INVALID, self.pos)
                self.pos += 1
            return {0x6E: None, 0x74: True, 0x66: False}[char]
        number, self.pos = parse_number(self.data, self.pos)
        return number

    def numeric_block(self) -> list[Any] | None:
        # A rectangular array of well-formed numbers, proved so from its text, read as
        # one block: the same values the token-by-token walk gives.
        found = numeric_array(self.data, self.pos)
        if found is None:
            return None
        dims, tokens, end = found
        try:
            values = number_values(tokens)
        except NumberError:
            return None  # the walk reports it at its offset, in document order
        self.pos = end
        nested: list[Any] = np.array(values, dtype=object).reshape(dims).tolist()
        return nested

    def number_run(self, items: list[Any]) -> None:
        # Well-formed numbers and commas in one regex step, their values computed at the
        # end all together. When a '.', 'e' or 'E' follows the run, rapidjson reads on
        # into it: its last number is read alone, now.
        match = _NUMBER_RUN.match(self.data, self.pos)
        if match is None:
            items.append(self.value())
            return
        text = match.group()
        tokens = [token.strip(b" \n\r\t") for token in text.split(b",")]
        tail = match.end() < self.end and self.data[match.end()] in _NUMBER_TAIL
        if tail:
            tokens.pop()
        if tokens:
            self.pending.append((items, len(items), tokens, self.pos))
            items.extend(tokens)
        if not tail:
            self.pos = match.end()
            return
        if tokens:
            self.pos += text.rindex(b",") + 1
            self.skip_whitespace()
        items.append(self.value())

    def reread(self, offset: int, count: int) -> None:
        # One token at a time, so that the error carries the offset of its token.
        self.pos = offset
        for _ in range(count):
            self.skip_whitespace()
            _, self.pos = parse_number(self.data, self.pos)
            self.skip_whitespace()
            self.pos += 1
        raise AssertionError("a number run failed once but not when read again")

    def string(self) -> str | bytes:
        data = self.data
        self.pos += 1  # the opening quote
        parts: list[bytes] = []
        while True:
            run = _PLAIN.match(data, self.pos).end()  # type: ignore[union-attr]
            if run > self.pos:
                parts.append(data[self.pos : run])
                self.pos = run
            char = self.peek()
            if char == 0x22:
                self.pos += 1
                raw = b"".join(parts)
                try:
                    return raw.decode("utf-8")
                except UnicodeDecodeError:
                    return raw  # rapidjson keeps the bytes (no encoding validation)
            if char == 0x5C:
                parts.append(self.escape())
            elif char == 0:
                raise JsonParseError(MISS_QUOTE, self.pos)
            else:
                raise JsonParseError(BAD_ESCAPE, self.pos)

    def escape(self) -> bytes:
        escape_offset = self.pos
        self.pos += 1
        char = self.peek()
        if char in _ESCAPED:
            self.pos += 1
            return _ESCAPED[char].encode()
        if char != 0x75:  # 'u'
            raise JsonParseError(BAD_ESCAPE, escape_offset)
        self.pos += 1
        code = self.hex4(escape_offset)
        if 0xD800 <= code <= 0xDBFF:
            if self.data[self.pos : self.pos + 2] != b"\\u":
                raise JsonParseError(BAD_SURROGATE, escape_offset)
            self.pos += 2
            low = self.hex4(escape_offset)
            if not 0xDC00 <= low <= 0xDFFF:
                raise JsonParseError(BAD_SURROGATE, escape_offset)
            code = (((code - 0xD800) << 10) | (low - 0xDC00)) + 0x10000
        # A lone low surrogate is encoded as its three bytes, as rapidjson 1.1.0 does.
        return chr(code).encode("utf-8", "surrogatepass")

    def hex4(self, escape_offset: int) -> int:
        if _HEX.match(self.data, self.pos) is None or self.pos + 4 > self.end:
            raise JsonParseError(BAD_HEX, escape_offset)
        code = int(self.data[self.pos : self.pos + 4], 16)
        self.pos += 4
        return code
