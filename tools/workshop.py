"""Workshop material made from the stored notebooks, with nbconvert.

    python -m tools.workshop student   # build/student/NN_*.ipynb: no solutions, no outputs
    python -m tools.workshop slides    # build/slides/NN_*.slides.html: reveal.js decks, offline

Student copies drop every cell tagged ``solution`` (nbconvert's TagRemovePreprocessor)
and clear all outputs (ClearOutputPreprocessor). Slide decks use nbconvert's reveal.js
exporter with a template that loads reveal.js and MathJax from files copied next to the
decks out of installed packages, so they open in a room with no network.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from nbconvert import NotebookExporter, SlidesExporter
from traitlets.config import Config

from tools.build_notebooks import NOTEBOOKS, ROOT

BUILD = ROOT / "build"
TEMPLATES = Path(__file__).resolve().parent / "templates"
SOLUTION_TAG = "solution"


def stored_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def student_copies(out_dir: Path = BUILD / "student") -> list[Path]:
    """Write a copy of every notebook without solution cells and without outputs."""
    config = Config()
    config.TagRemovePreprocessor.remove_cell_tags = {SOLUTION_TAG}
    config.TagRemovePreprocessor.enabled = True
    config.ClearOutputPreprocessor.enabled = True  # both are among the exporter's defaults, off until enabled
    exporter = NotebookExporter(config=config)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for nb_path in stored_notebooks():
        body, _ = exporter.from_filename(str(nb_path))
        target = out_dir / nb_path.name
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written


def _copy_assets(out_dir: Path) -> tuple[str, str]:
    """Copy reveal.js and MathJax out of their packages; return their URLs relative to a deck."""
    import mathjax  # the django-static-mathjax distribution: MathJax 3 as static files
    import sphinx_revealjs

    reveal_src = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
    target = out_dir / "_static" / "reveal.js"
    if not target.exists():
        shutil.copytree(reveal_src, target, ignore=shutil.ignore_patterns("*.map", "*.esm.js"))
    # One self-contained file: TeX input, SVG output, glyphs inside, so no font downloads.
    mathjax_file = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg-full.js"
    (out_dir / "_static" / "mathjax").mkdir(parents=True, exist_ok=True)
    shutil.copy2(mathjax_file, out_dir / "_static" / "mathjax" / "tex-svg-full.js")
    return "_static/reveal.js", "_static/mathjax/tex-svg-full.js"


def slide_decks(out_dir: Path = BUILD / "slides") -> list[Path]:
    """Write a reveal.js deck per notebook; the slide structure comes from cell metadata."""
    out_dir.mkdir(parents=True, exist_ok=True)
    reveal_prefix, mathjax_url = _copy_assets(out_dir)
    config = Config()
    config.SlidesExporter.reveal_url_prefix = reveal_prefix
    config.SlidesExporter.mathjax_url = mathjax_url
    config.SlidesExporter.reveal_theme = (
        "white"  # its font ships with reveal.js ("simple" fetches Google Fonts)
    )
    config.SlidesExporter.extra_template_basedirs = [str(TEMPLATES)]
    config.SlidesExporter.template_name = "offline_reveal"
    exporter = SlidesExporter(config=config)
    written = []
    for nb_path in stored_notebooks():
        body, _ = exporter.from_filename(str(nb_path))
        target = out_dir / f"{nb_path.stem}.slides.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written


def main(argv: list[str]) -> int:
    commands = {"student": student_copies, "slides": slide_decks}
    if len(argv) != 1 or argv[0] not in commands:
        print(f"usage: python -m tools.workshop {{{'|'.join(commands)}}}", file=sys.stderr)
        return 2
    for path in commands[argv[0]]():
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
