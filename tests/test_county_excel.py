"""Workbooks as counties make them (issue 17, item 5): title rows above the header, numbers
typed as text ("1,234", "12人", "1 234", full-width "１２３"), headers with units in brackets,
the table on another sheet than the first (or villages and schools in one workbook). Each
workbook is built here with openpyxl from the demo's own tables and read through the public
entry points; what is still not recognisable is named by file, sheet, row and column.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

import planning
from planning.errors import DataWarning, ValidationError
from planning.io import read_rows, read_table
from planning.load import DEMO_FOLDER

ROADS = DEMO_FOLDER / "roads.gpkg"


def demo_rows(table: str) -> pd.DataFrame:
    return pd.read_csv(DEMO_FOLDER / f"{table}.csv", dtype=str, keep_default_na=False)


def add_sheet(book: openpyxl.Workbook, name: str, frame: pd.DataFrame, *, titles: tuple[list[object], ...] = ()) -> None:
    """A sheet with title rows (a county's heading, a date line, a blank row) above the header."""
    sheet = book.create_sheet(name)
    for row in titles:
        sheet.append(row)
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False):
        sheet.append([None if v == "" else v for v in row])


def workbook(path: Path, sheets: dict[str, tuple[pd.DataFrame, tuple[list[object], ...]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, (frame, titles) in sheets.items():
        add_sheet(book, name, frame, titles=titles)
    book.save(path)
    return path


TITLES = (["青山镇各村适龄人口情况表"], ["填报单位：青山镇中心学校", None, None, "填报日期：2026年9月"], [])


def quietly(load, *args, **kwargs):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataWarning)
        value = load(*args, **kwargs)
    return value, [w.message for w in caught if isinstance(w.message, DataWarning)]


def test_title_rows_above_the_header(tmp_path):
    villages = demo_rows("villages")
    path = workbook(tmp_path / "村庄.xlsx", {"Sheet1": (villages, TITLES)})
    table = read_table(path, kind="villages")
    assert list(table["村编号"]) == list(villages["村编号"])
    assert str(table["_row"].iat[0]) == "row 5"  # heading, date line, blank row, header: the first village is row 5
    project, _ = quietly(planning.from_files, path, DEMO_FOLDER / "schools.csv", roads=ROADS)
    demo = planning.demo()
    assert project.villages["primary_pupils"].equals(demo.villages["primary_pupils"])
    assert project.villages.geometry.geom_equals_exact(demo.villages.geometry, 1e-9).all()


def test_numbers_typed_as_text_and_units_in_headers(tmp_path):
    schools = demo_rows("schools").rename(columns={"学位数": "学位数【个】", "在校生数": "在校生数（单位：人）",
                                                   "专任教师数": "专任教师数（名）", "床位数": "床位数 (张)"})
    demo = planning.demo()
    typed = {"S01": ("900", "622"), "S02": ("1,000", "657人"), "S03": ("１２０", "９８"), "S04": ("1 200", "1,005 人")}
    for sid, (seats, pupils) in typed.items():
        schools.loc[schools["学校编号"] == sid, ["学位数【个】", "在校生数（单位：人）"]] = [seats, pupils]
    schools.loc[schools["学校编号"] == "S05", "专任教师数（名）"] = "１２人"
    path = workbook(tmp_path / "学校.xlsx", {"学校基本情况": (schools, TITLES[:1])})
    project, _ = quietly(planning.from_files, DEMO_FOLDER / "villages.csv", path, roads=ROADS)
    got = project.schools
    assert got.loc["S02", "capacity"] == 1000 and got.loc["S02", "enrolled"] == 657
    assert got.loc["S03", "capacity"] == 120 and got.loc["S03", "enrolled"] == 98
    assert got.loc["S04", "capacity"] == 1200 and got.loc["S04", "enrolled"] == 1005
    assert got.loc["S05", "teachers"] == 12
    others = [s for s in got.index if s not in {*typed, "S05"}]
    assert got.loc[others, "capacity"].equals(demo.schools.loc[others, "capacity"])
    assert got.loc[others, "teachers"].equals(demo.schools.loc[others, "teachers"])
    assert got["beds"].equals(demo.schools["beds"])


def test_full_width_headers_and_pupils(tmp_path):
    villages = demo_rows("villages")[["村编号", "村名", "经度", "纬度"]].copy()
    pupils = planning.demo().villages
    villages["小学生数（人）"] = [f"{int(v):,}".translate(str.maketrans("0123456789,", "０１２３４５６７８９，"))
                               for v in pupils["primary_pupils"]]
    villages["初中生数(人)"] = [f"{int(v)}人" for v in pupils["junior_pupils"]]
    path = workbook(tmp_path / "v.xlsx", {"村": (villages, ())})
    project, _ = quietly(planning.from_files, path, DEMO_FOLDER / "schools.csv", roads=ROADS)
    assert project.villages["primary_pupils"].tolist() == pupils["primary_pupils"].tolist()
    assert project.villages["junior_pupils"].tolist() == pupils["junior_pupils"].tolist()


def test_tables_on_other_sheets_of_one_workbook(tmp_path):
    notes = pd.DataFrame({"说明": ["本表由县教育局汇总", "坐标为 WGS84"]})
    path = workbook(tmp_path / "全县.xlsx", {"说明": (notes, ()), "学校": (demo_rows("schools"), TITLES),
                                           "村庄": (demo_rows("villages"), TITLES[:1])})
    project, messages = quietly(planning.from_files, path, path, sites=DEMO_FOLDER / "sites.csv", roads=ROADS)
    demo = planning.demo()
    assert list(project.villages.index) == list(demo.villages.index)
    assert list(project.schools.index) == list(demo.schools.index)
    assert not [m for m in messages if m.message.key == "data.sheet_chosen"]  # one sheet fits each table
    # rows name their sheet when the workbook has several
    assert str(read_table(path, kind="schools")["_row"].iat[0]) == "sheet '学校', row 5"


def test_only_the_chosen_sheet_is_read_whole(tmp_path, monkeypatch):
    """Before, every sheet of a workbook was read to its row limit just to find the table's
    header (a county's workbook with a big register beside the villages sheet read it all)."""
    register = pd.DataFrame({"学籍号": range(3000), "姓名": ["学生"] * 3000})
    path = workbook(tmp_path / "全县.xlsx", {"学籍": (register, ()), "村庄": (demo_rows("villages"), TITLES[:1])})
    reads = []
    real = pd.read_excel
    monkeypatch.setattr(pd, "read_excel", lambda *a, **k: reads.append((k["sheet_name"], k["nrows"])) or real(*a, **k))
    table = read_table(path, kind="villages")
    assert len(table) == len(demo_rows("villages"))
    from planning.io import HEADER_SEARCH_ROWS
    assert all(rows is not None and rows <= HEADER_SEARCH_ROWS for sheet, rows in reads if sheet == "学籍")
    assert any(sheet == "村庄" and (rows is None or rows > HEADER_SEARCH_ROWS) for sheet, rows in reads)


def test_several_matching_sheets_said_and_sheet_option(tmp_path):
    villages = demo_rows("villages")
    older = villages.assign(户籍人口=villages["户籍人口"].astype(int) + 10)
    path = workbook(tmp_path / "村庄.xlsx", {"说明": (pd.DataFrame({"a": ["x"]}), ()), "2026年": (villages, TITLES),
                                            "2025年": (older, ())})
    table, messages = quietly(read_table, path, kind="villages")
    chosen = [m for m in messages if m.message.key == "data.sheet_chosen"]
    assert len(chosen) == 1
    assert "村庄.xlsx has several sheets that look like this table ('2026年', '2025年'); read '2026年'" in \
        chosen[0].text("en")
    assert "已读取 '2026年'" in chosen[0].text("zh")
    assert table["户籍人口"].tolist() == villages["户籍人口"].astype(float).tolist()
    table, messages = quietly(read_table, path, kind="villages", sheet="2025年")
    assert table["户籍人口"].tolist() == older["户籍人口"].astype(float).tolist() and not messages
    project, _ = quietly(planning.from_files, path, DEMO_FOLDER / "schools.csv", roads=ROADS,
                         sheet={"villages": "2025年"})
    assert project.villages["population"].tolist() == older["户籍人口"].astype(float).tolist()
    with pytest.raises(ValidationError) as caught:
        read_table(path, sheet="2024年")
    assert "the workbook has no sheet '2024年'; its sheets are '说明', '2026年', '2025年'" in caught.value.text("en")
    assert "工作簿中没有工作表 '2024年'" in caught.value.text("zh")


def test_what_is_still_not_a_number_is_named_by_file_sheet_row_and_column(tmp_path):
    villages = demo_rows("villages").rename(columns={"一年级": "一年级（人）"})
    villages.loc[villages["村编号"] == "V03", "一年级（人）"] = "十二"
    notes = pd.DataFrame({"说明": ["x"]})
    path = workbook(tmp_path / "青山镇.xlsx", {"说明": (notes, ()), "村庄": (villages, TITLES)})
    with pytest.raises(ValidationError) as caught:
        planning.from_files(path, DEMO_FOLDER / "schools.csv", roads=ROADS)
    en, zh = caught.value.text("en"), caught.value.text("zh")
    assert "青山镇.xlsx" in en and "sheet '村庄', row 7: 一年级（人） (grade 1) is '十二', not a number" in en
    assert "青山镇.xlsx" in zh and "工作表“村庄”第 7 行：一年级（人） 为 '十二'，不是数字" in zh


def test_roster_on_a_later_sheet_below_a_title(tmp_path):
    roster = pd.read_csv(DEMO_FOLDER / "teachers.csv", dtype=str, keep_default_na=False)
    path = workbook(tmp_path / "教师.xlsx", {"封面": (pd.DataFrame({"教师名册": ["2026"]}), ()),
                                           "名册": (roster, (["青山镇教师名册"],))})
    rows = read_rows(path, kind="teachers")
    assert len(rows) == len(roster) and str(rows["_row"].iat[0]) == "sheet '名册', row 3"
    demo = planning.demo()
    mine = demo.with_roster(planning.read_roster(path, demo))
    assert mine.schools["teachers"].equals(demo.schools["teachers"])


def test_a_workbook_saved_as_csv_keeps_its_title_lines(tmp_path):
    villages = demo_rows("villages")
    text = "青山镇各村适龄人口情况表\n填报日期：2026年9月,,,\n" + villages.to_csv(index=False)
    (tmp_path / "村庄.csv").write_text(text, encoding="gb18030")
    table = read_table(tmp_path / "村庄.csv", kind="villages")
    assert list(table["村编号"]) == list(villages["村编号"]) and str(table["_row"].iat[0]) == "row 4"
    project, _ = quietly(planning.from_files, tmp_path / "村庄.csv", DEMO_FOLDER / "schools.csv", roads=ROADS)
    assert project.villages["primary_pupils"].equals(planning.demo().villages["primary_pupils"])
