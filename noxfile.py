"""The test suite under each supported Python, and against the newest releases.

    nox                  # tests-3.11, tests-3.12, tests-3.13: the pinned requirements
    nox -s tests-3.12    # one Python; arguments after -- go to pytest
    nox -s latest        # the newest releases of the direct dependencies, unpinned

The stored outputs come from Python 3.11, so strict nbval under 3.12 and 3.13 also checks
that they print the same. `latest` runs nbval lax: a cell fails only if it raises, since
new releases may round differently. It is a drift check, not part of the default run.
"""

from pathlib import Path

import nox
from packaging.requirements import Requirement

nox.options.sessions = ["tests"]
# Lessons 01-05 and their solutions: 06 and 07 train, which takes long and shows no new Python.
NOTEBOOKS = sorted(str(p) for p in Path("notebooks").glob("**/0[1-5]_*.ipynb"))
NOT_SLOW = ["-m", "not check"]  # the slow checks of `make check`: files and browsers, not Pythons


def direct_dependencies() -> list[str]:
    """The names in both requirements files, without their versions, options and comments."""
    names = []
    for path in ("requirements.txt", "requirements-dev.txt"):
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0].strip()
            if line and not line.startswith("-"):  # -e . and -r requirements.txt
                names.append(Requirement(line).name)
    return names


@nox.session(python=["3.11", "3.12", "3.13"])
def tests(session: nox.Session) -> None:
    session.install("-r", "requirements-dev.txt")
    session.run("pytest", *NOT_SLOW, "tests", *NOTEBOOKS, *session.posargs)


@nox.session(python="3.11")  # the course's Python: only the packages change
def latest(session: nox.Session) -> None:
    session.install("--upgrade", *direct_dependencies())
    session.install("--no-deps", "-e", ".")
    session.run("pip", "list", "--format=freeze")  # what "newest" meant today, for the log
    session.run("pytest", *NOT_SLOW, "--nbval-lax", "tests", "notebooks", *session.posargs)
