"""A worker never outlives the process it serves: killed mid-call, the parent takes its
worker with it, even one stuck in a model's endless loop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import REPO
from tests.explorer.run.worker_models import WorkerModels


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_killed_cli_takes_its_busy_worker_with_it(misbehaving: WorkerModels) -> None:
    cli = subprocess.Popen(
        [
            *(sys.executable, "-m", "explorer", "predict", str(misbehaving.spin)),
            *("-r", '{"inputs": {"n": 1000000000000}}'),
        ],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO), "EXPLORER_CALL_TIMEOUT_S": "600"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while time.monotonic() < deadline and not workers:
            workers = {
                p
                for p in _descendants(cli.pid)
                if b"explorer.run.worker" in Path(f"/proc/{p}/cmdline").read_bytes()
            }
            time.sleep(0.5)
        assert workers, "the CLI started no worker"
        time.sleep(15)  # TensorFlow imported, the model loaded, the endless loop running
        assert cli.poll() is None
        cli.send_signal(signal.SIGTERM)
        cli.wait(timeout=30)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(_alive(p) for p in workers):
            time.sleep(0.2)
        assert not any(_alive(p) for p in workers)
    finally:
        if cli.poll() is None:
            cli.kill()
