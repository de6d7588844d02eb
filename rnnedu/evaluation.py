r"""Judging a training run honestly: is its result a property of the model, or of the last bit?

Lesson 8 (``notebooks/08_name_classifier.ipynb``) trains the German note's linear model and a tanh RNN.
Two machines compute the same training step to about 1e-16 relative, not to the last bit (their BLAS
libraries add in different orders). A well-conditioned run keeps such differences at that size; a
chaotic one amplifies them until two runs are different models. :func:`twin_divergence` measures
which kind a run is, by training it twice from starting weights that differ in the last bit.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from rnnedu.train import fit


def twin_divergence(params: dict, loss_and_grads: Callable, make_batches: Callable, make_optimizer: Callable,
                    n_steps: int, *, clip_norm: float | None = None) -> float:
    r"""How far two training runs drift apart when their starting weights differ in the last bit, lesson 8:

    .. math:: d = \frac{\max_i |θ_i - θ'_i|}{\max_i |θ_i|}, \qquad θ'_{\text{start}} = θ_{\text{start}}\,(1 + u)

    after ``n_steps`` steps of :func:`rnnedu.train.fit` each, with ``u = 2^{-52}`` (one unit in the last
    place of 1.0: the size of a rounding difference between two BLAS kernels). Both runs get fresh
    batches from ``make_batches()`` and a fresh optimizer from ``make_optimizer()``, so they see the same
    data in the same order; ``params`` itself is not changed. A well-conditioned run returns a value near
    1e-16 … 1e-12; a chaotic one a value of order 1e-3 … 1.

    Shapes: ``params`` a dict of arrays; ``make_batches`` a zero-argument function returning an iterable
    of batches (or a batch function) for ``fit``; ``make_optimizer`` a zero-argument function returning
    an optimizer. Returns ``d`` (a float ≥ 0).
    """
    if not isinstance(params, dict) or not params:
        raise ValueError("params must be a non-empty dict of arrays")
    if not (callable(make_batches) and callable(make_optimizer)):
        raise ValueError("make_batches and make_optimizer must be zero-argument functions (e.g. lambdas), "
                         "so that each run gets fresh batches and a fresh optimizer")
    if isinstance(n_steps, bool) or not isinstance(n_steps, (int, np.integer)) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}")
    u = np.finfo(np.float64).eps
    runs = []
    for scale in (1.0, 1.0 + u):
        p = {k: np.array(v, dtype=np.float64) * scale for k, v in params.items()}
        hist = fit(p, loss_and_grads, make_batches(), optimizer=make_optimizer(), n_steps=int(n_steps),
                   clip_norm=clip_norm, progress=False)
        if hist.diverged:
            raise ValueError("a training run diverged (non-finite loss); its drift is not defined")
        runs.append(p)
    a, b = runs
    diff = max(float(np.max(np.abs(a[k] - b[k]))) for k in a)
    size = max(float(np.max(np.abs(a[k]))) for k in a)
    return diff / size if size > 0 else diff
