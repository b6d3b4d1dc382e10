"""The one way stored notebook outputs are made.

notebooks/src/NN_name.py (jupytext percent format, what maintainers edit) becomes
notebooks/NN_name.ipynb, and notebooks/src/solutions/NN_solutions.py notebooks/solutions/,
each executed top to bottom in a fresh kernel in its own folder, on the CPU with a fixed
thread count. Each notebook's wall time, kernel start included, goes to notebooks.json.

    python -m tools.build_notebooks            # every notebook
    python -m tools.build_notebooks 03 04      # lessons and solutions whose names start so
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SOURCES = NOTEBOOKS / "src"
# Where each folder of sources is built to, and where its kernel starts.
TARGETS = {SOURCES: NOTEBOOKS, SOURCES / "solutions": NOTEBOOKS / "solutions"}
FIGURES = ROOT / "docs" / "figures"  # README's pictures: cells tagged "readme-figure:NAME"
FIGURE_TAG = "readme-figure:"
TIMES = ROOT / "benchmarks" / "results" / "notebooks.json"  # run times, which the README shows

# The environment every stored output is made in (and nbval re-runs in, see conftest.py).
EXECUTION_ENV = {
    # One thread per kernel: under `make test` each pytest-xdist worker runs a kernel, one per
    # core. Measured here on notebook 06's training run: 27 s with one thread, 31 s with two,
    # 78 s with two whose idle threads sleep (OMP_WAIT_POLICY=PASSIVE).
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "PYTHONHASHSEED": "0",
    "CUDA_VISIBLE_DEVICES": "",  # stored outputs come from the CPU
    "TQDM_MININTERVAL": "1",
}
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def read_source(src: Path):
    """The notebook a source describes, before execution (cells, tags, metadata)."""
    import jupytext

    nb = jupytext.read(src, fmt="py:percent")
    nb.metadata.pop("jupytext", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i:03d}"  # stable ids: a rebuild changes only what really changed
    return nb


def add_slide_metadata(nb):
    """Mark how each cell shows in the reveal.js deck (``make slides``).

    A ``#``/``##`` heading starts a slide; every other markdown cell starts a sub-slide
    (an idea with the code and output under it); code follows its markdown.
    """
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            kind = "slide" if cell.source.lstrip().startswith(("# ", "## ")) else "subslide"
        else:
            kind = "-"
        cell.metadata["slideshow"] = {"slide_type": kind}
    return nb


def execute(nb, cwd: Path = NOTEBOOKS, timeout: int = 600):
    """Execute ``nb`` in place in a fresh python3 kernel started in ``cwd``."""
    from nbclient import NotebookClient

    os.environ.update(EXECUTION_ENV)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,
    )
    client.execute()
    return nb


def build(src: Path) -> float:
    """Build and execute one notebook from its source; return the seconds it took."""
    import nbformat
    from nbconvert.preprocessors import CoalesceStreamsPreprocessor

    target = TARGETS[src.parent]
    start = time.perf_counter()
    nb = execute(add_slide_metadata(read_source(src)), cwd=target)
    # One stream output per cell and stream name, so repeated builds store identical files.
    nb, _ = CoalesceStreamsPreprocessor().preprocess(nb, {})
    seconds = time.perf_counter() - start
    nbformat.validate(nb)
    target.mkdir(exist_ok=True)
    nbformat.write(nb, target / f"{src.stem}.ipynb")
    export_figures(nb)
    return seconds


def export_figures(nb) -> list[Path]:
    """Save the first PNG of each cell tagged ``readme-figure:NAME`` as docs/figures/NAME.png."""
    import base64

    written = []
    for cell in nb.cells:
        names = [t[len(FIGURE_TAG) :] for t in cell.metadata.get("tags", []) if t.startswith(FIGURE_TAG)]
        pngs = [o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        for name in names:
            if not pngs:
                raise ValueError(f"cell tagged {FIGURE_TAG}{name} drew no figure")
            FIGURES.mkdir(parents=True, exist_ok=True)
            path = FIGURES / f"{name}.png"
            path.write_bytes(base64.b64decode(pngs[0]))
            written.append(path)
    return written


def all_sources() -> list[Path]:
    """Every lesson's source, then every solutions notebook's."""
    return [src for folder in TARGETS for src in sorted(folder.glob("[0-9][0-9]_*.py"))]


def main(argv: list[str]) -> int:
    sources = all_sources()
    if argv:
        sources = [s for s in sources if any(s.stem.startswith(a) for a in argv)]
        if not sources:
            print(f"no notebook source matches {argv} in {SOURCES.relative_to(ROOT)}", file=sys.stderr)
            return 2
    times = {}
    for src in sources:
        times[src.stem] = build(src)
        print(f"{src.stem:32s} executed in {times[src.stem]:5.1f} s", flush=True)
    record_times(times)
    return 0


def record_times(times: dict[str, float]) -> None:
    """Merge these run times into benchmarks/results/notebooks.json (the README reads them)."""
    import torch

    from vit_steps.course.results import load_results, write_results

    try:
        seconds = load_results(TIMES)["seconds"]
    except ValueError:  # the first build: no file yet
        seconds = {}
    known = {p.stem for p in all_sources()}
    seconds = {k: v for k, v in seconds.items() if k in known} | {k: round(v, 1) for k, v in times.items()}
    torch.set_num_threads(int(EXECUTION_ENV["OMP_NUM_THREADS"]))  # the kernels' threads, recorded
    write_results(TIMES, {"seconds": dict(sorted(seconds.items())), "kernel_start_included": True})


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
