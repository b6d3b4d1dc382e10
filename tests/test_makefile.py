"""The Makefile's install route: TORCH=cpu adds PyTorch's CPU index for torch alone; unset, nothing changes.

`make -n` prints the commands a target would run without running them.
"""

import shutil
import subprocess

import pytest

from tools.build_notebooks import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")


def install_commands(*variables: str) -> list[str]:
    # -W: as if requirements.txt had changed, so the install recipe is printed even when .venv is current.
    out = subprocess.run(
        ["make", "-n", "-W", "requirements.txt", ".venv/.installed", *variables],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [line for line in out.splitlines() if "pip install" in line]


def test_the_default_route_installs_the_requirements_and_nothing_else():
    assert install_commands() == [
        ".venv/bin/python -m pip install --upgrade pip",
        ".venv/bin/python -m pip install -r requirements.txt",
    ]


def test_torch_cpu_installs_torch_from_pytorchs_cpu_index_before_the_requirements():
    commands = install_commands("TORCH=cpu")
    assert len(commands) == 3 and commands[-1] == ".venv/bin/python -m pip install -r requirements.txt"
    assert "--index-url https://download.pytorch.org/whl/cpu" in commands[1]
    assert "grep '^torch==' requirements.txt" in commands[1]  # the pinned version, not a second pin
    pinned = [
        line for line in (ROOT / "requirements.txt").read_text().splitlines() if line.startswith("torch==")
    ]
    assert len(pinned) == 1
