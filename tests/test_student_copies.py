"""Student copies: no solutions, no outputs, every checker call kept, and they run top to bottom.

Apart from the slide tests so that pytest-xdist can run the two files on different workers:
executing the seven copies is the longest single file of the suite.
"""

import json

import nbformat
import pytest

from tools.build_notebooks import execute
from tools.test_cache import SKIP_REASON, inputs_key, passed_before, record_pass
from tools.workshop import SOLUTION_TAG, stored_notebooks, student_copies
from vit_steps.exercises import EXERCISES

NAMES = [p.stem for p in stored_notebooks()]


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("student")
    student_copies(out)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_student_copy_has_no_solutions_or_outputs(name, student_dir):
    original = json.loads(stored_notebooks()[NAMES.index(name)].read_text(encoding="utf-8"))
    copy = nbformat.read(student_dir / f"{name}.ipynb", as_version=4)
    solutions = [c for c in original["cells"] if SOLUTION_TAG in c["metadata"].get("tags", [])]
    assert solutions, "every lesson has solutions to remove"
    assert len(copy.cells) == len(original["cells"]) - len(solutions)
    for cell in copy.cells:
        assert SOLUTION_TAG not in cell.metadata.get("tags", [])
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    for exercise_id in (i for i, e in EXERCISES.items() if e.notebook == name):
        assert any(f'check("{exercise_id}"' in c.source for c in copy.cells), f"{exercise_id}'s checker call"


class _RunsTopToBottom:
    """Execute one notebook's student copy. One class per notebook (below), so that
    pytest-xdist (--dist loadscope) can give each copy to whichever worker is free."""

    name: str

    def test_student_copy_runs_top_to_bottom(self, student_dir):
        copy = nbformat.read(student_dir / f"{self.name}.ipynb", as_version=4)
        key = inputs_key(nbformat.writes(copy))
        if passed_before(f"student-{self.name}", key):
            pytest.skip(SKIP_REASON)  # notebook 06 would train a second time for nothing
        execute(copy, cwd=student_dir)
        assert all(c.execution_count for c in copy.cells if c.cell_type == "code")
        # The checker calls stay, and an untouched exercise says so instead of failing.
        printed = "".join(o.get("text", "") for c in copy.cells if c.cell_type == "code" for o in c.outputs)
        for exercise_id in (i for i, e in EXERCISES.items() if e.notebook == self.name):
            assert f"Exercise {exercise_id}: not attempted yet." in printed
        record_pass(f"student-{self.name}", key)


for _name in NAMES:
    globals()[f"TestStudentCopy_{_name}"] = type(
        f"TestStudentCopy_{_name}", (_RunsTopToBottom,), {"name": _name}
    )
