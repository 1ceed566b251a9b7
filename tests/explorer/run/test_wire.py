"""The worker's wire format: arrays of every size arrive equal, numeric ones at an address
TensorFlow can use without a copy, and a frame cut short is an error, not a hang."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading

import numpy as np
import pytest

from explorer.run import wire
from tests.conftest import REPO

ARRAYS = [
    np.arange(10, dtype=np.float32),
    np.zeros((0, 3)),
    np.array([b"ab", b"", "\u00e9".encode()], dtype=object),
    np.random.default_rng(0).random((300, 300)),  # 720 KB: written from its own memory
    np.arange(100_000, dtype=np.int64).reshape(100, 1000)[:, ::2],  # not contiguous
    np.array(7, dtype=np.int8),
]


def _round_trip(frames: list[wire.Frame]) -> list[wire.Frame]:
    left, right = socket.socketpair()
    with left, right:
        sender = threading.Thread(target=lambda: [wire.send_frame(left, f) for f in frames])
        sender.start()
        received = [wire.receive_frame(right) for _ in frames]
        sender.join()
    assert all(f is not None for f in received)
    return [f for f in received if f is not None]


def test_arrays_arrive_equal_and_aligned() -> None:
    frames = [wire.Frame({"n": k}, (a, a)) for k, a in enumerate(ARRAYS)]
    for sent, got in zip(frames, _round_trip(frames), strict=True):
        assert got.header == sent.header
        for original, copy in zip(sent.arrays, got.arrays, strict=True):
            assert copy.shape == original.shape
            assert copy.dtype == original.dtype
            assert np.array_equal(copy, original)
            if copy.dtype != object:
                assert copy.ctypes.data % 64 == 0
                assert copy.flags.writeable


def _frame_bytes(frame: wire.Frame) -> bytes:
    left, right = socket.socketpair()
    with right:
        with left:
            sender = threading.Thread(target=wire.send_frame, args=(left, frame))
            sender.start()
            chunks = []
            while sum(map(len, chunks)) < 8 * 200_000:
                chunks.append(right.recv(1 << 20))
            sender.join()
        chunks.append(right.recv(1 << 20))  # the rest, up to the close
    return b"".join(chunks)


@pytest.mark.parametrize("keep", [0.5, 0.999])
def test_a_frame_cut_short_is_a_wire_error(keep: float) -> None:
    whole = _frame_bytes(wire.Frame({}, (np.ones(200_000),)))
    left, right = socket.socketpair()

    def send_part_and_close() -> None:
        with left:
            left.sendall(whole[: int(len(whole) * keep)])

    sender = threading.Thread(target=send_part_and_close)
    sender.start()
    with right, pytest.raises(wire.WireError, match="ended inside a frame"):
        wire.receive_frame(right)
    sender.join()


def test_tensorflows_extension_dtypes_cross_and_plain_ones_do_not_import_them() -> None:
    # bfloat16 and the float8s come from ml_dtypes, whose import costs half a second: a
    # process's first answer of plain floats (every app's first Run) must not pay it.
    script = """
import socket, sys, threading
import numpy as np
from explorer.run import wire
left, right = socket.socketpair()
frame = wire.Frame({}, (np.arange(4, dtype=np.float32), np.arange(3, dtype=np.int64)))
threading.Thread(target=wire.send_frame, args=(left, frame)).start()
got = wire.receive_frame(right)
assert got is not None and got.arrays[0].tolist() == [0.0, 1.0, 2.0, 3.0]
print("ml_dtypes" in sys.modules)
import ml_dtypes
for name in ("bfloat16", "float8_e4m3fn", "float8_e5m2"):
    array = np.arange(4, dtype=np.float32).astype(getattr(ml_dtypes, name))
    threading.Thread(target=wire.send_frame, args=(left, wire.Frame({}, (array,)))).start()
    got = wire.receive_frame(right)
    assert got is not None and got.arrays[0].dtype == array.dtype, name
    assert got.arrays[0].tobytes() == array.tobytes(), name
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.strip() == "False"
