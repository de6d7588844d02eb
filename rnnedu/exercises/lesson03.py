"""Exercise checkers for lesson 3 (ordered derivatives by hand, the backward rule, the note's cost)."""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from rnnedu.exercises._feedback import Feedback, try_call
from rnnedu.ordered import (OrderedSystem, free, linear, note_cost, ordered_derivatives, scalar_rnn_system,
                            werbos_example)
from rnnedu.softmax import cross_entropy


def exercise_system() -> OrderedSystem:
    r"""Exercise 3.1's system: :math:`z_2 = 3z_1,\ z_3 = z_1 + 2z_2,\ E = z_3 + 5z_2 + z_1`."""
    return OrderedSystem((free("z1"), linear("z2", {"z1": 3}), linear("z3", {"z1": 1, "z2": 2})),
                         linear("E", {"z3": 1, "z2": 5, "z1": 1}))


def _variants(system: OrderedSystem, values) -> dict:
    """Totals as computed by common wrong rules, keyed by the mistake."""
    local = system.local_partials(values)
    direct = system.direct_partials(values)
    one_level, no_direct = {}, {}
    for i in reversed(system.names):
        later = [j for j in system.names if (j, i) in local]
        one_level[i] = direct[i] + sum(direct[j] * local[(j, i)] for j in later)
        no_direct[i] = sum(no_direct[j] * local[(j, i)] for j in later) if later else direct[i]
    return {"partial": direct, "one_level": one_level, "no_direct": no_direct}


def _same(a: Mapping, b: Mapping, names) -> bool:
    try:
        return all(np.isclose(float(a[n]), float(b[n]), rtol=1e-7, atol=1e-9) for n in names)
    except (KeyError, TypeError, ValueError):
        return False


def _diagnose(name: str, answer: Mapping, system: OrderedSystem, values) -> Feedback | None:
    names = system.names
    want = ordered_derivatives(system, values).total
    if not isinstance(answer, Mapping) or any(n not in answer for n in names):
        return Feedback(name, False, f"give a dict with one entry per variable: {', '.join(names)}.")
    if _same(answer, want, names):
        return None
    wrong = _variants(system, values)
    if _same(answer, wrong["partial"], names):
        return Feedback(name, False, "these are the partial derivatives ∂E/∂z_i (E's own formula, everything else "
                                     "held fixed). The ordered derivative also follows every path through later "
                                     "variables: add Σ_{j>i} ∂⁺E/∂z_j · ∂z_j/∂z_i.")
    if _same(answer, wrong["one_level"], names):
        return Feedback(name, False, "close: you multiplied ∂z_j/∂z_i by the partial ∂E/∂z_j of the later variable; "
                                     "use its ordered derivative ∂⁺E/∂z_j, which you already computed (go from the "
                                     "last variable back).")
    if _same(answer, wrong["no_direct"], names):
        return Feedback(name, False, "you dropped the direct term ∂E/∂z_i: E reads some variables itself "
                                     "(the note's E = 4 z4 + 2 z2 reads z2), and that path counts too.")
    bad = [n for n in names if not np.isclose(float(answer[n]), want[n], rtol=1e-7, atol=1e-9)]
    return Feedback(name, False, f"not yet right for {', '.join(bad)}: compute ∂⁺E/∂z from the last variable back, "
                                 "∂⁺E/∂z_i = ∂E/∂z_i + Σ_{j>i} ∂⁺E/∂z_j · ∂z_j/∂z_i.")


def check_by_hand(answer: Mapping[str, float]) -> Feedback:
    """Exercise 3.1: the ordered derivatives of :func:`exercise_system` as ``{"z1": …, "z2": …, "z3": …}``."""
    name = "Exercise 3.1 (ordered derivatives by hand)"
    system = exercise_system()
    values = system.evaluate({"z1": 1.0})
    problem = _diagnose(name, answer, system, values)
    return problem or Feedback(name, True, "∂⁺E/∂z3 = 1, ∂⁺E/∂z2 = 5 + 1·2 = 7, ∂⁺E/∂z1 = 1 + 1·1 + 7·3 = 23.")


def check_backward_rule(fn: Callable) -> Feedback:
    """Exercise 3.2: ``fn(system, values)`` must return ``{name: ∂⁺E/∂z}`` for every variable, using
    ``system.names``, ``system.local_partials(values)`` and ``system.direct_partials(values)``."""
    name = "Exercise 3.2 (Werbos' backward rule)"
    cases = [(werbos_example(), {"z1": 1.0}),
             (scalar_rnn_system([0.5, -1.0, 0.8], [1.0, 0.0, 1.0]), {"u": 0.7, "w": 0.9, "v": -1.2, "h0": 0.1})]
    for system, inputs in cases:
        values = system.evaluate(inputs)
        out, err = try_call(name, fn, system, dict(values))
        if err:
            if "KeyError" in err.message:
                return Feedback(name, False, f"{err.message}. Sweep backwards (reversed(system.names)) so that every "
                                             "∂⁺E/∂z_j you need is already computed.")
            return err
        problem = _diagnose(name, out, system, values)
        if problem:
            return problem
    return Feedback(name, True, "right on the note's system (136, 58, 16, 4) and on an unrolled RNN.")


def check_cost(fn: Callable) -> Feedback:
    """Exercise 3.3: ``fn(z, y_hat)`` for logits ``z (K,)`` and a one-hot target ``y_hat (K,)`` must return
    the cross-entropy ``−Σ_k ŷ_k ln softmax(z)_k``."""
    name = "Exercise 3.3 (the cost, corrected)"
    z = np.array([1.5, -0.5, 0.25])
    y_hat = np.array([0.0, 1.0, 0.0])
    out, err = try_call(name, fn, z.copy(), y_hat.copy())
    if err:
        return err
    try:
        out = float(out)
    except (TypeError, ValueError):
        return Feedback(name, False, "return one number (a float), the cost of this example.")
    if np.isclose(out, note_cost(z, y_hat)):
        return Feedback(name, False, "that is the note's C = −Σ (1 − ŷ_k) ln y_k: it rewards the *wrong* classes. "
                                     "Cross-entropy weights ln y_k by the target ŷ_k itself.")
    want = cross_entropy(z[None, :], y_hat[None, :])
    if np.isclose(out, -want):
        return Feedback(name, False, "sign: the cost is −Σ ŷ_k ln y_k, which is ≥ 0.")
    if not np.isclose(out, want):
        return Feedback(name, False, "expected −Σ_k ŷ_k ln softmax(z)_k (use rn.log_softmax(z)).")
    return Feedback(name, True, "−Σ ŷ_k ln y_k: only the true class's log-probability counts.")
