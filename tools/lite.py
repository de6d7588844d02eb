"""Build the course as a JupyterLite site (Python in the browser, no server), from the registries only.

    python course.py lite                            # build into build/lite/site/, report what is missing
    python course.py lite --pyodide-dist pyodide-314.0.7.tar.bz2   # complete it with Pyodide's release
    python course.py lite --check                    # build, then boot its kernel in headless Chromium

What goes in (docs/deploy.md has the evidence for each line):

- JupyterLite and its Pyodide kernel: ``jupyterlite-core`` and ``jupyterlite-pyodide-kernel`` (PyPI,
  the ``lite`` extra), with the lab extensions of the course environment (ipywidgets, ipympl);
- the Pyodide interpreter: the npm package ``pyodide`` (installed into ``build/lite/npm/``). It holds
  the core only (``pyodide.asm.wasm``, ``python_stdlib.zip``, ``pyodide-lock.json``, the loaders),
  no packages;
- every package the kernel and the lessons need (the closure of ``ROOTS`` in ``pyodide-lock.json``):
  a pure-Python wheel is taken from PyPI (same name and version as the lock, its sha256 written into
  the lock); a compiled one (``pyemscripten_2026_0_wasm32``) is taken from PyPI when PyPI has a
  wheel for that platform (contourpy does), else from ``--pyodide-dist`` (the full Pyodide
  distribution, ``pyodide-<version>.tar.bz2`` from Pyodide's GitHub release, or a folder of it);
- the course: the ``rnnedu`` wheel built from this checkout, its pure dependencies (faker, ipywidgets,
  ipympl, ...) from PyPI, all added to the lock, and the lessons as the site's files.

Packages whose files are still missing are left out of the kernel's start-up list (so the kernel
still starts) and listed in ``<site>/MISSING.txt`` and on stdout; the command exits 3 while anything
is missing. The site is static: ``python -m http.server -d build/lite/site`` or any static host
(GitHub Pages) serves it. The kernel never falls back to PyPI (``disablePyPIFallback``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LITE = ROOT / "build" / "lite"
PYODIDE_VERSION = "314.0.7"  # the npm package; jupyterlite-pyodide-kernel 0.8.6 is built for 314.0.x
KERNEL_ROOTS = ["micropip", "packaging", "ipython", "comm", "traitlets", "matplotlib-inline"]
LESSON_ROOTS = ["numpy", "matplotlib", "rnnedu", "ipywidgets", "ipympl", "tqdm", "faker"]
# Pure-Python packages the lessons need that Pyodide's lock does not list: PyPI name, version pin
# (None: constraints.txt), the modules it provides and the lock packages it depends on.
EXTRA_PURE = {
    "comm": ("0.2.3", ["comm"], []),
    "jupyterlab-widgets": (None, ["jupyterlab_widgets"], []),
    "ipywidgets": (None, ["ipywidgets"], ["comm", "ipython", "traitlets", "jupyterlab-widgets"]),
    "ipympl": (None, ["ipympl"], ["ipython", "ipywidgets", "matplotlib", "numpy", "pillow", "traitlets"]),
    "faker": (None, ["faker"], ["tzdata"]),
}
RNNEDU_DEPENDS = ["numpy", "matplotlib", "ipywidgets", "ipympl", "tqdm", "faker"]


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def pinned(name: str) -> str | None:
    """The version constraints.txt pins ``name`` to, or None."""
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        spec = line.split("#")[0].split(";")[0].strip()
        if "==" in spec and normalise(spec.split("==")[0]) == normalise(name):
            return spec.split("==")[1].strip()
    return None


def npm_pyodide(version: str = PYODIDE_VERSION) -> Path:
    """The npm package ``pyodide@version``, installed into build/lite/npm/ with the machine's npm."""
    folder = LITE / "npm"
    pkg = folder / "node_modules" / "pyodide"
    if (pkg / "package.json").exists() and json.loads((pkg / "package.json").read_text())["version"] == version:
        return pkg
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("the Pyodide core comes from npm, and npm is not installed (apt-get install npm)")
    folder.mkdir(parents=True, exist_ok=True)
    run([npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund", "--loglevel=error",
         f"pyodide@{version}"])
    return pkg


def run(cmd: list, **kw) -> subprocess.CompletedProcess:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], check=True, **kw)


def closure(packages: dict, roots: list[str]) -> list[str]:
    """Names (lock keys) of ``roots`` and everything they depend on in the lock; KeyError if unknown."""
    keys = {normalise(k): k for k in packages}
    seen, todo = [], [normalise(r) for r in roots]
    while todo:
        name = todo.pop()
        key = keys[name]
        if key in seen:
            continue
        seen.append(key)
        todo += [normalise(d) for d in packages[key].get("depends", [])]
    return sorted(seen)


def pip_download(specs: list[str], dest: Path, platform: str | None = None) -> list[Path]:
    """``pip download --no-deps --only-binary=:all:``; with ``platform``, wheels for Pyodide's CPython
    3.14 (a pure wheel, or one built for that platform: never one for this machine).
    Returns the wheels now in ``dest`` (missing ones are simply absent: pip's "no matching
    distribution" is the evidence, printed)."""
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--no-deps",
           "--only-binary=:all:", "-d", dest]
    if platform:
        cmd += ["--platform", platform, "--python-version", "3.14", "--implementation", "cp", "--abi", "cp314"]
    if not specs:
        return sorted(dest.glob("*.whl"))
    if subprocess.run([str(c) for c in cmd + specs], capture_output=True, text=True).returncode == 0:
        return sorted(dest.glob("*.whl"))
    for spec in specs:  # one by one: a missing one must not stop the others
        proc = subprocess.run([str(c) for c in cmd + [spec]], capture_output=True, text=True)
        if proc.returncode != 0:
            last = [ln for ln in proc.stderr.splitlines() if ln.startswith("ERROR")]
            print(f"  pip download {spec}{' for ' + platform if platform else ''}: "
                  f"{last[-1] if last else proc.returncode}", flush=True)
    return sorted(dest.glob("*.whl"))


def find_wheel(wheels: list[Path], name: str, version: str | None = None) -> Path | None:
    for whl in wheels:
        parts = whl.name.split("-")
        if normalise(parts[0]) == normalise(name) and (version is None or parts[1] == version):
            return whl
    return None


def dist_files(dist: Path | None) -> dict[str, Path]:
    """File name -> path of a full Pyodide distribution (a folder, or a tarball unpacked once)."""
    if dist is None:
        return {}
    dist = Path(dist)
    if dist.is_file():
        target = LITE / "dist" / dist.name.split(".tar")[0]
        if not target.exists():
            with tarfile.open(dist) as tar:
                tar.extractall(target, filter="data")
        dist = target
    return {p.name: p for p in dist.rglob("*") if p.is_file()}


def build_rnnedu_wheel(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("rnnedu-*.whl"):
        old.unlink()
    run([sys.executable, "-m", "pip", "wheel", "--disable-pip-version-check", "--no-deps",
         "-w", dest, ROOT], capture_output=True)
    return next(dest.glob("rnnedu-*.whl"))


def lock_entry(whl: Path, imports: list[str], depends: list[str]) -> dict:
    name, version = whl.name.split("-")[:2]
    return {"name": normalise(name), "version": version, "file_name": whl.name, "install_dir": "site",
            "sha256": sha256(whl), "package_type": "package", "imports": imports, "depends": depends,
            "unvendored_tests": False}


def assemble_pyodide(target: Path, dist: Path | None = None) -> dict:
    """Pyodide core from npm plus every needed package, into ``target``; returns a report.

    report: ``from_pypi`` / ``from_dist`` / ``missing`` (file names), ``preload`` (packages whose
    whole closure is present), ``abi`` (the lock's platform tag).
    """
    core = npm_pyodide()
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(core, target, ignore=shutil.ignore_patterns("*.map", "*.d.ts", "package.json", "README.md"))
    lock = json.loads((target / "pyodide-lock.json").read_text())
    packages = lock["packages"]
    platform = f"pyemscripten_{lock['info']['abi_version']}_wasm32"
    wheels_dir = LITE / "wheels"
    report = {"from_pypi": [], "from_dist": [], "missing": [], "substituted": [], "abi": platform,
              "pyodide": PYODIDE_VERSION, "python": lock["info"]["python"]}

    # the course's own packages, pure Python, into the lock
    extra = [(n, v or pinned(n)) for n, (v, _, _) in EXTRA_PURE.items()]
    wheels = pip_download([f"{n}=={v}" if v else n for n, v in extra], wheels_dir, platform=platform)
    for name, (_, imports, depends) in EXTRA_PURE.items():
        whl = find_wheel(wheels, name)
        if whl is None:
            raise SystemExit(f"{name} could not be downloaded from PyPI")
        packages[normalise(name)] = lock_entry(whl, imports, depends)
    rnnedu = build_rnnedu_wheel(LITE / "course")
    packages["rnnedu"] = lock_entry(rnnedu, ["rnnedu"], RNNEDU_DEPENDS)
    shutil.copy(rnnedu, target)
    report["course_wheel"] = rnnedu.name

    needed = closure(packages, KERNEL_ROOTS + LESSON_ROOTS)
    have = dist_files(dist)
    todo_pure, todo_compiled = [], []
    for key in needed:
        entry = packages[key]
        if (target / entry["file_name"]).exists():
            continue
        if entry["file_name"] in have:
            shutil.copy(have[entry["file_name"]], target)
            report["from_dist"].append(entry["file_name"])
        elif entry["file_name"].endswith("-none-any.whl"):
            todo_pure.append(key)
        else:
            todo_compiled.append(key)
    wheels = pip_download([f"{packages[k]['name']}=={packages[k]['version']}" for k in todo_pure], wheels_dir,
                          platform=platform)
    # a version Pyodide pinned but PyPI lacks (yanked, or never uploaded): the newest PyPI has, for 3.14
    absent = [k for k in todo_pure if find_wheel(wheels, packages[k]["name"], packages[k]["version"]) is None]
    wheels = pip_download([packages[k]["name"] for k in absent], wheels_dir / "newest", platform=platform)
    for key in todo_pure:
        whl = find_wheel(sorted(wheels_dir.glob("*.whl")), packages[key]["name"], packages[key]["version"]) \
            or find_wheel(wheels, packages[key]["name"])
        if whl is None:
            report["missing"].append(packages[key]["file_name"])
            continue
        if whl.name != packages[key]["file_name"]:
            report["substituted"].append(f"{packages[key]['file_name']} -> {whl.name}")
        shutil.copy(whl, target)
        packages[key].update(file_name=whl.name, version=whl.name.split("-")[1], sha256=sha256(whl))
        report["from_pypi"].append(whl.name)
    compiled_dir = LITE / "wheels-wasm"
    wheels = pip_download([packages[k]["name"] for k in todo_compiled], compiled_dir, platform=platform)
    for key in todo_compiled:
        whl = find_wheel(wheels, packages[key]["name"])
        if whl is None or platform not in whl.name:
            report["missing"].append(packages[key]["file_name"])
            continue
        shutil.copy(whl, target)
        packages[key].update(file_name=whl.name, version=whl.name.split("-")[1], sha256=sha256(whl))
        report["from_pypi"].append(whl.name)

    present = {k for k in needed if (target / packages[k]["file_name"]).exists()}
    report["preload"] = [r for r in LESSON_ROOTS + KERNEL_ROOTS if set(closure(packages, [r])) <= present]
    report["missing_packages"] = sorted(k for k in needed if k not in present)
    (target / "pyodide-lock.json").write_text(json.dumps(lock, indent=1, sort_keys=True))
    return report


def build_site(out: Path, dist: Path | None = None) -> dict:
    """The whole site into ``out``; returns the report of :func:`assemble_pyodide`."""
    pyodide = LITE / "pyodide"
    report = assemble_pyodide(pyodide, dist)
    lite_dir = Path(tempfile.mkdtemp(prefix="rnnedu-lite-"))
    try:
        # the addon's well-known place: copied into <site>/static/pyodide/, pyodideUrl pointed at it
        shutil.copytree(pyodide, lite_dir / "static" / "pyodide")
        files = lite_dir / "files"
        files.mkdir()
        for nb in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
            shutil.copy(nb, files)
        if out.exists():
            shutil.rmtree(out)
        run([sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", lite_dir, "--output-dir", out,
             "--no-sourcemaps"], cwd=lite_dir)
    finally:
        shutil.rmtree(lite_dir, ignore_errors=True)
    config_path = out / "jupyter-lite.json"
    config = json.loads(config_path.read_text())
    data = config["jupyter-config-data"]
    data["exposeAppInBrowser"] = True  # window.jupyterapp, for the browser check
    kernel = data.setdefault("litePluginSettings", {}).setdefault("@jupyterlite/pyodide-kernel-extension:kernel", {})
    kernel["disablePyPIFallback"] = True
    kernel["loadPyodideOptions"] = {"packages": report["preload"]}
    config_path.write_text(json.dumps(config, indent=2))
    lines = [f"JupyterLite site of rnnedu, Pyodide {PYODIDE_VERSION} (Python {report['python']}, {report['abi']}).",
             f"from PyPI: {len(report['from_pypi'])} wheels; from --pyodide-dist: {len(report['from_dist'])} files.",
             f"preloaded at kernel start: {', '.join(report['preload'])}"]
    if report["substituted"]:
        lines += ["", "Pure-Python wheels at another version than Pyodide's lock (PyPI lacks the pinned one):"]
        lines += [f"  {s}" for s in report["substituted"]]
    if report["missing"]:
        lines += ["", "MISSING (not on PyPI or npm; in Pyodide's full distribution, pyodide-"
                  f"{PYODIDE_VERSION}.tar.bz2 of its GitHub release, or its CDN). Copy these files into "
                  "static/pyodide/, or rebuild with --pyodide-dist:"] + [f"  {f}" for f in sorted(report["missing"])]
    (out / "MISSING.txt" if report["missing"] else out / "BUILD.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines), flush=True)
    return report


def check_in_browser(site: Path, code: list[str], timeout: float = 240.0) -> dict:
    """Serve ``site`` on loopback, open it in headless Chromium (Debian's, via playwright), start a
    Pyodide kernel and run ``code`` cell by cell. Every request to anything but loopback is aborted and
    recorded. Returns {"outputs": [...], "external_requests": [...], "seconds": ...}."""
    import functools
    import http.server
    import threading
    import time

    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    from harness import CHROMIUM_ARGS, find_chromium  # noqa: E402
    from playwright.sync_api import sync_playwright

    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("no chromium (apt-get install chromium)")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    external: list[str] = []
    t0 = time.monotonic()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            try:
                ctx = browser.new_context()

                def guard(route):
                    url = route.request.url
                    if url.startswith(("http://127.0.0.1", "data:", "blob:")):
                        return route.continue_()
                    external.append(url)
                    return route.abort()

                ctx.route("**/*", guard)
                page = ctx.new_page()
                page.goto(f"{base}/lab/index.html", timeout=timeout * 1000)
                page.wait_for_function("() => window.jupyterapp && window.jupyterapp.serviceManager", timeout=timeout * 1000)
                outputs = page.evaluate(
                    """async ([cells, timeout]) => {
                        const sm = window.jupyterapp.serviceManager;
                        await sm.ready;
                        for (let i = 0; i < timeout / 250; i++) {
                            await sm.kernelspecs.ready;
                            const specs = sm.kernelspecs.specs;
                            if (specs && specs.kernelspecs && specs.kernelspecs.python) break;
                            await new Promise((ok) => setTimeout(ok, 250));
                        }
                        const kernel = await sm.kernels.startNew({name: 'python'});
                        const results = [];
                        for (const code of cells) {
                            const out = [];
                            const future = kernel.requestExecute({code});
                            future.onIOPub = (msg) => {
                                const c = msg.content;
                                if (c.text) out.push(c.text);
                                if (c.data && c.data['text/plain']) out.push(c.data['text/plain']);
                                if (c.ename) out.push(c.ename + ': ' + c.evalue);
                            };
                            const reply = await Promise.race([future.done,
                                new Promise((_, no) => setTimeout(() => no(new Error('timeout')), timeout))]);
                            results.push({status: reply.content.status, output: out.join('')});
                        }
                        await kernel.shutdown();
                        return results;
                    }""", [code, timeout * 1000])
            finally:
                browser.close()
    finally:
        server.shutdown()
    return {"outputs": outputs, "external_requests": external, "seconds": time.monotonic() - t0}


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="course.py lite", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=LITE / "site", help="output folder (default build/lite/site)")
    ap.add_argument("--pyodide-dist", type=Path, default=None,
                    help=f"Pyodide's full distribution (pyodide-{PYODIDE_VERSION}.tar.bz2 or its folder)")
    ap.add_argument("--check", action="store_true", help="boot the site's kernel in headless Chromium")
    args = ap.parse_args(argv)
    report = build_site(args.out.resolve(), args.pyodide_dist)
    if args.check:
        result = check_in_browser(args.out.resolve(), [
            "import sys, micropip; print(sys.version.split()[0], sys.platform)",
            "import ipywidgets, faker, tqdm; print('ipywidgets', ipywidgets.__version__)",
            "import numpy; print('numpy', numpy.__version__)",
            "import rnnedu; print('rnnedu', rnnedu.__file__)",
        ])
        for i, r in enumerate(result["outputs"], 1):
            print(f"[{i}] {r['status']}: {r['output'].strip()[:300]}")
        print(f"requests outside 127.0.0.1: {len(result['external_requests'])} "
              f"{result['external_requests'][:5]}; {result['seconds']:.0f} s", flush=True)
    return 3 if report["missing"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
