"""Chinese and English: every string a planner reads comes from one catalogue.

The catalogue is ``planning/text.yaml``: keys, each with ``zh`` and ``en``. Code asks for a
key (:func:`t`), or builds a :class:`Message` (a key and its values) that is put into
words later, in whichever language the reader wants: errors, result notes and plan notes
are Messages, so the app shows them in Chinese and a notebook in English.

    >>> from planning.i18n import Message, t
    >>> t("map.walk_beyond", "zh", limit=40)
    '步行超过40分钟'
    >>> Message("error.row", n=5).text("en")
    'row 5'
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from . import settings

LANGUAGES = ("zh", "en")
CATALOGUE_FILE = Path(__file__).with_name("text.yaml")


@cache
def catalogue() -> Mapping[str, Mapping[str, str]]:
    """Every key with its ``zh`` and ``en`` text (read once)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with CATALOGUE_FILE.open(encoding="utf-8") as handle:
        data: dict[str, dict[str, str]] = yaml.load(handle, Loader=loader)  # noqa: S506 - a safe loader
    return data


def language(lang: str | None) -> str:
    """``lang``, or the package's language (``settings.language``) when None; checked."""
    lang = settings.language if lang is None else lang
    if lang not in LANGUAGES:
        raise ValueError(f"`lang` was {lang!r} but is expected to be one of {list(LANGUAGES)}")
    return lang


def t(key: str, lang: str | None = None, /, **values: object) -> str:
    """The text of ``key`` in ``lang`` (``settings.language`` when None), placeholders filled.

    Values that are :class:`Message` or :class:`Listing` are put into words in the same
    language first.
    """
    lang = language(lang)
    try:
        text = catalogue()[key][lang]
    except KeyError:
        raise KeyError(f"no text for {key!r}; add it to {CATALOGUE_FILE.name}") from None
    if not values:
        return text
    return text.format(**{k: v.text(lang) if hasattr(v, "text") else v for k, v in values.items()})


def has_text(key: str) -> bool:
    """Whether the catalogue has ``key``."""
    return key in catalogue()


class Message:
    """A catalogue key with its values, put into words when read (:meth:`text`).

    Values may themselves be Messages (a row label inside an error, a level's name inside
    a note); they are worded in the same language. ``str()`` uses ``settings.language``.
    """

    __slots__ = ("key", "values")

    def __init__(self, key: str, /, **values: object) -> None:
        self.key = key
        self.values: tuple[tuple[str, object], ...] = tuple(values.items())

    def text(self, lang: str | None = None) -> str:
        """The message in ``lang`` (``settings.language`` when None)."""
        return t(self.key, lang, **dict(self.values))

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Message({self.key!r}, {', '.join(f'{k}={v!r}' for k, v in self.values)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.key, self.values) == (other.key, other.values)

    def __hash__(self) -> int:
        return hash((self.key, tuple((k, str(v)) for k, v in self.values)))


class Listing:
    """Several items joined with the language's separator (``sep.list`` or ``sep.names``),
    each a string or something with words of its own; at most ``most`` shown, then
    "and N more"."""

    __slots__ = ("items", "sep", "most")

    def __init__(self, items: Iterable[object], *, sep: str = "sep.list", most: int | None = None) -> None:
        self.items = tuple(items)
        self.sep = sep
        self.most = most

    def text(self, lang: str | None = None) -> str:
        """The items joined in ``lang`` (``settings.language`` when None)."""
        lang = language(lang)
        shown = self.items if self.most is None else self.items[: self.most]
        words = [item.text(lang) if hasattr(item, "text") else str(item) for item in shown]
        more = len(self.items) - len(shown)
        return t(self.sep, lang).join(words) + (t("and_more", lang, n=more) if more > 0 else "")

    def __str__(self) -> str:
        return self.text()

    def __len__(self) -> int:
        return len(self.items)


def placeholders(text: str) -> set[str]:
    """The ``{names}`` a template fills."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


# ---------------------------------------------------------------------- tables for people
#: Columns whose cells hold words, and the catalogue namespace of those words.
WORD_COLUMNS: dict[str, str] = {
    "mode": "mode", "main_mode": "mode", "mode_before": "mode", "mode_after": "mode", "status": "status", "level": "level",
    "outcome": "outcome", "assignment": "assignment", "op": "edit_op", "kind": "kind", "decision": "decision",
    "goal": "goal", "solver_status": "solver", "solver_method": "method", "primary_status": "walk_status", "junior_status": "walk_status", "walk_status": "walk_status",
    "type": "type", "verdict": "verdict", "role": "alliance_role", "item": "cost_item", "unit": "cost_unit",
}


def field(name: object, lang: str | None = None) -> str:
    """A field's name for people: 学生数 / pupils, 3年级 / grade 3, a level's own fields
    (``primary_pupils`` of the walk check) with the level named."""
    lang = language(lang)
    name = str(name)
    if name == "today":  # today's layout, a column of comparisons
        return plan_name(name, lang)
    if has_text(f"field.{name}"):
        return t(f"field.{name}", lang)
    if name.startswith("grade_") and name[6:].isdigit():
        return t("field.grade", lang, n=name[6:])
    for suffix in ("_min", "_ok"):
        if name.endswith(suffix) and has_text(f"field.{name[: -len(suffix)]}"):
            return t(f"field.suffix{suffix}", lang, name=t(f"field.{name[: -len(suffix)]}", lang))
    for level in ("primary", "junior"):
        rest = name.removeprefix(f"{level}_")
        if rest != name and has_text(f"field.{rest}"):
            return t("field.level_prefixed", lang, level=level_name(level, lang), name=t(f"field.{rest}", lang))
    return name.replace("_", " ") if lang == "en" else name


def word(value: object, namespace: str, lang: str | None = None) -> object:
    """A cell's word in ``lang`` (``namespace.value`` in the catalogue); other values as they are."""
    if isinstance(value, str) and has_text(f"{namespace}.{value}"):
        return t(f"{namespace}.{value}", lang)
    if isinstance(value, bool) and namespace == "bool":
        return t("yes" if value else "no", lang)
    return value


def school_type(kind: str, lang: str | None = None) -> str:
    """The name of a school type (中心小学 / central primary, …)."""
    return t(f"type.{kind}", lang)


def level_name(level: str, lang: str | None = None) -> str:
    """A level's name: 小学 / primary, 初中 / junior secondary."""
    return t(f"level.{level}", lang)


def plan_name(name: str, lang: str | None = None) -> str:
    """A plan's name for people: today's layout is 现状 / today; other names as given."""
    return t("today", lang) if name == "today" else name


def localise(frame: pd.DataFrame, lang: str | None = None) -> pd.DataFrame:
    """A table for people: field names (columns, index names, and index labels that are
    field names, as in a summary) and the words in its cells, in ``lang``."""
    lang = language(lang)
    out = frame.copy()
    for column, namespace in WORD_COLUMNS.items():
        if column in out.columns:
            out[column] = out[column].astype(object).map(lambda v, ns=namespace: word(v, ns, lang))
    if isinstance(out.index, pd.MultiIndex):
        levels: list[Any] = []
        for name, level in zip(out.index.names, out.index.levels, strict=True):
            if name == "indicator":
                level = level.map(lambda v: field(v, lang))
            elif name == "level":
                level = level.map(lambda v: word(v, "level", lang))
            levels.append(level)
        out.index = out.index.set_levels(levels)
    else:  # labels that are field names (a summary's rows), not ids
        out.index = out.index.map(lambda v: field(v, lang) if isinstance(v, str) and _names_a_field(v) else v)
    out.index.names = [field(n, lang) if n else n for n in out.index.names]
    return out.rename(columns=lambda c: field(c, lang))


def _names_a_field(name: str) -> bool:
    """Whether a summary row's label is a field name (``grade_3``, ``primary_unserved`` too)."""
    bare = name.removeprefix("primary_").removeprefix("junior_")
    return has_text(f"field.{name}") or has_text(f"field.{bare}") or name.startswith("grade_")


#: Columns holding the names of schools, sites or villages (as their tables name them).
NAME_COLUMNS = ("name", "from_name", "to_name", "core_name", "school_name")


def shown_names(table: pd.DataFrame, lang: str | None = None) -> pd.Series:
    """The names of a table's rows (villages, schools, sites) as a reader of ``lang`` sees
    them: in English the planner's pinyin (``name_pinyin``: 拼音, name_en) where the table
    gives one, the Chinese name otherwise; in Chinese the Chinese name. Every English output
    (plan report, printed map, app, Excel) names places by this rule."""
    names = table["name"].astype(str)
    if language(lang) == "en" and "name_pinyin" in table:
        pinyin = table["name_pinyin"]
        given = pinyin.notna() & (pinyin.astype(str).str.strip() != "")
        names = names.where(~given, pinyin.astype(str).str.strip())
    return names


class PlaceName:
    """A village's, school's or site's id and name, worded when read: the name as a reader of
    the language sees it (:func:`shown_names`: pinyin in English where the table gives it)."""

    __slots__ = ("id", "zh", "en")

    def __init__(self, id_: str, zh: str, en: str) -> None:
        self.id, self.zh, self.en = id_, zh, en

    def text(self, lang: str | None = None) -> str:
        """"S08 溪口村完小" / "S08 Xikou Village Primary" (the name alone without an id)."""
        name = self.en if language(lang) == "en" else self.zh
        return f"{self.id} {name}" if self.id else name

    def __str__(self) -> str:
        return self.text()


def target_names(project: Any, lang: str | None = None) -> pd.Series:
    """:func:`shown_names` of a project's schools, then its candidate sites, by id."""
    tables = [project.schools, project.sites] if len(project.sites) else [project.schools]
    return shown_names(pd.concat(tables), lang)


def place_words(project: Any, lang: str | None = None) -> dict[str, str]:
    """:func:`name_words` of a project's villages, schools and sites in ``lang``, worked out
    once per project and language (the app asks for them on every run; the dict is shared:
    read it, don't change it)."""
    from .memo import once

    lang = language(lang)
    return once(project, ("place_words", lang),
                lambda: name_words(project.villages, project.schools, project.sites, lang=lang))


def name_words(*tables: pd.DataFrame | None, lang: str | None = None) -> dict[str, str]:
    """Each name of the ``tables`` (a project's villages, schools, sites) → the name shown in
    ``lang`` (:func:`shown_names`) where the two differ: empty in Chinese. A name given two
    pinyins keeps the first table's (villages, then schools, then sites)."""
    words: dict[str, str] = {}
    for table in tables:
        if table is None or "name" not in table:
            continue
        for name, shown in zip(table["name"].astype(str), shown_names(table, lang), strict=True):
            if shown != name:
                words.setdefault(name, shown)
    return words


def with_names(frame: pd.DataFrame, words: Mapping[str, str]) -> pd.DataFrame:
    """``frame`` with the names in its name columns (:data:`NAME_COLUMNS`, by key or as
    worded in either language) replaced by ``words`` (:func:`name_words`); ids, other
    columns and names without a word unchanged. A copy, or ``frame`` itself when nothing
    changes."""
    if not words:
        return frame
    headers = {*NAME_COLUMNS, *(field(c, lang) for c in NAME_COLUMNS for lang in ("zh", "en"))}
    columns = [i for i, c in enumerate(frame.columns) if isinstance(c, str) and c in headers]
    levels = [i for i, n in enumerate(frame.index.names) if isinstance(n, str) and n in headers]
    if not columns and not levels:
        return frame

    def shown(value: object) -> object:
        return words.get(value, value) if isinstance(value, str) else value

    out = frame.copy()
    for i in columns:
        out.isetitem(i, out.iloc[:, i].map(shown).to_numpy())
    if isinstance(out.index, pd.MultiIndex):
        renamed: list[Any] = [level.map(shown) if i in levels else level for i, level in enumerate(out.index.levels)]
        out.index = out.index.set_levels(renamed)
    elif levels:
        out.index = out.index.map(shown)
    return out


def text_of(value: Any, lang: str | None = None) -> str:
    """Words of a Message or Listing in ``lang``; anything else as ``str``."""
    return value.text(lang) if hasattr(value, "text") else str(value)


__all__ = ["t", "Message", "Listing", "field", "word", "school_type", "level_name", "plan_name", "localise",
           "shown_names", "name_words", "with_names", "NAME_COLUMNS",
           "LANGUAGES", "catalogue", "has_text", "language", "text_of", "placeholders", "PlaceName", "target_names", "place_words"]
