"""What the CLI prints for people: a model's text can never drive the terminal.

A terminal obeys the control characters it is sent: ``ESC [2J`` clears it, ``ESC ]`` sets
its title or a hyperlink, ``\\r`` writes over the line, U+202E shows text backwards. A
signature key, op name or TF Serving reply holding them would rewrite what ``scan`` or
``show`` reports. Human output goes through :func:`terminal_text`; JSON output does not
(``json.dumps`` escapes C0 controls itself, and JSON is TF Serving's exact bytes).
"""

from __future__ import annotations

import sys
from typing import TextIO

from explorer.present.text import visible_controls


def terminal_text(text: str, *, lines: bool = False) -> str:
    """``text`` with control and format characters written as escapes (``\\x1b``).

    Args:
        text: one value from a model or a server (a key, a name), or, with ``lines``, a
            whole block of output.
        lines: keep line breaks and tabs (a block the CLI laid out); otherwise they are
            escaped too, so a value cannot start a line of its own.
    """
    return visible_controls(text, keep="\n\t" if lines else "")


def write_lines(text: str, stream: TextIO | None = None) -> None:
    """Write a block of human output to ``stream`` (stdout by default): line breaks and
    tabs kept, every other control character escaped."""
    (stream or sys.stdout).write(terminal_text(text, lines=True))
