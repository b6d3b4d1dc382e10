"""The checks every exercise's tests make: a mistake's hint, not attempted yet, a function that raises."""

from vit_steps.exercises import check


def missed(exercise: str, answer: object, fragment: str) -> str:
    """Assert ``answer`` is attempted and wrong with ``fragment`` in its hint; return the hint."""
    feedback = check(exercise, answer)
    assert feedback.attempted and not feedback.passed
    assert fragment in feedback.hint, feedback.hint
    return feedback.hint


def not_attempted(exercise: str, with_stub: bool = True) -> None:
    """Assert None, and a stub function (``with_stub``) or else ``...``, count as not attempted."""

    def stub(*args): ...

    # A value answer's placeholder is None or ...; a function answer's is a body left as ...
    for answer in (None, stub) if with_stub else (None, ...):
        feedback = check(exercise, answer)
        assert not feedback.attempted and not feedback.passed
        assert "not attempted yet" in feedback.line


def raises(exercise: str, error: Exception) -> None:
    """Assert a function that raises ``error`` fails with a hint naming the exception's type."""

    def broken(*args):
        raise error

    feedback = check(exercise, broken)
    assert not feedback.passed and type(error).__name__ in feedback.hint
