# %% [markdown]
# # Lesson 7 — What fixes it: clipping, truncation, initialisation and gating
#
# Lesson 6 ended with a diagnosis: the gradient that reaches step $k$ from a loss at step $T$ passes
# through the product $J_T J_{T-1}\cdots J_{k+1}$ of one-step Jacobians, and for a plain tanh RNN that
# product shrinks or grows geometrically with the lag $T-k$. So what do people do about it? This lesson
# answers by **measuring**: on two tasks whose difficulty is one knob, the lag, we watch a plain tanh RNN
# fail and try each remedy on the same task with the same budget.
#
# **After this lesson you can**
# 1. build the adding problem and the copy task and say, exactly, what a model that learns nothing scores;
# 2. derive clipping by global norm and element-wise clipping, and show which one keeps the gradient's direction;
# 3. explain what truncated BPTT buys (cost, bounded products) and what it cannot buy (long memory);
# 4. initialise a recurrent matrix so the decay product starts near norm 1 (orthogonal, IRNN);
# 5. derive the backward pass of a GRU by hand, check it against finite differences, and see on lesson 6's
#    plot why its gradient survives long lags;
# 6. derive the LSTM's backward pass and its constant error carousel $\partial c_t/\partial c_k = \prod f_j$, and
#    say what the forget-gate bias does;
# 7. read a success-against-lag plot, with the trivial baseline, and state what each remedy achieved.
#
# *How to use this notebook:* run it top to bottom (**Run → Run All Cells**). The training runs use small
# settings so the whole lesson runs in one to two minutes; set `FULL = True` in the first code cell for the
# larger setting (more steps, a wider network, a longer lag; about 15 minutes on two cores before the LSTM
# runs were added, so expect 20–30 now). The asserts that state what the small setting shows are skipped
# there: the larger budget changes some of the answers (section 9 says which).

# %% [markdown]
# ## Notation
#
# Row vectors as in every lesson: $h_t = \varphi(x_t W_{xh} + h_{t-1} W_{hh} + b_h)$, $x_t$ is $(B, D)$,
# $h_t$ is $(B, H)$, sequences are time-major $(T, B, \cdot)$. Two source notes touch this lesson.
#
# | quantity | this course (rows) | Chinese note (seed 001, columns) | German note (seed 000) |
# |---|---|---|---|
# | recurrence | $h_t = \varphi(x_t W_{xh} + h_{t-1}W_{hh} + b_h)$ | $h_t = \sigma(U x_t + w h_{t-1})$ | $H = W_2(X + H) + B_2$ (linear) |
# | input weights | $W_{xh}$, $(D, H)$ | $U = W_{xh}^\top$ | $W_2$ (shared with $X$) |
# | recurrent weights | $W_{hh}$, $(H, H)$ | $w = W_{hh}^\top$ | $W_2$ |
# | one-step Jacobian | $J_t = \partial h_t/\partial h_{t-1} = \operatorname{diag}(\varphi'(a_t))\,W_{hh}^\top$ (6.2) | $\sigma' w$ | — |
# | decay over a lag | $J_T\cdots J_{k+1}$ (6.3) | $(\sigma' w)^{t-k}$ | one factor only |
# | ReLU's Jacobian | $\operatorname{diag}(\mathbf 1[a_t > 0])$ | $\sigma' = \operatorname{diag}(0, 1, \dots)$ | — |
# | truncated BPTT | `truncate=τ` keeps $0 \le t-k < \tau$ (5.5) | — | its gradient for $W_2, B_2$ is $\tau = 1$ |
#
# The remedies come from the literature, not from the notes; their symbols map as follows. Pascanu,
# Mikolov and Bengio (2013) clip $\hat g \leftarrow \frac{\text{threshold}}{\|\hat g\|}\hat g$: our $c$ and
# $g$. min-char-rnn clips with `np.clip(dparam, -5, 5)`: our element-wise clipping with $c = 5$. The GRU
# (Cho et al. 2014) writes $z, r, \tilde h$ for the update gate, reset gate and candidate; d2l writes
# $Z_t, R_t, \tilde H_t$ with rows as here, and $H_t = Z_t \odot H_{t-1} + (1-Z_t)\odot \tilde H_t$, the
# convention we use (Chung et al. 2014 swap the roles of $z$ and $1-z$). For the LSTM, d2l writes
# $I_t, F_t, O_t, \tilde C_t, C_t$ with rows as here: our $i_t, f_t, o_t, g_t, c_t$; Graves (2013) writes the
# same gates for column vectors (and adds peephole weights, which we leave out).

# %%
# %matplotlib inline
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import rnnedu as rn
from rnnedu import decay, longrange
from rnnedu.exercises import lesson07 as exercises
from rnnedu.plotting.training import plot_decay_profiles, plot_grad_norms, plot_loss_curve, plot_success_vs_lag
from rnnedu.widgets.training import clipping_explorer

rng = np.random.default_rng(7)

FULL = False  # True: the larger setting for learners (20–30 minutes on two cores)
if FULL:
    HIDDEN, STEPS, LR, LAGS, COPY_STEPS = 32, 3000, 3e-3, (10, 30, 60, 100), 2000
else:
    HIDDEN, STEPS, LR, LAGS, COPY_STEPS = 16, 400, 1e-2, (10, 30, 60), 400
print(f"setting: {'FULL' if FULL else 'small (CI)'}: H = {HIDDEN}, {STEPS} steps of batch 32, "
      f"Adam learning rate {LR:g}, lags {LAGS}")

# %% [markdown]
# ## 1. Two tasks with a lag, and what learning nothing scores
#
# **The adding problem** (Hochreiter and Schmidhuber 1997, in the form of Arjovsky, Shah and Bengio 2016).
# Each step carries two numbers: a value $u_t \sim U[0, 1]$ and a marker $m_t \in \{0, 1\}$, with exactly
# one marker in each half of the sequence. The target, read at the last step, is the sum of the two marked
# values. The first marker can sit up to $T-1$ steps before the answer, so the lag is the length $T$.
#
# A model that ignores the inputs can only predict a constant $c$. Since the two marked values are
# independent with variance $1/12$ each,
#
# $$\mathbb E\big[(u_1 + u_2 - c)^2\big] = \operatorname{Var}(u_1 + u_2) + \big(\mathbb E[u_1 + u_2] - c\big)^2
# = \tfrac16 + (1 - c)^2, \tag{7.1}$$
#
# smallest at $c = 1$: **MSE $1/6 \approx 0.167$** is the number every model must beat.
#
# **The copy task** (Arjovsky et al. 2016). Ten symbols drawn from 8, then $T-1$ blanks, a delimiter,
# and ten more blanks ($T + 20$ steps); after the delimiter the model must output the ten symbols. A
# memoryless model that knows the layout predicts blank with certainty (cost 0) for $T + 10$ steps and
# the uniform distribution over the 8 symbols at the 10 recall steps (cost $\ln 8$ each). Per step:
#
# $$\text{copy baseline} = \frac{10 \ln 8}{T + 20}. \tag{7.2}$$

# %%
xs, y = rn.adding_problem(3, 8, rng)
print("adding problem, lag 8, example 0:")
print("  values :", " ".join(f"{v:.2f}" for v in xs[:, 0, 0]))
print("  markers:", " ".join(f"{int(v):4d}" for v in xs[:, 0, 1]))
print(f"  target : {y[0]:.4f}")
X, Y = rn.copy_task(1, 5, rng)
print("copy task, lag 5:  input ", "".join("_12345678|"[i] for i in X[:, 0]))
print("                   target", "".join("_12345678|"[i] for i in Y[:, 0]))

# %% [markdown]
# **Check (7.1) and (7.2).** Sample 200 000 adding targets and compare the MSE of predicting 1 with 1/6
# (within five standard errors); for the copy task, build the memoryless strategy's logits
# (`rn.copy_memoryless_logits`) and score them with lesson 1's `cross_entropy`: the value must be
# the formula, to rounding.

# %%
_, y_big = rn.adding_problem(200_000, 20, np.random.default_rng(70))
sq = (y_big - 1.0) ** 2
se = sq.std() / np.sqrt(sq.size)
print(f"adding: sampled MSE of predicting 1 = {sq.mean():.4f} ± {se:.4f}, formula (7.1) = {rn.adding_baseline_mse(1.0):.4f}")
assert abs(sq.mean() - 1 / 6) < 5 * se
for lag in (10, 100):
    _, Yc = rn.copy_task(64, lag, np.random.default_rng(lag))
    ce = rn.cross_entropy(rn.copy_memoryless_logits(lag, 64), Yc)
    print(f"copy, lag {lag:3d}: memoryless cross-entropy = {ce:.6f}, formula (7.2) = {rn.copy_baseline(lag):.6f}")
    assert abs(ce - rn.copy_baseline(lag)) < 1e-12
print("✓ both baselines are exact")

# %% [markdown]
# ## 2. A loss on the last step only: reuse BPTT, don't copy it
#
# The adding problem needs a regression head on the last state, $\hat y = h_T W_{hy} + b_y$ with
# $W_{hy}$ of shape $(H, 1)$, and the mean squared error over the batch:
#
# $$L = \frac1B\sum_b (\hat y_b - y_b)^2,\qquad \frac{\partial L}{\partial \hat y} = \frac2B(\hat y - y),\qquad
# \frac{\partial L}{\partial h_T} = \frac{\partial L}{\partial \hat y}\,W_{hy}^\top. \tag{7.3}$$
#
# Lesson 5's `rnn_backward(dhs, …)` takes $\partial L/\partial h_t$ *as it arrives directly from the loss*
# at every step. Here it is zero for $t < T$ and (7.3) at $t = T$; BPTT itself is not rewritten.
# `rn.model_loss_and_grads` does exactly this composition; check it for every parameter.

# %%
params = rn.init_model("tanh", 2, 5, 1, rng)
batch = rn.adding_problem(4, 12, rng)
loss, grads = rn.model_loss_and_grads(params, batch, model="tanh", task="adding")
print(f"MSE on this batch = {loss:.4f}")
for key in params:
    check = rn.check_gradient(
        lambda v, key=key: rn.model_loss_and_grads({**params, key: v}, batch, model="tanh", task="adding")[0],
        params[key], grads[key], name=f"{key:5s}")
    print(check)
    assert check.ok

# %% [markdown]
# ## 3. The failure, and the two halves of it
#
# Lesson 6 split the trouble in two. When the decay product **explodes**, one gradient step can throw the
# parameters far away (Pascanu et al.'s "cliffs"). When it **vanishes**, the gradient carries no signal
# about inputs far in the past, so there is nothing to learn from. Each remedy below targets one half.
# First the second half, measured: train the plain tanh RNN on the adding problem at each lag.

# %%
# NBVAL_IGNORE_OUTPUT
# Why: a trained MSE that is still moving depends on round-off (chaotic training, shown below)
tanh_runs = [rn.run_task("tanh", "adding", lag, hidden=HIDDEN, n_steps=STEPS, lr=LR, progress=False)
             for lag in LAGS]
for run in tanh_runs:
    print(run)

# %% [markdown]
# In the small setting, the tanh RNN learns the shortest lag; from lag 30 on it ends at the baseline 1/6 —
# it has learned to predict the mean and nothing more. (Same batches, same Adam with learning rate `LR`, same norm clipping
# at 1 for every model in this lesson unless stated.)
#
# **These numbers are not the same on every machine.** Four hundred small steps of a network that is still
# learning amplify any difference, even one in the last bit of a sum: two BLAS kernels order the sums
# differently, and the last digits of the trained MSE at lag 10 move (between about 0.013 and 0.026 on the
# three configurations this lesson is tested on). So the cell above is excluded from the output comparison,
# and what it shows is asserted instead. The proof that the run is chaotic: change the learning rate by
# one part in $10^{12}$ and train again. The runs stuck at the baseline are not chaotic — they have
# converged to predicting the mean.

# %%
learned = [r.lag for r in tanh_runs if r.test_loss < 0.25 * r.baseline]
at_baseline = [r.lag for r in tanh_runs if abs(r.success) < 0.15]
print(f"tanh RNN: below a quarter of the baseline at lags {learned}; within 15 % of the baseline at lags {at_baseline}")
if not FULL:
    assert learned == [LAGS[0]] and at_baseline == list(LAGS[1:])
for run in (tanh_runs[0], tanh_runs[-1]):
    twin = rn.run_task("tanh", "adding", run.lag, hidden=HIDDEN, n_steps=STEPS, lr=LR * (1 + 1e-12), progress=False)
    moved = abs(twin.test_loss - run.test_loss) / run.test_loss
    print(f"lag {run.lag}: learning rate × (1 + 10^-12) moves the test MSE by "
          f"{'more than 1e-3 relative: chaotic' if moved > 1e-3 else 'less than 1e-6 relative: converged'}")
    if not FULL:
        assert moved > 1e-3 if run is tanh_runs[0] else moved < 1e-6

# %% [markdown]
# **What the gradient looks like while the tanh RNN fails.** Lesson 6 measured $\|\partial h_T/\partial h_k\|$ at
# one point; here it is *during* training at lag 30, where the tanh RNN stays at the baseline. With the loss
# on the last step only, BPTT (lesson 5) writes the gradient of $W_{hh}$ as a sum over steps,
#
# $$\delta_T = \frac{\partial L}{\partial h_T},\quad g_k = \delta_k \odot (1 - h_k^2),\quad \delta_{k-1} = g_k W_{hh}^\top,\qquad
#   dW_{hh} = \sum_{k=1}^{T} C_k,\quad C_k = h_{k-1}^\top g_k \tag{7.31}$$
#
# and we record, every 20 steps on a fixed probe batch (`longrange.track_gradient_anatomy`): the size of
# $\delta_k = \partial L/\partial h_k$ at the state that first holds the first marked value, next to
# $\|\delta_T\|$ at the output; and the share of $dW_{hh}$ that comes from steps at lag $T - k \ge T/2$ (where the
# first marker always lies),
#
# $$\text{long share} = \frac{\|\sum_{T-k\ge T/2} C_k\|_F}{\|\sum_{T-k\ge T/2} C_k\|_F + \|\sum_{T-k<T/2} C_k\|_F}. \tag{7.32}$$
#
# Two optimisers, same data: Adam (learning rate `LR`) and plain SGD (learning rate 0.1), both clipped at 1.

# %%
lag_a = LAGS[1]
test_a = rn.adding_problem(500, lag_a, np.random.default_rng(10_000))        # run_task's test batch
anatomy = {}
for opt, lr in (("Adam", LR), ("SGD", 0.1)):
    p_a, hist_a, trace_a = longrange.track_gradient_anatomy(lag_a, hidden=HIDDEN, n_steps=STEPS, lr=lr,
                                                            optimizer=opt.lower(), every=20)
    anatomy[opt] = (hist_a, trace_a, rn.model_loss_and_grads(p_a, test_a, model="tanh", task="adding")[0])

fig, (ax_d, ax_s) = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
for (opt, (hist_a, tr, _)), colour in zip(anatomy.items(), ("C0", "C1")):
    ax_d.semilogy(tr.steps, tr.output, color=colour, label=rf"{opt}: $\|\partial L/\partial h_T\|$ (output)")
    ax_d.semilogy(tr.steps, tr.first_marker, color=colour, ls="--",
                  label=rf"{opt}: $\|\partial L/\partial h_k\|$ at the first marker")
    ax_d.semilogy(hist_a.steps, hist_a.grad_norms, color=colour, lw=0.5, alpha=0.5, label=f"{opt}: ‖g‖, all parameters")
    ax_s.semilogy(tr.steps, tr.long_share, color=colour, label=opt)
ax_d.set(xlabel="training step", title=f"gradients during training, lag {lag_a}")
ax_d.legend(fontsize=7)
ax_s.set(xlabel="training step", ylabel="share (7.32)", title="share of $dW_{hh}$ from lags $\\geq T/2$")
ax_s.legend(fontsize=8)
plt.show()

for opt, (hist_a, tr, test_mse) in anatomy.items():
    ratio = max(f / o for f, o in zip(tr.first_marker, tr.output))
    print(f"{opt:4s}: ‖g‖ > 10^-3 at every step; ‖∂L/∂h‖ at the first marker < 10^-2 × at the output; "
          f"long share < 0.1 throughout; test MSE within 15 % of the baseline")
    if not FULL:  # with FULL = True the tanh RNN learns lag 30, and the picture changes (try it)
        assert min(hist_a.grad_norms) > 1e-3 and ratio < 1e-2 and max(tr.long_share) < 0.1
        assert abs(test_mse / rn.ADDING_BASELINE_MSE - 1) < 0.15

# %% [markdown]
# Read the two panels together. **The total gradient does not vanish**: its norm stays well above
# $10^{-3}$ the whole time, and the optimiser takes real steps. What vanishes is the part that could teach
# the network to remember: the gradient reaching the first marker is more than a hundred times smaller than
# at the output, and the terms of $dW_{hh}$ from the first half of the sequence are a few per cent at most of
# its size. They are not zero — they are **swamped** by the short-range terms, which all say "predict the
# mean". Adam does not change this: it rescales each *entry* of the gradient by its running size, but the
# long-range and short-range terms add up in the same entries of $W_{hh}$, so the rescaling amplifies both
# together. SGD and Adam end at the same baseline.

# %% [markdown]
# ## 4. Clipping: a fix for the exploding half only
#
# Let $g$ be *all* gradients stacked into one vector (every parameter array, flattened) and $c > 0$ a
# threshold. **Clipping by global norm** (Pascanu, Mikolov and Bengio 2013) rescales the whole vector:
#
# $$g \leftarrow g\cdot\min\Big(1, \frac{c}{\|g\|}\Big),\qquad \|g\| = \Big(\sum_{k}\sum_i g_{k,i}^2\Big)^{1/2}. \tag{7.6}$$
#
# **Element-wise clipping** (min-char-rnn's `np.clip(dparam, -5, 5)`) cuts every entry separately:
#
# $$g_i \leftarrow \min(\max(g_i, -c), c). \tag{7.7}$$
#
# (7.6) multiplies every entry by the same factor, so the direction of the step is kept and only its
# length is capped. (7.7) leaves small entries alone and cuts large ones, so whenever it acts on some
# entries and not on others the direction turns. The updates themselves are SGD (7.8) and Adam (7.9), in
# `rn.SGD` and `rn.Adam`; `rn.fit` runs the loop with either clipping.
#
# **Check on a real exploding gradient.** An orthogonal $W_{hh}$ scaled by 2 (all singular values 2)
# makes the products of lesson 6 explode; take one gradient of the adding loss at lag 30 and clip it both
# ways.

# %%
boom = rn.init_model("orthogonal", 2, HIDDEN, 1, np.random.default_rng(71), recurrent_scale=2.0)
_, g_boom = rn.model_loss_and_grads(boom, rn.adding_problem(32, 30, np.random.default_rng(72)),
                                    model="orthogonal", task="adding")
g_boom = {k: g_boom[k] for k in boom}
by_norm, norm = rn.clip_grad_norm(g_boom, 1.0)
by_value = rn.clip_grad_value(g_boom, 1.0)
print(f"‖g‖ = {norm:.1f};  after norm clipping ‖g‖ = {rn.global_norm(by_norm):.4f}, "
      f"after element-wise clipping ‖g‖ = {rn.global_norm(by_value):.4f}")
cos_norm = rn.gradient_cosine(g_boom, by_norm)
cos_value = rn.gradient_cosine(g_boom, by_value)
print(f"cos(clipped, raw): by norm {cos_norm:.6f}, element-wise {cos_value:.4f}")
assert abs(cos_norm - 1) < 1e-12 and cos_value < 0.99
print("✓ norm clipping keeps the direction; element-wise clipping turns it")

# %% [markdown]
# Move the threshold: on the left every entry of the clipped gradient is plotted against the raw entry —
# a straight line through 0 for norm clipping, a line bent at $\pm c$ for element-wise clipping. On the
# right, the cosine between clipped and raw gradient for every $c$. Element-wise clipping only stops
# turning the gradient once $c$ exceeds the largest entry, i.e. once it does nothing at all.

# %%
explorer = clipping_explorer(g_boom, c=1.0)
explorer.widget

# %% [markdown]
# **Does it train?** Same exploding initialisation (now a Gaussian $W_{hh}$ of scale 2), plain SGD with a
# large learning rate 0.2, lag 30, three runs: no clipping, norm clipping at $c = 1$, element-wise at $c = 1$.

# %%
# NBVAL_IGNORE_OUTPUT
# Why: the two clipped runs end at MSEs that move with round-off (chaotic, as in section 3)
clip_runs = {
    name: rn.run_task("tanh", "adding", 30, hidden=HIDDEN, n_steps=300, lr=0.2, optimizer="sgd",
                      recurrent_scale=2.0, clip_norm=cn, clip_value=cv, progress=False)
    for name, cn, cv in [("no clipping", None, None), ("norm clipping", 1.0, None), ("element-wise", None, 1.0)]
}
for name, run in clip_runs.items():
    h = run.history
    status = f"diverged at step {h.steps[-1]}" if h.diverged else f"test MSE {run.test_loss:.3f}"
    print(f"{name:14s}: {status:26s} (baseline {run.baseline:.3f}); largest ‖g‖ {max(h.grad_norms):.3g}")

# %% [markdown]
# What the table shows, asserted (the exact MSEs differ from machine to machine; their size does not):

# %%
none_, by_norm_run, by_value_run = clip_runs.values()
base = rn.ADDING_BASELINE_MSE
print(f"no clipping: diverged = {none_.history.diverged}")
print("norm clipping: finite, test MSE between 0.8× and 2× the baseline (near it, not below it); "
      "element-wise: finite, more than 4× the baseline")
if not FULL:  # checked for the small setting (H = 16)
    assert none_.history.diverged and not by_norm_run.history.diverged and not by_value_run.history.diverged
    assert 0.8 * base < by_norm_run.test_loss < 2 * base and by_value_run.test_loss > 4 * base

# %%
fig, (ax_l, ax_g) = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
for name, run in clip_runs.items():
    plot_loss_curve(ax_l, run.history, label=name)
    plot_grad_norms(ax_g, run.history, label=name)
ax_l.axhline(rn.ADDING_BASELINE_MSE, color="0.45", ls="--", lw=1, label="baseline 1/6")
ax_l.set_yscale("log")
ax_l.set_ylim(1e-2, 1e2)
ax_l.legend(fontsize=8)
ax_g.axhline(1.0, color="k", ls=":", lw=1)
ax_g.set_ylim(1e-2, 1e8)  # the unclipped run leaves the top: its norm reached overflow
ax_l.set_title("adding problem, lag 30, exploding init")
ax_g.set_title("gradient norm before clipping")
plt.show()

# %% [markdown]
# Without clipping, the large steps eventually throw the weights so far that the loss overflows (the table
# gives the step): training stops with `diverged`, and its curve ends. Norm clipping keeps every step at length
# $\le 0.2$ in the same direction, and training stays stable — **near the baseline, not below it** (the
# asserted band is 0.8–2× the baseline; the run itself ends somewhat above it): clipping made the exploding
# half harmless but added no memory. Element-wise clipping at the same $c$ also keeps the numbers finite, but
# its turned steps wander and the loss ends far *above* the baseline. (In the small setting, seeds 0–2 gave
# the same picture when this lesson was written: no clipping diverged each time; norm clipping ended between
# 0.16 and 0.25; element-wise between 0.7 and 2.0.)
#
# ## 5. Truncation: cheaper, bounded, and blind beyond τ
#
# Truncated BPTT (lesson 5, eq. (5.5)) keeps only the terms with $0 \le t - k < \tau$: each loss sends its
# gradient back at most $\tau$ steps. The German note's gradient for $W_2, B_2$ goes back *one* step, so
# it is truncation with $\tau = 1$ — not the gradient. On the exploding model above:

# %%
batch30 = rn.adding_problem(32, 30, np.random.default_rng(72))
full = g_boom
for tau in (1, 5, 15, 30):
    _, g_tau = rn.model_loss_and_grads(boom, batch30, model="orthogonal", task="adding", truncate=tau)
    g_tau = {k: g_tau[k] for k in boom}
    err = rn.relative_error(np.concatenate([v.ravel() for v in g_tau.values()]),
                            np.concatenate([v.ravel() for v in full.values()]))
    print(f"τ = {tau:2d}: ‖g‖ = {rn.global_norm(g_tau):10.2f}, relative error against full BPTT = {err:.2e}")
assert err < 1e-12  # τ = T is the full gradient

# %% [markdown]
# The norm grows with $\tau$ because each extra step multiplies in another factor of norm up to 2; $\tau = 1$
# (the German note) is off by nearly 100 %. So truncation *bounds* the explosion — at most $\tau$ factors —
# and cuts the cost to $O(\tau)$ per loss, which is why lessons 8–9 use it on long text. But a dependency
# longer than $\tau$ never appears in the gradient, so truncation cannot *create* long memory. It is a
# remedy for cost and for the exploding half, never for the vanishing half.
#
# ## 6. Initialisation: start with a product of norm 1
#
# The decay product (6.3) is $\prod \operatorname{diag}(\varphi'(a_j))\,W_{hh}^\top$. Two initialisations
# aim at its norm:
#
# * **orthogonal** $W_{hh}$ (lesson 6, eq. (6.8)): every singular value is 1, so $W_{hh}^\top$ neither
#   shrinks nor stretches any direction; only the factors $\varphi'(a_j) \le 1$ still shrink;
# * **IRNN** (Le, Jaitly and Hinton 2015): ReLU with $W_{hh} = I$ and $b_h = 0$. Then
#   $J_t = \operatorname{diag}(\mathbf 1[a_t > 0])$ — exactly the Chinese note's $\sigma' = \operatorname{diag}(0, 1, \dots)$ — and
#   a unit that stays active passes its gradient with factor exactly 1.
#
# Lesson 6's picture, $\|\partial h_T/\partial h_k\|_2$ against the lag, at initialisation on one adding
# sequence of length 60 (`decay.jacobian_norms`):

# %%
xs60, _ = rn.adding_problem(1, 60, np.random.default_rng(73))
profiles, inits = {}, {}
for model in ("tanh", "orthogonal", "irnn"):
    p = inits[model] = rn.init_model(model, 2, HIDDEN, 1, np.random.default_rng(74))
    act = rn.tasks.MODELS[model][1]
    a = decay.preactivations(xs60, None, p["W_xh"], p["W_hh"], p["b_h"], act)[:, 0]  # (T, H)
    profiles[model] = decay.jacobian_norms(p["W_hh"], a, act)
for model, n in profiles.items():
    print(f"{model:10s}: ‖∂h_T/∂h_k‖ at lag 10 = {n[-11]:.2e}, lag 30 = {n[-31]:.2e}, lag 60 = {n[0]:.2e}")
assert np.allclose(profiles["irnn"], 1.0)  # the note's scalar (σ'w)^(t−k) with σ'w = 1, exactly
print("✓ IRNN at initialisation: every lag has norm exactly 1, the note's scalar formula with σ'·w = 1")

# %% [markdown]
# The Gaussian tanh network loses orders of magnitude over 60 steps; orthogonal loses less (only the
# $\tanh'$ factors shrink); the IRNN keeps exactly 1, because the units that are active at every step
# (here: the inputs are non-negative, so a unit with positive input weights never switches off) pass the
# gradient unchanged. That is the one case in which the note's scalar formula $(\sigma' w)^{t-k}$ is exact
# for a vector state. But these are statements **at initialisation**; training moves $W_{hh}$, and nothing
# keeps the product at norm 1. The gated cell builds the norm-1 path into the architecture instead.
#
# ## 7. A gated cell: the GRU, with its backward pass by hand
#
# The GRU (Cho et al. 2014) computes two gates and a candidate, then *mixes* old state and candidate:
#
# $$z_t = \sigma(x_t W_{xz} + h_{t-1} W_{hz} + b_z) \quad\text{(update gate)} \tag{7.10}$$
# $$r_t = \sigma(x_t W_{xr} + h_{t-1} W_{hr} + b_r) \quad\text{(reset gate)} \tag{7.11}$$
# $$\tilde h_t = \tanh\big(x_t W_{xh} + (r_t \odot h_{t-1}) W_{hh} + b_h\big) \quad\text{(candidate)} \tag{7.12}$$
# $$h_t = z_t \odot h_{t-1} + (1 - z_t) \odot \tilde h_t. \tag{7.13}$$
#
# **The Jacobian.** Differentiate (7.13) with respect to $h_{t-1}$, entry $(i, j) = \partial h_{t,i}/\partial h_{t-1,j}$
# as in lesson 6. Three paths: directly through $z_t \odot h_{t-1}$, through the gate $z_t$, and through the
# candidate (which sees $h_{t-1}$ directly and through $r_t$):
#
# $$J_t = \underbrace{\operatorname{diag}(z_t)}_{\text{additive path}}
# + \operatorname{diag}\big(z_t(1-z_t)(h_{t-1} - \tilde h_t)\big)W_{hz}^\top
# + \operatorname{diag}\big((1-z_t)(1-\tilde h_t^2)\big)W_{hh}^\top\big[\operatorname{diag}(r_t) + \operatorname{diag}\big(r_t(1-r_t)h_{t-1}\big)W_{hr}^\top\big]. \tag{7.14}$$
#
# The first term has no $W$ and no $\tanh'$ in it: where the update gate is near 1, $J_t \approx I$ and the
# gradient passes through the step unchanged, whatever $W_{hh}$ is. That is what the tanh RNN lacks.
#
# **The backward pass.** Let $\delta_t = \partial L/\partial h_t$ (what arrives directly, `dhs[t]`, plus what
# flows back from step $t+1$). Through (7.13), then the sigmoid and tanh derivatives:
#
# $$\frac{\partial L}{\partial \tilde h_t} = \delta_t \odot (1 - z_t),\qquad
# \frac{\partial L}{\partial z_t} = \delta_t \odot (h_{t-1} - \tilde h_t) \tag{7.15}$$
# $$g^h_t = \frac{\partial L}{\partial \tilde h_t}\odot(1 - \tilde h_t^2),\qquad
# g^z_t = \frac{\partial L}{\partial z_t}\odot z_t(1 - z_t) \tag{7.16}$$
#
# where $g^h_t, g^z_t$ are the gradients at the pre-activations. The candidate's pre-activation depends on
# $r_t \odot h_{t-1}$ through $W_{hh}$, so $\partial L/\partial(r_t\odot h_{t-1}) = g^h_t W_{hh}^\top$ and
#
# $$g^r_t = \big[(g^h_t W_{hh}^\top)\odot h_{t-1}\big]\odot r_t(1 - r_t). \tag{7.17}$$
#
# Collecting every path into $h_{t-1}$ — the four terms of (7.14), transposed:
#
# $$\delta_{t-1} = \frac{\partial L}{\partial h_{t-1}}\Big|_{\text{direct}} + \delta_t\odot z_t + (g^h_t W_{hh}^\top)\odot r_t + g^z_t W_{hz}^\top + g^r_t W_{hr}^\top. \tag{7.18}$$
#
# The weight gradients are sums over steps, computed after the loop in one matmul each:
# $dW_{xz} = \sum_t x_t^\top g^z_t$, $dW_{hz} = \sum_t h_{t-1}^\top g^z_t$,
# $dW_{hh} = \sum_t (r_t\odot h_{t-1})^\top g^h_t$, $db_z = \sum_t \mathbf 1^\top g^z_t$, and likewise for
# $r$ and $h$. `rn.gru_forward` / `rn.gru_backward` implement (7.10)–(7.18) with a named cache.
#
# **Check: every GRU gradient against central differences, float64, tolerance $10^{-7}$.**

# %%
gp = rn.init_gru_params(3, 5, rng)
gp = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in gp.items()}  # move off the initialisation
xs_g, h0_g, G = rng.standard_normal((6, 4, 3)), 0.5 * rng.standard_normal((4, 5)), rng.standard_normal((6, 4, 5))
hs_g, cache = rn.gru_forward(xs_g, h0_g, gp)
dg = rn.gru_backward(G, cache)  # L = Σ_t Σ G_t ⊙ h_t, so dhs = G
for key in gp:
    check = rn.check_gradient(lambda v, key=key: float((rn.gru_forward(xs_g, h0_g, {**gp, key: v})[0] * G).sum()),
                              gp[key], dg[key], name=f"{key:4s}")
    print(check)
    assert check.ok
check = rn.check_gradient(lambda v: float((rn.gru_forward(xs_g, v, gp)[0] * G).sum()), h0_g, dg["h0"], name="h0  ")
print(check)
assert check.ok

# %% [markdown]
# **Check (7.14):** the Jacobian of one step against finite differences of that step.

# %%
J = rn.gru_step_jacobians(cache)  # (T, B, H, H)
t, b = 3, 2
J_num = np.stack([rn.numerical_gradient(lambda hp: rn.gru_forward(xs_g[t:t + 1, b:b + 1], hp[None], gp)[0][0, 0, i],
                                        cache.h_prev[t, b]) for i in range(5)])
err = rn.relative_error(J[t, b], J_num)
print(f"step {t + 1}, example {b}: relative error of (7.14) = {err:.1e}")
assert err < 1e-7

# %% [markdown]
# **The GRU on lesson 6's plot.** Same sequence of length 60 as in section 6, GRU at its initialisation
# (update-gate bias 1, so $z \approx \sigma(1) \approx 0.73$ at first):

# %%
gru0 = rn.init_model("gru", 2, HIDDEN, 1, np.random.default_rng(74))
_, cache60 = rn.gru_forward(xs60, np.zeros((1, HIDDEN)), {k: gru0[k] for k in rn.gated.GRU_KEYS})
profiles["gru (init)"] = rn.gru_jacobian_norms(cache60)
print(f"gru (init): ‖∂h_T/∂h_k‖ at lag 10 = {profiles['gru (init)'][-11]:.2e}, lag 60 = {profiles['gru (init)'][0]:.2e}")

# %% [markdown]
# At initialisation the GRU is no better than orthogonal: $0.73^{60}$ is small. The point of the gate is
# that it is *learned*: training on the adding problem pushes $z_t$ towards 1 on the steps where the sum
# must be kept. Train a GRU at lag 60 and measure the same profile on the trained weights:

# %%
gru_run = rn.run_task("gru", "adding", 60, hidden=HIDDEN, n_steps=STEPS, lr=LR, progress=True, desc="GRU, lag 60")
trained = {k: gru_run.params[k] for k in rn.gated.GRU_KEYS}
_, cache_tr = rn.gru_forward(xs60, np.zeros((1, HIDDEN)), trained)
profiles["gru (trained)"] = rn.gru_jacobian_norms(cache_tr)
print(gru_run)
print(f"gru (trained): ‖∂h_T/∂h_k‖ at lag 10 = {profiles['gru (trained)'][-11]:.2e}, "
      f"lag 60 = {profiles['gru (trained)'][0]:.2e};  mean update gate z = {cache_tr.zs.mean():.3f}")

# %%
tanh_bound = decay.pascanu_bound(inits["tanh"]["W_hh"], np.arange(60, -1, -1), "tanh", log10=True)  # (6.6)
fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
plot_decay_profiles(ax, profiles, bounds={r"tanh: bound $(\lambda_1\gamma)^{T-k}$ (6.6)": tanh_bound})
ax.axhline(0.0, color="0.6", lw=0.8, ls=":")
ax.set_title("decay profiles on one adding sequence, T = 60")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# The IRNN's line lies under the trained GRU's, at exactly 1.
# (The dashed line is lesson 6's bound (6.6) for the tanh network: with $\lambda_1 \approx 2$ it allows growth, while
# the actual product shrinks — a bound, not a prediction.) At initialisation the GRU's profile fell like the orthogonal one; after 400 steps at lag 60 the
# product has norm about 1 at every lag (1.3 at lag 10, 1.1 at lag 60, against 5e-5 at initialisation),
# with the mean update gate up from about 0.73 to 0.81. The additive path of (7.14) did its job: the
# gradient of the last step reaches the first marker at full strength.
#
# ## 8. The LSTM: a cell that carries the gradient, and the forget-gate bias
#
# The LSTM (Hochreiter and Schmidhuber 1997; the forget gate is Gers, Schmidhuber and Cummins 2000) keeps a
# second state, the **cell** $c_t$, next to $h_t$, and writes to it through gates $i$ (input), $f$ (forget),
# $o$ (output) and a candidate $g$, in rows as everywhere in this course (`rnnedu/lstm.py`):
#
# $$i_t = \sigma(x_t W_{xi} + h_{t-1} W_{hi} + b_i),\quad f_t = \sigma(x_t W_{xf} + h_{t-1} W_{hf} + b_f) \tag{7.19–7.20}$$
# $$g_t = \tanh(x_t W_{xg} + h_{t-1} W_{hg} + b_g),\quad o_t = \sigma(x_t W_{xo} + h_{t-1} W_{ho} + b_o) \tag{7.21–7.22}$$
# $$c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t). \tag{7.23–7.24}$$
#
# **The backward pass.** Let $\delta^h_t = \partial L/\partial h_t$ (direct term plus what comes back from
# step $t+1$) and $\delta^c_t$ the gradient that reaches $c_t$. Through (7.24), then each gate's derivative:
#
# $$\delta^c_t \mathrel{+}= \delta^h_t \odot o_t \odot (1 - \tanh^2 c_t) \tag{7.25}$$
# $$g^o_t = \delta^h_t \odot \tanh c_t \odot o_t(1-o_t),\quad g^i_t = \delta^c_t \odot g_t \odot i_t(1-i_t),\quad
#   g^f_t = \delta^c_t \odot c_{t-1} \odot f_t(1-f_t),\quad g^g_t = \delta^c_t \odot i_t \odot (1-g_t^2) \tag{7.26}$$
# $$\delta^h_{t-1} \mathrel{+}= g^i_t W_{hi}^\top + g^f_t W_{hf}^\top + g^g_t W_{hg}^\top + g^o_t W_{ho}^\top \tag{7.27}$$
# $$\delta^c_{t-1} \mathrel{+}= \delta^c_t \odot f_t, \tag{7.28}$$
#
# and $dW_{xq} = \sum_t x_t^\top g^q_t$, $dW_{hq} = \sum_t h_{t-1}^\top g^q_t$, $db_q = \sum_t \mathbf 1^\top g^q_t$
# for each gate $q \in \{i, f, g, o\}$. **Check: every LSTM gradient, and both initial states, against central
# differences in float64** — on a sequence of length 6 and on one of length $T = 1$:

# %%
for T_check in (6, 1):
    lp = rn.init_lstm_params(3, 4, rng)
    lp = {k: v + 0.3 * rng.standard_normal(v.shape) for k, v in lp.items()}   # move off the initialisation
    xs_l, h0_l, c0_l = rng.standard_normal((T_check, 2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    G_l = rng.standard_normal((T_check, 2, 4))                                  # L = Σ_t Σ G_t ⊙ h_t: dhs = G
    _, lcache = rn.lstm_forward(xs_l, h0_l, c0_l, lp)
    dl = rn.lstm_backward(G_l, lcache)
    checks = [rn.check_gradient(lambda v, key=key: float((rn.lstm_forward(xs_l, h0_l, c0_l, {**lp, key: v})[0] * G_l).sum()),
                                lp[key], dl[key], name=f"T = {T_check}, {key}") for key in lp]
    checks.append(rn.check_gradient(lambda v: float((rn.lstm_forward(xs_l, v, c0_l, lp)[0] * G_l).sum()), h0_l, dl["h0"],
                                    name=f"T = {T_check}, h0"))
    checks.append(rn.check_gradient(lambda v: float((rn.lstm_forward(xs_l, h0_l, v, lp)[0] * G_l).sum()), c0_l, dl["c0"],
                                    name=f"T = {T_check}, c0"))
    for check in checks:
        assert check.ok, check
    print(f"T = {T_check}: all {len(checks)} gradients (12 parameters, h0, c0): "
          f"relative error {rn.below(max(c.rel_error for c in checks), 1e-7)}")

# %% [markdown]
# **The constant error carousel.** Along the cell, (7.23) gives $\partial c_t/\partial c_{t-1} = \operatorname{diag}(f_t)$
# — no weight matrix, no $\tanh'$. The part of the gradient that travels on the cell from step $t$ back to $k$ is
#
# $$\Big(\frac{\partial c_t}{\partial c_k}\Big)_{\text{cell path}} = \prod_{j=k+1}^{t} \operatorname{diag}(f_j). \tag{7.29}$$
#
# It is *all* of $\partial c_t/\partial c_k$ when the gates do not see $h$ (recurrent gate weights 0, as in
# the constant-error argument of Hochreiter and Schmidhuber), and otherwise the path beside the others in the full
# Jacobian of the state $s_t = [h_t, c_t]$ (`rn.lstm_step_jacobians`). Check (7.29) by finite differences of
# $c_{12}$ with respect to $c_k$, with $W_{h\cdot} = 0$:

# %%
lp0 = {k: (0.0 * v if k.startswith("W_h") else v) for k, v in rn.init_lstm_params(2, 4, rng).items()}
xs_c = rng.uniform(0, 1, (12, 1, 2))
hs_c, ccache = rn.lstm_forward(xs_c, None, None, lp0)
carousel = rn.carousel_product(ccache)[:, 0]                                   # (13, H): Π f_j for each k
worst = 0.0
for k in range(12):
    h_k = hs_c[k - 1] if k else np.zeros((1, 4))
    c_k = ccache.cs[k - 1, 0] if k else np.zeros(4)
    D_num = np.stack([rn.numerical_gradient(lambda c: rn.lstm_forward(xs_c[k:], h_k, c[None], lp0)[1].cs[-1, 0, i], c_k)
                      for i in range(4)])                                       # (H, H) = ∂c_12/∂c_k
    worst = max(worst, rn.relative_error(D_num, np.diag(carousel[k])))
print(f"∂c_12/∂c_k = Π f_j (7.29) for k = 0 … 11: relative error {rn.below(worst, 1e-7)}")

# %% [markdown]
# **The forget-gate bias.** At initialisation the gates' pre-activations are near their biases, so
# $f_j \approx \sigma(b_f)$ and the carousel over a lag $n$ is about
#
# $$\prod_{j} f_j \approx \sigma(b_f)^{\,n}. \tag{7.30}$$
#
# With $b_f = 0$ that is $2^{-n}$ — as bad as a vanishing tanh RNN. Gers et al. (2000) and Jozefowicz,
# Zaremba and Sutskever (2015) start the forget gate *open* with $b_f = 1$ or more (`init_lstm_params`
# uses 1): $\sigma(1)^{60} \approx 7\times10^{-9}$, $\sigma(3)^{60} \approx 0.05$. Measured on an adding
# sequence of length 60, full state Jacobian (lesson 6's norm) beside the carousel:

# %%
xs_f, _ = rn.adding_problem(1, 60, np.random.default_rng(73))
for bf in (0.0, 1.0, 3.0):
    pf = rn.init_lstm_params(2, HIDDEN, np.random.default_rng(75), forget_bias=bf)
    _, fcache = rn.lstm_forward(xs_f, None, None, pf)
    carry = rn.carousel_product(fcache)[0, 0]                                  # (H,): lag 60
    full = rn.lstm_jacobian_norms(fcache)                                      # (61,)
    rate = np.exp(np.mean(np.log(carry)) / 60)                                 # geometric mean of f
    print(f"b_f = {bf:.0f}: mean forget gate ≈ {rate:.2f} (σ(b_f) = {1 / (1 + np.exp(-bf)):.2f}); "
          f"carousel at lag 60 ≈ 10^{np.log10(carry).mean():.1f}; ‖∂s_60/∂s_0‖ = 10^{np.log10(full[0]):.1f}")
    assert abs(rate - 1 / (1 + np.exp(-bf))) < 0.05                             # (7.30)
    assert (full[0] > 1e-2) == (bf == 3.0)

# %% [markdown]
# The geometric mean of the forget gate sits near $\sigma(b_f)$, as (7.30) says (the inputs move it a little).
# The full Jacobian of the state is larger than the carousel alone — the paths through $h$ and the gates add
# to it — but it follows the same order: with $b_f = 0$ the gradient from 60 steps back is gone at
# initialisation; with $b_f = 3$ it arrives undiminished. Unlike the GRU's update gate, which must *learn*
# to stay near 1, the LSTM can start with its carousel open.
#
# ## 9. All remedies on the same task and budget
#
# Five models on the adding problem at every lag, each with the same data stream, Adam (learning rate
# `LR`), norm clipping at 1, `STEPS` steps of batch 32, and a test batch of 500 fresh sequences:
# the plain tanh RNN (already trained in section 3), tanh with orthogonal $W_{hh}$, the IRNN, the GRU (its
# lag-60 run is section 7's) and the LSTM (forget-gate bias 1).
# Success is $1 - \text{test MSE}/\tfrac16$: 0 is the baseline, 1 is perfect.

# %%
# NBVAL_IGNORE_OUTPUT
# Why: runs that are still learning end at MSEs that move with round-off (section 3)
runs = list(tanh_runs)
for model in ("orthogonal", "irnn", "gru", "lstm"):
    for lag in LAGS:
        same_as_section_7 = model == "gru" and lag == gru_run.lag      # identical settings: reuse, don't retrain
        runs.append(gru_run if same_as_section_7 else
                    rn.run_task(model, "adding", lag, hidden=HIDDEN, n_steps=STEPS, lr=LR, progress=False))
print(f"{'model':>10s} {'lag':>4s} {'test MSE':>9s} {'baseline':>9s} {'success':>8s}")
for run in runs:
    print(f"{run.model:>10s} {run.lag:4d} {run.test_loss:9.4f} {run.baseline:9.4f} {run.success:+8.2f}")

# %% [markdown]
# The table's verdict, which does not depend on round-off: at which lags each model gets below a quarter of
# the baseline MSE.

# %%
solved = {m: [r.lag for r in runs if r.model == m and r.test_loss < 0.25 * r.baseline]
          for m in dict.fromkeys(r.model for r in runs)}
for m, lags in solved.items():
    print(f"{m:>10s}: below a quarter of the baseline at lags {lags}")
if not FULL:
    assert solved == {"tanh": [10], "orthogonal": [10], "irnn": [], "gru": list(LAGS), "lstm": list(LAGS)}

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.6), layout="constrained")
plot_success_vs_lag(ax, runs)
ax.set_title(f"adding problem: H = {HIDDEN}, {STEPS} steps of batch 32")
ax.legend(fontsize=8, loc="center right")
plt.show()

# %% [markdown]
# **Check the claim.** Take the lags at which the tanh RNN ends within 10 % of the baseline and ask
# whether some remedy ends clearly below it (less than half the baseline MSE) at that lag. (With
# `FULL = True` the tanh RNN gets below the baseline at every lag tried; then check the longest lag
# instead: a remedy must reach less than half the tanh RNN's MSE there.)

# %%
by = {(r.model, r.lag): r for r in runs}
stuck = [lag for lag in LAGS if by["tanh", lag].success < 0.1]
for lag in stuck or [LAGS[-1]]:
    best = max((by[m, lag] for m in ("orthogonal", "irnn", "gru", "lstm")), key=lambda r: r.success)
    print(f"lag {lag}: tanh MSE {by['tanh', lag].test_loss:.4f} (baseline {rn.ADDING_BASELINE_MSE:.4f}); "
          f"best remedy {best.model} MSE {best.test_loss:.4f}")
    assert best.test_loss < 0.5 * min(rn.ADDING_BASELINE_MSE, by["tanh", lag].test_loss)
if stuck:
    print(f"✓ at lags {stuck} the tanh RNN stays at the baseline and a remedy gets clearly below it")
else:
    print(f"✓ the tanh RNN learned every lag with this budget; at lag {LAGS[-1]} a remedy halves its MSE")

# %% [markdown]
# What these runs show, in the small setting (H = 16, 400 steps, Adam 0.01; asserted by the verdict cell
# when `FULL = False`):
#
# * the **tanh RNN** learns lag 10 and stays at the baseline from lag 30 on;
# * **orthogonal initialisation** learns lag 10 too, but not 30 or 60 within 400 steps;
# * the **IRNN** does not get off the baseline within 400 steps at any lag: identity initialisation needs
#   small steps and many of them (Le et al. trained for about $10^6$ examples);
# * the **GRU** solves every lag, with an MSE around a hundredth of the baseline or less;
# * the **LSTM** solves every lag too: its carousel starts open (forget-gate bias 1) and training keeps it so.
#
# With `FULL = True` (H = 32, 3000 steps, Adam 0.003; run once while writing this lesson, 14 minutes on
# two busy cores) every model improves, and the order stays the same. The plain tanh RNN now learns
# lag 30 (MSE 0.009) and lag 60 (0.023) but only halves the baseline at lag 100 (0.078); orthogonal and
# IRNN solve lag 30 (0.032 and 0.001) and are back at the baseline at lag 100; the GRU stays at or below
# 0.001 at every lag up to 100. So the small setting's "fails" means "fails to learn within the budget",
# and the budget a plain or well-initialised RNN needs grows with the lag; the gate's does not (visibly).
#
# **The copy task.** A harder test of memory: ten symbols must survive the lag exactly. Tanh, GRU and LSTM
# at lag 10, against the memoryless baseline (7.2):

# %%
# NBVAL_IGNORE_OUTPUT
# Why: the LSTM's run is still moving near the baseline and its last digits depend on round-off (section 3)
copy_runs = [rn.run_task(m, "copy", 10, hidden=32, n_steps=COPY_STEPS, lr=LR, progress=False)
             for m in ("tanh", "gru", "lstm")]
for run in copy_runs:
    print(f"{run.model:>5s}, copy lag 10: test cross-entropy {run.test_loss:.4f} per step, "
          f"memoryless baseline 10 ln 8 / 30 = {run.baseline:.4f}")

# %%
near = [r.model for r in copy_runs if abs(r.test_loss / r.baseline - 1) < 0.05]
below = [r.model for r in copy_runs if r.test_loss < 0.95 * r.baseline]
print(f"copy, lag 10: within 5 % of the memoryless baseline: {near}; more than 5 % below it: {below}")
if not FULL:
    assert near == ["tanh", "lstm"] and below == ["gru"]

# %% [markdown]
# Within 400 steps the tanh RNN learns the layout (blanks first, symbols later) and sits at the memoryless
# baseline; the GRU has started to go below it; the LSTM, at this budget, has not yet. The copy task takes
# thousands of steps for any of these models — a good `FULL` experiment.
#
# ## 10. Keep what you trained: checkpoints without pickle
#
# `rn.save_checkpoint` writes the parameter arrays and a JSON string of metadata with `numpy.savez`;
# `rn.load_checkpoint` reads them with `allow_pickle=False`, so loading a file cannot run code.

# %%
with tempfile.TemporaryDirectory() as tmp:
    path = rn.save_checkpoint(Path(tmp) / "gru_adding_lag60", gru_run.params, model="gru", task="adding", lag=60,
                              steps=len(gru_run.history.losses), test_mse=gru_run.test_loss)
    loaded, meta = rn.load_checkpoint(path)
test60 = rn.adding_problem(500, 60, np.random.default_rng(10_000))
again = rn.model_loss_and_grads(loaded, test60, model="gru", task="adding")[0]
print(f"metadata: model {meta['model']}, lag {meta['lag']}, {meta['steps']} steps, stored test MSE {meta['test_mse']:.4f}")
print(f"reloaded parameters give test MSE {again:.4f}")
assert again == gru_run.test_loss

# %% [markdown]
# Bad hyperparameters are refused with a message that names them:

# %%
bad_calls = {"SGD(lr=-0.1)": lambda: rn.SGD(lr=-0.1),
             "clip_grad_norm(g, 0.0)": lambda: rn.clip_grad_norm(g_boom, 0.0),
             "adding_problem(32, lag=0)": lambda: rn.adding_problem(32, 0, rng)}
for call, bad in bad_calls.items():
    try:
        bad()
        raise AssertionError(f"{call} must be refused")
    except ValueError as err:
        print(f"{call:27s} → ValueError: {err}")

# %% [markdown]
# ## Exercises
#
# **7.1 Clip by global norm.** Write `clip(grads, c)` returning a *new* dict in which every array is scaled
# by $\min(1, c/\|g\|)$, with $\|g\|$ taken over all arrays together (7.6). The first attempt below clips
# each array by its own norm — run the checker to see why that is not the same.

# %%
def clip(grads, c):
    return {k: v * min(1.0, c / np.linalg.norm(v)) for k, v in grads.items()}  # naive: one norm per array


exercises.check_clip_by_global_norm(clip)

# %% [markdown]
# **7.2 The gradient at the update gate.** Write `gate_grad(dh, z, h_prev, cand)` returning
# $\partial L/\partial a_z$, the gradient at the update gate's *pre-activation*, given $\delta_t$ = `dh`,
# for (7.13) with $z = \sigma(a_z)$. The naive attempt stops at $\partial L/\partial z$.

# %%
def gate_grad(dh, z, h_prev, cand):
    return dh * (h_prev - cand)  # naive: forgot the sigmoid


exercises.check_update_gate_grad(gate_grad)

# %% [markdown]
# **7.3 The copy task's baseline.** Write `copy_base(lag, n_symbols, length)`: the cross-entropy per step
# of the best memoryless strategy (7.2), in general form. The naive attempt pays $\ln(\text{n\_symbols})$
# at every step.

# %%
def copy_base(lag, n_symbols, length):
    return np.log(n_symbols)  # naive: as if every step were a recall step


exercises.check_copy_baseline(copy_base)

# %% [markdown]
# **7.4 The carousel, one step back.** Write `carry(dh, dc_next, o, c, f)` returning $\delta^c_{t-1}$: first
# collect the gradient at $c_t$ (7.25) — what comes along the cell from step $t+1$ (`dc_next`) plus what
# $h_t = o_t \odot \tanh(c_t)$ sends in from `dh` — then take it one step back along (7.28). The naive attempt
# only carries `dc_next`.

# %%
def carry(dh, dc_next, o, c, f):
    return dc_next * f  # naive: forgot that h_t also depends on c_t


exercises.check_cell_carry(carry)

# %% [markdown]
# ## Summary
#
# * The trivial baselines are exact: MSE $1/6$ for the adding problem (7.1), $10\ln 8/(T+20)$ nats per step
#   for the copy task (7.2). Every result above is printed next to its baseline.
# * Measured during training (7.31)–(7.32): when the tanh RNN fails at lag 30, its total gradient does not
#   vanish; the part from the first marker is more than a hundred times smaller and swamped by short-range
#   terms. SGD and Adam fail alike: Adam's per-entry rescaling is not a cure.
# * **Clipping** (7.6)–(7.7) treats the exploding half only. Norm clipping keeps the direction and turned a
#   diverging run into a stable one — near the baseline, not below it. Element-wise clipping turns the direction.
# * **Truncation** bounds the decay product to $\tau$ factors and the cost to $O(\tau)$; the German note's
#   one-step gradient is $\tau = 1$ and far from the true gradient. It cannot learn lags beyond $\tau$.
# * **Initialisation** (orthogonal, IRNN) starts the decay product near norm 1 and keeps it there only
#   at the start; with enough steps (the `FULL` setting) both get far below the baseline at lag 30, not at 100.
# * **Gating** puts an additive, near-identity path $\operatorname{diag}(z_t)$ into every step's Jacobian
#   (7.14). The GRU's hand-derived backward (7.15)–(7.18) agrees with finite differences to better than
#   $10^{-7}$. In the small setting it solved the adding problem at every lag tried (MSE ≤ 0.003), where
#   the tanh RNN stayed at the baseline from lag 30 on.
# * The **LSTM**'s cell carries the gradient along the carousel $\prod f_j$ (7.29), with no weight matrix and
#   no $\tanh'$ in it; a forget-gate bias opens it at initialisation (7.30). Its hand-derived backward
#   (7.25)–(7.28) agrees with finite differences for every parameter, $T = 1$ included, and it solved the
#   adding problem at every lag tried, like the GRU.
# * `rn.fit` (SGD, Adam, both clippings, progress bar, `History`) and the checkpoints are what lessons 8–9
#   train their language models with.
