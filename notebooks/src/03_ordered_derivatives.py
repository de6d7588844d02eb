# %% [markdown]
# # Lesson 3 — Ordered derivatives: partial versus total, after Werbos
#
# "$\partial E/\partial W$" means two different things in papers about backpropagation through time,
# and most confusion about BPTT comes from mixing them up. The **partial** derivative changes one
# variable inside one formula and holds everything else fixed. The **ordered** (total) derivative
# changes the variable and lets everything computed *from* it change too. Werbos (1990) gave the rule
# that turns the first into the second, one variable at a time, from the last back to the first; BPTT
# is that rule applied to a network unrolled in time.
#
# **After this lesson you can**
# 1. write a computation as an *ordered system*: each variable a function of earlier ones;
# 2. tell a partial derivative $\partial E/\partial z_i$ from an ordered one $\partial^+E/\partial z_i$, and measure both numerically;
# 3. compute every ordered derivative with Werbos' chain rule, step by step;
# 4. read BPTT for a recurrent network as ordered derivatives, with the weights' gradients as sums over time;
# 5. spot the error in the note's cost function.
#
# *How to use this notebook:* run it top to bottom (**Run → Run All Cells**). The two step-through
# widgets need a running kernel; everything else is shown with its output.

# %% [markdown]
# ## Notation
#
# The Chinese note (seed 004) uses column vectors and gives the target and the prediction the
# opposite letters from ours — watch the last rows.
#
# | quantity | this course | Chinese note (seed 004) |
# |---|---|---|
# | variables of an ordered system | $z_1, \dots, z_n$, target $E$ | $z_1, \dots, z_4$, $E$ |
# | partial derivative | $\partial E/\partial z_i$ | $\partial E/\partial z_i$ (偏微分) |
# | ordered (total) derivative | $\partial^+E/\partial z_i$ | $\partial^+E/\partial z_i$ (全微分) |
# | RNN input, state | $x_t$, $h_t$ (rows) | $x_t$, $h_t$ (columns); $x^c_t = [x_t, h_{t-1}]$ |
# | hidden pre-activation | $a_t = x_t W_{xh} + h_{t-1}W_{hh} + b_h$ | $z^h_t = w_{ih}x^c_t + b_{ih}$, so $w_{ih} = [W_{xh}^\top\ W_{hh}^\top]$ |
# | output logits | $o_t = h_t W_{hy} + b_y$ | $z^o_t = w_{ho}h_t + b_{ho}$, so $w_{ho} = W_{hy}^\top$ |
# | activation | $\varphi = \tanh$ | $\phi = \tanh$, $\dot\phi$ its derivative |
# | predicted probabilities | $\hat y_t = \operatorname{softmax}(o_t)$ | $y_t = \sigma(z^o_t)$ (**its $y$ is our $\hat y$**) |
# | target | $y_t$ | $\hat y_t$ (**its $\hat y$ is our $y$**) |
# | cost | $E = -\sum_t\sum_k y_{t,k}\ln\hat y_{t,k}$ (summed over $t$ here) | $C = \sum_t c(y_t)$ |
#
# In section 4 a recurrent network with **one** hidden unit makes every variable a scalar: there
# $u = W_{xh}$, $w = W_{hh}$, $v = W_{hy}$, and the note's $z^h_t$, $h_t$, $z^o_t$ keep their names.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np
from IPython.display import Math, display

import rnnedu as rn
from rnnedu.exercises import lesson03 as exercises
from rnnedu.plotting.graph import unrolled_layout
from rnnedu.plotting.ordered import plot_partial_vs_total
from rnnedu.widgets.ordered import ordered_stepper

rng = np.random.default_rng(3)

# %% [markdown]
# ## 1. An ordered system
#
# Variables $z_1, \dots, z_n$ are *ordered* if each is a function of earlier ones only,
#
# $$z_j = f_j(z_1, \dots, z_{j-1}), \qquad j = 2, \dots, n, \qquad E = f_E(z_1, \dots, z_n) \tag{3.1}$$
#
# so one sweep from $z_1$ to $E$ computes everything. The note's example (eq. (3.5) once its table is
# checked in section 2):
#
# $$z_2 = 2z_1, \quad z_3 = 3z_2 + z_1, \quad z_4 = 4z_3 + 2z_2 + z_1, \quad E = 4z_4 + 2z_2$$

# %%
system = rn.werbos_example()
rows = [f"{var.tex} &= {var.formula}" for var in (*system.variables, system.target) if var.formula]
display(Math(r"\begin{aligned}" + r" \\ ".join(rows) + r"\end{aligned}"))
values = system.evaluate({"z1": 1.0})
print("values at z1 = 1:", ", ".join(f"{n} = {values[n]:.0f}" for n in values))

# %% [markdown]
# The order is the whole point: (3.2) needs every $\partial^+E/\partial z_j$ with $j > i$ before $z_i$. A
# system listed out of order, or one with a cycle (no order exists), is refused with the reason:

# %%
from rnnedu.ordered import free, linear

out_of_order = (free("z1"), linear("z3", {"z2": 3, "z1": 1}), linear("z2", {"z1": 2}))
cyclic = (free("z1"), linear("z2", {"z3": 1}), linear("z3", {"z2": 1}))
for bad in (out_of_order, cyclic):
    try:
        rn.OrderedSystem(bad, linear("E", {"z3": 1}))
    except ValueError as err:
        print(f"ValueError: {err}")
    else:
        raise AssertionError("a system that cannot be swept backwards was accepted")

# %% [markdown]
# ## 2. Partial and ordered derivatives
#
# **Partial:** $\partial E/\partial z_i$ differentiates $E$'s own formula. $E = 4z_4 + 2z_2$ does not
# mention $z_1$ or $z_3$, so $\partial E/\partial z_1 = \partial E/\partial z_3 = 0$, and
# $\partial E/\partial z_2 = 2$, $\partial E/\partial z_4 = 4$.
#
# **Ordered:** $\partial^+E/\partial z_i$ asks how $E$ moves when $z_i$ moves *and every later variable
# follows*. $z_2$ reaches $E$ directly (factor 2), through $z_4$ ($2 \cdot 4$), through $z_3$ and $z_4$
# ($3 \cdot 4 \cdot 4$): $2 + 8 + 48 = 58$. Counting paths gets out of hand quickly; Werbos' chain rule
# organises the count — go from the last variable back, and reuse the ordered derivatives already found:
#
# $$\frac{\partial^+E}{\partial z_i} = \frac{\partial E}{\partial z_i} + \sum_{j>i}\frac{\partial^+E}{\partial z_j}\,\frac{\partial z_j}{\partial z_i} \tag{3.2}$$
#
# Every $\partial z_j/\partial z_i$ on the right is again a *partial* — the local derivative of $f_j$ — and
# every $\partial^+E/\partial z_j$ is known when it is needed, because $j > i$. The note's worked values:
#
# $$\frac{\partial^+E}{\partial z_4} = 4,\quad \frac{\partial^+E}{\partial z_3} = 0 + 4\cdot 4 = 16,\quad
# \frac{\partial^+E}{\partial z_2} = 2 + 4\cdot 2 + 16\cdot 3 = 58,\quad
# \frac{\partial^+E}{\partial z_1} = 0 + 4\cdot 1 + 16\cdot 1 + 58\cdot 2 = 136.$$

# %%
result = rn.ordered_derivatives(system, values)
for step in result.trace:
    terms = " + ".join([f"{step.direct:.0f}"] + [f"{t.total_later:.0f}·{t.local:.0f}" for t in step.terms])
    print(f"∂⁺E/∂{step.name} = {terms + ' = ' if step.terms else ''}{step.total:.0f}")

# %% [markdown]
# **Check by perturbing the whole system.** Numerically, the two derivatives are two different
# experiments:
#
# $$\frac{\partial^+E}{\partial z_i} \approx \frac{E(z_i + \varepsilon,\ \text{later } z\text{ recomputed}) - E(z_i - \varepsilon,\ \dots)}{2\varepsilon} \tag{3.3}$$
#
# $$\frac{\partial E}{\partial z_i} \approx \frac{f_E(\dots, z_i + \varepsilon, \dots) - f_E(\dots, z_i - \varepsilon, \dots)}{2\varepsilon}\quad\text{(every other } z \text{ fixed)} \tag{3.4}$$
#
# The note's system and its table,
#
# $$z_2 = 2z_1,\ z_3 = 3z_2 + z_1,\ z_4 = 4z_3 + 2z_2 + z_1,\ E = 4z_4 + 2z_2:\quad
# \frac{\partial^+E}{\partial z_{4,3,2,1}} = 4, 16, 58, 136 \tag{3.5}$$
#
# computed by (3.2), next to both measurements:

# %%
numerical_total = {n: rn.numerical_ordered_derivative(system, values, n) for n in system.names}
numerical_partial = {n: rn.numerical_partial(system, values, n) for n in system.names}
print(f"{'':4s} {'partial ∂E/∂z':>14s} {'numerical (3.4)':>16s} {'ordered ∂⁺E/∂z':>15s} {'numerical (3.3)':>16s}")
for n in reversed(system.names):
    print(f"{n:4s} {result.partial[n]:14.0f} {numerical_partial[n]:16.6f} {result.total[n]:15.0f} {numerical_total[n]:16.6f}")
assert [result.total[n] for n in ("z4", "z3", "z2", "z1")] == [4.0, 16.0, 58.0, 136.0]
assert all(rn.relative_error(result.total[n], numerical_total[n]) < 1e-7 for n in system.names)
assert all(abs(result.partial[n] - numerical_partial[n]) < 1e-7 for n in system.names)
print("the note's ordered derivatives 4, 16, 58, 136 equal the whole-system perturbation ✓")

# %% [markdown]
# The two experiments side by side for $z_2$: nudge it by $10^{-3}$ with everything else frozen, then
# nudge it and let $z_3$ and $z_4$ follow.

# %%
nudge = 1e-3
frozen = dict(values, z2=values["z2"] + nudge)
E_frozen = system.target.fn(*(frozen[i] for i in system.target.inputs))
E_follow = system.evaluate({"z1": 1.0}, overrides={"z2": values["z2"] + nudge})["E"]
print(f"E = {values['E']:.3f}; z2 += {nudge:g} with z3, z4 frozen: E = {E_frozen:.3f}  (change ×{(E_frozen - values['E']) / nudge:.0f})")
print(f"E = {values['E']:.3f}; z2 += {nudge:g} with z3, z4 following: E = {E_follow:.3f}  (change ×{(E_follow - values['E']) / nudge:.0f})")
assert np.isclose((E_frozen - values["E"]) / nudge, 2) and np.isclose((E_follow - values["E"]) / nudge, 58)

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.0), layout="constrained")
plot_partial_vs_total(ax, list(system.names), result.partial, result.total)
ax.set_title("the note's system: partial vs ordered derivatives of $E$")
plt.show()

# %% [markdown]
# ## 3. Step through the rule
#
# Each step computes one ordered derivative with (3.2). Orange: the variable being computed; thick
# edges: the later variables (and $E$ itself) whose derivatives it collects; green: finished. The
# numbers on the edges are the local partials $\partial z_j/\partial z_i$; the panel substitutes them.

# %%
werbos = ordered_stepper(system, {"z1": 1.0})
werbos.widget

# %% [markdown]
# ## 4. BPTT is ordered derivatives
#
# The note's second half applies (3.2) to a recurrent network. Give it one hidden unit, so every
# variable is a number, and a two-class softmax output (which is the sigmoid σ of one logit):
#
# $$z^h_t = u\,x_t + w\,h_{t-1}, \quad h_t = \tanh z^h_t, \quad z^o_t = v\,h_t, \quad
# C = \sum_t c_t,\ \ c_t = -y_t\ln\sigma(z^o_t) - (1-y_t)\ln\big(1-\sigma(z^o_t)\big) \tag{3.6}$$
#
# Unrolled over $T$ steps this *is* an ordered system — $u, w, v, h_0$ first, then
# $z^h_1, h_1, z^o_1, z^h_2, \dots$ — and (3.2) gives, from the last step back (with $\partial C/\partial z^o_t = \sigma(z^o_t) - y_t$, lesson 1's $a - y$):
#
# $$\frac{\partial^+C}{\partial z^h_T} = \frac{\partial C}{\partial z^o_T}\,v\,\dot\phi(z^h_T), \qquad
# \frac{\partial^+C}{\partial z^h_t} = \Big(\frac{\partial^+C}{\partial z^o_t}\,v + \frac{\partial^+C}{\partial z^h_{t+1}}\,w\Big)\dot\phi(z^h_t),$$
#
# which is the note's $\frac{\partial^+C}{\partial z^h_t} = \frac{\partial C}{\partial z^h_t} + \frac{\partial^+C}{\partial z^h_{t+1}}\frac{\partial z^h_{t+1}}{\partial z^h_t}$ with its
# "partial" $\partial C/\partial z^h_t$ meaning the path through the output at time $t$. And the weights are the
# earliest variables, read at every step, so their ordered derivatives are **sums over time** — the note's
# final formulas:
#
# $$\frac{\partial^+C}{\partial w} = \sum_{t=1}^{T}\frac{\partial^+C}{\partial z^h_t}\,h_{t-1}, \qquad
# \frac{\partial^+C}{\partial v} = \sum_{t=1}^{T}\frac{\partial^+C}{\partial z^o_t}\,h_t .$$

# %%
xs_seq = [0.5, -1.0, 0.8]
ys_seq = [1.0, 0.0, 1.0]
weights = {"u": 0.7, "w": 0.9, "v": -1.2, "h0": 0.0}
rnn_system = rn.scalar_rnn_system(xs_seq, ys_seq)
rnn_values = rnn_system.evaluate(weights)
rnn_result = rn.ordered_derivatives(rnn_system, rnn_values)
T = len(xs_seq)
print(f"C = {rnn_values['C']:.6f}")
for t in range(T, 0, -1):
    print(f"t = {t}: ∂⁺C/∂z^o = {rnn_result.total[f'zo{t}']:+.6f}, ∂⁺C/∂z^h = {rnn_result.total[f'zh{t}']:+.6f}")

# %% [markdown]
# **Check:** the note's recursion, its sums over time against the rule, and every weight's ordered
# derivative against perturbing the whole unrolled network.

# %%
tot, val = rnn_result.total, rnn_values
dphi = {t: 1 - np.tanh(val[f"zh{t}"]) ** 2 for t in range(1, T + 1)}
assert np.isclose(tot[f"zh{T}"], tot[f"zo{T}"] * weights["v"] * dphi[T])
for t in range(1, T):
    assert np.isclose(tot[f"zh{t}"], (tot[f"zo{t}"] * weights["v"] + tot[f"zh{t + 1}"] * weights["w"]) * dphi[t])
bptt = {"u": sum(tot[f"zh{t}"] * xs_seq[t - 1] for t in range(1, T + 1)),
        "w": sum(tot[f"zh{t}"] * val[f"h{t - 1}"] for t in range(1, T + 1)),
        "v": sum(tot[f"zo{t}"] * val[f"h{t}"] for t in range(1, T + 1))}
for name in ("u", "w", "v"):
    num = rn.numerical_ordered_derivative(rnn_system, rnn_values, name)
    err = rn.relative_error(tot[name], num)
    print(f"∂⁺C/∂{name}: rule (3.2) {tot[name]:+.6f}, sum over time {bptt[name]:+.6f}, "
          f"whole-system perturbation {num:+.6f}, relative error {rn.below(err, 1e-7)}; partial ∂C/∂{name} = {rnn_result.partial[name]:.0f}")
    assert np.isclose(tot[name], bptt[name], rtol=1e-12)
print("BPTT = ordered derivatives on the unrolled network ✓")

# %% [markdown]
# **The note's remark about the outputs.** It says (Chinese note 004, as written):
#
# > 因为 Fig. 1 中黄色模块之间的相互依赖关系是通过绿色模块产生的,它们之间并没有直接的依赖关系,所以有
# > $\frac{\partial^+C}{\partial z_{o_t}} = \frac{\partial C}{\partial z_{o_t}}$
#
# ("Because the yellow blocks [outputs] depend on each other only through the green blocks [hidden
# pre-activations], with no direct dependence between them, we have …".) The rule's table would
# return the partial for an output by construction, so measure instead: nudge $z^o_t$ and let
# everything later follow (3.3), or nudge it in $C$'s formula only (3.4). In the note's network the two
# agree. Feed each output into the next step, $z^h_t = u\,x_t + w\,h_{t-1} + r\,z^o_{t-1}$ (a Jordan network),
# and they do not — the remark is a property of this architecture, not of outputs:

# %%
feedback = rn.scalar_rnn_system(xs_seq, ys_seq, output_feedback=True)
fb_values = feedback.evaluate({**weights, "r": 0.5})
fb_result = rn.ordered_derivatives(feedback, fb_values)
for label, sys_, vals in (("note's network", rnn_system, rnn_values), ("outputs fed back", feedback, fb_values)):
    total = [rn.numerical_ordered_derivative(sys_, vals, f"zo{t}") for t in range(1, T + 1)]
    partial = [rn.numerical_partial(sys_, vals, f"zo{t}") for t in range(1, T + 1)]
    print(f"{label:17s} measured ∂⁺C/∂z^o_t: {', '.join(f'{v:+.4f}' for v in total)};  ∂C/∂z^o_t: {', '.join(f'{v:+.4f}' for v in partial)}")
    if sys_ is rnn_system:
        assert np.allclose(total, partial, rtol=0, atol=1e-8)
    else:
        assert all(abs(total[t] - partial[t]) > 1e-2 for t in range(T - 1)) and abs(total[-1] - partial[-1]) < 1e-8
        assert np.allclose(total, [fb_result.total[f"zo{t}"] for t in range(1, T + 1)], rtol=1e-7)

# %% [markdown]
# **The note's column form, with more than one hidden unit.** For the last step the note writes
#
# > 并且, $\frac{\partial^+C}{\partial z_{h_T}} = \frac{\partial C}{\partial z_{h_T}} = \frac{\partial C}{\partial z_{o_T}}\, w_{ho}\, \dot\phi(z_{h_T})$
#
# ("and, …"). With one hidden unit and one output every factor is a number and the order does not
# matter, which is why the scalar network above cannot show the problem. With $H$ hidden units and $K$
# outputs in the note's column form, $\partial C/\partial z_o$ is $(K, 1)$, $w_{ho}$ is $(K, H)$ and $\dot\phi$ is $(H, 1)$:
# the product as written does not conform. What is meant is
#
# $$\frac{\partial^+C}{\partial z_{h_T}} = \dot\phi(z_{h_T}) \odot \Big(w_{ho}^\top \frac{\partial C}{\partial z_{o_T}}\Big)
# \qquad\big(\text{ours, rows: } \delta_T = (\delta^o_T W_{hy}^\top) \odot \varphi'(a_T)\big)$$
#
# Checked with $H = 3$ hidden units and $K = 2$ outputs, against finite differences by $z_{h_T}$:

# %%
H3, K3 = 3, 2
r3 = np.random.default_rng(33)
w_ho, b_ho = r3.normal(size=(K3, H3)), r3.normal(size=K3)  # the note's column form: z_o = w_ho h + b_ho
z_hT = r3.normal(size=H3)
label = 1  # ŷ one-hot on class 1 (the note's ŷ is our target)
cost_of_zh = lambda zh: rn.cross_entropy((w_ho @ np.tanh(zh) + b_ho)[None, :], np.array([label]))  # noqa: E731
dC_dzo = rn.softmax(w_ho @ np.tanh(z_hT) + b_ho) - np.eye(K3)[label]  # (K,)
phi_dot = 1 - np.tanh(z_hT) ** 2  # (H,)
measured = rn.numerical_gradient(cost_of_zh, z_hT)
meant = phi_dot * (w_ho.T @ dC_dzo)
try:
    dC_dzo[:, None] @ w_ho @ phi_dot[:, None]  # (K,1)(K,H)(H,1), as written
    raise AssertionError("the note's product conformed")
except ValueError as err:
    print(f"as written, (K,1)·(K,H)·(H,1): ValueError: {err}")
print(f"φ̇ ⊙ (w_hoᵀ ∂C/∂z_o): {np.array2string(meant, precision=4)}")
print(f"measured ∂⁺C/∂z_hT:  {np.array2string(measured, precision=4)}, relative error {rn.below(rn.relative_error(meant, measured), 1e-7)}")
assert rn.relative_error((w_ho.T @ dC_dzo), measured) > 0.1  # and φ̇ is needed, element-wise

# %% [markdown]
# The partial derivative of $C$ by any weight is **0** — $C$'s formula reads only the outputs $z^o_t$.
# Every bit of a weight's gradient arrives through later variables. Walk the sweep: it starts at the
# last output, runs down the hidden chain $z^h_3 \to h_2 \to z^h_2 \to \dots$ and ends at the weights,
# where the step's formula shows the sum over time.

# %%
rnn_widget = ordered_stepper(rnn_system, weights, positions=unrolled_layout(T), edge_labels=False,
                             values_at="right", width=6.0)
rnn_widget.widget

# %% [markdown]
# ## 5. The note's cost function
#
# The note's cost reached us as text extracted from a web page, where the formula lost its symbols.
# What survives is (Chinese note 004, as extracted):
#
# > 成本函数采用信息熵形式 `C=t=1Tk(1y^(t)k)log(y(t)k)=t=1Tc(yt)` … k表示输出层节点个数, y^ 表示真实的目标输出。
#
# ("The cost function takes the information-entropy [cross-entropy] form … k indexes the output nodes,
# ŷ is the true target output.") Honestly, this cannot be read with certainty. The `(1y^(t)k)` is most
# naturally $(1 - \hat y^{(t)}_k)$ — a minus lost in extraction — and that is how lessons 4 and 5 quote it.
# But the "1" could as well be debris of the layout, and the words say *cross-entropy*, which is
# $-\sum_k \hat y_k \log y_k$. So both readings are checked: read as $(1 - \hat y)$ the cost is wrong;
# read as $\hat y$ it is right. Cross-entropy weights $\log y_{t,k}$ by the target itself, $\hat y_{t,k}$;
# with $1 - \hat y$ every class *except* the true one is rewarded:
#
# $$C_\text{note} = -\sum_k (1-\hat y_k)\ln y_k, \qquad \frac{\partial C_\text{note}}{\partial z} = (K-1)\,y - (1 - \hat y)\quad(\hat y \text{ one-hot}) \tag{3.7}$$
#
# One gradient-descent step on each, from the same logits:

# %%
z = np.array([0.2, 1.0, -0.4])
y_true = np.array([1.0, 0.0, 0.0])  # one-hot: class 0
g_note = rn.numerical_gradient(lambda v: rn.note_cost(v, y_true), z)
g_ce = rn.numerical_gradient(lambda v: rn.cross_entropy(v[None, :], y_true[None, :]), z)
p = rn.softmax(z)
print(f"gradient of the note's cost:   {np.array2string(g_note, precision=4)}, formula (K−1)y − (1−ŷ): "
      f"{np.array2string(2 * p - (1 - y_true), precision=4)}")
print(f"gradient of cross-entropy:     {np.array2string(g_ce, precision=4)}, formula y − ŷ: {np.array2string(p - y_true, precision=4)}")
p_note, p_ce = rn.softmax(z - 0.5 * g_note)[0], rn.softmax(z - 0.5 * g_ce)[0]
print(f"P(true class): {p[0]:.4f} before; {p_note:.4f} after a step on the cost read as (1 − ŷ); {p_ce:.4f} read as ŷ (cross-entropy)")
assert rn.relative_error(g_note, 2 * p - (1 - y_true)) < 1e-7 and rn.relative_error(g_ce, p - y_true) < 1e-7
assert p_note < p[0] < p_ce

# %% [markdown]
# ## 6. Exercises
#
# Each exercise starts from a first attempt with a typical mistake. Run the cell to see the hint, fix
# it, run it again until it says ✓.
#
# **Exercise 3.1 — by hand.** For $z_2 = 3z_1$, $z_3 = z_1 + 2z_2$, $E = z_3 + 5z_2 + z_1$, give
# $\partial^+E/\partial z_i$ for $i = 1, 2, 3$. The first attempt reads the coefficients off $E$.

# %%
my_answer = {"z1": 1, "z2": 5, "z3": 1}
exercises.check_by_hand(my_answer)

# %% [markdown]
# **Exercise 3.2 — the rule as code.** `my_ordered(system, values)` returns `{name: ∂⁺E/∂z}` for every
# variable. Use `system.names` (in order), `system.local_partials(values)` (a dict `{(j, i): ∂z_j/∂z_i}`)
# and `system.direct_partials(values)` (a dict `{i: ∂E/∂z_i}`). The checker runs it on the note's system
# and on the unrolled RNN. The first attempt stops at the partials.

# %%
def my_ordered(system, values):
    return system.direct_partials(values)


exercises.check_backward_rule(my_ordered)

# %% [markdown]
# **Exercise 3.3 — the cost, corrected.** `my_cost(z, y_hat)` takes logits `(K,)` and a one-hot target
# `(K,)` and returns the cross-entropy of one example. The first attempt copies the note.

# %%
def my_cost(z, y_hat):
    return float(-np.sum((1 - y_hat) * rn.log_softmax(z)))


exercises.check_cost(my_cost)

# %% [markdown]
# ## Summary
#
# | equation | statement | function |
# |---|---|---|
# | (3.1) | ordered system $z_j = f_j(z_{<j})$, $E = f_E(z)$ | `rn.OrderedSystem`, `system.evaluate` |
# | (3.2) | $\partial^+E/\partial z_i = \partial E/\partial z_i + \sum_{j>i}\partial^+E/\partial z_j\cdot\partial z_j/\partial z_i$ | `rn.ordered_derivatives` |
# | (3.3) | ordered derivative = perturb $z_i$, let later variables follow | `rn.numerical_ordered_derivative` |
# | (3.4) | partial derivative = perturb $z_i$ in $E$'s formula only | `rn.numerical_partial` |
# | (3.5) | the note's system: 4, 16, 58, 136 | `rn.werbos_example` |
# | (3.6) | a one-unit RNN, unrolled: weights' ordered derivatives are sums over time | `rn.scalar_rnn_system` |
# | (3.7) | the note's cost with $1-\hat y$ pushes probability away from the target | `rn.note_cost` |
#
# The note's table is right; its cost function, read as $(1-\hat y)$, is not (shown above by a gradient
# step; read as $\hat y$ it is the cross-entropy); its remark $\partial^+C/\partial z^o_t = \partial C/\partial z^o_t$ holds for
# its network but not once outputs feed back; and its last-step formula needs $\dot\phi \odot (w_{ho}^\top\,\cdot)$
# once there is more than one hidden unit. Partial
# derivatives are local and ordered derivatives are global; BPTT is nothing but (3.2) swept backwards
# over the unrolled network.
#
# **Next:** lesson 4 builds the vector RNN forward pass; lesson 5 derives BPTT for it in matrix form —
# the same sweep, with $\dot\phi$ becoming $\operatorname{diag}(\varphi'(a_t))$ and $w$ becoming $W_{hh}^\top$.
