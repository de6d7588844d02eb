"""Training throughput of lesson 9's character language model: tokens per second, the package's batched
training step beside a per-example loop in the style of Karpathy's min-char-rnn.

    python benchmarks/bench_charrnn.py                  # BLAS threads as the environment sets them
    python benchmarks/bench_charrnn.py --threads 1      # one BLAS thread (much faster on a busy machine)
    python benchmarks/bench_charrnn.py --steps 100 --H 128 --T 25 --B 32

Each timed step is a full training step on the default corpus (``rnnedu.load_corpus()``, V = 28):
forward, BPTT, gradient clipping, parameter update. Measured:

* ``rnnedu`` batched: ``LanguageModelLoss`` (``rnn_forward`` + ``rnn_backward``, ids, state carried)
  on ``SequentialBatches`` of ``(T, B)``, global-norm clipping, Adam — i.e. ``rnnedu.fit``'s inner step;
* ``rnnedu`` with ``B = 1``: the same code, one stream (isolates batching from implementation);
* min-char-rnn style: one sequence of ``T`` characters at a time, column vectors, a Python loop over
  time with a dictionary per step, one-hot inputs built per character, weight gradients accumulated
  inside the backward loop, element-wise clipping to [−5, 5], Adagrad (as in min-char-rnn.py).

Both models are the same tanh RNN with the same loss; the per-example loop's gradient is checked
against ``rnnedu.rnn_loss_and_grads`` first. Figures are tokens per second over ``--steps`` steps
(median of ``--repeat`` runs); they go in notes, never in assertions.
"""

from __future__ import annotations

import argparse
import os
import time


def _args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=None, help="BLAS threads (default: library default)")
    ap.add_argument("--steps", type=int, default=60, help="training steps per timed run")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs per measurement (median reported)")
    ap.add_argument("--T", type=int, default=25, help="sequence length (min-char-rnn's seq_length)")
    ap.add_argument("--B", type=int, default=32, help="batch size of the batched run")
    ap.add_argument("--H", type=int, default=100, help="hidden units (min-char-rnn's hidden_size)")
    return ap.parse_args()


ARGS = _args()
if ARGS.threads is not None:  # must happen before numpy loads its BLAS
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402

import rnnedu as rn  # noqa: E402


def min_char_rnn_loss(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    """min-char-rnn's ``lossFun`` (lesson 10 keeps it line for line: ``rn.min_char_rnn_lossfun``):
    column vectors, one sequence, summed loss, weight gradients accumulated inside the backward loop."""
    loss, *grads, h_last = rn.min_char_rnn_lossfun(inputs, targets, hprev, Wxh, Whh, Why, bh, by)
    return loss, tuple(grads), h_last


def check_min_char_rnn(V, H):
    """The per-example loop computes the same gradient as the package (transposed, times T)."""
    rng = np.random.default_rng(0)
    p = rn.init_rnn_params(V, H, V, rng)
    X = rng.integers(0, V, size=(7, 1))
    Y = rng.integers(0, V, size=(7, 1))
    loss, g = rn.rnn_loss_and_grads(p, X, Y)
    loss_m, gm, _ = min_char_rnn_loss(X[:, 0], Y[:, 0], np.zeros((H, 1)), p["W_xh"].T, p["W_hh"].T, p["W_hy"].T,
                                      p["b_h"][:, None], p["b_y"][:, None])
    T = X.shape[0]
    pairs = [(g["W_xh"], gm[0].T), (g["W_hh"], gm[1].T), (g["W_hy"], gm[2].T), (g["b_h"], gm[3][:, 0]),
             (g["b_y"], gm[4][:, 0])]
    err = max(rn.relative_error(a * T, b) for a, b in pairs)
    assert abs(loss * T - loss_m) < 1e-9 and err < 1e-9, (loss, loss_m, err)
    return err


def run_min_char_rnn(ids, V, H, T, steps):
    """min-char-rnn's training loop: one sequence at a time, Adagrad, element-wise clipping."""
    rng = np.random.default_rng(1)
    Wxh = rng.standard_normal((H, V)) * 0.01
    Whh = rng.standard_normal((H, H)) * 0.01
    Why = rng.standard_normal((V, H)) * 0.01
    bh, by = np.zeros((H, 1)), np.zeros((V, 1))
    params = [Wxh, Whh, Why, bh, by]
    mem = [np.zeros_like(p) for p in params]
    hprev = np.zeros((H, 1))
    pos = 0
    for _ in range(steps):
        if pos + T + 1 >= ids.size:
            pos, hprev = 0, np.zeros((H, 1))
        inputs, targets = ids[pos:pos + T], ids[pos + 1:pos + T + 1]
        _, grads, hprev = min_char_rnn_loss(inputs, targets, hprev, *params[:3], bh, by)
        for p, d, m in zip(params, grads, mem):
            np.clip(d, -5, 5, out=d)
            m += d * d
            p += -0.1 * d / np.sqrt(m + 1e-8)
        pos += T
    return steps * T


def run_rnnedu(ids, V, H, T, B, steps):
    rng = np.random.default_rng(1)
    params = rn.init_rnn_params(V, H, V, rng)
    rn.fit(params, rn.LanguageModelLoss(carry=True), rn.SequentialBatches(ids, B, T, rng),
           optimizer=rn.Adam(1e-2), n_steps=steps, clip_norm=1.0, progress=False)
    return steps * T * B


def median_rate(fn, repeat):
    rates = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        tokens = fn()
        rates.append(tokens / (time.perf_counter() - t0))
    return float(np.median(rates))


def main():
    text = rn.load_corpus()
    vocab = rn.Vocab.build(text)
    ids = vocab.encode(text)
    V, H, T, B, steps = len(vocab), ARGS.H, ARGS.T, ARGS.B, ARGS.steps
    err = check_min_char_rnn(V, H)
    print(f"character LM training step, V={V}, H={H}, T={T}; BLAS threads: "
          f"{ARGS.threads if ARGS.threads is not None else 'library default'}; {os.cpu_count()} CPUs; "
          f"{steps} steps per run, median of {ARGS.repeat}")
    print(f"min-char-rnn loop gradient vs rnnedu.rnn_loss_and_grads: max relative difference {err:.0e}")
    rows = [
        (f"rnnedu fit step, batched (B={B})", lambda: run_rnnedu(ids, V, H, T, B, steps)),
        ("rnnedu fit step, one stream (B=1)", lambda: run_rnnedu(ids, V, H, T, 1, steps)),
        ("min-char-rnn style per-example loop", lambda: run_min_char_rnn(ids, V, H, T, steps)),
    ]
    rates = {}
    for label, fn in rows:
        rates[label] = median_rate(fn, ARGS.repeat)
        print(f"  {label:<40s} {rates[label]:>12,.0f} tokens/s")
    batched, single, mcr = (rates[label] for label, _ in rows)
    print(f"  batched rnnedu vs the per-example loop: {batched / mcr:.1f}x; "
          f"rnnedu at B=1 vs the per-example loop: {single / mcr:.1f}x")


if __name__ == "__main__":
    main()
