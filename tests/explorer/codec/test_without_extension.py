"""Where the C extension cannot be built, the package still works: the same tensors and the
same response bytes come from the pysimdjson reader and the numpy writer.

A child process blocks ``explorer.codec._speedups`` before anything imports it (as an
install without a C compiler has it), reads a body and writes a response; this process
does the same with the extension, and the results must be identical.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import numpy as np

from explorer.codec import limits, rest_request, speedups
from explorer.codec.fast_request import FastDoc
from explorer.codec.rest_response import predict_response_text
from tests.conftest import REPO
from tests.explorer.codec.request_paths import signature

BODY = '{"signature_name": "serving_default", "instances": [[0.1, 2.5, -0.0], [3e-5, 1e10, 7]]}'
OUTPUTS = {
    "scores": np.array([[0.1, 1 / 3, 1e-7], [2.5, -0.0, 3e38]], np.float32),
    "ids": np.array([[1, -2, 3], [4, 5, 6]], np.int64),
}

_CHILD = """
import importlib.abc, json, sys

class NoExtension(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == "explorer.codec._speedups":
            raise ImportError("blocked: as an install built without a C compiler")
        return None

sys.meta_path.insert(0, NoExtension())
from tests.explorer.codec.test_without_extension import outcome
print(json.dumps(outcome()))
"""


def outcome() -> dict[str, Any]:
    """What this process makes of BODY and OUTPUTS."""
    doc, may_hold_bools = limits.parse_request(BODY)
    sig = signature(("x", "DT_FLOAT"))
    tensors = rest_request.predict_inputs(doc, sig, may_hold_bools=may_hold_bools).tensors
    return {
        "extension": speedups.AVAILABLE,
        "fast": isinstance(doc, FastDoc) and doc.tensors({"x": "DT_FLOAT"}) is not None,
        "tensor": np.asarray(tensors["x"]).tobytes().hex(),
        "rows": predict_response_text(OUTPUTS, row_format=True),
        "columns": predict_response_text(OUTPUTS, row_format=False),
    }


def test_the_pure_python_paths_give_the_same_tensors_and_bytes() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _CHILD], cwd=REPO, capture_output=True, text=True, check=True
    )
    without = json.loads(done.stdout)
    with_extension = outcome()
    assert with_extension.pop("extension") is True
    assert without.pop("extension") is False
    assert without == with_extension
    assert without["fast"]  # pysimdjson read the body: the fast path without the extension
