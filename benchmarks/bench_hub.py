"""Load-test a real JupyterHub on loopback: N students each run lesson 6 at the same time.

    python course.py bench hub                       # N = 10, 20, then 40 if memory allows
    python course.py bench hub --sizes=10,20         # only these class sizes
    .venv/bin/python benchmarks/bench_hub.py --sizes 5 --lesson notebooks/01_softmax_cross_entropy.ipynb

For each class size N, a fresh hub (tools/hub.py: jupyterhub + configurable-http-proxy + dummy
authenticator + SimpleLocalProcessSpawner, every socket on 127.0.0.1) is started, and then, through the
hub's REST API with an admin service token:

1. N students are created and all their servers are requested at once; "ready" is the time from the
   spawn request until the hub reports the server ready;
2. in each server a kernel is started through the Jupyter server REST API (via the proxy, as a browser
   would), and all N kernels run every code cell of the lesson at once over the kernel websocket
   (``/user/<name>/api/kernels/<id>/channels``); "lesson" is the time from the first execute request
   until the last cell's reply. A cell that errors (other than those tagged ``raises-exception``), a
   timeout or a failed spawn counts as a failure;
3. memory and CPU: the resident set size (RSS) of each student's kernel and server, sampled every 2 s
   with psutil while the lessons run (peak), and the CPU time each has used by the last sample (the
   kernel's: its start plus the lesson; the server's: its start plus relaying the lesson's messages).

Everything is bounded: spawns time out after ``--spawn-timeout`` s, a cell after ``--cell-timeout`` s, a
lesson after ``--lesson-timeout`` s; on exit the servers and the hub are stopped whatever happened.
The machine's load (``uptime``) is printed beside the figures: these are wall-clock times on a shared
machine. The table is also written to build/hub/bench_hub.json, each hub's log to build/hub/hub-N.log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from hub import Hub  # noqa: E402

LESSON = ROOT / "notebooks" / "06_vanishing_exploding.ipynb"
MiB = 1024 * 1024


def _args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10,20,40", help="class sizes, comma-separated (default 10,20,40)")
    ap.add_argument("--lesson", type=Path, default=LESSON, help="the notebook every student runs")
    ap.add_argument("--spawn-timeout", type=float, default=600.0)
    ap.add_argument("--cell-timeout", type=float, default=600.0)
    ap.add_argument("--lesson-timeout", type=float, default=1800.0)
    ap.add_argument("--memory-margin", type=float, default=0.7,
                    help="run a size only if its estimated memory is below this share of what is available")
    ap.add_argument("--keep", action="store_true", help="keep the hub's work folder (log, homes)")
    return ap.parse_args(argv)


def code_cells(path: Path) -> list[tuple[str, bool]]:
    """(source, may_raise) of every code cell of the notebook."""
    nb = json.loads(path.read_text())
    return [("".join(c["source"]), "raises-exception" in c.get("metadata", {}).get("tags", []))
            for c in nb["cells"] if c["cell_type"] == "code"]


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "load average: %.2f, %.2f, %.2f" % os.getloadavg()


def quantiles(values: list[float]) -> tuple[float, float, float]:
    """median, p90 (nearest rank), max; NaN for no values."""
    if not values:
        return (float("nan"),) * 3
    s = sorted(values)
    p90 = s[min(len(s) - 1, max(0, int(round(0.9 * len(s))) - 1))]
    return statistics.median(s), p90, s[-1]


class MemorySampler:
    """Peak and last RSS of every process started for a student (env JUPYTERHUB_USER), by kind."""

    def __init__(self, users: set[str]):
        self.users = users
        self.peak: dict[tuple[str, str], int] = {}
        self.last: dict[tuple[str, str], int] = {}
        self.cpu: dict[int, tuple[tuple[str, str], float]] = {}  # pid -> (key, CPU seconds so far)
        self._procs: dict[int, tuple[str, str]] = {}
        self._lock = threading.Lock()

    def _identify(self, proc: psutil.Process) -> tuple[str, str] | None:
        try:
            user = proc.environ().get("JUPYTERHUB_USER")
            if user not in self.users:
                return None
            kind = "kernel" if any("ipykernel" in part for part in proc.cmdline()) else "server"
            return user, kind
        except (psutil.Error, OSError):
            return None

    def sample(self) -> None:
        """One pass over the processes; thread-safe (called from worker threads)."""
        with self._lock:
            last: dict[tuple[str, str], int] = {}
            for proc in psutil.process_iter(["pid"]):
                key = self._procs.get(proc.pid)
                if key is None:
                    key = self._identify(proc)
                    if key is None:
                        continue
                    self._procs[proc.pid] = key
                try:
                    rss = proc.memory_info().rss
                    times = proc.cpu_times()
                except (psutil.Error, OSError):
                    continue
                self.cpu[proc.pid] = (key, times.user + times.system)
                last[key] = last.get(key, 0) + rss
            for key, rss in last.items():
                self.peak[key] = max(self.peak.get(key, 0), rss)
            self.last = last

    def cpu_seconds(self, kind: str) -> list[float]:
        """CPU seconds used by each student's processes of ``kind``, as last sampled."""
        per_user: dict[str, float] = {}
        for (user, k), seconds in self.cpu.values():
            if k == kind:
                per_user[user] = per_user.get(user, 0.0) + seconds
        return list(per_user.values())

    def values(self, kind: str, peak: bool) -> list[float]:
        table = self.peak if peak else self.last
        return [v / MiB for (u, k), v in table.items() if k == kind]


async def spawn(hub: Hub, user: str, timeout: float) -> float:
    """Request the server, poll until the hub says ready; seconds taken."""
    t0 = time.monotonic()
    await asyncio.to_thread(hub.api, "POST", f"/users/{user}/server", None, 120)
    while time.monotonic() - t0 < timeout:
        info = await asyncio.to_thread(hub.api, "GET", f"/users/{user}")
        server = (info.get("servers") or {}).get("")
        if server and server.get("ready"):
            return time.monotonic() - t0
        await asyncio.sleep(0.5)
    raise TimeoutError(f"{user}: server not ready after {timeout:.0f} s")


async def run_lesson(hub: Hub, user: str, cells, cell_timeout: float, start: asyncio.Event,
                     connected: list, sampler: "MemorySampler | None" = None) -> float:
    """Start a kernel in the user's server, run every cell over the websocket; seconds for the cells."""
    http = AsyncHTTPClient()
    auth = {"Authorization": f"token {hub.token}"}
    base = f"{hub.url}/user/{user}/api/kernels"
    resp = await http.fetch(HTTPRequest(base, method="POST", body=json.dumps({"name": "python3"}),
                                        headers=auth, request_timeout=120))
    kernel = json.loads(resp.body)["id"]
    ws_url = base.replace("http://", "ws://") + f"/{kernel}/channels?session_id={uuid.uuid4().hex}"
    ws = await websocket_connect(HTTPRequest(ws_url, headers=auth, request_timeout=120),
                                 max_message_size=256 * MiB)
    try:
        await _wait_ready(ws, cell_timeout)
        connected.append(user)
        await start.wait()
        t0 = time.monotonic()
        for i, (source, may_raise) in enumerate(cells):
            reply = await _execute(ws, source, cell_timeout)
            if reply["status"] != "ok" and not may_raise:
                raise RuntimeError(f"{user}: cell {i + 1} failed: {reply.get('ename')}: {reply.get('evalue')}")
        elapsed = time.monotonic() - t0
        if sampler is not None:  # the kernel's CPU time, read before it is shut down
            await asyncio.to_thread(sampler.sample)
        return elapsed
    finally:
        ws.close()
        try:
            await http.fetch(HTTPRequest(f"{base}/{kernel}", method="DELETE", headers=auth, request_timeout=60))
        except (HTTPClientError, OSError):
            pass


def _message(msg_type: str, content: dict, channel: str = "shell") -> dict:
    msg_id = uuid.uuid4().hex
    return {"header": {"msg_id": msg_id, "msg_type": msg_type, "username": "bench", "session": "bench",
                       "version": "5.3", "date": ""},
            "parent_header": {}, "metadata": {}, "content": content, "channel": channel, "buffers": []}


async def _read(ws, deadline: float) -> dict:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("no reply from the kernel in time")
    raw = await asyncio.wait_for(ws.read_message(), remaining)
    if raw is None:
        raise ConnectionError(f"kernel websocket closed (code {ws.close_code}, reason {ws.close_reason!r})")
    if isinstance(raw, bytes):  # binary frame (a message with buffers): nothing we wait for
        return {}
    return json.loads(raw)


async def _wait_ready(ws, timeout: float) -> None:
    """Send kernel_info_request until a reply arrives (the kernel may still be starting)."""
    deadline = time.monotonic() + timeout
    while True:
        msg = _message("kernel_info_request", {})
        await ws.write_message(json.dumps(msg))
        try:
            inner = min(deadline, time.monotonic() + 10)
            while True:
                got = await _read(ws, inner)
                if got.get("parent_header", {}).get("msg_id") == msg["header"]["msg_id"] and \
                        got.get("msg_type") == "kernel_info_reply":
                    return
        except (TimeoutError, asyncio.TimeoutError):
            if time.monotonic() >= deadline:
                raise TimeoutError("kernel did not answer kernel_info in time")


async def _execute(ws, code: str, timeout: float) -> dict:
    """execute_request; wait for both the shell reply and iopub's status idle of this request."""
    msg = _message("execute_request", {"code": code, "silent": False, "store_history": True,
                                       "user_expressions": {}, "allow_stdin": False, "stop_on_error": True})
    msg_id = msg["header"]["msg_id"]
    await ws.write_message(json.dumps(msg))
    deadline = time.monotonic() + timeout
    reply, idle = None, False
    while reply is None or not idle:
        got = await _read(ws, deadline)
        if got.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        if got.get("msg_type") == "execute_reply":
            reply = got["content"]
        elif got.get("msg_type") == "status" and got["content"].get("execution_state") == "idle":
            idle = True
    return reply


async def one_size(n: int, args, cells) -> dict:
    users = [f"student{i:03d}" for i in range(1, n + 1)]
    workdir = Path(tempfile.mkdtemp(prefix=f"rnnedu-hub-{n}-"))
    sampler = MemorySampler(set(users))
    failures: list[str] = []
    ready: dict[str, float] = {}
    lesson: dict[str, float] = {}
    load_before = uptime()
    used_before = psutil.virtual_memory().used
    used_peak = used_before
    used_idle = used_before
    t_all = time.monotonic()
    hub = Hub(workdir, token=secrets.token_hex(32), spawn_timeout=int(args.spawn_timeout))
    try:
        await asyncio.to_thread(hub.start)
        await asyncio.to_thread(hub.api, "POST", "/users", {"usernames": users})
        spawned = await asyncio.gather(*(spawn(hub, u, args.spawn_timeout) for u in users), return_exceptions=True)
        for u, r in zip(users, spawned):
            if isinstance(r, BaseException):
                failures.append(f"{u}: spawn: {type(r).__name__}: {r}")
            else:
                ready[u] = r
        start, connected = asyncio.Event(), []
        tasks = {u: asyncio.create_task(asyncio.wait_for(
            run_lesson(hub, u, cells, args.cell_timeout, start, connected, sampler), args.lesson_timeout))
            for u in ready}
        await _until_connected(tasks, connected, start, timeout=300)
        used_idle = psutil.virtual_memory().used
        done = asyncio.create_task(asyncio.wait(list(tasks.values())))
        while not done.done():
            await asyncio.to_thread(sampler.sample)
            used_peak = max(used_peak, psutil.virtual_memory().used)
            await asyncio.wait({done}, timeout=2.0)
        for u, task in tasks.items():
            try:
                lesson[u] = task.result()
            except BaseException as exc:  # noqa: BLE001  (any failure is reported, not raised)
                failures.append(f"{u}: lesson: {type(exc).__name__}: {exc}")
        sampler.sample()  # kernels are shut down by now: the "last" figures are servers only
    finally:
        await asyncio.to_thread(hub.stop)
        if hub.log_path.exists():  # kept for every run: the place to look when a student failed
            log = ROOT / "build" / "hub" / f"hub-{n}.log"
            log.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(hub.log_path, log)
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return {"n": n, "ready_s": quantiles(list(ready.values())), "lesson_s": quantiles(list(lesson.values())),
            "kernel_rss_mib": quantiles(sampler.values("kernel", peak=True)),
            "server_rss_mib": quantiles(sampler.values("server", peak=True)),
            "kernel_cpu_s": quantiles(sampler.cpu_seconds("kernel")),
            "server_cpu_s": quantiles(sampler.cpu_seconds("server")),
            "system_mib_per_student": (used_peak - used_before) / MiB / n,
            "idle_mib_per_student": (used_idle - used_before) / MiB / n,
            "failures": failures, "wall_s": time.monotonic() - t_all,
            "load_before": load_before, "load_after": uptime(), "workdir": str(workdir) if args.keep else None}


async def _until_connected(tasks: dict, connected: list, start: asyncio.Event, timeout: float) -> None:
    """Give every student a kernel with an open websocket before all start together (bounded)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(connected) + sum(t.done() for t in tasks.values()) >= len(tasks):
            break
        await asyncio.sleep(0.5)
    start.set()


def print_table(rows: list[dict]) -> None:
    print()
    print("| students | ready: median / p90 / max (s) | lesson: median / p90 / max (s) "
          "| kernel RSS: median / max (MiB) | server RSS: median (MiB) | machine memory per student: "
          "idle / peak (MiB) | CPU per student: kernel / server, median (s) | failures | wall (s) |")
    print("|---:|---|---|---|---:|---|---|---:|---:|")
    for r in rows:
        rd, ls, kr, sr = r["ready_s"], r["lesson_s"], r["kernel_rss_mib"], r["server_rss_mib"]
        print(f"| {r['n']} | {rd[0]:.1f} / {rd[1]:.1f} / {rd[2]:.1f} | {ls[0]:.1f} / {ls[1]:.1f} / {ls[2]:.1f} "
              f"| {kr[0]:.0f} / {kr[2]:.0f} | {sr[0]:.0f} | {r['idle_mib_per_student']:.0f} / "
              f"{r['system_mib_per_student']:.0f} | {r['kernel_cpu_s'][0]:.1f} / {r['server_cpu_s'][0]:.1f} "
              f"| {len(r['failures'])} | {r['wall_s']:.0f} |")
    for r in rows:
        print(f"\nN={r['n']}: before: {r['load_before']}\n      after:  {r['load_after']}")
        for f in r["failures"][:10]:
            print(f"  failure: {f}")


def _interrupt(signum, frame):  # SIGTERM: unwind like Ctrl-C, so every hub started is stopped
    raise KeyboardInterrupt


def main(argv=None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)
    args = _args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if any(n < 1 or n > 200 for n in sizes):
        raise ValueError(f"class sizes must be in 1..200, got {sizes}")
    cells = code_cells(args.lesson)
    print(f"{psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.1f} GiB; "
          f"lesson {args.lesson.name}: {len(cells)} code cells; {uptime()}", flush=True)
    rows = []
    per_student = None
    for n in sizes:
        available = psutil.virtual_memory().available
        if per_student is not None and n * per_student > args.memory_margin * available:
            print(f"N={n}: skipped, needs about {n * per_student / 2**30:.1f} GiB "
                  f"and {available / 2**30:.1f} GiB are available", flush=True)
            continue
        print(f"N={n}: starting ...", flush=True)
        row = asyncio.run(one_size(n, args, cells))
        rows.append(row)
        print_table([row])
        kernel, server = row["kernel_rss_mib"][2], row["server_rss_mib"][2]
        if kernel == kernel and server == server:  # not NaN
            per_student = (kernel + server) * MiB
    print("\nAll sizes:")
    print_table(rows)
    out = ROOT / "build" / "hub" / "bench_hub.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    return 1 if any(r["failures"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
