"""environment.yml (conda / Binder) and pyproject.toml (pip) must list the same packages and ranges."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _split(requirement: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*?)\s*$", requirement)
    assert m, f"cannot parse requirement {requirement!r}"
    return _normalise(m.group(1)), m.group(2).replace(" ", "")


def pyproject_requirements() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = list(data["project"]["dependencies"])
    for extra in data["project"]["optional-dependencies"].values():
        reqs += extra
    return dict(_split(r) for r in reqs)


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
    pip_side, conda_side = pyproject_requirements(), environment_requirements()
    assert sorted(pip_side) == sorted(conda_side), (
        f"only in pyproject.toml: {sorted(set(pip_side) - set(conda_side))}; "
        f"only in environment.yml: {sorted(set(conda_side) - set(pip_side))}")
    assert pip_side == conda_side


def test_python_floor_agrees():
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    assert f"python{data['project']['requires-python']}" in env["dependencies"]


def test_constraints_pin_every_direct_dependency():
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, spec = _split(line.split(";")[0])
            pinned[name] = spec
    for name in pyproject_requirements():
        assert name in pinned, f"{name} is not pinned in constraints.txt"
        assert pinned[name].startswith("=="), f"{name} should be pinned exactly"


def test_binder_installs_the_checkout_in_postbuild():
    env_text = (ROOT / "environment.yml").read_text()
    assert "-e ." not in env_text.split("#")[0]
    assert "pip install" in (ROOT / "postBuild").read_text()
