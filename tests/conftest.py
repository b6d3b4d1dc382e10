"""Shared by the unit tests: figures draw off-screen, every test closes what it drew, threads per worker."""

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere: no window, the same pixels everywhere

import os  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

# Under pytest-xdist each worker takes its share of the cores, so that workers (and the
# notebook kernels they start) do not fight over them.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    torch.set_num_threads(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
