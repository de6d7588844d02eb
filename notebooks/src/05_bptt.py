# %% [markdown]
# # Lesson 5 — Backpropagation through time: the notes' double sum, a recursion, and truncation
#
# The notes write the gradient of a recurrent network as a double sum over time,
#
# $$\frac{\partial L}{\partial W} = \sum_{t} \sum_{k \le t} \frac{\partial L_t}{\partial h_t}\,
# \frac{\partial h_t}{\partial h_k}\, \frac{\partial h_k}{\partial W},$$
#
# one term for every loss step $t$ and every earlier step $k$ where $W$ acted. Code never computes it
# that way: it runs one recursion backward through the sequence, in time proportional to $T$. This
# lesson derives both, shows they give the same number to round-off, lets you *see* the
# $(t, k)$ terms, and shows what truncating the sum keeps and loses.
#
# **After this lesson you can**
# 1. derive the BPTT recursion $\delta_t = (\partial L/\partial h_t + \delta_{t+1} W_{hh}^\top) \odot \varphi'(a_t)$
#    and the weight gradients as sums over time;
# 2. write the notes' double sum for vectors and batches, with $\partial h_t/\partial h_k$ as a product of
#    Jacobians — not the power $(\sigma' w)^{t-k}$;
# 3. check every gradient against finite differences;
# 4. say exactly what truncated BPTT computes, and recognise the German note's one-step gradient as
#    truncation to $\tau = 1$;
# 5. measure the bias of truncation against full BPTT, and remove it on average by randomised truncation.
#
# *How to use this notebook:* run it top to bottom (**Run → Run All Cells**). The two widgets need a
# running kernel; everything else is already shown with its output.

# %% [markdown]
# ## Notation
#
# Ours (lesson 4): $a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h$, $h_t = \varphi(a_t)$, $o_t = h_t W_{hy} + b_y$,
# $L = \frac{1}{TB}\sum_t \sum_b \ell_{t,b}$; row vectors; $\delta_t = \partial L/\partial a_t$ $(B, H)$.
#
# | quantity | this course | Chinese note 001 | Russian note 002 | Chinese note 004 | German note 000 |
# |---|---|---|---|---|---|
# | state | $h_t$ | $h_t$ | $s_t$ | $h_t$ | $H$ |
# | weights | $W_{xh}, W_{hh}, W_{hy}$ | $U, w, V$ (column form: $U = W_{xh}^\top$ …) | $U, W, V$ (same) | $w_{ih} = [W_{xh}; W_{hh}]^\top$, $w_{ho}$ | $W_2$ (tied), $W_1$ |
# | loss at step $t$ | $L_t$ (our $L = \sum_t L_t$ with the $1/(TB)$ inside) | $L_t$, $J_t$ | $E_t$ | $c(y_t)$ | $J$ |
# | one-step Jacobian | $\partial h_t/\partial h_{t-1} = \operatorname{diag}(\varphi'(a_t))\,W_{hh}^\top$ | $\sigma' w$ | $\partial s_t/\partial s_{t-1}$ | ordered derivative | — |
# | across steps | $\partial h_t/\partial h_k = \prod_{j=t}^{k+1} \partial h_j/\partial h_{j-1}$ | $(\sigma' w)^{t-k}$ ✗ | $\partial s_3/\partial s_k$ | — | — (dropped) |
# | immediate effect of $W$ on $h_k$ | $\partial^+ h_k/\partial W$ ($h_{k-1}$ held fixed) | $\partial h_k/\partial w$ | $\partial s_k/\partial W$ | — | $\partial H/\partial W_2$ |
# | error signal | $\delta_t = \partial L/\partial a_t$ | — | — | $\partial^+ C/\partial z_{h_t}$ | — |
#
# The notes write $\partial h_k/\partial W$ for what is only the *immediate* dependence: $h_k$ depends on
# $W$ also through $h_{k-1}$, and that path is exactly what the other terms of the sum count. We mark
# the immediate derivative $\partial^+$.

# %%
# %matplotlib inline
import time

import matplotlib.pyplot as plt
import numpy as np

import rnnedu as rn
from rnnedu.exercises import lesson05 as exercises
from rnnedu.plotting.bptt import plot_contributions, plot_truncation_error
from rnnedu.widgets.bptt import bptt_stepper, contribution_explorer

rng = np.random.default_rng(5)

# %% [markdown]
# A small problem to work on: a vocabulary of $V = 6$ token ids, $H = 5$ hidden units, $T = 8$ steps,
# $B = 3$ sequences, tanh.

# %%
V, H, T, B = 6, 5, 8, 3
params = rn.init_rnn_params(V, H, V, rng, scale=0.8)
X = rng.integers(0, V, size=(T, B))  # token ids (T, B)
Y = rng.integers(0, V, size=(T, B))  # labels (T, B)
h0 = rng.normal(scale=0.5, size=(B, H))
hs = rn.rnn_forward(X, h0, params["W_xh"], params["W_hh"], params["b_h"])
loss, dhs, head_grads = rn.cross_entropy_head(hs, params["W_hy"], params["b_y"], Y)
print(f"loss = {loss:.6f};  hs {hs.shape};  dhs = ∂L/∂h_t (direct, from the outputs) {dhs.shape}")

# %% [markdown]
# ## 1. The recursion
#
# $L$ depends on $h_t$ along two paths: directly, through the output $o_t$ at the same step, and
# through the next pre-activation $a_{t+1} = x_{t+1} W_{xh} + h_t W_{hh} + b_h$. Adding both paths
# (the multivariate chain rule) and then passing through $h_t = \varphi(a_t)$, whose Jacobian is the
# diagonal matrix $\operatorname{diag}(\varphi'(a_t))$:
#
# $$\delta_t \equiv \frac{\partial L}{\partial a_t}
#   = \Big(\underbrace{\frac{\partial L}{\partial h_t}\Big|_{\text{direct}}}_{\delta^o_t W_{hy}^\top}
#   + \delta_{t+1} W_{hh}^\top\Big) \odot \varphi'(a_t), \qquad \delta_{T+1} = 0 \tag{5.1}$$
#
# This is the delta rule of lesson 2 (Russian note 003: $\delta^{(s)} = \varphi'(v^{(s)}) \odot W^{(s+1)\top}\delta^{(s+1)}$)
# applied to the network unrolled in time, with one extra input per layer — the output at that step.
# Each weight matrix acts at **every** step, so its gradient is a sum of one term per step, each term
# the lesson-2 formula "input of the layer, transposed, times its delta":
#
# $$dW_{xh} = \sum_t x_t^\top \delta_t, \quad dW_{hh} = \sum_t h_{t-1}^\top \delta_t, \quad
#   db_h = \sum_t \mathbf{1}^\top \delta_t, \quad dh_0 = \delta_1 W_{hh}^\top, \quad
#   dW_{hy} = \sum_t h_t^\top \delta^o_t \tag{5.2}$$
#
# `rn.rnn_backward` runs (5.1) once from $t = T$ down to 1 — the only work inside the loop is the
# $(B, H)\cdot(H, H)$ product $\delta_{t+1} W_{hh}^\top$ — and then forms every sum of (5.2) as **one**
# matrix product over all $T \cdot B$ rows, after the loop. With token ids, $\sum_t x_t^\top \delta_t$ adds
# each $\delta$ row into the row of $dW_{xh}$ of its token (a scatter-add; no one-hot matrix).

# %%
grads = rn.rnn_backward(dhs, X, hs, h0, params["W_xh"], params["W_hh"])
for name, g in grads.items():
    print(f"d{name:5s} {str(g.shape):8s} norm {np.linalg.norm(g):.6f}")

# %% [markdown]
# **Check against finite differences.** `rn.rnn_loss_and_grads` chains the output layer, (5.1) and (5.2);
# every entry of every gradient is compared with central differences of the loss (lesson 1, eq. (1.6)).

# %%
loss_fn, grads_all = rn.rnn_loss_and_grads(params, X, Y, h0)
checks = [rn.check_gradient(lambda w, k=k: rn.rnn_loss_and_grads({**params, k: w}, X, Y, h0)[0],
                            params[k], grads_all[k], name=f"d{k}") for k in params]
checks.append(rn.check_gradient(lambda h: rn.rnn_loss_and_grads(params, X, Y, h)[0], h0, grads_all["h0"], name="dh0"))
for c in checks:
    print(c)
assert all(c.ok for c in checks)
assert all(np.array_equal(grads_all[k], grads[k]) for k in grads)

# %% [markdown]
# ## 2. The double sum
#
# Now unroll the recursion. The Russian note 002 does it for the loss at step 3 (its steps count
# from 0). As written:
#
# > Общий градиент по переменной есть сумма ее градиентов для всех t
# >
# > $\frac{\partial E_3}{\partial W} = \frac{\partial E_3}{\partial y_3^{\wedge}} \frac{\partial y_3^{\wedge}}{\partial s_3} \frac{\partial s_3}{\partial W} = \sum_{k=0}^{3} \frac{\partial E_3}{\partial y_3^{\wedge}} \frac{\partial y_3^{\wedge}}{\partial s_3} \frac{\partial s_3}{\partial s_k} \frac{\partial s_k}{\partial W}$
#
# ("The total gradient by a variable is the sum of its gradients over all t.") The sum on the right is
# the BPTT double sum for one loss. The single product in the middle equals it only if its
# $\partial s_3/\partial W$ is the *total* derivative — but the note has just written $s_3 = f(Ux_3 + Ws_2)$, and
# differentiating that with $s_2$ held fixed gives the immediate derivative, i.e. the $k = 3$ term
# alone. Checked below.
#
# and the Chinese note 001 sums it over all losses. In our notation, for every loss step $t$ and every
# step $k \le t$ at which the parameter acts:
#
# $$\frac{\partial L}{\partial W} = \sum_{t=1}^{T} \sum_{k=1}^{t}
#   \frac{\partial L_t}{\partial h_t}\, \frac{\partial h_t}{\partial h_k}\, \frac{\partial^+ h_k}{\partial W} \tag{5.3}$$
#
# $$\frac{\partial h_t}{\partial h_k} = \frac{\partial h_t}{\partial h_{t-1}} \cdots \frac{\partial h_{k+1}}{\partial h_k},
#   \qquad \frac{\partial h_j}{\partial h_{j-1}} = \operatorname{diag}\big(\varphi'(a_j)\big)\, W_{hh}^\top \tag{5.4}$$
#
# (rows of a Jacobian index the output; a row gradient moves back as $g_{j-1} = g_j \,\partial h_j/\partial h_{j-1}$).
# For $W_{hh}$ the $(t, k)$ term is $h_{k-1}^\top (g_k \odot \varphi'(a_k))$ with
# $g_k = \frac{\partial L_t}{\partial h_t}\frac{\partial h_t}{\partial h_k}$. The recursion (5.1) computes the same
# sum with the products shared: $\delta_k = \sum_{t \ge k} g_k^{(t)} \odot \varphi'(a_k)$.
#
# `rn.bptt_contributions` builds every term literally, with explicit $(B, H, H)$ Jacobian products —
# $O(T^2)$ of them — and `rn.bptt_double_sum` adds them up.

# %%
jac = rn.hidden_jacobians(hs, params["W_hh"])  # (T, B, H, H): ∂h_t/∂h_{t-1}
contrib = rn.bptt_contributions(dhs, X, hs, h0, params["W_xh"], params["W_hh"])
double = contrib.total()
print("one-step Jacobians", jac.shape, "; W_hh terms", contrib.terms["W_hh"].shape)
worst = max(rn.relative_error(double[k], grads[k]) for k in grads)
print(f"double sum vs recursion, worst relative difference over dW_xh, dW_hh, db_h, dh0: {rn.below(worst, 1e-12)}")

# %% [markdown]
# **Check (5.4) against finite differences:** the one-step Jacobian, column by column, from
# `rn.rnn_step` perturbed in $h_{t-1}$.

# %%
step, b = 6, 0  # step t = 6 (1-based, as in the equations); arrays are 0-based: h_t is hs[t - 1]
J_num = np.stack([
    rn.numerical_gradient(lambda h, m=m: rn.rnn_step(X[step - 1, b:b + 1], h[None], params["W_xh"], params["W_hh"], params["b_h"])[0, m],
                          hs[step - 2, b])  # perturb h_(t-1)
    for m in range(H)])
err_J = rn.relative_error(jac[step - 1, b], J_num)  # jac[t - 1] is ∂h_t/∂h_(t-1)
print(f"∂h_t/∂h_(t-1) at t = {step}: relative error {rn.below(err_J, 1e-7)}")

# %% [markdown]
# **The note's $E_3$, term by term.** Keep only the loss at step 4 (the note's $E_3$: steps 0–3) and
# look at its four terms: each is a different path. Their sum must be the gradient of $E_3$ — measured
# by finite differences of $E_3$ alone (its share of $L$: the step-4 cross-entropy over $TB$) — and the
# note's single product, the $k = 4$ term, must not be:

# %%
dhs_E3 = np.zeros((4, B, H))
dhs_E3[3] = dhs[3]
c_E3 = rn.bptt_contributions(dhs_E3, X[:4], hs[:4], h0, params["W_xh"], params["W_hh"])
terms_E3 = c_E3.terms["W_hh"][3]  # (4, H, H): the (t = 4, k) terms, k = 1..4
print("‖(t=4, k) term of dW_hh‖ for k = 1..4:", ", ".join(f"{v:.4f}" for v in c_E3.norms("W_hh")[3]))
E3 = lambda w: rn.cross_entropy_head(rn.rnn_forward(X[:4], h0, params["W_xh"], w, params["b_h"])[3:],  # noqa: E731
                                     params["W_hy"], params["b_y"], Y[3:4])[0] / T
check_E3 = rn.check_gradient(E3, params["W_hh"], terms_E3.sum(axis=0), name="sum of the 4 terms vs ∂E_3/∂W_hh")
err_single = rn.relative_error(terms_E3[3], check_E3.numerical)
print(check_E3)
print(f"single product (the k = 4 term) vs ∂E_3/∂W_hh: relative error {err_single:.2f}")
assert check_E3.ok and err_single > 0.05
rec_E3 = rn.rnn_backward(dhs_E3, X[:4], hs[:4], h0, params["W_xh"], params["W_hh"])["W_hh"]
print(f"sum of the 4 terms vs the recursion for E_3: relative difference {rn.below(rn.relative_error(terms_E3.sum(axis=0), rec_E3), 1e-12)}")

# %% [markdown]
# ## 3. $\partial h_t/\partial h_k$ is a product, not a power
#
# The Chinese note 001 substitutes $\partial h_j/\partial h_{j-1} = \sigma' w$ and concludes, as written,
#
# > 代入 $\frac{\partial L}{\partial U} = \sum_{t=1}^T \frac{\partial L_t}{\partial y_t} \frac{\partial y_t}{\partial h_t} \sum_{k=1}^t (\sigma'w)^{t-k} \frac{\partial h_k}{\partial U}$ —
# > 若 $\sigma'w < 1$ 当 t-k 过大时 $\sigma'w \rightarrow 0$ 导致梯度消失
#
# ("Substituting: … If σ'w < 1, then when t − k is too large, σ'w → 0, which makes the gradient
# vanish.") So $\partial h_t/\partial h_k = (\sigma' w)^{t-k}$. For a scalar state with a *constant* $\sigma'$ that is
# right. For vectors, $\varphi'(a_j)$ is a different diagonal matrix at every step, so (5.4) is a product
# of different matrices. The power is exact only for a linear recurrence ($\varphi'$ = 1), where
# $\partial h_t/\partial h_k = (W_{hh}^\top)^{t-k}$:

# %%
t, k, b = 7, 1, 0
P = np.eye(H)
for j in range(t, k, -1):
    P = P @ jac[j, b]  # ∂h_t/∂h_k, latest step on the left
power = np.linalg.matrix_power(jac[t, b], t - k)  # the note: one step's Jacobian to the power t − k
err_power = rn.relative_error(power, P)
print(f"tanh:     (σ'w)^(t-k) vs the product, relative error {err_power:.2f}")
assert err_power > 0.1

hs_lin = rn.rnn_forward(X, h0, params["W_xh"], params["W_hh"], params["b_h"], activation="identity")
jac_lin = rn.hidden_jacobians(hs_lin, params["W_hh"], "identity")
P_lin = np.eye(H)
for j in range(t, k, -1):
    P_lin = P_lin @ jac_lin[j, b]
err_lin = rn.relative_error(np.linalg.matrix_power(params["W_hh"].T, t - k), P_lin)
print(f"identity: (W_hhᵀ)^(t-k) vs the product, relative error {rn.below(err_lin, 1e-12)}")

# %% [markdown]
# The note's "Rule" $\sigma' = \operatorname{diag}(0, 1, \dots)$ is ReLU's Jacobian: 1 for active units,
# 0 for inactive ones. Multiplying $W_{hh}^\top$ by it from the left zeroes the rows of inactive units
# ("相当于在 w 中某一行置为 0"): nothing flows back through a unit that was off.

# %%
hs_relu = rn.rnn_forward(X, h0, params["W_xh"], params["W_hh"], params["b_h"], activation="relu")
jac_relu = rn.hidden_jacobians(hs_relu, params["W_hh"], "relu")
mixed = [(t, b) for t in range(T) for b in range(B) if 0 < (hs_relu[t, b] == 0).sum() < H]
t, b = mixed[0]  # the first step and example with some units on and some off
off = hs_relu[t, b] == 0
print(f"step {t + 1}, example {b + 1}: units off", ", ".join(str(int(i)) for i in np.flatnonzero(off)),
      "; on", ", ".join(str(int(i)) for i in np.flatnonzero(~off)))
assert np.all(jac_relu[t, b][off] == 0) and np.allclose(jac_relu[t, b][~off], params["W_hh"].T[~off])
print("rows of ∂h_t/∂h_(t-1) for the units that are off are zero; the others are rows of W_hhᵀ ✓")

# %% [markdown]
# ## 4. Which $(t, k)$ terms matter
#
# The norm of every term of (5.3) on a longer sequence ($T = 20$): row $t$ is a loss step, column
# $k \le t$ the step where $W_{hh}$ acted. The diagonal $k = t$ is the immediate effect; moving left
# along a row goes further back in time, through more Jacobian factors. With these small weights the
# terms shrink with the lag; the cell below prints by how much. Each step back multiplies by
# $\operatorname{diag}(\varphi'(a_j))W_{hh}^\top$, whose norm is at most $\lVert W_{hh}\rVert_2$ (as $\tanh' \le 1$). Here
# that bound is above 1 while the spectral radius is below 1 (both printed), so neither number alone
# says whether the terms shrink: the bound allows growth, and a spectral radius below 1 only decides
# the limit of very long products. What decides is the product of the actual Jacobians, $\tanh'$
# factors included — lesson 6 measures it. Column $k = 1$ is empty: $h_0 = 0$, so $W_{hh}$ has no
# immediate effect at the first step.

# %%
T2, B2, H2 = 20, 2, 8
p2 = rn.init_rnn_params(V, H2, V, rng, scale=0.3)
X2 = rng.integers(0, V, size=(T2, B2))
Y2 = rng.integers(0, V, size=(T2, B2))
hs2 = rn.rnn_forward(X2, None, p2["W_xh"], p2["W_hh"], p2["b_h"])
_, dhs2, _ = rn.cross_entropy_head(hs2, p2["W_hy"], p2["b_y"], Y2)
h02 = np.zeros((B2, H2))
contrib2 = rn.bptt_contributions(dhs2, X2, hs2, h02, p2["W_xh"], p2["W_hh"])
norms2 = contrib2.norms("W_hh")
lag_means = [float(np.mean(np.diag(norms2, -lag))) for lag in range(T2)]
norm2, radius = np.linalg.norm(p2["W_hh"], 2), np.abs(np.linalg.eigvals(p2["W_hh"])).max()
print(f"‖W_hh‖₂ = {norm2:.2f}, spectral radius {radius:.2f}")
assert norm2 > 1 > radius
print("mean ‖term‖ at lag t − k = 0, 1, 2, 5, 10:", ", ".join(f"{lag_means[i]:.1e}" for i in (0, 1, 2, 5, 10)))
shrink = lag_means[0] / lag_means[10]
print(f"from lag 0 to lag 10 the mean term shrinks by a factor of {shrink:.0f}: about {np.log10(shrink):.0f} order(s) of magnitude in ten steps")
assert shrink > 10

# %%
fig, ax = plt.subplots(figsize=(4.8, 3.8), layout="constrained")
image = plot_contributions(ax, norms2)
fig.colorbar(image, ax=ax, shrink=0.85)
plt.show()

# %% [markdown]
# ## 5. Truncated BPTT
#
# Truncating to $\tau$ steps keeps only the terms with a lag $t - k$ below $\tau$ — a band along the
# diagonal of the picture:
#
# $$\frac{\partial L}{\partial W}\Big|_{\tau} = \sum_{t=1}^{T} \sum_{k=\max(1,\,t-\tau+1)}^{t}
#   \frac{\partial L_t}{\partial h_t}\, \frac{\partial h_t}{\partial h_k}\, \frac{\partial^+ h_k}{\partial W} \tag{5.5}$$
#
# $\tau = T$ is full BPTT; $\tau = 1$ keeps the diagonal only, the gradient of a network whose past is
# treated as a constant input. `rn.rnn_backward(..., truncate=τ)` computes (5.5) with $\tau$ large matrix
# products (the loop runs over the lag, not over time).
#
# Is it the gradient of anything? Yes: of the loss in which every $L_t$ is computed from the state
# $\bar h_{t-\tau}$ *frozen* at its current value and run forward $\tau$ steps,
#
# $$\tilde L(\theta) = \frac{1}{TB}\sum_t \ell_t\big(\theta;\ \bar h_{t-\tau}\big) \tag{5.6}$$
#
# which has the same value as $L$ at the current parameters but a different gradient.
# `rn.truncated_window_loss` computes (5.6), so truncation can be checked by finite differences too.

# %%
full2 = contrib2.total()
taus = np.arange(1, T2 + 1)
errors = [rn.relative_error(rn.rnn_backward(dhs2, X2, hs2, h02, p2["W_xh"], p2["W_hh"], truncate=int(tau))["W_hh"],
                            full2["W_hh"]) for tau in taus]
for tau in (1, 2, 3, 5, 10):
    print(f"τ = {tau:2d}: relative error of dW_hh vs full BPTT {errors[tau - 1]:.2g}")
print(f"τ = {T2:2d}: relative error of dW_hh vs full BPTT {rn.below(errors[-1], 1e-12)}")
assert errors[0] > errors[4] > errors[9] > 1e-12
band = rn.relative_error(contrib2.total(truncate=3)["W_hh"],
                         rn.rnn_backward(dhs2, X2, hs2, h02, p2["W_xh"], p2["W_hh"], truncate=3)["W_hh"])
print(f"rnn_backward(truncate=3) vs the band 0 ≤ t − k < 3 of the double sum: relative difference {rn.below(band, 1e-12)}")

# %%
fig, ax = plt.subplots(figsize=(5.0, 3.0), layout="constrained")
plot_truncation_error(ax, taus, errors, show_marker=False)
ax.set_title(r"$dW_{hh}$: BPTT($\tau$) against full BPTT")
plt.show()

# %% [markdown]
# **Check: truncated BPTT is the exact gradient of (5.6), not of $L$.**

# %%
tau = 3
loss_tr, g_tr = rn.rnn_loss_and_grads(params, X, Y, h0, truncate=tau)
hs_frozen = rn.rnn_forward(X, h0, params["W_xh"], params["W_hh"], params["b_h"])
window = lambda w: rn.truncated_window_loss({**params, "W_hh": w}, X, Y, h0, "tanh", tau, hs_frozen=hs_frozen)  # noqa: E731
c_window = rn.check_gradient(window, params["W_hh"], g_tr["W_hh"], name="dW_hh (τ = 3) vs (5.6)")
c_loss = rn.check_gradient(lambda w: rn.rnn_loss_and_grads({**params, "W_hh": w}, X, Y, h0)[0],
                           params["W_hh"], g_tr["W_hh"], name="dW_hh (τ = 3) vs L")
print(f"|L̃ − L| at θ: {rn.below(abs(window(params['W_hh']) - loss_tr), 1e-14)}")
print(c_window)
print(f"{c_loss.name}: relative error {c_loss.rel_error:.1e} (not a gradient of L)")
assert c_window.ok and c_loss.rel_error > 1e-3

# %% [markdown]
# ### The German note's gradient is $\tau = 1$
#
# The German note 000 differentiates $H = W_2(X + H) + B_2$ with, as written,
#
# > $\nabla W_2 = \frac{\partial J}{\partial W_2} = \frac{\partial J}{\partial y} \cdot \frac{\partial y}{\partial H} \cdot \frac{\partial H}{\partial W_2}$, $\quad \frac{\partial H_i}{\partial w_i} = (x+H)$
#
# as if the old $H$ did not depend on $W_2$. That is (5.5) with $\tau = 1$. With its linear, tied model
# (lesson 4, eq. (4.6)) the tied matrix gets the sum of both roles' gradients, transposed back to the
# note's column form: $dW_2 = (dW_{xh} + dW_{hh})^\top$. Compared with finite differences of the loss:

# %%
n, Tg, Bg = 6, 10, 2
W2, B2v = rng.normal(scale=0.25, size=(n, n)), rng.normal(scale=0.1, size=n)
head = {"W_hy": rng.normal(scale=0.5, size=(n, 4)), "b_y": np.zeros(4)}
Xg, Yg = rng.integers(0, n, size=(Tg, Bg)), rng.integers(0, 4, size=(Tg, Bg))
loss_g = lambda W: rn.rnn_loss_and_grads({**rn.sum_recurrence_params(W, B2v), **head}, Xg, Yg, activation="identity")[0]  # noqa: E731
dW2_num = rn.numerical_gradient(loss_g, W2)
for tr in (None, 1):
    _, gg = rn.rnn_loss_and_grads({**rn.sum_recurrence_params(W2, B2v), **head}, Xg, Yg, activation="identity", truncate=tr)
    dW2 = (gg["W_xh"] + gg["W_hh"]).T
    err = rn.relative_error(dW2, dW2_num)
    shown = rn.below(err, 1e-7) if tr is None else f"{err:.2f}"
    print(f"{'full BPTT' if tr is None else 'one step (note)':15s}: relative error vs finite differences {shown}")
    assert tr is None or err > 1e-2

# %% [markdown]
# ### Truncation is biased; randomised truncation is not
#
# BPTT($\tau$) drops the same terms every time, so its error against full BPTT is a **bias**: averaging
# many truncated gradients converges to the truncated gradient, not to the true one
# (`rn.truncation_bias` is the curve above). Tallec and Ollivier (2017; also d2l's BPTT section,
# *randomized truncation*) cut the backward chain at random places instead and scale up what survives.
# Each backward step $h_j \to h_{j-1}$ gets an independent weight
#
# $$\xi_j = \begin{cases} 1/\pi & \text{with probability } \pi \\ 0 & \text{with probability } 1-\pi\end{cases}, \qquad
# \delta_t = \Big(\frac{\partial L}{\partial h_t}\Big|_\text{direct} + \xi_{t+1}\,\delta_{t+1}W_{hh}^\top\Big)\odot\varphi'(a_t) \tag{5.7}$$
#
# so the $(t, k)$ term of (5.3) is multiplied by $\prod_{j=k+1}^{t}\xi_j$, whose expectation is $1$: on average
# every term is there, $E_\xi[g_\xi] = \partial L/\partial\theta$. A chain survives $m$ steps with probability
# $\pi^m$, so with $\pi = \tfrac12$ it runs on average $\pi/(1-\pi) = 1$ step back — the cost of BPTT($\tau = 2$).
# For one draw of $\xi$, (5.7) is the exact gradient of a surrogate loss in which each state handed on is
# $\bar h_{j-1} + \xi_j\,(h_{j-1}(\theta) - \bar h_{j-1})$, with $\bar h$ frozen at the current parameters (same value,
# derivative scaled by $\xi_j$):
#
# $$\tilde L_\xi(\theta) = \frac{1}{TB}\sum_t \ell_t\big(\theta;\ \tilde h_{t-1}\big), \qquad
# \tilde h_{j-1} = \bar h_{j-1} + \xi_j\,\big(h_{j-1}(\theta) - \bar h_{j-1}\big) \tag{5.8}$$
#
# (`rn.rnn_backward_weighted`, `rn.scaled_path_loss`, in `rnnedu/truncation.py`). First the
# finite-difference check of one draw on the 8-step problem:

# %%
keep = 0.5
xi = rn.draw_truncation_weights(T, keep, np.random.default_rng(50))
g_xi = rn.rnn_backward_weighted(dhs, X, hs, h0, params["W_xh"], params["W_hh"], xi)
c_xi = rn.check_gradient(lambda w: rn.scaled_path_loss({**params, "W_hh": w}, X, Y, h0, xi, hs), params["W_hh"],
                         g_xi["W_hh"], name="dW_hh, one draw of (5.7), vs (5.8)")
print("ξ_2 … ξ_T =", xi)
print(c_xi)
assert c_xi.ok

# %% [markdown]
# Now the bias, on the 20-step problem of section 4: fixed truncation at $\tau = 2$, one randomised draw,
# and the mean of 2000 draws, each against full BPTT. Because the draws are independent, the mean's
# error should be a few standard errors at most, entry by entry, and shrink like $1/\sqrt{n}$; the fixed
# truncation's error does not shrink at all.

# %%
args2 = (dhs2, X2, hs2, h02, p2["W_xh"], p2["W_hh"])
full_W = full2["W_hh"]
bias_fixed = rn.truncation_bias(*args2, taus=[2])[0]
one_draw = rn.rnn_backward_weighted(*args2, rn.draw_truncation_weights(T2, keep, np.random.default_rng(51)))["W_hh"]
rel_mean = {}
for n_draws in (200, 2000):
    mean, se = rn.randomized_truncation_mean(*args2, keep=keep, n_draws=n_draws, rng=np.random.default_rng(52))
    rel_mean[n_draws] = rn.relative_error(mean["W_hh"], full_W)
    z_max = float(np.max(np.abs(mean["W_hh"] - full_W) / se["W_hh"]))
print(f"fixed τ = 2:                 relative error of dW_hh {bias_fixed:.2f}, the same at every call (bias)")
print(f"randomised, π = {keep}, 1 draw:  relative error {rn.relative_error(one_draw, full_W):.2f} (noise)")
for n_draws, e in rel_mean.items():
    print(f"mean of {n_draws:4d} draws:         relative error {e:.3f}")
print(f"2000 draws: largest |mean − full| over the {full_W.size} entries = {z_max:.1f} standard errors")
assert z_max < 5  # unbiased: within 5 standard errors everywhere (probability of failing by chance < 1e-4)
assert rel_mean[2000] < rel_mean[200] and rel_mean[2000] < bias_fixed / 5

# %% [markdown]
# The price is variance: one randomised gradient is noisier than a truncated one, and training
# averages it over steps. Whether an unbiased but noisy gradient trains better than a biased, quiet
# one depends on the task; Tallec and Ollivier report that it lets a network learn dependencies longer
# than the truncation length, which BPTT($\tau$) cannot see at all.

# %% [markdown]
# ## 6. Step backward through time
#
# The recursion (5.1) on the 8-step problem, one step at a time: the left panel fills in
# $\delta_t$ of the first sequence from $t = T$ backward; the right panel is $dW_{hh}$ accumulated so far,
# $\sum_{s \ge t} h_{s-1}^\top \delta_s$. Press **play** or step with the buttons; the readout shows how
# much of $\partial L/\partial h_t$ arrives from the future ($\delta_{t+1} W_{hh}^\top$) and how far the running
# sum still is from the final $dW_{hh}$.

# %%
stepper = bptt_stepper(dhs, X, hs, h0, params["W_xh"], params["W_hh"])
stepper.widget

# %% [markdown]
# ## 7. Explore the $(t, k)$ terms and truncation
#
# The heatmap of section 4 with a truncation slider: the kept band is coloured, dropped terms are
# grey. Everything is computed once; moving the slider only masks the image. Switch the parameter to see
# that $dW_{xh}$ and $db_h$ have the same band structure.

# %%
explorer = contribution_explorer(dhs2, X2, hs2, h02, p2["W_xh"], p2["W_hh"], tau=5)
explorer.widget

# %% [markdown]
# ## 8. A slip in the Chinese note 004
#
# Note 004's cost, as extracted from its web page, reads $C = -\sum_t \sum_k (1 - \hat y_k) \log y_k$ with $\hat y$
# the target (lesson 3 discusses why that reading is not certain; its words say cross-entropy). With a
# one-hot target that sums $-\log y_k$ over the **wrong** classes, so minimising it rewards putting the
# probability on a wrong class. The cross-entropy it means is $-\sum_k \hat y_k \log y_k$:

# %%
target = np.array([1.0, 0.0, 0.0])
good, bad = rn.softmax(np.array([4.0, 0.0, 0.0])), rn.softmax(np.array([0.0, 4.0, 0.0]))
for label, y in (("good prediction", good), ("bad prediction ", bad)):
    print(f"{label}: cross-entropy {-(target * np.log(y)).sum():.3f}   note's cost {-((1 - target) * np.log(y)).sum():.3f}")
assert -(target * np.log(good)).sum() < -(target * np.log(bad)).sum()
assert -((1 - target) * np.log(good)).sum() > -((1 - target) * np.log(bad)).sum()

# %% [markdown]
# ## 9. Cost: $O(T)$ against $O(T^2)$
#
# The double sum builds a Jacobian product for every pair $k \le t$: its cost grows like $T^2$ (and $H^3$).
# The recursion visits each step once, and all weight gradients are single matrix products after the
# loop. `benchmarks/bench_bptt.py` times the recursion at the character model's size ($T = 35$, $B = 32$,
# $V = 28$, $H = 256$) against a per-example loop, a loop with the weight products inside, and PyTorch.

# %%
# NBVAL_IGNORE_OUTPUT
# (why: wall-clock timings differ from run to run and machine to machine)
for Tc in (10, 20, 40):
    Xc = rng.integers(0, V, size=(Tc, B2))
    hsc = rn.rnn_forward(Xc, None, p2["W_xh"], p2["W_hh"], p2["b_h"])
    dhsc = rng.normal(size=hsc.shape)
    start = time.perf_counter()
    rn.rnn_backward(dhsc, Xc, hsc, None, p2["W_xh"], p2["W_hh"])
    t_rec = time.perf_counter() - start
    start = time.perf_counter()
    rn.bptt_double_sum(dhsc, Xc, hsc, None, p2["W_xh"], p2["W_hh"])
    t_dbl = time.perf_counter() - start
    print(f"T = {Tc:2d}: recursion {t_rec * 1e3:7.2f} ms   double sum {t_dbl * 1e3:8.2f} ms")

# %% [markdown]
# ## 10. Exercises
#
# Each exercise starts from a first attempt with a typical mistake. Run the cell to see the checker's
# hint, fix the function, and run it again until it says ✓.
#
# **Exercise 5.1 — one step of the recursion.** `my_delta(dh_direct, delta_next, h_t, W_hh)` returns
# $\delta_t$ of (5.1) for tanh; all arrays $(B, H)$. The first attempt is the German note's one-step gradient.

# %%
def my_delta(dh_direct, delta_next, h_t, W_hh):
    return dh_direct * (1 - h_t**2)


exercises.check_delta_step(my_delta)

# %% [markdown]
# **Exercise 5.2 — $dW_{hh}$.** `my_dW_hh(dhs, hs, h0, W_hh)` returns the full BPTT gradient of $W_{hh}$
# (tanh) from the direct gradients `dhs (T, B, H)`. The first attempt pairs each delta with the wrong state.

# %%
def my_dW_hh(dhs, hs, h0, W_hh):
    dW = np.zeros_like(W_hh)
    delta_next = np.zeros_like(h0)
    for t in reversed(range(len(hs))):
        delta = (dhs[t] + delta_next @ W_hh.T) * (1 - hs[t] ** 2)
        dW += hs[t].T @ delta
        delta_next = delta
    return dW


exercises.check_bptt_W_hh(my_dW_hh)

# %% [markdown]
# **Exercise 5.3 — $\partial h_t/\partial h_k$.** `my_dh_dh(hs, W_hh, t, k)` gets one sequence's states
# `hs (T, H)` (tanh, 0-based $t \ge k$) and returns the $(H, H)$ matrix (5.4). The first attempt follows
# note 001.

# %%
def my_dh_dh(hs, W_hh, t, k):
    step = np.diag(1 - hs[t] ** 2) @ W_hh.T  # σ' w at step t
    return np.linalg.matrix_power(step, t - k)


exercises.check_jacobian_product(my_dh_dh)

# %% [markdown]
# ## Summary
#
# | equation | formula | function |
# |---|---|---|
# | (5.1) | $\delta_t = (\partial L/\partial h_t + \delta_{t+1} W_{hh}^\top) \odot \varphi'(a_t)$ | `rn.rnn_backward` |
# | (5.2) | $dW_{hh} = \sum_t h_{t-1}^\top \delta_t$, … one product after the loop | `rn.rnn_backward`, `rn.rnn_loss_and_grads` |
# | (5.3) | $\sum_t \sum_{k \le t} \frac{\partial L_t}{\partial h_t} \frac{\partial h_t}{\partial h_k} \frac{\partial^+ h_k}{\partial W}$ | `rn.bptt_contributions`, `rn.bptt_double_sum` |
# | (5.4) | $\partial h_t/\partial h_k = \prod_j \operatorname{diag}(\varphi'(a_j)) W_{hh}^\top$ | `rn.hidden_jacobians` |
# | (5.5) | keep $0 \le t - k < \tau$ | `rnn_backward(..., truncate=τ)`, `rn.truncation_mask` |
# | (5.6) | the loss whose gradient BPTT($\tau$) is | `rn.truncated_window_loss` |
# | (5.7) | randomised truncation: $\xi_j \in \{0, 1/\pi\}$ on each backward step, unbiased | `rn.rnn_backward_weighted`, `rn.draw_truncation_weights` |
# | (5.8) | the loss whose gradient one draw of (5.7) is | `rn.scaled_path_loss` |
#
# * The double sum and the recursion are the same number (to $10^{-12}$ here); the recursion costs $O(T)$.
# * $\partial h_t/\partial h_k$ is a product of different matrices; note 001's power is exact only for a
#   linear recurrence.
# * Truncated BPTT is the exact gradient of a different loss, and the German note's one-step gradient is
#   $\tau = 1$. Its error is a bias; randomised truncation removes it on average, at the price of noise.
# * Note 002's single product is only the $k = t$ term of its own sum.
# * Note 004's $(1 - \hat y)$ should be $\hat y$.
#
# Next, lesson 6: when the terms far from the diagonal vanish, and when they explode.
