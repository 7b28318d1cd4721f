"""The small family of exceptions and warnings the package raises.

Every error subclasses a built-in (``ValueError`` or ``RuntimeError``) so that callers'
``except ValueError`` keeps working. Errors carry their problems as catalogue messages
(:class:`~planning.i18n.Message`): ``str(error)`` words them in ``settings.language``,
``error.text("zh")`` in Chinese for the app.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

from .i18n import Message, language, t, text_of

Problem = Message | str


class PlanningError(Exception):
    """Base class of every error raised by :mod:`planning`.

    Parameters
    ----------
    problems
        One message per problem, each naming the file, row and column and what to do.
    source
        The file or table the problems were found in.
    """

    def __init__(self, problems: Problem | Iterable[Problem], *, source: str | None = None) -> None:
        self.problems: list[Problem] = [problems] if isinstance(problems, Message | str) else list(problems)
        self.source = source
        super().__init__(self.text("en"))

    def lines(self, lang: str | None = None) -> list[str]:
        """Each problem in ``lang``."""
        return [text_of(p, lang) for p in self.problems]

    def text(self, lang: str | None = None) -> str:
        """The whole message in ``lang`` (``settings.language`` when None): the source, then
        the problem, or the number of problems and one line each."""
        lang = language(lang)
        lines = self.lines(lang)
        head = t("error.source", lang, source=self.source) if self.source else ""
        if len(lines) == 1:
            return head + lines[0]
        listed = "\n".join(f"  - {line}" for line in lines)
        return t("error.problems", lang, source=head, n=len(lines)) + "\n" + listed

    def __str__(self) -> str:
        return self.text()


class ValidationError(PlanningError, ValueError):
    """An input table, file or setting is not usable as given."""


class InfeasibleError(PlanningError, ValueError):
    """A request has no solution (e.g. total capacity below total pupils)."""


class DataWarning(UserWarning):
    """Data were usable but something about them deserves a planner's attention (pupils
    estimated from population, points far from any road, elevations on some roads only).

    Parameters
    ----------
    message
        What to know, as a catalogue message: ``str()`` in English (as Python shows
        warnings), :meth:`text` in the planner's language (the app).
    """

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(message.text("en"))

    def text(self, lang: str | None = None) -> str:
        """The warning in ``lang``."""
        return self.message.text(lang)


def warn(message: Message, *, stacklevel: int = 2) -> None:
    """Warn a :class:`DataWarning` at the caller's caller (``stacklevel`` counts from there)."""
    warnings.warn(DataWarning(message), stacklevel=stacklevel + 1)
