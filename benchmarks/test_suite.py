"""How long `make test` takes on a fresh clone, install excluded (and reported apart).

    python benchmarks/test_suite.py                 # the working tree's HEAD
    python benchmarks/test_suite.py --before REV    # and REV, measured the same way, in this run

For each revision: `git clone` it into a scratch folder, time the install target (a new
venv and `pip install`, from pip's cache where it has the wheels), then `make test` once.
Revisions run one after another, never two at once. Writes benchmarks/results/test_suite.json.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vit_steps.course.results import write_results  # noqa: E402


def timed(command: list[str], cwd: Path, log) -> float:
    """Wall seconds of ``command`` run in ``cwd``, its output going to ``log``."""
    start = time.perf_counter()
    if subprocess.run(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT).returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd}; see {log.name}")
    return round(time.perf_counter() - start, 1)


def measure(rev: str, scratch: Path) -> dict:
    """Clone ``rev``, install, run `make test` once; the commit and the seconds of each step."""
    clone = scratch / rev.replace("/", "_")
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", rev], check=True)
    git_head = ["git", "-C", str(clone), "rev-parse", "--short", "HEAD"]
    commit = subprocess.run(git_head, capture_output=True, text=True, check=True).stdout.strip()
    with open(scratch / f"{commit}.log", "w") as log:
        install_s = timed(["make", ".venv/.installed-dev"], clone, log)  # the learner's and dev requirements
        test_s = timed(["make", "test"], clone, log)
    shutil.rmtree(clone, ignore_errors=True)
    return {"commit": commit, "install_s": install_s, "test_s": test_s}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="a revision to measure first, the same way (e.g. the last release)")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="suite-bench-"))
    measured = {}
    for rev in ([args.before] if args.before else []) + ["HEAD"]:
        print(f"measuring {rev} in {scratch} ...", flush=True)
        m = measured[rev] = measure(rev, scratch)
        print(f"{rev} ({m['commit']}): make test {m['test_s']} s (install {m['install_s']} s)", flush=True)
    figures = {"revisions": measured}
    if args.before:
        figures["test_ratio"] = round(measured["HEAD"]["test_s"] / measured[args.before]["test_s"], 2)
        print(f"make test, after / before: {figures['test_ratio']}")
    write_results(ROOT / "benchmarks" / "results" / "test_suite.json", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
