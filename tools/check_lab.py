"""Check in a real JupyterLab, driven by headless Chromium, that Run All gives no answer away.

For each notebook: copy it into a scratch folder, open it in JupyterLab, do what a learner
does (the menu Run > "Restart Kernel and Run All Cells…", accept the dialog), wait until
every cell has run, then read from the page what a learner sees of every cell tagged
``solution``: its code must be collapsed and its output must show nothing but the
``<summary>`` line of a closed ``<details>`` box (no other visible text, no visible
figure). The same is checked right after the notebook opens, before anything runs. No
cell may show a traceback. Finally one summary is clicked and the answer must become
visible, so the check is known to see an answer that is there.

    python -m tools.check_lab            # every notebooks/NN_*.ipynb
    python -m tools.check_lab 01 03      # only those whose names start so
    python -m tools.check_lab --keep 01  # keep the scratch folder and the server log

Prints one verdict per notebook and per solution cell, with where the time went (opening,
Run All, seconds in the kernel and the slowest cell, from JupyterLab's recordTiming, and
the checks); exits 1 on any failure. Screenshots
of the first solution cell after Run All and of the opened answer go to build/lab_check/,
with the server's log (jupyterlab.log).

How: ``python -m jupyterlab`` on a free local port, no token, no password, rooted in a
scratch folder under build/lab_check/ that holds copies of the notebooks (the repository's
own files are never opened, so Run All and saving cannot touch them; autosave is off as
well). The copies keep their stored outputs but lose their execution counts, so "every code
cell has a count again" means the Run All really went through. Kernels get the build's
environment (``tools.build_notebooks.EXECUTION_ENV``) and the repository on PYTHONPATH;
notebooks find data and checkpoints through the installed package, not the working folder.
JupyterLab's user settings, workspaces, config and data folders are scratch folders too:
windowing is off (``windowingMode: none``, every cell stays in the page, none is skipped
by content-visibility), news and update checks are off, and the browser may only reach
the local server.

Needs Chromium (Debian's ``chromium``; ``$CHROMIUM`` names another binary) and the
``playwright`` package (its bundled browsers are not used).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tools.build_notebooks import EXECUTION_ENV, NOTEBOOKS, ROOT
from tools.workshop import find_chromium

OUT = ROOT / "build" / "lab_check"
SOLUTION_TAG = "solution"
RUN_ALL_LABEL = "Restart Kernel and Run All Cells"  # the menu item's label, before its "…"
DEFAULT_TIMEOUT = 600.0  # seconds per notebook for Run All (06: ~35 s alone, 270 s on a busy 2-core machine)

# JupyterLab user settings (JUPYTERLAB_SETTINGS_DIR): plugin id -> settings.
SETTINGS = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none", "recordTiming": True},
    "@jupyterlab/docmanager-extension:plugin": {"autosave": False},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# What the page tells about the open notebook (window.jupyterapp, exposed by the server flag).
_STATE_JS = """() => {
  const app = window.jupyterapp;
  const panel = app && app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext || !panel.context) return null;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const code = panel.content.widgets.filter(c => c.model.type === 'code');
  const errors = [];
  panel.content.widgets.forEach((c, i) => {
    if (c.model.type !== 'code') return;
    const outs = c.model.outputs;
    for (let j = 0; j < outs.length; j++) {
      const o = outs.get(j);
      if (o.type === 'error') { const e = o.toJSON(); errors.push([i, e.ename + ': ' + e.evalue, c.model.executionCount !== null]); }
    }
  });
  return {
    ready: panel.context.isReady && panel.sessionContext.isReady,
    kernel: kernel ? kernel.status : null,
    cells: panel.content.widgets.length,
    domCells: panel.content.node.querySelectorAll('.jp-Cell').length,
    windowing: panel.content.notebookConfig ? panel.content.notebookConfig.windowingMode : null,
    code: code.length,
    counted: code.filter(c => c.model.executionCount !== null).length,
    running: code.filter(c => (c.model.executionState === 'running') || /\\*/.test(c.promptNode ? c.promptNode.textContent : '')).length,
    errors,
  };
}"""

# What a learner sees of one cell: is its code collapsed, what text and pictures of its output
# are visible. Visible = Element.checkVisibility() (display, visibility, opacity, and the
# content-visibility that hides a closed <details>' content) and a box of non-zero size.
_SEEN_JS = """(cell) => {
  const visible = (el) => {
    if (!el || !el.checkVisibility({opacityProperty: true, visibilityProperty: true})) return false;
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0;
  };
  const editor = cell.querySelector('.jp-InputArea-editor');
  const placeholder = cell.querySelector('.jp-InputPlaceholder');
  const outputArea = cell.querySelector('.jp-Cell-outputArea, .jp-OutputArea');
  const outPlaceholder = cell.querySelector('.jp-OutputPlaceholder');
  const seen = {
    editorVisible: visible(editor),
    inputPlaceholderVisible: visible(placeholder),
    inputPlaceholderText: placeholder ? placeholder.innerText.replace(/\\s+/g, ' ').trim() : '',
    outputAreaVisible: visible(outputArea),
    outputPlaceholderVisible: visible(outPlaceholder),
    outputs: cell.querySelectorAll('.jp-OutputArea-output').length,
    summaries: [], closedSummaries: 0, openDetails: 0, leaks: [], media: [],
  };
  for (const out of cell.querySelectorAll('.jp-OutputArea-output')) {
    const walker = document.createTreeWalker(out, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const text = node.nodeValue.replace(/\\s+/g, ' ').trim();
      if (!text || !visible(node.parentElement)) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      if (![...range.getClientRects()].some(r => r.width > 0 && r.height > 0)) continue;
      const summary = node.parentElement.closest('summary');
      const details = summary && summary.parentElement;
      if (details && details.tagName === 'DETAILS' && !details.open) seen.summaries.push(text);
      else seen.leaks.push(text.slice(0, 100));
    }
    for (const m of out.querySelectorAll('img, svg, canvas, video, iframe, object'))
      if (visible(m)) seen.media.push(m.tagName.toLowerCase() + (m.alt ? ' "' + m.alt + '"' : ''));
    for (const d of out.querySelectorAll('details')) {
      if (d.open && visible(d)) seen.openDetails++;
      if (!d.open && visible(d.querySelector(':scope > summary'))) seen.closedSummaries++;
    }
  }
  return seen;
}"""

# Seconds each code cell ran in the kernel (recordTiming puts the times in its metadata).
_TIMING_JS = """() => window.jupyterapp.shell.currentWidget.content.widgets.map((c, i) => {
  const t = c.model.type === 'code' && c.model.getMetadata('execution');
  if (!t || !t['iopub.execute_input'] || !t['shell.execute_reply']) return [i, null];
  return [i, (Date.parse(t['shell.execute_reply']) - Date.parse(t['iopub.execute_input'])) / 1000];
})"""

_TRACEBACKS_JS = """() => {
  const found = [];
  document.querySelectorAll('.jp-Notebook .jp-Cell').forEach((cell, i) => {
    for (const o of cell.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')) {
      const text = o.textContent;
      if (/Traceback/.test(text)) {
        const line = text.split('\\n').find(l => /(Error|Exception)\\b/.test(l)) || text.split('\\n')[0];
        found.push([i, line.trim().slice(0, 160)]);
      }
    }
  });
  return found;
}"""


@dataclass
class CellResult:
    index: int
    first_line: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


@dataclass
class NotebookResult:
    name: str
    seconds: float = 0.0
    run_all_via: str = ""
    cells: list[CellResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the notebook as a whole
    screenshots: list[Path] = field(default_factory=list)
    phases: dict[str, float] = field(default_factory=dict)  # seconds: open, run all, checks

    @property
    def passed(self) -> bool:
        return not self.problems and all(c.passed for c in self.cells)

    def report(self) -> str:
        ok = sum(c.passed for c in self.cells)
        head = (
            f"{self.name:32s} {'OK  ' if self.passed else 'FAIL'} {len(self.cells)} solution cell(s): "
            f"{ok} passed, {len(self.cells) - ok} failed; {self.seconds:5.1f} s"
            + (
                " (" + ", ".join(f"{k} {v:.1f} s" for k, v in self.phases.items()) + ")"
                if self.phases
                else ""
            )
        )
        lines = [head]
        if self.run_all_via:
            lines.append(f"    Run All via {self.run_all_via}")
        lines += [f"    notebook: {p}" for p in self.problems]
        for c in self.cells:
            lines.append(f"    cell {c.index:3d} {'ok  ' if c.passed else 'FAIL'} {c.first_line}")
            lines += [f"             - {p}" for p in c.problems]
            lines += [f"               ({n})" for n in c.notes]
        lines += [f"    screenshot: {_shown_path(p)}" for p in self.screenshots]
        return "\n".join(lines)


def _shown_path(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _judge(seen: dict, when: str) -> tuple[list[str], list[str]]:
    """Problems and notes for one solution cell from what _SEEN_JS found."""
    problems, notes = [], []
    if seen["editorVisible"]:
        problems.append(f"{when}: its code is visible (the input is not collapsed)")
    elif not seen["inputPlaceholderVisible"]:
        problems.append(f"{when}: no collapsed-input placeholder is shown")
    if seen["leaks"]:
        shown = "; ".join(repr(t) for t in seen["leaks"][:3])
        problems.append(f"{when}: its output shows text besides a closed box's summary: {shown}")
    if seen["media"]:
        problems.append(
            f"{when}: its output shows {len(seen['media'])} picture(s): {', '.join(seen['media'][:3])}"
        )
    if seen["openDetails"]:
        problems.append(f"{when}: an answer box is open")
    if when == "after Run All" and seen["inputPlaceholderVisible"]:
        notes.append(f"collapsed code shows {seen['inputPlaceholderText']!r}")
    if seen["outputs"] == 0:
        notes.append(f"{when}: no output")
    elif not seen["outputAreaVisible"]:
        notes.append(
            f"{when}: output collapsed" + (" (placeholder shown)" if seen["outputPlaceholderVisible"] else "")
        )
    elif seen["summaries"]:
        notes.append(f"{when}: output shows only {' / '.join(dict.fromkeys(seen['summaries']))!r}")
    return problems, notes


class Lab:
    """A JupyterLab server on scratch copies and a headless Chromium: ``with Lab() as lab: lab.check(path)``."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT, keep: bool = False, out: Path = OUT):
        self.timeout = timeout
        self.keep = keep
        self.out = out
        self._stack = contextlib.ExitStack()

    # -- setup ---------------------------------------------------------------------------------
    def __enter__(self) -> Lab:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def _start(self) -> None:
        chromium = find_chromium()
        if not chromium:
            raise RuntimeError("no Chromium found: install Debian's chromium package or set $CHROMIUM")
        self.out.mkdir(parents=True, exist_ok=True)
        self.work = Path(tempfile.mkdtemp(prefix="work-", dir=self.out))
        if not self.keep:
            self._stack.callback(shutil.rmtree, self.work, ignore_errors=True)
        self.notebooks = self.work / "notebooks"
        self.notebooks.mkdir()
        home = self.work / "jupyter"
        dirs = {name: home / name for name in ("settings", "workspaces", "config", "data", "runtime")}
        for d in dirs.values():
            d.mkdir(parents=True)
        for plugin, values in SETTINGS.items():
            package, name = plugin.split(":")
            path = dirs["settings"] / package / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values, indent=2), encoding="utf-8")

        env = dict(os.environ) | EXECUTION_ENV
        env.pop("MPLBACKEND", None)  # the kernel's inline backend, as in the build
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
        env |= {
            "JUPYTERLAB_SETTINGS_DIR": str(dirs["settings"]),
            "JUPYTERLAB_WORKSPACES_DIR": str(dirs["workspaces"]),
            "JUPYTER_CONFIG_DIR": str(dirs["config"]),
            "JUPYTER_DATA_DIR": str(dirs["data"]),  # no user kernelspec shadows this Python's python3
            "JUPYTER_RUNTIME_DIR": str(dirs["runtime"]),
        }
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.token=",
            "--ServerApp.password=",
            f"--ServerApp.root_dir={self.notebooks}",
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: to wait on kernel and cells
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
        if hasattr(os, "getuid") and os.getuid() == 0:
            command.append("--allow-root")
        self.log_path = self.out / "jupyterlab.log"
        log = self._stack.enter_context(open(self.log_path, "w", encoding="utf-8"))
        server = subprocess.Popen(command, cwd=self.notebooks, env=env, stdout=log, stderr=subprocess.STDOUT)
        self._stack.callback(self._stop, server)
        self._wait_for_server(server)

        from playwright.sync_api import sync_playwright

        pw = self._stack.enter_context(sync_playwright())
        self.browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        self._stack.callback(self.browser.close)

    def _wait_for_server(self, server: subprocess.Popen, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {server.returncode}: see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.base}/api/status", timeout=2) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(
            f"jupyter lab did not answer on {self.base} within {timeout:.0f} s: see {self.log_path}"
        )

    @staticmethod
    def _stop(server: subprocess.Popen) -> None:
        server.terminate()  # SIGTERM: the server shuts its kernels down
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()

    # -- one notebook --------------------------------------------------------------------------
    def check(self, path: Path) -> NotebookResult:
        """Open a copy of ``path``, Restart Kernel and Run All, and judge its solution cells."""
        import nbformat

        start = time.perf_counter()
        result = NotebookResult(path.stem)
        for old in self.out.glob(f"{path.stem}-*.png"):  # no stale screenshot from an earlier run
            old.unlink()
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception as error:  # e.g. a notebook being rewritten right now
            result.problems.append(f"cannot read {path.name}: {type(error).__name__}: {error}")
            return result
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.execution_count = None  # outputs stay: the notebook opens as stored, counts aside
        nbformat.write(nb, self.notebooks / path.name)
        solutions = [i for i, c in enumerate(nb.cells) if SOLUTION_TAG in c.metadata.get("tags", [])]
        result.cells = [CellResult(i, _first_line(nb.cells[i].source)) for i in solutions]
        if not solutions:
            result.problems.append("no cell is tagged 'solution'")

        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        offsite: list[str] = []

        def route(r):
            if r.request.url.startswith((self.base, "data:", "blob:", "about:")):
                r.continue_()
            else:
                offsite.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.set_default_timeout(30_000)
        try:
            self._run(page, path.name, nb, result)
        except Exception as error:  # a timeout or a page that never loaded: one failure, not a crash
            result.problems.append(f"{type(error).__name__}: {str(error).splitlines()[0]}")
            with contextlib.suppress(Exception):
                shot = self.out / f"{path.stem}-error.png"
                page.screenshot(path=str(shot))
                result.screenshots.append(shot)
        finally:
            with contextlib.suppress(Exception):
                page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
            context.close()
        if offsite:
            result.problems.append(
                f"the page tried to reach {len(offsite)} address(es) off this machine: {offsite[:3]}"
            )
        result.seconds = time.perf_counter() - start
        return result

    def _state(self, page) -> dict | None:
        return page.evaluate(_STATE_JS)

    def _wait(self, page, ready, timeout: float, what: str, poll: float = 0.5) -> dict:
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self._state(page)
            if state and ready(state):
                return state
            page.wait_for_timeout(poll * 1000)
        raise TimeoutError(f"{what} did not happen within {timeout:.0f} s (last state: {state})")

    def _run(self, page, filename: str, nb, result: NotebookResult) -> None:
        clock = time.perf_counter()
        page.goto(f"{self.base}/lab/tree/{filename}?reset", wait_until="domcontentloaded")
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell.currentWidget", timeout=90_000
        )
        state = self._wait(
            page,
            lambda s: s["ready"] and s["kernel"] == "idle" and s["domCells"] == s["cells"] == len(nb.cells),
            90,
            "opening the notebook with an idle kernel and every cell in the page",
        )
        if state["windowing"] != "none":
            result.problems.append(
                f"windowingMode is {state['windowing']!r}, not 'none': cells may be left out"
            )
        cells = page.locator(".jp-Notebook .jp-Cell")
        for cell in result.cells:
            problems, _ = _judge(cells.nth(cell.index).evaluate(_SEEN_JS), "on open")
            cell.problems += problems

        result.phases["open"] = time.perf_counter() - clock
        clock = time.perf_counter()
        result.run_all_via, dialog = self._restart_and_run_all(page)
        if dialog:
            result.run_all_via += f' (dialog "{dialog}" accepted)'
        # Counts were removed from the copy: every code cell counted again = Run All went through.
        state = self._wait(
            page,
            lambda s: (
                s["kernel"] == "idle"
                and s["running"] == 0
                and (s["counted"] == s["code"] or any(fresh for _, _, fresh in s["errors"]))
            ),
            self.timeout,
            "Run All finishing",
        )
        page.wait_for_timeout(1000)  # the last outputs render
        state = self._state(page)
        result.phases["run all"] = time.perf_counter() - clock
        timed = [(t, i) for i, t in page.evaluate(_TIMING_JS) if t is not None]
        if timed:
            result.phases["in the kernel"] = sum(t for t, _ in timed)
            slowest, index = max(timed)
            result.phases[f"slowest cell {index}"] = slowest
        clock = time.perf_counter()
        if state["counted"] != state["code"]:
            result.problems.append(f"Run All stopped: {state['counted']} of {state['code']} code cells ran")
        tracebacks = dict(page.evaluate(_TRACEBACKS_JS))  # cell index -> the traceback's error line
        for index, error, _ in state["errors"]:
            shown = "its traceback shown" if tracebacks.pop(index, None) else "no traceback visible"
            result.problems.append(f"cell {index} raised {error} ({shown})")
        for index, line in tracebacks.items():
            result.problems.append(f"cell {index} shows a traceback: {line}")

        for cell in result.cells:
            seen = cells.nth(cell.index).evaluate(_SEEN_JS)
            problems, notes = _judge(seen, "after Run All")
            problems += self._cross_check(cells.nth(cell.index), seen)
            cell.problems += problems
            cell.notes += notes
            if problems:
                shot = self.out / f"{result.name}-cell{cell.index:03d}-FAIL.png"
                cells.nth(cell.index).screenshot(path=str(shot))
                result.screenshots.append(shot)
        if result.cells:
            first = result.cells[0]
            shot = self.out / f"{result.name}-cell{first.index:03d}-after-run-all.png"
            cells.nth(first.index).screenshot(path=str(shot))
            result.screenshots.append(shot)
        self._open_one(page, cells, result)
        result.phases["checks"] = time.perf_counter() - clock

    def _restart_and_run_all(self, page) -> tuple[str, str]:
        """Run > Restart Kernel and Run All Cells…, then accept the dialog; the palette if the menu fails."""
        label = re.compile(r"^\s*" + re.escape(RUN_ALL_LABEL))
        try:
            page.locator(".lm-MenuBar-item", has_text=re.compile(r"^\s*Run\s*$")).first.click(timeout=10_000)
            item = page.locator(".lm-Menu-item:not(.lm-mod-disabled)").filter(
                has=page.locator(".lm-Menu-itemLabel", has_text=label)
            )
            item.first.wait_for(state="visible", timeout=10_000)
            name = item.first.locator(".lm-Menu-itemLabel").inner_text().strip()
            item.first.click(timeout=10_000)
            via = f'the menu Run > "{name}"'
        except Exception as error:  # the palette, as a learner who knows the command's name would
            print(f"  the Run menu failed ({type(error).__name__}); using the command palette", flush=True)
            page.keyboard.press("Escape")
            page.locator(".jp-Notebook").first.click(position={"x": 5, "y": 5})
            page.keyboard.press("Control+Shift+C")
            page.locator(".lm-CommandPalette-input").fill(RUN_ALL_LABEL)
            page.locator(".lm-CommandPalette-item", has_text=label).first.click(timeout=10_000)
            via = "the command palette (notebook:restart-run-all)"
        dialog = page.locator(".jp-Dialog")
        try:
            dialog.wait_for(state="visible", timeout=15_000)
        except Exception:  # JupyterLab may be set to restart without asking
            return via, ""
        title = dialog.locator(".jp-Dialog-header").inner_text().strip()
        accept = dialog.locator("button.jp-mod-accept")
        label_text = accept.inner_text().strip()
        accept.click()
        dialog.wait_for(state="hidden", timeout=15_000)
        return via, f"{title} / {label_text}"

    @staticmethod
    def _cross_check(cell, seen: dict) -> list[str]:
        """What Playwright's own visibility and innerText say must agree with _SEEN_JS."""
        problems = []
        for img in cell.locator(".jp-OutputArea-output img").all():
            if img.is_visible() and not seen["media"]:
                problems.append("Playwright sees a visible <img> in the output")
        allowed = " ".join(seen["summaries"]).split()
        for out in cell.locator(".jp-OutputArea-output").all():
            if not out.is_visible():
                continue
            words = out.inner_text().split()
            extra = [w for w in words if w not in allowed]
            if extra and not seen["leaks"]:
                problems.append(
                    f"the output's innerText shows more than the summary: {' '.join(extra[:12])!r}"
                )
        return problems

    def _open_one(self, page, cells, result: NotebookResult) -> None:
        """Click the first closed summary: its answer must become visible (the check can see answers)."""
        for cell in result.cells:
            handle = cells.nth(cell.index)
            summary = handle.locator(".jp-OutputArea-output details > summary")
            if not summary.count() or not summary.first.is_visible():
                continue
            summary.first.click()
            page.wait_for_timeout(300)
            seen = handle.evaluate(_SEEN_JS)
            if not (seen["openDetails"] and (seen["leaks"] or seen["media"])):
                result.problems.append(f"opening cell {cell.index}'s answer box showed no answer: {seen}")
            else:
                what = f"{len(seen['leaks'])} line(s) of text" + (
                    f", {len(seen['media'])} picture(s)" if seen["media"] else ""
                )
                cell.notes.append(f"opened: {what} became visible")
            shot = self.out / f"{result.name}-cell{cell.index:03d}-opened.png"
            handle.screenshot(path=str(shot))
            result.screenshots.append(shot)
            return
        if result.cells:
            result.problems.append("no solution cell has a closed answer box to open")


def _first_line(source: str) -> str:
    line = next((s for s in source.splitlines() if s.strip()), "")
    return line if len(line) <= 70 else line[:67] + "..."


def notebooks(prefixes: list[str]) -> list[Path]:
    paths = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    if prefixes:
        paths = [p for p in paths if any(p.stem.startswith(a) for a in prefixes)]
    return paths


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.check_lab", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "prefixes", nargs="*", metavar="NN", help="notebooks whose names start so (default: all)"
    )
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds for one Run All")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder under build/lab_check/")
    args = parser.parse_args(argv)
    paths = notebooks(args.prefixes)
    if not paths:
        print(f"no notebook matches {args.prefixes} in {NOTEBOOKS.relative_to(ROOT)}", file=sys.stderr)
        return 2
    failed = 0
    start = time.perf_counter()
    with Lab(timeout=args.timeout, keep=args.keep) as lab:
        print(f"JupyterLab at {lab.base} on copies in {_shown_path(lab.work)}", flush=True)
        for path in paths:
            result = lab.check(path)
            print(result.report(), flush=True)
            failed += not result.passed
    print(f"{len(paths) - failed} of {len(paths)} notebook(s) passed in {time.perf_counter() - start:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
