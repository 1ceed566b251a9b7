"""Hypothesis settings the codec's property tests share: the same examples on every run
(derandomized, no example database), no deadline (a slow CI machine is not a failure), and
no health check (the strategies build big documents on purpose)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def repeatable(max_examples: int) -> settings:
    """Settings drawing ``max_examples`` examples, the same ones on every run."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
