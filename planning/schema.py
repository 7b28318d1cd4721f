"""Settings files (policy, scenarios) read and checked with pydantic.

A settings file is YAML or JSON. Its mapping is validated by a pydantic model that refuses
unknown keys and checks every type and range strictly (``"4"`` is not a number, ``"no"``
is not a yes/no value, ``motorway`` is not a list of road classes); every problem comes back
in one :class:`~planning.errors.ValidationError` naming the file, the key path and what is
allowed.
"""

from __future__ import annotations

import json
import typing
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pydantic
import yaml

from .errors import ValidationError


class Settings(pydantic.BaseModel):
    """Base of settings models: immutable, unknown keys refused, types checked strictly."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid", strict=True, validate_default=True)


def read_mapping(path: str | Path, *, what: str) -> dict[str, Any]:
    """The mapping in a YAML or JSON file (by suffix), or an error naming the file.

    Parameters
    ----------
    what
        What the file holds ("policy", "scenario"), for messages.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValidationError(f"cannot read the {what} file: {exc}", source=str(path)) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValidationError(f"a {what} file must be a mapping of setting: value, got {type(data).__name__}",
                              source=str(path))
    return data


def key_path(loc: Iterable[int | str]) -> str:
    """A pydantic location as the file spells it: ``edits[2].capacity``, ``class_size.primary``."""
    out = ""
    for part in loc:
        out += f"[{part + 1}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problems(error: pydantic.ValidationError, model: type[pydantic.BaseModel], *,
             tags: Mapping[str, type[pydantic.BaseModel]] | None = None) -> list[str]:
    """One line per problem of a pydantic error: key path, what was given, what is allowed.

    Parameters
    ----------
    model
        The model validated (to list the settings allowed where an unknown one was given).
    tags
        The models of a discriminated union by tag (scenario edits by ``op``): a tag in a
        location is shown beside the path, not in it.
    """
    tags = tags or {}
    lines = []
    for item in error.errors(include_url=False):
        loc = [part for part in item["loc"] if part not in tags]
        kind = [part for part in item["loc"] if isinstance(part, str) and part in tags]
        where = key_path(loc) or "(the file)"
        if item["type"].startswith("union_tag"):
            where += "." + str((item.get("ctx") or {}).get("discriminator", "op")).strip("'")
        where += f" ({kind[0]})" if kind else ""
        if item["type"] == "extra_forbidden":
            known = _fields_at(model, item["loc"][:-1], tags)
            lines.append(f"{where}: unknown setting; the settings here are {', '.join(known)}")
            continue
        given = (item.get("ctx") or {}).get("tag") if item["type"] == "union_tag_invalid" else item.get("input")
        shown = f" (given {given!r})" if item["type"] != "missing" and not isinstance(given, dict) else ""
        lines.append(f"{where}: {_allowed(item)}{shown}")
    return lines


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


def _allowed(item: Any) -> str:
    """What a setting must be, from a pydantic error item."""
    kind, ctx = item["type"], item.get("ctx") or {}
    words = {
        "bool_type": "must be true or false",
        "int_type": "must be a whole number",
        "float_type": "must be a number",
        "string_type": "must be text",
        "tuple_type": "must be a list",
        "list_type": "must be a list",
        "dict_type": "must be a mapping of key: value",
        "model_type": "must be a mapping of key: value",
        "missing": "is required",
        "greater_than": f"must be greater than {_number(ctx.get('gt'))}",
        "greater_than_equal": f"must be at least {_number(ctx.get('ge'))}",
        "less_than": f"must be less than {_number(ctx.get('lt'))}",
        "less_than_equal": f"must be at most {_number(ctx.get('le'))}",
        "finite_number": "must be a finite number",
        "too_short": f"needs at least {ctx.get('min_length')} item(s)",
        "literal_error": f"must be one of {ctx.get('expected')}",
        "union_tag_invalid": f"must be one of {ctx.get('expected_tags')}",
        "value_error": str(item["msg"]).removeprefix("Value error, "),
        "union_tag_not_found": f"needs '{ctx.get('discriminator', '').strip(chr(39))}'",
    }
    return words.get(kind, str(item["msg"]))


__all__ = ["Settings", "read_mapping", "problems", "key_path"]
