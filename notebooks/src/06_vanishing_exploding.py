# %% [markdown]
# # Lesson 6 — Vanishing and exploding gradients
#
# Backpropagation through time (lesson 5) sends the gradient of a late loss back to an early state
# through a *product* of Jacobians, one per step. A product of many factors either shrinks to nothing
# or blows up, unless every factor sits exactly at size one. The Chinese note ends its BPTT derivation
# with the scalar version of this, $\partial h_t/\partial h_k = (\sigma' w)^{t-k}$, and the two cases
# $\sigma' w < 1$ (vanishing) and $\sigma' w > 1$ (exploding). This lesson makes that statement exact
# for vectors, bounds it, and lets you move the weight scale and the sequence length and watch.
#
# **After this lesson you can**
# 1. write one step's Jacobian $\partial h_t/\partial h_{t-1} = \operatorname{diag}(\varphi'(a_t))\,W_{hh}^\top$ in the row notation and check it;
# 2. say when the note's scalar form $(\sigma' w)^{t-k}$ is exact, and what replaces it for vectors;
# 3. compute $\|\partial h_T/\partial h_k\|_2$ for every $k$ without overflow, even past $10^{308}$;
# 4. state and check the bound $(\lambda_1\gamma)^{T-k}$ of Pascanu, Mikolov and Bengio (2013) — with
#    singular values, not eigenvalues — and see a matrix whose eigenvalues are below 1 amplify gradients;
# 5. pick an initialisation (gaussian, orthogonal, identity) and predict its regime from a phase diagram;
# 6. compare the decay of a vanilla RNN, a GRU and an LSTM on the same lags, and say what the gate biases do;
# 7. explain why vanishing is structural (storing a bit robustly needs contraction; Bengio et al. 1994) and
#    why exploding gradients make cliffs that norm clipping tames (Pascanu et al. 2013).
#
# *How to use this notebook:* run it top to bottom (**Run → Run All Cells**). The widget near the end
# needs a running kernel; everything else is already shown with its output.

# %% [markdown]
# ## Notation
#
# Row vectors, batch first (one sequence, $B = 1$, in this lesson):
# $a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h$, $h_t = \varphi(a_t)$, with $h_t \in \mathbb{R}^{1\times H}$
# and $W_{hh} \in \mathbb{R}^{H\times H}$. A Jacobian $\partial h_t/\partial h_{t-1}$ is the $H\times H$ matrix
# with entry $(i, j) = \partial h_{t,i}/\partial h_{t-1,j}$.
#
# | quantity | this course | Chinese note (seed 001) | Russian note (seed 002) | Pascanu et al. (2013) |
# |---|---|---|---|---|
# | hidden state | $h_t$ (row) | $h_t$ (column) | $s_t$ | $x_t$ |
# | recurrent weights | $W_{hh}$ | $w$, $w_{hh}$ (acts as $W_{hh}^\top$) | $W$ | $W_{rec}$ |
# | input weights | $W_{xh}$ | $U$, $w_{xh}$ ($= W_{xh}^\top$) | $U$ | $W_{in}$ |
# | output weights | $W_{hy}$ | $V$, $w_{ho}$ ($= W_{hy}^\top$) | $V$ | — |
# | pre-activation | $a_t$ | $Ux_t + wh_{t-1}$ | $Ux_t + Ws_{t-1}$ | — |
# | slope of the activation | $\operatorname{diag}(\varphi'(a_t))$ | $\sigma'$ (a scalar) | $f'$ | $\operatorname{diag}(\sigma'(x_{k-1}))$ |
# | decay over $T-k$ steps | $J_T J_{T-1}\cdots J_{k+1}$ | $(\sigma' w)^{t-k}$ | $\partial s_3/\partial s_k$ | $\prod \partial x_i/\partial x_{i-1}$ |
# | bound on $\varphi'$ | $\gamma$ (1 tanh/relu/identity, 1/4 sigmoid) | — | — | $\gamma$ |
# | largest singular value of $W_{hh}$ | $\lambda_1$ | — | — | $\lambda_1$ |

# %%
# %matplotlib inline
import warnings

import matplotlib.pyplot as plt
import numpy as np

import rnnedu as rn
from rnnedu import decay, longrange
from rnnedu.exercises import lesson06 as exercises
from rnnedu.plotting.decay import plot_decay, plot_phase_diagram, power_of_ten_axis
from rnnedu.widgets.decay import PHASE_LENGTHS, PHASE_SCALES, decay_explorer

rng = np.random.default_rng(6)

# %% [markdown]
# ## 1. One step's Jacobian
#
# One step of the RNN (lesson 4):
#
# $$a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h, \qquad h_t = \varphi(a_t). \tag{6.1}$$
#
# Unit $i$ of $h_t$ depends on $h_{t-1}$ only through $a_{t,i} = \dots + \sum_j h_{t-1,j} W_{hh}[j, i]$, so
# $\partial h_{t,i}/\partial h_{t-1,j} = \varphi'(a_{t,i})\,W_{hh}[j, i]$. As a matrix:
#
# $$J_t = \frac{\partial h_t}{\partial h_{t-1}} = \operatorname{diag}(\varphi'(a_t))\,W_{hh}^\top. \tag{6.2}$$
#
# The transpose is the row notation's price (the column-vector notes write $\operatorname{diag}(\sigma') w$
# with their $w = W_{hh}^\top$). We check (6.2) row by row against central finite differences of
# `rnn_step` (tanh, $H = 4$).

# %%
H, D, T = 4, 3, 6
W_xh = rng.standard_normal((D, H))                          # (D, H)
W_hh = decay.init_recurrent(H, rng, "gaussian", scale=1.2)  # (H, H)
b_h = 0.1 * rng.standard_normal(H)                          # (H,)
xs = rng.standard_normal((T, 1, D))                         # (T, B=1, D)
h0 = rng.standard_normal((1, H))                            # (B, H)
a = decay.preactivations(xs, h0, W_xh, W_hh, b_h, "tanh")[:, 0]  # (T, H): a_1 … a_T
J1 = decay.step_jacobian(W_hh, a[0], "tanh")                     # (H, H) = ∂h_1/∂h_0
print(np.array2string(J1, precision=4, suppress_small=True))

# %%
for i in range(H):
    check = rn.check_gradient(lambda h: rn.rnn_step(xs[0], h.reshape(1, H), W_xh, W_hh, b_h)[0, i],
                              h0[0], J1[i], name=f"row {i} of ∂h_1/∂h_0")
    print(check)
    assert check.ok

# %% [markdown]
# ## 2. The product over a lag
#
# $h_T$ depends on $h_k$ through $h_{k+1}, \dots, h_{T-1}$; the chain rule multiplies the step Jacobians,
# latest first:
#
# $$\frac{\partial h_T}{\partial h_k} = J_T\,J_{T-1}\cdots J_{k+1}
#   = \prod_{j=T}^{k+1} \operatorname{diag}(\varphi'(a_j))\,W_{hh}^\top,
#   \qquad \frac{\partial h_T}{\partial h_T} = I. \tag{6.3}$$
#
# This is the factor $\partial s_3/\partial s_k$ in the Russian note's
# $\partial E_3/\partial W = \sum_{k} \partial E_3/\partial \hat y_3 \cdot \partial \hat y_3/\partial s_3 \cdot \partial s_3/\partial s_k \cdot \partial s_k/\partial W$,
# and $\partial h_t/\partial h_k$ in the Chinese note's sums. Check: $\partial h_6/\partial h_1$ against finite
# differences of the forward pass started at $h_1$. Some rows are already as small as $4\times10^{-5}$ after five
steps — the gradient is vanishing — so the check uses the step $\varepsilon = 10^{-5}$, which keeps the rounding
error of the difference quotient ($\approx u/\varepsilon$) well below those entries.

# %%
k = 1
P = decay.jacobian_product(W_hh, a, k, "tanh")          # (H, H) = ∂h_6/∂h_1
hs = rn.rnn_forward(xs, h0, W_xh, W_hh, b_h)            # (T, 1, H); hs[0] = h_1
for i in range(H):
    check = rn.check_gradient(lambda h: rn.rnn_forward(xs[k:], h.reshape(1, H), W_xh, W_hh, b_h)[-1, 0, i],
                              hs[k - 1, 0], P[i], name=f"row {i} of ∂h_6/∂h_1", eps=1e-5)
    print(check)
    assert check.ok

# %% [markdown]
# ## 3. The decay profile
#
# We measure the size of (6.3) by its spectral norm (largest singular value), the factor by which it can
# stretch a gradient $\delta_T$ on its way back, $\|\delta_T\,\partial h_T/\partial h_k\| \le \|\delta_T\|\,\|\partial h_T/\partial h_k\|_2$:
#
# $$n_k = \Big\|\frac{\partial h_T}{\partial h_k}\Big\|_2, \qquad k = 0, \dots, T, \qquad n_T = 1. \tag{6.4}$$
#
# `decay.jacobian_norms` accumulates the product from $k = T$ down, one $H\times H$ matmul per step, divides
# it by a power of two after every step (exact in floating point) and keeps the exponents; the $T+1$
# spectral norms come from one batched SVD call. Check against the explicit product for every activation
# (the two agree to round-off, so the cell asserts a tolerance and prints the tolerance met):

# %%
H2, T2 = 6, 25
W2 = decay.init_recurrent(H2, rng, "gaussian", scale=1.5)
a2 = 2 * rng.standard_normal((T2, H2))
for act in rn.ACTIVATIONS:
    norms = decay.jacobian_norms(W2, a2, act)             # (T2 + 1,)
    explicit = np.array([np.linalg.norm(decay.jacobian_product(W2, a2, j, act), 2) for j in range(T2 + 1)])
    err = np.max(np.abs(norms - explicit) / np.maximum(explicit, 1e-300))
    assert norms[-1] == 1.0
    print(f"{act:>8}: n_0 = {norms[0]:.3e}, max relative difference to the explicit product {rn.below(err, 1e-10)}")

# %% [markdown]
# The same RNN ($H = 32$, tanh, orthogonal $W_{hh}$, fixed inputs) at three weight scales:
# the profile is close to a straight line on a log axis — a geometric decay or growth.

# %%
H3, T3 = 32, 150
c3 = rng.standard_normal((T3, 8)) @ (rng.standard_normal((8, H3)) / np.sqrt(8))  # (T3, H3): x_t W_xh
Q3 = decay.init_recurrent(H3, rng, "orthogonal")
fig, ax = plt.subplots(figsize=(6.4, 3.4), layout="constrained")
for s, colour in [(0.7, "C0"), (1.0, "C2"), (2.0, "C3")]:
    a3 = decay.driven_preactivations(c3, Q3, "tanh", scale=s)    # (T3, H3)
    prof = decay.decay_profile(s * Q3, a3, "tanh")
    ax.plot(prof.lags, prof.log10_norms, color=colour, label=f"s = {s}: {prof.regime}")
    print(f"s = {s:.1f}: {prof.summary()}")
power_of_ten_axis(ax.yaxis)
ax.set(xlabel="lag $T-k$", ylabel=r"$\|\partial h_T/\partial h_k\|_2$", title="Fig. 6.1  tanh, orthogonal $W_{hh}$")
ax.legend()
plt.show()

# %% [markdown]
# Notice $s = 1$: an orthogonal $W_{hh}$ preserves norms, but $\tanh' < 1$ away from 0, so the gradient still
# vanishes. The edge for tanh lies above $s = 1$, where the gain of $W_{hh}$ compensates the lost slope.
#
# ## 4. The note's scalar form, and where it stops being true
#
# The Chinese note (seed 001) ends its BPTT derivation with these lines:
#
# > 其中 $\frac{\partial h_j}{\partial h_{j-1}} = \sigma'w$ 故 $\frac{\partial h_t}{\partial h_k} = (\sigma'w)^{t-k}$
# >
# > 若 $\sigma'w < 1$ 当 t-k 过大时 $\sigma'w \rightarrow 0$ 导致梯度消失
# >
# > 若 $\sigma'w > 1$ 当 t-k 过大时 $\sigma'w \rightarrow \infty$ 导致梯度爆炸
#
# *"where $\partial h_j/\partial h_{j-1} = \sigma' w$, hence $\partial h_t/\partial h_k = (\sigma' w)^{t-k}$. If
# $\sigma' w < 1$, then for large $t-k$, $\sigma' w \to 0$ and the gradient vanishes. If $\sigma' w > 1$, then for
# large $t-k$, $\sigma' w \to \infty$ and the gradient explodes."* (It means the power $(\sigma'w)^{t-k}$, not
# $\sigma' w$, tends to 0 or $\infty$.)
#
# With one unit ($H = 1$) every factor of (6.3) is a number, $\varphi'(a_j)\,w$, and the product is
#
# $$\frac{\partial h_t}{\partial h_k} = \prod_{j=k+1}^{t} \varphi'(a_j)\, w \;\overset{?}{=}\; (\sigma' w)^{t-k}. \tag{6.5}$$
#
# The power on the right needs **the same slope at every step**: true for a linear unit, or a unit held at
# a fixed operating point. Check both situations with $w = 1.7$:

# %%
w, T1 = 1.7, 40
a_const = np.full((T1, 1), 0.8)                            # the same pre-activation at every step
slope = float(rn.activation_derivative(np.array(0.8), "sigmoid"))
exact = decay.jacobian_norms(np.array([[w]]), a_const, "sigmoid")   # (T1 + 1,)
note = decay.scalar_decay(slope, w, T1 - np.arange(T1 + 1))
gap = np.max(np.abs(exact - note) / note)
print(f"constant slope σ' = {slope:.4f}: max relative gap {rn.below(gap, 1e-12)}")

a_vary = 2 * rng.standard_normal((T1, 1))                  # slopes that change from step to step
exact = decay.jacobian_norms(np.array([[w]]), a_vary, "tanh")[0]
slopes = 1 - np.tanh(a_vary[:, 0]) ** 2
note = decay.scalar_decay(slopes.mean(), w, T1)
print(f"varying slopes: product of the slopes gives {exact:.3e}, (mean σ' · w)^40 gives {note:.3e}")
assert np.isclose(exact, np.prod(slopes * w), rtol=1e-12) and abs(np.log10(exact / note)) > 1

# %% [markdown]
# With varying slopes the power of an average slope is off by orders of magnitude; what decays is the
# product (6.3), i.e. the **geometric** mean of $\varphi'(a_j) w$. For $H > 1$ the factors are matrices,
# they do not commute, and "$< 1$" has to be said about a norm. The note also switches models: its first
# RNN is *linear*, $h_t = w_{xh}x_t + w_{hh}h_{t-1} + b_h$, with $\sigma$ only at the output, where
# $\partial h_t/\partial h_k = (W_{hh}^\top)^{t-k}$ with no $\sigma'$ at all (the identity activation below);
# the $\sigma'$ of (6.5) belongs to its second model $h_t = \sigma(Ux_t + wh_{t-1})$.
#
# **The cases need $|\sigma' w|$, not $\sigma' w$.** A weight can be negative, and $\sigma' w = -2 < 1$ is
# the note's "vanishing" case. But $|(-2)^{n}| = 2^{n}$: it explodes, with alternating sign. The test is
# $|\sigma' w| < 1$ (vanishing) against $|\sigma' w| > 1$ (exploding). Check on the linear unit
# ($\sigma' = 1$) with $w = -2$ and $w = -0.5$, 31 steps:

# %%
for w_neg in (-2.0, -0.5):
    n_neg = decay.jacobian_norms(np.array([[w_neg]]), np.zeros((31, 1)), "identity")   # |∂h_31/∂h_k|, (32,)
    P_neg = decay.jacobian_product(np.array([[w_neg]]), np.zeros((31, 1)), 0, "identity")[0, 0]
    regime = "explodes" if n_neg[0] > 1 else "vanishes"
    print(f"σ'w = {w_neg:+.1f} (< 1): ∂h_31/∂h_0 = {P_neg:+.4g} = ({w_neg:g})^31 → the gradient {regime}")
    assert P_neg == w_neg ** 31 and np.allclose(n_neg, abs(w_neg) ** np.arange(31, -1, -1), rtol=1e-12)
    assert (n_neg[0] > 1e9) == (abs(w_neg) > 1) and (n_neg[0] < 1e-9) == (abs(w_neg) < 1)
print("✓ σ'w = −2 satisfies the note's 'σ'w < 1' and still explodes: the test is |σ'w| < 1")

# %% [markdown]
# ## 5. The bound of Pascanu, Mikolov and Bengio — singular values, not eigenvalues
#
# The spectral norm is submultiplicative, $\|AB\|_2 \le \|A\|_2\|B\|_2$, and
# $\|\operatorname{diag}(\varphi'(a_j))\|_2 = \max_i |\varphi'(a_{j,i})| \le \gamma$ with
# $\gamma = \sup|\varphi'|$ ($1$ for tanh, relu and identity; $1/4$ for sigmoid). With
# $\lambda_1 = \|W_{hh}^\top\|_2 = \|W_{hh}\|_2$, the largest singular value,
#
# $$\Big\|\frac{\partial h_T}{\partial h_k}\Big\|_2 \le \prod_{j=k+1}^{T} \|\operatorname{diag}(\varphi'(a_j))\|_2\,\|W_{hh}^\top\|_2 \le (\lambda_1 \gamma)^{T-k}. \tag{6.6}$$
#
# So $\lambda_1 < 1/\gamma$ is **sufficient** for vanishing, and $\lambda_1 > 1/\gamma$ is **necessary** for
# exploding. Check on random draws, and see the bound attained by an orthogonal $W_{hh}$ with the identity
# activation, where every factor has all singular values equal to $s$:

# %%
worst = -np.inf
for trial in range(200):
    Hr, Tr = int(rng.integers(1, 9)), int(rng.integers(1, 40))
    act = rn.ACTIVATIONS[trial % 4]
    kind = decay.INITIALISATIONS[trial % 3]
    Wr = decay.init_recurrent(Hr, rng, kind, scale=float(rng.uniform(0.1, 3.0)))
    logs = decay.jacobian_norms(Wr, 3 * rng.standard_normal((Tr, Hr)), act, log10=True)
    bound = decay.pascanu_bound(Wr, Tr - np.arange(Tr + 1), act, log10=True)
    worst = max(worst, float(np.max(logs - bound)))
print(f"200 random draws: max over k of log10(n_k / bound_k) {rn.below(worst, 1e-9)} "
      "(≤ 0 up to round-off: the bound holds)")

Wo = decay.init_recurrent(8, rng, "orthogonal", scale=1.3)
logs = decay.jacobian_norms(Wo, np.zeros((50, 8)), "identity", log10=True)
bound = decay.pascanu_bound(Wo, 50 - np.arange(51), "identity", log10=True)
print(f"orthogonal, identity activation: max |log10 n_k − log10 bound_k| {rn.below(np.max(np.abs(logs - bound)), 1e-10)}")

# %% [markdown]
# **Eigenvalues are not enough.** A frequent shortcut replaces $\lambda_1$ by the spectral radius $\rho$
# (the largest $|$eigenvalue$|$). For a *normal* matrix (symmetric, orthogonal) the two agree, and in the long
# run $\|W^n\|^{1/n} \to \rho$ for any matrix. But for a non-normal matrix the gradient can grow for a long
# time although $\rho < 1$. `decay.non_normal_matrix(6, radius=0.9, coupling=1.0)` is $0.9 I$ plus ones above
# the diagonal: its only eigenvalue is $0.9$, while its largest singular value is about twice that (the cell
# prints both).

# %%
Wn = decay.non_normal_matrix(6, radius=0.9, coupling=1.0)
Tn = 150
prof_n = decay.decay_profile(Wn, np.zeros((Tn, 6)), "identity")
peak = int(prof_n.lags[np.argmax(prof_n.log10_norms)])
print(f"ρ = {prof_n.radius:.3f}, λ₁ = {prof_n.lambda1:.3f} = {prof_n.lambda1 / prof_n.radius:.2f} ρ")
print(f"peak ‖(W_hhᵀ)^n‖ = 10^{prof_n.log10_norms.max():.2f} at lag {peak}; at lag {Tn}: 10^{prof_n.log10_total:.2f}")
assert 1.5 < prof_n.lambda1 / prof_n.radius < 2.5                               # "about twice"
assert prof_n.radius < 1 and prof_n.log10_norms.max() > 4                       # grows > 10^4 × with ρ < 1
assert np.any(prof_n.log10_norms > prof_n.log10_radius)                         # ρ^n is no bound
assert np.all(prof_n.log10_norms <= prof_n.log10_bound + 1e-9)                  # λ₁^n is

fig, ax = plt.subplots(figsize=(6.4, 3.2), layout="constrained")
plot_decay(ax, prof_n.lags, prof_n.log10_norms, prof_n.log10_bound, prof_n.log10_radius)
ax.set_ylim(-8, 30)
ax.set_title(r"Fig. 6.2  non-normal $W_{hh}$: $\rho = 0.9$, yet the gradient grows first")
plt.show()

# %% [markdown]
# ## 6. ReLU: dead units zero whole rows
#
# The note writes (seed 001, original and translation):
#
# > $$(Rule) \sigma' = \text{diag}(0, 1, \dots)$$
# > 其中 $\frac{\partial h_j}{\partial h_{j-1}} = \sigma'w$ 故 $\frac{\partial h_t}{\partial h_k} = (\sigma'w)^{t-k}$ 相当于在 w 中某一行置为 0 (初等行变换)
#
# *"(ReLU) $\sigma' = \operatorname{diag}(0, 1, \dots)$, where $\partial h_j/\partial h_{j-1} = \sigma' w$, hence
# $\partial h_t/\partial h_k = (\sigma' w)^{t-k}$: this amounts to setting a row of $w$ to 0 (an elementary row
# operation)."* The row statement is right in the note's column notation; the power is not (section 4). In (6.2) a dead unit $i$ ($a_{t,i} < 0$, $\varphi' = 0$) zeroes **row $i$ of
# $J_t$**, i.e. row $i$ of $W_{hh}^\top$ = column $i$ of $W_{hh}$ in the row notation: nothing flows back
# through that unit at that step. If every unit is dead at some step, the product (6.3) is exactly zero from
# there on. First the note's element-wise Jacobian: for $y = \varphi(x)$ applied entry by entry,
# $\partial y_i/\partial x_j = 0$ for $i \ne j$, so $\partial y/\partial x = \operatorname{diag}(\varphi'(x))$ — for ReLU a
# diagonal of zeros and ones (finite differences, away from the kink at 0):

# %%
x6 = np.array([-1.0, 0.5, -0.2, 2.0])
J_relu = np.stack([rn.numerical_gradient(lambda v: rn.apply_activation(v, "relu")[i], x6) for i in range(4)])
print(np.array2string(J_relu, precision=3, suppress_small=True))
assert np.allclose(J_relu, np.diag([0.0, 1.0, 0.0, 1.0]), atol=1e-9)

# %%
W6 = rng.standard_normal((4, 4))
J6 = decay.step_jacobian(W6, x6, "relu")                 # units 0 and 2 dead: diag(0, 1, 0, 1) W_hhᵀ
print(np.array2string(J6, precision=3, suppress_small=True))
assert np.all(J6[[0, 2]] == 0) and np.array_equal(J6[[1, 3]], W6.T[[1, 3]])

a_dead = rng.uniform(0.1, 1.0, (8, 4))                    # every unit alive …
a_dead[3] = -1.0                                           # … except at step 4: every unit dead
norms = decay.jacobian_norms(W6, a_dead, "relu")
print("n_k for k = 0 … 8:", " ".join(f"{v:.3g}" for v in norms))
assert np.all(norms[:4] == 0) and np.all(norms[4:] > 0)

# %% [markdown]
# ## 7. Past the float64 range
#
# An exploding product eventually leaves the floating-point range (about $1.8\times10^{308}$). The plain
# product turns into `inf`, then `nan` (`inf − inf` inside the matmul): every entry below is `nan`.
# Carried renormalised, the logarithm stays exact: here $\|(3Q^\top)^{n}\| = 3^{n}$ for an orthogonal $Q$, so $\log_{10} n_0 = 1000 \log_{10} 3 \approx 477.1$.

# %%
W7 = decay.init_recurrent(16, rng, "orthogonal", scale=3.0)
a7 = np.zeros((1000, 16))
logs = decay.jacobian_norms(W7, a7, "identity", log10=True)
print(f"log10 n_0 = {logs[0]:.6f}, exact 1000·log10(3) = {1000 * np.log10(3):.6f}")
assert abs(logs[0] - 1000 * np.log10(3)) < 1e-9

with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    plain = decay.jacobian_norms(W7, a7, "identity")
print(caught[0].message)
m = int(np.isinf(plain).sum())
print(f"plain norms: {m} of {plain.size} are inf, at the lags {1001 - m} … 1000")
assert np.isinf(plain[0]) and np.isfinite(plain[-400:]).all()

with np.errstate(over="ignore", invalid="ignore"):
    P_plain = decay.jacobian_product(W7, a7, 0, "identity")  # the product with no renormalisation
print(f"plain product ∂h_1000/∂h_0: {np.isinf(P_plain).sum()} inf and {np.isnan(P_plain).sum()} nan "
      f"of {P_plain.size} entries")
assert not np.all(np.isfinite(P_plain))

# %% [markdown]
# ## 8. Initialisations
#
# Three choices for $W_{hh}$ (`decay.init_recurrent`, reused in lesson 7), each multiplied by a weight scale $s$:
#
# $$W_{hh} = \begin{cases} s\,G/\sqrt{H}, & G_{ij} \sim \mathcal N(0, 1) \quad\text{(gaussian: } \rho \approx s,\ \lambda_1 \approx 2s\text{)}\\
#   s\,Q, & G = QR,\ Q \leftarrow Q\,\operatorname{diag}(\operatorname{sign} R_{ii}) \quad\text{(orthogonal: all singular values } s\text{)}\\
#   s\,I & \text{(identity, Le et al. 2015, for ReLU)} \end{cases} \tag{6.8}$$
#
# The sign fix makes $Q$ uniformly (Haar) distributed; without it numpy's QR favours negative diagonals.
# Their singular values at $H = 64$, $s = 1$:

# %%
for kind in decay.INITIALISATIONS:
    Wk = decay.init_recurrent(64, rng, kind)
    sv = np.linalg.svd(Wk, compute_uv=False)
    rho = np.max(np.abs(np.linalg.eigvals(Wk)))
    print(f"{kind:>10}: λ₁ = {sv[0]:.3f}, smallest singular value = {sv[-1]:.3f}, ρ = {rho:.3f}")

# %% [markdown]
# The gaussian matrix is the odd one out: $\rho \approx 1$ but $\lambda_1 \approx 2$, and its smallest singular
# value is near 0 — some directions are amplified, others crushed, at every step. The orthogonal and identity
# matrices start every direction at exactly norm 1.
#
# ## 9. The phase diagram and the widget
#
# For a fixed base matrix $W_{base}$ and fixed inputs, scale $W_{hh} = s\,W_{base}$ and record, for every
# length $T$, the norm over the whole sequence:
#
# $$N(s, T) = \log_{10}\Big\|\frac{\partial h_T}{\partial h_0}\Big\|_2 \quad\text{for } W_{hh} = s\,W_{base}. \tag{6.7}$$
#
# `decay.phase_diagram` runs all scales at once and needs only one product per scale, since
# $\partial h_T/\partial h_0 = J_T(\partial h_{T-1}/\partial h_0)$ for every $T$. The widget draws it once per
# (initialisation, activation, hidden size) and caches it; moving the **scale** or **length** slider recomputes
# one profile (a few ms) and moves the lines and the marker. Things to try:
#
# * tanh, gaussian: where is the edge (white band)? Why to the right of $s = 1$?
# * identity, orthogonal: the observed line lies *on* the bound. Scale 3, length 1000: the norm passes the
#   float64 range and the readout says so (at length 300 it is $3^{300} \approx 10^{143}$, still in range).
# * identity, **randn** (`np.random.randn(H, H) * s`, no $1/\sqrt{H}$ — the way many scripts initialise):
#   at $H = 64$ the spectral radius is about $8s$, and scale 3, length 300 already overflows float64.
#   Switch the activation to tanh with the same weights: saturation multiplies in factors $\varphi' < 1$ and
#   pulls the norm back into range (about $10^{100}$), but it still explodes — tanh alone does not save you.
#   (Its exact exponent differs from machine to machine: at this scale the forward pass is chaotic, see below.)
# * sigmoid: with $\gamma = 1/4$ the bound only allows exploding for $\lambda_1 > 4$.
# * relu, identity initialisation at $s = 1$: IRNN. Dead units cut the product to exactly zero.
# * tanh at large $s$: the network is chaotic; the gradient explodes although $\tanh$ saturates.

# %%
explorer = decay_explorer(scale=1.0, T=200, H=64, activation="tanh", init="gaussian")
explorer.widget

# %%
settings = [(1.0, 200, 64, "tanh", "gaussian"), (3.0, 300, 64, "identity", "orthogonal"),
            (3.0, 1000, 64, "identity", "orthogonal"), (3.0, 300, 64, "identity", "randn"),
            (1.0, 200, 64, "relu", "identity")]
print("\n".join(f"s = {s:.1f}, T = {T:4d}, {act:>8}, {init:>10}: {explorer.compute(s, T, H, act, init).summary()}"
                for s, T, H, act, init in settings))
assert explorer.compute(3.0, 1000, 64, "identity", "orthogonal").overflow
assert explorer.compute(3.0, 300, 64, "identity", "randn").overflow
assert not explorer.compute(3.0, 300, 64, "identity", "orthogonal").overflow

chaos = explorer.compute(3.0, 300, 64, "tanh", "randn")
print(f"s = 3.0, T =  300,     tanh,      randn: {chaos.regime}, ‖∂h_T/∂h_0‖ ≈ 10^100 (between 10^60 and 10^150)")
assert chaos.regime == "exploding" and not chaos.overflow and 60 < chaos.log10_total < 150

# %% [markdown]
# Why only a range for the last setting: at $s = 3$ with `randn` weights the tanh network is **chaotic** —
# two forward passes whose inputs differ by one part in $10^{13}$ (the size of a round-off difference between
# two BLAS kernels) end in different states, and so with different slopes $\varphi'(a_j)$ in (6.3). The
# exponent of the norm then depends on the machine; its order of magnitude does not.

# %%
W_chaos, c_chaos = 3.0 * explorer.base("randn", 64)[0], explorer.inputs(64)[:300]     # (64, 64), (300, 64)
a_one = decay.driven_preactivations(c_chaos, W_chaos, "tanh")                           # (300, 64)
a_two = decay.driven_preactivations(c_chaos * (1 + 1e-13), W_chaos, "tanh")
state_gap = np.abs(np.tanh(a_one) - np.tanh(a_two)).max(axis=1)                          # (300,)
log_gap = abs(decay.jacobian_norms(W_chaos, a_one, "tanh", log10=True)[0]
              - decay.jacobian_norms(W_chaos, a_two, "tanh", log10=True)[0])
print(f"inputs 1 part in 10^13 apart: states differ by {rn.below(state_gap[0], 1e-9)} at step 1, "
      f"by more than 0.1 at step 300; the exponents of ‖∂h_T/∂h_0‖ differ by more than 0.01")
assert state_gap[-1] > 0.1 and log_gap > 0.01

# %% [markdown]
# The same phase diagram as a still picture (the widget's cached copy, nothing recomputed), for tanh and a
# gaussian $W_{hh}$ at $H = 64$. Blue: vanishing; red: exploding; the black lines bound the band where the
# gradient over the whole sequence stays within a factor 100 of 1.

# %%
phase = explorer.phase("gaussian", "tanh", 64)               # (S, L), cached
fig, ax = plt.subplots(figsize=(5.6, 3.6), layout="constrained")
art = plot_phase_diagram(ax, PHASE_SCALES, PHASE_LENGTHS, phase)
fig.colorbar(art["image"], ax=ax, extend="both", label=r"$\log_{10}\|\partial h_T/\partial h_0\|$ (clipped at ±20)")
ax.set_title("Fig. 6.3  tanh, gaussian $W_{hh}$, $H = 64$")
plt.show()
edge = PHASE_SCALES[np.argmax(phase[:, -1] > 0)]
print(f"at T = {PHASE_LENGTHS[-1]} the norm first exceeds 1 at s = {edge:.1f}")

# %% [markdown]
# ## 10. Gated cells on the same plot: vanilla, GRU, LSTM
#
# Lesson 7 derives two cells whose one-step Jacobian contains a term with **no weight matrix and no
# $\varphi'$**: the GRU's $\operatorname{diag}(z_t)$ (eq. (7.14)) and the LSTM's $\partial c_t/\partial c_{t-1} = \operatorname{diag}(f_t)$
# (eq. (7.29)). Here is the same decay profile (6.4) for all three, on one input sequence of length 100
# (an adding-problem sequence, $H = 16$, at initialisation). For the LSTM the state is the pair
# $s_t = [h_t, c_t]$, so its profile is $\|\partial s_T/\partial s_k\|_2$. The gates' biases are the knob: an update
# gate or forget gate with bias $b$ starts near $\sigma(b)$ ($0.73$ for $b = 1$, $0.95$ for $b = 3$).

# %%
T10, H10 = 100, 16
xs10, _ = rn.adding_problem(1, T10, np.random.default_rng(60))                  # (T10, 1, 2)
gate_profiles = {"vanilla": {}, "GRU": {}, "LSTM": {}}
for model in ("tanh", "orthogonal"):
    p10 = rn.init_model(model, 2, H10, 1, np.random.default_rng(61))
    a10 = decay.preactivations(xs10, None, p10["W_xh"], p10["W_hh"], p10["b_h"], "tanh")[:, 0]   # (T10, H10)
    kind = "gaussian" if model == "tanh" else "orthogonal"
    gate_profiles["vanilla"][f"tanh, {kind} W_hh"] = decay.jacobian_norms(p10["W_hh"], a10, "tanh")
for bias in (1.0, 3.0):
    _, gcache = rn.gru_forward(xs10, np.zeros((1, H10)), rn.init_gru_params(2, H10, np.random.default_rng(62), gate_bias=bias))
    gate_profiles["GRU"][f"update-gate bias {bias:.0f}"] = rn.gru_jacobian_norms(gcache)
    _, lcache = rn.lstm_forward(xs10, None, None, rn.init_lstm_params(2, H10, np.random.default_rng(62), forget_bias=bias))
    gate_profiles["LSTM"][f"forget-gate bias {bias:.0f}"] = rn.lstm_jacobian_norms(lcache)

fig, axes = plt.subplots(1, 3, figsize=(10, 3.2), sharey=True, layout="constrained")
for ax, (cell, lines) in zip(axes, gate_profiles.items()):
    for label, n in lines.items():
        ax.plot(np.arange(T10, -1, -1), np.log10(n), label=label)                # lag T − k
    ax.set(title=cell, xlabel="lag $T-k$")
    ax.legend(fontsize=8)
axes[0].set_ylabel(r"$\log_{10}\|\partial h_T/\partial h_k\|_2$  (LSTM: $s = [h, c]$)")
fig.suptitle("Fig. 6.4  decay profiles at initialisation, one sequence, same lags")
plt.show()
for cell, lines in gate_profiles.items():
    for label, n in lines.items():
        print(f"{cell:>7}, {label:24s}: lag 10: 10^{np.log10(n[-11]):.1f}, lag 100: 10^{np.log10(n[0]):.1f}")
lag100 = {(c, l): float(np.log10(n[0])) for c, lines in gate_profiles.items() for l, n in lines.items()}
assert all(v < -4 for (c, _), v in lag100.items() if c == "vanilla")                        # vanishes
assert lag100["GRU", "update-gate bias 3"] > -2 and lag100["LSTM", "forget-gate bias 3"] > -2  # survives
assert lag100["GRU", "update-gate bias 1"] < -4                                              # bias 1: like vanilla

# %% [markdown]
# With its gates at bias 1 the GRU starts no better than the vanilla RNN — $0.73^{100}$ is small — and the
# LSTM only somewhat better. With bias 3 both carry the gradient over 100 steps, where the vanilla RNN loses
# five orders of magnitude: the additive path makes the factor per step a gate value, not
# $\varphi' \cdot W_{hh}$, and a gate value can sit near 1 without any weight having to be tuned. Lesson 7 shows
# what training does with these gates.

# %% [markdown]
# ## 11. Why vanishing is structural, and why exploding makes cliffs
#
# **Bengio, Simard and Frasconi (1994).** A network that must *remember* a bit over a long time has to keep
# it despite small disturbances of its state. In one unit,
#
# $$h_t = \tanh(w\,h_{t-1} + \varepsilon_t), \quad \varepsilon_t \sim \mathcal N(0, 0.2^2), \quad h_0 = 1 \tag{6.9}$$
#
# stores the bit as the sign of $h$. For $w > 1$, $\tanh(w h)$ has two attracting fixed points $\pm h^*$, and
# near them $|w(1 - h^{*2})| < 1$: a disturbance is *shrunk* at every step, which is what makes the storage
# robust. But the same factor is the step Jacobian of (6.2), so
#
# $$\frac{\partial h_T}{\partial h_0} = \prod_{t=1}^{T} w\,(1 - h_t^2) \tag{6.10}$$
#
# is a product of factors below 1: **the property that stores the bit is the property that kills the
# gradient.** Where the dynamics do not contract ($w \le 1$), noise accumulates and the bit is lost.
# `rn.longrange.bit_latch` runs 2000 noisy sequences of 100 steps for each $w$:

# %%
latch = [longrange.bit_latch(w, T=100, noise=0.2, n=2000, rng=np.random.default_rng(94))
         for w in (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0)]
for r in latch:
    print(f"w = {r.w:4.2f}: bit kept in {100 * r.retained:5.1f} % of sequences; "
          f"median |∂h_100/∂h_0| = 10^{r.log10_gradient:.0f}")
robust = [r for r in latch if r.retained > 0.99]
lost = [r for r in latch if r.retained < 0.6]
assert robust and lost and all(r.log10_gradient < -30 for r in robust)        # robust ⇒ vanishing
assert all(r.log10_slope < 0 for r in robust)                                 # every step contracts
best = max(latch, key=lambda r: r.log10_gradient)
assert best in lost                                                           # the best gradient forgets
print(f"✓ every w that keeps the bit (> 99 %) has |∂h_100/∂h_0| < 10^-30; the w with the largest gradient "
      f"(w = {best.w:g}) keeps it in only about half the sequences")

# %% [markdown]
# (Even at $w \approx 1$ the gradient shrinks here — noise pushes $h$ off 0, where $\tanh' < 1$ — but it is
# the largest on the grid, and it comes with a memory that does not work.) This is Bengio et al.'s theorem
# in one unit: robust latching needs $|\partial h_t/\partial h_{t-1}| < 1$ around the stored state, hence
# a vanishing gradient. No learning rate or optimiser changes it; an architecture can — a path whose factor
# is a gate value (section 10).
#
# **Pascanu, Mikolov and Bengio (2013): the cliff.** The exploding half has its own picture. Their one-unit
# RNN, with $x_0 = 0.5$, $T = 50$, target $0.7$:
#
# $$x_t = w\,\sigma(x_{t-1}) + b, \qquad L(w, b) = (x_{50} - 0.7)^2. \tag{6.11}$$
#
# For large $w$ the map has two attractors; a small change of $b$ that moves $x_0$ from one basin into the
# other changes $x_{50}$ — and $L$ — by a jump. Near the jump the loss surface is a **wall**: the gradient
# there is enormous, because it contains the product of step Jacobians of the unstable point between the
# basins. `longrange.pascanu_cliff` returns $L$ and its exact gradient (forward-mode along the recurrence);
# check the gradient against finite differences away from the wall, then look at the cut $w = 5$:

# %%
wb = np.array([4.7, -2.9])
L_wb, gw_wb, gb_wb = longrange.pascanu_cliff(wb[0], wb[1])
check = rn.check_gradient(lambda v: float(longrange.pascanu_cliff(v[0], v[1])[0]), wb, np.array([gw_wb, gb_wb]),
                          name="(∂L/∂w, ∂L/∂b) of (6.11)")
print(check)
assert check.ok

w_cut = 5.0
b_grid = np.linspace(-3.2, -2.0, 1201)
L_cut, _, gb_cut = longrange.pascanu_cliff(w_cut, b_grid)                 # (1201,) each
wall = longrange.cliff_edge(w_cut, -2.7, -2.5)
fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(10, 3.2), layout="constrained")
ax_l.plot(b_grid, L_cut)
ax_l.axvline(wall, color="C3", lw=0.8, ls=":")
ax_l.set(xlabel="$b$", ylabel="$L$", title=f"Fig. 6.5  the loss along $w = {w_cut:g}$: a wall at $b \\approx {wall:.3f}$")
ax_g.semilogy(b_grid, np.abs(gb_cut))
ax_g.set(xlabel="$b$", ylabel=r"$|\partial L/\partial b|$", title="the gradient: large only at the wall")
plt.show()

# %% [markdown]
# Stand next to the wall ($b$ one millionth below it) and take one gradient step with learning rate $0.01$,
# once plain and once with the gradient clipped to norm 1 (lesson 7, eq. (7.6)):

# %%
p0 = np.array([w_cut, wall - 1e-6])
L0, gw0, gb0 = (float(v) for v in longrange.pascanu_cliff(*p0))
g0 = np.array([gw0, gb0])
steps = {"plain step": -0.01 * g0, "norm-clipped step": -0.01 * g0 * min(1.0, 1.0 / np.linalg.norm(g0))}
after = {name: float(longrange.pascanu_cliff(*(p0 + step))[0]) for name, step in steps.items()}
print(f"at the wall: L = {L0:.2f}, ‖∇L‖ ≈ 10^{np.log10(np.linalg.norm(g0)):.0f} "
      f"(median |∂L/∂b| over the whole cut: {np.median(np.abs(gb_cut)):.0f})")
for name, step in steps.items():
    print(f"{name:17s}: moves (w, b) by {np.linalg.norm(step):8.3g}, loss afterwards {after[name]:.3g}")
assert np.linalg.norm(g0) > 1e3 * np.median(np.abs(gb_cut))
assert after["plain step"] > 100 * L0 and after["norm-clipped step"] < L0
print("✓ the plain step is thrown a thousand units away and the loss explodes; the clipped step, in the same "
      "direction but of length 0.01, crosses the wall and the loss drops")

# %% [markdown]
# The gradient at the wall points the right way — across it, downhill — but its length says nothing about how
# far the downhill region reaches. Norm clipping keeps the direction and replaces the length by a safe one.
# That is why lesson 7 clips every run. It does nothing for the vanishing half: there the direction
# itself carries no information about the distant past.

# %% [markdown]
# ## Exercises
#
# Each exercise starts from a deliberately naive attempt; run the checker, read the hint, fix the function.
#
# **Exercise 6.1.** Write one step's Jacobian of a tanh RNN in the row notation: `step_jacobian(W_hh, a_t)`
# returns the $(H, H)$ matrix with entry $(i, j) = \partial h_{t,i}/\partial h_{t-1,j}$. The attempt below copies
# the column-vector formula.

# %%
def my_step_jacobian(W_hh, a_t):
    return np.diag(1 - np.tanh(a_t) ** 2) @ W_hh


exercises.check_step_jacobian(my_step_jacobian)

# %% [markdown]
# **Exercise 6.2.** With the identity activation the gradient sent back $n$ steps is
# $\delta_{T-n} = \delta_T (W_{hh}^\top)^n$. Return $\log_{10}\|\delta_{T-n}\|$ for $n = 0, \dots, T$, exact even
# when $\|\delta\|$ passes $10^{308}$. The attempt below is right until it overflows.

# %%
def my_log10_backprop(W_hh, delta_T, T):
    out = [np.log10(np.linalg.norm(delta_T))]
    delta = delta_T
    for _ in range(T):
        delta = delta @ W_hh.T
        out.append(np.log10(np.linalg.norm(delta)))
    return np.array(out)


exercises.check_log10_backprop(my_log10_backprop)

# %% [markdown]
# **Exercise 6.3.** Write the orthogonal initialisation: `my_orthogonal(H, rng)` returns an $(H, H)$ orthogonal
# matrix drawn uniformly (Haar). The attempt takes $Q$ from `np.linalg.qr` as it comes.

# %%
def my_orthogonal(H, rng):
    Q, R = np.linalg.qr(rng.standard_normal((H, H)))
    return Q


exercises.check_orthogonal_init(my_orthogonal)

# %% [markdown]
# ## Summary
#
# * One step: $J_t = \operatorname{diag}(\varphi'(a_t))\,W_{hh}^\top$ (6.2); over a lag, the ordered product
#   $J_T\cdots J_{k+1}$ (6.3). Both checked against finite differences.
# * The Chinese note's $(\sigma' w)^{t-k}$ (6.5) is exact only for one unit with a constant slope; with varying
#   slopes it is the product of the slopes, and for vectors a product of matrices. Its first model is linear,
#   where no $\sigma'$ appears at all.
# * $\|\partial h_T/\partial h_k\|_2 \le (\lambda_1\gamma)^{T-k}$ (6.6) with $\lambda_1$ the largest **singular
#   value**: $\lambda_1\gamma < 1$ guarantees vanishing, $\lambda_1\gamma > 1$ is needed for exploding. The
#   spectral radius is no bound: a non-normal matrix with $\rho = 0.9$ amplified the gradient more than $10^{4}$ times.
# * Dead ReLU units zero rows of $J_t$ (the note's $\operatorname{diag}(0, 1, \dots)$); all dead, and the gradient
#   is exactly zero.
# * Exploding norms are computed as logarithms of a renormalised product: exact far past $10^{308}$, and an
#   overflow is reported as an overflow.
# * Orthogonal and identity initialisations start every direction at norm 1 (6.8); the phase diagram (6.7)
#   shows where each activation's edge lies.
# * Gated cells add a path whose factor per step is a gate value: with gate biases of 3 the GRU and the LSTM
#   carry the gradient over 100 steps where the vanilla RNN loses five orders of magnitude (Fig. 6.4).
# * Storing a bit robustly needs contracting dynamics, and contraction makes the gradient vanish (6.9)–(6.10):
#   vanishing is structural, not an accident of the initialisation. Exploding gradients make walls in the
#   loss surface (6.11), where a plain step is thrown away and a norm-clipped one is not.
#   Lesson 7 uses this to fix the problem: clipping, truncation,
#   initialisation and gates.
