"""The class-deployment tools build what they promise (cheap checks; the load test itself is
benchmarks/bench_hub.py, run by hand: `python course.py bench hub`)."""

import ast
import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _load(name):
    spec = importlib.util.spec_from_file_location(f"rnnedu_tools_{name}", ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hub = _load("hub")
lite = _load("lite")


def _config(tmp_path, **kw):
    args = dict(port=8000, hub_port=8081, proxy_api_port=8001, proxy=Path("/x/configurable-http-proxy"),
                password="pw", python="/venv/bin/python", token="t0k3n")
    args.update(kw)
    return hub.hub_config(tmp_path, **args)


def test_hub_config_is_python_and_binds_only_loopback(tmp_path):
    text = _config(tmp_path)
    ast.parse(text)  # it is a valid config file
    for line in ("c.JupyterHub.bind_url = \"http://127.0.0.1:8000\"",
                 "c.JupyterHub.hub_bind_url = \"http://127.0.0.1:8081\"",
                 "c.ConfigurableHTTPProxy.api_url = \"http://127.0.0.1:8001\"",
                 "c.Spawner.ip = \"127.0.0.1\"",
                 "c.JupyterHub.spawner_class = \"simple\"",
                 "c.JupyterHub.authenticator_class = \"dummy\""):
        assert line in text, line
    assert "0.0.0.0" not in text
    assert "c.Spawner.cmd = ['/venv/bin/python', \"-m\", \"jupyterhub.singleuser\"]" in text


def test_hub_config_runs_and_copies_the_lessons_on_first_spawn(tmp_path):
    """Execute the config as jupyterhub would (with a stand-in for get_config) and call its hook."""
    from traitlets.config import Config

    config = Config()
    namespace = {"get_config": lambda: config}
    exec(compile(_config(tmp_path), "jupyterhub_config.py", "exec"), namespace)
    assert config.DummyAuthenticator.password == "pw"
    assert config.JupyterHub.services == [{"name": "course-admin", "api_token": "t0k3n"}]
    assert "admin:servers" in config.JupyterHub.load_roles[0]["scopes"]
    assert config.Spawner.environment["OPENBLAS_NUM_THREADS"] == "1"

    class Spawner:
        home_dir_template = config.SimpleLocalProcessSpawner.home_dir_template
        user = type("User", (), {"name": "ada"})()

    config.Spawner.pre_spawn_hook(Spawner())
    copied = sorted(p.name for p in (tmp_path / "users" / "ada" / "notebooks").iterdir())
    assert copied == [p.name for p in hub.lessons()]
    assert "06_vanishing_exploding.ipynb" in copied


def test_hub_config_without_token_has_no_admin_service(tmp_path):
    assert "course-admin" not in _config(tmp_path, token=None)


@pytest.mark.parametrize("kw, message", [
    (dict(port=0), "port must be in 1..65535"),
    (dict(proxy_api_port=8000), "must differ"),
    (dict(password=""), "non-empty password"),
    (dict(notebooks=Path("/nonexistent")), "no lessons"),
])
def test_hub_config_refuses_bad_input(tmp_path, kw, message):
    with pytest.raises(ValueError, match=message):
        _config(tmp_path, **kw)


def test_lite_closure_follows_dependencies():
    packages = {"matplotlib": {"depends": ["numpy", "python-dateutil"]}, "numpy": {"depends": []},
                "python-dateutil": {"depends": ["six"]}, "six": {"depends": []}, "tqdm": {"depends": []}}
    assert lite.closure(packages, ["matplotlib"]) == ["matplotlib", "numpy", "python-dateutil", "six"]
    assert lite.closure(packages, ["Python_Dateutil"]) == ["python-dateutil", "six"]
    with pytest.raises(KeyError):
        lite.closure(packages, ["scipy"])


def test_lite_needs_every_lesson_import_in_its_lock_roots():
    """Every top-level module the lessons import is either in Pyodide's stdlib or a root of the build."""
    imported = set()
    for nb in hub.lessons():
        cells = [c for c in json.loads(nb.read_text())["cells"] if c["cell_type"] == "code"]
        lines = [ln for c in cells for ln in "".join(c["source"]).splitlines()
                 if not ln.lstrip().startswith(("%", "!"))]
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
    third_party = {m for m in imported if m not in sys.stdlib_module_names}
    roots = {lite.normalise(r) for r in lite.LESSON_ROOTS + lite.KERNEL_ROOTS}
    provided = roots | {"ipython"}  # IPython
    assert {lite.normalise(m) for m in third_party} <= provided, third_party
