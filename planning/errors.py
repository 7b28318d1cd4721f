"""The small family of exceptions and warnings the package raises.

Every error subclasses a built-in (``ValueError`` or ``RuntimeError``) so that callers'
``except ValueError`` keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable


class PlanningError(Exception):
    """Base class of every error raised by :mod:`planning`."""


class ValidationError(PlanningError, ValueError):
    """An input table, file or setting is not usable as given.

    Parameters
    ----------
    problems
        One line per problem, each naming the file, row and column and what to do.
    source
        The file or table the problems were found in.
    """

    def __init__(self, problems: str | Iterable[str], *, source: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.source = source
        head = f"{source}: " if source else ""
        if len(self.problems) == 1:
            msg = head + self.problems[0]
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            msg = f"{head}{len(self.problems)} problems:\n{lines}"
        super().__init__(msg)


class InfeasibleError(PlanningError, ValueError):
    """A request has no solution (e.g. total capacity below total pupils)."""


class DataWarning(UserWarning):
    """Data were usable but something about them deserves a planner's attention."""
