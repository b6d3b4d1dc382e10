"""Repository-wide pytest setup: nbval's sanitize file, the kernels' environment, and
not re-running a notebook whose inputs have not changed since it last passed.

nbval reads --nbval-sanitize-with relative to the folder pytest starts in; this points
it at the repository root's file whatever that folder is.

A notebook whose every cell passed nbval is recorded in build/test-cache/ under a key of
everything its outputs depend on (tools/test_cache.py: the notebook, the package, tools,
pins, installed versions, Python, the kernels' environment, this file and the sanitize
file). The next run skips its cells, each with the reason, until one of those changes. A
fresh clone, and so CI, has no cache and runs every cell; VIT_TEST_CACHE=0 does too.
"""

import os
from pathlib import Path

from tools.build_notebooks import EXECUTION_ENV
from tools.test_cache import NotebookCache

ROOT = Path(__file__).resolve().parent
SANITIZE = ROOT / "nbval_sanitize.cfg"  # also part of every notebook's cache key

# Kernels started by nbval inherit this process's environment: the same as the build's.
os.environ.update(EXECUTION_ENV)


def pytest_configure(config):
    if hasattr(config.option, "nbval_sanitize_with") and not config.option.nbval_sanitize_with:
        config.option.nbval_sanitize_with = str(SANITIZE)
    config.pluginmanager.register(NotebookCache(config, extra=[SANITIZE, Path(__file__)]), "notebook-cache")
