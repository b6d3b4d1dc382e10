"""Drift check: the newest releases of our direct dependencies, unpinned, against our tests.

    python -m tools.test_latest        # `make test-latest`

Builds a throwaway venv (build/venv-latest, made anew each time) with every package named
in requirements.txt at its newest release (`pip install --upgrade NAME ...`, no versions),
then runs the unit tests and nbval in lax mode over every notebook: a cell fails only if
it raises, not if it prints other numbers (new releases may round differently). Prints
which packages moved past their pins and which tests broke, file by file, so a maintainer
learns early which upgrade breaks which notebook. Not part of `make test`; exits 1 if
anything failed.

Where pip is configured to cap a package (a constraints file, as on machines that keep
torch's wheels on disk), "newest" means the newest that pip may take; the printed table
shows what was installed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from tools.build_notebooks import EXECUTION_ENV, ROOT

VENV = ROOT / "build" / "venv-latest"
# The workshop kit, and the README check against results files: they check files, not releases.
LEFT_OUT = ["tests/test_workshop.py", "tests/test_student_copies.py", "tests/test_results.py"]
PIN = re.compile(r"^([A-Za-z0-9_.\[\]-]+)==([^\s;#]+)")


def pins() -> dict[str, str]:
    """``name -> pinned version`` for every ``name==version`` line of requirements.txt."""
    found = {}
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            found[match.group(1)] = match.group(2)
    return found


def installed(python: Path, names: list[str]) -> dict[str, str]:
    script = "import importlib.metadata as m, sys\nfor n in sys.argv[1:]: print(n, m.version(n))"
    out = subprocess.run(
        [str(python), "-c", script, *names], capture_output=True, text=True, check=True
    ).stdout
    return dict(line.split(" ", 1) for line in out.splitlines())


def main(argv: list[str]) -> int:
    if argv:
        print("usage: python -m tools.test_latest", file=sys.stderr)
        return 2
    pinned = pins()
    shutil.rmtree(VENV, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    python = VENV / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--upgrade"]
    subprocess.run([*pip, "pip"], check=True)
    print(f"installing the newest {', '.join(pinned)} ...", flush=True)
    subprocess.run([*pip, *pinned], check=True, cwd=ROOT)
    subprocess.run([*pip, "--no-deps", "-e", "."], check=True, cwd=ROOT)

    now = installed(python, list(pinned))
    moved = {n: (pinned[n], now[n]) for n in pinned if now[n].split("+")[0] != pinned[n]}
    print(f"\n{len(moved)} of {len(pinned)} direct dependencies are newer than their pins:")
    for name, (old, new) in moved.items():
        print(f"  {name:24s} {old:>10s} -> {new}")

    command = [str(python), "-m", "pytest", "-o", "addopts=-p no:cacheprovider -n auto --dist loadscope"]
    command += ["--nbval-lax", "-q", "-rfE", "tests", "notebooks"]
    command += [arg for path in LEFT_OUT for arg in ("--ignore", path)]
    print(f"\n{' '.join(command[1:])}", flush=True)
    done = subprocess.run(
        command,
        cwd=ROOT,
        env={**os.environ, **EXECUTION_ENV, "VIT_TEST_CACHE": "0"},
        capture_output=True,
        text=True,
    )
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+?)(?:::|\s)", done.stdout, flags=re.MULTILINE)
    summary = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed)", line)]
    print(summary[-1].strip("= ") if summary else done.stdout[-3000:])
    if failed:
        print("\nbroken with the newest releases, by file:")
        for path, count in sorted(Counter(failed).items()):
            print(f"  {path}: {count} failing")
        print("\n" + done.stdout[-6000:])
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
