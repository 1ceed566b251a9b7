"""Shared helper for the benches, not a benchmark: the CPU time a process and everything
below it have used, from Linux's ``/proc`` (a process's own count includes its threads
that have ended), so a throughput table can say where each call's CPU time went: the
caller's process or the worker's.
"""

from __future__ import annotations

import os

from explorer.run.supervisor import descendants


def tree_cpu_s(pids: tuple[int, ...]) -> float:
    """User + system seconds of these processes and all their descendants (0 where /proc
    is missing or a process is gone)."""
    total = 0
    tree = {*pids, *(child for parent in pids for child in descendants(parent))}
    for pid in tree:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
                # Fields after the command's closing parenthesis: utime is the 12th, stime
                # the 13th (the command may itself hold spaces or parentheses).
                fields = stat.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")
