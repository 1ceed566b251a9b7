"""Ways to look at an intermediate tensor: which views fit its shape, and the pictures
they draw (a heatmap of a matrix, a grid of a feature map's channels, a histogram).

Plain numpy, no plotting library: the app shows the images with ``st.image`` and the
notebook as PNG; a leading batch dimension of 1 is dropped before choosing.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np

ViewKind = Literal["table", "heatmap", "channels", "histogram"]

# A table shows at most this many cells before it stops being readable.
TABLE_CELLS = 4_096
MAX_CHANNELS = 64
# Viridis at five stops: dark blue (low) to yellow (high), readable in greyscale too.
_STOPS = np.array(
    [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], np.float64
)


def squeezed(array: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """The array without a leading batch dimension of 1."""
    return array[0] if array.ndim > 1 and array.shape[0] == 1 else array


def view_kinds(array: np.ndarray[Any, Any]) -> tuple[ViewKind, ...]:
    """The views that fit, the best first."""
    value = squeezed(array)
    numeric = value.dtype.kind in "biuf" and value.size > 0
    kinds: list[ViewKind] = []
    if numeric and value.ndim == 3 and min(value.shape[:2]) >= 2:
        kinds.append("channels")
    if numeric and value.ndim == 2 and min(value.shape) >= 2:
        kinds.append("heatmap")
    if value.size <= TABLE_CELLS and value.ndim <= 2:
        kinds.append("table")
    if numeric and value.size > 1:
        kinds.append("histogram")
    return tuple(kinds)


def heatmap(matrix: np.ndarray[Any, Any], *, cell: int = 0) -> np.ndarray[Any, Any]:
    """An RGB image of a 2-D array (viridis: low dark blue, high yellow), each value a
    ``cell``-pixel square (0: chosen so the image is about 256 px wide)."""
    values = _unit(np.asarray(matrix, np.float64))
    rgb = _colour(values)
    size = cell or max(1, 256 // max(values.shape[1], 1))
    return np.repeat(np.repeat(rgb, size, axis=0), size, axis=1)


def channel_grid(
    feature_map: np.ndarray[Any, Any], *, limit: int = MAX_CHANNELS
) -> np.ndarray[Any, Any]:
    """A ``[H, W, C]`` array's first ``limit`` channels side by side as heatmaps, each
    scaled to its own range (viridis), in one RGB image with 2-pixel white gaps."""
    value = np.asarray(feature_map, np.float64)
    height, width, count = value.shape
    shown = min(count, limit)
    columns = int(np.ceil(np.sqrt(shown)))
    rows = int(np.ceil(shown / columns))
    gap = 2
    grid = np.full((rows * (height + gap) - gap, columns * (width + gap) - gap, 3), 255, np.uint8)
    for index in range(shown):
        row, column = divmod(index, columns)
        top, left = row * (height + gap), column * (width + gap)
        grid[top : top + height, left : left + width] = _colour(_unit(value[:, :, index]))
    return grid


def histogram(
    array: np.ndarray[Any, Any], bins: int = 30
) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """(bin left edges, counts) over the finite values."""
    values = np.asarray(array, np.float64).reshape(-1)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return np.zeros(0), np.zeros(0, np.int64)
    counts, edges = np.histogram(values, bins=bins)
    return edges[:-1], counts


def _unit(values: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Scaled to 0..1 over the finite values (NaN and Inf at 0); a constant array is 0."""
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros_like(values)
    low, high = values[finite].min(), values[finite].max()
    scaled = (values - low) / (high - low) if high > low else np.zeros_like(values)
    return np.where(finite, scaled, 0.0)


def _colour(unit: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    position = unit * (len(_STOPS) - 1)
    lower = np.clip(np.floor(position).astype(int), 0, len(_STOPS) - 2)
    share = (position - lower)[..., None]
    rgb: np.ndarray[Any, Any] = _STOPS[lower] * (1 - share) + _STOPS[lower + 1] * share
    return rgb.astype(np.uint8)
