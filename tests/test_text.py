"""One text catalogue: every key in both languages with the same placeholders, every key the
code asks for present, and no Chinese text a planner reads written anywhere else."""

from __future__ import annotations

import ast
import re

import pytest

from planning import i18n
from planning.i18n import Listing, Message, catalogue, placeholders, t

from .conftest import ROOT

SOURCES = [*sorted((ROOT / "planning").glob("*.py")), ROOT / "streamlit_app.py"]
CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
#: Where Chinese may stand in code: what county tables call things (column headers, school
#: types, road classes), not text for people to read.
DATA_NOT_TEXT = {"columns.py", "validation.py", "policy.py", "load.py", "osm.py", "network.py"}


def test_every_key_has_both_languages_and_the_same_placeholders():
    for key, texts in catalogue().items():
        assert set(texts) == {"zh", "en"}, key
        assert texts["zh"].strip() and texts["en"].strip(), key
        assert placeholders(texts["zh"]) == placeholders(texts["en"]), key
        words = re.sub(r"\{\w+\}", "", texts["zh"])
        if key.startswith(("app.", "map.", "report.", "note.", "error.", "infeasible.", "plan.")) and key not in (
                "app.language.en", "app.basemap.osm"):  # names that are the same in Chinese
            assert CJK.search(words) or not re.search("[a-z]{4,}", words), f"{key}: not Chinese"


def _keys_asked_for() -> dict[str, list[str]]:
    """Literal keys passed to t(), T(), Message() and the catalogue namespaces built with f-strings."""
    asked: dict[str, list[str]] = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            first = node.args[0]
            if name in ("t", "T", "Message", "has_text") and isinstance(first, ast.Constant) and isinstance(
                    first.value, str):
                asked.setdefault(first.value, []).append(f"{path.name}:{node.lineno}")
            elif name in ("t", "T", "Message") and isinstance(first, ast.JoinedStr) and isinstance(
                    first.values[0], ast.Constant):  # f"status.{value}": a namespace of the catalogue
                asked.setdefault(first.values[0].value + "*", []).append(f"{path.name}:{node.lineno}")
    return asked


def test_no_key_is_written_twice_in_the_catalogue():
    """YAML keeps the last of two equal keys silently: a second ``field.year`` (added in a
    merge) would override the first without a word."""
    keys = re.findall(r"^(?![\s#])([^:\n]+):\s*$", (ROOT / "planning" / "text.yaml").read_text(encoding="utf-8"), re.M)
    assert len(keys) == len(catalogue())
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []


def test_every_key_the_code_asks_for_is_in_the_catalogue():
    keys = set(catalogue())
    missing = {key: where for key, where in _keys_asked_for().items()
               if (key.endswith("*") and not any(k.startswith(key[:-1]) for k in keys))
               or (not key.endswith("*") and key not in keys)}
    assert missing == {}


def test_no_planner_text_is_written_outside_the_catalogue():
    found = []
    for path in SOURCES:
        if path.name in DATA_NOT_TEXT:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Module | ast.AsyncFunctionDef)
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings \
                    and CJK.search(node.value):
                found.append(f"{path.name}:{node.lineno}: {node.value[:40]!r}")
    assert found == []


def test_words_in_both_languages_and_nested_messages():
    assert t("map.walk_beyond", "zh", limit=40) == "步行超过40分钟"
    assert t("map.walk_beyond", "en", limit=40) == "walk > 40 min"
    row = Message("error.row", n=3)
    problem = Message("error.at", where=row, problem=Message("error.negative", column="小学生数 (primary_pupils)",
                                                                 value="-5"))
    assert problem.text("en") == "row 3: 小学生数 (primary_pupils) is -5, below zero; counts cannot be negative"
    assert problem.text("zh") == "第 3 行：小学生数 (primary_pupils) 为 -5，小于零；人数和数量不能为负"
    assert Listing(["甲村", "乙村", "丙村"], sep="sep.names", most=2).text("zh") == "甲村、乙村等另外 1 个"
    with pytest.raises(ValueError, match="`lang` was 'fr'"):
        t("app.title", "fr")
    with pytest.raises(KeyError, match="no text for 'nothing'"):
        t("nothing", "en")


def test_fields_and_words_of_tables(demo):
    import planning

    result = planning.Scenario(demo, "plan").close("S05").evaluate()
    for table in (result.schools, result.villages.reset_index(), result.indicators, result.balance.reset_index(),
                  planning.compare(result).T, planning.walk_check(demo), planning.walk_summary(demo)):
        unnamed = [c for c in table.columns if i18n.field(c, "zh") == c and not c.startswith("grade_")]
        assert unnamed == [], unnamed  # every column a planner sees has a Chinese name
    words = i18n.localise(result.villages, "zh")
    assert set(words["上学方式"]) <= {"步行", "校车", "寄宿", "无法就学"}


def test_errors_a_planner_reads_are_catalogue_messages():
    """ValidationError and InfeasibleError take Messages, so the app can word them in Chinese."""
    worded = []
    for path in sorted((ROOT / "planning").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in (
                    "ValidationError", "InfeasibleError", "PlanningError") and node.args:
                first = node.args[0]
                if isinstance(first, ast.JoinedStr) or (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    worded.append(f"{path.name}:{node.lineno}")
    assert worded == []
