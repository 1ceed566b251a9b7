"""How wide a line of the drawing's text is, and how to shorten one without changing what it
says: whole items dropped and counted ("+3"), names cut at their "/" and "_" boundaries.

The drawing writes its text in "Helvetica, Arial, sans-serif". Widths here are DejaVu
Sans's, the widest of the sans-serif faces that list falls back to (Linux without
Helvetica or Arial): a box sized for it holds its text in any of them. The drawing's
script narrows a line to its box in the rare font wider still.
"""

from __future__ import annotations

import re
import unicodedata

# Advance widths of ASCII 32..126 in 1/1000 em (DejaVu Sans Book and Bold).
_REGULAR = (
    318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636,
    636, 636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698,
    770, 632, 575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732,
    684, 989, 685, 611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635,
    634, 278, 278, 579, 278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592,
    525, 636, 337, 636, 838,
)  # fmt: skip
_BOLD = (
    348, 456, 521, 838, 696, 1002, 872, 306, 457, 457, 523, 838, 380, 415, 380, 365, 696, 696,
    696, 696, 696, 696, 696, 696, 696, 696, 400, 400, 838, 838, 838, 580, 1000, 774, 762, 734,
    830, 683, 683, 821, 837, 372, 372, 775, 637, 995, 837, 850, 733, 850, 770, 720, 682, 812,
    774, 1103, 771, 724, 725, 457, 365, 457, 838, 500, 500, 675, 716, 593, 716, 678, 435, 716,
    712, 343, 343, 665, 343, 1042, 712, 687, 716, 716, 493, 595, 478, 712, 652, 924, 645, 652,
    582, 712, 365, 712, 838,
)  # fmt: skip
# Other characters the drawing writes itself, then a wide guess for the rest.
_OTHER = {"…": 1000, "→": 838, "·": 318, "×": 838, "⚠": 896, "›": 500}
_WIDE = 1000  # East Asian wide and full-width characters
_DEFAULT = 750

ELLIPSIS = "…"
SEPARATOR = " · "
_BOUNDARY = re.compile(r"(?<=[/_:.\- ])")  # a name may be cut after these
_MORE_TYPES = re.compile(r"^\+(\d+) types?$")
# One shape as ``explorer.model.info.format_shape`` writes it, or a side's "+N".
_BORDER_ITEM = re.compile(r"\([^()]*\)(?: scalar)?|unknown rank|resource|\+\d+")


def text_px(text: str, size: float, *, bold: bool = False) -> float:
    """The width of ``text`` in CSS px at font size ``size``."""
    table = _BOLD if bold else _REGULAR
    total = 0
    for char in text:
        code = ord(char)
        if 32 <= code < 127:
            total += table[code - 32]
        elif char in _OTHER:
            total += _OTHER[char]
        elif unicodedata.east_asian_width(char) in ("W", "F"):
            total += _WIDE
        elif unicodedata.combining(char):
            continue
        else:
            total += _DEFAULT
    return total * size / 1000


def cut_name(name: str, room: float, size: float, *, bold: bool = False) -> str:
    """``name`` in ``room`` px: whole if it fits; else its last "/" parts kept behind "…/"
    when it is a path, or its start up to a "_", "/", "." or space boundary before "…".
    A single word longer than the room loses its end."""
    if text_px(name, size, bold=bold) <= room:
        return name
    if "/" in name.strip("/"):
        parts = name.split("/")
        for start in range(1, len(parts)):
            tail = ELLIPSIS + "/" + "/".join(parts[start:])
            if text_px(tail, size, bold=bold) <= room:
                return tail
    pieces = _BOUNDARY.split(name)
    kept = ""
    for piece in pieces:
        if text_px(kept + piece + ELLIPSIS, size, bold=bold) > room:
            break
        kept += piece
    if not kept:  # one word: cut where it no longer fits
        for char in name:
            if text_px(kept + char + ELLIPSIS, size, bold=bold) > room:
                break
            kept += char
    return kept.rstrip(" ") + ELLIPSIS


def fit_items(head: str, items: list[str], room: float, size: float) -> str:
    """``head · item · item · +N types`` in ``room`` px: op types dropped whole from the end
    (each counted in the "+N types" that ends the line) until it fits."""
    more = 0
    if items and (found := _MORE_TYPES.match(items[-1])):
        more = int(found.group(1))
        items = items[:-1]
    while True:
        tail = [f"+{more} type" + ("s" if more > 1 else "")] if more else []
        line = SEPARATOR.join([head, *items, *tail] if head else [*items, *tail])
        if not items or text_px(line, size) <= room:
            return line
        items = items[:-1]
        more += 1


def split_items(summary: str) -> list[str]:
    """An op summary's items: ``"Conv2D 3 · Relu 2 · +4 types"`` → three items."""
    return [item for item in summary.split(SEPARATOR) if item] if summary else []


def fit_shapes(word: str, side: str, room: float, size: float) -> str:
    """One side of a border (``"in (-1, 56, 56, 64), (-1, 10) +1"``) in ``room`` px: whole
    shapes dropped from the end, counted in its "+N"."""
    items = _BORDER_ITEM.findall(side)
    more = 0
    if items and items[-1].startswith("+"):
        more = int(items[-1][1:])
        items = items[:-1]
    while True:
        text = f"{word} {', '.join(items)}" + (f" +{more}" if more else "")
        if len(items) <= 1 or text_px(text, size) <= room:
            return text if text_px(text, size) <= room else cut_name(text, room, size)
        items = items[:-1]
        more += 1


def border_lines(border: str, room: float, size: float) -> list[str]:
    """A border ("in … → out …") as one line if it fits, else "in …" and "→ out …" on two,
    each side shortened by whole shapes."""
    if not border or text_px(border, size) <= room:
        return [border] if border else []
    before, arrow, after = border.partition(" → ")
    if not arrow:  # one side only
        word, _, side = border.partition(" ")
        return [fit_shapes(word, side, room, size)]
    lines = []
    word, _, side = before.partition(" ")
    lines.append(fit_shapes(word, side, room, size))
    word, _, side = after.partition(" ")
    lines.append(fit_shapes(f"→ {word}", side, room, size))
    return lines
