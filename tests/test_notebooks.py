"""Hygiene of the stored notebooks: executed in order by the project's command, in step
with their sources, following the shared skeleton. nbval (run by the same pytest)
then re-executes them and compares outputs.
"""

import json
import re

import pytest

from tools.build_notebooks import NOTEBOOKS, SOURCES, read_source

EXPECTED = [
    "01_patch_embedding",
    "02_cls_token",
    "03_position_embedding",
    "04_transformer_encoder",
    "05_classification_loss",
    "06_train_on_digits",
    "07_inside_a_trained_vit",
]
SOURCE_NAMES = sorted(p.stem for p in SOURCES.glob("[0-9][0-9]_*.py"))
MACHINE_PATH = re.compile(r"(/root/|/home/|/tmp/|/work/|/Users/|ipykernel_\d+|site-packages)")


def load(name):
    return json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def test_every_lesson_has_a_source_and_a_notebook():
    assert set(EXPECTED) <= set(SOURCE_NAMES)
    stored = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert stored == SOURCE_NAMES, "every source has exactly one stored notebook, and no stray notebooks"


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_notebook_is_in_step_with_its_source(name):
    nb, src = load(name), read_source(SOURCES / f"{name}.py")
    assert [c["cell_type"] for c in nb["cells"]] == [c.cell_type for c in src.cells]
    for stored, wanted in zip(nb["cells"], src.cells, strict=True):
        assert text(stored) == wanted.source, "edit notebooks/src, then run `make notebooks`"
        assert stored["metadata"].get("tags", []) == wanted.metadata.get("tags", [])


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_notebook_was_executed_top_to_bottom_without_errors(name):
    nb = load(name)
    counts = [c["execution_count"] for c in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), "run `make notebooks`"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(code_cells(nb), 1):
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"cell {i} stores an error"
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), f"cell {i} stores stderr"
            shown = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            assert not MACHINE_PATH.search(shown), f"cell {i} shows a machine path"
    assert (NOTEBOOKS / f"{name}.ipynb").stat().st_size < 1_500_000


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_nbval_markers_and_figure_cells_assert(name):
    for i, cell in enumerate(code_cells(load(name)), 1):
        source = text(cell)
        for line in source.splitlines():
            if "NBVAL_" in line:
                # nbval silently ignores a marker with anything else on its line.
                assert line.strip() == "# NBVAL_IGNORE_OUTPUT", f"cell {i}: {line!r}"
                assert "assert" in source, f"cell {i} ignores its output, so it must assert"
        if any("image/png" in out.get("data", {}) for out in cell["outputs"]):
            assert "assert" in source, f"cell {i} draws a figure but asserts nothing about it"
            assert source.rstrip().endswith("plt.show()"), f"cell {i}: end figure cells with plt.show()"


@pytest.mark.parametrize("name", SOURCE_NAMES)
def test_notebook_follows_the_skeleton(name):
    nb = load(name)
    markdown = "\n".join(text(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert nb["cells"][0]["cell_type"] == "markdown" and text(nb["cells"][0]).startswith("# ")
    assert "draw_pipeline(" in text(code_cells(nb)[1]) or "draw_pipeline(" in text(code_cells(nb)[0])
    assert re.search(r"^## Learning objectives", markdown, re.M)
    assert re.search(r"^## Pitfall", markdown, re.M)
    assert re.search(r"^## Exercises", markdown, re.M)
    assert re.search(r"^## Summary", markdown, re.M)
    solutions = [c for c in code_cells(nb) if "solution" in c["metadata"].get("tags", [])]
    assert 2 <= len(solutions) <= 3, "two or three exercises, each with a solution cell"
    for cell in solutions:
        hidden = cell["metadata"].get("jupyter", {})
        assert hidden.get("source_hidden") is True and hidden.get("outputs_hidden") is True, (
            "solutions start collapsed"
        )
    index = EXPECTED.index(name) if name in EXPECTED else None
    if index is not None and index + 1 < len(EXPECTED):
        assert f"{EXPECTED[index + 1]}.ipynb" in markdown, "the summary links to the next notebook"


def test_readme_figures_come_from_tagged_notebook_cells():
    from tools.build_notebooks import FIGURE_TAG, FIGURES, ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = set(re.findall(r"\]\(docs/figures/([\w-]+)\.png\)", readme))
    tagged = {
        tag[len(FIGURE_TAG) :]
        for name in SOURCE_NAMES
        for cell in load(name)["cells"]
        for tag in cell["metadata"].get("tags", [])
        if tag.startswith(FIGURE_TAG)
    }
    stored = {p.stem for p in FIGURES.glob("*.png")}
    assert shown, "the README shows figures"
    assert shown <= tagged, "every README figure is drawn by a notebook cell (make notebooks exports it)"
    assert stored == tagged, "docs/figures holds exactly the exported figures"
