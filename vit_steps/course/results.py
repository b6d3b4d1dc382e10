"""The benchmarks' results files, benchmarks/results/NAME.json.

Every measured number that the README or a notebook quotes is read from one of these files,
so one run of a benchmark updates them all. Each file records the command that wrote it, the
date, the versions and the thread count beside its figures. Callers name the file by its path
in the repository: a notebook (run in notebooks/) as ``../benchmarks/results/digits.json``,
a test or a script from the repository root.
"""

import datetime
import json
import platform
import shlex
import sys
from pathlib import Path

import torch


def versions() -> dict[str, str]:
    """The versions that the figures depend on, as plain strings (a checkpoint's meta holds them too)."""
    import numpy
    import sklearn

    return {
        "python": platform.python_version(),
        "torch": str(torch.__version__),  # a str subclass that weights_only loading refuses
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
    }


def write_results(path: str | Path, figures: dict) -> Path:
    """Write ``figures`` to the JSON file ``path`` with the command, date, versions and threads."""
    path = Path(path)
    script = Path(sys.argv[0])
    started = ["-m", f"tools.{script.stem}"] if script.parent.name == "tools" else [str(script)]
    record = {
        "command": shlex.join(["python", *started, *sys.argv[1:]]),
        "date": datetime.date.today().isoformat(),
        "versions": versions(),
        "threads": torch.get_num_threads(),
        **figures,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def load_results(path: str | Path) -> dict:
    """The record in the JSON file ``path``; a missing file names the benchmark to run."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"no results file {path}: run the benchmark that writes it (see benchmarks/)")
    return json.loads(path.read_text(encoding="utf-8"))
