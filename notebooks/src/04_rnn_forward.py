# %% [markdown]
# # Lesson 4 — The RNN forward pass: one step, a sequence, a loss, and their shapes
#
# A recurrent network reads a sequence one element at a time and carries a *state* from step to
# step. Everything in lessons 5–9 — backpropagation through time, vanishing gradients, gated cells,
# the character model — is built on the few lines of this lesson. They are short, but the shapes
# are where real code goes wrong: the source notes write column vectors, code stores row vectors in
# batches, and one of the notes warns about labels stored `(B, T)` against outputs `(T, B, V)`.
#
# **After this lesson you can**
# 1. write one RNN step $h_t = \varphi(x_t W_{xh} + h_{t-1} W_{hh} + b_h)$ for a batch, and run it
#    over a sequence with token ids (no one-hot matrix);
# 2. state the shape of every array, and translate each source note's notation into ours;
# 3. compute the mean cross-entropy over all $T \cdot B$ positions, and line labels up with outputs;
# 4. recognise the notes' models — concatenation $[x_t, h_{t-1}]$ and the linear $X + H$ — as special
#    cases of the one RNN.
#
# *How to use this notebook:* run it top to bottom (**Run → Run All Cells**). The widget near the
# end needs a running kernel; everything else is already shown with its output.

# %% [markdown]
# ## Notation
#
# Row vectors, batch first inside a step, time-major sequences (as in every lesson):
#
# | quantity | this course | Chinese note 001 | Russian note 002 | Chinese note 004 | German note 000 |
# |---|---|---|---|---|---|
# | input at step $t$ | $x_t$ $(B, D)$, or token ids $(B,)$ | $x_t$, declared a **row** $1\times n$ ("单例", one example) but multiplied as a column, $w_{xh}x_t$ (section 5) | $x_t$ | $x_t$ | $X$ (one-hot, $n$ Unicode characters) |
# | hidden state | $h_t$ $(B, H)$ | $h_t$ ($1 \times 5$) | $s_t$ | $h_t$ | $H$ |
# | input weights | $W_{xh}$ $(D, H)$ | $w_{xh}$ ($n \times 5$); $U$ | $U = W_{xh}^\top$ | first $D$ columns of $w_{ih}$ | $W_2$ (shared with $H$) |
# | recurrent weights | $W_{hh}$ $(H, H)$ | $w_{hh}$; $w$ | $W = W_{hh}^\top$ | last $H$ columns of $w_{ih}$ | $W_2$ |
# | output weights | $W_{hy}$ $(H, K)$ | $w_{ho}$; $V$ | $V = W_{hy}^\top$ | $w_{ho} = W_{hy}^\top$ | $W_1$ |
# | biases | $b_h$, $b_y$ | $b_h$, $b_o$ | — | $b_{ih}$, $b_{ho}$ | $B_2$, $B_1$ |
# | activation | $\varphi$ (tanh, sigmoid, relu, identity) | $\sigma$ (*outside* the recurrence in its first model) | $f$ | $\tanh$ | none (linear) |
# | output | $o_t$ logits, $\hat y_t = \operatorname{softmax}(o_t)$ | $o$, $y_t$ | $\hat y_t$ (written $h_t$!) | $y_t = \operatorname{softmax}(z_{o_t})$ | $Y = \log\operatorname{softmax}(\cdot)$ |
# | loss | $L$, mean over $T\cdot B$ | $J = \sum_t J_t$, $L = \sum_t L_t$ | $E = \sum_t E_t$ | $C = -\sum_t\sum_k (1-\hat y_k)\log y_k$ as extracted; cross-entropy $\hat y_k \log y_k$ meant (lesson 3) | $J$ |
#
# A column-vector note maps onto ours by transposition: its $U x_t + W s_{t-1}$ is our
# $x_t W_{xh} + h_{t-1} W_{hh}$ with $W_{xh} = U^\top$, $W_{hh} = W^\top$. The Russian note reuses the
# letter $h_t$ for the *output* $\operatorname{softmax}(V s_t)$; here $h$ is always the hidden state.

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import rnnedu as rn
from rnnedu.exercises import lesson04 as exercises
from rnnedu.plotting.bptt import plot_hidden_states
from rnnedu.widgets.bptt import forward_explorer

rng = np.random.default_rng(4)

# %% [markdown]
# ## 1. One step
#
# The state after step $t$ mixes the new input with the previous state, then squashes:
#
# $$a_t = x_t W_{xh} + h_{t-1} W_{hh} + b_h, \qquad h_t = \varphi(a_t) \tag{4.1}$$
#
# | array | shape | |
# |---|---|---|
# | $x_t$ | $(B, D)$ | B examples, D input features (D = V for one-hot characters) |
# | $h_{t-1}, h_t, a_t$ | $(B, H)$ | H hidden units |
# | $W_{xh}$, $W_{hh}$, $b_h$ | $(D, H)$, $(H, H)$, $(H,)$ | shared by **every** step |
#
# The same three parameters are used at every step: that is what makes the network recurrent, and
# why a sequence of any length can be processed.
#
# We use the Chinese note 001's setting, a character model with a vocabulary of $V = 28$ symbols.
# Inputs are **token ids**: a one-hot row $x_t = e_{i}$ times $W_{xh}$ is just row $i$ of $W_{xh}$,
# so `rn.rnn_step` gathers rows instead of building a $(B, V)$ one-hot matrix.

# %%
vocab = "abcdefghijklmnopqrstuvwxyz ."
texts = ["hello world.", "the cat sat."]
ids = np.array([[vocab.index(c) for c in s] for s in texts]).T  # (T+1, B): time-major
X, Y = ids[:-1], ids[1:]  # predict the next character
V, H = len(vocab), 16
T, B = X.shape
params = rn.init_rnn_params(V, H, V, rng)
print(f"V = {V}, H = {H}, T = {T}, B = {B}")
for name, value in params.items():
    print(f"{name:5s} {str(value.shape):9s}")

# %%
h0 = np.zeros((B, H))
h1 = rn.rnn_step(X[0], h0, params["W_xh"], params["W_hh"], params["b_h"])
print("x_1 ids:", ", ".join(str(i) for i in X[0]), f"({', '.join(repr(vocab[i]) for i in X[0])}) -> h_1 shape {h1.shape}")
print("h_1[0, :4] =", ", ".join(f"{v:+.4f}" for v in h1[0, :4]))

# %% [markdown]
# **Check.** Token ids and explicit one-hot rows give the same step, and the step is eq. (4.1)
# written out.

# %%
onehot = np.eye(V)[X[0]]  # (B, V): only for this check
h1_dense = rn.rnn_step(onehot, h0, params["W_xh"], params["W_hh"], params["b_h"])
h1_formula = np.tanh(onehot @ params["W_xh"] + h0 @ params["W_hh"] + params["b_h"])
assert np.allclose(h1, h1_dense, rtol=0, atol=1e-15) and np.allclose(h1, h1_formula, rtol=0, atol=1e-15)
print("ids == one-hot == eq. (4.1) ✓")

# %% [markdown]
# ## 2. A sequence
#
# Apply (4.1) for $t = 1, \dots, T$ from an initial state $h_0$ (zeros unless given):
#
# $$h_t = \varphi(x_t W_{xh} + h_{t-1} W_{hh} + b_h), \qquad t = 1, \dots, T \tag{4.2}$$
#
# `rn.rnn_forward` returns all states as one array `hs (T, B, H)`; `hs[t-1]` is $h_t$. The input
# term $x_t W_{xh} + b_h$ does not depend on the state, so it is computed for all steps before the
# loop; inside the loop there is one $(B, H)\cdot(H, H)$ product per step.

# %%
hs = rn.rnn_forward(X, h0, params["W_xh"], params["W_hh"], params["b_h"])
print("xs", X.shape, "-> hs", hs.shape)

# %%
h = h0
for t in range(T):
    h = rn.rnn_step(X[t], h, params["W_xh"], params["W_hh"], params["b_h"])
    assert np.allclose(hs[t], h, rtol=0, atol=1e-14)
print(f"rnn_forward == {T} calls of rnn_step ✓")

# %% [markdown]
# Each column of the picture is one $h_t$ of the first example, "hello world". Every state depends on
# all characters before it.

# %%
fig, ax = plt.subplots(figsize=(6.4, 2.8), layout="constrained")
plot_hidden_states(ax, hs[:, 0, :])
ax.set_xticks(np.arange(T), list(texts[0][:-1]))
ax.set_xlabel("input character $x_t$")
plt.show()

# %% [markdown]
# ## 3. Outputs and the loss
#
# Every step predicts the next character: logits, then the mean cross-entropy (lesson 1) over all
# $T \cdot B$ positions,
#
# $$o_t = h_t W_{hy} + b_y \tag{4.3}$$
#
# $$L = -\frac{1}{TB} \sum_{t=1}^{T} \sum_{b=1}^{B} \log \operatorname{softmax}(o_t)_{b,\,y_{t,b}} \tag{4.4}$$
#
# with $o_t$ of shape $(B, V)$, all of them together `logits (T, B, V)`. Because $W_{hy}$ is the same at
# every step, the whole output layer is one matrix product over `hs (T, B, H)`.
# `rn.rnn_loss_and_grads` does (4.2)–(4.4) and returns the gradients too (lesson 5).

# %%
logits = hs @ params["W_hy"] + params["b_y"]  # (T, B, V)
loss = rn.cross_entropy(logits, Y)  # labels (T, B), like the logits
loss_fn, grads = rn.rnn_loss_and_grads(params, X, Y, h0)
print("logits", logits.shape, " labels", Y.shape)
print(f"loss = {loss:.6f}   rnn_loss_and_grads: {loss_fn:.6f}")
assert abs(loss - loss_fn) < 1e-12

# %% [markdown]
# **Check: an untrained model knows nothing.** With tiny weights every logit is about 0, softmax is
# uniform over V symbols, and the loss is $\log V = \log 28 \approx 3.332$. A first loss far from
# $\log V$ means a bug in the loss or the initialisation.

# %%
tiny = rn.init_rnn_params(V, H, V, rng, scale=1e-4)
loss_tiny, _ = rn.rnn_loss_and_grads(tiny, X, Y)
print(f"loss with tiny weights = {loss_tiny:.5f},  log V = {np.log(V):.5f}")
assert abs(loss_tiny - np.log(V)) < 1e-4

# %% [markdown]
# ## 4. The note's pitfall: outputs `(T, B, V)`, labels `(B, T)`
#
# The Chinese note 001 ends with the shapes of a batched character model: the network's outputs
# are `(T, batch, 28)`, but a data loader hands out labels `(batch, T)` — one row per text. To feed
# a loss that wants flat rows, the outputs become `(T·B, 28)` with `reshape(-1, 28)`: row $t\cdot B + b$
# is *step t of example b*. The labels must be flattened in the same order, and the note's recipe is
# `y.T.reshape(-1)`. The tempting `y.reshape(-1)` has the right length, raises nothing, and pairs
# the wrong labels with the outputs.

# %%
y_bt = Y.T.copy()  # (B, T): how a loader stores the labels, one row per text
print("logits", logits.shape, " labels as stored", y_bt.shape)

# %% [markdown]
# **Wrong** (runs without complaint):

# %%
loss_wrong = rn.cross_entropy(logits.reshape(-1, V), y_bt.reshape(-1))
print(f"y.reshape(-1):   loss = {loss_wrong:.6f}")
print("first 4 labels paired with rows 0–3:", "".join(vocab[i] for i in y_bt.reshape(-1)[:4]).replace(" ", "␣"))

# %% [markdown]
# **Right:**

# %%
loss_right = rn.cross_entropy(logits.reshape(-1, V), y_bt.T.reshape(-1))
print(f"y.T.reshape(-1): loss = {loss_right:.6f}")
print("first 4 labels paired with rows 0–3:", "".join(vocab[i] for i in y_bt.T.reshape(-1)[:4]).replace(" ", "␣"))
assert abs(loss_right - loss) < 1e-12 and abs(loss_wrong - loss) > 1e-3
print("only y.T.reshape(-1) reproduces the loss (4.4) ✓")

# %% [markdown]
# Rows 0–3 are steps 1–2 of both texts: the right labels are `e, h, l, e` (the next characters of
# "hello…" and "the…", alternating); the wrong ones are the first four labels of the *first* text only.
# `rn.rnn_loss_and_grads` takes time-major labels `(T, B)`, like the inputs, and refuses a
# transposed array with a hint instead of computing a wrong number. (The error is caught here so that
# **Run All** goes on; call it without `try` to see the traceback.)

# %%
try:
    rn.rnn_loss_and_grads(params, X, y_bt, h0)
    raise AssertionError("a (B, T) label array must be refused")
except ValueError as err:
    print("ValueError:", err)
    assert "pass Y.T" in str(err)

# %% [markdown]
# ## 5. The notes' models are this RNN
#
# ### Concatenation (Chinese note 004)
#
# Note 004 writes one weight matrix acting on the concatenation $xc_t = [x_t, h_{t-1}]$:
# $h_t = \tanh(w_{ih}\, xc_t + b_{ih})$, column vectors, $w_{ih}$ of shape $(H, D+H)$. Splitting the
# matrix product by blocks,
#
# $$w_{ih}\begin{bmatrix} x_t \\ h_{t-1}\end{bmatrix} = \big(x_t W_{xh} + h_{t-1} W_{hh}\big)^\top,
# \qquad w_{ih}^\top = \begin{bmatrix} W_{xh} \\ W_{hh} \end{bmatrix} \tag{4.5}$$
#
# so it is exactly (4.1) with the two matrices stacked.

# %%
D4 = 5
w_ih = rng.normal(scale=0.5, size=(H, D4 + H))
b_ih = rng.normal(scale=0.1, size=H)
x4, hprev4 = rng.normal(size=(B, D4)), rng.normal(size=(B, H))
W_xh4, W_hh4 = rn.split_concatenated_weights(w_ih, D4)
h_concat = rn.concatenated_step(x4, hprev4, w_ih, b_ih)
h_ours = rn.rnn_step(x4, hprev4, W_xh4, W_hh4, b_ih)
diff = float(np.abs(h_concat - h_ours).max())
print(f"w_ih {w_ih.shape} -> W_xh {W_xh4.shape}, W_hh {W_hh4.shape};  max |difference| {rn.below(diff, 1e-14)}")

# %% [markdown]
# ### The linear sum $X + H$ (German note 000)
#
# The German note's classifier adds the one-hot character to the state before multiplying. As written:
#
# > So ist Y durch $Y = \sigma(W_i(X+H) + B_i)$ definiert. … und H durch $H = W_i(X+H) + B_i$
#
# ("So Y is defined by … and H by …", σ being its log-softmax.) Its gradients then name two matrices,
# $W_1$ for the output and $W_2$ for the state: $H = W_2(X + H) + B_2$ and
# $Y = \log\operatorname{softmax}(W_1(X + H) + B_1)$. In our notation the hidden update is
#
# $$h_t = (x_t + h_{t-1})\, W_2^\top + B_2 \quad\Longrightarrow\quad
# W_{xh} = W_{hh} = W_2^\top,\quad b_h = B_2,\quad \varphi = \text{identity} \tag{4.6}$$
#
# a **linear** RNN with tied input and recurrent weights — and $X + H$ only makes sense when the state
# has as many entries as the alphabet ($D = H$). (Its first equation also uses one $W_i$ for both
# layers; the two layers need their own $W_1$, $W_2$. Its output reads $X + H$, i.e. the previous state
# and the new input, rather than the new state — as the concatenation reading below also does.)

# %%
n = 6  # alphabet size = state size, as X + H requires
W2, B2 = rng.normal(scale=0.3, size=(n, n)), rng.normal(scale=0.1, size=n)
chars = rng.integers(0, n, size=(7, 1))  # (T, B=1) character ids
tied = rn.sum_recurrence_params(W2, B2)
hs_german = rn.rnn_forward(chars, None, activation="identity", **tied)
Hcol = np.zeros(n)
for t in range(7):  # the note's formula, column vectors, one character at a time
    Hcol = W2 @ (np.eye(n)[chars[t, 0]] + Hcol) + B2
    assert np.allclose(hs_german[t, 0], Hcol, rtol=0, atol=1e-13)
print("H = W2 (X + H) + B2 is rnn_forward with W_xh = W_hh = W2ᵀ, b_h = B2, identity ✓")

# %% [markdown]
# That needed a time index the note does not write. Read as written, $H = W_2(X + H) + B_2$ is one
# *equation* with $H$ on both sides: its solution $H = (I - W_2)^{-1}(W_2 X + B_2)$ depends on the current
# character alone — the state of a network that has read that character forever, with no memory of the
# name before it. The recurrence needs $H_t = W_2(X_t + H_{t-1}) + B_2$:

# %%
X_last = np.eye(n)[chars[-1, 0]]
H_equation = np.linalg.solve(np.eye(n) - W2, W2 @ X_last + B2)  # H = W2 (X + H) + B2, solved for H
gap_eq = rn.relative_error(H_equation, hs_german[-1, 0])
print(f"H solving the note's equation for the last character vs h_T of the recurrence: relative difference {gap_eq:.2f}")
assert np.allclose(H_equation, W2 @ (X_last + H_equation) + B2) and gap_eq > 0.05

# %% [markdown]
# And $X + H$ only adds when the state has one entry per character. Read $X + H$ as the **concatenation**
# $[X, H]$ — note 004's $xc_t = [x_t, h_{t-1}]$, and the usual character-level name classifier — and every
# objection goes away: the state has any size, input and recurrent weights are separate blocks, and
# the sum is the special case of tied blocks, $w = [W_2, W_2]$. That is the reading that makes the German
# classifier a sensible RNN:

# %%
r4 = np.random.default_rng(40)
D_names, H_names = 57, 16  # e.g. 57 characters in, 16 state units
x_name, h_name = np.eye(D_names)[[5]], np.zeros((1, H_names))  # (1, 57), (1, 16)
try:
    x_name + h_name
except ValueError:
    print(f"X + H with X {x_name.shape} and H {h_name.shape}: cannot be added (ValueError)")
else:
    raise AssertionError("vectors of different lengths were added")
h_next = rn.concatenated_step(x_name, h_name, r4.normal(scale=0.3, size=(H_names, D_names + H_names)), np.zeros(H_names))
print(f"[X, H] W: state {h_next.shape}")
x6, h6 = np.eye(n)[[2]], r4.normal(size=(1, n))
tied = np.concatenate([x6, h6], axis=1) @ np.hstack([W2, W2]).T  # [x, h] [W2, W2]ᵀ
assert h_next.shape == (1, H_names) and np.allclose(tied, (x6 + h6) @ W2.T)
print("the sum W2 (X + H) is the concatenation with tied blocks [W2, W2] ✓")

# %% [markdown]
# ### Row shapes, column products (Chinese note 001)
#
# Note 001 declares its shapes as rows and then multiplies as if they were columns. As written:
#
# > 例如 图中的三层神经网络 $h: size(1 \times 5)$ $o: size(1 \times 1)$
# > 令 单例 $x: size(1 \times n)$ $w_{xh}: size(n \times 5)$ $w_{hh}: size(5 \times 5)$
# > $h_t = w_{xh} x_t + w_{hh} h_{t-1} + b_h$
#
# ("For example, the three-layer network in the figure: h of size 1×5, o of size 1×1. Let one example
# x be of size 1×n, w_xh of size n×5, w_hh of size 5×5.") With those shapes $w_{xh}x_t$ is
# $(n \times 5)(1 \times n)$ and $w_{hh}h_{t-1}$ is $(5\times 5)(1 \times 5)$: neither product exists. The shapes
# are exactly our row convention, and in it the step is $x_t w_{xh} + h_{t-1} w_{hh} + b_h$, of the declared
# size $1 \times 5$. With the note's $n = V = 28$:

# %%
n001 = V  # the note's n: one-hot characters of the 28-symbol vocabulary
x001, h001 = np.eye(n001)[[3]], np.zeros((1, 5))  # (1, n), (1, 5): the declared rows
w_xh001, w_hh001, b_h001 = rng.normal(size=(n001, 5)), rng.normal(size=(5, 5)), np.zeros(5)
for label, W_, v_ in (("w_xh x_t", w_xh001, x001), ("w_hh h_(t-1)", w_hh001, h001)):
    try:
        W_ @ v_
    except ValueError:
        print(f"{label} as written: {W_.shape} · {v_.shape} — no such product (ValueError)")
    else:
        raise AssertionError(f"{label} conformed")
h_row = x001 @ w_xh001 + h001 @ w_hh001 + b_h001
print(f"row form x_t w_xh + h_(t-1) w_hh + b_h: shape {h_row.shape}, the declared size of h")
assert h_row.shape == (1, 5)

# %% [markdown]
# ### Where the activation sits (Chinese note 001)
#
# Note 001 first writes $h_t = w_{xh} x_t + w_{hh} h_{t-1} + b_h$ and $o = w_{ho}\,\sigma(h_t) + b_o$: the
# nonlinearity *outside* the recurrence, so the state itself is a linear RNN. A few lines later it uses
# $h_t = \sigma(U x_t + w h_{t-1})$, inside. These are different networks, and the difference matters for
# the gradients of lesson 5 (the notes' $(\sigma' w)^{t-k}$ assumes the second):

# %%
w_args = (params["W_xh"], params["W_hh"], params["b_h"])
inside = rn.rnn_forward(X, h0, *w_args, activation="tanh")  # h_t = tanh(a_t)
outside = np.tanh(rn.rnn_forward(X, h0, *w_args, activation="identity"))  # tanh applied after a linear recurrence
gap = rn.relative_error(inside, outside)
print(f"tanh inside vs outside the recurrence: relative difference {gap:.2f}")
assert np.allclose(inside[0], outside[0]) and gap > 0.05  # equal at t = 1 (h_0 = 0), then they part

# %% [markdown]
# ## 6. float32 stays float32
#
# The arrays follow the parameters' dtype: float32 weights give float32 states, losses computed in
# float32, and float32 gradients (lesson 9 trains in float32).

# %%
p32 = {k: v.astype(np.float32) for k, v in params.items()}
hs32 = rn.rnn_forward(X, None, p32["W_xh"], p32["W_hh"], p32["b_h"])
_, g32 = rn.rnn_loss_and_grads(p32, X, Y)
print("hs:", hs32.dtype, "  grads:", sorted({str(g.dtype) for g in g32.values()}))
assert hs32.dtype == np.float32 and all(g.dtype == np.float32 for g in g32.values())
assert rn.relative_error(hs32, hs) < 1e-6

# %% [markdown]
# ## 7. Explore: how the state evolves
#
# One fixed random input sequence, $H = 5$ units, $W_{hh} = \rho\,Q$ with $Q$ orthogonal (every
# singular value of $W_{hh}$ is $\rho$). Try:
# * **identity** with $\rho > 1$: the linear state grows like $\rho^t$ (the German note's model has no
#   squashing at all); with $\rho < 1$ it forgets the start;
# * **tanh** with a large input scale: units saturate near $\pm 1$ — where $\tanh' \approx 0$, which is
#   lesson 6's vanishing gradient;
# * **relu**: units that go negative stay at exactly 0.

# %%
explorer = forward_explorer(T=40, D=3, H=5, seed=4)
explorer.widget

# %% [markdown]
# ## 8. Exercises
#
# Each exercise starts from a first attempt with a typical mistake. Run the cell to see the checker's
# hint, fix the function, and run it again until it says ✓.
#
# **Exercise 4.1 — labels in the logits' order.** `flatten_labels(y)` gets labels stored `(B, T)` and
# must return the `(T·B,)` labels matching `logits.reshape(-1, V)` for logits `(T, B, V)`.

# %%
def flatten_labels(y):
    return y.reshape(-1)


exercises.check_flatten_labels(flatten_labels)

# %% [markdown]
# **Exercise 4.2 — one step in row notation.** `my_step(x_t, h_prev, W_xh, W_hh, b_h)` must return
# $\tanh(x_t W_{xh} + h_{t-1} W_{hh} + b_h)$ for a batch. The first attempt copies the notes' column form.

# %%
def my_step(x_t, h_prev, W_xh, W_hh, b_h):
    return np.tanh(W_xh @ x_t + W_hh @ h_prev + b_h)


exercises.check_rnn_step(my_step)

# %% [markdown]
# **Exercise 4.3 — note 004's $w_{ih}$ in our notation.** `my_split(w_ih, D)` takes $w_{ih}$ of shape
# $(H, D + H)$ and returns `(W_xh, W_hh)` of shapes $(D, H)$ and $(H, H)$ such that (4.5) holds.

# %%
def my_split(w_ih, D):
    return w_ih[:, :D], w_ih[:, D:]


exercises.check_split_concatenated(my_split)

# %% [markdown]
# ## Summary
#
# | equation | formula | function |
# |---|---|---|
# | (4.1) | $h_t = \varphi(x_t W_{xh} + h_{t-1} W_{hh} + b_h)$ | `rn.rnn_step` |
# | (4.2) | $h_1, \dots, h_T$ from $h_0$; input term hoisted out of the loop | `rn.rnn_forward` |
# | (4.3)–(4.4) | $o_t = h_t W_{hy} + b_y$, mean cross-entropy over $T\cdot B$ | `rn.cross_entropy_head`, `rn.rnn_loss_and_grads` |
# | (4.5) | $w_{ih}^\top = [W_{xh}; W_{hh}]$ (note 004) | `rn.split_concatenated_weights`, `rn.concatenated_step` |
# | (4.6) | $X + H$: tied, linear (note 000) | `rn.sum_recurrence_params` |
#
# * Token ids select rows of $W_{xh}$; no one-hot matrix is needed.
# * Outputs are time-major `(T, B, V)`; labels stored `(B, T)` are flattened with `y.T.reshape(-1)` —
#   `y.reshape(-1)` is silently wrong.
# * The loss of an untrained model is $\log V$.
# * The notes' concatenated and summed models are the same RNN with particular weights; note 001's
#   "activation outside" model is a different network, and its row shapes need the row form $x_t w_{xh}$.
# * The German note's $H = W_2(X + H) + B_2$ needs a time index to be a recurrence, and $X + H$ read as
#   $[X, H]$ makes its classifier an ordinary RNN of any state size.
#
# Next, lesson 5 runs this computation backward: backpropagation through time.
