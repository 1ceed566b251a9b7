"""Record the bundled test cases: ``cases.jsonl`` beside flowers_tf1 and portable_linear.

Each case is a REST request sent to the real model through ``explorer.run.calls`` and the
answer TF Serving's REST API would give, saved with ``explorer.compat.cases``, so
``python -m explorer replay sample_models/portable_linear sample_models/portable_linear/
cases.jsonl`` has yesterday's answers to check. The files are data, not part of any
SavedModel (TensorFlow and TF Serving ignore them). portable_linear's cases are recorded
against version 2: versions 1 and 2 pass them, version 3 (two features per row) fails.

``build.py`` runs this after building; ``python sample_models/make_cases.py`` runs it alone.
"""

from __future__ import annotations

import json
import sys
from explorer.run.local import call_rest
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CASES_FILE = "cases.jsonl"


def _image(rows: Iterable[Iterable[float]]) -> list[float]:
    """A 4x4 image, row by row, as the 16 floats of the ``image`` feature."""
    return [float(v) for row in rows for v in row]


_TOP = _image([[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0], [0, 0, 0, 0]])
_LEFT = _image([[1, 1, 0, 0]] * 4)
_BOTTOM = _image([[0, 0, 0, 0], [0, 0, 0, 0], [1, 1, 1, 1], [1, 1, 1, 1]])
_GREY = _image([[0.25] * 4] * 4)


def _pixels(image: list[float]) -> list[list[list[float]]]:
    """The same image as a (4, 4, 1) predict instance."""
    return [[[image[r * 4 + c]] for c in range(4)] for r in range(4)]


# (sample, version or None, [(case name, method, request)]).
CASES: tuple[tuple[str, int | None, list[tuple[str, str, dict[str, Any]]]], ...] = (
    (
        "flowers_tf1",
        None,
        [
            ("classify_bright_top", "classify",
             {"signature_name": "classify_images", "examples": [{"image": _TOP}]}),
            ("classify_two_examples", "classify",
             {"signature_name": "classify_images",
              "examples": [{"image": _LEFT}, {"image": _BOTTOM}]}),
            ("regress_brightness", "regress",
             {"signature_name": "regress_brightness",
              "examples": [{"image": _GREY}, {"image": _TOP}]}),
            ("predict_images_row", "predict",
             {"signature_name": "predict_images", "instances": [_pixels(_TOP)]}),
            ("serving_default_columnar", "predict",
             {"inputs": {"images": [_pixels(_LEFT), _pixels(_GREY)]}}),
            ("regress_needs_image", "regress",
             {"signature_name": "regress_brightness", "examples": [{"pixels": [1.0]}]}),
        ],
    ),
    (
        "portable_linear",
        2,
        [
            ("one_row", "predict", {"instances": [[1.0]]}),
            ("three_rows", "predict", {"instances": [[-2.0], [0.0], [4.0]]}),
            ("columnar", "predict", {"inputs": {"x": [[10.0]]}}),
            ("named_signature", "predict",
             {"signature_name": "serving_default", "instances": [[3.0]]}),
            ("string_is_rejected", "predict", {"instances": [["abc"]]}),
        ],
    ),
)  # fmt: skip


def write_cases(out_dir: Path = HERE, names: Iterable[str] = ()) -> list[Path]:
    """Run every case's request on the sample under ``out_dir`` and write its cases file.

    Args:
        out_dir: the folder holding the built samples.
        names: only these samples (default all that have cases).

    Returns:
        The files written.
    """
    if str(HERE.parent) not in sys.path:
        sys.path.insert(0, str(HERE.parent))  # run as a script: make ``explorer`` importable
    from explorer.run import calls
    from explorer.compat.cases import make_case, save_cases
    from explorer.model.reader import read_model

    wanted = set(names)
    written = []
    for sample, version, requests in CASES:
        if wanted and sample not in wanted:
            continue
        model = read_model(out_dir / sample, version=version)
        cases = [
            make_case(
                name,
                method,
                request,
                call_rest(model, method, json.dumps(request)),
                created=None,
            )
            for name, method, request in requests
        ]
        written.append(save_cases(out_dir / sample / CASES_FILE, cases))
    return written


if __name__ == "__main__":
    for path in write_cases(names=sys.argv[1:]):
        print(f"cases: {path}")
