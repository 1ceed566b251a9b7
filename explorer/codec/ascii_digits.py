"""Numbers as ASCII digits packed in 64-bit words, eight digits a word, for whole arrays.

The response writer (``explorer.codec.json_numbers``) lays digits into rows of bytes a
word at a time: a word's first digit sits in its lowest byte on any machine, so a word
viewed as eight bytes reads left to right. Splits are done in doubles where the numbers
are below 2^53 (numpy divides doubles far faster than 64-bit integers).
"""

from __future__ import annotations

import numpy as np

# BYTE_MASKS[k]: the low k bytes of a little-endian word; POINTS[k]: "." at byte k.
BYTE_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], np.uint64)
POINTS = np.array([ord(".") << (8 * k) for k in range(8)] + [0], np.uint64)


def significant_digits(groups: list[np.ndarray]) -> np.ndarray:
    """Digits up to the last nonzero one, counting the leading digit (never 0)."""
    count = np.ones(len(groups[0]), np.int64)
    for index, group in enumerate(groups):
        values = group - np.uint64(0x3030303030303030)  # 0-9 per byte
        # The highest nonzero byte, from the bit length (exact: a top byte is at most 9).
        _, bits = np.frexp(values.astype(np.float64))
        digits = (bits + 7) // 8
        count = np.where(digits > 0, 1 + 8 * index + digits, count)
    return count


def digit_words(numbers: np.ndarray, width: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """A number of ``width`` digits (9 or 17; the first never 0) as its first digit (ASCII)
    and words of eight ASCII digits each."""
    if width == 9:
        # Below 2^53 the split is exact in doubles, which numpy divides far faster than
        # 64-bit integers.
        whole = numbers.astype(np.float64)
        head = np.floor(whole * 1e-8)
        return head.astype(np.uint8) + np.uint8(48), [_eight_digits_of(whole - head * 1e8)]
    else:
        numbers = numbers.astype(np.uint64)
        eight = np.uint64(10**8)
        high = numbers // eight
        head, groups = high // eight, [high % eight, numbers % eight]
    return head.astype(np.uint8) + np.uint8(48), [_eight_digits(g) for g in groups]


def digit_matrix(numbers: np.ndarray) -> np.ndarray:
    """Numbers below 10^24 as 24 ASCII digits each, leading zeros included."""
    numbers = numbers.astype(np.uint64)
    eight = np.uint64(10**8)
    high = numbers // eight
    groups = [high // eight, high % eight, numbers % eight]
    return np.concatenate([_eight_digits(g).view(np.uint8).reshape(-1, 8) for g in groups], axis=1)


def _eight_digits_of(numbers: np.ndarray) -> np.ndarray:
    """Whole numbers below 10^8 held as doubles, as 8 ASCII digits in one word each: two
    lookups of four digits (the split is exact in doubles)."""
    high = np.floor(numbers * 1e-4)
    low = numbers - high * 1e4
    words: np.ndarray = _FOUR_DIGITS.take(high.astype(np.intp)) | (
        _FOUR_DIGITS.take(low.astype(np.intp)) << np.uint64(32)
    )
    return words


def _four_digit_words() -> np.ndarray:
    numbers = np.arange(10000, dtype=np.uint64)
    word = np.zeros(10000, np.uint64)
    for place in range(4):  # the first digit in the lowest byte
        digit = (numbers // np.uint64(10 ** (3 - place))) % np.uint64(10)
        word |= (digit + np.uint64(48)) << np.uint64(8 * place)
    return word


# _FOUR_DIGITS[n]: n (below 10^4) as four ASCII digits, little-endian in a word.
_FOUR_DIGITS = _four_digit_words()


def _eight_digits(numbers: np.ndarray) -> np.ndarray:
    """Numbers below 10^8 as 8 ASCII digits each, all eight at once in one 64-bit word per
    number (SWAR: lanes divided by 100 and by 10 with multiply-and-shift)."""
    high = numbers // np.uint64(10000)
    word = high | ((numbers - high * np.uint64(10000)) << np.uint64(32))
    hundreds = ((word * np.uint64(10486)) >> np.uint64(20)) & np.uint64(0x0000007F0000007F)
    word = hundreds | ((word - hundreds * np.uint64(100)) << np.uint64(16))
    tens = ((word * np.uint64(103)) >> np.uint64(10)) & np.uint64(0x000F000F000F000F)
    word = tens | ((word - tens * np.uint64(10)) << np.uint64(8))
    word += np.uint64(0x3030303030303030)
    ascii_word: np.ndarray = word.astype("<u8")  # first digit in the lowest byte, anywhere
    return ascii_word
