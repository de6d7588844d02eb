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
