"""The benchmarks' results files: one JSON per benchmark in benchmarks/results/.

Every measured number that the README or a notebook quotes is read from one of these
files (or checked against it by a test), so one run of a benchmark updates them all.
A file records the command that wrote it, the date, the package versions and the
machine's thread count beside the figures.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import sys
from pathlib import Path

import torch

__all__ = ["RESULTS_DIR", "load_results", "versions", "write_results"]

# The repository's benchmarks/results/ (the package is installed editable, from the repository).
RESULTS_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def versions() -> dict[str, str]:
    """The versions that the figures depend on: Python, torch, numpy, scikit-learn."""
    import numpy
    import sklearn

    return {
        "python": platform.python_version(),
        "torch": str(
            torch.__version__
        ),  # a TorchVersion is not a plain str: torch.load(weights_only=True) refuses it
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
    }


def _command() -> str:
    # How this process was started, as a reader would type it: "python -m tools.x" for
    # modules run with -m, "python benchmarks/x.py ..." for scripts.
    script = Path(sys.argv[0]).resolve()
    try:
        relative = script.relative_to(RESULTS_DIR.parents[1])
    except ValueError:
        relative = Path(os.path.relpath(script))
    started = (
        f"-m {'.'.join(relative.with_suffix('').parts)}" if relative.parts[0] == "tools" else str(relative)
    )
    return " ".join(["python", started, *sys.argv[1:]])


def write_results(name: str, figures: dict, results_dir: Path = RESULTS_DIR) -> Path:
    """Write ``figures`` to ``results_dir/name.json`` with the command, date, versions and threads."""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a plain identifier such as 'digits', got {name!r}")
    if not isinstance(figures, dict):
        raise ValueError(f"figures must be a dict, got {type(figures).__name__}")
    record = {
        "command": _command(),
        "date": datetime.date.today().isoformat(),
        "versions": versions(),
        "threads": torch.get_num_threads(),
        "machine": platform.machine(),
        **figures,
    }
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"{name}.json"
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def load_results(name: str, results_dir: Path = RESULTS_DIR) -> dict:
    """The record that ``write_results(name, ...)`` wrote, as a dict."""
    path = Path(results_dir) / f"{name}.json"
    if not path.is_file():
        known = sorted(p.stem for p in Path(results_dir).glob("*.json"))
        raise ValueError(
            f"no results file {path.name} in {results_dir}: expected one of {known}; "
            f"run the benchmark that writes it (see benchmarks/)"
        )
    return json.loads(path.read_text(encoding="utf-8"))
