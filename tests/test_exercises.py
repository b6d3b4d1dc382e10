"""The exercise registry against the notebooks, and what every solution cell shows.

Each notebook's checkers have their own tests (tests/test_exercises_NN.py); these tests
tie them to the notebooks: every exercise heading has an id, a learner's cell that calls
its checker, and a solution that passes it with its answer inside a closed box.
"""

import json
import re

import pytest

from tools.workshop import SOLUTION_TAG, stored_notebooks
from vit_steps.exercises import EXERCISES, Feedback, check

NOTEBOOKS = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in stored_notebooks()}


def source(cell) -> str:
    return "".join(cell["source"])


def text_of(cell) -> str:
    """Everything a cell's stored outputs would show as text."""
    parts = []
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        parts.extend("".join(v) for k, v in output.get("data", {}).items() if k.startswith("text/"))
    return "\n".join(parts)


def exercise_headings(nb) -> list[str]:
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            found += re.findall(r"^### Exercise (\d+)", source(cell), flags=re.MULTILINE)
    return found


def test_every_exercise_heading_has_an_id_in_the_registry():
    expected = {f"{stem[:2]}.{k}": stem for stem, nb in NOTEBOOKS.items() for k in exercise_headings(nb)}
    assert len(expected) >= 2 * len(NOTEBOOKS)
    assert {i: e.notebook for i, e in EXERCISES.items()} == expected


@pytest.mark.parametrize("exercise_id", sorted(EXERCISES))
def test_the_learner_cell_calls_the_checker_and_the_solution_passes_it(exercise_id):
    cells = NOTEBOOKS[EXERCISES[exercise_id].notebook]["cells"]
    call = f'check("{exercise_id}"'
    learner = [c for c in cells if call in source(c) and SOLUTION_TAG not in c["metadata"].get("tags", [])]
    solution = [c for c in cells if call in source(c) and SOLUTION_TAG in c["metadata"].get("tags", [])]
    assert len(learner) == 1 and len(solution) == 1, f"{exercise_id}: one learner cell, one solution"
    assert f"Exercise {exercise_id}: not attempted yet." in text_of(learner[0])
    # nbval re-runs the solution and compares this stored line, so the solution really passes.
    assert f"Exercise {exercise_id}: passed." in text_of(solution[0])
    assert cells.index(learner[0]) < cells.index(solution[0])


@pytest.mark.parametrize("stem", sorted(NOTEBOOKS))
def test_solution_outputs_sit_inside_a_closed_box(stem):
    """JupyterLab shows a cell's outputs again whenever it runs: the answer must be in the box."""
    solutions = [c for c in NOTEBOOKS[stem]["cells"] if SOLUTION_TAG in c["metadata"].get("tags", [])]
    assert solutions
    for cell in solutions:
        assert source(cell).lstrip().startswith("with hidden_answer():"), source(cell)[:80]
        assert cell["metadata"]["jupyter"] == {"source_hidden": True, "outputs_hidden": True}
        assert len(cell["outputs"]) == 1, "one output: the box (nothing printed or drawn outside it)"
        (output,) = cell["outputs"]
        assert output["output_type"] == "display_data" and set(output["data"]) == {"text/html", "text/plain"}
        html = "".join(output["data"]["text/html"])
        assert html.startswith("<details><summary>") and html.endswith("</details>")
        assert "<details open" not in html


def test_an_unknown_id_names_the_known_ones():
    with pytest.raises(ValueError, match=r"exercise_id must be one of 01\.1, .*got '1\.1'"):
        check("1.1", 3)


def test_the_verdict_is_printed_once_and_returned(capsys):
    feedback = check("01.1", None)
    assert isinstance(feedback, Feedback) and not feedback.passed and not feedback.attempted
    assert capsys.readouterr().out == feedback.line + "\n"
    assert feedback._ipython_display_() is None  # a cell ending in check(...) does not repeat it
