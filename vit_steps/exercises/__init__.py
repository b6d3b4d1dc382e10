"""Exercise checkers: feedback on a learner's answer that points at the mistake, not at the solution.

    from vit_steps.exercises import check

    check("01.1", (n, k))          # prints one line, returns Feedback(passed, hint)
    check("01.2", patches_ppc)     # a function answer is called on the checker's own inputs

Every exercise of notebooks 01-07 has an id ``"NN.k"`` (notebook NN, exercise k) in
``EXERCISES``. An answer left as ``None`` or ``...`` (or a function whose body is still
``...``) gets "not attempted yet", never a traceback.

In the notebooks each exercise has two cells:
- the learner's cell, kept in student copies: ``answer = None`` or a function stub, then
  ``check(id, answer)``;
- the solution, hidden in JupyterLab and dropped from student copies. It runs inside
  ``with hidden_answer():`` so that its printed lines and figures land in a closed
  "click to show" box: JupyterLab shows a cell's output again whenever the cell runs
  (Run All included), and the output is the answer.

A checker (one per exercise, in ``nbNN.py``) returns ``None`` when the answer is right and
a hint otherwise. It tells typical mistakes apart by computing what each mistake would
give and comparing the answer with that.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["EXERCISES", "Exercise", "Feedback", "NotAttempted", "call", "check", "hidden_answer"]


class NotAttempted(Exception):
    """Raised by a checker when the answer is still the template's placeholder."""


class _LearnerError(Exception):
    """The learner's function raised; the message says what it raised and with what input."""


@dataclass(frozen=True)
class Exercise:
    """One exercise: its id ``"NN.k"``, the notebook it is in, and what ``check`` expects."""

    id: str
    notebook: str  # the notebook's file stem, e.g. "01_patch_embedding"
    title: str
    answer: str  # what to pass to check, e.g. "a pair (n, k) of ints"
    checker: Callable[[Any], str | None]


@dataclass(frozen=True)
class Feedback:
    """What ``check`` found: ``passed``, and on a miss a ``hint`` ("" when passed)."""

    exercise: str
    passed: bool
    hint: str
    attempted: bool = True

    @property
    def line(self) -> str:
        """The one-line verdict that ``check`` prints."""
        if not self.attempted:
            return f"Exercise {self.exercise}: not attempted yet. {self.hint}"
        if self.passed:
            return f"Exercise {self.exercise}: passed."
        return f"Exercise {self.exercise}: not passed. Hint: {self.hint}"

    def _ipython_display_(self) -> None:
        # check() has printed the verdict already; a cell ending in check(...) shows it once.
        pass


EXERCISES: dict[str, Exercise] = {}


def register(exercise_id: str, notebook: str, title: str, answer: str):
    """Decorator for a checker: ``@register("01.1", "01_patch_embedding", "...", "a pair (n, k)")``."""

    def decorate(checker: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
        if exercise_id in EXERCISES:
            raise ValueError(f"exercise {exercise_id} is registered twice")
        EXERCISES[exercise_id] = Exercise(exercise_id, notebook, title, answer, checker)
        return checker

    return decorate


def call(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call the learner's ``function``; a ``None`` result means its body is still ``...``.

    An exception inside it becomes a hint that names the exception, not a traceback.
    """
    if not callable(function):
        raise _LearnerError(f"expected a function, got {type(function).__name__}")
    try:
        result = function(*args, **kwargs)
    except Exception as error:  # the learner's code: report it, do not crash the checker
        shapes = ", ".join(_describe(a) for a in args)
        raise _LearnerError(
            f"your function raised {type(error).__name__}: {error} (called with {shapes})"
        ) from error
    if result is None:
        raise NotAttempted
    return result


def _describe(value: Any) -> str:
    shape = getattr(value, "shape", None)
    return f"a tensor of shape {tuple(shape)}" if shape is not None else repr(value)


def check(exercise_id: str, answer: Any) -> Feedback:
    """Check ``answer`` for exercise ``exercise_id``; print a one-line verdict and return it.

    (id, answer) -> Feedback(exercise, passed, hint, attempted)
    """
    if exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise ValueError(f"exercise_id must be one of {known}, got {exercise_id!r}")
    exercise = EXERCISES[exercise_id]
    try:
        if answer is None or answer is Ellipsis:
            raise NotAttempted
        hint = exercise.checker(answer)
        feedback = Feedback(exercise_id, hint is None, hint or "")
    except NotAttempted:
        feedback = Feedback(
            exercise_id,
            False,
            f"Replace the placeholder with {exercise.answer} and run the cell again.",
            attempted=False,
        )
    except _LearnerError as error:
        feedback = Feedback(exercise_id, False, str(error))
    print(feedback.line)
    return feedback


@contextlib.contextmanager
def hidden_answer(summary: str = "The solution's output (click to show)") -> Iterator[None]:
    """Run a solution's code with its printed lines and figures inside a closed box.

    In IPython the block's output is captured and shown as one HTML ``<details>`` element
    (text/plain beside it holds the printed text, which nbval compares). Outside IPython
    the block prints as usual.
    """
    try:
        from IPython import get_ipython
        from IPython.utils.capture import capture_output
    except ImportError:  # no IPython: a plain script prints as usual
        yield
        return
    if get_ipython() is None:
        yield
        return
    captured = None
    try:
        with capture_output(stdout=True, stderr=True, display=True) as captured:
            yield
    finally:  # on an error too: show what ran before it, then let the traceback through
        if captured is not None:
            _show_hidden(summary, captured.stdout + captured.stderr, captured.outputs)


def _show_hidden(summary: str, text: str, outputs: list) -> None:
    from IPython.display import display

    parts = [f"<details><summary>{html.escape(summary)}</summary>"]
    if text:
        parts.append(f"<pre>{html.escape(text)}</pre>")
    figures = 0
    for output in outputs:
        png = output.data.get("image/png")
        if png is None:
            continue
        if isinstance(png, bytes):
            png = base64.b64encode(png).decode("ascii")
        parts.append(f'<img src="data:image/png;base64,{png}" alt="figure {figures + 1}"/>')
        figures += 1
    parts.append("</details>")
    plain = io.StringIO()
    plain.write(f"[hidden] {summary}\n{text}")
    plain.write("".join(f"[figure {i + 1}]\n" for i in range(figures)))
    display({"text/html": "".join(parts), "text/plain": plain.getvalue().rstrip("\n")}, raw=True)


# Each notebook's checkers register themselves on import.
from . import nb01, nb02, nb03, nb04, nb05, nb06, nb07  # noqa: E402, F401
