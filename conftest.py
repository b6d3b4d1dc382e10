"""Repository-wide pytest setup: nbval's sanitize file and the kernels' environment.

nbval reads --nbval-sanitize-with relative to the folder pytest starts in; this points it
at the repository root's file whatever that folder is.
"""

import os
from pathlib import Path

from tools.build_notebooks import EXECUTION_ENV

SANITIZE = Path(__file__).resolve().parent / "nbval_sanitize.cfg"

# Kernels started by nbval inherit this process's environment: the same as the build's.
os.environ.update(EXECUTION_ENV)


def pytest_configure(config):
    if hasattr(config.option, "nbval_sanitize_with") and not config.option.nbval_sanitize_with:
        config.option.nbval_sanitize_with = str(SANITIZE)
