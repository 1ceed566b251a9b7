"""The worker settings read from the environment: memory and time limits, how many models
stay loaded, whose kernels run them. Each is read when it is needed, so a change to the
environment applies to the next worker started or model loaded."""

from __future__ import annotations

import os
from typing import Literal

from explorer.constants import Kernels
from explorer.errors import UsageError
from explorer.run.supervisor import Limits

ENV_MODELS = "EXPLORER_WORKER_MODELS"
ENV_MEMORY = "EXPLORER_WORKER_MEMORY_MB"
ENV_CALL_TIMEOUT = "EXPLORER_CALL_TIMEOUT_S"
ENV_LOAD_TIMEOUT = "EXPLORER_LOAD_TIMEOUT_S"
ENV_KERNELS = "EXPLORER_KERNELS"


def limits() -> Limits:
    """A worker's memory limit and a call's and a load's time limits."""
    return Limits(
        memory_mb=_env_int(ENV_MEMORY, 8192),
        call_timeout_s=_env_float(ENV_CALL_TIMEOUT, 60.0),
        load_timeout_s=_env_float(ENV_LOAD_TIMEOUT, 300.0),
    )


def max_models() -> int:
    """How many models stay loaded (the least recently used one is unloaded past it)."""
    return _env_int(ENV_MODELS, 4)


def default_kernels() -> Kernels:
    """``EXPLORER_KERNELS`` ("standard" or "mkl"), else TF Serving's standard kernels.

    Raises:
        UsageError: any other value.
    """
    value = os.environ.get(ENV_KERNELS, "standard").strip().lower() or "standard"
    if value not in ("standard", "mkl"):
        raise UsageError(
            f'{ENV_KERNELS}="{value}": expected "standard" (TF Serving\'s CPU build) or "mkl" '
            "(its --config=mkl build, with oneDNN)."
        )
    kernels: Literal["standard", "mkl"] = "mkl" if value == "mkl" else "standard"
    return kernels


def _env_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f'{name}="{text}": expected a whole number.') from None
    if value < 1:
        raise UsageError(f'{name}="{text}": expected a number of at least 1.')
    return value


def _env_float(name: str, default: float) -> float:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f'{name}="{text}": expected a number of seconds.') from None
    if not value > 0:
        raise UsageError(f'{name}="{text}": expected a positive number of seconds.')
    return value
