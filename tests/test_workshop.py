"""Workshop kit: slide decks render offline and fit their slides (student copies: test_student_copies.py)."""

import functools
import json
import subprocess

import nbformat
import pytest

from tools.build_notebooks import NOTEBOOKS
from tools.test_cache import SKIP_REASON, inputs_key, passed_before, record_pass
from tools.workshop import (
    SLIDE_HEIGHT,
    SLIDE_WIDTH,
    find_chromium,
    measure_decks,
    measure_open_deck,
    overflowing,
    serve_folder,
    slide_decks,
    slide_exporter,
    stored_notebooks,
)

NAMES = [p.stem for p in stored_notebooks()]
CHROMIUM = find_chromium()


@pytest.fixture(scope="module")
def slides_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    slide_decks(out)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_slide_deck_is_self_contained(name, slides_dir):
    html = (slides_dir / f"{name}.slides.html").read_text(encoding="utf-8")
    assert html.count("<section") >= 5
    for remote in ('src="http', "src='http", 'href="http://', "unpkg.com", "cdnjs", "cdn.jsdelivr"):
        assert remote not in html, f"{name} deck loads {remote!r} from the network"
    assert (slides_dir / "_static/reveal.js/dist/reveal.js").is_file()
    assert (slides_dir / "_static/mathjax/tex-svg-full.js").is_file()


def html_of(name):
    return "".join(
        "".join(c["source"])
        for c in json.loads((NOTEBOOKS / f"{name}.ipynb").read_text(encoding="utf-8"))["cells"]
    )


@pytest.fixture(scope="module")
def server(slides_dir):
    with serve_folder(slides_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    flags += ["--disable-sync", "--no-first-run", "--disable-quic"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=flags)
        yield browser
        browser.close()


@functools.cache
def chromium_version() -> str:
    return subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()


@pytest.mark.parametrize("name", NAMES)
def test_slide_deck_renders_offline_and_every_slide_fits_1280_by_800(name, slides_dir, request):
    if CHROMIUM is None:
        pytest.skip("no Chromium on this machine (.ci/run installs Debian's chromium package)")
    key = inputs_key((slides_dir / f"{name}.slides.html").read_bytes(), chromium_version())
    if passed_before(f"deck-{name}", key):
        pytest.skip(SKIP_REASON)
    browser, server = request.getfixturevalue("browser"), request.getfixturevalue("server")
    page = browser.new_page(viewport={"width": SLIDE_WIDTH, "height": SLIDE_HEIGHT})
    failed = []  # network requests only: an about:blank frame that reveal.js opens is no download
    page.on("requestfailed", lambda r: r.url.startswith("about:") or failed.append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} {r.status}"))
    page.goto(f"{server}/{name}.slides.html", wait_until="networkidle")
    slides = measure_open_deck(page)  # waits for reveal.js and MathJax
    assert page.evaluate("Reveal.getTotalSlides()") == len(slides) >= 5
    has_tex = "$" in html_of(name)
    assert not has_tex or page.evaluate("document.querySelectorAll('mjx-container svg').length") > 0
    assert page.evaluate("document.querySelectorAll('.reveal .slides section img').length") >= 1
    assert failed == [], f"failed requests: {failed}"
    page.close()
    too_big = [
        f"slide {s['h']}/{s['v']} ({s['text']!r}): {s['width']}×{s['height']} px, {s['clipped']} cut-off boxes"
        for s in overflowing(slides)
    ]
    assert too_big == [], f"{name}: content larger than {SLIDE_WIDTH}×{SLIDE_HEIGHT}:\n" + "\n".join(too_big)
    record_pass(f"deck-{name}", key)


def test_the_fit_check_sees_an_overflowing_slide_and_the_layout_fixes_it(tmp_path, browser):
    """A slide with 60 lines of output is reported as too tall; laid out, it fits on three."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A deck"), nbformat.v4.new_markdown_cell("## Long")]
    long = nbformat.v4.new_code_cell("print(1)")
    long.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a line\n" * 60)]
    nb.cells.append(long)
    for cell in nb.cells:
        cell.metadata["slideshow"] = {"slide_type": "slide" if cell.cell_type == "markdown" else "-"}
    slide_decks(tmp_path, notebooks=[])  # only the assets next to the decks
    for name, fit in (("raw", False), ("laid_out", True)):
        html, _ = slide_exporter(fit=fit).from_notebook_node(nb)
        (tmp_path / f"{name}.slides.html").write_text(html, encoding="utf-8")
    measured = measure_decks(tmp_path, browser)
    assert [s["h"] for s in overflowing(measured["raw.slides.html"])] == [1]
    laid_out = measured["laid_out.slides.html"]
    assert overflowing(laid_out) == [] and len(laid_out) > len(measured["raw.slides.html"])
