"""Skip re-running an expensive check whose inputs are byte for byte those of its last pass.

A notebook under nbval, a student copy run top to bottom, a slide deck measured in
Chromium: each runs again only when something it
depends on changed: its own files, any file of the package (vit_steps/) or of tools/,
requirements.txt, every installed distribution's version, the Python version or the
kernels' environment. The key is a SHA-256 of all of them, and a pass is recorded under
build/test-cache/. A fresh clone has no cache, so CI and a new laptop run everything;
`make clean` empties the cache, and VIT_TEST_CACHE=0 turns it off for one run.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
from collections import defaultdict
from functools import cache
from pathlib import Path

import pytest

from tools.build_notebooks import EXECUTION_ENV, ROOT

CACHE = ROOT / "build" / "test-cache"
SKIP_REASON = "unchanged since its last pass here (VIT_TEST_CACHE=0 runs it anyway; CI always does)"


def _files() -> list[Path]:
    files = [ROOT / "requirements.txt"]
    for folder in ("vit_steps", "tools"):
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    return sorted(files)


@cache
def _shared_inputs() -> bytes:
    """What every check depends on: package and tools files, pins, installed versions, Python."""
    digest = hashlib.sha256()
    for path in _files():
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    installed = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())
    digest.update("\n".join(installed).encode())
    digest.update(sys.version.encode())
    digest.update(json.dumps(EXECUTION_ENV, sort_keys=True).encode())
    return digest.digest()


def inputs_key(*extra: bytes | str) -> str:
    """SHA-256 of the check's own inputs (``extra``) and of everything every check depends on."""
    digest = hashlib.sha256(_shared_inputs())
    for part in extra:
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()


def passed_before(name: str, key: str) -> bool:
    """Did check ``name`` pass with exactly these inputs?"""
    if os.environ.get("VIT_TEST_CACHE") == "0":
        return False
    path = CACHE / f"{name}.sha256"
    return path.is_file() and path.read_text().strip() == key


def record_pass(name: str, key: str) -> None:
    """Remember that check ``name`` passed with inputs ``key`` (not with VIT_TEST_CACHE=0: such a
    run, in another venv for instance, must not overwrite this venv's record)."""
    if os.environ.get("VIT_TEST_CACHE") == "0":
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    (CACHE / f"{name}.sha256").write_text(key + "\n")


class NotebookCache:
    """Skip the cells of notebooks unchanged since their last full pass; record new full passes."""

    def __init__(self, config, extra: list[Path] = ()):
        self.config = config
        self.extra = list(extra)  # files that change what nbval compares (conftest, sanitize file)
        self.mode = "lax" if getattr(config.option, "nbval_lax", False) else "strict"
        self.passed = defaultdict(int)  # notebook path -> cells whose call passed
        self.failed = set()

    def key(self, path: Path) -> str:
        own = [path.read_bytes(), *(p.read_bytes() for p in self.extra), self.mode]
        return inputs_key(*own)

    def pytest_collection_modifyitems(self, items):
        keys = {}
        for item in items:
            if type(item).__name__ != "IPyNbCell":
                continue
            path = Path(item.fspath)
            if path not in keys:
                keys[path] = passed_before(f"nbval-{path.stem}", self.key(path))
            if keys[path]:
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))

    def pytest_runtest_logreport(self, report):
        path, _, rest = report.nodeid.partition("::")
        if not (path.endswith(".ipynb") and rest.startswith("Cell ")):
            return
        if report.failed:
            self.failed.add(path)
        elif report.when == "call" and report.passed:
            self.passed[path] += 1

    def pytest_sessionfinish(self, session, exitstatus):
        if hasattr(self.config, "workerinput"):  # an xdist worker: the controller sees every report
            return
        for name, count in self.passed.items():
            path = ROOT / name
            cells = sum(
                c["cell_type"] == "code" for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
            )
            if name not in self.failed and count == cells:  # every cell ran and passed, none filtered out
                record_pass(f"nbval-{path.stem}", self.key(path))
