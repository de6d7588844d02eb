"""Open lessons in a real JupyterLab in headless Chromium, run them, and move every slider.

Shared by the browser tests (``tests/browser/test_lessons.py``) and the latency benchmark
(``benchmarks/bench_slider_latency.py``). No pytest in here: plain functions and two context managers.

    with LabServer(notebooks) as lab, chromium() as browser:
        result = check_lesson(browser, lab, "01_softmax_cross_entropy.ipynb", presses=2)
        assert not result.problems(), result.problems()

What :func:`check_lesson` does, in one fresh browser context per lesson:

1. open the notebook and wait for ``window.jupyterapp``'s session kernel to be ``connected`` *and*
   ``idle`` (the toolbar's indicator says idle earlier; a Run All sent then is lost);
2. record what the stored widget outputs show before anything runs, clear outputs, Run All and await
   the command's promise (it resolves when every cell's reply is in);
3. wait until no output says "Loading widget…", then collect error outputs (cells tagged
   ``raises-exception`` excepted), "Error displaying widget" outputs, widget outputs that rendered
   nothing, and tracebacks the kernel logged while handling widget messages;
4. for every slider (noUiSlider handle of IntSlider, FloatSlider, FloatLogSlider, a stepper's step
   slider, …): focus the handle, arm a ``requestAnimationFrame`` poller in the page that compares the
   pixels of the canvases of the nearest enclosing box (the ipympl figure next to it), press
   ArrowRight (ArrowLeft at the maximum), and time key-down → first frame whose pixels differ. A slider
   with no canvas nearby is judged by the rest of its box (text and images outside the slider itself).
   Presses alternate direction so the lesson ends where it started; between presses the page settles
   (kernel idle, canvases quiet).

The server serves a temporary copy of the notebooks with its own config, data, runtime, settings and
workspace folders, autosave off, the news toast off and notebook windowing off (every cell in the DOM),
so a run never writes into the checkout.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "build" / "browser"
LATENCY_TARGET_MS = 100.0  # issue 13: every control's median key press -> image, on 2 cores
LATENCY_GUARD_MS = 400.0   # the browser tests fail a control slower than this (loose: CI must not flake)
REQUIRE_ENV = "RNNEDU_REQUIRE_BROWSER"  # "1" (set by .ci/run): a missing browser fails instead of skipping
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1400, "height": 1600}

# JupyterLab user settings for the test server (one file per plugin).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}


def discover_lessons(folder: Path = NOTEBOOKS) -> list[Path]:
    """Every built lesson: ``notebooks/NN_*.ipynb``, sorted."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def browser_required() -> bool:
    return os.environ.get(REQUIRE_ENV, "") == "1"


def find_chromium() -> str | None:
    """Path of the system Chromium (Debian package ``chromium``), or None."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def lesson_number(name: str) -> str:
    return name[:2]


# --------------------------------------------------------------------------------------------------
# JupyterLab server
# --------------------------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """JupyterLab on a free loopback port with a random token, serving a temporary copy of notebooks.

    ``notebooks`` are copied flat into ``<tmp>/root/``; :meth:`add_notebook` copies more in later.
    Start with ``with LabServer(paths) as lab:``; on exit every kernel is shut down through the REST
    API, then the server gets SIGTERM (SIGKILL after 20 s) and the temp folder is removed.
    """

    def __init__(self, notebooks: Iterable[Path] = (), startup_timeout: float = 90.0):
        self.tmp = Path(tempfile.mkdtemp(prefix="rnnedu-lab-"))
        self.root = self.tmp / "root"
        self.root.mkdir()
        for nb in notebooks:
            self.add_notebook(nb)
        self.token = secrets.token_hex(16)
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.log_path = self.tmp / "server.log"
        self.startup_timeout = startup_timeout

    def add_notebook(self, path: Path, name: str | None = None) -> str:
        name = name or path.name
        shutil.copyfile(path, self.root / name)
        return name

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, notebook: str, workspace: str) -> str:
        return f"{self.base_url}/lab/workspaces/{workspace}/tree/{notebook}?reset&token={self.token}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        dirs = {"JUPYTER_CONFIG_DIR": "config", "JUPYTER_DATA_DIR": "data", "JUPYTER_RUNTIME_DIR": "runtime",
                "JUPYTERLAB_SETTINGS_DIR": "settings", "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
                "IPYTHONDIR": "ipython", "MPLCONFIGDIR": "mpl"}
        for var, sub in dirs.items():
            (self.tmp / sub).mkdir(exist_ok=True)
            env[var] = str(self.tmp / sub)
        for rel, content in LAB_SETTINGS.items():
            f = self.tmp / "settings" / rel
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_text(json.dumps(content))
        (self.tmp / "config" / "labconfig").mkdir(exist_ok=True)
        (self.tmp / "config" / "labconfig" / "page_config.json").write_text(json.dumps(PAGE_CONFIG))
        env["PYTHONHASHSEED"] = "0"
        env.pop("JUPYTER_PATH", None)
        return env

    def start(self) -> "LabServer":
        env = self._env()
        last_error = ""
        for _attempt in range(3):
            self.port = _free_port()
            cmd = [sys.executable, "-m", "jupyterlab", "--no-browser",
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                   "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
            if hasattr(os, "geteuid") and os.geteuid() == 0:
                cmd.append("--allow-root")
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(cmd, cwd=self.root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
            log.close()
            deadline = time.monotonic() + self.startup_timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    self.api("GET", "/api/status")
                    return self
                except OSError:
                    time.sleep(0.25)
            last_error = self.log_tail()
            self._stop_process()
        raise RuntimeError(f"JupyterLab did not start; last log lines:\n{last_error}")

    def api(self, method: str, path: str, timeout: float = 5.0):
        req = urllib.request.Request(self.base_url + path, method=method,
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self) -> None:
        try:
            for kernel in self.api("GET", "/api/kernels") or []:
                self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=20)
        except OSError:
            pass

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")

    def log_tail(self, n: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text("utf-8", "replace").splitlines()[-n:])

    def _stop_process(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.shutdown_kernels()
        self._stop_process()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> "LabServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class chromium:
    """``with chromium() as browser:`` — Playwright driving the system Chromium, headless."""

    def __init__(self, executable: str | None = None):
        self.executable = executable or find_chromium()
        if self.executable is None:
            raise FileNotFoundError("no chromium on PATH (Debian: apt-get install chromium)")

    def __enter__(self):
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        try:
            self.browser = self._pw.chromium.launch(executable_path=self.executable, headless=True,
                                                    args=CHROMIUM_ARGS)
        except Exception:
            self._pw.stop()
            raise
        return self.browser

    def __exit__(self, *exc) -> None:
        try:
            self.browser.close()
        finally:
            self._pw.stop()


# --------------------------------------------------------------------------------------------------
# In-page helpers (installed as window.__rnn)
# --------------------------------------------------------------------------------------------------

PAGE_JS = r"""
() => {
  if (window.__rnn) return;
  const R = {};
  const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';
  R.panel = (name) => {
    const app = window.jupyterapp;
    if (!app) return null;
    for (const w of app.shell.widgets('main')) {
      if (w.sessionContext && w.context && w.context.path.split('/').pop() === name) return w;
    }
    return null;
  };
  R.kernelState = (name) => {
    const p = R.panel(name);
    if (!p) return 'no panel';
    if (!p.context.isReady) return 'context loading';
    const s = p.sessionContext.session;
    const k = s && s.kernel;
    if (!k) return 'no kernel';
    return k.connectionStatus + '/' + k.status;
  };
  // DOM nodes of the outputs whose model holds a widget view (the output node carries no mime type).
  R.widgetOutputs = (name) => {
    const p = R.panel(name);
    const found = [];
    for (const cell of p.content.widgets) {
      if (cell.model.type !== 'code' || !cell.outputArea) continue;
      const area = cell.outputArea;
      for (let j = 0; j < area.model.length; j++) {
        const data = area.model.get(j).data || {};
        if (!(WIDGET_MIME in data)) continue;
        const child = area.widgets[j];
        if (!child) continue;
        found.push(child.node.querySelector('.jp-OutputArea-output') || child.node);
      }
    }
    return found;
  };
  R.unrunWidgetTexts = (name) => R.widgetOutputs(name).map(o => o.innerText.trim());
  R.runAll = async (name, timeoutMs) => {
    const app = window.jupyterapp;
    const p = R.panel(name);
    app.shell.activateById(p.id);
    await app.commands.execute('notebook:clear-all-cell-outputs');
    const t0 = performance.now();
    const timeout = new Promise(r => setTimeout(() => r('timeout'), timeoutMs));
    const ok = await Promise.race([app.commands.execute('notebook:run-all-cells'), timeout]);
    if (ok === 'timeout') return {ok: false, timeout: true, ms: performance.now() - t0};
    // Run All resolves early when a cell tagged raises-exception fails (Promise.all rejects on the
    // first failure) while the later cells are still queued. Every cell's request was sent already,
    // so a silent empty request queued behind them is answered only after all of them.
    const k = p.sessionContext.session.kernel;
    const sentinel = k.requestExecute({code: '', silent: true, store_history: false, stop_on_error: false}).done;
    const done = await Promise.race([sentinel.then(() => 'done', () => 'done'), timeout]);
    return {ok: ok !== false, timeout: done === 'timeout', ms: performance.now() - t0};
  };
  // Record what the kernel reports outside cell execution (widget callbacks): errors and stderr.
  R.watchKernel = (name) => {
    const k = R.panel(name).sessionContext.session.kernel;
    R.kernelMessages = [];
    k.iopubMessage.connect((_, msg) => {
      const t = msg.header.msg_type, c = msg.content, now = performance.now();
      const p = R.probe;
      if (p && p.tKey !== null) {  // timeline of the current press: kernel busy, first image message
        if (p.busy === null && t === 'status' && c.execution_state === 'busy') p.busy = now - p.tKey;
        if (p.image === null && t === 'comm_msg' && msg.buffers && msg.buffers.length) p.image = now - p.tKey;
      }
      if (t === 'error') R.kernelMessages.push(`${c.ename}: ${c.evalue}`.slice(0, 300));
      else if (t === 'stream' && c.name === 'stderr') R.kernelMessages.push(('stderr: ' + c.text).slice(0, 600));
    });
    return true;
  };
  R.loadingCount = (name) => R.widgetOutputs(name).filter(
      o => (o.textContent || '').trim().startsWith('Loading widget')).length;
  R.report = (name) => {
    const p = R.panel(name);
    const errors = [], notRun = [], widgetProblems = [];
    p.content.widgets.forEach((cell, i) => {
      if (cell.model.type !== 'code') return;
      const tags = cell.model.getMetadata('tags') || [];
      const src = cell.model.sharedModel.getSource();
      if (src.trim() && cell.model.executionCount === null) notRun.push(i);
      for (const o of cell.model.outputs.toJSON()) {
        if (o.output_type === 'error' && !tags.includes('raises-exception'))
          errors.push({cell: i, ename: o.ename, evalue: String(o.evalue).slice(0, 300)});
      }
    });
    const outs = R.widgetOutputs(name);
    outs.forEach((o, j) => {
      const cell = o.closest('.jp-Cell');
      const ci = cell ? [...p.content.widgets].findIndex(c => c.node === cell) : -1;
      const text = (o.textContent || '').trim();
      if (text.startsWith('Error displaying widget') || text.startsWith('Loading widget'))
        widgetProblems.push({cell: ci, text: text.slice(0, 200)});
      else if (!o.querySelector('.jupyter-widgets, [class*="widget-"], .jupyter-matplotlib') &&
               o.getBoundingClientRect().height > 0)
        widgetProblems.push({cell: ci, text: 'widget output rendered nothing'});
    });
    const domErrors = [...p.node.querySelectorAll('.jp-OutputArea-output')]
        .filter(o => /Error displaying widget/.test(o.textContent || ''))
        .filter(o => !outs.includes(o)).map(o => (o.textContent || '').trim().slice(0, 200));
    for (const t of domErrors) widgetProblems.push({cell: -1, text: t});
    // Layout: a widget wider than its output area is cut off (or scrolls); a flex child squeezed below
    // its content width (e.g. a control column next to a wide figure) is unreadable.
    const layout = [];
    outs.forEach(o => {
      const root = o.firstElementChild;
      if (!root) return;
      const cell = o.closest('.jp-Cell');
      const ci = cell ? [...p.content.widgets].findIndex(c => c.node === cell) : -1;
      if (root.scrollWidth > o.clientWidth + 4)
        layout.push(`cell ${ci}: widget needs ${root.scrollWidth} px, its output area is ${o.clientWidth} px wide`);
      for (const child of root.children) {
        const w = child.getBoundingClientRect().width;
        if (w > 0 && w + 8 < child.scrollWidth)
          layout.push(`cell ${ci}: a part of the widget is squeezed to ${Math.round(w)} px of its ${child.scrollWidth} px`);
      }
    });
    return {errors, notRun, widgetProblems, layout, widgetOutputs: outs.length,
            codeCells: [...p.content.widgets].filter(c => c.model.type === 'code').length};
  };
  // Text boxes (ipywidgets Text / Textarea): marked like sliders, judged by their output region.
  R.textboxes = (name) => {
    const p = R.panel(name);
    const found = [...p.node.querySelectorAll('.widget-text input, .widget-textarea textarea')];
    return found.map((t, i) => {
      t.setAttribute('data-rnn-text', String(i));
      const cell = t.closest('.jp-Cell');
      const box = t.closest('.widget-text, .widget-textarea');
      const label = box ? box.querySelector('.widget-label') : null;
      return {index: i, cell: cell ? [...p.content.widgets].findIndex(c => c.node === cell) : -1,
              label: label ? label.textContent.trim() : '', visible: t.getBoundingClientRect().height > 0};
    });
  };
  R.textRegionSig = (idx) => {
    const t = document.querySelector(`[data-rnn-text="${idx}"]`);
    const region = t.closest('.jp-OutputArea-output') || t.parentElement;
    const pix = [...region.querySelectorAll('canvas')].filter(c => c.width > 0 && c.height > 0).map(c => {
      try {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let h = 0;
        for (let i = 0; i < d.length; i += 7) h = (h * 31 + d[i]) | 0;
        return h;
      } catch (e) { return 0; }
    });
    return region.textContent + '|' + pix.join(',');
  };
  R.sliders = (name) => {
    const p = R.panel(name);
    const found = [...p.node.querySelectorAll('.widget-slider')].filter(s => s.querySelector('.noUi-handle'));
    return found.map((s, i) => {
      s.setAttribute('data-rnn-slider', String(i));
      const cell = s.closest('.jp-Cell');
      const label = s.querySelector('.widget-label');
      const readout = s.querySelector('.widget-readout');
      const kind = [...s.classList].filter(c => c.startsWith('widget-') && c !== 'widget-slider' &&
                                               c !== 'widget-inline-hbox' && c !== 'widget-inline-vbox');
      return {index: i, cell: cell ? [...p.content.widgets].findIndex(c => c.node === cell) : -1,
              label: label ? label.textContent.trim() : '', readout: readout ? readout.textContent.trim() : '',
              classes: kind.join(' '), visible: s.getBoundingClientRect().height > 0};
    });
  };
  // A control by key: a number is slider #n, a string "c3" is the other control #3 (R.controls).
  R.el = (idx) => typeof idx === 'number' ? document.querySelector(`[data-rnn-slider="${idx}"]`)
                                           : document.querySelector(`[data-rnn-ctl="${idx}"]`);
  R.attrOf = (s) => s.hasAttribute('data-rnn-slider') ? ['data-rnn-slider', s.getAttribute('data-rnn-slider')]
                                                       : ['data-rnn-ctl', s.getAttribute('data-rnn-ctl')];
  // Every other control: dropdowns, toggle buttons, a stepper's ◀ prev / next ▶ pair, Play, text boxes.
  R.controls = (name) => {
    const p = R.panel(name);
    const found = [];
    const cellOf = (el) => { const c = el.closest('.jp-Cell'); return c ? [...p.content.widgets].findIndex(w => w.node === c) : -1; };
    const labelOf = (el) => { const l = el.querySelector(':scope > .widget-label'); return l ? l.textContent.trim() : ''; };
    for (const d of p.node.querySelectorAll('.widget-dropdown')) {
      const sel = d.querySelector('select');
      if (sel) found.push({el: d, kind: 'dropdown', label: labelOf(d), n: sel.options.length, selected: sel.selectedIndex});
    }
    for (const t of p.node.querySelectorAll('.widget-toggle-buttons')) {
      const bs = [...t.querySelectorAll('button')];
      found.push({el: t, kind: 'toggle', label: labelOf(t), n: bs.length,
                  selected: bs.findIndex(b => b.classList.contains('mod-active'))});
    }
    for (const b of p.node.querySelectorAll('button')) {
      if (!/next/.test(b.textContent || '')) continue;
      const box = b.parentElement;
      if ([...box.querySelectorAll('button')].some(x => /prev/.test(x.textContent || '')))
        found.push({el: box, kind: 'buttons', label: 'prev/next', n: 2, selected: 0});
    }
    for (const pl of p.node.querySelectorAll('.widget-play')) found.push({el: pl, kind: 'play', label: 'play', n: 1, selected: 0});
    for (const t of p.node.querySelectorAll('.widget-text')) {
      if (t.querySelector('input')) found.push({el: t, kind: 'text', label: labelOf(t), n: 1, selected: 0,
                                                value: t.querySelector('input').value});
    }
    return found.map((f, i) => {
      f.el.setAttribute('data-rnn-ctl', 'c' + i);
      return {key: 'c' + i, kind: f.kind, label: f.label, n: f.n, selected: f.selected, value: f.value || '',
              cell: cellOf(f.el), visible: f.el.getBoundingClientRect().height > 0};
    });
  };
  // The readouts of the sliders in a control's region (a Play moves the stepper's slider).
  R.readouts = (idx) => {
    const s = R.el(idx);
    const {r} = R.canvasesOf(s);
    return [...r.el.querySelectorAll('.widget-readout')].map(x => x.textContent).join('|');
  };
  // The box a slider belongs to: its nearest ancestor holding a canvas, else its top-level output.
  R.region = (s) => {
    let el = s.parentElement;
    while (el && !el.classList.contains('jp-Cell')) {
      if ([...el.querySelectorAll('canvas')].some(c => c.width > 0 && c.height > 0)) return {el, canvas: true};
      el = el.parentElement;
    }
    return {el: s.closest('.jp-OutputArea-output') || s.parentElement, canvas: false};
  };
  // Everything visible in the region except the slider itself: text, image sources, canvas sizes.
  R.signature = (region, s) => {
    const clone = region.cloneNode(true);
    const [attr, val] = R.attrOf(s);
    const mine = clone.querySelector(`[${attr}="${val}"]`);
    if (mine) mine.remove();
    const imgs = [...region.querySelectorAll('img')].filter(i => !s.contains(i)).map(i => i.src.length + ':' + i.src.slice(-64));
    return clone.textContent + '|' + imgs.join(',');
  };
  // Count draws per canvas so the poller only reads pixels back when something was drawn.
  const proto = CanvasRenderingContext2D.prototype;
  for (const m of ['drawImage', 'putImageData', 'fillRect', 'clearRect']) {
    const orig = proto[m];
    proto[m] = function (...args) { this.canvas.__rnnDraws = (this.canvas.__rnnDraws || 0) + 1; return orig.apply(this, args); };
  }
  const draws = (canvases) => canvases.map(c => (c.__rnnDraws || 0) + ':' + c.width + 'x' + c.height).join(',');
  const snap = (canvases) => canvases.map(c => {
    try {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      return {w: c.width, h: c.height, px: new Uint32Array(d.buffer.slice(0))};
    } catch (e) { return {w: c.width, h: c.height, px: null}; }
  });
  const differs = (a, b) => {
    if (a.w !== b.w || a.h !== b.h) return true;
    if (!a.px || !b.px) return false;
    const x = a.px, y = b.px;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return true;
    return false;
  };
  R.canvasesOf = (s) => {
    const r = R.region(s);
    return {r, canvases: r.canvas ? [...r.el.querySelectorAll('canvas')].filter(c => c.width > 0 && c.height > 0) : []};
  };
  R.handleInfo = (idx) => {
    const s = R.el(idx);
    const h = s.querySelector('.noUi-handle');
    const {canvases} = R.canvasesOf(s);
    return {now: parseFloat(h.getAttribute('aria-valuenow')), min: parseFloat(h.getAttribute('aria-valuemin')),
            max: parseFloat(h.getAttribute('aria-valuemax')), canvases: canvases.length,
            readout: (s.querySelector('.widget-readout') || {}).textContent};
  };
  // Arm a rAF poller: resolves window.__rnnPending with the key-down -> changed-image time.
  // fromStep (a Play): time from the step (a slider readout in the box changes) instead of the key.
  R.arm = (idx, timeoutMs, fromStep) => {
    const s = R.el(idx);
    const {r, canvases} = R.canvasesOf(s);
    const base = canvases.length ? snap(canvases) : null;
    const baseSig = canvases.length ? null : R.signature(r.el, s);
    const baseReadouts = fromStep ? R.readouts(idx) : null;
    let tKey = null, seen = draws(canvases), frame = 0;
    R.probe = {tKey: null, busy: null, image: null};
    const onKey = () => { if (tKey === null && !fromStep) { tKey = performance.now(); R.probe.tKey = tKey; } };
    document.addEventListener('keydown', onKey, true);
    document.addEventListener('input', onKey, true);
    window.__rnnPending = new Promise(resolve => {
      const t0 = performance.now();
      const tick = () => {
        const now = performance.now();
        frame++;
        if (fromStep && tKey === null && R.readouts(idx) !== baseReadouts) { tKey = now; R.probe.tKey = tKey; }
        if (tKey !== null) {
          let changed = false;
          if (canvases.length) {
            const d = draws(canvases);
            if (d !== seen || frame % 15 === 0) {
              seen = d;
              const cur = snap(canvases);
              changed = cur.some((c, i) => differs(c, base[i]));
            }
          } else {
            changed = R.signature(r.el, s) !== baseSig;
          }
          if (changed) {
            document.removeEventListener('keydown', onKey, true);
            resolve({changed: true, ms: now - tKey, by: canvases.length ? 'canvas' : 'box',
                     busy: R.probe.busy, image: R.probe.image});
            return;
          }
        }
        if (now - t0 > timeoutMs) {
          document.removeEventListener('keydown', onKey, true);
          resolve({changed: false, ms: null, keyed: tKey !== null, by: canvases.length ? 'canvas' : 'box'});
          return;
        }
        requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    return {canvases: canvases.length};
  };
  // Wait until the slider's canvases (or box) stay unchanged for quietMs.
  R.settle = (idx, quietMs, timeoutMs) => {
    const s = R.el(idx);
    const {r, canvases} = R.canvasesOf(s);
    const sig = () => canvases.length ? snap(canvases) : R.signature(r.el, s);
    const same = (a, b) => canvases.length ? !a.some((c, i) => differs(c, b[i])) : a === b;
    return new Promise(resolve => {
      const t0 = performance.now();
      let last = sig(), since = t0;
      const tick = () => {
        const now = performance.now();
        const cur = sig();
        if (!same(cur, last)) { last = cur; since = now; }
        if (now - since >= quietMs || now - t0 > timeoutMs) { resolve(now - since >= quietMs); return; }
        setTimeout(tick, 40);
      };
      tick();
    });
  };
  // The part of an element that holds content: the union of its leaves' boxes (a widget box is as wide
  // as the notebook; its figure and controls often are not).
  R.contentBox = (sel, pad) => {
    const el = document.querySelector(sel);
    const outer = el.getBoundingClientRect();
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    const boxes = [];
    for (const e of el.querySelectorAll('*')) {
      const solid = ['CANVAS', 'IMG', 'SELECT', 'INPUT', 'BUTTON', 'svg'].includes(e.tagName) ||
                    e.classList.contains('noUi-target');
      if (solid) { boxes.push([e, e.getBoundingClientRect()]); continue; }
      // text: the box of the text itself, not of its (often full-width) element
      for (const node of e.childNodes) {
        if (node.nodeType !== 3 || !node.textContent.trim()) continue;
        const range = document.createRange();
        range.selectNodeContents(node);
        boxes.push([e, range.getBoundingClientRect()]);
      }
    }
    for (const [e, b] of boxes) {
      if (b.width < 1 || b.height < 1 || getComputedStyle(e).visibility === 'hidden') continue;
      x0 = Math.min(x0, b.left); y0 = Math.min(y0, b.top); x1 = Math.max(x1, b.right); y1 = Math.max(y1, b.bottom);
    }
    if (!isFinite(x0)) return null;
    x0 = Math.max(outer.left, x0 - pad); y0 = Math.max(outer.top, y0 - pad);
    x1 = Math.min(outer.right, x1 + pad); y1 = Math.min(outer.bottom, y1 + pad);
    return {x: x0, y: y0, width: x1 - x0, height: y1 - y0};
  };
  // Mark the widget output holding a control labelled `label` (or the first with a figure) for the shot.
  R.firstFigureOutput = (name, label) => {
    const outs = R.widgetOutputs(name);
    let withCanvas = outs.find(o => o.querySelector('canvas'));
    if (label) {
      const hit = outs.find(o => [...o.querySelectorAll('.widget-label')].some(l => l.textContent.trim() === label));
      if (hit) withCanvas = hit;
    }
    const chosen = withCanvas || outs[0];
    if (!chosen) return false;
    document.querySelectorAll('[data-rnn-shot]').forEach(e => e.removeAttribute('data-rnn-shot'));
    chosen.setAttribute('data-rnn-shot', '1');
    return true;
  };
  R.shutdown = async () => {
    const app = window.jupyterapp;
    await app.serviceManager.sessions.shutdownAll();
  };
  window.__rnn = R;
}
"""


# --------------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------------

@dataclass
class SliderResult:
    index: int
    cell: int
    label: str
    classes: str
    judged_by: str = ""             # "canvas" (pixels of the figure in its box) or "box" (other output)
    kind: str = "slider"            # slider, dropdown, toggle, buttons (◀ prev / next ▶), play, text
    keys: list[str] = field(default_factory=list)
    latencies_ms: list[float | None] = field(default_factory=list)
    # per press, ms after key-down: the kernel went busy / the first binary (image) message arrived
    kernel_busy_ms: list[float | None] = field(default_factory=list)
    image_message_ms: list[float | None] = field(default_factory=list)
    problem: str = ""

    @property
    def median_ms(self) -> float | None:
        ok = [x for x in self.latencies_ms if x is not None]
        return statistics.median(ok) if ok else None

    @property
    def name(self) -> str:
        if self.kind != "slider":
            return f"cell {self.cell} {self.kind} '{self.label or '?'}' (#{self.index})"
        return f"cell {self.cell} slider '{self.label or '?'}' (#{self.index}, {self.classes})"


@dataclass
class TextBoxResult:
    """One text box: typing ``TEXT_SAMPLE`` and Enter must change its output (text or figure)."""

    index: int
    cell: int
    label: str = ""
    ms: float | None = None
    problem: str = ""

    @property
    def name(self) -> str:
        return f"cell {self.cell} text box '{self.label or '?'}' (#{self.index})"


@dataclass
class LessonResult:
    notebook: str
    load_s: float = 0.0
    run_s: float = 0.0
    total_s: float = 0.0
    run_ok: bool = False
    code_cells: int = 0
    widget_outputs: int = 0
    errors: list[dict] = field(default_factory=list)
    not_run: list[int] = field(default_factory=list)
    widget_problems: list[dict] = field(default_factory=list)
    kernel_log_errors: list[str] = field(default_factory=list)
    unrun_widget_texts: list[str] = field(default_factory=list)
    callback_messages: list[str] = field(default_factory=list)  # kernel errors/stderr while sliders moved
    layout_warnings: list[str] = field(default_factory=list)    # reported, not failed: see problems()
    sliders: list[SliderResult] = field(default_factory=list)
    textboxes: list[TextBoxResult] = field(default_factory=list)
    screenshot: str = ""
    fatal: str = ""

    def problems(self) -> list[str]:
        """Everything a learner would meet as a failure, one line each; empty when the lesson is fine.

        Layout warnings (a widget wider than the notebook) are not in here: they depend on the window.
        """
        out = []
        if self.fatal:
            out.append(self.fatal)
        for e in self.errors:
            out.append(f"cell {e['cell']}: error output {e['ename']}: {e['evalue']}")
        if self.not_run and not self.errors:
            out.append(f"cells never executed after Run All: {self.not_run}")
        for w in self.widget_problems:
            out.append(f"cell {w['cell']}: widget not rendered: {w['text']}")
        for m in self.callback_messages:
            if not m.startswith("stderr: ") or "Traceback" in m or "Error" in m:
                out.append(f"kernel error while a slider moved (widget callback): {m}")
        for line in self.kernel_log_errors:
            out.append(f"kernel logged an error while handling a widget message: {line}")
        for s in self.sliders:
            if s.problem:
                out.append(f"{s.name}: {s.problem}")
        for t in self.textboxes:
            if t.problem:
                out.append(f"{t.name}: {t.problem}")
        return out

    def to_json(self) -> dict:
        d = asdict(self)
        for s, sd in zip(self.sliders, d["sliders"]):
            sd["median_ms"] = s.median_ms
        return d


def _log_errors(text: str) -> list[str]:
    """Lines of the server/kernel log that report an exception inside a kernel (e.g. a widget callback)."""
    keys = ("Exception in comm_msg", "Exception in comm_open", "Traceback (most recent call last)")
    lines = text.splitlines()
    found = []
    for i, line in enumerate(lines):
        if any(k in line for k in keys):
            tail = [l for l in lines[i + 1:i + 40] if l and not l.startswith(" ")]
            found.append((line.strip() + (" … " + tail[0].strip() if tail else ""))[:300])
    return found


def _wait_js(page, expr: str, arg, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        last = page.evaluate(expr, arg)
        if last is True:
            return
        page.wait_for_timeout(100)
    raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what} (last state: {last!r})")


def check_lesson(browser, lab: LabServer, notebook: str, *, presses: int = 2, screenshot: Path | None = None,
                 run_timeout_s: float = 300.0, press_timeout_ms: float = 15000.0,
                 settle_ms: float = 250.0, shot_label: str | None = None, before_screenshot=None) -> LessonResult:
    """Open ``notebook`` (a file name served by ``lab``), Run All, check outputs and move every slider.

    ``presses`` key presses per slider, alternating direction (Right then Left, or Left then Right at
    the maximum), each timed from key-down to the first animation frame whose figure pixels differ;
    a slider whose box has not changed ``press_timeout_ms`` after the key press counts as not redrawing.
    ``run_ok`` is False when a cell failed, including cells tagged ``raises-exception``: judge a
    lesson by :meth:`LessonResult.problems`, not by it.
    Every other control (dropdown, toggle buttons, a stepper's ◀ prev / next ▶, Play, text box) is
    pressed ``presses`` times too, by keyboard (focus, then Arrow keys / Enter), and timed the same way;
    a Play from the step it makes (its slider's readout changes) to the image.
    The screenshot shows the widget output holding a control labelled ``shot_label`` (default: the first
    with a figure), after ``before_screenshot(page)`` (which may drive the widget into a state worth
    showing), cropped to its content.
    Never raises for a lesson defect: everything found goes into the returned :class:`LessonResult`.
    """
    result = LessonResult(notebook=notebook)
    t_start = time.monotonic()
    log_offset = lab.log_size()
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    try:
        workspace = "rnn" + lesson_number(notebook) + secrets.token_hex(3)
        page.goto(lab.lab_url(notebook, workspace), wait_until="domcontentloaded", timeout=60_000)
        page.wait_for_function("() => !!window.jupyterapp", timeout=60_000)
        page.evaluate(PAGE_JS)
        _wait_js(page, "n => window.__rnn.kernelState(n) === 'connected/idle'", notebook, 60, "the kernel")
        result.load_s = time.monotonic() - t_start
        # What a learner sees before running: widget outputs stored without widget state.
        # (untrusted, as a fresh clone is: the stored text/plain repr; trusted: "Loading widget..." and
        # after 2 s "Error displaying widget: model not found", since no widget state is stored)
        page.wait_for_timeout(300)
        result.unrun_widget_texts = page.evaluate("n => window.__rnn.unrunWidgetTexts(n)", notebook)

        t_run = time.monotonic()
        run = page.evaluate("([n, t]) => window.__rnn.runAll(n, t)", [notebook, run_timeout_s * 1000])
        result.run_ok = bool(run["ok"])
        if run["timeout"]:
            raise TimeoutError(f"Run All did not finish within {run_timeout_s:.0f} s")
        _wait_js(page, "n => window.__rnn.loadingCount(n) === 0 && window.__rnn.kernelState(n) === 'connected/idle'",
                 notebook, 30, "widgets to finish loading")
        result.run_s = time.monotonic() - t_run
        page.wait_for_timeout(300)
        report = page.evaluate("n => window.__rnn.report(n)", notebook)
        result.errors, result.not_run = report["errors"], report["notRun"]
        result.widget_problems = report["widgetProblems"]
        result.layout_warnings = [f"{w} (window {VIEWPORT['width']} px, file browser open)" for w in report["layout"]]
        result.widget_outputs, result.code_cells = report["widgetOutputs"], report["codeCells"]

        page.evaluate("n => window.__rnn.watchKernel(n)", notebook)
        for info in page.evaluate("n => window.__rnn.sliders(n)", notebook):
            s = SliderResult(index=info["index"], cell=info["cell"], label=info["label"], classes=info["classes"])
            result.sliders.append(s)
            if not info["visible"]:
                s.problem = "slider is not visible (hidden in a tab or collapsed box?), cannot be moved"
                continue
            _exercise_slider(page, notebook, s, presses, press_timeout_ms, settle_ms)
        for info in page.evaluate("n => window.__rnn.controls(n)", notebook):
            c = SliderResult(index=int(info["key"][1:]), cell=info["cell"], label=info["label"], classes="",
                             kind=info["kind"])
            result.sliders.append(c)
            if not info["visible"]:
                c.problem = f"{info['kind']} is not visible, cannot be used"
                continue
            _exercise_control(page, notebook, c, info, presses, press_timeout_ms, settle_ms)

        if screenshot is not None and page.evaluate("([n, l]) => window.__rnn.firstFigureOutput(n, l)",
                                                    [notebook, shot_label]):
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            # the picture for the README: the widget with the file browser closed (more width)
            page.evaluate("() => document.activeElement && document.activeElement.blur()")
            page.evaluate("() => window.jupyterapp.shell.collapseLeft()")
            page.wait_for_timeout(500)
            target = page.locator("[data-rnn-shot]")
            target.scroll_into_view_if_needed()
            if before_screenshot is not None:
                before_screenshot(page)
                _wait_js(page, "n => window.__rnn.kernelState(n) === 'connected/idle'", notebook, 60, "the kernel")
                page.wait_for_timeout(1500)
                page.evaluate("() => document.activeElement && document.activeElement.blur()")
                target.scroll_into_view_if_needed()
            box = page.evaluate("() => window.__rnn.contentBox('[data-rnn-shot]', 6)")
            if box:
                page.screenshot(path=str(screenshot), clip=box)
            else:
                target.screenshot(path=str(screenshot))
            result.screenshot = str(screenshot)
        result.callback_messages = page.evaluate("() => window.__rnn.kernelMessages")
        page.evaluate("() => window.__rnn.shutdown()")
    except Exception as exc:  # a lesson that hangs or breaks the page is a finding, not a crash
        result.fatal = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    finally:
        context.close()
        lab.shutdown_kernels()
    result.kernel_log_errors = _log_errors(lab.log_since(log_offset))
    if console_errors and not result.fatal:
        # Uncaught page errors are recorded with the log errors; they usually mean a broken widget.
        result.kernel_log_errors += [f"page error: {e[:200]}" for e in console_errors]
    result.total_s = time.monotonic() - t_start
    return result


def _r1(x):
    return None if x is None else round(x, 1)


def _median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def _exercise_slider(page, notebook: str, s: SliderResult, presses: int, press_timeout_ms: float,
                     settle_ms: float) -> None:
    handle = page.locator(f'[data-rnn-slider="{s.index}"] .noUi-handle').first
    handle.scroll_into_view_if_needed()
    info = page.evaluate("i => window.__rnn.handleInfo(i)", s.index)
    if not info["max"] > info["min"]:
        s.problem = "slider has a single value (min == max), cannot be moved"
        return
    first = "ArrowLeft" if info["now"] >= info["max"] else "ArrowRight"
    other = "ArrowRight" if first == "ArrowLeft" else "ArrowLeft"
    # Let the first draws of a freshly rendered figure finish before the first timed press.
    _wait_js(page, "n => window.__rnn.kernelState(n) === 'connected/idle'", notebook, 30, "the kernel")
    page.evaluate("([i, q, t]) => window.__rnn.settle(i, q, t)", [s.index, 4 * settle_ms, 8000])
    for k in range(presses):
        key = first if k % 2 == 0 else other
        handle.focus()
        armed = page.evaluate("([i, t]) => window.__rnn.arm(i, t)", [s.index, press_timeout_ms])
        s.judged_by = "canvas" if armed["canvases"] else "box"
        page.keyboard.press(key)
        outcome = page.evaluate("() => window.__rnnPending")
        s.keys.append(key)
        s.latencies_ms.append(round(outcome["ms"], 1) if outcome["changed"] else None)
        s.kernel_busy_ms.append(_r1(outcome.get("busy")))
        s.image_message_ms.append(_r1(outcome.get("image")))
        if not outcome["changed"]:
            after = page.evaluate("i => window.__rnn.handleInfo(i)", s.index)
            where = "its figure (ipympl canvas in the same box)" if armed["canvases"] else \
                "any other output in its box (no figure found next to it)"
            moved = "the slider moved" if after["readout"] != info["readout"] else "the slider did not move"
            s.problem = (f"{key} did not change {where} within {press_timeout_ms / 1000:.0f} s "
                         f"({moved}: readout {info['readout']!r} -> {after['readout']!r})")
            return
        _wait_js(page, "n => window.__rnn.kernelState(n) === 'connected/idle'", notebook, 30, "the kernel")
        page.evaluate("([i, q, t]) => window.__rnn.settle(i, q, t)", [s.index, settle_ms, 5000])
        info = page.evaluate("i => window.__rnn.handleInfo(i)", s.index)


def _press_and_time(page, key_or_action, s: SliderResult, ctl, press_timeout_ms: float, from_step: bool = False):
    """Arm the poller for control ``ctl``, act, and record the key-press (or step) -> changed-image time."""
    armed = page.evaluate("([i, t, f]) => window.__rnn.arm(i, t, f)", [ctl, press_timeout_ms, from_step])
    s.judged_by = "canvas" if armed["canvases"] else "box"
    key_or_action()
    outcome = page.evaluate("() => window.__rnnPending")
    s.latencies_ms.append(round(outcome["ms"], 1) if outcome["changed"] else None)
    s.kernel_busy_ms.append(_r1(outcome.get("busy")))
    s.image_message_ms.append(_r1(outcome.get("image")))
    return outcome["changed"]


def _exercise_control(page, notebook: str, s: SliderResult, info: dict, presses: int, press_timeout_ms: float,
                      settle_ms: float) -> None:
    """Press a non-slider control ``presses`` times by keyboard, alternating so it ends where it began."""
    key = f"c{s.index}"
    root = page.locator(f'[data-rnn-ctl="{key}"]').first
    root.scroll_into_view_if_needed()
    _wait_js(page, "n => window.__rnn.kernelState(n) === 'connected/idle'", notebook, 30, "the kernel")
    page.evaluate("([i, q, t]) => window.__rnn.settle(i, q, t)", [key, 4 * settle_ms, 8000])
    kind = s.kind
    for k in range(presses):
        forward = k % 2 == 0
        if kind == "dropdown":
            # JupyterLab takes a plain ArrowUp/Down on a focused <select> for its own cell cursor (the
            # focus leaves the dropdown); Home / End, a letter, or Alt+ArrowDown then arrows and Enter
            # reach the dropdown. Alternate between the first (or last) option and the other end.
            sel = root.locator("select")
            j, n = info["selected"], info["n"]
            if j == 0 or j == n - 1:
                there, back = ("End", "Home") if j == 0 else ("Home", "End")
                keys = [there] if forward else [back]
            else:
                keys = ["Alt+ArrowDown", "ArrowDown" if forward else "ArrowUp", "Enter"]
            press = "+".join(keys) if len(keys) == 1 else " ".join(keys)
            sel.focus()
            act = (lambda: [page.keyboard.press(k) for k in keys])
        elif kind == "toggle":
            j0 = max(info["selected"], 0)
            j1 = j0 + 1 if j0 + 1 < info["n"] else j0 - 1
            button = root.locator("button").nth(j1 if forward else j0)
            press = "Enter"
            button.focus()
            act = (lambda: page.keyboard.press("Enter"))
        elif kind == "buttons":
            button = root.locator("button", has_text="next" if forward else "prev").first
            press = "Enter"
            button.focus()
            act = (lambda: page.keyboard.press("Enter"))
        elif kind == "play":
            button = root.locator("button").first  # ▶ play
            press = "Enter (play)"
            button.focus()
            act = (lambda: page.keyboard.press("Enter"))
        elif kind == "text":
            box = root.locator("input")
            value = TEXT_SAMPLE if forward else info["value"]
            press = f"type {value!r} + Enter"
            box.focus()
            act = (lambda: (box.fill(value), box.press("Enter")))
        else:
            s.problem = f"unknown control kind {kind!r}"
            return
        s.keys.append(press)
        changed = _press_and_time(page, act, s, key, press_timeout_ms, from_step=(kind == "play"))
        if kind == "play":
            root.locator("button").nth(1).click()  # ❚❚ pause (not timed)
            if k + 1 >= presses:
                root.locator("button").nth(2).click()  # ■ stop: back to the first step
        if not changed:
            s.problem = f"{press} did not change its figure or output within {press_timeout_ms / 1000:.0f} s"
            return
        _wait_js(page, "n => window.__rnn.kernelState(n) === 'connected/idle'", notebook, 30, "the kernel")
        page.evaluate("([i, q, t]) => window.__rnn.settle(i, q, t)", [key, settle_ms, 5000])


TEXT_SAMPLE = "mariano"  # lower-case ASCII: a name for the classifier, a prefix for the sampler


def _exercise_textbox(page, notebook: str, t: TextBoxResult, timeout_ms: float) -> None:
    """Type ``TEXT_SAMPLE``, press Enter, and wait for the text box's output region to change."""
    box = page.locator(f'[data-rnn-text="{t.index}"]').first
    box.scroll_into_view_if_needed()
    _wait_js(page, "n => window.__rnn.kernelState(n) === 'connected/idle'", notebook, 30, "the kernel")
    before = page.evaluate("i => window.__rnn.textRegionSig(i)", t.index)
    start = time.monotonic()
    box.fill(TEXT_SAMPLE)
    box.press("Enter")
    try:
        page.wait_for_function("([i, b]) => window.__rnn.textRegionSig(i) !== b", arg=[t.index, before],
                               timeout=timeout_ms)
        t.ms = round((time.monotonic() - start) * 1000, 1)
    except Exception:
        t.problem = (f"typing {TEXT_SAMPLE!r} and Enter did not change its output within "
                     f"{timeout_ms / 1000:.0f} s")
    _wait_js(page, "n => window.__rnn.kernelState(n) === 'connected/idle'", notebook, 30, "the kernel")


def write_results(results: list[LessonResult], path: Path) -> Path:
    """Store lesson results (latencies included) as JSON for the benchmark or a later look."""
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"target_ms": LATENCY_TARGET_MS, "written": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
               "lessons": [r.to_json() for r in results]}
    path.write_text(json.dumps(payload, indent=1))
    return path


def control_table(results: list[LessonResult], target_ms: float = LATENCY_TARGET_MS) -> str:
    """A table, one row per control: lesson, cell, kind, label, presses, median and max key-press-to-image
    time, and a flag over the target."""
    head = f"| lesson | cell | control | label | presses | median ms | max ms | kernel busy ms | |"
    rows = [head, "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        for s in r.sliders:
            ok = [x for x in s.latencies_ms if x is not None]
            med = s.median_ms
            busy = _median(s.kernel_busy_ms)
            flag = ("PROBLEM: " + s.problem) if s.problem else ("over target" if med is not None and med > target_ms else "")
            rows.append(f"| {lesson_number(r.notebook)} | {s.cell} | {s.kind} | {s.label or '?'} | {len(ok)} | "
                        f"{'—' if med is None else f'{med:.0f}'} | {'—' if not ok else f'{max(ok):.0f}'} | "
                        f"{'—' if busy is None else f'{busy:.0f}'} | {flag} |")
    return "\n".join(rows)


def latency_table(results: list[LessonResult], target_ms: float = LATENCY_TARGET_MS) -> str:
    """One line per control: lesson, control, presses, median key-press-to-image time, flag over target."""
    rows = []
    for r in results:
        for w in r.layout_warnings:
            rows.append(f"{r.notebook}  LAYOUT: {w}")
        if not r.sliders:
            rows.append(f"{r.notebook}: no sliders" + (f"  [{r.fatal}]" if r.fatal else ""))
        for s in r.sliders:
            med = s.median_ms
            times = ", ".join("—" if x is None else f"{x:.0f}" for x in s.latencies_ms)
            if med is None:
                flag = f"NO REDRAW: {s.problem}" if s.problem else "not measured"
                rows.append(f"{r.notebook}  {s.name}: {flag}")
            else:
                over = "  ** over target **" if med > target_ms else ""
                parts = []
                busy, image = _median(s.kernel_busy_ms), _median(s.image_message_ms)
                if busy is not None:
                    parts.append(f"kernel busy {busy:.0f}")
                if image is not None:
                    parts.append(f"image msg {image:.0f}")
                split = f" [{', '.join(parts)} ms]" if parts else ""
                rows.append(f"{r.notebook}  {s.name} by {s.judged_by}: median {med:6.1f} ms "
                            f"over {len([x for x in s.latencies_ms if x is not None])} presses ({times}){split}{over}"
                            + (f"  PROBLEM: {s.problem}" if s.problem else ""))
        for t in r.textboxes:
            rows.append(f"{r.notebook}  {t.name}: " + (f"PROBLEM: {t.problem}" if t.problem else
                        f"typing {TEXT_SAMPLE!r} + Enter changed its output after {t.ms:.0f} ms"))
    return "\n".join(rows)


def load_results(path: Path) -> list[LessonResult]:
    """Read back what :func:`write_results` stored (e.g. by the test run) as LessonResult objects."""
    payload = json.loads(Path(path).read_text())
    out = []
    for d in payload["lessons"]:
        sliders = []
        for sd in d.pop("sliders"):
            sd.pop("median_ms", None)
            sliders.append(SliderResult(**sd))
        textboxes = [TextBoxResult(**td) for td in d.pop("textboxes", [])]
        out.append(LessonResult(**d, sliders=sliders, textboxes=textboxes))
    return out
