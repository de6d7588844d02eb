# %% [markdown]
# # Lesson 1 — Softmax, its Jacobian, cross-entropy and $a - y$
#
# Every recurrent network in this course ends the same way: a vector of scores (*logits*) goes
# through a softmax, and the loss is the cross-entropy of the true class. Backpropagation through
# time starts from the derivative of that loss with respect to the logits, and the answer is
# famously simple: $a - y$. This lesson derives it twice, checks every step numerically, and shows
# where the source notes go wrong.
#
# **After this lesson you can**
# 1. compute softmax and log-softmax stably for any finite logits;
# 2. derive the softmax Jacobian $J = \operatorname{diag}(a) - a^\top a$, cross terms included;
# 3. derive cross-entropy from maximum likelihood;
# 4. derive $\partial E / \partial z = (a - y)/N$ directly and through the Jacobian;
# 5. check any derivative with central finite differences — the tool used in every lesson.
#
# *How to use this notebook:* run it top to bottom (**Run → Run All Cells**). The widget near the
# end needs a running kernel; everything else is already shown with its output.

# %% [markdown]
# ## Notation
#
# One notation runs through the whole course: row vectors, batch first. Logits
# $z \in \mathbb{R}^{N \times K}$ (N examples, K classes), probabilities $a = \operatorname{softmax}(z)$,
# targets $y$ (integer labels, or one-hot rows), mean loss $E$. The two source notes for this lesson
# use other letters:
#
# | quantity | this course | German note (seed 000) | Russian note (seed 003) |
# |---|---|---|---|
# | logits | $z_i$ | $x_i$ inside $\sigma$; later $W_i(X+H)+B_i$ | $u_k$ (also $v_k$) |
# | probabilities | $a_i = \operatorname{softmax}(z)_i$ | $\sigma_i$ (but $Y$ is defined as $\log\sigma$) | $a_k^{(h)}$, $\alpha_k$ |
# | log-probabilities | $\log a_i$ = `log_softmax` | $\sigma_i = \log(\dots)$ | $u_j - \ln\sum_k e^{u_k}$ |
# | sum of exponentials | $S = \sum_k e^{z_k}$ | $v(x)$, $\sum_k e^{x_k}$ | $\sum_k e^{u_k}$ |
# | target | $y$ (label or one-hot) | $y_{1,i}$ (index of the true class) | $y_j^{(n)}$ (one-hot) |
# | loss | $E$, mean over N | $J$, divided by $n$ | $E(w)$, mean over N |
# | output delta | $\partial E/\partial z = (a-y)/N$ | — | $\delta = s = a - y$ (one example) |
# | helper | — | $\lambda = 1/S - e^{z_i}/S^2$ | — |

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

import rnnedu as rn
from rnnedu import notes, plotting
from rnnedu.exercises import lesson01 as exercises
from rnnedu.widgets.softmax import softmax_explorer

np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(1)

# %% [markdown]
# ## 1. Softmax
#
# Softmax turns K arbitrary scores into a probability distribution:
#
# $$a_i = \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_{k=1}^{K} e^{z_k}} \tag{1.1}$$
#
# Every $a_i$ is positive and they sum to 1. Adding the same constant $c$ to every logit changes
# nothing, because $e^{z_i + c} / \sum_k e^{z_k + c} = e^{z_i}/\sum_k e^{z_k}$. That *shift invariance* is
# what makes softmax computable: subtract $\max_k z_k$ first and no exponential can overflow.

# %%
z = np.array([2.0, 1.0, 0.1, -1.0])
a = rn.softmax(z)
print("z =", z)
print("a =", a, " sum =", f"{a.sum():.6f}")

# %%
big = np.array([1000.0, 999.0, -1000.0])
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(big) / np.exp(big).sum()  # the formula (1.1) typed in literally
print("naive softmax of [1000, 999, -1000]:", naive)
print("rn.softmax (shifted by max):        ", rn.softmax(big))

# %% [markdown]
# **Check.** Rows sum to one, shifting changes nothing, and the literal formula overflows
# ($e^{1000} = \infty$, $\infty/\infty$ = `nan`) where the shifted one does not.

# %%
Z = rng.normal(scale=3.0, size=(5, 4))
assert np.allclose(rn.softmax(Z).sum(axis=1), 1.0)
assert np.allclose(rn.softmax(Z + 123.4), rn.softmax(Z))
assert np.isnan(naive).any() and np.isfinite(rn.softmax(big)).all()
print("softmax: rows sum to 1, shift invariant, finite at ±1000 ✓")

# %% [markdown]
# The German note defines its output with a logarithm, $\sigma_i = \log\big(e^{x_i}/\sum_j e^{x_j}\big)$ —
# the **log-softmax**. Computed as $\log(\operatorname{softmax})$ it fails as soon as a probability
# underflows to 0; computed with the same shift it is always finite:
#
# $$\log a_i = z_i - m - \log \sum_k e^{z_k - m}, \qquad m = \max_k z_k \tag{1.2}$$

# %%
with np.errstate(divide="ignore"):
    print("log(softmax(big)):", np.log(rn.softmax(big)))
print("log_softmax(big): ", rn.log_softmax(big))
assert np.allclose(rn.log_softmax(Z), np.log(rn.softmax(Z)))
assert np.isfinite(rn.log_softmax(big)).all()

# %% [markdown]
# ## 2. The softmax Jacobian
#
# Every output $a_i$ depends on **every** logit $z_j$, through the sum in the denominator. So the
# derivative is a $K \times K$ matrix, $J_{ij} = \partial a_i/\partial z_j$. Write $a_i = u/v$ with
# $u = e^{z_i}$ and $v = S = \sum_k e^{z_k}$, as the German note does, and use the quotient rule.
#
# *Diagonal* ($j = i$): $\partial u/\partial z_i = e^{z_i}$ and $\partial v/\partial z_i = e^{z_i}$, so
#
# $$\frac{\partial a_i}{\partial z_i} = \frac{e^{z_i} S - e^{z_i} e^{z_i}}{S^2} = a_i - a_i^2 = a_i(1 - a_i).$$
#
# *Off the diagonal* ($j \neq i$): $u$ does not depend on $z_j$ but $v$ does, $\partial v/\partial z_j = e^{z_j}$:
#
# $$\frac{\partial a_i}{\partial z_j} = \frac{0 \cdot S - e^{z_i} e^{z_j}}{S^2} = -a_i a_j.$$
#
# Both cases in one formula, with $\delta_{ij}$ the Kronecker delta, and as a matrix:
#
# $$J_{ij} = a_i(\delta_{ij} - a_j), \qquad J = \operatorname{diag}(a) - a^\top a \tag{1.3}$$
#
# Each **column** sums to zero: $\sum_i a_i = 1$ for every $z$, so moving one logit $z_j$ cannot change the
# total, $\sum_i \partial a_i/\partial z_j = 0$. And $J$ is symmetric, so each row sums to zero as well.

# %%
J = rn.softmax_jacobian(z)
print(J)

# %% [markdown]
# **Check against finite differences.** Row $i$ of the Jacobian is the gradient of the scalar
# function $z \mapsto a_i(z)$. `rn.numerical_gradient` estimates a gradient by central differences,
# $\partial f/\partial x_i \approx \big(f(x + \varepsilon e_i) - f(x - \varepsilon e_i)\big)/2\varepsilon$ (eq. (1.6) in
# section 4, the tool of every lesson), with error $O(\varepsilon^2)$ from truncation and
# $O(10^{-16}/\varepsilon)$ from rounding: about ten correct digits at $\varepsilon = 10^{-6}$ in float64. A
# correct derivative agrees to about $10^{-9}$ relative error; a wrong one misses by far more. So the
# check asserts the error is below $10^{-7}$ and prints that it is:

# %%
J_num = np.stack([rn.numerical_gradient(lambda v, i=i: rn.softmax(v)[i], z) for i in range(z.size)])
err = rn.relative_error(J, J_num)
print(f"relative error, analytic vs numerical Jacobian {rn.below(err, 1e-7)}")
assert np.allclose(J, J.T)
assert np.allclose(J.sum(axis=0), 0.0) and np.allclose(J.sum(axis=1), 0.0)  # columns (the argument), rows (symmetry)

# %% [markdown]
# ### Why "< 1e-7 ✓" and not the digits
#
# The error above is far below $10^{-7}$, but its exact digits are not worth printing: they are
# rounding noise, and they change from machine to machine. Floating-point addition is not
# associative — every sum is rounded to 53 bits, and *which* intermediate sums get rounded depends on
# the order:

# %%
left, right = (0.1 + 0.2) + 0.3, 0.1 + (0.2 + 0.3)
print(f"(0.1 + 0.2) + 0.3 = {left!r}")
print(f"0.1 + (0.2 + 0.3) = {right!r}")
assert left != right and abs(left - right) <= np.finfo(float).eps * right

# %% [markdown]
# A dot product is a long sum, and libraries are free to add it up in any order. OpenBLAS picks a
# kernel for the CPU it runs on (`Haswell`, `SkylakeX`, `Zen`, …), which splits the sum into 4, 8 or 16
# lanes and adds them in its own order, often with *fused multiply–add* ($a \cdot b + c$ rounded once
# instead of twice); numpy picks SIMD paths per CPU in the same way. The same data, summed in two
# orders, in plain Python so that this cell shows the same digits everywhere:

# %%
r = np.random.default_rng(11)  # its own generator, so the numbers after this section do not move
u, v = r.random(1000) - 0.5, r.random(1000) - 0.5  # uniform: made from random bits alone, the same everywhere
products = (u * v).tolist()  # each product is rounded once, identically everywhere
first_to_last, last_to_first = 0.0, 0.0
for p in products:
    first_to_last += p
for p in reversed(products):
    last_to_first += p
scale = sum(abs(p) for p in products)  # the size of the numbers being added
print(f"summed first to last: {first_to_last!r}")
print(f"summed last to first: {last_to_first!r}")
assert first_to_last != last_to_first and abs(first_to_last - last_to_first) < 1e-14 * scale
blas_dot = float(u @ v)  # OpenBLAS's order, which depends on the CPU: asserted, not printed
assert abs(blas_dot - first_to_last) < 1e-14 * scale
print(f"u @ v (BLAS, summed in the CPU's order) vs the loop: |difference| / Σ|u_i v_i| {rn.below(abs(blas_dot - first_to_last) / scale, 1e-14)}")

# %% [markdown]
# Two machines therefore agree to about $10^{-16}$ relative, not to the last bit, and an error that is
# itself at round-off level (like $10^{-10}$ from a finite difference) can read `3e-11` on one and
# `4e-11` on another. That is why every check in this course **asserts** the exact value against a
# fixed tolerance and **prints the tolerance it met**, `< 1e-7 ✓` (`rn.below`, and `print` of a
# `rn.check_gradient` result). Numbers that are not round-off — losses, probabilities, accuracies —
# are printed at a precision no change of kernel can move.

# %% [markdown]
# ### Where the German note goes wrong
#
# The note is not part of the course's files, so here are the lines this section corrects, as written
# (German, its "Notizen" — notes — part). Its setting: one input $s = x + h$, and class $i$ has its own
# weight $w_i$ and bias $b_i$, so the logits are $z_i = w_i s + b_i$ (in code: `w * s_in + b`).
#
# > $\lambda = \frac{1}{\sum_{k=1}^K e^{(w_i^k (x+h) + b_i^k)}} - \frac{e^{(w_i (x+h) + b_i)}}{\left(\sum_{k=1}^K e^{(w_i^k (x+h) + b_i^k)} \right)^2}$
# >
# > $\boxed{\frac{\partial Y}{\partial B_i} = \frac{e^{(w_i^j (x+h) + B_i^j)}}{\sum_{k=1}^K e^{(w_i^k (x+h) + B_i^k)}} = e^{(w_i^j (x+h) \cdot B_i^j)} \cdot \lambda}$
#
# Its helper $\lambda = \frac{1}{S} - \frac{e^{z_i}}{S^2}$ is right: $e^{z_i}\lambda$ is exactly the diagonal
# $a_i - a_i^2$. But the note only ever differentiates $\sigma_i$ by its *own* input: the cross terms
# $-a_i a_j$ never appear, so its Jacobian is $\operatorname{diag}(a_i(1-a_i))$. And its box writes
# $e^{(W_i(x+H)\cdot B_i)}$ where $e^{(W_i(x+H)+B_i)}$ is meant. Both, checked:

# %%
lam = notes.note000_lambda(z)
assert np.allclose(np.exp(z) * lam, np.diag(J))
print("e^z · λ equals the diagonal a(1 − a):", np.exp(z) * lam)

J_note = notes.note000_jacobian_diagonal_only(z)
err_note = rn.relative_error(J_note, J_num)
print(f"diagonal-only Jacobian vs numerical: relative error {err_note:.2f}")
print("its columns sum to", J_note.sum(axis=0), "— but the probabilities always sum to 1, so they must be 0")
assert err_note > 0.3 and not np.allclose(J_note.sum(axis=0), 0.0)

w, s_in, b = np.array([0.8, -0.5, 1.5]), 0.7, np.array([0.3, 1.2, -0.4])  # z_i = w_i s + b_i, s = x + H
dadb_num = np.array([rn.numerical_gradient(lambda bb, i=i: rn.softmax(w * s_in + bb)[i], b)[i] for i in range(3)])
dadb_note = notes.note000_bias_derivative_as_written(w, s_in, b)
box_middle = notes.note000_bias_derivative_box(w, s_in, b)  # e^{z_i} / Σ_k e^{z_k}, the box's middle
print("∂a_i/∂b_i numerical:      ", dadb_num)
print("box, right (· for +):     ", dadb_note)
print("box, middle (= σ_i):      ", box_middle, "— the line above it had σ_i − σ_i²")
assert rn.relative_error(dadb_note, dadb_num) > 0.1
assert rn.relative_error(box_middle, dadb_num) > 0.3 and rn.relative_error(box_middle - box_middle**2, dadb_num) < 1e-7

# %% [markdown]
# Four more slips in the same pages, each quoted and checked.
#
# **The derivative by $x_i$ is the derivative by $w_i$.** The note writes
#
# > $u(x) = e^{(w_i \cdot (x+h) + b_i)}$, $\quad \frac{du}{dx_i} u'(x) = e^{(w_i \cdot (x+h) + b_i)} \cdot (x+h)$
#
# The chain rule by $x$ brings down the inner derivative $w_i$; the factor $(x + h)$ is what the
# derivative by $w_i$ brings down.

# %%
x_in, h_in = 0.4, 0.3  # s = x + h = 0.7, as above
du_note = notes.note000_du_dx_as_written(w, x_in, h_in, b)
du_dx = np.array([rn.numerical_gradient(lambda xx, i=i: np.exp(w[i] * (xx[0] + h_in) + b[i]), np.array([x_in]))[0] for i in range(3)])
du_dw = np.array([rn.numerical_gradient(lambda ww, i=i: np.exp(ww[i] * (x_in + h_in) + b[i]), w)[i] for i in range(3)])
print("note's du/dx_i:", du_note)
print("numerical ∂u/∂x:", du_dx, "  numerical ∂u/∂w_i:", du_dw)
assert rn.relative_error(du_note, du_dx) > 0.3 and rn.relative_error(du_note, du_dw) < 1e-7

# %% [markdown]
# **A denominator indexed by $i$.** The note writes the softmax of its classifier as
#
# > $\sigma_i = \frac{e^{(w_i \cdot (x+h) + b_i)}}{\sum_{k=1}^K e^{(w_i \cdot (x+h) + b_i)}}$
#
# The terms of the sum carry the numerator's index $i$, not $k$: all $K$ terms are the numerator itself,
# so $\sigma_i = 1/K$ whatever the weights. Meant is $\sum_k e^{(w_k (x+h) + b_k)}$.

# %%
for w_try in (w, 5 * w):  # the weights above, and five times them
    sigma_note = notes.note000_softmax_denominator_as_written(w_try, s_in, b)
    print(f"w = {w_try}: σ as written {sigma_note},  softmax(w s + b) {rn.softmax(w_try * s_in + b)}")
    assert np.allclose(sigma_note, 1 / 3) and not np.allclose(rn.softmax(w_try * s_in + b), 1 / 3, atol=0.01)

# %% [markdown]
# **Two boxes for $\partial Y/\partial w_i$.** First the note boxes
#
# > $\boxed{\frac{\partial Y}{\partial w_i} = e^{(w_i \cdot (x+h) + b_i)} \cdot (x+h) \cdot \boxed{\lambda}}$
#
# and a page later, going through $H_i$, boxes
#
# > $\Rightarrow \boxed{\frac{\partial Y}{\partial w_i} = e^{(w_i \cdot (x+H) + b_i)} \cdot w_i \cdot \lambda \cdot (x+H)}$
#
# They differ by the factor $w_i$, which came from multiplying $\partial Y/\partial H_i$ (which has it) by
# $\partial H_i/\partial w_i$. The first is the diagonal derivative $a_i(1-a_i)\,s$; the second is not:

# %%
box_first, box_second = notes.note000_weight_derivative_boxes(w, s_in, b)
dadw_num = np.array([rn.numerical_gradient(lambda ww, i=i: rn.softmax(ww * s_in + b)[i], w)[i] for i in range(3)])
print("∂a_i/∂w_i numerical:", dadw_num)
print("first box:          ", box_first)
print("second box:         ", box_second, "(× w_i)")
assert rn.relative_error(box_first, dadw_num) < 1e-7 and rn.relative_error(box_second, dadw_num) > 0.3

# %% [markdown]
# ## 3. Cross-entropy from maximum likelihood
#
# Read the softmax as the model's probability of each class **given the input**, $p(k \mid x) = a_k$. The
# Russian note calls it the *a priori* probability (as written: «Линивация softmax предполагает
# априориорное вероятнство что пример принадлежит данному классу» — "softmax activation presumes the
# a priori probability that the example belongs to the given class"). A priori means *before* seeing
# the example; $a$ is computed *from* the example, so it is the probability after seeing it —
# conditional on $x$, a posterior. Same weights, two inputs, two distributions:

# %%
W_demo = np.array([[1.0, -1.0, 0.5], [0.0, 2.0, -1.0]])  # a linear model: logits = x W_demo, 2 features → 3 classes
for x_demo in (np.array([1.0, 0.0]), np.array([0.0, 1.0])):
    print(f"x = {x_demo}: softmax(x W) = {rn.softmax(x_demo @ W_demo)}")
assert not np.allclose(rn.softmax(np.array([1.0, 0.0]) @ W_demo), rn.softmax(np.array([0.0, 1.0]) @ W_demo))

# %% [markdown]
# With a one-hot target $y$, the probability of the observed class is $\prod_k a_k^{y_k}$. For N independent
# examples the likelihood is a product, and the Russian note maximises it:
#
# $$p(y \mid w) = \prod_{n=1}^{N} \prod_{k=1}^{K} \big(a_k^{(n)}\big)^{y_k^{(n)}}.$$
#
# Products of many small numbers underflow, and sums are easier to differentiate, so take the
# logarithm; maximising becomes minimising its negative, and dividing by N makes the loss a mean that
# does not grow with the batch:
#
# $$E = -\frac{1}{N}\ln p(y\mid w) = -\frac{1}{N}\sum_{n=1}^{N}\sum_{k=1}^{K} y_k^{(n)} \ln a_k^{(n)} \tag{1.4}$$
#
# With integer labels this is simply the mean of $-\log a_{y_n}$ over the batch.

# %%
Zb = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 3.0], [1.0, -1.0, 0.0]])
yb = np.array([0, 2, 2, 1])
N = len(yb)
A = rn.softmax(Zb)
likelihood = np.prod(A[np.arange(N), yb])
print(f"likelihood of the 4 labels: {likelihood:.6f}")
print(f"-ln(likelihood)/N:          {-np.log(likelihood) / N:.6f}")
print(f"rn.cross_entropy(Z, y):     {rn.cross_entropy(Zb, yb):.6f}")
assert np.isclose(rn.cross_entropy(Zb, yb), -np.log(likelihood) / N)

# %% [markdown]
# ### Two wrong losses in the notes
#
# **Russian note, dropped logarithm.** Its line, as written:
#
# > $E(w) = -\frac{1}{N} \ln \prod_{n=1}^N \prod_{k=1}^K \left(\frac{e^{u_k^{(n)}}}{\sum_k e^{u_k^{(n)}}} \right)^{y_k^{(n)}} = -\frac{1}{N} \sum_{n=1}^N \sum_{j=1}^K y_j^{(n)} \frac{e^{u_j^{(n)}}}{\sum_k e^{u_k^{(n)}}}$
#
# The right-hand side has lost the $\ln$ in front of the fraction. That is minus the mean
# *probability* of the true class, a different function whose gradient is not $a - y$ (checked in
# section 4).
#
# **German note, sign and scale.** As written:
#
# > $J = \left(\sum_{i=1}^N \sigma_{y_{1,i}} \right) / n$ — Die Lösung des Optimierungsproblems erfolgt mit dem
# > Gradientenverfahren: $W_1 = W_1' - \alpha \cdot \nabla W_1$
#
# ("The optimisation problem is solved by gradient descent.") With $\sigma$
# the log-softmax, the mean log-*likelihood*, which it then **minimises** by gradient descent. One step
# of gradient descent on $J$ lowers the probability of the true class; the same step on $E$ raises it.
# And $J$ is divided by $n$, the number of characters, instead of the number of examples $N$: double
# the batch and the note's loss (and its gradient, hence the effective learning rate) doubles.

# %%
step = 0.5
grad_J = rn.numerical_gradient(lambda v: notes.note000_loss(v, yb, n=57), Zb)
grad_E = rn.cross_entropy_delta(Zb, yb)
after = {"before": Zb,
         "after a descent step on the note's J": Zb - step * grad_J,
         "after a descent step on the mean CE E": Zb - step * grad_E}
p_true = {name: rn.softmax(Zs)[np.arange(N), yb].mean() for name, Zs in after.items()}
for name, p in p_true.items():
    print(f"mean probability of the true class, {name + ':':40s} {p:.4f}")
assert p_true["after a descent step on the note's J"] < p_true["before"] < p_true["after a descent step on the mean CE E"]

Z2, y2 = np.vstack([Zb, Zb]), np.concatenate([yb, yb])
print(f"note's J, batch of 4 then 8 (same data twice): {notes.note000_loss(Zb, yb, 57):.4f}, {notes.note000_loss(Z2, y2, 57):.4f}")
print(f"mean cross-entropy, batch of 4 then 8:        {rn.cross_entropy(Zb, yb):.4f}, {rn.cross_entropy(Z2, y2):.4f}")
assert np.isclose(notes.note000_loss(Z2, y2, 57), 2 * notes.note000_loss(Zb, yb, 57))
assert np.isclose(rn.cross_entropy(Z2, y2), rn.cross_entropy(Zb, yb))

# %% [markdown]
# **One letter for two counts.** The note opens with
#
# > Sei X ein Vektor mit n Elementen, wobei n die Anzahl der Unicode Zeichen ist.
# > Sei Y ein Vektor mit n Elementen, wobei n die Anzahl der Klassifizierungskategorien ist.
#
# ("Let X be a vector with n elements, where n is the number of Unicode characters. Let Y be a vector
# with n elements, where n is the number of classification categories.") For a name classifier those
# are, say, 57 characters and 18 languages: $W_1$ maps the one to the other and cannot be square, and
# the loss $J = (\sum_i \sigma_{y_{1,i}})/n$ is a different number for each $n$ it might mean.

# %%
n_chars, n_classes = 57, 18
J_by_chars, J_by_classes = notes.note000_loss(Zb, yb, n=n_chars), notes.note000_loss(Zb, yb, n=n_classes)
print(f"W_1 maps X+H ({n_chars} entries) to Y ({n_classes} entries): {n_classes} × {n_chars} in the note's column form, not n × n")
print(f"J with n = {n_chars} (characters): {J_by_chars:.4f};  with n = {n_classes} (categories): {J_by_classes:.4f}")
assert not np.isclose(J_by_chars, J_by_classes)

# %% [markdown]
# ## 4. The output delta, directly: $a - y$
#
# Take one example and use (1.2) inside (1.4): $\ln a_j = z_j - \ln\sum_k e^{z_k}$, so
#
# $$E = -\sum_j y_j \Big(z_j - \ln\sum_k e^{z_k}\Big) = -\sum_j y_j z_j + \Big(\sum_j y_j\Big)\ln\sum_k e^{z_k}.$$
#
# The targets sum to one, so the last factor is 1. Differentiate by $z_i$: the first term gives $-y_i$,
# the second $e^{z_i}/\sum_k e^{z_k} = a_i$. Averaged over N examples,
#
# $$\frac{\partial E}{\partial z} = \frac{1}{N}(a - y) \tag{1.5}$$
#
# The error signal is just "what the model said minus what was true". It is checked, like every
# derivative in this course, by central differences — for a scalar function $f$ of an array $x$, one
# entry at a time:
#
# $$\frac{\partial f}{\partial x_i} \approx \frac{f(x + \varepsilon e_i) - f(x - \varepsilon e_i)}{2\varepsilon} \tag{1.6}$$
#
# (`rn.numerical_gradient`; `rn.check_gradient` compares it with an analytic gradient and prints the
# tolerance met, as explained in section 2.)

# %%
check = rn.check_gradient(lambda v: rn.cross_entropy(v, yb), Zb, rn.cross_entropy_delta(Zb, yb), name="dE/dz = (a − y)/N")
print(check)
assert check.ok

grad_note = rn.numerical_gradient(lambda v: notes.note003_loss_without_log(v, yb), Zb)
err_no_log = rn.relative_error(grad_note, rn.cross_entropy_delta(Zb, yb))
print(f"gradient of the Russian note's loss without ln vs (a − y)/N: relative error {err_no_log:.2f}")
assert err_no_log > 0.5

# %% [markdown]
# **The Russian note's one-example derivation.** As written:
#
# > Очевидно при одном бинарном примере: $\;E(w) = \sum_{j=1}^K y_j \frac{e^{u_j^{(h)}}}{\sum_k e^{u_k^{(h)}}} = \sum_{j=1}^K y_j a_j^{(h)}$
# >
# > $= \sum_{j=1}^K \frac{y_j e^{u_j^{(h)}}}{\sum_k e^{u_k^{(h)}}} - y_i = \frac{e^{u_i^{(h)}}}{\sum_k e^{u_k^{(h)}}} - y_i = \alpha_i^{(h)} - y_i = s_i^{(h)}$
#
# ("Obviously, for one binary example: …") Two slips. The loss has lost its minus as well as its $\ln$:
# $\sum_j y_j a_j$ is the probability of the true class, and minimising it pushes that probability
# *down*. And in the derivative the numerator must be $e^{u_i}$ — differentiating $\ln\sum_k e^{u_k}$ by
# $u_i$ gives $e^{u_i}/\sum_k e^{u_k}$ for every $j$-term, and the $y_j$ sum to 1. With $e^{u_j}$, as written,
# $\sum_j y_j a_j = a_c$ for the true class $c$, so the step "$= a_i - y_i$" holds only at $i = c$:

# %%
c_true = 2
one_loss = notes.note003_single_example_loss_as_written(z, c_true)
g_one = rn.numerical_gradient(lambda v: notes.note003_single_example_loss_as_written(v, c_true), z)
p_before, p_after = rn.softmax(z)[c_true], rn.softmax(z - 0.5 * g_one)[c_true]
print(f"E as written = a_c = {one_loss:.4f}; after a descent step on it, P(true class) {p_before:.4f} → {p_after:.4f}")
assert np.isclose(one_loss, p_before) and p_after < p_before

delta_note = notes.note003_delta_as_written(z, c_true)
delta_true = rn.numerical_gradient(lambda v: rn.cross_entropy(v[None, :], np.array([c_true])), z)
print("as written, Σ_j y_j a_j − y_i:", delta_note)
print("∂E/∂u_i, numerical (a − y):   ", delta_true)
others = np.arange(z.size) != c_true
assert np.isclose(delta_note[c_true], delta_true[c_true]) and not np.allclose(delta_note[others], delta_true[others])

# %% [markdown]
# ## 5. The same delta, through the Jacobian chain
#
# The Russian note's second route: go through the probabilities. For one example,
# $\partial E/\partial a_j = -y_j/a_j$, and the chain rule sums over every $a_j$ that depends on $z_i$ —
# which, by section 2, is all of them:
#
# $$\frac{\partial E}{\partial z_i} = \sum_j \frac{\partial E}{\partial a_j}\frac{\partial a_j}{\partial z_i}
# = \sum_j \Big(-\frac{y_j}{a_j}\Big) a_j(\delta_{ji} - a_i) = -y_i + a_i \sum_j y_j = a_i - y_i.$$
#
# In matrix form: $\partial E/\partial z = (-y/a)\, J$. Both routes give the same vector — and only
# because the cross terms are there. With the German note's diagonal-only Jacobian the chain gives
# $-y(1-a)$, which is wrong for every class but the true one.

# %%
y_onehot = np.eye(4)[2]
a = rn.softmax(z)
via_chain = (-y_onehot / a) @ rn.softmax_jacobian(z)
via_diag_only = (-y_onehot / a) @ notes.note000_jacobian_diagonal_only(z)
print("a − y            :", a - y_onehot)
print("chain, full J    :", via_chain)
print("chain, diagonal J:", via_diag_only)
assert np.allclose(via_chain, a - y_onehot)
assert not np.allclose(via_diag_only, a - y_onehot)

# %% [markdown]
# The Russian note's line for the diagonal, $\partial\alpha_i/\partial u_i = \frac{e^{u_i}\sum_k e^{u_k}\,(e^{u_i})^2}{(\sum_k e^{u_k})^2}$,
# has lost the minus between the two products. Evaluated as written it is not $a_i(1-a_i)$:

# %%
print("as written :", notes.note003_softmax_diagonal_as_written(z))
print("a(1 − a)   :", a * (1 - a))
print("numerical  :", np.diag(J_num))
assert rn.relative_error(notes.note003_softmax_diagonal_as_written(z), np.diag(J_num)) > 0.5
assert rn.relative_error(a * (1 - a), np.diag(J_num)) < 1e-7

# %% [markdown]
# ## 6. A picture: temperature, and the gradient check at a glance
#
# Dividing the logits by a temperature $T$ before the softmax sharpens ($T < 1$) or flattens ($T > 1$)
# the distribution — lesson 9 samples text this way. On the right, every entry of the analytic
# gradient (1.5) against its finite-difference estimate for a random batch: all on the line.

# %%
temperatures = np.geomspace(0.1, 10, 60)
probs = rn.softmax(z[None, :] / temperatures[:, None])
Zr = rng.normal(size=(6, 5))
yr = rng.integers(0, 5, size=6)
numerical = rn.numerical_gradient(lambda v: rn.cross_entropy(v, yr), Zr)

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.4), layout="constrained")
for i in range(z.size):
    ax1.plot(temperatures, probs[:, i], label=f"$z_{i + 1} = {z[i]:g}$")
ax1.set_xscale("log")
ax1.set_xlabel("temperature $T$")
ax1.set_ylabel(r"$\mathrm{softmax}(z/T)_i$")
ax1.legend(fontsize=8)
plotting.plot_gradient_comparison(ax2, rn.cross_entropy_delta(Zr, yr), numerical)
ax2.set_title(r"$\partial E/\partial z$: analytic vs numerical")
plt.show()
print(f"at T = 0.1 the top class gets {probs[0].max():.4f}; at T = 10 the four get {np.round(probs[-1], 3)}")

# %% [markdown]
# ## 7. Explore
#
# Move the logits and the temperature. Watch the Jacobian: the diagonal $a_i(1-a_i)$ is largest when
# $a_i = 1/2$; the off-diagonal entries $-a_i a_j$ are never positive; when one class takes almost all
# the probability, the whole matrix fades to zero — softmax saturates, and so does its gradient.

# %%
explorer = softmax_explorer(logits=z, temperature=1.0)
explorer.widget

# %% [markdown]
# ## 8. Exercises
#
# Each exercise starts from a first attempt that has a typical mistake. Run the cell to see the
# checker's hint, fix the function, and run it again until it says ✓.
#
# **Exercise 1.1 — a stable softmax.** `my_softmax(z)` should work for a single vector and for a batch
# `(B, K)`, and stay finite for logits like `[1000, 999, -1000]`.

# %%
def my_softmax(z):
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


exercises.check_softmax(my_softmax)

# %% [markdown]
# **Exercise 1.2 — the Jacobian.** `my_jacobian(z)` takes `z (K,)` and returns the `(K, K)` matrix
# $\partial a_i/\partial z_j$. The first attempt follows the German note.

# %%
def my_jacobian(z):
    a = rn.softmax(z)
    return np.diag(a * (1 - a))


exercises.check_softmax_jacobian(my_jacobian)

# %% [markdown]
# **Exercise 1.3 — the delta of a batch.** `my_delta(z, y)` takes logits `(N, K)` and integer labels
# `(N,)` and returns $\partial E/\partial z$ for the *mean* cross-entropy (1.4).

# %%
def my_delta(z, y):
    onehot = np.eye(z.shape[1])[y]
    return rn.softmax(z) - onehot


exercises.check_cross_entropy_delta(my_delta)

# %% [markdown]
# ## Summary
#
# | equation | formula | function |
# |---|---|---|
# | (1.1) | $a = e^{z}/\sum_k e^{z_k}$, computed as $e^{z-m}/\sum_k e^{z_k-m}$ | `rn.softmax` |
# | (1.2) | $\log a = z - m - \log\sum_k e^{z_k-m}$ | `rn.log_softmax` |
# | (1.3) | $J = \operatorname{diag}(a) - a^\top a$ | `rn.softmax_jacobian` |
# | (1.4) | $E = -\frac1N\sum_n\sum_k y_k \ln a_k$ | `rn.cross_entropy` |
# | (1.5) | $\partial E/\partial z = (a-y)/N$ | `rn.cross_entropy_delta` |
# | (1.6) | central differences | `rn.numerical_gradient`, `rn.check_gradient` |
#
# What the notes got wrong, each quoted and shown above by a number. German note: the diagonal-only
# Jacobian; `·` for `+`; a box for $\partial Y/\partial B_i$ that drops $-\sigma_i^2$; $du/dx_i$ that is $du/dw_i$;
# a softmax denominator indexed by $i$ ($\sigma_i = 1/K$); two boxes for $\partial Y/\partial w_i$ that differ by
# $w_i$; one $n$ for two counts; a loss that is a log-likelihood minimised by gradient descent and
# divided by the number of characters. Russian note: a dropped $\ln$; a one-example loss that drops
# the minus too; $e^{u_j}$ for $e^{u_i}$ in the delta; a dropped minus sign in $\partial\alpha_i/\partial u_i$; softmax
# called an *a priori* probability. And why two machines print the same "< 1e-7 ✓" but not the same
# last digits.
#
# **Next:** lesson 2 pushes $\delta = a - y$ back through the layers of a multilayer perceptron — the
# delta rule — and lesson 5 pushes it back through time.
