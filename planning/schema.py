"""Settings files (policy, scenarios) read and checked with pydantic.

A settings file is YAML or JSON. Its mapping is validated by a pydantic model that refuses
unknown keys and checks every type and range strictly (``"4"`` is not a number, ``"no"``
is not a yes/no value, ``motorway`` is not a list of road classes); every problem comes back
in one :class:`~planning.errors.ValidationError` naming the file, the key path and what is
allowed.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pydantic
import yaml

from . import settings
from .errors import ValidationError
from .i18n import Listing, Message, has_text
from .io import MB, megabytes


class Settings(pydantic.BaseModel):
    """Base of settings models: immutable, unknown keys refused, types checked strictly."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid", strict=True, validate_default=True)


class AliasBomb(yaml.YAMLError):
    """A YAML document whose aliases repeat more values than ``settings.max_yaml_alias_values``."""


class _Guarded(yaml.SafeLoader):
    """YAML's safe loader, refusing aliases that would repeat more than
    ``settings.max_yaml_alias_values`` values (a node counts once, a sequence or mapping
    once plus what it holds), and aliases to a node that holds them (a loop).

    PyYAML shares an aliased node rather than copying it, so the "billion laughs" (nine
    aliases of nine aliases of ... of a short list: 617 bytes) loads at once; but whatever
    walks the data afterwards (checking it, showing it in a message) meets 10⁹ values and
    exhausts memory. The count is kept while the document is composed, before any value is
    built, so a bomb costs what its text costs.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._values: dict[yaml.Node, int] = {}  # values each composed node stands for, aliases written out
        self._repeated = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]  # untyped in the stubs
            node = super().compose_node(parent, index)
            if node is None or node not in self._values:  # an alias inside the node it names
                raise AliasBomb(None, None, f"alias *{event.anchor} inside its own anchor", event.start_mark)
            self._repeated += self._values[node]
            if self._repeated > settings.max_yaml_alias_values:
                raise AliasBomb(None, None, "too many values repeated by aliases", event.start_mark)
            return node
        node = super().compose_node(parent, index)
        if node is not None:
            held: list[Any] = node.value if isinstance(node, yaml.SequenceNode) else (
                [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else [])
            self._values[node] = 1 + sum(self._values[n] for n in held)
        return node


class _Loader(_Guarded):
    """The guarded safe loader, except that an unquoted number written with a leading zero
    (``001``, ``0100``) is text: an id as the planner's tables write it, never the octal
    number YAML 1.1 makes of it (``010`` would be 8)."""


_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")
_Loader.yaml_implicit_resolvers = {  # the subclass's own table, text first for these first characters
    first: [("tag:yaml.org,2002:str", _LEADING_ZERO), *resolvers] if first in "-+0" else resolvers
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_yaml(text: str, *, what: str, source: str, ids_as_text: bool = True) -> Any:
    """The data of a YAML text from a file the planner gives (settings, a project file's
    policy and scenarios), read safely: no Python objects, aliases limited.

    Parameters
    ----------
    what
        What the text holds ("policy", "scenario"), for messages.
    source
        Where it comes from (a file, a project file's layer), for messages.
    ids_as_text
        Whether an unquoted number with a leading zero (``001``) is text (as
        :func:`read_mapping` reads it) or a number (as ``yaml.safe_load`` does).

    Raises
    ------
    ValidationError
        When the text is not YAML, repeats more than ``settings.max_yaml_alias_values``
        values through aliases, or nests deeper than Python can follow.
    """
    kind = Message(f"what.{what}")
    try:
        loader = (_Loader if ids_as_text else _Guarded)(text)  # refuses control characters at once
    except yaml.YAMLError as exc:
        raise ValidationError(Message("error.cannot_read_settings", what=kind, detail=str(exc)), source=source) from exc
    try:
        return loader.get_single_data()
    except AliasBomb as exc:
        raise ValidationError(Message("error.yaml_aliases", what=kind, limit=f"{settings.max_yaml_alias_values:,}"),
                              source=source) from exc
    except (yaml.YAMLError, RecursionError) as exc:
        detail = str(exc) if isinstance(exc, yaml.YAMLError) else Message("error.too_deep")
        raise ValidationError(Message("error.cannot_read_settings", what=kind, detail=detail),
                              source=source) from exc
    finally:
        loader.dispose()


def read_mapping(path: str | Path, *, what: str) -> dict[str, Any]:
    """The mapping in a YAML or JSON file (by suffix), or an error naming the file.

    In YAML, an unquoted number with a leading zero (``school: 001``) is read as text.
    A file larger than ``settings.max_settings_mb`` is refused unread, and YAML aliases
    are limited (:func:`load_yaml`).

    Parameters
    ----------
    what
        What the file holds ("policy", "scenario"), for messages.
    """
    path = Path(path)
    kind = Message(f"what.{what}")
    try:
        size = path.stat().st_size
        if size > settings.max_settings_mb * MB:
            raise ValidationError(Message("error.settings_too_large", what=kind, size=megabytes(size),
                                          limit=f"{settings.max_settings_mb:,g}"), source=str(path))
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = load_yaml(text, what=what, source=str(path))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        detail = Message("error.too_deep") if isinstance(exc, RecursionError) else str(exc)
        raise ValidationError(Message("error.cannot_read_settings", what=kind, detail=detail),
                              source=str(path)) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError(Message("error.settings_not_mapping", what=kind, got=type(data).__name__),
                              source=str(path))
    return data


def key_path(loc: Iterable[int | str]) -> str:
    """A pydantic location as the file spells it: ``edits[2].capacity``, ``class_size.primary``."""
    out = ""
    for part in loc:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problems(error: pydantic.ValidationError, model: type[pydantic.BaseModel], *,
             tags: Mapping[str, type[pydantic.BaseModel]] | None = None) -> list[Message]:
    """One message per problem of a pydantic error: key path, what is allowed, what was given.

    Parameters
    ----------
    model
        The model validated (to list the settings allowed where an unknown one was given).
    tags
        The models of a discriminated union by tag (scenario edits by ``op``): a tag in a
        location is shown beside the path, not in it.
    """
    tags = tags or {}
    out = []
    for item in error.errors(include_url=False):
        loc = [part for part in item["loc"] if part not in tags]
        kind = [part for part in item["loc"] if isinstance(part, str) and part in tags]
        where: str | Message = key_path(loc)
        if item["type"].startswith("union_tag"):
            where = f"{where}.{str((item.get('ctx') or {}).get('discriminator', 'op')).strip(chr(39))}"
        where = (f"{where} ({kind[0]})" if kind else where) or Message("settings.the_file")
        if item["type"] == "extra_forbidden":
            known = Listing(_fields_at(model, item["loc"][:-1], tags))
            out.append(Message("settings.problem", where=where, allowed=Message("settings.unknown", known=known),
                               given=""))
            continue
        value = (item.get("ctx") or {}).get("tag") if item["type"] == "union_tag_invalid" else item.get("input")
        shown = isinstance(value, dict) or item["type"] in ("missing", "value_error")
        given: str | Message = "" if shown else Message("settings.given", value=repr(value))
        out.append(Message("settings.problem", where=where, allowed=_allowed(item), given=given))
    return out


def _fields_at(model: type[pydantic.BaseModel], loc: Sequence[int | str],
               tags: Mapping[str, type[pydantic.BaseModel]]) -> list[str]:
    """The settings a model allows at a location (its own fields, or a nested model's)."""
    current: type[pydantic.BaseModel] | None = model
    for part in loc:
        if current is None or isinstance(part, int):
            continue
        if part in tags:
            current = tags[part]
        elif part in current.model_fields:
            current = _model_in(current.model_fields[part].annotation)
        else:
            current = None
    return [name for name in (current.model_fields if current else {}) if name != "op"]


def _model_in(annotation: Any) -> type[pydantic.BaseModel] | None:
    """The pydantic model inside a field's annotation (``PerLevel``, ``list[Edit]``), if any."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _number(value: object) -> str:
    return f"{value:g}" if isinstance(value, int | float) else str(value)


#: pydantic's error types and the words for what a setting must be.
_ALLOWED = {"bool_type": "bool_type", "int_type": "int_type", "int_from_float": "int_type", "float_type": "float_type",
            "string_type": "string_type", "tuple_type": "list_type", "list_type": "list_type",
            "dict_type": "mapping_type", "model_type": "mapping_type", "missing": "missing", "finite_number": "finite"}
_LIMITS = {"greater_than": ("greater_than", "gt"), "greater_than_equal": ("at_least", "ge"),
           "less_than": ("less_than", "lt"), "less_than_equal": ("at_most", "le")}


def _allowed(item: Any) -> Message:
    """What a setting must be, from a pydantic error item."""
    kind, ctx = item["type"], item.get("ctx") or {}
    if kind == "string_type" and isinstance(item.get("input"), int | float) and not isinstance(item["input"], bool):
        return Message("settings.quote_text", value=f"{item['input']:g}")  # an id written as a number: 7
    if kind in _ALLOWED:
        return Message(f"settings.{_ALLOWED[kind]}")
    if kind in _LIMITS:
        key, bound = _LIMITS[kind]
        return Message(f"settings.{key}", limit=_number(ctx.get(bound)))
    if kind == "too_short":
        return Message("settings.too_short", n=ctx.get("min_length"))
    if kind in ("literal_error", "union_tag_invalid"):
        return Message("settings.one_of", allowed=ctx.get("expected") or ctx.get("expected_tags"))
    if kind == "union_tag_not_found":
        return Message("settings.needs_tag", tag=str(ctx.get("discriminator", "")).strip("'"))
    detail = str(ctx.get("error", item["msg"]))
    return Message(detail) if has_text(detail) else Message("settings.other", detail=detail)


__all__ = ["Settings", "read_mapping", "load_yaml", "problems", "key_path"]
