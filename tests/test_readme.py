"""The README and the guides: numbers from the results files, figures the notebooks export, links that resolve."""

import re
from pathlib import Path

from tools import readme

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def test_generated_blocks_are_in_step_with_the_results():
    assert readme.stale() == [], "run python -m tools.readme"
    assert all(
        f"<!-- generated:{name} -->" in README.read_text(encoding="utf-8") for name in readme.GENERATORS
    )


def test_readme_shows_only_figures_that_notebooks_export():
    sources = "".join(p.read_text(encoding="utf-8") for p in (ROOT / "notebooks" / "src").rglob("*.py"))
    tagged = set(re.findall(r"readme-figure:([\w-]+)", sources))
    shown = set(re.findall(r"\]\(docs/figures/([\w-]+)\.png\)", README.read_text(encoding="utf-8")))
    assert shown and shown <= tagged
    assert {p.stem for p in (ROOT / "docs" / "figures").glob("*.png")} == tagged, (
        "make notebooks exports these"
    )


def test_links_point_to_files_in_the_repository():
    for doc in (README, ROOT / "CONTRIBUTING.md", ROOT / "docs" / "instructor.md"):
        for target in re.findall(r"\]\(([^)#:]+)\)", doc.read_text(encoding="utf-8")):
            assert (doc.parent / target).exists(), f"{doc.name} links to {target}"
