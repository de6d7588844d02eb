# %% [markdown]
# # Lesson 2 — The delta rule: backpropagation through a multilayer perceptron
#
# Lesson 1 ended with one number per class: the output delta $\delta = (a - y)/N$. This lesson pushes
# it back through the layers of a multilayer perceptron (MLP). The rule that does it — the *delta
# rule* — is one line, $\delta^{(s)} = \varphi'(v^{(s)}) \odot (\delta^{(s+1)} W^{(s+1)\top})$, and
# backpropagation through time (lesson 5) is the same line applied to a network unrolled in time.
#
# **After this lesson you can**
# 1. write the forward pass of an MLP in row-vector notation and keep a named cache for the backward pass;
# 2. derive the delta rule by the chain rule, entry by entry, then in matrix form;
# 3. derive $\partial E/\partial W^{(s)} = a^{(s-1)\top}\delta^{(s)}$ and see why it is a mini-batch average;
# 4. check every gradient of every layer against finite differences, for every activation;
# 5. train a small MLP on two spirals with your own backward pass.
#
# *How to use this notebook:* run it top to bottom (**Run → Run All Cells**). The step-through widget
# needs a running kernel; everything else is shown with its output.

# %% [markdown]
# ## Notation
#
# Layers $s = 1, \dots, L$ with widths $n_0 = D, n_1, \dots, n_L = K$; a batch of $B$ examples, one per
# row. The Russian note (seed 003) writes **column** vectors and $W$ of shape (outputs, inputs); here
# every vector is a row and $W^{(s)}$ has shape $(n_{s-1}, n_s)$, so its matrices are our transposes:
#
# | quantity | this course (rows) | Russian note (seed 003, columns) |
# |---|---|---|
# | input | $a^{(0)} = x$, $(B, D)$ | $a^{(0)} = x$ |
# | weights of layer $s$ | $W^{(s)}$, $(n_{s-1}, n_s)$, entry $W_{ji}$ from unit $j$ to unit $i$ | $w^{(s)}$, (outputs, inputs), entry $w_{ij}$: $w^{(s)} = W^{(s)\top}$ |
# | bias | $b^{(s)}$, $(n_s,)$ | $b_k$, or $w_{k,0}$ with $x_0 = 1$ ("augmented") |
# | pre-activation | $v^{(s)} = a^{(s-1)}W^{(s)} + b^{(s)}$ | $v_k = u_k + b_k = \sum_j w_{k,j}x_j$ |
# | activation | $a^{(s)} = \varphi_s(v^{(s)})$ | $a^{(s)} = \varphi^{(s)}(w^{(s)}a^{(s-1)})$, also $q_k$, $\alpha$ |
# | derivative of $\varphi$ | $\varphi'(v^{(s)})$ | $\varphi'$, written $\mathcal{C}(v)$ in places |
# | delta | $\delta^{(s)} = \partial E/\partial v^{(s)}$, $(B, n_s)$ | $\delta^{(s)}_i$, also $s_k$ |
# | delta rule | $\delta^{(s)} = \varphi'(v^{(s)}) \odot (\delta^{(s+1)}W^{(s+1)\top})$ | $\delta^{(s)} = \mathcal{C}(v^{(s)})^\top(W^{(s+1)\top}\delta^{(s+1)})$ |
# | weight gradient | $a^{(s-1)\top}\delta^{(s)}$, $(n_{s-1}, n_s)$ | $\delta^{(s)}a^{(s-1)\top}$ |
# | output logits | $v^{(L)}$ | $u^{(h)}$, $v^{(h)}$ ($h$ = the last layer) |
# | loss | $E$, mean over the batch | $E_N(w) = \frac1N\sum_n E$ |
#
# Activations $\varphi$ and $\varphi'$ come from `rn.activations` (tanh, sigmoid, relu, identity); the
# output layer is lesson 1's softmax with cross-entropy.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import rnnedu as rn
from rnnedu import notes
from rnnedu.exercises import lesson02 as exercises
from rnnedu.plotting.mlp import plot_decision_boundary, plot_loss_curve
from rnnedu.widgets.mlp import delta_stepper

np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(2)

# %% [markdown]
# ## 1. The forward pass
#
# Each layer is an affine map followed by an element-wise activation; the last layer's affine output
# $v^{(L)}$ are the logits:
#
# $$v^{(s)} = a^{(s-1)} W^{(s)} + b^{(s)}, \qquad a^{(0)} = x \tag{2.1}$$
#
# $$a^{(s)} = \varphi_s\big(v^{(s)}\big) \quad (s < L), \qquad a^{(L)} = \operatorname{softmax}\big(v^{(L)}\big) \tag{2.2}$$
#
# $$E = -\frac1B \sum_{n=1}^{B} \ln a^{(L)}_{n, y_n} \tag{2.3}$$
#
# The note's nested form $E\big(\varphi^{(h)}(w^{(h)}\varphi^{(h-1)}(w^{(h-1)}a^{(h-2)}))\big)$ is the same
# composition. `rn.mlp_forward` keeps every $v^{(s)}$ and $a^{(s)}$ in a cache *by name*
# (`cache.v[s]`, `cache.a[s]`), so the backward pass never guesses what `cache[3]` was.

# %%
net = rn.init_mlp((3, 4, 4, 2), hidden="tanh", rng=rng)
x = rng.normal(size=(5, 3))
y = rng.integers(0, 2, size=5)
cache = rn.mlp_forward(net, x)
for s in range(net.n_layers + 1):
    v_shape = "—" if s == 0 else cache.v[s].shape
    print(f"layer {s}: a({s}) {cache.a[s].shape}, v({s}) {v_shape}")
print(f"E = {rn.loss_from_cache(cache, y):.6f}")

# %% [markdown]
# Layers must fit together: $W^{(s)}$ needs as many rows as $W^{(s-1)}$ has columns. A mismatch is caught
# when the network is built, with a message that names both matrices:

# %%
try:
    rn.MLP(weights=(np.ones((3, 4)), np.ones((5, 2))), biases=(np.zeros(4), np.zeros(2)), hidden=("tanh",))
except ValueError as err:
    print(f"ValueError: {err}")
else:
    raise AssertionError("mismatched layers were accepted")

# %% [markdown]
# ## 2. The delta rule, entry by entry
#
# Define the **delta** of a layer as the derivative of the loss by its pre-activation,
# $\delta^{(s)}_i = \partial E/\partial v^{(s)}_i$. A weight $W^{(s)}_{ji}$ only enters through
# $v^{(s)}_i = \sum_j a^{(s-1)}_j W^{(s)}_{ji} + b^{(s)}_i$, so for one example
#
# $$\frac{\partial E}{\partial W^{(s)}_{ji}} = \frac{\partial E}{\partial v^{(s)}_i}\,\frac{\partial v^{(s)}_i}{\partial W^{(s)}_{ji}} = \delta^{(s)}_i\, a^{(s-1)}_j .$$
#
# At the output layer the delta is lesson 1's $a - y$ (eq. (1.5) there, with the $\frac1B$ of the mean loss):
#
# $$\delta^{(L)} = \frac1B\big(\operatorname{softmax}(v^{(L)}) - y\big) \tag{2.4}$$
#
# One layer down, $v^{(s)}_i$ reaches the loss through **every** unit $k$ of layer $s+1$, since
# $v^{(s+1)}_k = \sum_i \varphi(v^{(s)}_i) W^{(s+1)}_{ik} + b^{(s+1)}_k$. Sum over those paths:
#
# $$\delta^{(s)}_i = \sum_k \frac{\partial E}{\partial v^{(s+1)}_k}\frac{\partial v^{(s+1)}_k}{\partial a^{(s)}_i}\frac{\partial a^{(s)}_i}{\partial v^{(s)}_i}
# = \varphi'(v^{(s)}_i) \sum_k \delta^{(s+1)}_k W^{(s+1)}_{ik}.$$
#
# The note's version of this sum, $\delta_i = \mathcal{C}(v_i)\sum_k s_k w_{ki}$, is the same with its
# $w = W^\top$. For a whole batch, one row per example, the sum over $k$ is a matrix product with
# $W^{(s+1)\top}$ and $\varphi'$ multiplies element-wise ($\odot$):
#
# $$\delta^{(s)} = \varphi'\big(v^{(s)}\big) \odot \big(\delta^{(s+1)}\, W^{(s+1)\top}\big) \tag{2.5}$$
#
# Starting from (2.4) at $s = L$, (2.5) gives $\delta^{(L-1)}, \dots, \delta^{(1)}$ in turn.

# %%
grads = rn.mlp_backward(cache, y)
for s in range(net.n_layers, 0, -1):
    print(f"δ({s}) shape {grads.delta[s].shape}, first example: {grads.delta[s][0]}")

# %% [markdown]
# **Check: each $\delta^{(s)}$ is a gradient.** `rn.loss_from_preactivation(net, s, v, y)` runs the
# network from layer $s$ onward, so it is $E$ as a function of $v^{(s)}$ alone; its finite-difference
# gradient must be $\delta^{(s)}$ for every layer.

# %%
for s in range(net.n_layers, 0, -1):
    check = rn.check_gradient(lambda v, s=s: rn.loss_from_preactivation(net, s, v, y), cache.v[s],
                              grads.delta[s], name=f"δ({s}) = ∂E/∂v({s})")
    print(check)
    assert check.ok

# %% [markdown]
# ### Where the Russian note goes wrong here
#
# *Indices.* The note's second-layer derivation, as written (Russian note 003):
#
# > $\displaystyle = \frac{\partial E}{\partial v_i^{(h-1)}} a_j^{(h-1)} = \delta_i^{(h-1)} a_j^{(h-2)}$
# >
# > $\displaystyle \delta_i^{(h-2)} = \sum_k \delta_k^{(h)} w_{ki}^{(h)} \varphi'(v_i^{(h-1)})$
#
# Two superscript slips: the right-hand side of the second line belongs to layer $h-1$ (it is
# $\delta^{(h-1)}$, not $\delta^{(h-2)}$), and the weight gradient of layer $h-1$ multiplies $a^{(h-2)}$, not
# $a^{(h-1)}$ as the first line has it before correcting itself. (Its chains also carry "≤" where "="
# is meant.) In our network $h = L = 3$ and layers 1 and 2 both have 4 units, so both labels can be
# tested as written: the right-hand side is the gradient by $v^{(2)} = v^{(h-1)}$, not by
# $v^{(1)} = v^{(h-2)}$; and $dW^{(2)}$ is $a^{(1)\top}\delta^{(2)}$, not $a^{(2)\top}\delta^{(2)}$.

# %%
rhs = rn.activation_derivative(cache.v[2], "tanh") * (grads.delta[3] @ net.weights[2].T)  # Σ_k δ_k^(h) w_ki^(h) φ'(v_i^(h-1))
num_v2 = rn.numerical_gradient(lambda v: rn.loss_from_preactivation(net, 2, v, y), cache.v[2])
num_v1 = rn.numerical_gradient(lambda v: rn.loss_from_preactivation(net, 1, v, y), cache.v[1])
print(f"note's right-hand side vs ∂E/∂v(h−1) = ∂E/∂v(2): relative error {rn.below(rn.relative_error(rhs, num_v2), 1e-7)}")
print(f"note's right-hand side vs ∂E/∂v(h−2) = ∂E/∂v(1): relative error {rn.relative_error(rhs, num_v1):.2f}")
assert rn.relative_error(rhs, num_v1) > 0.1

dW2_num = rn.numerical_gradient(lambda W: rn.mlp_loss(rn.with_parameter(net, "W", 2, W), x, y), net.weights[1])
err_a1 = rn.relative_error(cache.a[1].T @ grads.delta[2], dW2_num)  # a^(h-2)ᵀ δ^(h-1): the corrected label
err_a2 = rn.relative_error(cache.a[2].T @ grads.delta[2], dW2_num)  # a^(h-1)ᵀ δ^(h-1): the note's first label
print(f"dW(2) = a(1)ᵀ δ(2): relative error {rn.below(err_a1, 1e-7)};  a(2)ᵀ δ(2) (note's a_j^(h-1)): relative error {err_a2:.2f}")
assert err_a2 > 0.1

# %% [markdown]
# *The matrix form.* The note writes (Russian: «В матричном виде», "in matrix form")
#
# > $\delta^{(s)} = \mathcal{C}(v^{(s)})^T (W^{(s+1)T} \delta^{(s+1)})$
#
# Whether that is right depends on what $\mathcal{C}(v)$ is, and the note does not say:
#
# * **$\mathcal{C}(v)$ the vector $\varphi'(v)$** (as in its entry-wise line $\delta_i = \mathcal{C}(v_i)\sum_k s_k w_{ki}$):
#   then $\mathcal{C}^T(\cdot)$ is an inner product, **one number**, and no single number is the delta;
# * **$\mathcal{C}(v)$ the Jacobian $\partial a/\partial v = \operatorname{diag}(\varphi'(v))$**: then the transpose
#   changes nothing (a diagonal matrix is symmetric) and the product is exactly $\varphi'(v) \odot (\cdot)$ — correct.
#
# Both readings, against the delta measured by finite differences for example 1:

# %%
s = 2
phi_prime = rn.activation_derivative(cache.v[s][0], "tanh")  # φ'(v(2)) of example 1, (n_2,)
back = grads.delta[s + 1][0] @ net.weights[s].T             # δ(3) W(3)ᵀ, (n_2,)
as_vector = phi_prime @ back                                 # reading 1, 𝒞 = φ'(v): 𝒞ᵀ(…) is a number
as_jacobian = np.diag(phi_prime).T @ back                    # reading 2, 𝒞 = diag(φ'(v)): 𝒞ᵀ(…), a vector
delta_measured = rn.numerical_gradient(lambda v: rn.loss_from_preactivation(net, s, v, y), cache.v[s])[0]
print(f"reading 1, 𝒞 = φ'(v) a vector:    {as_vector:.4f}  (a single number)")
print(f"reading 2, 𝒞 = diag(φ'(v)):       {as_jacobian}")
print(f"δ(2) of example 1, measured:       {delta_measured}")
assert not np.allclose(np.full_like(delta_measured, as_vector), delta_measured)  # no number is the delta
assert rn.relative_error(as_jacobian, delta_measured) < 1e-7                     # the Jacobian reading is

# %% [markdown]
# *The output delta.* The note's softmax section (covered in lesson 1) drops a $\ln$ in two lines of the
# cross-entropy and a minus sign in $\partial\alpha_i/\partial u_i$. Both, once more, as numbers — the loss
# without $\ln$ does **not** have the gradient $(a - y)/N$ that the delta rule starts from:

# %%
vL = cache.v[net.n_layers]
g_no_log = rn.numerical_gradient(lambda v: notes.note003_loss_without_log(v, y), vL)
err_no_log = rn.relative_error(g_no_log, rn.output_delta(cache, y))
a_L = rn.softmax(vL[0])
err_minus = rn.relative_error(notes.note003_softmax_diagonal_as_written(vL[0]), a_L * (1 - a_L))
print(f"gradient of the loss without ln vs δ(L):            relative error {err_no_log:.2f}")
print(f"∂α_i/∂u_i as written (minus dropped) vs α_i(1 − α_i): relative error {err_minus:.2f}")
assert err_no_log > 0.1 and err_minus > 0.1

# %% [markdown]
# ## 3. The weight gradient, and the mini-batch average
#
# From the entry-wise formula $\partial E/\partial W^{(s)}_{ji} = a^{(s-1)}_j\delta^{(s)}_i$: for one example
# it is the outer product $a^{(s-1)\top}\delta^{(s)}$; for a batch, the matrix product sums the outer
# products over the rows:
#
# $$\frac{\partial E}{\partial W^{(s)}} = a^{(s-1)\top}\,\delta^{(s)}, \qquad \frac{\partial E}{\partial b^{(s)}} = \sum_{n} \delta^{(s)}_n \tag{2.6}$$
#
# The note averages per-example gradients, $\Delta w^{(s)} = \frac1N\sum_n \delta^{(s,n)}a^{(s-1,n)\top}$.
# Here the $\frac1B$ already sits inside $\delta$ (it is the delta of the *mean* loss, eq. 2.4), so (2.6)
# **is** that average:
#
# $$a^{(s-1)\top}\delta^{(s)} = \frac1B\sum_{n=1}^{B} a^{(s-1)\top}_n\,\delta^{(s,n)} \tag{2.7}$$
#
# where $\delta^{(s,n)}$ is the delta of example $n$ alone.

# %%
per_example = [rn.mlp_backward(rn.mlp_forward(net, x[n:n + 1]), y[n:n + 1]) for n in range(len(x))]
for s in range(1, net.n_layers + 1):
    mean_dW = np.mean([g.dW[s - 1] for g in per_example], axis=0)
    err = rn.relative_error(grads.dW[s - 1], mean_dW)
    print(f"dW({s}) {grads.dW[s - 1].shape}: batch formula vs mean of per-example gradients, relative error {rn.below(err, 1e-12)}")

# %% [markdown]
# **Check every parameter against finite differences.** `rn.with_parameter` swaps one weight matrix,
# so the loss becomes a function of that matrix alone.

# %%
for s in range(1, net.n_layers + 1):
    for kind, param, analytic in (("W", net.weights[s - 1], grads.dW[s - 1]), ("b", net.biases[s - 1], grads.db[s - 1])):
        check = rn.check_gradient(lambda p: rn.mlp_loss(rn.with_parameter(net, kind, s, p), x, y), param, analytic,
                                  name=f"d{kind}({s}) {param.shape}")
        print(check)
        assert check.ok

# %% [markdown]
# The same check for **every activation**, for a batch of one and for a network of a single layer
# (where the output is $\varphi(v)$ with a squared error $E = \frac1{2B}\sum\lVert a^{(L)} - y\rVert^2$, so
# that $\varphi$ is used; then $\delta^{(L)} = \frac1B\varphi'(v^{(L)})\odot(a^{(L)}-y)$). The biases are
# random too: with zero biases, an example whose ReLUs are all off feeds exactly $v = 0$ to the next
# layer — the kink of ReLU, where a finite difference straddles two slopes and means nothing. The worst
# relative error over all $W^{(s)}$ and $b^{(s)}$ of each network:

# %%
cases = []
for act in rn.ACTIVATIONS:
    for sizes, output, batch in (((3, 5, 4, 3), "softmax", 6), ((3, 5, 3), "softmax", 1), ((3, 2), act, 4), ((3, 2), act, 1)):
        r = np.random.default_rng(len(cases))
        n = rn.init_mlp(sizes, hidden=act, output=output, rng=r, scale=0.6, bias_scale=0.3)
        xb = r.normal(size=(batch, sizes[0]))
        yb = r.integers(0, sizes[-1], size=batch) if output == "softmax" else r.normal(size=(batch, sizes[-1]))
        g = rn.mlp_backward(rn.mlp_forward(n, xb), yb)
        worst = max(rn.check_gradient(lambda p: rn.mlp_loss(rn.with_parameter(n, kind, s, p), xb, yb),
                                      (n.weights if kind == "W" else n.biases)[s - 1],
                                      (g.dW if kind == "W" else g.db)[s - 1]).rel_error
                    for s in range(1, n.n_layers + 1) for kind in "Wb")
        cases.append((act, sizes, output, batch, worst))
print(f"{'activation':10s} {'sizes':14s} {'output':9s} {'B':>2s}  worst relative error")
for act, sizes, output, batch, worst in cases:
    print(f"{act:10s} {str(sizes):14s} {output:9s} {batch:2d}  {rn.below(worst, 1e-7)}")
print(f"all {len(cases)} networks: every gradient within {rn.format_power(1e-7)} of finite differences ✓")

# %% [markdown]
# ## 4. Step through the backward pass
#
# A 2–3–3–2 tanh network and one example. Press **next ▶** (or play): the output delta (2.4), the
# gradient of the last weights (2.6), then $\delta$ flowing back through $W^{(3)\top}$ (2.5), and so on down
# to $W^{(1)}$. Orange is the layer being computed, thick edges the weights involved, green the layers done;
# the numbers under the units are $\delta$, and the panel substitutes them into the formula.

# %%
small = rn.init_mlp((2, 3, 3, 2), hidden="tanh", rng=np.random.default_rng(22))
stepper = delta_stepper(small, np.array([[0.5, -1.0]]), np.array([1]))
stepper.widget

# %% [markdown]
# ## 5. Training on two spirals
#
# Two interleaved spirals cannot be split by a line; a network with two tanh layers can bend its
# decision boundary around them. Full-batch gradient descent with momentum ($\mu = 0.9$) on all 200
# points, using nothing but `rn.mlp_forward` / `rn.mlp_backward`:
#
# $$m \leftarrow \mu\, m - \eta\, \frac{\partial E}{\partial W^{(s)}}, \qquad W^{(s)} \leftarrow W^{(s)} + m \tag{2.8}$$
#
# 1500 steps take about a second. The loss first sits near $\ln 2$ (a coin toss), jumps once where
# momentum overshoots a steep wall of the loss surface, then falls as the boundary wraps around the
# arms. (Try `momentum=0.0`: plain gradient descent is still crawling after 1500 steps. For a harder problem try `two_spirals(200, turns=2.0)` with a
# `(2, 48, 48, 2)` network and `steps=6000`.)

# %%
xs, ys = rn.two_spirals(100, turns=1.5, noise=0.05, rng=rng)
spiral_net = rn.init_mlp((2, 24, 24, 2), hidden="tanh", rng=np.random.default_rng(2))
run = rn.train_mlp(spiral_net, xs, ys, lr=0.5, steps=1500, momentum=0.9)
accuracy = np.mean(rn.mlp_predict(run.net, xs) == ys)
print(f"loss: {run.losses[0]:.4f} at step 0, {run.losses[-1]:.4f} at step {run.losses.size - 1}")
print(f"training accuracy: {accuracy:.3f}")
assert run.losses[-1] < 0.1 * run.losses[0] and accuracy > 0.95

# %%
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9.5, 3.8), layout="constrained")
plot_loss_curve(ax1, run.losses)
ax1.set_title("full-batch gradient descent, momentum 0.9")
plot_decision_boundary(ax2, run.net, xs, ys)
ax2.set_title(f"P(class 1) and the boundary, accuracy {accuracy:.2f}")
plt.show()

# %% [markdown]
# ## 6. Exercises
#
# Each exercise starts from a first attempt with a typical mistake. Run the cell to see the hint, fix
# the function, run it again until it says ✓.
#
# **Exercise 2.1 — the delta rule in row form.** `my_hidden_delta(delta_next, W_next, v, activation)`
# gets $\delta^{(s+1)}$ `(B, m)`, $W^{(s+1)}$ `(n, m)` and $v^{(s)}$ `(B, n)` and returns $\delta^{(s)}$ `(B, n)`.
# The first attempt passes the delta back through the weights and stops there.

# %%
def my_hidden_delta(delta_next, W_next, v, activation):
    return delta_next @ W_next.T


exercises.check_hidden_delta(my_hidden_delta)

# %% [markdown]
# **Exercise 2.2 — the mini-batch gradient, from the note's per-example deltas.** `my_weight_gradient(a_prev, deltas)`
# gets $a^{(s-1)}$ `(B, n)` and the per-example deltas $\delta^{(s,n)}$ stacked as `(B, m)` (without the $\frac1B$)
# and returns $\frac1B\sum_n a^{(s-1,n)\top}\delta^{(s,n)}$, shape `(n, m)`. The first attempt copies the note's formula.

# %%
def my_weight_gradient(a_prev, deltas):
    return deltas.T @ a_prev


exercises.check_weight_gradient(my_weight_gradient)

# %% [markdown]
# ## Summary
#
# | equation | formula | function |
# |---|---|---|
# | (2.1) | $v^{(s)} = a^{(s-1)}W^{(s)} + b^{(s)}$ | `rn.mlp_forward` |
# | (2.2) | $a^{(s)} = \varphi_s(v^{(s)})$, $a^{(L)} = \operatorname{softmax}(v^{(L)})$ | `rn.mlp_forward` |
# | (2.3) | $E = -\frac1B\sum_n \ln a^{(L)}_{n,y_n}$ | `rn.mlp_loss`, `rn.loss_from_cache` |
# | (2.4) | $\delta^{(L)} = \frac1B(a^{(L)} - y)$ | `rn.output_delta` |
# | (2.5) | $\delta^{(s)} = \varphi'(v^{(s)})\odot(\delta^{(s+1)}W^{(s+1)\top})$ | `rn.hidden_delta`, `rn.mlp_backward` |
# | (2.6) | $\partial E/\partial W^{(s)} = a^{(s-1)\top}\delta^{(s)}$, $\partial E/\partial b^{(s)} = \sum_n\delta^{(s)}_n$ | `rn.weight_gradient`, `rn.mlp_backward` |
# | (2.7) | the batch gradient is the mean of per-example gradients | — |
# | (2.8) | gradient descent with momentum | `rn.train_mlp` |
#
# What the Russian note got wrong, each shown by a number above: layer indices off by one in the
# second-layer derivation (both the delta's and the activation's superscript), a matrix form
# $\mathcal{C}(v)^\top(\cdot)$ that is right only if $\mathcal{C}$ is the diagonal Jacobian (a vector $\mathcal{C}$ makes
# the delta a scalar), and (from lesson 1) a dropped $\ln$ and a dropped minus sign.
#
# **Next:** lesson 3 reads the same backward pass as *ordered derivatives* — the partial derivative
# of a variable against its total — which is exactly how BPTT is written for recurrent networks.
