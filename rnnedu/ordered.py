r"""Werbos' ordered derivatives on an explicit ordered system of scalar variables (lesson 3).

Lesson: ``notebooks/03_ordered_derivatives.ipynb``. Source: the Chinese note (seed 004), after
Werbos, "Backpropagation through time: what it does and how to do it" (1990).

An *ordered system* is a list of variables ``z_1, …, z_n`` in which each ``z_j`` is a function of
earlier ones only, plus a target ``E`` that may depend on any of them. Two derivatives of ``E`` exist:

* the **partial** ``∂E/∂z_i``: change ``z_i`` in E's own formula, every other ``z`` held fixed;
* the **ordered (total)** ``∂⁺E/∂z_i``: change ``z_i`` and let every later variable follow.

Werbos' chain rule, lesson 3, eq. (3.2), computes the totals backwards from the last variable::

    ∂⁺E/∂z_i = ∂E/∂z_i + Σ_{j>i} ∂⁺E/∂z_j · ∂z_j/∂z_i

BPTT is this rule applied to an unrolled recurrent network (:func:`scalar_rnn_system`): the weights
are early variables, and their ordered derivatives are the sums over time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from rnnedu.gradcheck import numerical_gradient
from rnnedu.softmax import log_softmax


@dataclass(frozen=True)
class Variable:
    """One variable of an ordered system.

    ``inputs`` names the earlier variables it reads; ``fn(*input_values)`` returns its value and
    ``partials[k](*input_values)`` returns ``∂z/∂inputs[k]``. A variable with no inputs and no ``fn``
    is a free input whose value is given. ``formula`` is LaTeX for display (``2 z_1``).
    """

    name: str
    inputs: tuple = ()
    fn: Callable | None = field(default=None, repr=False)
    partials: tuple = field(default=(), repr=False)
    formula: str = ""
    latex: str = ""

    @property
    def tex(self) -> str:
        """LaTeX symbol of the variable (``latex`` if given, else the name with a subscript)."""
        if self.latex:
            return self.latex
        head = self.name.rstrip("0123456789")
        tail = self.name[len(head):]
        return f"{head}_{{{tail}}}" if head and tail else self.name


def linear(name: str, coefficients: Mapping[str, float], latex: str = "") -> Variable:
    """A variable that is a linear combination ``Σ c_k z_k`` of earlier ones (the note's example)."""
    names = tuple(coefficients)
    coefs = tuple(float(coefficients[k]) for k in names)
    if not names:
        raise ValueError(f"linear variable {name!r} needs at least one input")

    def fn(*zs):
        return float(sum(c * z for c, z in zip(coefs, zs)))

    partials = tuple((lambda *zs, c=c: c) for c in coefs)
    terms = ""
    for k, (c, z) in enumerate(zip(coefs, names)):
        sign = ("-" if c < 0 else "") if k == 0 else (" - " if c < 0 else " + ")
        terms += sign + (f"{abs(c):g}\\," if abs(c) != 1 else "") + Variable(z).tex
    return Variable(name, names, fn, partials, terms, latex)


def free(name: str, latex: str = "") -> Variable:
    """A free input variable (its value is given, not computed)."""
    return Variable(name, latex=latex)


def _order_error(variables: Sequence[Variable], target: Variable) -> str | None:
    """Explain why ``variables`` is not a valid ordered system, or return None."""
    names = [v.name for v in variables]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        return f"variable names must be unique; repeated: {', '.join(dup)}"
    if target.name in names:
        return f"the target {target.name!r} must not also be one of the variables"
    known = set(names)
    for v in (*variables, target):
        missing = [i for i in v.inputs if i not in known]
        if missing:
            return f"{v.name} reads {', '.join(missing)}, which is not a variable of the system"
        if len(v.partials) != len(v.inputs):
            return f"{v.name} has {len(v.inputs)} input(s) but {len(v.partials)} partial derivative(s)"
        if v.inputs and v.fn is None:
            return f"{v.name} has inputs but no function computing it"
        if v is not target and v.name in v.inputs:
            return f"the system is cyclic: {v.name} depends on itself"
    # A cycle anywhere? Depth-first search over 'reads' edges.
    graph = {v.name: v.inputs for v in variables}
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> list[str] | None:
        state[n] = 1
        for m in graph[n]:
            if state.get(m) == 1:
                return path + [n, m]
            if m not in state:
                found = visit(m, path + [n])
                if found:
                    return found
        state[n] = 2
        return None

    for n in names:
        if n not in state:
            cycle = visit(n, [])
            if cycle:
                start = cycle.index(cycle[-1])
                return "the system is cyclic: " + " → ".join(cycle[start:]) + " (each arrow: 'reads')"
    position = {n: k for k, n in enumerate(names)}
    for v in variables:
        late = [i for i in v.inputs if position[i] > position[v.name]]
        if late:
            return (f"the system is out of order: {v.name} reads {', '.join(late)}, defined after it; "
                    f"list every variable after the variables it reads")
    return None


@dataclass(frozen=True)
class OrderedSystem:
    """Variables ``z_1 … z_n`` in order (each reads only earlier ones) and a target ``E``.

    Construction checks the order and raises ``ValueError`` for unknown inputs, cycles or a variable
    listed before one it reads.
    """

    variables: tuple
    target: Variable

    def __post_init__(self):
        object.__setattr__(self, "variables", tuple(self.variables))
        if not self.variables:
            raise ValueError("an ordered system needs at least one variable")
        if self.target.fn is None or not self.target.inputs:
            raise ValueError(f"the target {self.target.name!r} needs inputs and a function")
        problem = _order_error(self.variables, self.target)
        if problem:
            raise ValueError(problem)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    def __getitem__(self, name: str) -> Variable:
        for v in (*self.variables, self.target):
            if v.name == name:
                return v
        raise KeyError(name)

    def evaluate(self, inputs: Mapping[str, float], overrides: Mapping[str, float] | None = None) -> dict:
        r"""Forward pass, lesson 3, eq. (3.1): :math:`z_j = f_j(z_1, …, z_{j-1})` in order, then E.

        ``inputs`` gives every free variable. ``overrides`` pins variables to given values (later
        variables then follow them): that is how the ordered derivative is perturbed numerically.
        Returns ``{name: value}`` including the target.
        """
        overrides = dict(overrides or {})
        values: dict[str, float] = {}
        for v in (*self.variables, self.target):
            if v.name in overrides:
                values[v.name] = float(overrides[v.name])
            elif v.fn is None:
                if v.name not in inputs:
                    raise ValueError(f"no value given for the free variable {v.name}")
                values[v.name] = float(inputs[v.name])
            else:
                values[v.name] = float(v.fn(*(values[i] for i in v.inputs)))
            if not math.isfinite(values[v.name]):
                raise ValueError(f"{v.name} is not finite ({values[v.name]})")
        return values

    def local_partials(self, values: Mapping[str, float]) -> dict:
        """``{(j, i): ∂z_j/∂z_i}`` for every variable ``z_j`` and each variable ``z_i`` it reads."""
        out = {}
        for v in self.variables:
            args = [values[i] for i in v.inputs]
            for i, d in zip(v.inputs, v.partials):
                out[(v.name, i)] = out.get((v.name, i), 0.0) + float(d(*args))
        return out

    def direct_partials(self, values: Mapping[str, float]) -> dict:
        """``{i: ∂E/∂z_i}``, the partial derivatives of the target's own formula (0 where E does not read z_i)."""
        out = {n: 0.0 for n in self.names}
        args = [values[i] for i in self.target.inputs]
        for i, d in zip(self.target.inputs, self.target.partials):
            out[i] += float(d(*args))
        return out


@dataclass(frozen=True)
class Term:
    """One path term ``∂⁺E/∂z_j · ∂z_j/∂z_i`` of eq. (3.2)."""

    later: str
    total_later: float
    local: float

    @property
    def value(self) -> float:
        return self.total_later * self.local


@dataclass(frozen=True)
class OrderedStep:
    """One step of the backward sweep: ``total = direct + Σ terms`` for variable ``name``."""

    name: str
    direct: float
    terms: tuple
    total: float

    def latex(self, system: OrderedSystem) -> str:
        r"""The step's equation (3.2) with the numbers substituted, as LaTeX."""
        target = system.target.tex
        tex = system[self.name].tex
        head = rf"\frac{{\partial^+ {target}}}{{\partial {tex}}}"
        symbolic = [rf"\frac{{\partial {target}}}{{\partial {tex}}}"]
        numbers = [_fmt(self.direct)]
        for t in self.terms:
            later = system[t.later].tex
            symbolic.append(rf"\frac{{\partial^+ {target}}}{{\partial {later}}}\frac{{\partial {later}}}{{\partial {tex}}}")
            numbers.append(rf"{_fmt(t.total_later, True)} \cdot {_fmt(t.local, True)}")
        if not self.terms:
            return rf"{head} = {symbolic[0]} = {_fmt(self.total)}"
        return rf"{head} = " + " + ".join(symbolic) + " = " + " + ".join(numbers) + rf" = {_fmt(self.total)}"


def _fmt(x: float, parens: bool = False) -> str:
    s = f"{x:.0f}" if float(x).is_integer() and abs(x) < 1e6 else f"{x:.4f}"
    return f"({s})" if parens and x < 0 else s


@dataclass(frozen=True)
class OrderedResult:
    """``total[i] = ∂⁺E/∂z_i``, ``partial[i] = ∂E/∂z_i``, ``trace`` the steps from the last variable back."""

    total: dict
    partial: dict
    trace: tuple


def ordered_derivatives(system: OrderedSystem, values: Mapping[str, float]) -> OrderedResult:
    r"""Werbos' chain rule for ordered derivatives, lesson 3, eq. (3.2):

    .. math:: \frac{\partial^+ E}{\partial z_i} = \frac{\partial E}{\partial z_i}
              + \sum_{j > i} \frac{\partial^+ E}{\partial z_j}\,\frac{\partial z_j}{\partial z_i}.

    Swept from the last variable to the first, so every ``∂⁺E/∂z_j`` on the right is known when it is
    needed. ``values`` comes from :meth:`OrderedSystem.evaluate`. Scalars throughout.
    """
    missing = [n for n in system.names if n not in values]
    if missing:
        raise ValueError(f"values lack {', '.join(missing)}; pass the output of system.evaluate(...)")
    local = system.local_partials(values)
    direct = system.direct_partials(values)
    readers: dict[str, list[str]] = {n: [] for n in system.names}
    for (j, i) in local:
        readers[i].append(j)
    total: dict[str, float] = {}
    trace = []
    for name in reversed(system.names):
        terms = tuple(Term(j, total[j], local[(j, name)]) for j in reversed(system.names) if j in readers[name])
        total[name] = direct[name] + sum(t.value for t in terms)
        trace.append(OrderedStep(name, direct[name], terms, total[name]))
    return OrderedResult({n: total[n] for n in system.names}, direct, tuple(trace))


def numerical_ordered_derivative(system: OrderedSystem, values: Mapping[str, float], name: str,
                                 eps: float = 1e-6) -> float:
    r"""∂⁺E/∂z_i by perturbing the whole system, lesson 3, eq. (3.3): pin ``z_i`` to ``z_i ± ε``, let
    every later variable follow, central difference of E."""
    inputs = {v.name: values[v.name] for v in system.variables if v.fn is None}
    target = system.target.name

    def E(z):
        return system.evaluate(inputs, {name: float(z[0])})[target]

    return float(numerical_gradient(E, np.array([values[name]]), eps=eps)[0])


def numerical_partial(system: OrderedSystem, values: Mapping[str, float], name: str, eps: float = 1e-6) -> float:
    r"""∂E/∂z_i by perturbing only E's formula, lesson 3, eq. (3.4): every other variable held fixed."""
    args = dict(values)
    tgt = system.target

    def E(z):
        args[name] = float(z[0])
        return tgt.fn(*(args[i] for i in tgt.inputs))

    if name not in tgt.inputs:
        return 0.0
    return float(numerical_gradient(E, np.array([values[name]]), eps=eps)[0])


def werbos_example() -> OrderedSystem:
    r"""The note's system (seed 004), lesson 3, eq. (3.5):

    .. math:: z_2 = 2z_1,\quad z_3 = 3z_2 + z_1,\quad z_4 = 4z_3 + 2z_2 + z_1,\quad E = 4z_4 + 2z_2,

    whose ordered derivatives are ∂⁺E/∂z_4 = 4, ∂⁺E/∂z_3 = 16, ∂⁺E/∂z_2 = 58, ∂⁺E/∂z_1 = 136.
    """
    return OrderedSystem(
        (free("z1"), linear("z2", {"z1": 2}), linear("z3", {"z2": 3, "z1": 1}),
         linear("z4", {"z3": 4, "z2": 2, "z1": 1})),
        linear("E", {"z4": 4, "z2": 2}),
    )


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


def _softplus(z: float) -> float:
    return max(z, 0.0) + math.log1p(math.exp(-abs(z)))


def scalar_rnn_system(xs: Sequence[float], targets: Sequence[float], *, h0: float = 0.0,
                      output_feedback: bool = False) -> OrderedSystem:
    r"""The note's RNN (seed 004) with one hidden unit, unrolled into an ordered system, lesson 3, eq. (3.6):

    .. math:: z^h_t = u\,x_t + w\,h_{t-1},\quad h_t = \tanh z^h_t,\quad z^o_t = v\,h_t,\quad
              C = \sum_t c_t,\; c_t = -\hat y_t \ln σ(z^o_t) - (1-\hat y_t)\ln(1-σ(z^o_t)).

    Two-class softmax over logits ``(z^o_t, 0)`` is the sigmoid σ; ``ŷ_t`` is the target
    probability of class 1. Free variables ``u, w, v, h0`` (the weights come first, so their
    ordered derivatives are the BPTT sums ``∂⁺C/∂w = Σ_t ∂⁺C/∂z^h_t · h_{t−1}``). Biases are left
    out, as in the note. Evaluate with ``{"u": …, "w": …, "v": …, "h0": …}``.

    ``output_feedback=True`` adds a free weight ``r`` and feeds each output into the next step,
    :math:`z^h_t = u\,x_t + w\,h_{t-1} + r\,z^o_{t-1}` (``t ≥ 2``; a Jordan network). Then outputs *do*
    depend on each other, and the note's remark :math:`∂^+C/∂z^o_t = ∂C/∂z^o_t` fails for ``t < T``
    (lesson 3 shows it). Evaluate with ``r`` too.
    """
    xs = [float(x) for x in xs]
    ys = [float(y) for y in targets]
    if not xs:
        raise ValueError("xs is empty; the sequence needs at least one step")
    if len(ys) != len(xs):
        raise ValueError(f"targets has {len(ys)} entries but xs has {len(xs)}; one target per step")
    if any(not 0.0 <= y <= 1.0 for y in ys):
        raise ValueError("targets must be probabilities of class 1, in [0, 1]")
    if not all(math.isfinite(x) for x in xs):
        raise ValueError("xs contains NaN or infinity")
    vs = [free("u"), free("w"), free("v"), free("h0", latex="h_{0}")]
    if output_feedback:
        vs.append(free("r"))
    for t, x in enumerate(xs, start=1):
        if output_feedback and t > 1:
            vs.append(Variable(f"zh{t}", ("u", "w", f"h{t - 1}", "r", f"zo{t - 1}"),
                               lambda u, w, hp, r, zp, x=x: u * x + w * hp + r * zp,
                               (lambda u, w, hp, r, zp, x=x: x, lambda u, w, hp, r, zp: hp,
                                lambda u, w, hp, r, zp: w, lambda u, w, hp, r, zp: zp,
                                lambda u, w, hp, r, zp: r),
                               rf"u \cdot {x:g} + w\,h_{{{t - 1}}} + r\,z^o_{{{t - 1}}}", rf"z^h_{{{t}}}"))
        else:
            vs.append(Variable(f"zh{t}", ("u", "w", f"h{t - 1}"),
                               lambda u, w, hp, x=x: u * x + w * hp,
                               (lambda u, w, hp, x=x: x, lambda u, w, hp: hp, lambda u, w, hp: w),
                               rf"u \cdot {x:g} + w\,h_{{{t - 1}}}", rf"z^h_{{{t}}}"))
        vs.append(Variable(f"h{t}", (f"zh{t}",), math.tanh, (lambda z: 1.0 - math.tanh(z) ** 2,),
                           rf"\tanh z^h_{{{t}}}", rf"h_{{{t}}}"))
        vs.append(Variable(f"zo{t}", ("v", f"h{t}"), lambda v, h: v * h, (lambda v, h: h, lambda v, h: v),
                           rf"v\,h_{{{t}}}", rf"z^o_{{{t}}}"))
    outs = tuple(f"zo{t}" for t in range(1, len(xs) + 1))

    def cost(*zo):
        # −ŷ ln σ(z) − (1−ŷ) ln(1−σ(z)) = softplus(z) − ŷ z, computed stably
        return float(sum(_softplus(z) - y * z for z, y in zip(zo, ys)))

    partials = tuple((lambda *zo, k=k: _sigmoid(zo[k]) - ys[k]) for k in range(len(xs)))
    target = Variable("C", outs, cost, partials, r"\sum_t c_t", "C")
    return OrderedSystem(tuple(vs), target)


def note_cost(z, y_hat) -> float:
    r"""The note's cost as written (seed 004), lesson 3, eq. (3.7), kept to show its error:

    .. math:: C_\text{note} = -\sum_k (1 - \hat y_k) \ln y_k, \qquad y = \mathrm{softmax}(z),

    where cross-entropy is :math:`-\sum_k \hat y_k \ln y_k`. Its gradient
    :math:`\partial C_\text{note}/\partial z = (K-1)\,y - (1-\hat y)` (for one-hot ŷ) pushes
    probability *away* from the true class. Shapes: ``z (K,)``, ``y_hat (K,)`` → float.
    """
    z = np.asarray(z, dtype=float)
    y_hat = np.asarray(y_hat, dtype=float)
    if z.shape != y_hat.shape or z.ndim != 1:
        raise ValueError(f"z and y_hat must be vectors of the same length, got {z.shape} and {y_hat.shape}")
    return float(-np.sum((1.0 - y_hat) * log_softmax(z)))
