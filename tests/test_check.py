"""The slow checks, `make check` (pytest -m check): what a learner and an instructor do.

Student copies run top to bottom; every slide fits 1280×800 in headless Chromium; Restart
Kernel and Run All in a real JupyterLab shows no error and nothing on stderr; every cell run
twice in a row prints the same. The browser checks skip, saying why, where there is no
Chromium (Debian's ``chromium``; ``$CHROMIUM`` names another).
"""

import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import nbformat
import pytest
from nbclient import NotebookClient

from tools.build_notebooks import EXECUTION_ENV, NOTEBOOKS, ROOT, execute
from tools.workshop import find_chromium, lessons, slide_decks, student_copies

pytestmark = pytest.mark.check
LESSONS = lessons()
EVERY_NOTEBOOK = LESSONS + sorted((NOTEBOOKS / "solutions").glob("*.ipynb"))
CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium: apt-get install chromium")
MIN_ZOOM = 0.6  # a slide the template must zoom out further is too full to read: split it


def name(path):
    return str(path.relative_to(NOTEBOOKS).with_suffix(""))


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield browser
        browser.close()


@pytest.mark.parametrize("path", LESSONS, ids=name)
def test_student_copy_runs_top_to_bottom(path, tmp_path):
    copy = next(p for p in student_copies(tmp_path) if p.name == path.name)
    execute(nbformat.read(copy, as_version=4), cwd=NOTEBOOKS)  # raises at the first failing cell


# Visit every slide (the template fits each when shown) and measure it in the slide's CSS pixels.
# "clipped" counts boxes whose content is cut off or scrolls; MathJax's screen-reader copy is hidden by design.
MEASURE_SLIDES_JS = """() => Reveal.getHorizontalSlides().flatMap((h, i) => {
  const vertical = Array.from(h.querySelectorAll(':scope > section'));
  return (vertical.length ? vertical : [h]).map((s, j) => {
    Reveal.slide(i, j);
    const clipped = Array.from(s.querySelectorAll('*:not(mjx-assistive-mml)')).filter(e => {
      const cs = getComputedStyle(e);
      return (cs.overflowX !== 'visible' || cs.overflowY !== 'visible') &&
        (e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1);
    }).length;
    const text = s.innerText.trim().split('\\n')[0].slice(0, 60);
    return {slide: `${i}/${j}`, height: s.scrollHeight, width: s.scrollWidth, clipped, zoom: +s.dataset.zoom, text};
  });
})"""


@needs_chromium
@pytest.mark.parametrize("path", LESSONS, ids=name)
def test_every_slide_fits_1280_by_800_offline(path, browser, tmp_path):
    [deck] = slide_decks(tmp_path, [path])
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    remote = []
    page.route(re.compile(r"^https?://"), lambda route: remote.append(route.request.url) or route.abort())
    page.goto(deck.as_uri())
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    page.evaluate("MathJax.startup.promise")  # formulas typeset: they change heights
    slides = page.evaluate(MEASURE_SLIDES_JS)
    page.close()
    assert remote == [] and len(slides) >= 5
    too_big = [
        s for s in slides if s["height"] > 800 or s["width"] > 1280 or s["clipped"] or s["zoom"] < MIN_ZOOM
    ]
    assert too_big == []


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """`jupyter lab` on a copy of notebooks/ (benchmarks/ beside it, as notebooks expect); its URL and token."""
    work = tmp_path_factory.mktemp("lab")
    shutil.copytree(NOTEBOOKS, work / "notebooks", ignore=shutil.ignore_patterns("src"))
    (work / "benchmarks").symlink_to(ROOT / "benchmarks")
    for path in (work / "notebooks").rglob("*.ipynb"):  # no stored counts: a count shows that a cell ran
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            cell.outputs, cell.execution_count = [], None
        nbformat.write(nb, path)
    tracker = work / "settings" / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))  # every cell stays in the page
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
    token = secrets.token_hex(16)
    env = os.environ | EXECUTION_ENV | {"JUPYTERLAB_SETTINGS_DIR": str(work / "settings")}
    env["JUPYTERLAB_WORKSPACES_DIR"] = str(work / "workspaces")
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1"]
    command += [f"--ServerApp.port={url.rsplit(':', 1)[1]}", "--ServerApp.port_retries=0"]
    command += [f"--IdentityProvider.token={token}"]
    command += ["--allow-root"] if os.getuid() == 0 else []
    log = open(work / "jupyterlab.log", "w")
    server = subprocess.Popen(command, cwd=work / "notebooks", env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and server.poll() is None:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2).close()
            break
        except OSError:
            time.sleep(0.5)
    else:
        pytest.fail(f"jupyter lab did not start: see {work / 'jupyterlab.log'}")
    yield url, token
    server.terminate()  # it shuts its kernels down
    server.wait(timeout=30)
    log.close()


def shut_down_kernels(url, token):
    headers = {"Authorization": f"token {token}"}
    with urllib.request.urlopen(urllib.request.Request(f"{url}/api/sessions", headers=headers)) as reply:
        sessions = json.load(reply)
    for session in sessions:
        request = urllib.request.Request(
            f"{url}/api/sessions/{session['id']}", method="DELETE", headers=headers
        )
        urllib.request.urlopen(request).close()


STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'  # tracebacks too
PROMPTS = (
    "[...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent)"
)
# Run All is over when no prompt shows [*] and every code cell has a count, or an error stopped it.
RUN_ALL_OVER_JS = f"""() => {{
  const prompts = {PROMPTS};
  return prompts.length > 0 && !prompts.some(p => p.includes('*'))
    && (prompts.every(p => /\\d/.test(p)) || document.querySelector('{STDERR}') !== null);
}}"""
PROBLEMS_JS = f"""() => [...document.querySelectorAll('.jp-Notebook .jp-CodeCell')].flatMap((cell, i) => [
  ...[...cell.querySelectorAll('{STDERR}')].map(o => `code cell ${{i}} shows: ${{o.textContent.slice(0, 300)}}`),
  ...(/\\d/.test(cell.querySelector('.jp-InputPrompt').textContent) ? [] : [`code cell ${{i}} did not run`])])"""


@needs_chromium
@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=name)
def test_restart_and_run_all_in_jupyterlab(path, lab, browser):
    url, token = lab
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(120_000)  # a kernel starts slowly on busy cores
    try:
        page.goto(f"{url}/lab/tree/{path.relative_to(NOTEBOOKS).as_posix()}?reset&token={token}")
        page.locator("#jp-main-statusbar", has_text="| Idle").wait_for()  # the kernel is up
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Kernel$")).click()
        page.locator(".lm-Menu-item", has_text="Restart Kernel and Run All Cells").click()
        page.locator(".jp-Dialog button.jp-mod-accept").click()  # "Restart"
        page.wait_for_function(RUN_ALL_OVER_JS, timeout=900_000, polling=1000)
        assert page.evaluate(PROBLEMS_JS) == []
    finally:
        page.close()
        shut_down_kernels(url, token)


SANITIZE = re.findall(
    r"^regex: (.*)\nreplace: (.*)$", (ROOT / "nbval_sanitize.cfg").read_text(), re.MULTILINE
)


def printed(outputs) -> str:
    """What nbval compares, sanitized the same way: streams (joined per stream) and text/plain."""
    streams = sorted((o for o in outputs if o.output_type == "stream"), key=lambda o: o.name)
    text = "".join(o.text for o in streams) + "".join(
        o.get("data", {}).get("text/plain", "") for o in outputs
    )
    for pattern, replacement in SANITIZE:
        text = re.sub(pattern, replacement, text)
    return text


@pytest.mark.parametrize("path", EVERY_NOTEBOOK, ids=name)
def test_every_cell_run_twice_prints_the_same(path):
    """A learner presses Shift-Enter on a cell again: no error, and the same printed output."""
    os.environ.update(EXECUTION_ENV)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    changed = []
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                first = printed(client.execute_cell(cell, index).outputs)  # raises on an error
                second = printed(client.execute_cell(cell, index).outputs)
                if first != second and "# NBVAL_IGNORE_OUTPUT" not in cell.source:
                    changed.append(f"cell {index}: {first!r} -> {second!r}")
    assert changed == []
