"""Time one forward + backward (BPTT) step of the character RNN (T=35, B=32, V=28, H=256) against PyTorch.

    python benchmarks/bench_bptt.py               # ratios ours/PyTorch, a small cost grid, numpy details
    python benchmarks/bench_bptt.py --scaling     # + the full grid T = 35 … 1000, H = 32 … 1024 and
                                                  #   docs/img/bptt_cost.png
    python benchmarks/bench_bptt.py --repeat 100  # more timed runs per figure (medians)

What it prints:

1. **ours / PyTorch**, four ratios: float64 and float32, 1 and 2 threads. Ours is
   ``rnnedu.rnn_loss_and_grads`` (token ids in, cross-entropy head, full BPTT, all five parameter
   gradients and ``dh0``); PyTorch is ``nn.RNN(nonlinearity="tanh")`` + ``nn.Linear`` +
   ``F.cross_entropy``, forward and ``backward()`` under autograd, on the same shapes and the same
   weights (its gradients are compared with ours first). Both run in this process; numpy's BLAS
   threads are set with ``threadpoolctl.threadpool_limits`` and ``torch.set_num_threads`` gets the same
   number. A ratio below 1 means ours is faster.
2. **How cost grows**: milliseconds per time step against T (H = 256) and against H (T = 35), ours and
   PyTorch, one thread. ``--scaling`` runs the full grid and writes ``docs/img/bptt_cost.png``.
3. numpy-only details: the time loops alone, the per-example loop, the weight products inside the
   loop (what the package avoids), and three ways to scatter deltas into ``dW_xh``.

PyTorch is not a course dependency. Without it, parts 1 and 2 print how to get it: into the venv only,
``pip install torch==2.13.0`` (the CPU build).

Timing method: every function is warmed up first; then the functions being compared run
round-robin, alternating their order each round (A B, B A, …), so that all of them see the same
machine load, and the figure is the median. On a shared machine the absolute times move with the
load; the ratios, taken in the same rounds, move much less. Figures go in notes, never in assertions.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import rnnedu as rn
from rnnedu.activations import derivative_from_output
from rnnedu.rnn import _forward, _input_projection

ROOT = Path(__file__).resolve().parents[1]
T0, B0, V0, H0 = 35, 32, 28, 256
TORCH_HINT = ("PyTorch is not installed. It is not a course dependency; to compare, install the CPU build "
              "into the venv only:  .venv/bin/pip install torch==2.13.0")


def _args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=41,
                    help="timed rounds per ratio (median reported; fewer if a figure takes over 20 s)")
    ap.add_argument("--scaling", action="store_true",
                    help="full cost grid (T up to 1000, H up to 1024) and docs/img/bptt_cost.png")
    ap.add_argument("--plot", type=Path, default=ROOT / "docs" / "img" / "bptt_cost.png",
                    help="where --scaling writes its figure")
    ap.add_argument("--no-details", action="store_true", help="skip the numpy-only details (part 3)")
    return ap.parse_args(argv)


def interleaved(fns, repeat: int, budget: float = 20.0, at_least: int = 9) -> list[float]:
    """Median seconds of each function, after a warm-up, run round-robin with the order reversed
    every other round, so that each sees the same machine load and none always runs first.

    Stops early, after at least ``at_least`` rounds, once ``budget`` seconds have passed: on a
    heavily loaded machine a 2-thread run can take 20x longer, and the script must stay bounded."""
    for fn in fns:
        fn()
        fn()
    times = [[] for _ in fns]
    order = list(range(len(fns)))
    start = time.perf_counter()
    for r in range(repeat):
        if r >= at_least and time.perf_counter() - start > budget:
            break
        for i in (order if r % 2 == 0 else order[::-1]):
            t0 = time.perf_counter()
            fns[i]()
            times[i].append(time.perf_counter() - t0)
    return [float(np.median(ts)) for ts in times]


def blas_description() -> str:
    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return "; ".join(f"{i.get('internal_api')} {i.get('version')} kernel {i.get('architecture', '?')}" for i in blas)


def problem(T, B, V, H, dtype, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.integers(0, V, (T, B))
    Y = rng.integers(0, V, (T, B))
    p = rn.init_rnn_params(V, H, V, rng, dtype=dtype)
    return p, X, Y


def ours(p, X, Y):
    return lambda: rn.rnn_loss_and_grads(p, X, Y)


def theirs(torch, p, X, Y):
    """``nn.RNN`` + ``nn.Linear`` + ``cross_entropy`` with our weights; returns (step function, grads)."""
    V, H = p["W_xh"].shape
    T, B = X.shape
    dtype = torch.from_numpy(p["W_xh"]).dtype
    rnn = torch.nn.RNN(V, H, nonlinearity="tanh", dtype=dtype)
    head = torch.nn.Linear(H, V, dtype=dtype)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(p["W_xh"].T.copy()))
        rnn.weight_hh_l0.copy_(torch.from_numpy(p["W_hh"].T.copy()))
        rnn.bias_ih_l0.copy_(torch.from_numpy(p["b_h"]))
        rnn.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(p["W_hy"].T.copy()))
        head.bias.copy_(torch.from_numpy(p["b_y"]))
    xs = torch.nn.functional.one_hot(torch.from_numpy(X), V).to(dtype)  # (T, B, V): nn.RNN takes dense input
    ys = torch.from_numpy(Y).reshape(-1)
    h0 = torch.zeros(1, B, H, dtype=dtype, requires_grad=True)  # ours returns dh0 too: same work

    def step():
        rnn.zero_grad(set_to_none=True)
        head.zero_grad(set_to_none=True)
        h0.grad = None
        out, _ = rnn(xs, h0)
        loss = torch.nn.functional.cross_entropy(head(out).reshape(T * B, V), ys)
        loss.backward()
        return loss

    def grads():
        loss = step()
        return loss.item(), {
            "W_xh": rnn.weight_ih_l0.grad.T, "W_hh": rnn.weight_hh_l0.grad.T, "b_h": rnn.bias_ih_l0.grad,
            "W_hy": head.weight.grad.T, "b_y": head.bias.grad, "h0": h0.grad[0],
        }

    return step, grads


def compare_gradients(torch, p, X, Y) -> float:
    loss, g = rn.rnn_loss_and_grads(p, X, Y)
    loss_t, gt = theirs(torch, p, X, Y)[1]()
    for k, v in g.items():
        assert v.dtype == p["W_xh"].dtype, f"{k} came back {v.dtype}"
    tol = 1e-10 if p["W_xh"].dtype == np.float64 else 1e-4
    err = max(rn.relative_error(g[k], gt[k].detach().numpy()) for k in g)
    assert abs(loss - loss_t) <= tol * abs(loss) and err < tol, (loss, loss_t, err)
    return err


def ratios(torch, repeat: int) -> None:
    print(f"1. ours / PyTorch, T={T0}, B={B0}, V={V0}, H={H0}, forward + backward, median of up to {repeat} "
          f"interleaved rounds")
    if torch is None:
        print("   " + TORCH_HINT)
        return
    print(f"   {'dtype':<8s} {'threads':>7s} {'ours ms':>9s} {'PyTorch ms':>11s} {'ratio':>7s}   max rel. grad diff")
    rows = []
    for dtype in (np.float64, np.float32):
        p, X, Y = problem(T0, B0, V0, H0, dtype)
        for threads in (1, 2):
            with threadpool_limits(limits=threads, user_api="blas"):
                torch.set_num_threads(threads)
                err = compare_gradients(torch, p, X, Y)
                t_ours, t_torch = interleaved([ours(p, X, Y), theirs(torch, p, X, Y)[0]], repeat)
            rows.append((np.dtype(dtype).name, threads, t_ours, t_torch))
            print(f"   {np.dtype(dtype).name:<8s} {threads:>7d} {t_ours * 1e3:9.2f} {t_torch * 1e3:11.2f} "
                  f"{t_ours / t_torch:7.2f}   {err:.0e}", flush=True)
    worst = max(r[2] / r[3] for r in rows)
    print(f"   worst ratio {worst:.2f} ({'≤' if worst <= 0.8 else '>'} 0.8, the target of issue 13)")


def scaling(torch, full: bool, plot: Path | None) -> None:
    Ts = (35, 100, 300, 1000) if full else (35, 350)
    Hs = (32, 64, 128, 256, 512, 1024) if full else (32, 256, 1024)
    print(f"2. how cost grows: ms per time step (one thread, B={B0}, V={V0}; median of interleaved rounds"
          f"{'' if full else '; --scaling for the full grid and the plot'})")
    if torch is None:
        print("   (ours only: PyTorch is not installed, see above)")
    results = {}
    with threadpool_limits(limits=1, user_api="blas"):
        if torch is not None:
            torch.set_num_threads(1)
        for axis, values in (("T", Ts), ("H", Hs)):
            print(f"   {axis:>5s}  {'ours f64':>9s} {'torch f64':>9s} {'ours f32':>9s} {'torch f32':>9s}")
            for v in values:
                T, H = (v, H0) if axis == "T" else (T0, v)
                work = T * H * H  # the loop's matmuls: repeat fewer times when big, keep the run bounded
                repeat = int(np.clip(4e8 / work, 5, 41))
                cells = []
                for dtype in (np.float64, np.float32):
                    p, X, Y = problem(T, B0, V0, H, dtype)
                    fns = [ours(p, X, Y)] + ([theirs(torch, p, X, Y)[0]] if torch is not None else [])
                    ts = interleaved(fns, repeat, budget=6.0, at_least=5)
                    ts = ts + [float("nan")] * (2 - len(ts))
                    cells += [t / T * 1e3 for t in ts]
                    results[(axis, v, np.dtype(dtype).name)] = [t / T * 1e3 for t in ts]
                print(f"   {v:>5d}  " + " ".join(f"{c:9.3f}" for c in cells), flush=True)
    if full and plot is not None:
        plot_cost(results, Ts, Hs, plot, torch is not None)


def plot_cost(results, Ts, Hs, path: Path, with_torch: bool) -> None:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.style.use("petroff10")
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    for ax, (axis, values, fixed) in zip(axes, (("T", Ts, f"H = {H0}"), ("H", Hs, f"T = {T0}"))):
        for dtype, style in (("float64", "-"), ("float32", "--")):
            for who, col, colour, marker in (("rnnedu", 0, colours[0], "o"), ("PyTorch", 1, colours[1], "s")):
                if who == "PyTorch" and not with_torch:
                    continue
                ys = [results[(axis, v, dtype)][col] for v in values]
                ax.plot(values, ys, linestyle=style, marker=marker, color=colour, label=f"{who} {dtype}")
        ax.set_xscale("log")
        if axis == "T":  # constant cost per step (O(T) in all) shows as a flat line from 0
            ax.set_ylim(bottom=0)
        else:  # the loop's matmuls grow like H²: log–log
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
            ax.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel(f"{axis} ({'sequence length' if axis == 'T' else 'hidden size'}; {fixed}, B = {B0})")
        ax.set_ylabel("ms per time step (forward + backward)")
        ax.set_xticks(values, [str(v) for v in values])
        ax.grid(True, which="major", alpha=0.3)
    axes[0].set_title("cost per step against sequence length")
    axes[1].set_title("cost per step against hidden size")
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle("BPTT, one thread: rnnedu.rnn_loss_and_grads beside nn.RNN + Linear + cross_entropy", fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    print(f"   wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


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


def details(repeat: int) -> None:
    T, B, V, H = T0, B0, V0, H0
    print(f"3. numpy only, one thread, T={T}, B={B}, V={V}, H={H} (ms, median of {repeat})")

    def row(label, seconds):
        print(f"   {label:<50s} {seconds * 1e3:8.2f} ms  {T * B / seconds:>11,.0f} tokens/s")

    with threadpool_limits(limits=1, user_api="blas"):
        for dtype in (np.float64, np.float32):
            p, X, Y = problem(T, B, V, H, dtype)
            rng = np.random.default_rng(1)
            print(f"   {np.dtype(dtype).name}:")

            def per_example():
                for b in range(B):
                    rn.rnn_loss_and_grads(p, X[:, b:b + 1], Y[:, b:b + 1])

            t_full, t_loop, t_trunc = interleaved(
                [ours(p, X, Y), per_example, lambda: rn.rnn_loss_and_grads(p, X, Y, truncate=5)], max(repeat // 4, 5), budget=5.0, at_least=3)
            h0 = np.zeros((B, H), dtype)
            xw = _input_projection(X, True, p["W_xh"], p["b_h"])
            hs = _forward(xw, h0, p["W_hh"], "tanh")
            dhs = rng.standard_normal((T, B, H)).astype(dtype)
            t_fwd, t_bwd, t_in = interleaved(
                [lambda: _forward(xw, h0, p["W_hh"], "tanh"),
                 lambda: rn.rnn_backward(dhs, X, hs, h0, p["W_xh"], p["W_hh"]),
                 lambda: backward_matmuls_in_loop(dhs, X, hs, h0, p["W_xh"], p["W_hh"])], repeat, budget=5.0)
            row("rnn_loss_and_grads (forward + BPTT)", t_full)
            row("  the forward time loop alone", t_fwd)
            row("  rnn_backward alone (weight matmuls after loop)", t_bwd)
            row("  backward with weight matmuls inside the loop", t_in)
            row("rnn_loss_and_grads, truncate=5", t_trunc)
            row(f"per-example loop ({B} calls of batch 1)", t_loop)
            print(f"   batching speed-up over the per-example loop: {t_loop / t_full:.1f}x")

        print("   scatter-add of T·B delta rows into dW_xh (V, H), float64:")
        rng = np.random.default_rng(2)
        ids = rng.integers(0, V, T * B)
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
        labels = ("np.add.at", "np.bincount", "one-hot matmul (builds a (T·B, V) matrix)")
        for label, t in zip(labels, interleaved([add_at, bincount, one_hot], repeat, budget=5.0)):
            print(f"   {label:<50s} {t * 1e3:8.3f} ms")


def main(argv=None) -> int:
    args = _args(argv)
    try:
        import torch
    except ImportError:
        torch = None
    print(f"BPTT benchmark: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; numpy {np.__version__}, "
          f"{blas_description()}; OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}; "
          f"torch {torch.__version__ if torch is not None else '(not installed)'}")
    ratios(torch, args.repeat)
    scaling(torch, args.scaling, args.plot)
    if not args.no_details:
        details(args.repeat)
    print(f"load average at the end {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
