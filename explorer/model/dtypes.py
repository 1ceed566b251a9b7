"""TensorFlow DataType names (``DT_FLOAT``) and their numpy counterparts."""

from __future__ import annotations

_NUMPY_NAMES = {
    "DT_FLOAT": "float32",
    "DT_DOUBLE": "float64",
    "DT_HALF": "float16",
    "DT_BFLOAT16": "bfloat16",
    "DT_INT8": "int8",
    "DT_INT16": "int16",
    "DT_INT32": "int32",
    "DT_INT64": "int64",
    "DT_UINT8": "uint8",
    "DT_UINT16": "uint16",
    "DT_UINT32": "uint32",
    "DT_UINT64": "uint64",
    "DT_BOOL": "bool",
    "DT_STRING": "bytes",  # numpy object array of bytes
    "DT_COMPLEX64": "complex64",
    "DT_COMPLEX128": "complex128",
}


def numpy_name(dtype: str) -> str:
    """``"DT_FLOAT"`` → ``"float32"``; types numpy has no name for keep a plain word
    (``DT_RESOURCE`` → ``"resource"``, ``DT_INVALID`` → ``"invalid"``)."""
    if dtype in _NUMPY_NAMES:
        return _NUMPY_NAMES[dtype]
    return dtype.removeprefix("DT_").lower()


def dtype_for_numpy(numpy_dtype_name: str) -> str | None:
    """``"float32"`` → ``"DT_FLOAT"``; None for numpy types TensorFlow has no plain name for."""
    return _DT_BY_NUMPY.get(numpy_dtype_name)


# Strings are numpy objects, not "bytes": only the numeric and bool types map back.
_DT_BY_NUMPY = {name: dt for dt, name in _NUMPY_NAMES.items() if dt != "DT_STRING"}
