#!/usr/bin/env python3
"""Slider latency in real JupyterLab: key press -> new figure pixels, per lesson and per slider.

    python course.py bench slider                     # every lesson, 6 presses per slider
    python benchmarks/bench_slider_latency.py 01 04   # lessons whose file name starts with 01 or 04
    python benchmarks/bench_slider_latency.py --presses 10 --no-screenshots
    python benchmarks/bench_slider_latency.py --from-results build/browser/results.json

Runs the browser tests' harness (tests/browser/harness.py): one JupyterLab on a loopback port, the
system Chromium headless, each lesson opened, Run All, then every slider pressed ``--presses`` times
(ArrowRight/ArrowLeft alternately) while a requestAnimationFrame poller in the page times key-down to
the first frame whose canvas pixels changed. Prints the median per slider, with the times at which
the kernel went busy and the first image message arrived, and flags medians over 120 ms. Writes the
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


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lessons", nargs="*", help="lesson number prefixes (default: every notebooks/NN_*.ipynb)")
    ap.add_argument("--presses", type=int, default=6, help="key presses per slider (default 6)")
    ap.add_argument("--screenshots", type=Path, default=ROOT / "docs" / "img",
                    help="folder for lessonNN.png (default docs/img)")
    ap.add_argument("--no-screenshots", action="store_true")
    ap.add_argument("--json", type=Path, default=harness.BUILD / "slider_latency.json")
    ap.add_argument("--from-results", type=Path, help="print a stored results JSON instead of measuring")
    args = ap.parse_args(argv)

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
            r = harness.check_lesson(browser, lab, nb.name, presses=args.presses, screenshot=shot)
            results.append(r)
            print(f"{nb.name}: load {r.load_s:.1f} s, run all {r.run_s:.1f} s, total {r.total_s:.1f} s"
                  + (f", screenshot {Path(r.screenshot).relative_to(ROOT)}" if r.screenshot.startswith(str(ROOT)) else ""),
                  flush=True)
            for p in r.problems():
                print(f"  PROBLEM: {p}", flush=True)
    harness.write_results(results, args.json)
    print()
    print(f"Key press -> changed image, median per slider (target <= {harness.LATENCY_TARGET_MS:.0f} ms):")
    print(harness.latency_table(results))
    slow = [(r.notebook, s.name) for r in results for s in r.sliders
            if s.median_ms is not None and s.median_ms > harness.LATENCY_TARGET_MS]
    print(f"\n{len(slow)} slider(s) over {harness.LATENCY_TARGET_MS:.0f} ms; figures in {args.json}")
    return 1 if any(r.problems() for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
