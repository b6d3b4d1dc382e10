"""The unit tests, and nbval over notebooks 01-05, under every Python 3.11-3.13 found here.

    python -m tools.test_pythons          # each of python3.11, python3.12, python3.13 on PATH
    python -m tools.test_pythons 3.12     # only that one

For each Python found: a venv in build/venv-3.X, made the first time and again whenever
requirements.txt changes, with `pip install -r requirements.txt` (the default route, as a
learner's laptop takes it), then, in that venv,

    python -m pytest tests notebooks/01_*.ipynb ... notebooks/05_*.ipynb
        --ignore tests/test_workshop.py --ignore tests/test_student_copies.py --ignore tests/test_results.py

(the workshop kit's tests execute all seven notebooks once more and drive a browser, and
the README check compares files with the results file this command writes: both check
files, not the Python). A Python counts as found if `pythonX.Y` on PATH runs, or if pyenv
installed it (its shims may not point at it). The stored outputs come from
Python 3.11, so nbval here also checks that another Python prints the same. Each version's
result (pytest's last line, or "not found") goes to benchmarks/results/pythons.json, from
which the README's list of checked versions is made. Exits 1 if any version found failed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tools.build_notebooks import EXECUTION_ENV, NOTEBOOKS, ROOT

VERSIONS = ["3.11", "3.12", "3.13"]
LESSONS = [f"notebooks/{p.name}" for p in sorted(NOTEBOOKS.glob("0[1-5]_*.ipynb"))]
# The workshop kit's tests execute all seven notebooks once more and drive a browser; the
# README's tables are checked against results files that this very command rewrites.
LEFT_OUT = ["tests/test_workshop.py", "tests/test_student_copies.py", "tests/test_results.py"]


def venv_for(version: str, python: str) -> Path:
    """build/venv-X.Y with the pinned requirements, (re)installed when requirements.txt changed."""
    venv = ROOT / "build" / f"venv-{version}"
    stamp = venv / ".requirements.sha256"
    wanted = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()
    if stamp.is_file() and stamp.read_text().strip() == wanted:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True, cwd=ROOT)
    subprocess.run([*pip, "-r", "requirements.txt"], check=True, cwd=ROOT)
    stamp.write_text(wanted + "\n")
    return venv


def find_python(version: str) -> str | None:
    """``pythonX.Y`` on PATH if it runs, else one that pyenv installed (its shims may hide it)."""
    candidates = [shutil.which(f"python{version}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(str(p) for p in pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    return None


def run_one(version: str) -> dict:
    python = find_python(version)
    if python is None:
        return {"found": False, "result": "not found on this machine"}
    start = time.perf_counter()
    try:
        venv = venv_for(version, python)
    except subprocess.CalledProcessError as error:
        return {"found": True, "ok": False, "result": f"install failed: {error}"}
    install_s = time.perf_counter() - start
    command = [str(venv / "bin" / "python"), "-m", "pytest", "tests", *LESSONS]
    command += [arg for path in LEFT_OUT for arg in ("--ignore", path)]
    env = {**os.environ, **EXECUTION_ENV, "VIT_TEST_CACHE": "0"}  # every check really runs
    start = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if re.search(r"\d+ (passed|failed|error)", line)]
    exact = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    if done.returncode != 0:
        print(done.stdout[-4000:], file=sys.stderr)
    return {
        "found": True,
        "python": exact,
        "ok": done.returncode == 0,
        "result": lines[-1].strip("= ") if lines else f"exit {done.returncode}",
        "install_s": round(install_s, 1),
        "test_s": round(time.perf_counter() - start, 1),
    }


def main(argv: list[str]) -> int:
    from vit_steps.course.results import load_results, write_results

    versions = argv or VERSIONS
    unknown = [v for v in versions if v not in VERSIONS]
    if unknown:
        print(f"usage: python -m tools.test_pythons [{' '.join(VERSIONS)}]; got {unknown}", file=sys.stderr)
        return 2
    try:
        results = load_results("pythons")["pythons"]
    except ValueError:  # the first run: no file yet
        results = {}
    for version in versions:
        results[version] = run_one(version)
        r = results[version]
        detail = f"Python {r.get('python', version)}: {r['result']}"
        if r.get("test_s") is not None:
            detail += f" in {r['test_s']} s (install {r['install_s']} s)"
        print(detail, flush=True)
    what = f"tests/ without {' and '.join(LEFT_OUT)}, and nbval over notebooks 01-05"
    write_results("pythons", {"pythons": dict(sorted(results.items())), "tests": what})
    return 0 if all(r.get("ok", True) for r in results.values() if r["found"]) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
