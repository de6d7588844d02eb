"""Time one training step (loss, BPTT, clipping, Adam) of each lesson 7 model on the adding problem.

    python benchmarks/bench_training.py                 # BLAS threads as the environment sets them
    python benchmarks/bench_training.py --threads 1     # one BLAS thread (often faster on a busy machine)
    python benchmarks/bench_training.py --H 32 --lags 10 30 60 100 --repeat 30

Prints milliseconds per ``rnnedu.fit`` step (median over ``--repeat`` steps after one warm-up) for the
models of ``rnnedu.tasks.MODELS`` at each lag, batch 32, and the estimated time of lesson 7's sweep
(``steps`` steps per model and lag). Figures go in notes, never in assertions.
"""

from __future__ import annotations

import argparse
import os
import time


def _args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=None, help="BLAS threads (default: library default)")
    ap.add_argument("--repeat", type=int, default=20, help="timed steps per measurement (median reported)")
    ap.add_argument("--H", type=int, default=16)
    ap.add_argument("--B", type=int, default=32)
    ap.add_argument("--lags", type=int, nargs="+", default=[10, 30, 60])
    ap.add_argument("--steps", type=int, default=400, help="steps per run, for the sweep estimate")
    return ap.parse_args()


ARGS = _args()
if ARGS.threads is not None:  # must happen before numpy loads its BLAS
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

from functools import partial  # noqa: E402

import numpy as np  # noqa: E402

from rnnedu.tasks import MODELS, adding_problem, init_model, model_loss_and_grads  # noqa: E402
from rnnedu.train import Adam, fit  # noqa: E402


def ms_per_step(model: str, lag: int) -> float:
    rng = np.random.default_rng(0)
    params = init_model(model, 2, ARGS.H, 1, rng)
    batch = adding_problem(ARGS.B, lag, rng)
    loss_fn = partial(model_loss_and_grads, model=model, task="adding")
    opt = Adam(1e-3)
    fit(params, loss_fn, [batch], optimizer=opt, n_steps=1, clip_norm=1.0, progress=False)  # warm-up
    times = []
    for _ in range(ARGS.repeat):
        t = time.perf_counter()
        fit(params, loss_fn, [batch], optimizer=opt, n_steps=1, clip_norm=1.0, progress=False)
        times.append(time.perf_counter() - t)
    return 1e3 * float(np.median(times))


def main() -> None:
    print(f"H = {ARGS.H}, B = {ARGS.B}, threads = {ARGS.threads or 'default'}; ms per training step (median)")
    print(f"{'model':>10s} " + " ".join(f"{'lag ' + str(lag):>9s}" for lag in ARGS.lags))
    total = 0.0
    for model in MODELS:
        row = [ms_per_step(model, lag) for lag in ARGS.lags]
        total += sum(row) * ARGS.steps / 1e3
        print(f"{model:>10s} " + " ".join(f"{v:9.2f}" for v in row))
    print(f"estimated sweep ({len(MODELS)} models x {len(ARGS.lags)} lags x {ARGS.steps} steps): {total:.1f} s")


if __name__ == "__main__":
    main()
