"""The README's commands: the test command puts nox in a virtual environment of its own, and CI
runs exactly that command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_test_command() -> str:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("<!-- test-command -->", 1)[1]
    match = re.match(r"\s*```sh\n(?P<command>[^\n]+)\n```", block)
    assert match, "the README's test command is a one-line sh block after <!-- test-command -->"
    return match["command"]


def test_the_test_command_installs_nox_into_a_virtual_environment() -> None:
    command = readme_test_command()
    steps = [step.strip() for step in command.split("&&")]
    assert steps[0] == "python3 -m venv .venv-nox"
    assert steps[1].startswith(".venv-nox/bin/pip install ") and "nox[uv]" in steps[1]
    assert steps[2].startswith(".venv-nox/bin/nox")
    # Nothing is installed into the system interpreter.
    assert "python3 -m pip" not in command and not re.search(r"(^|\s)pip3? install", command)


def test_ci_runs_exactly_the_readme_command() -> None:
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    commands = [line for line in script if line and not line.startswith("#")]
    assert commands[-1] == readme_test_command()
    assert "set -euo pipefail" in script
    # A fresh clone: nothing left from an earlier run is reused.
    assert "rm -rf .nox .venv-nox" in script


def test_the_virtual_environment_is_ignored_by_git_and_ruff() -> None:
    assert ".venv-nox/" in (ROOT / ".gitignore").read_text().splitlines()
    assert '".venv-nox"' in (ROOT / "pyproject.toml").read_text()


def test_the_readme_points_at_the_licence() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "[LICENSE](LICENSE)" in readme
    licence = (ROOT / "LICENSE").read_text()
    assert licence.startswith("MIT License") and "Copyright (c) 2026" in licence
    assert 'license = "MIT"' in (ROOT / "pyproject.toml").read_text()
