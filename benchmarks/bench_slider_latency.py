#!/usr/bin/env python3
"""Control latency in real JupyterLab: key press -> new figure pixels, per lesson and per control.

    python course.py bench slider                     # every lesson, 8 presses per control
    python benchmarks/bench_slider_latency.py --kernel        # kernel-side cost per control, no browser
    python benchmarks/bench_slider_latency.py 01 04   # lessons whose file name starts with 01 or 04
    python benchmarks/bench_slider_latency.py --presses 10 --no-screenshots
    python benchmarks/bench_slider_latency.py --from-results build/browser/results.json

Runs the browser tests' harness (tests/browser/harness.py): one JupyterLab on a loopback port, the
system Chromium headless, each lesson opened, Run All, then every slider pressed ``--presses`` times
(ArrowRight/ArrowLeft alternately) while a requestAnimationFrame poller in the page times key-down to
the first frame whose canvas pixels changed. Prints the median per slider, with the times at which
the kernel went busy and the first image message arrived, and flags medians over 100 ms (issue 13's target). Every control is
measured: sliders, dropdowns, toggle buttons, a stepper's ◀ prev / next ▶ and Play (from the step it
makes to the image), text boxes (typing, then Enter). ``--kernel`` instead builds every lesson's
widget in this process and times what a press costs the kernel (update, draw, PNG), wall and CPU time:
steadier than the browser figure on a loaded machine (benchmarks/kernel_controls.py). Writes the
figures to build/browser/slider_latency.json and one screenshot per lesson to docs/img/lessonNN.png
(the README shows them). ``--from-results`` prints the table stored by the last browser test run
(build/browser/results.json) instead of measuring. Exit status 1 if a lesson is broken (an error
output, a widget that does not render, a slider that does not redraw); slow sliders are only flagged.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

import harness  # noqa: E402


def _next(times: int):
    """Press the shot widget's "next ▶" ``times`` times (a stepper part-way through its sweep)."""
    def run(page):
        button = page.locator("[data-rnn-shot] button", has_text="next").first
        for _ in range(times):
            button.click()
            page.wait_for_timeout(400)
    return run


#: The README pictures: which widget of a lesson (the output holding a control with this label; default:
#: the first with a figure) and the state to show, driven here rather than by the lessons' defaults.
#: The presses above end where they began (text boxes back at the lesson's name or prefix).
SHOTS = {
    "02": {"before": _next(3)},      # δ of the middle layer: the rule (2.5) at work, numbers under units
    "03": {"before": _next(3)},      # part-way through Werbos' sweep: finished, current and pending
    "05": {"label": "τ"},            # the (t, k) heatmap with the truncation slider (the caption's)
}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lessons", nargs="*", help="lesson number prefixes (default: every notebooks/NN_*.ipynb)")
    ap.add_argument("--presses", type=int, default=8, help="key presses per control (default 8)")
    ap.add_argument("--kernel", action="store_true", help="time each control's kernel-side cost, no browser")
    ap.add_argument("--screenshots", type=Path, default=ROOT / "docs" / "img",
                    help="folder for lessonNN.png (default docs/img)")
    ap.add_argument("--no-screenshots", action="store_true")
    ap.add_argument("--json", type=Path, default=harness.BUILD / "slider_latency.json")
    ap.add_argument("--from-results", type=Path, help="print a stored results JSON instead of measuring")
    args = ap.parse_args(argv)

    if args.kernel:
        import matplotlib

        matplotlib.use("Agg")
        sys.path.insert(0, str(ROOT / "benchmarks"))
        import kernel_controls

        rows = kernel_controls.measure(kernel_controls.build_controls(args.lessons), presses=args.presses)
        print(f"Kernel-side cost per press (update + draw + PNG), {args.presses} presses per control, "
              f"load average {' '.join(f'{x:.1f}' for x in __import__('os').getloadavg())}:")
        print(kernel_controls.table(rows))
        return 0

    if args.from_results:
        results = harness.load_results(args.from_results)
        print(harness.latency_table(results))
        return 0

    lessons = harness.discover_lessons()
    if args.lessons:
        lessons = [p for p in lessons if any(p.name.startswith(a) for a in args.lessons)]
    if not lessons:
        print("bench_slider_latency: no lessons to open (notebooks/NN_*.ipynb)")
        return 0
    exe = harness.find_chromium()
    if exe is None:
        print("bench_slider_latency: SKIPPED — no chromium on PATH (Debian: apt-get install chromium)")
        return 1 if harness.browser_required() else 0

    results = []
    start = time.monotonic()
    with harness.LabServer(lessons) as lab, harness.chromium(exe) as browser:
        print(f"JupyterLab up in {time.monotonic() - start:.1f} s; {len(lessons)} lessons, "
              f"{args.presses} presses per slider", flush=True)
        for nb in lessons:
            shot = None if args.no_screenshots else args.screenshots / f"lesson{harness.lesson_number(nb.name)}.png"
            plan = SHOTS.get(harness.lesson_number(nb.name), {})
            r = harness.check_lesson(browser, lab, nb.name, presses=args.presses, screenshot=shot,
                                     shot_label=plan.get("label"), before_screenshot=plan.get("before"))
            results.append(r)
            print(f"{nb.name}: load {r.load_s:.1f} s, run all {r.run_s:.1f} s, total {r.total_s:.1f} s"
                  + (f", screenshot {Path(r.screenshot).relative_to(ROOT)}" if r.screenshot.startswith(str(ROOT)) else ""),
                  flush=True)
            for p in r.problems():
                print(f"  PROBLEM: {p}", flush=True)
    harness.write_results(results, args.json)
    print()
    load = " ".join(f"{x:.1f}" for x in __import__("os").getloadavg())
    print(f"Key press -> changed image per control, {args.presses} presses each (target median <= "
          f"{harness.LATENCY_TARGET_MS:.0f} ms; load average now {load}):")
    print(harness.control_table(results))
    slow = [(r.notebook, s.name) for r in results for s in r.sliders
            if s.median_ms is not None and s.median_ms > harness.LATENCY_TARGET_MS]
    print(f"\n{len(slow)} control(s) over {harness.LATENCY_TARGET_MS:.0f} ms; figures in {args.json}")
    return 1 if any(r.problems() for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
