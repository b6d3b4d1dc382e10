"""Hygiene of the stored notebooks, lessons and solutions: executed in order by the project's
command, in step with their sources, following the shared skeleton. nbval (run by the same
pytest) then re-executes them and compares outputs.
"""

import json
import re

import pytest

from tools.build_notebooks import SOURCES, TARGETS, all_sources, read_source

LESSONS = [
    "01_patch_embedding",
    "02_cls_token",
    "03_position_embedding",
    "04_transformer_encoder",
    "05_classification_loss",
    "06_train_on_digits",
    "07_inside_a_trained_vit",
]
SOURCES_BY_NAME = {src.stem: src for src in all_sources()}
MACHINE_PATH = re.compile(r"(/root/|/home/|/tmp/|/work/|/Users/|ipykernel_\d+|site-packages)")


def stored(name):
    src = SOURCES_BY_NAME[name]
    return TARGETS[src.parent] / f"{name}.ipynb"


def load(name):
    return json.loads(stored(name).read_text(encoding="utf-8"))


def code_cells(nb):
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def joined(value):
    """Stored notebook text is a string or a list of lines."""
    return "".join(value) if isinstance(value, list) else value


def text(cell):
    return joined(cell["source"])


def printed(cell):
    return "".join(joined(out.get("text", "")) for out in cell["outputs"])


def test_every_lesson_and_its_solutions_have_a_source_and_a_notebook():
    assert sorted(p.stem for p in SOURCES.glob("[0-9][0-9]_*.py")) == LESSONS
    assert sorted(p.stem for p in (SOURCES / "solutions").glob("*.py")) == [
        f"{n[:2]}_solutions" for n in LESSONS
    ]
    for source_dir, target in TARGETS.items():
        built = sorted(p.stem for p in target.glob("*.ipynb"))
        assert built == sorted(p.stem for p in source_dir.glob("*.py")), "no stray or missing notebooks"


@pytest.mark.parametrize("name", SOURCES_BY_NAME)
def test_notebook_is_in_step_with_its_source(name):
    nb, src = load(name), read_source(SOURCES_BY_NAME[name])
    assert [c["cell_type"] for c in nb["cells"]] == [c.cell_type for c in src.cells]
    for cell, wanted in zip(nb["cells"], src.cells, strict=True):
        assert text(cell) == wanted.source, "edit notebooks/src, then run `make notebooks`"
        assert cell["metadata"].get("tags", []) == wanted.metadata.get("tags", [])


@pytest.mark.parametrize("name", SOURCES_BY_NAME)
def test_notebook_was_executed_top_to_bottom_without_errors(name):
    nb = load(name)
    counts = [c["execution_count"] for c in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), "run `make notebooks`"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    for i, cell in enumerate(code_cells(nb), 1):
        for out in cell["outputs"]:
            assert out["output_type"] != "error", f"cell {i} stores an error"
            assert not (out["output_type"] == "stream" and out["name"] == "stderr"), f"cell {i} stores stderr"
            shown = joined(out.get("text", "")) + joined(out.get("data", {}).get("text/plain", ""))
            assert not MACHINE_PATH.search(shown), f"cell {i} shows a machine path"
    assert stored(name).stat().st_size < 1_500_000


@pytest.mark.parametrize("name", SOURCES_BY_NAME)
def test_nbval_markers_and_figure_cells_assert(name):
    for i, cell in enumerate(code_cells(load(name)), 1):
        source = text(cell)
        for line in source.splitlines():
            if "NBVAL_" in line:
                # nbval silently ignores a marker with anything else on its line.
                assert line.strip() == "# NBVAL_IGNORE_OUTPUT", f"cell {i}: {line!r}"
                assert "assert" in source, f"cell {i} ignores its output, so it must assert"
        diagram = "draw_pipeline(" in source or "draw_encoder_block(" in source  # a drawing, not data
        if any("image/png" in out.get("data", {}) for out in cell["outputs"]) and not diagram:
            assert "assert" in source, f"cell {i} draws a figure but asserts nothing about it"
            assert source.rstrip().endswith("plt.show()"), f"cell {i}: end figure cells with plt.show()"


@pytest.mark.parametrize("name", LESSONS)
def test_lesson_follows_the_skeleton(name):
    nb = load(name)
    markdown = "\n".join(text(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    assert nb["cells"][0]["cell_type"] == "markdown" and text(nb["cells"][0]).startswith("# ")
    assert any("draw_pipeline(" in text(c) for c in code_cells(nb)[:2]), "the pipeline picture comes first"
    for heading in ("Learning objectives", "Pitfall", "Exercises", "Summary"):
        assert re.search(rf"^## {heading}", markdown, re.M), heading
    exercises = re.findall(r"^### Exercise (\d)", markdown, re.M)
    assert 2 <= len(exercises) <= 3, "two or three exercises"
    assert f"solutions/{name[:2]}_solutions.ipynb" in markdown, "the exercises link to their solutions"
    learner_cells = [c for c in code_cells(nb) if re.search(r'^check\("\d\d\.\d"', text(c), re.M)]
    assert len(learner_cells) == len(exercises), "each exercise has one learner cell"
    for cell in learner_cells:
        assert "not attempted yet" in printed(cell)
    index = LESSONS.index(name)
    if index + 1 < len(LESSONS):
        assert f"{LESSONS[index + 1]}.ipynb" in markdown, "the summary links to the next notebook"


@pytest.mark.parametrize("name", LESSONS)
def test_every_solution_passes_its_checker(name):
    nb = load(f"{name[:2]}_solutions")
    lesson = "\n".join(text(c) for c in load(name)["cells"] if c["cell_type"] == "markdown")
    shown = "".join(printed(c) for c in code_cells(nb))
    for k in re.findall(r"^### Exercise (\d)", lesson, re.M):
        assert f"Exercise {name[:2]}.{k}: passed." in shown
