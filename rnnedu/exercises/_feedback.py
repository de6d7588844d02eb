"""The answer an exercise checker gives: passed or not, and one hint."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class Feedback:
    exercise: str
    passed: bool
    message: str

    def __repr__(self) -> str:
        mark = "✓ correct" if self.passed else "✗ not yet"
        return f"[{self.exercise}] {mark}: {self.message}"

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.passed else "#b35900"
        mark = "✓ correct" if self.passed else "✗ not yet"
        return (f"<div style='border-left:4px solid {colour};padding:4px 10px'>"
                f"<b>{self.exercise}</b> — <span style='color:{colour}'>{mark}</span>: {self.message}</div>")


def quietly(fn: Callable, *args):
    """Call learner code with numpy warnings silenced: the checker reports overflow itself."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args)


def try_call(exercise: str, fn: Callable, *args):
    """Run learner code; return ``(result, None)`` or ``(None, Feedback)`` if it raised."""
    try:
        return quietly(fn, *args), None
    except Exception as exc:  # the learner's code may raise anything; report it as a hint
        return None, Feedback(exercise, False, f"your function raised {type(exc).__name__}: {exc}")


def close(a, b, tol: float = 1e-9) -> bool:
    """True when ``a`` is a finite array of ``b``'s shape and equal to it within ``tol`` (absolute and
    relative). Anything that is not an array of numbers is simply not close."""
    try:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == b.shape and bool(np.all(np.isfinite(a))) and np.allclose(a, b, rtol=tol, atol=tol)
