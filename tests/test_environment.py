"""environment.yml (conda / Binder) and pyproject.toml (pip) must list the same packages and ranges."""

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest
import yaml
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the same parser, from PyPI (pyproject's test extra)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _split(requirement: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*$", requirement)
    assert m, f"cannot parse requirement {requirement!r}"
    return _normalise(m.group(1)), m.group(2).replace(" ", "")


def environment_python() -> str:
    """The Python version environment.yml pins, e.g. "3.11"."""
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pins = [d for d in env["dependencies"] if isinstance(d, str) and re.match(r"python\s*=", d)]
    assert len(pins) == 1, f"environment.yml must pin one Python version (python=X.Y), found {pins}"
    return pins[0].split("=", 1)[1].strip()


def pyproject_requirements(python: str | None = None) -> dict[str, str]:
    """pyproject's requirements (core and every extra) as {name: specifier}; with ``python``, only
    those whose environment marker holds for that Python version (conda has no markers)."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"]["optional-dependencies"].values():
        reqs += extra
    out = {}
    for text in reqs:
        req = Requirement(text)
        if python and req.marker and not req.marker.evaluate({"python_version": python, "extra": ""}):
            continue
        out[_normalise(req.name)] = str(req.specifier).replace(" ", "")
    return out


def environment_requirements() -> dict[str, str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    reqs = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            reqs += dep.get("pip", [])
        else:
            reqs.append(dep)
    parsed = dict(_split(r) for r in reqs)
    parsed.pop("python", None)
    parsed.pop("pip", None)
    return parsed


def test_same_packages_and_ranges():
    pip_side, conda_side = pyproject_requirements(environment_python()), environment_requirements()
    assert sorted(pip_side) == sorted(conda_side), (
        f"only in pyproject.toml: {sorted(set(pip_side) - set(conda_side))}; "
        f"only in environment.yml: {sorted(set(conda_side) - set(pip_side))}")
    assert pip_side == conda_side


def test_binder_python_is_the_tested_one():
    """Binder and conda get the Python the stored outputs are built with: the version constraints.txt
    pins for, inside pyproject's requires-python (repo2docker's default would be another one)."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    python = environment_python()
    assert python in SpecifierSet(data["project"]["requires-python"]), (python, data["project"]["requires-python"])
    numpy_pin = next(line for line in (ROOT / "constraints.txt").read_text().splitlines() if line.startswith("numpy=="))
    assert Marker(numpy_pin.split(";", 1)[1]).evaluate({"python_version": python}), (
        f"constraints.txt does not pin numpy for Python {python}: Binder would get other versions than CI")


def test_constraints_pin_every_direct_dependency():
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, spec = _split(line.split(";")[0])
            pinned[name] = spec
    for name in pyproject_requirements(None):
        assert name in pinned, f"{name} is not pinned in constraints.txt"
        assert pinned[name].startswith("=="), f"{name} should be pinned exactly"


def _without_comments(text: str) -> str:
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def test_binder_installs_the_checkout_in_postbuild_not_in_environment_yml():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_lists = [d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert not any(r.strip().startswith(("-e", ".")) for reqs in pip_lists for r in reqs), (
        "environment.yml installs the checkout: repo2docker builds it before the source is there")
    post = _without_comments((ROOT / "postBuild").read_text())
    assert re.search(r"pip install\b.*\s-e \.(\s|$)", post), "postBuild must install the checkout (-e .)"
    assert "--no-build-isolation" not in post, "fails in a plain venv without wheel/setuptools"


@pytest.mark.skipif(os.name != "posix", reason="postBuild is a bash script (Binder is Linux)")
def test_postbuild_runs_in_a_plain_venv(tmp_path):
    """What Binder runs, in an environment that has pip and nothing else (no setuptools, no wheel)."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True, symlinks=True)
    bin_dir = env_dir / "bin"
    subprocess.run([bin_dir / "python", "-m", "pip", "uninstall", "-y", "-q", "setuptools", "wheel"],
                   capture_output=True)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(["bash", ROOT / "postBuild"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    shown = subprocess.run([bin_dir / "python", "-m", "pip", "show", "rnnedu"], capture_output=True, text=True)
    assert "Editable project location" in shown.stdout, shown.stdout
