"""Lesson 6: time one DecayExplorer slider update at H=64, T=200, and the phase diagram it caches.

    python benchmarks/bench_decay.py                 # BLAS threads as the environment sets them
    python benchmarks/bench_decay.py --threads 1     # one BLAS thread (often faster on a busy machine)
    python benchmarks/bench_decay.py --repeat 30 --H 64 --T 200

Prints medians (milliseconds) for:

* one widget update on a scale change (forward pass + renormalised Jacobian product + spectral norms +
  moving the artists; the canvas draw itself happens in the browser and is not included), split into
  the forward pass and the decay profile;
* the spectral norms of the T+1 products: one batched ``np.linalg.norm(stack, 2, axis=(1, 2))`` call
  against a Python loop of SVDs, and against the batched call on every lag vs the ≤ 81 lags the widget uses;
* the matplotlib Agg draw of the widget's figure (an upper bound for the ipympl draw);
* the phase diagram (20 scales × 41 lengths up to T = 1000), exact, and with 8 probe vectors.

Figures are medians over ``--repeat`` runs; they go in notes, never in assertions.
"""

from __future__ import annotations

import argparse
import os
import time


def _args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=None, help="BLAS threads (default: library default)")
    ap.add_argument("--repeat", type=int, default=15, help="timed runs per measurement (median reported)")
    ap.add_argument("--H", type=int, default=64)
    ap.add_argument("--T", type=int, default=200)
    return ap.parse_args()


ARGS = _args()
if ARGS.threads is not None:  # must happen before numpy loads its BLAS
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import matplotlib  # noqa: E402

matplotlib.use("agg")
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from rnnedu import decay  # noqa: E402
from rnnedu.activations import activation_derivative  # noqa: E402
from rnnedu.widgets import decay as wd  # noqa: E402


def median_ms(fn, repeat: int) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times))


def main() -> None:
    H, T, rep = ARGS.H, ARGS.T, ARGS.repeat
    print(f"lesson 6 benchmarks: H = {H}, T = {T}, threads = {ARGS.threads or 'default'}, repeat = {rep}")
    t0 = time.perf_counter()
    ex = wd.DecayExplorer(H=H, T=T)
    print(f"  {'build the widget (includes one phase diagram)':<56} {1e3 * (time.perf_counter() - t0):9.1f} ms")

    scales = iter(np.tile(np.arange(0.5, 2.0, 0.05), 100))
    Wb, lam, rho = ex.base("gaussian", H)
    c = ex.inputs(H)[:T]
    a = decay.driven_preactivations(c, Wb, "tanh", scale=1.1)
    d = activation_derivative(a, "tanh")
    rng = np.random.default_rng(0)
    stack = rng.standard_normal((T + 1, H, H))
    rows = [
        ("update on a scale change", lambda: ex.update(next(scales), T, H, "tanh", "gaussian")),
        ("  forward pass (driven_preactivations)", lambda: decay.driven_preactivations(c, Wb, "tanh", scale=1.1)),
        (f"  decay_profile, <= {wd.MAX_POINTS} lags (the widget)",
         lambda: decay.decay_profile(1.1 * Wb, a, "tanh", max_points=wd.MAX_POINTS, spectrum=(1.1 * lam, 1.1 * rho))),
        (f"  decay_profile, all {T + 1} lags",
         lambda: decay.decay_profile(1.1 * Wb, a, "tanh", spectrum=(1.1 * lam, 1.1 * rho))),
        (f"  product only (renormalised, {T} matmuls)", lambda: decay._log10_norms(1.1 * Wb, d, np.array([0]))),
        (f"{T + 1} spectral norms, batched norm(stack, 2, axis=(1, 2))",
         lambda: np.linalg.norm(stack, 2, axis=(1, 2))),
        (f"{T + 1} spectral norms, Python loop of SVDs",
         lambda: [np.linalg.svd(m, compute_uv=False)[0] for m in stack]),
    ]
    for label, fn in rows:
        print(f"  {label:<56} {median_ms(fn, rep):9.1f} ms")

    canvas = FigureCanvasAgg(ex.fig)
    print(f"  {'Agg draw of the widget figure':<56} {median_ms(canvas.draw, rep):9.1f} ms")

    full_c = ex.inputs(H)
    for probes in (None, 8):
        t0 = time.perf_counter()
        decay.phase_diagram(Wb, wd.PHASE_SCALES, wd.PHASE_LENGTHS, full_c, "tanh", probes=probes)
        label = "exact" if probes is None else f"{probes} probes"
        label = f"phase diagram {wd.PHASE_SCALES.size}x{wd.PHASE_LENGTHS.size} up to T = {wd.T_MAX}, tanh, {label}"
        print(f"  {label:<56} {1e3 * (time.perf_counter() - t0):9.1f} ms")


if __name__ == "__main__":
    main()
