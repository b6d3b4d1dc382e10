"""Shared by the unit tests: figures draw off-screen, and every test closes what it drew."""

import matplotlib

matplotlib.use("Agg")  # before pyplot is imported anywhere: no window, the same pixels everywhere

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")
