"""How long `make test` takes: on a fresh clone (install included) and again, warm.

    python benchmarks/test_suite.py                 # the working tree's HEAD
    python benchmarks/test_suite.py --before REV    # and REV, measured the same way, in this run

For each revision: `git clone` it into a scratch folder, time `make .venv/.installed` (the
install: a new venv and `pip install -r requirements.txt`, from pip's cache where it has
the wheels), then `make test`: the first run (cold: no font cache, no bytecode, no cached
test results) and then warm ones (`--warm-runs`, default 1). Runs one after another, never two at
once (two cores). Writes benchmarks/results/test_suite.json and prints each revision's
times, and the before/after ratios of this one run.

Each clone gets its own venv, so this takes minutes per revision.
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
    """Run ``command`` in ``cwd`` with its output going to ``log``; its wall seconds."""
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed in {cwd} (exit {result.returncode}); see {log.name}")
    return seconds


def measure(rev: str, scratch: Path, warm_runs: int) -> dict:
    """Clone ``rev``, install, run `make test` 1 + ``warm_runs`` times; the seconds of each step."""
    clone = scratch / rev.replace("/", "_")
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", rev], check=True)
    commit = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with open(scratch / f"{commit}.log", "w") as log:
        install = timed(["make", ".venv/.installed"], clone, log)
        runs = [timed(["make", "test"], clone, log) for _ in range(1 + warm_runs)]
    shutil.rmtree(clone, ignore_errors=True)
    return {
        "commit": commit,
        "install_s": round(install, 1),
        "first_test_s": round(runs[0], 1),
        "fresh_total_s": round(install + runs[0], 1),
        "warm_test_s": [round(r, 1) for r in runs[1:]],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="a revision to measure first, the same way (e.g. the last release)")
    parser.add_argument("--warm-runs", type=int, default=1, help="warm `make test` runs after the first")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="suite-bench-"))
    revisions = ([args.before] if args.before else []) + ["HEAD"]
    measured = {}
    for rev in revisions:
        print(f"measuring {rev} in {scratch} ...", flush=True)
        measured[rev] = measure(rev, scratch, args.warm_runs)
        m = measured[rev]
        print(
            f"{rev} ({m['commit']}): install {m['install_s']} s, first make test {m['first_test_s']} s "
            f"(fresh clone {m['fresh_total_s']} s in all), warm make test {m['warm_test_s']} s",
            flush=True,
        )
    figures = {"revisions": measured}
    if args.before:
        before, after = measured[args.before], measured["HEAD"]
        figures["fresh_ratio"] = round(after["fresh_total_s"] / before["fresh_total_s"], 2)
        figures["warm_ratio"] = round(min(after["warm_test_s"]) / min(before["warm_test_s"]), 2)
        print(f"after / before: fresh clone {figures['fresh_ratio']}, warm {figures['warm_ratio']}")
    write_results("test_suite", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
