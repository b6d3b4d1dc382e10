"""Workshop material made from the stored lesson notebooks, with nbconvert.

    python -m tools.workshop student   # build/student/NN_*.ipynb: the lessons, outputs cleared
    python -m tools.workshop slides    # build/slides/NN_*.slides.html: reveal.js decks, offline

Student copies are the lessons with every output cleared (ClearOutputPreprocessor); the
solutions live in notebooks/solutions/, which is not handed out. Slide decks use nbconvert's
reveal.js exporter with a template that loads reveal.js and MathJax from files copied next to
the decks out of installed packages, so they open in a room with no network. The template's
CSS sizes text, code and figures for a 1280×800 slide, and zooms out a slide that is still
too tall when it is shown. ``make check`` measures every slide in headless Chromium.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from nbconvert import NotebookExporter, SlidesExporter
from nbconvert.preprocessors import Preprocessor
from traitlets.config import Config

from tools.build_notebooks import NOTEBOOKS, ROOT

BUILD = ROOT / "build"
TEMPLATES = Path(__file__).resolve().parent / "templates"
REVEAL_PREFIX, MATHJAX_URL = "_static/reveal.js", "_static/mathjax/tex-svg-full.js"  # relative to a deck


def lessons() -> list[Path]:
    """The stored lesson notebooks, notebooks/NN_*.ipynb (not their solutions)."""
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def student_copies(out_dir: Path = BUILD / "student") -> list[Path]:
    """Write a copy of every lesson notebook with its outputs and execution counts cleared."""
    config = Config()
    config.ClearOutputPreprocessor.enabled = True  # among the exporter's defaults, off until enabled
    exporter = NotebookExporter(config=config)
    out_dir.mkdir(parents=True, exist_ok=True)
    for nb_path in lessons():
        (out_dir / nb_path.name).write_text(exporter.from_filename(str(nb_path))[0], encoding="utf-8")
    return [out_dir / p.name for p in lessons()]


def _copy_assets(out_dir: Path) -> None:
    """Copy reveal.js and MathJax out of their packages into ``out_dir/_static``."""
    import mathjax  # the django-static-mathjax distribution: MathJax 3 as static files
    import sphinx_revealjs

    reveal_src = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
    target = out_dir / REVEAL_PREFIX
    if not target.exists():
        shutil.copytree(reveal_src, target, ignore=shutil.ignore_patterns("*.map", "*.esm.js"))
    # One self-contained file: TeX input, SVG output, glyphs inside, so no font downloads.
    mathjax_file = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg-full.js"
    (out_dir / "_static" / "mathjax").mkdir(parents=True, exist_ok=True)
    shutil.copy2(mathjax_file, out_dir / MATHJAX_URL)


class FigureOnly(Preprocessor):
    """On a slide, a cell that ends in ``plt.show()`` shows its figure, not its plotting code."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cell.source.rstrip().endswith("plt.show()"):
            cell.metadata["transient"] = {"remove_source": True}  # nbconvert: the output only
        return cell, resources


def slide_exporter() -> SlidesExporter:
    """nbconvert's reveal.js exporter with the offline template."""
    config = Config()
    config.SlidesExporter.reveal_url_prefix = REVEAL_PREFIX
    config.SlidesExporter.mathjax_url = MATHJAX_URL
    config.SlidesExporter.reveal_theme = "white"  # its font ships with reveal.js ("simple" fetches it)
    config.SlidesExporter.extra_template_basedirs = [str(TEMPLATES)]
    config.SlidesExporter.template_name = "offline_reveal"
    config.SlidesExporter.exclude_input_prompt = True  # "In [12]:" costs a tenth of the width
    config.SlidesExporter.exclude_output_prompt = True
    config.SlidesExporter.preprocessors = [FigureOnly]
    return SlidesExporter(config=config)


def slide_decks(out_dir: Path = BUILD / "slides", notebooks: list[Path] | None = None) -> list[Path]:
    """Write a reveal.js deck per notebook (default: every lesson) and the assets beside them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _copy_assets(out_dir)
    exporter = slide_exporter()
    written = {out_dir / f"{p.stem}.slides.html": p for p in (lessons() if notebooks is None else notebooks)}
    for target, nb_path in written.items():
        target.write_text(exporter.from_filename(str(nb_path))[0], encoding="utf-8")
    return list(written)


def find_chromium() -> str | None:
    """The Chromium the browser checks drive: ``$CHROMIUM``, else Debian's ``chromium``."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


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
