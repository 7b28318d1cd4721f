"""A project read from files is named after its county, not after its villages table: the
command line's ``--county``, else the villages file's name, else (a file named for what it
holds: villages.csv, 村庄.xlsx) 本县 / the county, as the app names uploads (issue 17)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

import planning.cli
from planning.i18n import t
from planning.load import DEMO_FOLDER, county_name, default_name, from_files

COUNTY = {"zh": "本县", "en": "the county"}


@pytest.mark.parametrize(("file", "named"), [
    ("villages.csv", None), ("村庄.xlsx", None), ("data_2024.gpkg", None), ("Villages (1).csv", None),
    ("Sheet1.xlsx", None), ("villages.shp.zip", None), ("county.osm.pbf", None),
    ("青山镇村庄.csv", "青山镇村庄"), ("qingshan_villages.csv", "qingshan_villages"),
])
def test_a_file_named_for_what_it_holds_names_no_county(file, named):
    assert default_name(file) == (named or t("plan_report.county_default", "zh"))


def demo_files(folder: Path, villages: str = "villages.csv") -> list[str]:
    """The demo's tables under ``folder`` (the villages table as ``villages``), as options."""
    shutil.copy(DEMO_FOLDER / "villages.csv", folder / villages)
    return ["--villages", str(folder / villages), "--schools", str(DEMO_FOLDER / "schools.csv"),
            "--roads", str(DEMO_FOLDER / "roads.gpkg")]


def test_tables_named_villages_make_the_county_in_both_languages(tmp_path):
    """Before, the project was called "villages" (and its report "villages中小学布局调整方案报告")."""
    files = demo_files(tmp_path)
    with pytest.warns(planning.DataWarning):
        project = from_files(villages=files[1], schools=files[3], roads=files[5])
    assert project.name == COUNTY["zh"]
    assert {lang: county_name(project, lang) for lang in COUNTY} == COUNTY
    assert t("plan_report.title", "zh", county=county_name(project, "zh")) == "本县中小学布局调整方案报告"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_check_names_the_county_typed_or_the_county(tmp_path, capsys, lang):
    """`planning check` heads its output with the county: ``--county`` when given, else 本县 /
    the county for a villages file called villages.csv (before: "villages", in both languages)."""
    files = demo_files(tmp_path)
    common = [*files, "--quiet", "--lang", lang]
    assert planning.cli.main(["check", *common, "--out", str(tmp_path / "a")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == COUNTY[lang]
    assert planning.cli.main(["check", *common, "--county", "青山县", "--out", str(tmp_path / "b")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "青山县"


def test_the_report_s_county_is_the_one_typed(tmp_path, monkeypatch):
    """`planning report --county 青山县` puts 青山县 on the report (its title); without it a
    villages.csv project's report is 本县's, not "villages"'s."""
    calls: list[tuple[Any, dict[str, Any]]] = []

    def recorded(project: Any, results: Any, path: Path, **kwargs: Any) -> Path:
        calls.append((project, kwargs))
        return path

    monkeypatch.setattr(planning.cli, "plan_report", recorded)
    scenario = tmp_path / "plan.yaml"
    scenario.write_text("name: p\nedits:\n  - {op: close, school: S05}\n", encoding="utf-8")
    files = demo_files(tmp_path, "村庄.csv")
    base = ["report", "--scenario", str(scenario), *files, "--out", str(tmp_path)]
    assert planning.cli.main([*base, "--county", "青山县"]) == 0
    assert planning.cli.main(base) == 0
    (typed, kwargs), (plain, plain_kwargs) = calls
    assert county_name(typed, "zh", given=kwargs["county"]) == "青山县" == typed.name
    assert plain_kwargs["county"] is None and county_name(plain, "en") == "the county"
