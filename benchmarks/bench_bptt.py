"""Time one forward + backward (BPTT) step of the character RNN at T=35, B=32, V=28, H=256.

    python benchmarks/bench_bptt.py                 # BLAS threads as the environment sets them
    python benchmarks/bench_bptt.py --threads 1     # one BLAS thread (often faster on a busy machine)
    python benchmarks/bench_bptt.py --repeat 30

Prints milliseconds per step and tokens per second (T·B / time) for:

* ``rnnedu.rnn_loss_and_grads`` (token ids, gather + scatter, weight-gradient matmuls after the loop),
  float64 and float32;
* the same model run one example at a time (a per-example loop, B calls of batch 1);
* a backward with the weight-gradient matmuls *inside* the time loop (what the package avoids);
* the three ways to scatter-add deltas into ``dW_xh`` rows (``np.add.at``, ``np.bincount``, one-hot);
* PyTorch on CPU, if it is installed (not a project dependency): the same loop under autograd, and
  ``nn.RNN``; its gradients are compared with ours first.

Figures are medians over ``--repeat`` runs, taken round-robin within each group (so a group's
entries see the same machine load); they go in notes, never in assertions.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def _args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=None, help="BLAS / torch threads (default: library default)")
    ap.add_argument("--repeat", type=int, default=15, help="timed runs per measurement (median reported)")
    ap.add_argument("--T", type=int, default=35)
    ap.add_argument("--B", type=int, default=32)
    ap.add_argument("--V", type=int, default=28)
    ap.add_argument("--H", type=int, default=256)
    return ap.parse_args()


ARGS = _args()
if ARGS.threads is not None:  # must happen before numpy loads its BLAS
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402

import rnnedu as rn  # noqa: E402
from rnnedu.activations import derivative_from_output  # noqa: E402
from rnnedu.rnn import _forward, _input_projection  # noqa: E402


def paired_times(fns, repeat: int) -> list[float]:
    """Median time of each function, run round-robin (f1, f2, …, f1, f2, …) so that all of them see
    the same machine load: on a shared machine, timing one after the other compares the load, not
    the code."""
    for fn in fns:
        fn()  # warm up
    times = [[] for _ in fns]
    for _ in range(repeat):
        for fn, ts in zip(fns, times):
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [float(np.median(ts)) for ts in times]


def report(label: str, seconds: float, tokens: int) -> None:
    print(f"  {label:<46s} {seconds * 1e3:9.2f} ms   {tokens / seconds:>12,.0f} tokens/s")


def backward_matmuls_in_loop(dhs, ids, hs, h0, W_xh, W_hh):
    """The textbook loop: every weight gradient accumulated inside the time loop (for comparison)."""
    T, B, H = hs.shape
    dphi = derivative_from_output(hs, "tanh")
    dW_xh, dW_hh, db = np.zeros_like(W_xh), np.zeros_like(W_hh), np.zeros(H, hs.dtype)
    dh_next = np.zeros_like(h0)
    for t in range(T - 1, -1, -1):
        delta = (dhs[t] + dh_next) * dphi[t]
        h_prev = hs[t - 1] if t > 0 else h0
        dW_hh += h_prev.T @ delta
        np.add.at(dW_xh, ids[t], delta)
        db += delta.sum(axis=0)
        dh_next = delta @ W_hh.T
    return dW_xh, dW_hh, db, dh_next


def bench_numpy(T, B, V, H, repeat):
    rng = np.random.default_rng(0)
    X = rng.integers(0, V, (T, B))
    Y = rng.integers(0, V, (T, B))
    for dtype in (np.float64, np.float32):
        p = rn.init_rnn_params(V, H, V, rng, dtype=dtype)
        name = np.dtype(dtype).name
        print(f"numpy {np.__version__}, {name}:")

        def per_example():
            for b in range(B):
                rn.rnn_loss_and_grads(p, X[:, b:b + 1], Y[:, b:b + 1])

        t_full, t_loop, t_trunc = paired_times(
            [lambda: rn.rnn_loss_and_grads(p, X, Y), per_example,
             lambda: rn.rnn_loss_and_grads(p, X, Y, truncate=5)], repeat)
        report("rnn_loss_and_grads (forward + BPTT)", t_full, T * B)

        h0 = np.zeros((B, H), dtype)
        xw = _input_projection(X, True, p["W_xh"], p["b_h"])
        hs = _forward(xw, h0, p["W_hh"], "tanh")
        dhs = rng.standard_normal((T, B, H)).astype(dtype)
        t_fwd, t_bwd, t_in = paired_times(
            [lambda: _forward(xw, h0, p["W_hh"], "tanh"),
             lambda: rn.rnn_backward(dhs, X, hs, h0, p["W_xh"], p["W_hh"]),
             lambda: backward_matmuls_in_loop(dhs, X, hs, h0, p["W_xh"], p["W_hh"])], repeat)
        report("  the forward time loop alone", t_fwd, T * B)
        report("  rnn_backward alone (weight matmuls after loop)", t_bwd, T * B)
        report("  backward with weight matmuls inside the loop", t_in, T * B)
        report("rnn_loss_and_grads, truncate=5", t_trunc, T * B)
        report(f"per-example loop ({B} calls of batch 1)", t_loop, T * B)
        print(f"  batching speed-up over the per-example loop: {t_loop / t_full:.1f}x")

    print("scatter-add of T·B delta rows into dW_xh (V, H), float64:")
    ids = X.reshape(-1)
    d = rng.standard_normal((T * B, H))

    def add_at():
        out = np.zeros((V, H))
        np.add.at(out, ids, d)
        return out

    def bincount():
        flat = (ids[:, None] * H + np.arange(H)).reshape(-1)
        return np.bincount(flat, weights=d.reshape(-1), minlength=V * H).reshape(V, H)

    def one_hot():
        return np.eye(V)[ids].T @ d

    assert np.allclose(add_at(), bincount()) and np.allclose(add_at(), one_hot())
    labels = ("np.add.at", "np.bincount (used)", "one-hot matmul (builds a (T·B, V) matrix)")
    for label, t in zip(labels, paired_times([add_at, bincount, one_hot], repeat)):
        print(f"  {label:<46s} {t * 1e3:9.3f} ms")


def bench_torch(T, B, V, H, repeat, threads):
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: skipping the framework comparison "
              "(pip install torch==2.13.0 into the venv to run it).")
        return
    if threads is not None:
        torch.set_num_threads(threads)
    print(f"torch {torch.__version__} (CPU, {torch.get_num_threads()} threads):")
    rng = np.random.default_rng(0)
    X = rng.integers(0, V, (T, B))
    Y = rng.integers(0, V, (T, B))
    for np_dtype, t_dtype in ((np.float64, torch.float64), (np.float32, torch.float32)):
        p = rn.init_rnn_params(V, H, V, rng, dtype=np_dtype)
        tp = {k: torch.tensor(v, requires_grad=True) for k, v in p.items()}
        Xt, Yt = torch.tensor(X), torch.tensor(Y)

        def torch_loop():
            for v in tp.values():
                v.grad = None
            h = torch.zeros(B, H, dtype=t_dtype)
            xw = tp["W_xh"][Xt] + tp["b_h"]  # (T, B, H): same gather as ours
            hs = []
            for t in range(T):
                h = torch.tanh(xw[t] + h @ tp["W_hh"])
                hs.append(h)
            logits = torch.stack(hs) @ tp["W_hy"] + tp["b_y"]
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), Yt.reshape(-1))
            loss.backward()
            return loss

        loss_t = torch_loop()
        loss_n, g = rn.rnn_loss_and_grads(p, X, Y)
        err = max(rn.relative_error(g[k], tp[k].grad.numpy()) for k in p)
        print(f"  {np.dtype(np_dtype).name}: |loss difference| {abs(loss_t.item() - loss_n):.1e}, "
              f"max relative gradient difference {err:.1e}")

        rnn = torch.nn.RNN(V, H, nonlinearity="tanh", dtype=t_dtype)
        head = torch.nn.Linear(H, V, dtype=t_dtype)
        emb = torch.eye(V, dtype=t_dtype)

        def torch_module():
            rnn.zero_grad()
            head.zero_grad()
            out, _ = rnn(emb[Xt])  # (T, B, H); nn.RNN wants dense inputs
            loss = torch.nn.functional.cross_entropy(head(out).reshape(-1, V), Yt.reshape(-1))
            loss.backward()

        # timed round-robin with rnnedu, so that all three see the same machine load
        mine, t_loop, t_mod = paired_times([lambda: rn.rnn_loss_and_grads(p, X, Y), torch_loop, torch_module], repeat)
        label = np.dtype(np_dtype).name
        report(f"rnnedu.rnn_loss_and_grads ({label}, same run)", mine, T * B)
        report(f"autograd, same loop ({label})", t_loop, T * B)
        report(f"nn.RNN + Linear ({label})", t_mod, T * B)
        print(f"  rnnedu is {t_loop / mine:.2f}x as fast as the autograd loop, {t_mod / mine:.2f}x as fast as nn.RNN")


def main():
    T, B, V, H = ARGS.T, ARGS.B, ARGS.V, ARGS.H
    print(f"one forward + backward step, T={T}, B={B}, V={V}, H={H}; {T * B} tokens; "
          f"BLAS threads: {ARGS.threads if ARGS.threads is not None else 'library default'}; "
          f"{os.cpu_count()} CPUs; median of {ARGS.repeat}")
    bench_numpy(T, B, V, H, ARGS.repeat)
    bench_torch(T, B, V, H, ARGS.repeat, ARGS.threads)
    return 0


if __name__ == "__main__":
    sys.exit(main())
