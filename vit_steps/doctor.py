"""Is this machine ready for the course? ``python -m vit_steps.doctor`` answers, check by check.

Run it first on every laptop of a workshop, so every problem shows at once. One line per
check: Python, each pin of requirements.txt, torch, the ``python3`` Jupyter kernel, the
bundled data and notebook 07's checkpoint. A line ends in OK, or in FAIL with the fix;
the exit status is 1 if any check failed.
"""

import importlib.metadata
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]  # the repository: vit_steps is installed editable
REQUIREMENTS = ROOT / "requirements.txt"
CHECKPOINT = ROOT / "checkpoints" / "fashion_vit.pt"
INSTALL = "run `pip install -r requirements.txt` (or `make lab`) in the repository root"
KERNEL = "run `python -m ipykernel install --user --name python3` with the course's Python"
RESTORE = "run `git checkout -- {}` in the repository root"
RETRAIN = RESTORE.format("checkpoints/fashion_vit.pt") + ", or retrain it with `make checkpoint`"


class Problem(Exception):
    """What a check found wrong (other exceptions are reported with their type)."""


def read_pins(path: Path) -> list[Requirement]:
    """The requirements of a requirements file that apply here; options (``-e .``, ``-r``) skipped."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    pins = [Requirement(line) for line in lines if line and not line.startswith("-")]
    return [pin for pin in pins if pin.marker is None or pin.marker.evaluate()]


def check_python() -> str:
    """The running Python against the package's ``requires-python``."""
    requires = importlib.metadata.metadata("vit-steps")["Requires-Python"]
    version = ".".join(map(str, sys.version_info[:3]))
    if not SpecifierSet(requires).contains(version, prereleases=True):
        raise Problem(f"Python {version}, the course needs {requires}")
    return f"{version} ({sys.executable}), needs {requires}"


def check_pin(pin: Requirement) -> str:
    """The installed version against its pin; torch ``2.13.0+cpu`` is ``==2.13.0``, as for pip."""
    try:
        installed = importlib.metadata.version(pin.name)
    except importlib.metadata.PackageNotFoundError:
        raise Problem(f"not installed, pinned {pin.specifier}") from None
    if not pin.specifier.contains(installed, prereleases=True):
        raise Problem(f"{installed} installed, pinned {pin.specifier}")
    return f"{installed}, pinned {pin.specifier}"


def check_torch() -> str:
    """torch imports; its build and thread count are information (the course runs on CPU)."""
    import torch

    build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU"
    return f"{torch.__version__}, {build} build, {torch.get_num_threads()} threads"


def check_kernel() -> str:
    """The kernel every notebook names, ``python3``, exists and runs this Python's environment."""
    from jupyter_client.kernelspec import KernelSpecManager

    argv0 = KernelSpecManager().get_kernel_spec("python3").argv[0]  # NoSuchKernel if there is none
    major, minor = sys.version_info[:2]
    # jupyter_client runs a bare `python` with Jupyter's own Python: this one, if Jupyter is ours.
    bare = argv0 in {"python", f"python{major}", f"python{major}.{minor}"}
    runs = sys.executable if bare else shutil.which(argv0) or argv0
    # The folders, not the files: a venv's python is a link to the system's.
    if Path(runs).absolute().parent.resolve() != Path(sys.executable).absolute().parent.resolve():
        raise Problem(f"python3 runs {runs}, not this Python ({sys.executable})")
    return f"python3 runs {runs}"


def check_grace_hopper() -> str:
    """The photo of notebooks 01-03, from matplotlib's sample data."""
    from vit_steps.course.data import grace_hopper

    return f"{tuple(grace_hopper().shape)} image from matplotlib"


def check_digits() -> str:
    """scikit-learn's 8x8 digits, split as notebooks 05 and 06 split them."""
    from vit_steps.course.data import load_digits_split

    split = load_digits_split()
    return f"{len(split.x_train)} train / {len(split.x_test)} test images from scikit-learn"


def check_fashion_mnist() -> str:
    """The Fashion-MNIST subset bundled in the package (notebook 07)."""
    from vit_steps.course.fashion_mnist import load_fashion_mnist_subset

    sizes = [len(load_fashion_mnist_subset(split)[0]) for split in ("train", "test")]
    return f"{sizes[0]} train / {sizes[1]} test images bundled"


def check_checkpoint(path: Path = CHECKPOINT) -> str:
    """Notebook 07's trained ViT loads, strictly, into the model its config describes."""
    from vit_steps.course.training import load_checkpoint
    from vit_steps.model import VisionTransformer

    checkpoint = load_checkpoint(path)
    VisionTransformer(**checkpoint["config"]).load_state_dict(checkpoint["state_dict"])
    return f"{path.name} loads into its VisionTransformer"


def checks(requirements: Path = REQUIREMENTS) -> Iterator[tuple[str, Callable[[], str], str]]:
    """``(name, check, fix)`` in the order printed; a check returns what it found, or raises."""
    yield "python", check_python, "install Python 3.11, then `make lab` (or see README.md)"
    for pin in read_pins(requirements):
        yield pin.name, lambda pin=pin: check_pin(pin), INSTALL
    yield "torch import", check_torch, INSTALL
    yield "jupyter kernel", check_kernel, KERNEL
    yield "grace hopper photo", check_grace_hopper, INSTALL
    yield "digits", check_digits, INSTALL
    yield "fashion-mnist subset", check_fashion_mnist, RESTORE.format("vit_steps/course/fashion_mnist_subset")
    yield "checkpoint", check_checkpoint, RETRAIN


def main(requirements: Path = REQUIREMENTS) -> int:
    """Print one line per check; -> 1 if any failed, else 0."""
    failed = 0
    for name, check, fix in checks(requirements):
        try:
            line = f"{check()}  OK"
        except Exception as err:  # noqa: BLE001 - any error is a finding: report it and go on
            failed += 1
            found = err if isinstance(err, Problem) else f"{type(err).__name__}: {err}"
            line = f"{found}; fix: {fix}  FAIL"
        print(f"{name + ' ':.<24} {line}", flush=True)
    print(f"{failed} failed" if failed else "all OK: ready for the course")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
