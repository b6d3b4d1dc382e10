"""Is this machine ready for the course? ``python -m vit_steps.doctor`` answers, item by item.

Meant for the first minutes of a workshop: every participant runs it, and every problem
shows up at once, each with its fix, instead of one by one in the middle of a lesson.
It prints one line per item, in a fixed order:

- python            the running version against ``requires-python`` in pyproject.toml, and
                    the version the stored notebook outputs were made with (information)
- one per pin       each ``name==version`` of requirements.txt against what is installed
- torch build       CPU or CUDA, and the thread count (information: the course runs on CPU)
- jupyter kernel    a kernel named ``python3`` exists, and which Python it runs
- imports           every module of ``vit_steps`` and what the notebooks import
- the data          the Grace Hopper photo, the digits, the Fashion-MNIST subset and
                    notebook 07's checkpoint load
- slide assets      reveal.js and MathJax are installed as files, for offline slides
- network           the lines above ran with sockets blocked and nothing tried to connect

Each line ends in OK or FAIL; a FAIL says what to do (``...; fix: ...  FAIL``). The last
line counts the checks and the failures, and the exit status is 1 if any failed, else 0.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import importlib.metadata
import json
import os
import pkgutil
import shutil
import socket
import sys
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

# packaging reads pins and markers as pip does; matplotlib, pytest and jupyterlab all need it.
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

import vit_steps

__all__ = [
    "Check",
    "NetworkBlocked",
    "block_network",
    "check_checkpoint",
    "check_digits",
    "check_fashion_mnist",
    "check_grace_hopper",
    "check_imports",
    "check_kernel",
    "check_python",
    "check_requirements",
    "check_slide_assets",
    "check_torch",
    "format_report",
    "main",
    "read_pins",
    "requirements_path",
    "run_checks",
    "run_offline",
]

ROOT = Path(vit_steps.__file__).resolve().parents[1]  # the repository: vit_steps is installed editable
KERNEL_NAME = "python3"  # the kernel every notebook names, and the one nbval starts
NOTEBOOK_PYTHON = "3.11"  # what the stored outputs were made with, if the notebooks can't be read
INSTALL_FIX = "pip install -r requirements.txt in the repository root, or make lab, which makes .venv"
KERNEL_FIX = f"python -m ipykernel install --user --name {KERNEL_NAME}, run with the course's Python"
# Imported by the notebooks besides vit_steps itself (see notebooks/src).
NOTEBOOK_IMPORTS = (
    "matplotlib.pyplot",
    "sklearn.model_selection",
    "sklearn.svm",
    "torch.nn.functional",
    "torch.utils.flop_counter",
)


@dataclass(frozen=True)
class Check:
    """One item's result: ``detail`` says what was found, ``fix`` what to do if not ``ok``."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def _short(path: str | os.PathLike) -> str:
    """``path`` relative to the repository if inside it (shorter lines), else as given."""
    path = Path(os.path.abspath(path))
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _attempt(name: str, action: Callable[[], str], fix: str) -> Check:
    """Run ``action`` (-> the detail of an OK line); any exception becomes a FAIL with ``fix``.

    Why: a doctor must report a broken item and go on to the next, not stop at the first.
    """
    try:
        return Check(name, True, action())
    except Exception as err:  # noqa: BLE001 - every failure is a finding, whatever its type
        return Check(name, False, f"{type(err).__name__}: {err}", fix)


# --- Python and the pinned packages -------------------------------------------------------


def _requires_python() -> str:
    """``requires-python`` from pyproject.toml, else from the installed package's metadata."""
    pyproject = ROOT / "pyproject.toml"
    if pyproject.is_file():
        with pyproject.open("rb") as f:
            found = tomllib.load(f).get("project", {}).get("requires-python")
        if found:
            return found
    try:
        return importlib.metadata.metadata("vit-steps")["Requires-Python"] or ">=3.11"
    except importlib.metadata.PackageNotFoundError:
        return ">=3.11"


def _notebook_python() -> str:
    """The Python version(s), major.minor, in the stored notebooks' metadata."""
    versions = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        try:
            version = json.loads(path.read_text(encoding="utf-8"))["metadata"]["language_info"]["version"]
        except (OSError, ValueError, KeyError):
            continue
        versions.add(".".join(version.split(".")[:2]))
    return ", ".join(sorted(versions)) or NOTEBOOK_PYTHON


def check_python(version: Sequence[int] | None = None, requires: str | None = None) -> Check:
    """The running Python against the package's ``requires-python``: below it is a FAIL.

    Also says which Python runs (the repository's .venv or another) and which version made
    the stored notebook outputs, as information: another version may print slightly
    differently, which nbval would notice.
    """
    version = tuple(sys.version_info[:3] if version is None else version)
    requires = _requires_python() if requires is None else requires
    text = ".".join(str(part) for part in version)
    venv = ROOT / ".venv"
    where = "" if Path(sys.prefix).resolve() == venv.resolve() else ", not the repository's .venv"
    detail = f"{text} ({_short(sys.executable)}{where}), needs {requires}; notebook outputs made with {_notebook_python()}"
    if SpecifierSet(requires).contains(text, prereleases=True):
        return Check("python", True, detail)
    return Check("python", False, detail, "install Python 3.11, then make lab (PYTHON=python3.11 by default)")


def requirements_path() -> Path:
    """requirements.txt at the repository root, found from where ``vit_steps`` is imported."""
    return ROOT / "requirements.txt"


def read_pins(path: Path) -> list[Requirement]:
    """The package lines of a requirements file, in order, that apply to this Python.

    Skipped: blank lines, comments, options (``-e .``, ``-r file``, ``--index-url ...``),
    per-line options (``--hash=...``), and lines whose environment marker (after ``;``)
    is false here, e.g. ``pywin32==306; sys_platform == "win32"`` on Linux.
    """
    pins = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith(("#", "-")):
            continue
        line = line.split(" --", 1)[0].strip()  # per-line options such as --hash
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            continue  # a URL or a path: nothing to compare with a version
        if requirement.marker is None or requirement.marker.evaluate():
            pins.append(requirement)
    return pins


def check_requirements(
    path: Path | None = None, version: Callable[[str], str] = importlib.metadata.version
) -> list[Check]:
    """One line per pin: installed and at the pinned version, or a FAIL with the fix.

    A local version suffix matches its pin, as pip sees it: torch ``2.13.0+cpu`` is ``==2.13.0``.
    ``version`` looks up an installed version by name (``importlib.metadata.version``).
    """
    path = requirements_path() if path is None else path
    if not path.is_file():
        return [
            Check(
                "requirements.txt",
                False,
                f"not found at {path}, so vit_steps is not imported from a course checkout",
                "clone the course and run make lab there (or pip install -e . and "
                "pip install -r requirements.txt in the repository root)",
            )
        ]
    checks = []
    for requirement in read_pins(path):
        name = requirement.name
        wanted = str(requirement.specifier) or "any version"
        try:
            installed = version(canonicalize_name(name))
        except importlib.metadata.PackageNotFoundError:
            checks.append(Check(name, False, f"not installed, pinned {wanted}", INSTALL_FIX))
            continue
        if requirement.specifier.contains(installed, prereleases=True):
            checks.append(Check(name, True, f"{installed}, pinned {wanted}"))
        else:
            checks.append(Check(name, False, f"{installed} installed, pinned {wanted}", INSTALL_FIX))
    return checks


# --- torch and the kernel ----------------------------------------------------------------------


def check_torch() -> Check:
    """torch's build (CPU or CUDA) and thread count: information, as the course runs on CPU.

    The only FAIL is torch not importing; a CUDA build, with or without a GPU, is OK.
    """

    def describe() -> str:
        import torch

        if torch.version.cuda is None:
            build = "CPU build"
        elif torch.cuda.is_available():
            build = f"CUDA {torch.version.cuda} build, GPU {torch.cuda.get_device_name(0)} (the course runs on CPU)"
        else:
            build = f"CUDA {torch.version.cuda} build, no GPU visible (the course runs on CPU)"
        return f"{torch.__version__}, {build}, {torch.get_num_threads()} threads on {os.cpu_count()} CPUs"

    return _attempt("torch build", describe, INSTALL_FIX)


def _same_environment(a: str, b: str) -> bool:
    """Do two Python executables belong to one environment (the same bin folder)?

    The folders are compared, not the files: a venv's python is a link to the system's,
    and resolving the file would call the two one environment.
    """
    return Path(os.path.abspath(a)).parent.resolve() == Path(os.path.abspath(b)).parent.resolve()


def check_kernel(manager=None, executable: str | None = None) -> Check:
    """A Jupyter kernel named ``python3`` exists and runs this environment's Python.

    Every notebook names ``python3``. A kernel whose argv[0] is a bare ``python`` runs the
    Python that Jupyter itself runs, as jupyter_client substitutes it; a kernel with a
    missing Python, or one from another environment (which lacks vit_steps and the pins),
    is a FAIL. ``manager``: a ``KernelSpecManager`` (made here if None).
    """
    executable = sys.executable if executable is None else executable
    name = "jupyter kernel"
    if manager is None:
        try:
            from jupyter_client.kernelspec import KernelSpecManager
        except ImportError as err:
            return Check(name, False, f"jupyter_client does not import ({err})", INSTALL_FIX)
        manager = KernelSpecManager()
    specs = manager.find_kernel_specs()
    if KERNEL_NAME not in specs:
        found = ", ".join(sorted(specs)) or "none"
        return Check(name, False, f"no kernel named {KERNEL_NAME} (found: {found})", KERNEL_FIX)
    argv0 = manager.get_kernel_spec(KERNEL_NAME).argv[0]
    major, minor = sys.version_info[:2]
    if argv0 in {"python", f"python{major}", f"python{major}.{minor}"}:
        runs, how = executable, " (Jupyter's own Python)"
    else:
        runs, how = shutil.which(argv0) or argv0, ""
    detail = f"{KERNEL_NAME} ({_short(specs[KERNEL_NAME])}) runs {_short(runs)}{how}"
    if not Path(runs).is_file():
        return Check(name, False, f"{detail}, which does not exist", KERNEL_FIX)
    if not _same_environment(runs, executable):
        return Check(name, False, f"{detail}, another environment than {executable}", KERNEL_FIX)
    return Check(name, True, detail)


# --- offline: the imports, the data and the slide assets, with sockets blocked ------------------


class NetworkBlocked(OSError):
    """Raised instead of connecting while ``block_network`` is on.

    An OSError, as an unreachable network is, so code with an offline fallback takes it.
    """


@contextlib.contextmanager
def block_network() -> Iterator[list[str]]:
    """Make every internet connection fail; yield the list of addresses that were tried.

    Replaces ``socket.socket.connect``, ``socket.socket.connect_ex`` and
    ``socket.create_connection`` (urllib, http.client and requests all end there), and
    puts them back on exit. Local Unix sockets stay allowed: they are not the network.
    Attempts are recorded even when the caller catches the error and carries on.
    """
    attempts: list[str] = []
    originals = (socket.socket.connect, socket.socket.connect_ex, socket.create_connection)

    def refuse(address) -> NetworkBlocked:
        attempts.append(str(address))
        return NetworkBlocked(f"network blocked by vit_steps.doctor: tried to connect to {address}")

    def connect(sock, address):
        if sock.family == getattr(socket, "AF_UNIX", None):
            return originals[0](sock, address)
        raise refuse(address)

    def connect_ex(sock, address):
        if sock.family == getattr(socket, "AF_UNIX", None):
            return originals[1](sock, address)
        raise refuse(address)

    def create_connection(address, *args, **kwargs):
        raise refuse(address)

    socket.socket.connect, socket.socket.connect_ex, socket.create_connection = (
        connect,
        connect_ex,
        create_connection,
    )
    try:
        yield attempts
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.create_connection = originals


def check_imports() -> Check:
    """Every module of ``vit_steps`` imports, and so does what the notebooks import besides."""

    def import_all() -> str:
        names = [
            info.name
            for info in pkgutil.walk_packages(vit_steps.__path__, prefix="vit_steps.")
            if info.name != "vit_steps.doctor"  # this module, running now
        ]
        for name in [*names, *NOTEBOOK_IMPORTS]:
            importlib.import_module(name)
        return f"{len(names)} vit_steps modules, and {len(NOTEBOOK_IMPORTS)} more the notebooks use"

    return _attempt("imports", import_all, INSTALL_FIX)


def check_grace_hopper() -> Check:
    """The photo of notebooks 01-03, from matplotlib's bundled sample data."""

    def load() -> str:
        from vit_steps.course.data import grace_hopper

        image = grace_hopper()
        return f"{tuple(image.shape)} tensor from matplotlib's sample data"

    return _attempt("grace hopper photo", load, f"{INSTALL_FIX} (matplotlib ships the photo)")


def check_digits() -> Check:
    """scikit-learn's bundled 8x8 digits, split as notebooks 05 and 06 split them."""

    def load() -> str:
        from vit_steps.course.data import load_digits_split

        split = load_digits_split()
        return f"{len(split.x_train)} train / {len(split.x_test)} test images from scikit-learn"

    return _attempt("digits", load, f"{INSTALL_FIX} (scikit-learn ships the digits)")


def check_fashion_mnist() -> Check:
    """The Fashion-MNIST subset that ships inside the package (notebook 07)."""

    def load() -> str:
        from vit_steps.course.fashion_mnist import SUBSET_DIR, load_fashion_mnist_subset

        x_train, _ = load_fashion_mnist_subset("train")
        x_test, _ = load_fashion_mnist_subset("test")
        return f"{len(x_train)} train / {len(x_test)} test images from {_short(SUBSET_DIR)}"

    fix = "git checkout -- vit_steps/course/fashion_mnist_subset in the repository root (bundled files)"
    return _attempt("fashion-mnist subset", load, fix)


def check_checkpoint(path: Path | None = None) -> Check:
    """Notebook 07's trained ViT: the file loads and its weights fit the model it describes."""
    path = ROOT / "checkpoints" / "fashion_vit.pt" if path is None else path

    def load() -> str:
        import torch

        from vit_steps.model import VisionTransformer

        if not path.is_file() or path.stat().st_size == 0:
            raise FileNotFoundError(f"{path} is missing or empty")
        # Our own file, so it may be unpickled in full (its meta holds a torch version object).
        checkpoint = torch.load(path, map_location="cpu", weights_only=False)
        VisionTransformer(**checkpoint["config"]).load_state_dict(checkpoint["state_dict"])
        return f"{_short(path)}, {path.stat().st_size / 1024:.0f} KiB, loads into its VisionTransformer"

    return _attempt("checkpoint", load, "git checkout -- checkpoints/fashion_vit.pt, or make checkpoint")


def check_slide_assets() -> Check:
    """reveal.js and MathJax as files, so ``make slides`` decks open with no network.

    The same files tools/workshop.py copies: sphinx_revealjs's ``_static/revealjs`` and
    the mathjax package's ``static/mathjax/es5/tex-svg-full.js``.
    """

    def find() -> str:
        import mathjax  # the django-static-mathjax distribution
        import sphinx_revealjs

        reveal = Path(sphinx_revealjs.__file__).parent / "_static" / "revealjs"
        tex = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg-full.js"
        missing = [str(p) for p in (reveal, tex) if not p.exists()]
        if missing:
            raise FileNotFoundError(f"missing {', '.join(missing)}")
        return "reveal.js and MathJax tex-svg-full.js installed"

    return _attempt("slide assets", find, INSTALL_FIX)


OFFLINE_CHECKS: tuple[Callable[[], Check], ...] = (
    check_imports,
    check_grace_hopper,
    check_digits,
    check_fashion_mnist,
    check_checkpoint,
    check_slide_assets,
)


def _run(check: Callable[[], Check]) -> Check:
    """``check()``, or a FAIL if it raised: one broken check must not hide the others."""
    try:
        return check()
    except Exception as err:  # noqa: BLE001 - reported as its line
        name = getattr(check, "__name__", "check").removeprefix("check_").replace("_", " ")
        return Check(name, False, f"{type(err).__name__}: {err}", "report this line: the check itself broke")


def run_offline(checks: Sequence[Callable[[], Check]] = OFFLINE_CHECKS) -> list[Check]:
    """Run ``checks`` with the network blocked, then add the ``network`` line.

    "no network needed" is OK only if every check passed and nothing tried to connect:
    a check that passed by falling back after a refused connection still needed the network.
    """
    with block_network() as attempts:
        results = [_run(check) for check in checks]
    failed = [c.name for c in results if not c.ok]
    if attempts:
        tried = ", ".join(dict.fromkeys(attempts))
        network = Check(
            "network",
            False,
            f"tried to connect to {tried}",
            "the course must run offline: use the bundled data, and report this line",
        )
    elif failed:
        network = Check(
            "network", False, f"not shown: {', '.join(failed)} failed", "fix the FAIL lines above first"
        )
    else:
        network = Check("network", True, f"no network needed: the {len(results)} lines above ran offline")
    return [*results, network]


# --- the report ------------------------------------------------------------------------------


def run_checks() -> list[Check]:
    """Every check, in the order printed."""
    return [
        _run(check_python),
        *check_requirements(),
        _run(check_torch),
        _run(check_kernel),
        *run_offline(),
    ]


def format_report(checks: Sequence[Check]) -> list[str]:
    """``name ..... detail  OK`` or ``name ..... detail; fix: ...  FAIL``, aligned; then a count."""
    name_width = max((len(c.name) for c in checks), default=0) + 4
    texts = [c.detail if c.ok else f"{c.detail}; fix: {c.fix}" for c in checks]
    # OK/FAIL in one column, unless a line is too long for it: then that line runs on.
    text_width = min(max((len(t) for t in texts), default=0), 80)
    lines = [
        f"{(c.name + ' ').ljust(name_width, '.')} {t.ljust(text_width)}  {'OK' if c.ok else 'FAIL'}"
        for c, t in zip(checks, texts, strict=True)
    ]
    failed = sum(not c.ok for c in checks)
    return [*lines, f"{len(checks)} checks, {failed} failed"]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report; -> 0 if every check passed, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m vit_steps.doctor", description=__doc__.splitlines()[0])
    parser.parse_args(sys.argv[1:] if argv is None else argv)
    checks = run_checks()
    for line in format_report(checks):
        print(line)
    return 0 if all(c.ok for c in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
