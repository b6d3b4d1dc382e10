"""Workshop material made from the stored notebooks, with nbconvert.

    python -m tools.workshop student   # build/student/NN_*.ipynb: no solutions, no outputs
    python -m tools.workshop slides    # build/slides/NN_*.slides.html: reveal.js decks, offline
    python -m tools.workshop fit       # measure every slide of build/slides in headless Chromium

Student copies drop every cell tagged ``solution`` (nbconvert's TagRemovePreprocessor)
and clear all outputs (ClearOutputPreprocessor). Slide decks use nbconvert's reveal.js
exporter with a template that loads reveal.js and MathJax from files copied next to the
decks out of installed packages, so they open in a room with no network.

Decks are laid out to fit a 1280×800 slide (``SlideFitPreprocessor``): setup cells are
left out, a cell that only draws shows its figure without its code, and a sub-slide whose
text, code and output would run off the bottom continues on the next vertical sub-slide
(the output under its code's slide, a long code cell split at a blank line). The content
is still the stored notebook's: nothing is written twice. ``tests/test_workshop.py``
measures every slide in headless Chromium.
"""

from __future__ import annotations

import ast
import contextlib
import copy
import math
import os
import shutil
import struct
import sys
from collections.abc import Iterator
from pathlib import Path

from nbconvert import NotebookExporter, SlidesExporter
from nbconvert.preprocessors import Preprocessor
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


REVEAL_PREFIX, MATHJAX_URL = "_static/reveal.js", "_static/mathjax/tex-svg-full.js"  # relative to a deck


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


# What one slide holds, in the CSS pixels of reveal.js's 1280×800 slide. The line heights
# are those of the template's CSS (tools/templates/offline_reveal/index.html.j2); the
# estimate is checked, slide by slide, by tests/test_workshop.py in Chromium.
SLIDE_WIDTH, SLIDE_HEIGHT = 1280, 800
BUDGET = 700  # height a sub-slide may fill: reveal.js's margins and rounding live in the rest
CONTENT_WIDTH = 1180  # text width inside a slide
CODE_LINE, CODE_CHARS, CODE_PAD = 22, 120, 20  # 16 px monospace, line-height 1.35
TEXT_LINE, TEXT_CHARS = 27, 110  # 20 px prose
HEADING = {1: 70, 2: 60, 3: 44}
IMAGE_MAX_HEIGHT = 600  # the CSS caps a figure's height; wider figures shrink to the width


def _is_setup(cell) -> bool:
    """Imports and seeding only: nothing to see on a slide."""
    try:
        body = ast.parse(cell.source).body
    except SyntaxError:
        return False
    setup_calls = ("torch.manual_seed", "torch.set_printoptions")
    return bool(body) and all(
        isinstance(node, ast.Import | ast.ImportFrom)
        or (isinstance(node, ast.Expr) and ast.unparse(node.value).startswith(setup_calls))
        for node in body
    )


def _draws_only(cell) -> bool:
    """A cell that ends in ``plt.show()``: its figure is the point, its code is plotting."""
    lines = [line for line in cell.source.strip().splitlines() if line.strip()]
    return bool(lines) and lines[-1].strip() == "plt.show()"


def _png_size(b64: str) -> tuple[int, int]:
    import base64

    head = base64.b64decode(b64[:64])  # width and height sit at bytes 16-24 of a PNG
    return struct.unpack(">II", head[16:24])


def _output_height(output) -> int:
    if output.get("output_type") == "stream":
        return _text_lines(output.get("text", ""), CODE_CHARS) * CODE_LINE + CODE_PAD
    data = output.get("data", {})
    if "image/png" in data:
        width, height = _png_size(data["image/png"])
        scale = min(1.0, CONTENT_WIDTH / width, IMAGE_MAX_HEIGHT / height)
        return math.ceil(height * scale) + 10
    if "text/html" in data:
        return 40 * max(1, str(data["text/html"]).count("<tr")) + 20
    if "text/plain" in data and "application/vnd.jupyter.widget-view+json" not in data:
        return _text_lines(data["text/plain"], CODE_CHARS) * CODE_LINE + CODE_PAD
    return 0


def _text_lines(text: str, width: int) -> int:
    return sum(max(1, math.ceil(len(line) / width)) for line in text.rstrip("\n").split("\n"))


def _markdown_height(source: str) -> int:
    height, paragraph = 0, ""
    for line in source.splitlines() + [""]:
        stripped = line.strip()
        level = len(stripped) - len(stripped.lstrip("#"))
        if stripped.startswith("#") and stripped[level : level + 1] == " ":
            height += HEADING.get(level, 40)
            continue
        if stripped.startswith(("- ", "* ", "|")) or (stripped[:1].isdigit() and stripped[1:3] == ". "):
            height += _text_lines(paragraph, TEXT_CHARS) * TEXT_LINE if paragraph else 0
            paragraph = stripped
            continue
        if not stripped:
            if paragraph:
                height += _text_lines(paragraph, TEXT_CHARS) * TEXT_LINE + 12
            paragraph = ""
            continue
        paragraph = f"{paragraph} {stripped}" if paragraph else stripped
    return height


def _code_height(source: str) -> int:
    return _text_lines(source, CODE_CHARS) * CODE_LINE + CODE_PAD


def _split_source(source: str, budget: int) -> list[str]:
    """Cut a long cell's code at blank lines (else between lines) into pieces that fit."""
    lines, pieces, current = source.splitlines(), [], []
    max_lines = max(1, (budget - CODE_PAD) // CODE_LINE)
    for i, line in enumerate(lines):
        current.append(line)
        rest_fits = len(lines) - i - 1 <= max_lines and not pieces and len(current) <= max_lines
        if len(current) >= max_lines or (
            not line.strip() and len(current) > max_lines // 2 and not rest_fits
        ):
            pieces.append("\n".join(current).strip("\n"))
            current = []
    if current:
        pieces.append("\n".join(current).strip("\n"))
    return [p for p in pieces if p]


def _split_output(output, budget: int) -> list:
    """A printed output too long for one slide, cut into runs of lines that fit."""
    if output.get("output_type") != "stream" or _output_height(output) <= budget:
        return [output]
    lines = output["text"].splitlines(keepends=True)
    per_slide = max(1, (budget - CODE_PAD) // CODE_LINE)
    parts = []
    for start in range(0, len(lines), per_slide):
        part = copy.deepcopy(output)
        part["text"] = "".join(lines[start : start + per_slide])
        parts.append(part)
    return parts


class SlideFitPreprocessor(Preprocessor):
    """Lay the cells out so that every sub-slide fits a 1280×800 slide.

    Works on the deck's copy of the notebook only; the stored notebook is not changed.
    """

    def preprocess(self, nb, resources):
        cells = []
        for cell in nb.cells:
            kind = cell.metadata.get("slideshow", {}).get("slide_type", "-")
            if kind == "skip" or (cell.cell_type == "code" and _is_setup(cell)):
                continue
            cells.extend(self._pieces(cell))
        page = 0
        for piece, height in cells:
            kind = piece.metadata["slideshow"]["slide_type"]
            if kind in ("slide", "subslide"):
                page = 0
            elif page and page + height > BUDGET:
                piece.metadata["slideshow"]["slide_type"] = "subslide"  # continue below
                page = 0
            page += height
        nb.cells = [piece for piece, _ in cells]
        return nb, resources

    def _pieces(self, cell) -> list[tuple[object, int]]:
        """The cell as (cell, estimated height) pieces: its code in one or more pieces, then
        one piece per output. The first piece keeps the cell's slide type; the packing in
        ``preprocess`` decides where a continuation sub-slide starts."""
        cell = copy.deepcopy(cell)
        kind = cell.metadata.setdefault("slideshow", {}).setdefault("slide_type", "-")
        if cell.cell_type != "code":
            return [(cell, _markdown_height(cell.source))]
        pieces = []
        if not _draws_only(cell):
            for j, source in enumerate(_split_source(cell.source, BUDGET)):
                part = copy.deepcopy(cell)
                part.source, part.outputs, part.id = source, [], f"{cell.id}-code{j}"
                part.metadata["slideshow"]["slide_type"] = "subslide" if j else kind
                pieces.append((part, _code_height(source)))
        for output in (part for o in cell.outputs for part in _split_output(o, BUDGET)):
            height = _output_height(output)
            if height == 0:
                continue
            part = copy.deepcopy(cell)
            part.outputs, part.id = [output], f"{cell.id}-out{len(pieces)}"
            part.metadata["transient"] = {"remove_source": True}  # nbconvert: show the output only
            part.metadata["slideshow"]["slide_type"] = "-" if pieces else kind
            pieces.append((part, height))
        return pieces


def slide_exporter(fit: bool = True) -> SlidesExporter:
    """nbconvert's reveal.js exporter with the offline template (and, by default, the layout)."""
    config = Config()
    config.SlidesExporter.reveal_url_prefix = REVEAL_PREFIX
    config.SlidesExporter.mathjax_url = MATHJAX_URL
    config.SlidesExporter.reveal_theme = (
        "white"  # its font ships with reveal.js ("simple" fetches Google Fonts)
    )
    config.SlidesExporter.extra_template_basedirs = [str(TEMPLATES)]
    config.SlidesExporter.template_name = "offline_reveal"
    config.SlidesExporter.exclude_input_prompt = True  # "In [12]:" costs a tenth of the width
    config.SlidesExporter.exclude_output_prompt = True
    config.SlidesExporter.preprocessors = [SlideFitPreprocessor] if fit else []
    return SlidesExporter(config=config)


def slide_decks(out_dir: Path = BUILD / "slides", notebooks: list[Path] | None = None) -> list[Path]:
    """Write a reveal.js deck per notebook (default: every stored one) and the assets beside them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    _copy_assets(out_dir)
    exporter = slide_exporter()
    written = []
    for nb_path in stored_notebooks() if notebooks is None else notebooks:
        body, _ = exporter.from_filename(str(nb_path))
        target = out_dir / f"{nb_path.stem}.slides.html"
        target.write_text(body, encoding="utf-8")
        written.append(target)
    return written


# Run in the deck's page: visit every slide and measure it (CSS pixels of the slide, before
# reveal.js scales it to the window). "clipped" counts boxes whose content is cut off or
# scrolls (a code line past the right edge); MathJax's screen-reader copy is hidden by design.
MEASURE_SLIDES_JS = """() => {
  const out = [];
  Reveal.getHorizontalSlides().forEach((h, i) => {
    const vertical = Array.from(h.querySelectorAll(':scope > section'));
    (vertical.length ? vertical : [h]).forEach((s, j) => {
      Reveal.slide(i, j);
      const clipped = Array.from(s.querySelectorAll('*:not(mjx-assistive-mml)')).filter(e => {
        const cs = getComputedStyle(e);
        return (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') &&
          (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1);
      }).length;
      const text = s.innerText.trim().split('\\n')[0].slice(0, 60);
      out.push({h: i, v: j, height: s.scrollHeight, width: s.scrollWidth, clipped, text});
    });
  });
  return out;
}"""


def find_chromium() -> str | None:
    """The Chromium the browser checks drive: ``$CHROMIUM``, else Debian's ``chromium``."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def overflowing(slides: list[dict]) -> list[dict]:
    """The measured slides whose content is taller or wider than the slide, or cut off."""
    return [s for s in slides if s["height"] > SLIDE_HEIGHT or s["width"] > SLIDE_WIDTH or s["clipped"]]


def measure_open_deck(page) -> list[dict]:
    """Measure every slide of the deck open in playwright ``page``, once it and MathJax are ready."""
    page.wait_for_function("window.Reveal && Reveal.isReady()", timeout=15_000)
    page.evaluate("MathJax.startup.promise")  # typeset first: formulas change heights
    return page.evaluate(MEASURE_SLIDES_JS)


@contextlib.contextmanager
def serve_folder(directory: Path) -> Iterator[str]:
    """Serve ``directory`` over HTTP on a free local port, quietly; yields its base URL."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(directory))
    )
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


def measure_decks(deck_dir: Path = BUILD / "slides", browser=None) -> dict[str, list[dict]]:
    """Open every deck in ``deck_dir`` in headless Chromium and measure every slide.

    ``browser``: a playwright Browser to use (a test's); by default one is started here.
    """
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            own = p.chromium.launch(executable_path=find_chromium(), args=["--no-sandbox", "--disable-gpu"])
            try:
                return measure_decks(deck_dir, own)
            finally:
                own.close()
    measured = {}
    with serve_folder(deck_dir) as url:
        for deck in sorted(Path(deck_dir).glob("*.slides.html")):
            page = browser.new_page(viewport={"width": SLIDE_WIDTH, "height": SLIDE_HEIGHT})
            page.goto(f"{url}/{deck.name}", wait_until="networkidle")
            measured[deck.name] = measure_open_deck(page)
            page.close()
    return measured


def report_fit(deck_dir: Path = BUILD / "slides") -> int:
    """Print, per deck, how many slides are taller or wider than 1280×800 or cut off."""
    total = bad = 0
    for name, slides in measure_decks(Path(deck_dir)).items():
        over = overflowing(slides)
        taller = sum(s["height"] > SLIDE_HEIGHT for s in slides)
        wider = sum(s["width"] > SLIDE_WIDTH for s in slides)
        cut = sum(bool(s["clipped"]) for s in slides)
        tallest = max(s["height"] for s in slides)
        print(
            f"{name:40s} {len(slides):3d} slides: {taller} taller, {wider} wider, {cut} cut off; tallest {tallest} px"
        )
        total, bad = total + len(slides), bad + len(over)
    print(f"{bad} of {total} slides do not fit {SLIDE_WIDTH}×{SLIDE_HEIGHT}")
    return 1 if bad else 0


def main(argv: list[str]) -> int:
    commands = {"student": student_copies, "slides": slide_decks}
    if argv[:1] == ["fit"] and len(argv) <= 2:
        return report_fit(*[Path(a) for a in argv[1:]])
    if len(argv) != 1 or argv[0] not in commands:
        print(f"usage: python -m tools.workshop {{{'|'.join(commands)}|fit [DECK_DIR]}}", file=sys.stderr)
        return 2
    for path in commands[argv[0]]():
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
