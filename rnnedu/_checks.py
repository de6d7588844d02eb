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


def check_rng(rng, name: str = "rng", *, allow_none: bool = False, seed: int = 0) -> np.random.Generator:
    """Return ``rng`` if it is a ``numpy.random.Generator``; ``None`` gives ``default_rng(seed)`` when
    ``allow_none``. Anything else (a seed, ``np.random.RandomState``, the ``np.random`` module) raises
    ``ValueError`` naming ``name`` instead of an ``AttributeError`` deep inside numpy."""
    if rng is None and allow_none:
        return np.random.default_rng(seed)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"{name} must be a numpy.random.Generator (np.random.default_rng(seed)), "
                         f"got {type(rng).__name__}")
    return rng


def positive_int(value, name: str, minimum: int = 1) -> int:
    """``value`` as an ``int`` ≥ ``minimum``; a float (``2.7``, even ``3.0``), a bool or a string raises
    ``ValueError`` naming ``name`` rather than being truncated."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer of at least {minimum}, got {value!r}")
    return int(value)


def finite_number(value, name: str, *, positive: bool = False, nonnegative: bool = False) -> float:
    """``value`` as a finite ``float`` (optionally > 0 or ≥ 0); otherwise ``ValueError`` naming ``name``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not np.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and not v > 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    if nonnegative and not v >= 0:
        raise ValueError(f"{name} must be non-negative, got {value!r}")
    return v


def integer_array(x, name: str, *, ndim: int | None = None, low: int | None = None, high: int | None = None,
                  allow_empty: bool = False) -> np.ndarray:
    """Validate an array of integer ids or labels: integer dtype (not bool, not float: ``1.9`` is not
    truncated to 1), ``ndim`` dimensions, values in ``[low, high)``. Returns it as ``intp``."""
    arr = np.asarray(x)
    if arr.size == 0 and arr.dtype == np.float64 and arr.ndim >= 1:
        arr = arr.astype(np.intp)  # an empty list
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {arr.shape}")
    if arr.size == 0:
        if not allow_empty:
            raise ValueError(f"{name} is empty (shape {arr.shape})")
        return arr.astype(np.intp)
    lo, hi = int(arr.min()), int(arr.max())
    if (low is not None and lo < low) or (high is not None and hi >= high):
        raise ValueError(f"{name} must lie in [{low if low is not None else '-∞'}, "
                         f"{high if high is not None else '∞'}); found values from {lo} to {hi}")
    return arr.astype(np.intp, copy=False)


def scaled_norm(arrays) -> float:
    """The Euclidean norm of several arrays taken as one vector, without overflow or underflow.

    Plain ``sqrt(Σ x²)`` gives ``inf`` past |x| ≈ 1e154 and 0 below 1e-162. In the normal range the
    plain sum is used (so results are bit-identical to it); outside it ``m · sqrt(Σ (x/m)²)`` with
    ``m = max |x|``. An infinite entry gives ``inf``; a NaN entry gives NaN."""
    arrays = [np.asarray(a, dtype=np.float64) for a in arrays]
    arrays = [a for a in arrays if a.size]
    if not arrays:
        return 0.0
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        ss = sum(float(np.sum(np.square(a))) for a in arrays)
    if np.isfinite(ss) and ss > 1e-280:
        return float(np.sqrt(ss))
    if any(np.isnan(a).any() for a in arrays):
        return float("nan")
    m = max(float(np.max(np.abs(a))) for a in arrays)
    if m == 0.0 or not np.isfinite(m):
        return m
    return m * float(np.sqrt(sum(float(np.sum(np.square(a / m))) for a in arrays)))


class ForwardOverflowWarning(RuntimeWarning):
    """A recurrent forward pass left the floating-point range: the message says at which step.

    :func:`rnnedu.train.fit` turns it into a reported divergence (``history.diverged``)."""
