"""Exercise checkers for lesson 8 (the name → language classifier)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from rnnedu.charrnn import last_states, majority_baseline
from rnnedu.exercises._feedback import Feedback, try_call


def check_last_states(fn: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Feedback:
    """Exercise 8.1: ``fn(hs, lengths)`` for ``hs (T, B, H)`` and ``lengths (B,)`` must return each
    name's own last hidden state ``(B, H)``, eq. (8.1)."""
    name = "Exercise 8.1 (each name's own last state)"
    rng = np.random.default_rng(8)
    hs = rng.standard_normal((6, 4, 3))
    lengths = np.array([6, 2, 4, 1])
    want = last_states(hs, lengths)
    out, err = try_call(name, fn, hs.copy(), lengths.copy())
    if err:
        return err
    out = np.asarray(out, dtype=float)
    if out.shape != want.shape:
        return Feedback(name, False, f"expected one state per name, shape {want.shape}; got {out.shape}.")
    if np.allclose(out, hs[-1]):
        return Feedback(name, False, "hs[-1] is the state after the *padding* for every name shorter than T: "
                                     "pick step lengths[b] − 1 for column b.")
    shifted = hs[np.minimum(lengths, hs.shape[0] - 1), np.arange(4)]
    if np.allclose(out, shifted):
        return Feedback(name, False, "off by one: a name of length L ends at index L − 1 (hs[0] is after the first letter).")
    if np.allclose(out, hs[lengths - 1].mean(axis=1)) or np.allclose(out, hs[lengths - 1][:, 0]):
        return Feedback(name, False, "hs[lengths − 1] picks whole time steps; pair each step with its own column: "
                                     "hs[lengths − 1, np.arange(B)].")
    if not np.allclose(out, want):
        return Feedback(name, False, "not the last states: row b should be hs[lengths[b] − 1, b].")
    return Feedback(name, True, "hs[lengths − 1, np.arange(B)]: padding never reaches the classifier.")


def check_majority_baseline(fn: Callable[[np.ndarray, np.ndarray], float]) -> Feedback:
    """Exercise 8.2: ``fn(train_labels, test_labels)`` must return the test accuracy of always
    predicting the most frequent *training* class."""
    name = "Exercise 8.2 (majority-class baseline)"
    train = np.array([0, 1, 1, 1, 2, 2, 3])
    test = np.array([2, 2, 2, 1, 0, 3])
    want = majority_baseline(train, test)  # class 1 → 1/6
    out, err = try_call(name, fn, train.copy(), test.copy())
    if err:
        return err
    try:
        value = float(out)
    except (TypeError, ValueError):
        return Feedback(name, False, f"return one number (an accuracy in [0, 1]); got {type(out).__name__}.")
    if np.isclose(value, 0.5):
        return Feedback(name, False, "you took the majority class of the *test* labels: the baseline may only use what "
                                     "training saw, so find the most frequent training label.")
    if np.isclose(value, 1.0):
        return Feedback(name, False, "that is the majority class's id, not an accuracy: compare it with the test labels "
                                     "and take the mean.")
    if np.isclose(value, 0.25):
        return Feedback(name, False, "1/K is a uniform random guess; the majority baseline always predicts the most "
                                     "frequent training class.")
    if np.isclose(value, 3 / 7):
        return Feedback(name, False, "that is the majority class's share of the training set; the baseline is measured "
                                     "on the test labels.")
    if not np.isclose(value, want):
        return Feedback(name, False, f"expected {want:.3f}: majority = argmax(bincount(train)); accuracy = "
                                     "mean(test == majority).")
    return Feedback(name, True, "the bar a classifier has to clear, measured on held-out names.")


def check_top_k(fn: Callable[[np.ndarray, int], np.ndarray]) -> Feedback:
    """Exercise 8.3: ``fn(probs, k)`` for one probability vector ``(K,)`` must return the indices of the
    ``k`` most probable classes, best first."""
    name = "Exercise 8.3 (top-k languages)"
    probs = np.array([0.05, 0.40, 0.10, 0.30, 0.15])
    out, err = try_call(name, fn, probs.copy(), 3)
    if err:
        return err
    out = [int(i) for i in np.ravel(out)]
    if out == [0, 2, 4]:
        return Feedback(name, False, "these are the three *least* probable: argsort sorts ascending — sort −probs, "
                                     "or reverse.")
    if out == [4, 3, 1]:
        return Feedback(name, False, "right three, wrong order: np.argsort(probs)[-k:] ends with the best; put it first "
                                     "([::-1]).")
    if sorted(out) == [1, 3, 4] and out != [1, 3, 4]:
        return Feedback(name, False, "right three languages; order them from most to least probable.")
    if out != [1, 3, 4]:
        return Feedback(name, False, f"expected [1, 3, 4] (p = 0.40, 0.30, 0.15); got {out}.")
    return Feedback(name, True, "np.argsort(−probs)[:k], best first.")
