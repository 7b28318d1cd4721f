"""Values derived from an immutable object, computed once per object.

``functools.cached_property`` caches a value on the object that owns it, and
:class:`~planning.project.Project` uses it for what it derives itself (snaps, the
travel-time matrix, bus times). A later stage of the flow also derives values from an
earlier object: today's layout evaluated is derived from a project, a scenario's result
from the scenario. Making those properties of the earlier object would make its module
import the later one (an import cycle); :func:`once` caches them on the object all the
same (in its ``__dict__``, as ``cached_property`` does; never in a table keyed by
``id()``), so that they live and die with it. This is sound only because the objects never
change: a "changed" project or scenario is a new object with values of its own.
"""

from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable, Hashable, Iterable
from typing import Concatenate, ParamSpec, TypeVar

T = TypeVar("T")
O = TypeVar("O")  # noqa: E741 - the owner
P = ParamSpec("P")

_LOCK = threading.Lock()
_SLOT = "_derived"  # the owner's attribute holding its derived values


def once(owner: object, key: Hashable, compute: Callable[[], T]) -> T:
    """The value of ``compute()`` for ``(owner, key)``, computed on the first call only.

    The values are kept on the owner itself (in its ``__dict__``, as ``cached_property``
    keeps its value), so they live and die with it even when a value refers back to its
    owner (a result holds its project).

    Parameters
    ----------
    owner
        An immutable object with a ``__dict__`` (a project, a scenario).
    key
        What is derived, with its arguments.
    compute
        Makes the value; called outside the lock, so two threads may both compute it the
        first time (the first stored value wins: both are equal).
    """
    with _LOCK:
        values = owner.__dict__.setdefault(_SLOT, {})
        if key in values:
            return values[key]
    value = compute()
    with _LOCK:
        return values.setdefault(key, value)


def carry_once(source: object, target: object, keys: Iterable[Hashable]) -> None:
    """Give ``target`` the values :func:`once` has kept on ``source`` under ``keys`` (those
    it has): for a new owner whose values for them are the same (a project with other
    pupils at the same points keeps its routes along the roads)."""
    with _LOCK:
        kept = source.__dict__.get(_SLOT, {})
        values = target.__dict__.setdefault(_SLOT, {})
        values.update({key: kept[key] for key in keys if key in kept})


def per_owner(func: Callable[Concatenate[O, P], T]) -> Callable[Concatenate[O, P], T]:
    """Decorate a function whose first argument is an immutable owner: its value is
    computed once per owner and arguments (hashable; defaults filled in, so ``f(p)`` and
    ``f(p, "nearest")`` are one value when "nearest" is the default)."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def cached(owner: O, /, *args: P.args, **kwargs: P.kwargs) -> T:
        bound = signature.bind(owner, *args, **kwargs)
        bound.apply_defaults()
        key = (func.__module__, func.__qualname__, tuple(bound.arguments.items())[1:])
        return once(owner, key, lambda: func(owner, *args, **kwargs))

    return cached


__all__ = ["once", "carry_once", "per_owner"]
