"""The README's two commands, course.py and .ci/run agree with each other."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_shows_the_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "python course.py lab" in readme and "python course.py test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "course.py test" in ci and "chromium" in ci


def test_course_without_a_command_prints_usage():
    out = subprocess.run([sys.executable, str(ROOT / "course.py")], capture_output=True, text=True)
    assert out.returncode == 2
    for command in ("lab", "test", "execute", "bench", "hub", "lite"):
        assert f"python course.py {command}" in out.stdout


def _load_course(monkeypatch, venv):
    import importlib.util
    spec = importlib.util.spec_from_file_location("course_under_test", ROOT / "course.py")
    course = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(course)
    monkeypatch.setattr(course, "VENV", venv)
    calls = []
    monkeypatch.setattr(course, "run", lambda cmd, **kw: calls.append([str(c) for c in cmd]) or 0)
    return course, calls


def test_an_environment_made_by_another_python_is_remade_not_reused(tmp_path, monkeypatch):
    import json
    venv = tmp_path / "venv"
    course, calls = _load_course(monkeypatch, venv)
    py = course.venv_python()
    py.parent.mkdir(parents=True)
    py.write_text("")
    digest_inputs = b"".join((ROOT / n).read_bytes() for n in ("pyproject.toml", "constraints.txt"))
    import hashlib
    stamp = {"digest": hashlib.sha256(digest_inputs).hexdigest(), "extras": ["test"], "python": "3.9"}
    (venv / ".rnnedu-installed.json").write_text(json.dumps(stamp))
    course.ensure_env("test")
    assert any("--clear" in c for c in calls), calls       # remade for this Python
    assert any("pip" in c and "install" in c for c in calls)
    here = f"{sys.version_info.major}.{sys.version_info.minor}"
    assert json.loads((venv / ".rnnedu-installed.json").read_text())["python"] == here
    calls.clear()
    course.ensure_env("test")                                # now up to date: nothing to do
    assert calls == []
