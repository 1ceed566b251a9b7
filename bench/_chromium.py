"""The browser of the benchmarks and of the tests (``tests/conftest.py``): Debian's
chromium (never a downloaded one), started the same way wherever the app is driven."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("EXPLORER_CHROMIUM", "/usr/bin/chromium"))
# No sandbox (root in a container), no GPU, and nothing that would reach the network or
# compete with the page for the machine's two CPUs while it is timed.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]


def launch(playwright: Any) -> Any:
    """A headless chromium from a running ``sync_playwright()``."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
