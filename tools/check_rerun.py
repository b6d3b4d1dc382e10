"""Check that every cell survives being run twice in a row, as a learner's Shift-Enter does.

Executes each stored notebook top to bottom in a fresh kernel, running every code cell
twice before moving on. The second run must not raise and must print what the first
printed (text and stdout, after the repository's nbval sanitize rules); cells marked
``# NBVAL_IGNORE_OUTPUT`` need only not fail.

    python -m tools.check_rerun            # every notebook
    python -m tools.check_rerun 03 04      # only those whose names start so
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tools.build_notebooks import EXECUTION_ENV, NOTEBOOKS, ROOT

SANITIZE = ROOT / "nbval_sanitize.cfg"


def _sanitizers() -> list[tuple[re.Pattern, str]]:
    lines = [line.rstrip("\n") for line in SANITIZE.read_text(encoding="utf-8").splitlines()]
    pairs = []
    for first, second in zip(lines, lines[1:], strict=False):
        if first.startswith("regex: ") and second.startswith("replace: "):
            pairs.append((re.compile(first[len("regex: ") :]), second[len("replace: ") :]))
    return pairs


def _shown(outputs, sanitizers) -> list[str]:
    # What nbval compares: streams and text/plain (figures are not compared).
    # A stream arrives in pieces that depend on timing: join them per stream, as nbval does.
    streams = {}
    for out in outputs:
        if out.get("output_type") == "stream":
            streams[out["name"]] = streams.get(out["name"], "") + out["text"]
    shown = [f"{name}: {text}" for name, text in sorted(streams.items())]
    for out in outputs:
        if "text/plain" in out.get("data", {}):
            shown.append(out["data"]["text/plain"])
        elif out.get("output_type") == "error":
            shown.append(f"ERROR {out['ename']}: {out['evalue']}")
    text = "".join(shown)
    for pattern, replacement in sanitizers:
        text = pattern.sub(replacement, text)
    return text


def check(path: Path) -> list[str]:
    """Problems found in one notebook: one line per cell that fails or changes on a re-run."""
    import os

    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    os.environ.update(EXECUTION_ENV)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    sanitizers = _sanitizers()
    problems = []
    with client.setup_kernel():
        number = 0
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            number += 1
            runs = []
            for attempt in (1, 2):
                try:
                    client.execute_cell(cell, index)
                except CellExecutionError as error:
                    problems.append(
                        f"{path.stem} cell {number}: run {attempt} fails: {str(error).splitlines()[-1]}"
                    )
                    return problems  # later cells depend on this one
                runs.append(_shown(cell.outputs, sanitizers))
            if "# NBVAL_IGNORE_OUTPUT" not in cell.source and runs[0] != runs[1]:
                first, second = runs[0].splitlines(), runs[1].splitlines()
                diff = next(
                    (f"{a!r} -> {b!r}" for a, b in zip(first, second, strict=False) if a != b),
                    f"{len(first)} lines -> {len(second)} lines",
                )
                problems.append(f"{path.stem} cell {number}: a second run prints something else: {diff}")
    return problems


def main(argv: list[str]) -> int:
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if argv:
        paths = [p for p in paths if any(p.stem.startswith(a) for a in argv)]
    problems = []
    for path in paths:
        found = check(path)
        print(f"{path.stem:32s} {'OK' if not found else f'{len(found)} problem(s)'}", flush=True)
        problems += found
    for line in problems:
        print(line)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
