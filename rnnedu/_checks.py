"""Input validation shared by every module: one place that turns bad input into a clear ValueError."""

from __future__ import annotations

import numpy as np


def as_float_array(x, name: str, *, min_ndim: int = 0) -> np.ndarray:
    """Return ``x`` as a floating array (float32 stays float32, ints become float64).

    Raises ``ValueError`` naming ``name`` if it is empty, has too few dimensions, is not numeric,
    or holds NaN or infinity.
    """
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise ValueError(f"{name} must be real, got dtype {arr.dtype}")
    if not np.issubdtype(arr.dtype, np.floating):
        arr = arr.astype(np.float64)
    if arr.ndim < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if not np.all(np.isfinite(arr)):
        bad = "NaN" if np.isnan(arr).any() else "infinity"
        raise ValueError(f"{name} contains {bad}; every entry must be finite")
    return arr


def as_labels(y, name: str, shape: tuple[int, ...], n_classes: int) -> np.ndarray:
    """Validate integer class labels of the given ``shape``, each in ``[0, n_classes)``."""
    arr = np.asarray(y)
    if arr.shape != tuple(shape):
        raise ValueError(f"{name} has shape {arr.shape}, expected {tuple(shape)}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(
            f"{name} must hold integer class labels, got dtype {arr.dtype} "
            f"(pass one-hot or probability targets with one more axis of length {n_classes})"
        )
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        lo, hi = int(arr.min()), int(arr.max())
        raise ValueError(f"{name} must lie in [0, {n_classes}); found labels from {lo} to {hi}")
    return arr.astype(np.intp, copy=False)


def check_shape(arr: np.ndarray, name: str, shape: tuple) -> None:
    """Raise ``ValueError`` unless ``arr.shape`` matches ``shape`` (``None`` entries match anything)."""
    if arr.ndim != len(shape) or any(s is not None and a != s for a, s in zip(arr.shape, shape)):
        want = "(" + ", ".join("·" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name} has shape {arr.shape}, expected {want}")
