"""The cache that lets an unchanged notebook, student copy, deck or JupyterLab check skip a re-run."""

import pytest

from tools import test_cache


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(test_cache, "CACHE", tmp_path / "cache")
    monkeypatch.delenv("VIT_TEST_CACHE", raising=False)
    return tmp_path / "cache"


def test_a_recorded_pass_counts_only_for_the_same_inputs(cache_dir):
    key = test_cache.inputs_key(b"notebook bytes", "strict")
    assert not test_cache.passed_before("nbval-x", key)
    test_cache.record_pass("nbval-x", key)
    assert test_cache.passed_before("nbval-x", key)
    assert not test_cache.passed_before("nbval-x", test_cache.inputs_key(b"notebook bytes!", "strict"))
    assert not test_cache.passed_before("nbval-x", test_cache.inputs_key(b"notebook bytes", "lax"))
    assert not test_cache.passed_before("nbval-y", key)  # another check's name


def test_the_key_covers_the_package_sources(cache_dir, monkeypatch):
    before = test_cache.inputs_key(b"same")
    files = test_cache._files()
    assert any(p.name == "patch_embedding.py" for p in files) and any(
        p.name == "requirements.txt" for p in files
    )
    test_cache._shared_inputs.cache_clear()
    real_read = type(files[0]).read_bytes
    monkeypatch.setattr(
        type(files[0]), "read_bytes", lambda p: real_read(p) + b"#" if p.name == "model.py" else real_read(p)
    )
    try:
        assert test_cache.inputs_key(b"same") != before  # one edited package file: every key changes
    finally:
        test_cache._shared_inputs.cache_clear()


def test_vit_test_cache_0_runs_everything(cache_dir, monkeypatch):
    key = test_cache.inputs_key(b"x")
    test_cache.record_pass("student-x", key)
    monkeypatch.setenv("VIT_TEST_CACHE", "0")
    assert not test_cache.passed_before("student-x", key)
    test_cache.record_pass("student-y", key)  # nor does such a run record anything
    monkeypatch.delenv("VIT_TEST_CACHE")
    assert not test_cache.passed_before("student-y", key)


class _Report:
    def __init__(self, nodeid, when="call", outcome="passed"):
        self.nodeid, self.when = nodeid, when
        self.passed, self.failed = outcome == "passed", outcome == "failed"


def _finish(cells_passed: int, failed_cell: int | None = None) -> bool:
    """Feed the root conftest's NotebookCache reports for notebook 01; did it record a pass?"""
    import json

    from tools.build_notebooks import ROOT
    from tools.test_cache import NotebookCache

    class Options:
        nbval_lax = False

    class Config:
        option = Options()

    cache = NotebookCache(Config())
    name = "notebooks/01_patch_embedding.ipynb"
    for i in range(cells_passed):
        cache.pytest_runtest_logreport(
            _Report(f"{name}::Cell {i}", outcome="failed" if i == failed_cell else "passed")
        )
    cache.pytest_sessionfinish(None, 0)
    cells = sum(c["cell_type"] == "code" for c in json.loads((ROOT / name).read_text())["cells"])
    return test_cache.passed_before("nbval-01_patch_embedding", cache.key(ROOT / name)), cells


def test_a_notebook_is_recorded_only_when_every_cell_ran_and_passed(cache_dir):
    _, cells = _finish(0)
    assert _finish(cells - 1)[0] is False  # a -k run that left a cell out
    assert _finish(cells, failed_cell=3)[0] is False
    assert _finish(cells)[0] is True
