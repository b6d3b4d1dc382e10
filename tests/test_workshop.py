"""The workshop kit, fast: student copies are the lessons without outputs; decks name no remote file.

`make check` runs the copies and measures the decks in Chromium (tests/test_check.py).
"""

import re

import nbformat

from tools.workshop import lessons, slide_decks, student_copies


def test_student_copies_are_the_lessons_with_outputs_cleared(tmp_path):
    copies = student_copies(tmp_path)
    assert [c.name for c in copies] == [p.name for p in lessons()]
    for lesson, copy in zip(lessons(), copies, strict=True):
        original, cleared = nbformat.read(lesson, as_version=4), nbformat.read(copy, as_version=4)
        assert [c.source for c in cleared.cells] == [c.source for c in original.cells]
        code = [c for c in cleared.cells if c.cell_type == "code"]
        assert all(c.outputs == [] and c.execution_count is None for c in code)


def test_a_deck_loads_its_scripts_and_styles_from_files_beside_it(tmp_path):
    [deck] = slide_decks(tmp_path, lessons()[:1])
    html = deck.read_text(encoding="utf-8")
    assets = re.findall(r'<(?:script|link)[^>]* (?:src|href)="([^"]+)"', html)
    assert len(assets) >= 4 and all((tmp_path / asset).is_file() for asset in assets)
