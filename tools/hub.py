"""A JupyterHub for a class, on this machine, bound to loopback only.

    python course.py hub                      # hub on http://127.0.0.1:8000, any name, password "rnnedu"
    python course.py hub --port 8100 --password s3cret --workdir /srv/rnnedu-hub

What runs (all from the package registries, nothing else downloaded):

- ``jupyterhub`` (the ``hub`` extra in pyproject.toml) in the course's environment;
- ``configurable-http-proxy`` from the npm registry, installed with the machine's npm into the
  project-local folder ``build/hub/proxy/`` (never globally) on first use;
- the dummy authenticator (any user name, one shared password: for a trial or a load test, not for a
  real class — see docs/deploy.md), and ``SimpleLocalProcessSpawner``: each student's Jupyter server is
  a local process of the course's own Python (the environment rnnedu is installed in), with its home
  in ``<workdir>/users/<name>/`` holding a copy of the lessons, made on the first spawn (what
  nbgitpuller does on a real hub). Every server is started with one BLAS thread: the lessons' matrices
  are small, and 100 kernels each spinning a BLAS thread pool per core only slow each other down.

Hub, proxy and every student server listen on 127.0.0.1 only. As root (as here) the student servers
need ``--allow-root``: acceptable only because nothing leaves loopback; a real hub runs them as the
students' own accounts (``LocalProcessSpawner`` or a container spawner).

:class:`Hub` is also what ``benchmarks/bench_hub.py`` drives: ``with Hub(workdir, token=...) as hub:``
starts it, waits until its API answers, and on exit stops every student server and the hub.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
PROXY_DIR = ROOT / "build" / "hub" / "proxy"
PROXY_PACKAGE = "configurable-http-proxy@5.3.0"
FIRST_LESSON = "01_softmax_cross_entropy.ipynb"
ADMIN_SERVICE = "course-admin"
LOOPBACK = "127.0.0.1"


def proxy_command(folder: Path = PROXY_DIR, install: bool = True) -> Path:
    """Path of ``configurable-http-proxy``, installed with npm into ``folder`` if it is not there yet."""
    exe = folder / "node_modules" / ".bin" / "configurable-http-proxy"
    if exe.exists() or not install:
        return exe
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("the hub's proxy comes from npm, and npm is not installed "
                         "(on Debian/Ubuntu: apt-get install npm)")
    folder.mkdir(parents=True, exist_ok=True)
    print(f"Installing {PROXY_PACKAGE} into {folder} (npm, first time only) ...", flush=True)
    code = subprocess.call([npm, "install", "--prefix", str(folder), "--no-audit", "--no-fund",
                            "--loglevel=error", PROXY_PACKAGE])
    if code != 0 or not exe.exists():
        raise SystemExit(f"npm install {PROXY_PACKAGE} failed (exit {code})")
    return exe


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def lessons(folder: Path = NOTEBOOKS) -> list[Path]:
    """The built lessons, ``notebooks/NN_*.ipynb``, sorted."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def hub_config(workdir: Path, *, port: int, hub_port: int, proxy_api_port: int, proxy: Path,
               password: str, python: Path | str = sys.executable, token: str | None = None,
               notebooks: Path = NOTEBOOKS, spawn_timeout: int = 300) -> str:
    """Text of a ``jupyterhub_config.py`` for a class hub in ``workdir``, every socket on 127.0.0.1.

    ``token`` (optional) is registered as the API token of an admin service named ``course-admin``
    that may create users, start and stop their servers and reach them: what the load test uses.
    Raises ValueError for a port outside 1..65535, a missing ``notebooks`` folder or an empty password.
    """
    for name, value in (("port", port), ("hub_port", hub_port), ("proxy_api_port", proxy_api_port)):
        if not 0 < int(value) < 65536:
            raise ValueError(f"{name} must be in 1..65535, got {value}")
    if len({port, hub_port, proxy_api_port}) != 3:
        raise ValueError(f"port, hub_port and proxy_api_port must differ, got {port}, {hub_port}, {proxy_api_port}")
    if not password:
        raise ValueError("the dummy authenticator needs a non-empty password")
    notebooks = Path(notebooks)
    if not lessons(notebooks):
        raise ValueError(f"no lessons (NN_*.ipynb) in {notebooks}")
    workdir = Path(workdir).resolve()
    service = ""
    if token:
        service = f"""
c.JupyterHub.services = [{{"name": {ADMIN_SERVICE!r}, "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": {ADMIN_SERVICE!r},
    "scopes": ["admin:users", "admin:servers", "access:servers", "tokens", "list:users"],
    "services": [{ADMIN_SERVICE!r}],
}}]
"""
    return f'''# jupyterhub_config.py written by tools/hub.py: a class hub on loopback (see docs/deploy.md).
import shutil
from pathlib import Path

c = get_config()  # noqa: F821

c.JupyterHub.bind_url = "http://{LOOPBACK}:{port}"
c.JupyterHub.hub_bind_url = "http://{LOOPBACK}:{hub_port}"
c.ConfigurableHTTPProxy.api_url = "http://{LOOPBACK}:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{str(proxy)!r}]
c.JupyterHub.db_url = "sqlite:///{workdir / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(workdir / 'jupyterhub_cookie_secret')!r}
c.JupyterHub.pid_file = {str(workdir / 'jupyterhub.pid')!r}
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True

c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {password!r}
c.Authenticator.allow_all = True

c.JupyterHub.spawner_class = "simple"   # SimpleLocalProcessSpawner: local processes, one home each
c.SimpleLocalProcessSpawner.home_dir_template = {str(workdir / 'users' / '{username}')!r}
c.Spawner.cmd = [{str(python)!r}, "-m", "jupyterhub.singleuser"]
c.Spawner.args = ["--allow-root"]       # root here; loopback only (see tools/hub.py)
c.Spawner.ip = "{LOOPBACK}"
c.Spawner.default_url = "/lab/tree/notebooks/{FIRST_LESSON}"
c.Spawner.start_timeout = {spawn_timeout}
c.Spawner.http_timeout = {spawn_timeout}
c.Spawner.environment = {{"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}}

LESSONS = {[str(p) for p in lessons(notebooks)]!r}


def copy_lessons(spawner):
    """First spawn: copy the lessons into the student's home (nbgitpuller's job on a real hub)."""
    home = Path(spawner.home_dir_template.format(username=spawner.user.name))
    target = home / "notebooks"
    target.mkdir(parents=True, exist_ok=True)
    for lesson in LESSONS:
        if not (target / Path(lesson).name).exists():
            shutil.copy2(lesson, target)


c.Spawner.pre_spawn_hook = copy_lessons
{service}'''


class Hub:
    """A running hub: ``with Hub(workdir, token=t) as hub: hub.api("GET", "/users")``.

    Writes the config into ``workdir``, starts ``python -m jupyterhub`` there (its log in
    ``workdir/hub.log``), waits until the hub API answers (``startup_timeout`` seconds), and on exit
    stops the hub with SIGTERM, on which it stops every student server and the proxy (SIGKILL to the
    hub's process group after ``stop_timeout`` seconds).
    """

    def __init__(self, workdir: Path, *, port: int = 0, password: str = "rnnedu", token: str | None = None,
                 python: Path | str = sys.executable, startup_timeout: float = 120.0, spawn_timeout: int = 300,
                 stop_timeout: float = 180.0):
        self.workdir = Path(workdir).resolve()
        self.port = port or free_port()
        self.token = token
        self.password = password
        self.python = python
        self.startup_timeout = startup_timeout
        self.spawn_timeout = spawn_timeout
        self.stop_timeout = stop_timeout
        self.proc: subprocess.Popen | None = None
        self.log_path = self.workdir / "hub.log"

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def write_config(self) -> Path:
        self.workdir.mkdir(parents=True, exist_ok=True)
        hub_port, api_port = free_port(), free_port()
        while api_port in (hub_port, self.port) or hub_port == self.port:
            hub_port, api_port = free_port(), free_port()
        text = hub_config(self.workdir, port=self.port, hub_port=hub_port, proxy_api_port=api_port,
                          proxy=proxy_command(), password=self.password, python=self.python,
                          token=self.token, spawn_timeout=self.spawn_timeout)
        path = self.workdir / "jupyterhub_config.py"
        path.write_text(text)
        return path

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 30.0):
        """Call the hub's REST API (``/hub/api`` + path) with the admin service token; JSON or None."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.url}/hub/api{path}", data=data, method=method,
                                     headers={"Authorization": f"token {self.token}",
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw else None

    def start(self) -> "Hub":
        config = self.write_config()
        env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
        # the hub finds the proxy's node on PATH; the student servers run self.python
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([str(self.python), "-m", "jupyterhub", "-f", str(config)],
                                     cwd=self.workdir, stdout=self._log, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyterhub exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/hub/api/", timeout=5) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"jupyterhub did not answer within {self.startup_timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            # cleanup_servers: on SIGTERM the hub stops every student server (all at once) and the proxy
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self._log.close()
        self.proc = None

    def __enter__(self) -> "Hub":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="course.py hub", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8000, help="port of the hub on 127.0.0.1 (default 8000)")
    parser.add_argument("--password", default="rnnedu", help="the shared password (default rnnedu)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "build" / "hub" / "run",
                        help="folder for the hub's database, log and student homes (default build/hub/run)")
    parser.add_argument("--config-only", action="store_true", help="write jupyterhub_config.py and stop")
    args = parser.parse_args(argv)
    hub = Hub(args.workdir, port=args.port, password=args.password, token=secrets.token_hex(32))
    if args.config_only:
        print(hub.write_config())
        return 0
    def terminate(signum, frame):  # `kill` stops the hub and the students' servers too, like Ctrl-C
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGINT, terminate)  # also when started in the background (SIGINT inherited ignored)
    with hub:
        print(f"\nJupyterHub for the course: {hub.url}  (any user name, password {args.password!r})\n"
              f"Log: {hub.log_path}.  Ctrl-C stops the hub and every student server.", flush=True)
        try:
            while hub.proc is not None and hub.proc.poll() is None:
                time.sleep(1)
        except KeyboardInterrupt:
            print("\nstopping ...", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
