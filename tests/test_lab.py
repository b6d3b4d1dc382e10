"""Run All in a real JupyterLab gives no solution's answer away (tools/check_lab.py).

A JupyterLab server, headless Chromium and a notebook run once more: this test does it for
notebook 01, the shortest, so every `make test` sees the mechanism work in a real browser.
`make lab-check` (which CI runs) does it for every notebook, with a report per cell.
"""

import pytest

from tools.check_lab import Lab, notebooks
from tools.test_cache import SKIP_REASON, inputs_key, passed_before, record_pass
from tools.workshop import find_chromium

PATHS = notebooks(["01"])


@pytest.fixture(scope="module")
def lab():
    if find_chromium() is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium package)")
    with Lab() as lab:
        yield lab


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_run_all_in_jupyterlab_keeps_solutions_hidden(path, request):
    key = inputs_key(path.read_bytes())
    if passed_before(f"lab-{path.stem}", key):
        pytest.skip(SKIP_REASON)
    lab = request.getfixturevalue("lab")  # start JupyterLab only when the check runs
    result = lab.check(path)
    assert len(result.cells) >= 2, f"{path.stem} has too few cells tagged 'solution'"
    assert result.passed, "\n" + result.report()
    record_pass(f"lab-{path.stem}", key)
