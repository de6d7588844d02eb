# %% [markdown]
# # Lesson 9 — A character language model: perplexity, truncation and sampling
#
# The Chinese note (seed 001) ends with the shapes of a batched character language model: a
# vocabulary of 28, inputs of shape `(batch, T)`, outputs `(T, batch, 28)`, and labels that must be
# transposed before the loss. This lesson trains exactly that model from scratch — the package's
# `rnn_forward` / `rnn_backward` (lessons 4–5) and `fit` (lesson 7) — on Python's own language
# reference, then lets it write.
#
# **After this lesson you can**
# 1. build a character vocabulary and cut a corpus into mini-batches by random or sequential partitioning;
# 2. carry the hidden state across sequential batches and *detach* it (truncated BPTT);
# 3. measure a language model by perplexity (eq. 9.2) and compare it with the vocabulary size;
# 4. explain what the truncation length changes, with and without a carried state;
# 5. sample text with a temperature (eq. 9.3) and predict what the temperature does.
#
# *How to use this notebook:* **Run → Run All Cells** (about a minute). `FULL = True` below is
# the larger setting: H = 256, 4000 steps of 64 characters × 32 streams (about 0.1 s per step on a busy
# 2-core machine, so 10–15 minutes in all). The sampler near the end needs a running kernel.

# %%
import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # small matrices: BLAS threads only add overhead

# %matplotlib inline
import tempfile
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np

import rnnedu as rn
from rnnedu.exercises import lesson09 as exercises
from rnnedu.plotting.charrnn import plot_char_distribution, plot_perplexity
from rnnedu.widgets.charrnn import sampler_box

rng = np.random.default_rng(9)

FULL = False  # True: the larger setting for learners
H, N_STEPS, BATCH, NUM_STEPS = (256, 4000, 32, 64) if FULL else (128, 800, 32, 32)
STUDY_STEPS = 1500 if FULL else 300  # per run of the truncation study (section 6: 18 runs)

# %% [markdown]
# ## Notation
#
# | quantity | this course | Chinese note (seed 001) |
# |---|---|---|
# | input at step $t$ | $x_t$, a one-hot row of length $V$ (or its id) | $x_t$ (column), "one-hot of a letter" |
# | hidden state | $h_t = \tanh(x_t W_{xh} + h_{t-1}W_{hh} + b_h)$ | $h_t = \sigma(U x_t + w h_{t-1})$, also $w_{xh}x_t + w_{hh}h_{t-1} + b_h$ |
# | weights | $W_{xh}, W_{hh}, W_{hy}$ | $U = W_{xh}^\top$, $w = W_{hh}^\top$, $V = W_{hy}^\top$ |
# | output | $o_t = h_t W_{hy} + b_y$, shape `(T, B, V)` | $y_t = V h_t$, "(time steps, batch-size, 28)" |
# | targets | $Y$ ids `(T, B)`, time-major like $X$ | $y$ of shape `(batch-size, T)`, hence `y.T.reshape(-1)` |
# | vocabulary | $V = 28$: 26 letters, space, unknown | "input-size 28, output-size 28" |
# | batch size, steps | $B$, $T$ (`NUM_STEPS`) | batch-size, 时间步 (time steps) |
# | initial state | $h_0$ `(B, H)` | `h0` "(batch-size, hidden-size)" |

# %% [markdown]
# ## 1. The corpus: Python's language reference
#
# Nothing is downloaded. The text is Python's language reference — what `help("for")` prints — read
# offline from a copy that ships inside the package (`rnnedu/corpus/`, so every machine and every
# Python version reads the same text); `help(rn.load_corpus)` says where it comes from. `rn.load_corpus()` applies d2l's
# preprocessing: lower case, every run of non-letters becomes one space. That
# leaves 26 letters and the space — with the unknown character, the note's vocabulary of **28**.
# `rn.load_corpus("my_book.txt")` reads your own UTF-8 text file instead (`letters_only=False` keeps
# every character).

# %%
text = rn.load_corpus()
vocab = rn.Vocab.build(text)
V = len(vocab)
print(f"{len(text)} characters, V = {V}: {vocab}")
print(repr(text[:300]))
assert V == 28

# %% [markdown]
# A file that is empty, unreadable or binary gets a clear error instead of a garbage vocabulary:

# %%
png = Path(matplotlib.get_data_path()) / "images" / "matplotlib.png"
try:
    rn.load_corpus(png)
except ValueError as err:
    print("ValueError:", str(err).replace(str(png), "matplotlib.png"))

# %% [markdown]
# The last 20 000 characters are held out for measuring perplexity; the model trains on the rest.

# %%
ids = vocab.encode(text)
train_ids, valid_ids = ids[:-20_000], ids[-20_000:]
print(f"train {train_ids.size} tokens, validation {valid_ids.size} tokens")

# %% [markdown]
# ## 2. Mini-batches: random and sequential partitioning
#
# The model learns to predict $x_{t+1}$ from $x_1 \dots x_t$, so a batch is a pair `X`, `Y` with `Y`
# = `X` shifted by one character. There are two ways to cut the corpus (as d2l teaches), shown here on
# a short sentence with $B = 2$ and $T = 6$:
#
# * **random partitioning**: drop a random offset, cut into windows of $T$, shuffle the windows.
#   Neighbouring batches are unrelated, so each starts from $h_0 = 0$.
# * **sequential partitioning**: lay the corpus out as $B$ parallel streams; batch $i+1$ continues
#   every column of batch $i$. The final state of a batch is the right initial state of the next.

# %%
demo = vocab.encode("the quick brown fox jumps over the lazy dog and runs")
for name, it in [("random", rn.RandomBatches(demo, 2, 6, np.random.default_rng(0))),
                 ("sequential", rn.SequentialBatches(demo, 2, 6, np.random.default_rng(0)))]:
    print(f"{name} partitioning (X columns, then Y columns):")
    for i, batch in zip(range(3), it):
        print(f"  batch {i}: X {[vocab.decode(batch.X[:, b]) for b in range(2)]}  Y {[vocab.decode(batch.Y[:, b]) for b in range(2)]}")

# %% [markdown]
# **Carrying and detaching the state.** With sequential batches the state $h_T$ of one batch becomes
# $h_0$ of the next. The loss of the next batch then depends on the earlier characters, but its
# gradient stops at $h_0$: we pass $h_T$ on as a plain array and never back-propagate into the batch
# that produced it — truncated BPTT with window $T$. (In PyTorch this is `h.detach()`.)
# `rn.LanguageModelLoss(carry=True)` does this for `fit`, resetting to zero at the start of each pass.
#
# **The note's transpose.** The Chinese note's lines on it, as written, with a translation:
#
# > 因此 RNN input-size 为 28, output-size 也是 28 从而输出也对应一个字母
# > *— "so the RNN's input size is 28 and its output size is also 28, so each output corresponds to a letter"*
# >
# > 最后输出的 $(y_1, y_2, \dots, y_T)$ 的形状为 (时间步, batch-size, 28) (28 是词表大小)
# > *— "the final outputs $(y_1, \dots, y_T)$ have shape (time steps, batch-size, 28) (28 is the vocabulary size)"*
# >
# > 而这里的 y 的形状是 (batch-size, 时间步) 因此计算 loss 时需要转置 即: $y = y.T.reshape(-1)$,
# > $y\_hat = y\_hat.reshape(-1, 28)$
# > *— "while y here has shape (batch-size, time steps), so computing the loss needs a transpose, i.e. …"*
#
# The note stores labels batch-first `(B, T)` but gets outputs time-major `(T, B, 28)`, so it flattens
# the labels as `y.T.reshape(-1)` — correct for its layout. The package keeps `Y` time-major like
# `X`, so no transpose is needed. Forgetting it gives a different — wrong — loss:

# %%
lm = rn.init_rnn_params(V, 16, V, rng)
batch = next(iter(rn.RandomBatches(train_ids, 4, 10, np.random.default_rng(1))))
hs = rn.rnn_forward(batch.X, None, lm["W_xh"], lm["W_hh"], lm["b_h"])
logits = (hs @ lm["W_hy"] + lm["b_y"]).reshape(-1, V)  # (T·B, 28), rows in (t, b) order
y_note = batch.Y.T  # the note's labels, (B, T)
right = rn.cross_entropy(logits, y_note.T.reshape(-1))
wrong = rn.cross_entropy(logits, y_note.reshape(-1))
ours, _, _ = rn.lm_loss_and_grads(lm, batch.X, batch.Y)
print(f"y.T.reshape(-1): {right:.6f}   y.reshape(-1): {wrong:.6f}   rn.lm_loss_and_grads: {ours:.6f}")
assert abs(right - ours) < 1e-12 and abs(wrong - ours) > 1e-3

# %% [markdown]
# ## 3. The loss, its gradient, and perplexity
#
# The language model is the RNN of lesson 4 with a loss at every step:
#
# $$L = -\frac{1}{TB}\sum_{t=1}^{T}\sum_{b=1}^{B}\log\operatorname{softmax}(h_t W_{hy} + b_y)_{b,\,y_{t,b}},
# \qquad y_t = x_{t+1} \tag{9.1}$$
#
# `rn.lm_loss_and_grads` composes it from `rnn_forward` and `rnn_backward` and also returns $h_T$ for
# the next batch. **Check:** the same loss and gradients as `rn.rnn_loss_and_grads` (lesson 4), and
# the gradients against central differences — with a carried, nonzero $h_0$:

# %%
small = rn.init_rnn_params(V, 8, V, rng)
X, Y = batch.X[:5], batch.Y[:5]
h0 = 0.5 * rng.standard_normal((X.shape[1], 8))
loss, grads, h_T = rn.lm_loss_and_grads(small, X, Y, h0)
ref_loss, ref = rn.rnn_loss_and_grads(small, X, Y, h0)
assert abs(loss - ref_loss) < 1e-12 and all(np.allclose(grads[k], ref[k], rtol=1e-10, atol=1e-14) for k in grads)
for key in ["W_xh", "W_hh", "b_h", "W_hy", "b_y"]:
    check = rn.check_gradient(lambda v, key=key: rn.lm_loss_and_grads({**small, key: v}, X, Y, h0)[0],
                              small[key], grads[key], name=f"language model d{key}")
    print(check)  # the tolerance met, not round-off digits (those differ between machines; lesson 1)
    assert check.ok

# %% [markdown]
# A language model is judged by its **perplexity**, the exponential of the mean cross-entropy on
# held-out text:
#
# $$\mathrm{PP} = \exp\Big(-\frac1N\sum_{n=1}^{N}\log p(x_{n+1}\mid x_{\le n})\Big) \tag{9.2}$$
#
# It is the size of a uniform choice that would be equally surprised: a model that guesses uniformly
# over $V$ characters has perplexity exactly $V$, a perfect one 1. The untrained model is close to 28:

# %%
uniform = {k: np.zeros_like(v) for k, v in lm.items()}
print(f"perplexity of the uniform model: {rn.perplexity(uniform, valid_ids):.2f} (V = {V})")
print(f"perplexity of a random initial model: {rn.perplexity(lm, valid_ids):.2f}")
assert abs(rn.perplexity(uniform, valid_ids) - V) < 1e-9

# %% [markdown]
# ## 4. Training, with the state carried across batches
#
# `rn.fit` from lesson 7: Adam, gradient-norm clipping at 1, a progress bar; a callback measures the
# validation perplexity every 100 steps.

# %%
params = rn.init_rnn_params(V, H, V, rng)
monitor = rn.PerplexityMonitor(valid_ids, every=100).start(params)  # fit's callback
history = rn.fit(params, rn.LanguageModelLoss(carry=True), rn.SequentialBatches(train_ids, BATCH, NUM_STEPS, rng),
                 optimizer=rn.Adam(1e-2), n_steps=N_STEPS, clip_norm=1.0, callback=monitor,
                 desc=f"language model, H = {H}")

# %%
train_ppl = np.exp(history.smoothed(50))
fig, ax = plt.subplots(figsize=(7, 3.2), layout="constrained")
ax.semilogy(history.steps, train_ppl, lw=1, label="training batches (mean of 50)")
plot_perplexity(ax, monitor.steps, monitor.values, vocab_size=V, label="held-out text")
ax.set_title(f"perplexity; dashed: V = {V}, a uniform guess")
ax.legend()
plt.show()

# %%
final = monitor.values[-1]
print(f"validation perplexity after {N_STEPS} steps: {final:.2f}   (vocabulary size V = {V})")
for step, ppl in zip(monitor.steps, monitor.values):
    print(f"  step {step:5d}: {ppl:6.2f}")
assert final < V / 3

# %% [markdown]
# **Checkpoint.** Save, reload (no pickle), and check the model is the same:

# %%
with tempfile.TemporaryDirectory() as tmp:
    path = Path(tmp) / "char_lm.npz"
    rn.save_checkpoint(path, params, H=H, steps=N_STEPS, vocab="".join(vocab.itos))
    loaded, meta = rn.load_checkpoint(path)
print(f"checkpoint: H = {meta['H']}, {meta['steps']} steps, vocabulary {meta['vocab']!r}")
assert rn.perplexity(loaded, valid_ids) == final

# %% [markdown]
# ## 5. Sampling with a temperature
#
# To write, the model reads a prefix, then repeatedly draws the next character from its predicted
# distribution and feeds it back in. A **temperature** $\tau$ rescales the logits first:
#
# $$p_\tau(c \mid \text{prefix}) = \operatorname{softmax}(o/\tau)_c \tag{9.3}$$
#
# $\tau < 1$ sharpens the distribution (safer, more repetitive text), $\tau > 1$ flattens it (more
# surprising, more misspelt); $\tau \to 0$ is the arg-max, $\tau \to \infty$ uniform.

# %%
fig, axes = plt.subplots(1, 3, figsize=(10, 2.6), layout="constrained", sharey=True)
for ax, tau in zip(axes, [0.5, 1.0, 2.0]):
    p = rn.next_char_distribution(params, vocab, "the for stat", tau)
    plot_char_distribution(ax, p, vocab.itos)
    ax.set_title(f"after 'the for stat', τ = {tau}")
plt.show()

# %%
for tau in [0.3, 0.7, 1.0, 1.5]:
    print(f"τ = {tau}: the {rn.sample(params, vocab, 'the ', 160, tau, np.random.default_rng(0))}\n")

# %% [markdown]
# **Try it.** Type a prefix (press Enter) and move the temperature. The upper bars show the
# distribution of the next character after your prefix at that temperature; the text is a sample of
# the length you choose, and the lower bars its character frequencies beside the corpus's (black
# marks). At low τ the sample over-uses the common letters; at high τ the rare ones creep in.

# %%
sampler = sampler_box(params, vocab, prefix="the object ", temperature=0.7, n_chars=200, reference=text)
sampler.widget

# %% [markdown]
# ## 6. The effect of the truncation length
#
# With sequential batches, $T$ (`num_steps`) is where BPTT is cut: gradients never reach back more
# than $T$ characters. With random batches it cuts more: the state also *starts from zero* every $T$
# characters, so during training the model never sees more than $T$ characters of context.
#
# A fair comparison changes one thing at a time and knows its noise. Every run below uses the same
# batch size, $B = 16$ streams, the same number of steps and the same model size; within one $T$ the
# two partitions differ only in how the text is cut. (Across $T$, a step covers $B \cdot T$ characters,
# so a longer window also means more text read in the same steps: compare the partitions *within* a
# row.) Each setting is trained from three seeds — different initial weights and batch order — and the
# spread over the seeds is the noise a difference has to beat. All are measured the same way (eq. 9.2,
# the state running through the held-out text).

# %%
STUDY_B, SEEDS, Ts = 16, (100, 101, 102), [2, 8, 32]
study = {}
for T_ in Ts:
    for carry in (True, False):
        for seed in SEEDS:
            r = np.random.default_rng(seed)
            p = rn.init_rnn_params(V, 64, V, r)
            batches = (rn.SequentialBatches if carry else rn.RandomBatches)(train_ids, STUDY_B, T_, r)
            rn.fit(p, rn.LanguageModelLoss(carry=carry), batches, optimizer=rn.Adam(1e-2), n_steps=STUDY_STEPS,
                   clip_norm=1.0, progress=False)
            study[T_, carry, seed] = rn.perplexity(p, valid_ids)
ppl = {(T_, carry): np.array([study[T_, carry, s] for s in SEEDS]) for T_ in Ts for carry in (True, False)}
gap = {T_: ppl[T_, False].mean() - ppl[T_, True].mean() for T_ in Ts}  # random − sequential, mean over seeds
# separated: every run of one partition is better than every run of the other, so no choice of seed reverses it
separated = {T_: ppl[T_, False].min() > ppl[T_, True].max() or ppl[T_, True].min() > ppl[T_, False].max() for T_ in Ts}
print(f"validation perplexity after {STUDY_STEPS} steps, H = 64, B = {STUDY_B}: mean over {len(SEEDS)} seeds (min–max)")
print("   T     sequential (carried)        random (reset)    gap (random − seq.)")
for T_ in Ts:
    cells = [f"{v.mean():6.2f} ({v.min():5.2f}–{v.max():5.2f})" for v in (ppl[T_, True], ppl[T_, False])]
    print(f"{T_:4d}   {cells[0]:>22s}   {cells[1]:>22s}   {gap[T_]:+10.2f}")
for T_ in Ts:
    print(f"T = {T_:2d}: " + ("the two ranges over seeds do not overlap: the difference is larger than the seed noise"
                             if separated[T_] else "the two ranges over seeds overlap: the difference is within the seed noise"))
assert separated[2] and gap[2] > 1.0

# %%
fig, ax = plt.subplots(figsize=(5.5, 3), layout="constrained")
for carry, style, label in [(True, "o-", "sequential: state carried, detached"), (False, "s--", "random: state reset every T")]:
    means = np.array([ppl[T_, carry].mean() for T_ in Ts])
    lo, hi = (np.array([f(ppl[T_, carry]) for T_ in Ts]) for f in (np.min, np.max))
    ax.errorbar(Ts, means, yerr=[means - lo, hi - means], fmt=style, capsize=3, label=label)
ax.set_xscale("log", base=2)
ax.set_xticks(Ts, [str(t) for t in Ts])
ax.set_xlabel("truncation length T (num_steps)")
ax.set_ylabel("validation perplexity")
ax.set_title(f"B = {STUDY_B}; bars: min–max over {len(SEEDS)} seeds")
ax.legend()
plt.show()

# %% [markdown]
# With the state reset, short windows starve the model of context: at $T = 2$ it can only learn
# which character follows one or two others, and every run with the state reset is worse than every
# run with it carried (the assert above checks it). Carrying the state gives the *forward* pass the whole history
# even when the *backward* pass is cut after $T$ steps. As $T$ grows the two partitions approach each
# other; the verdict lines above say, for each $T$, whether what is left of the gap is larger than the
# noise over seeds — with one run per setting there would be no way to tell. What no setting of $T$ can give is a gradient for dependencies longer than the window — that is
# what BPTT($T$) truncates.

# %% [markdown]
# ## 7. Exercises
#
# Each starts from a first attempt with a typical mistake: run, read the hint, fix, rerun.
#
# **Exercise 9.1 — temperature.** `my_softmax_t(o, tau)` returns eq. (9.3) for logits `o (V,)`.

# %%
def my_softmax_t(o, tau):
    e = np.exp(o - o.max())
    return e / e.sum()


exercises.check_temperature_softmax(my_softmax_t)

# %% [markdown]
# **Exercise 9.2 — perplexity.** `my_perplexity(logits, targets)` for `logits (N, V)` and `targets (N,)`.

# %%
def my_perplexity(logits, targets):
    logp = rn.log_softmax(logits)[np.arange(len(targets)), targets]
    return np.exp(-logp.sum())


exercises.check_perplexity(my_perplexity)

# %% [markdown]
# **Exercise 9.3 — sequential streams.** `my_streams(ids, B)` lays a corpus `ids (N,)` out as `(N/B, B)`
# so that each column is one contiguous stream (what `SequentialBatches` does before cutting windows).

# %%
def my_streams(ids, B):
    return ids.reshape(-1, B)


exercises.check_streams(my_streams)

# %% [markdown]
# ## Summary
#
# | equation | formula | function |
# |---|---|---|
# | (9.1) | $L = -\frac1{TB}\sum_{t,b}\log\operatorname{softmax}(h_tW_{hy}+b_y)_{y_{t,b}}$, $y_t = x_{t+1}$ | `rn.lm_loss_and_grads`, `rn.LanguageModelLoss` |
# | (9.2) | $\mathrm{PP} = \exp(\text{mean cross-entropy})$; uniform $= V$ | `rn.perplexity` |
# | (9.3) | $p_\tau = \operatorname{softmax}(o/\tau)$ | `rn.next_char_distribution`, `rn.sample` |
# | batches | random / sequential partitioning, time-major `(T, B)` | `rn.RandomBatches`, `rn.SequentialBatches` |
#
# The Chinese note's shapes hold: vocabulary 28, outputs `(T, B, 28)`; its `y.T.reshape(-1)` is the
# transpose that batch-first labels need, and time-major labels do not. The model's perplexity fell
# from 28 to the value printed in section 4 — far below the vocabulary size.
#
# From the softmax derivative (lesson 1) through the delta rule, ordered derivatives, the forward
# pass, BPTT, vanishing gradients and training, to a model that writes. One step remains, and it is
# yours: in [lesson 10](10_capstone_min_char_rnn.ipynb) you write this model's loss function, BPTT,
# clipping and optimiser yourself, and checkers tell you where your code goes wrong.
