"""Column names, their Chinese and English aliases, and school types.

A county's tables come with headers such as ``村名``, ``小学生数`` or ``学位数``; every
alias below maps to one canonical column. Headers compare after
:func:`normalise_header` (case, spaces, underscores, full-width brackets ignored).
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

from .i18n import Listing, Message, field, language, t

CHINESE_DIGITS = "一二三四五六七八九"


#: Units a number cell may carry after its digits (``12人``, ``3 间``, ``1,200 元``), and a
#: header in brackets (小学生数（人）, 学位数(个), 面积【平方米】, 人数（单位：人）): dropped when
#: headers are compared.
CELL_UNITS = r"人|名|个|间|张|所|套|台|班|m2|m²|㎡|平方米|元"
_HEADER_UNIT = re.compile(rf"\((?:单位[:：]?)?(?:{CELL_UNITS}|万元)\)$")


#: Columns in yuan; a header giving them in 万元 (投资估算（万元）) has its figures scaled to yuan
#: when the table is read (:func:`in_wan`).
YUAN_COLUMNS = ("cost", "equipment_value_yuan")
_WAN = re.compile(r"\((?:单位[:：]?)?万元\)$")


def in_wan(header: object) -> bool:
    """Whether a header gives its figures in 万元 (ten thousand yuan).

    >>> in_wan("投资估算（万元）"), in_wan("造价(单位：万元)"), in_wan("投资估算"), in_wan("cost")
    (True, True, False, False)
    """
    return bool(_WAN.search(_bracketed(header)))


def normalise_header(name: object) -> str:
    """Lower-case, drop spaces, underscores, hyphens, brackets and units in brackets (full-width
    forms folded first: ``小学生数（人）`` and ``小学生数(人)`` are ``小学生数``).

    >>> normalise_header("小学生数（人）"), normalise_header(" 学位数 (个) "), normalise_header("Grade_1")
    ('小学生数', '学位数', 'grade1')
    """
    text = _HEADER_UNIT.sub("", _bracketed(name).lower())
    return re.sub(r"[\s_\-()]", "", text)


def _bracketed(header: object) -> str:
    text = unicodedata.normalize("NFKC", str(header)).strip()
    return re.sub(r"\s+", "", text.replace("【", "(").replace("】", ")").replace("[", "(").replace("]", ")"))


_CELL_UNIT = re.compile(rf"\s*(?:{CELL_UNITS})$")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?", re.I)
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:([, ])\d{3})(?:\1\d{3})*(?:\.\d+)?")


def number_value(value: object) -> float | None:
    """A cell as a number, as counties type them: ``1,234``, ``1 234``, ``12人``, full-width
    ``１２３`` or ``１，２３４``; None for an empty cell or one that is not a number.

    >>> [number_value(v) for v in ("1,234", "12人", "1 234", "１２３", " 7.5 ", 3, "", "十二", "1,23", "1-3")]
    [1234.0, 12.0, 1234.0, 123.0, 7.5, 3.0, None, None, None, None]
    """
    if value is None or value is pd.NA or isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | float | np.integer | np.floating):
        return None if value != value else float(value)
    text = _CELL_UNIT.sub("", unicodedata.normalize("NFKC", str(value)).strip())
    if _GROUPED.fullmatch(text):
        text = text.replace(",", "").replace(" ", "")
    return float(text) if _NUMBER.fullmatch(text) else None


def number_column(column: pd.Series) -> pd.Series:
    """A column's cells as numbers (:func:`number_value`), NaN where a cell is empty or not a number."""
    return column.map(number_value).astype(float)


def _grade_aliases(grade: int) -> list[str]:
    return [
        f"grade_{grade}", f"grade{grade}", f"g{grade}", f"{grade}年级",
        f"{CHINESE_DIGITS[grade - 1]}年级",
    ]


GRADE_COLUMNS = [f"grade_{g}" for g in range(1, 10)]

VILLAGE_ALIASES: dict[str, list[str]] = {
    "village_id": ["village_id", "id", "code", "村编号", "村代码", "编号", "代码", "行政村代码", "村庄编号"],
    "name": ["name", "village", "village_name", "村名", "村庄", "村庄名称", "名称", "行政村", "自然村", "村名称"],
    "name_pinyin": ["name_pinyin", "pinyin", "name_en", "拼音"],
    "primary_pupils": ["primary_pupils", "primary", "小学生数", "小学生", "小学学生数", "小学在校生", "小学在校生数", "小学人数", "小学适龄儿童"],
    "junior_pupils": ["junior_pupils", "junior", "初中生数", "初中生", "初中学生数", "初中在校生", "初中在校生数", "初中人数", "初中适龄少年"],
    "population": ["population", "pop", "人口", "总人口", "户籍人口", "常住人口"],
    **{f"grade_{g}": _grade_aliases(g) for g in range(1, 10)},
}

#: An enrolment history (the school-roll records aggregated by home village): one row per
#: year and village, pupils per grade.
HISTORY_ALIASES: dict[str, list[str]] = {
    "year": ["year", "年份", "年度", "学年", "年"],
    "village_id": VILLAGE_ALIASES["village_id"],
    **{f"grade_{g}": _grade_aliases(g) for g in range(1, 10)},
}

#: Births by village and year (出生人口), with the village's population and, where known, its
#: yearly net migration rate.
BIRTHS_ALIASES: dict[str, list[str]] = {
    "year": HISTORY_ALIASES["year"],
    "village_id": VILLAGE_ALIASES["village_id"],
    "births": ["births", "birth", "出生人口", "出生人数", "出生数", "新生儿", "出生"],
    "population": VILLAGE_ALIASES["population"],
    "migration_rate": ["migration_rate", "migration", "net_migration_rate", "迁移率", "净迁移率", "人口迁移率"],
}

SCHOOL_ALIASES: dict[str, list[str]] = {
    "school_id": ["school_id", "id", "code", "学校编号", "学校代码", "编号", "代码", "学校标识码"],
    "name": ["name", "school", "school_name", "学校名称", "学校", "校名", "名称"],
    "name_pinyin": ["name_pinyin", "pinyin", "name_en", "拼音"],
    "type": ["type", "school_type", "学校类型", "类型", "办学类型", "类别"],
    "grades": ["grades", "年级", "开设年级", "年级范围"],
    "capacity": ["capacity", "seats", "学位数", "学位", "核定学位", "核定学位数", "容量"],
    "classrooms": ["classrooms", "教室数", "教室", "普通教室数"],
    "beds": ["beds", "boarding_beds", "床位数", "床位", "宿舍床位", "寄宿床位"],
    "enrolled": ["enrolled", "pupils", "在校生数", "在校生", "学生数"],
    "teachers": ["teachers", "教师数", "专任教师数"],
    "teachers_above_qualification": ["teachers_above_qualification", "高于规定学历教师数", "高学历教师数"],
    "key_teachers": ["key_teachers", "骨干教师数", "县级以上骨干教师数"],
    "pe_arts_teachers": ["pe_arts_teachers", "体育艺术教师数", "体艺教师数", "音体美教师数"],
    "dilapidated_m2": ["dilapidated_m2", "危房面积", "危房面积（平方米）", "D级危房面积"],
    # teachers eligible to rotate (教师〔2014〕4号: six or more years at the school, ``Policy.exchange_min_years``)
    "eligible_teachers": ["eligible_teachers", "符合交流条件教师数", "可交流教师数", "符合交流轮岗条件教师数"],
    "eligible_key_teachers": ["eligible_key_teachers", "符合交流条件骨干教师数", "可交流骨干教师数",
                              "符合交流轮岗条件骨干教师数"],
    "teaching_area_m2": ["teaching_area_m2", "teaching_area", "教学及辅助用房面积", "教学辅助用房面积"],
    "sports_area_m2": ["sports_area_m2", "sports_area", "体育运动场馆面积", "运动场面积"],
    "equipment_value_yuan": ["equipment_value_yuan", "equipment_value", "教学仪器设备值", "仪器设备值"],
    "multimedia_classrooms": ["multimedia_classrooms", "网络多媒体教室数", "多媒体教室数"],
}

#: A teacher roster (教师名册): one row per teacher. Only ``school_id``, ``years_at_school`` and
#: ``key_teacher`` are required; yes/no cells are read by :func:`yes_no`.
ROSTER_ALIASES: dict[str, list[str]] = {
    "teacher_id": ["teacher_id", "id", "教师编号", "教师代码", "工号", "教职工号", "教职工编号", "编号"],
    "school_id": ["school_id", "school_code", "学校编号", "学校代码", "学校标识码", "任教学校编号", "所在学校编号"],
    "years_at_school": ["years_at_school", "years", "本校任教年限", "在本校任教年数", "本校任教年数", "在本校任教年限",
                        "本校工作年限", "任教年限"],
    "key_teacher": ["key_teacher", "key", "骨干教师", "县级以上骨干教师", "是否骨干教师"],
    "above_qualification": ["above_qualification", "高于规定学历", "学历达标以上", "高于规定学历教师"],
    "subject": ["subject", "subject_group", "学科", "任教学科", "学科组"],
    "pe_arts": ["pe_arts", "体育艺术教师", "体艺教师", "音体美教师"],
}

#: Words of a subject (学科) that make its teacher a PE or arts teacher (体育艺术教师), when the
#: roster has no ``pe_arts`` column: Chinese words anywhere in the subject, English words whole.
PE_ARTS_SUBJECTS = re.compile(r"体育|音乐|美术|艺术|音体美|体艺|(?<![a-z])(?:pe|music|arts?|physical education)(?![a-z])",
                              re.I)

#: Cells a yes/no column may hold (:func:`yes_no`); an empty cell is no.
YES_WORDS = ("是", "有", "y", "yes", "true", "1", "√", "✓", "✔")
NO_WORDS = ("否", "无", "n", "no", "false", "0", "×", "✗")

SITE_ALIASES: dict[str, list[str]] = {
    "site_id": ["site_id", "id", "code", "候选点编号", "编号", "代码"],
    "name": ["name", "site", "site_name", "候选点名称", "地点", "名称", "地块名称"],
    "name_pinyin": ["name_pinyin", "pinyin", "name_en", "拼音"],
    "type": ["type", "school_type", "学校类型", "类型"],
    "capacity": ["capacity", "seats", "学位数", "学位", "规划学位"],
    "classrooms": ["classrooms", "教室数", "教室"],
    "beds": ["beds", "床位数", "床位"],
    "cost": ["cost", "造价", "投资", "投资估算", "cost_yuan"],
}

COORDINATE_ALIASES: dict[str, tuple[list[str], list[str]]] = {
    "lonlat": (["lon", "lng", "long", "longitude", "经度", "东经"], ["lat", "latitude", "纬度", "北纬"]),
    "xy": (["x", "easting", "x坐标", "横坐标", "东坐标"], ["y", "northing", "y坐标", "纵坐标", "北坐标"]),
}

#: Names a planner may give a coordinate system by (compared lower-case, without spaces, ``-`` or ``_``).
COORDS_ALIASES: dict[str, str] = {
    "wgs84": "wgs84", "wgs": "wgs84", "gps": "wgs84", "epsg4326": "wgs84", "天地图": "wgs84",
    "gcj02": "gcj02", "gcj": "gcj02", "amap": "gcj02", "tencent": "gcj02", "高德": "gcj02", "腾讯": "gcj02",
    "火星坐标": "gcj02", "bd09": "bd09", "bd": "bd09", "baidu": "bd09", "百度": "bd09",
}

#: School types and the grades they teach (their names are in the text catalogue, ``type.*``).
SCHOOL_GRADES: dict[str, tuple[int, ...]] = {
    "central_primary": (1, 2, 3, 4, 5, 6),
    "village_primary": (1, 2, 3, 4, 5, 6),
    "teaching_point": (1, 2, 3),
    "junior_secondary": (7, 8, 9),
    "nine_year": tuple(range(1, 10)),
    "unknown": tuple(range(1, 10)),  # counted for every grade
    "other": (),  # not a compulsory-education school
}

SCHOOL_TYPE_ALIASES: dict[str, list[str]] = {
    "central_primary": ["central_primary", "centralprimary", "central", "中心小学", "中心校", "镇中心小学", "乡中心小学"],
    "village_primary": ["village_primary", "villageprimary", "primary", "村小", "村完小", "完小", "完全小学", "小学", "村小学"],
    "teaching_point": ["teaching_point", "teachingpoint", "教学点", "村教学点"],
    "junior_secondary": ["junior_secondary", "juniorsecondary", "junior", "middle", "初中", "初级中学", "中学", "镇中学"],
    "nine_year": ["nine_year", "nineyear", "九年一贯制", "九年一贯制学校", "九年制学校"],
    "unknown": ["unknown", "未知"],
    "other": ["other", "其他"],
}


#: The canonical columns whose cells are text, never numbers: ids (``001`` keeps its zeros)
#: and names.
TEXT_COLUMNS = ("village_id", "school_id", "site_id", "teacher_id", "name", "name_pinyin")
CJK = re.compile(r"[\u3400-\u9fff]")


def text_headers() -> set[str]:
    """Normalised headers (every alias of every table) of columns read as text."""
    tables = (VILLAGE_ALIASES, SCHOOL_ALIASES, SITE_ALIASES, ROSTER_ALIASES)
    return {normalise_header(a) for aliases in tables for col in TEXT_COLUMNS for a in aliases.get(col, [])}


def id_text(value: object) -> str | None:
    """An id (or name) cell as text: ``"001"`` stays ``"001"``; a number a spreadsheet or a
    GeoPackage gives as 7 or 7.0 becomes ``"7"``; None for an empty cell.

    >>> id_text("001"), id_text(7), id_text(7.0), id_text(7.5), id_text(float("nan"))
    ('001', '7', '7', '7.5', None)
    """
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA:
        return None
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return str(int(value))
    text = str(value).strip()
    return text or None


class Header:
    """A column as the planner's file names it (``小学生数``), with its meaning added in the
    reader's language when the header is written in the other one: ``小学生数 (primary
    pupils)`` in English, ``primary_pupils（小学生）`` in Chinese."""

    __slots__ = ("header", "column")

    def __init__(self, header: str, column: str) -> None:
        self.header = header
        self.column = column

    def text(self, lang: str | None = None) -> str:
        """The header in ``lang``."""
        lang = language(lang)
        if bool(CJK.search(self.header)) == (lang == "zh"):
            return self.header
        return t("column.meaning", lang, header=self.header, meaning=field(self.column, lang))

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Header({self.header!r}, {self.column!r})"


class FieldName:
    """A canonical column's name for people, in the reader's language (学位 / seats)."""

    __slots__ = ("column",)

    def __init__(self, column: str) -> None:
        self.column = column

    def text(self, lang: str | None = None) -> str:
        """The name in ``lang``."""
        return field(self.column, lang)

    def __str__(self) -> str:
        return self.text()


class Accepted:
    """The headers a column may have, those in the reader's language first: what to write
    when a column is missing."""

    __slots__ = ("names",)

    def __init__(self, names: list[str]) -> None:
        self.names = tuple(names)

    def text(self, lang: str | None = None) -> str:
        """The headers, joined in ``lang``."""
        lang = language(lang)
        chinese = [n for n in self.names if CJK.search(n)]
        other = [n for n in self.names if not CJK.search(n)]
        return Listing(chinese + other if lang == "zh" else other + chinese, sep="sep.names").text(lang)

    def __str__(self) -> str:
        return self.text()


def match_columns(columns: list[str], aliases: dict[str, list[str]]) -> tuple[dict[str, str], list[Message]]:
    """Map a table's headers to canonical names.

    Returns
    -------
    (rename mapping from header to canonical name, problems such as two headers for one column)
    """
    lookup = {normalise_header(a): canon for canon, names in aliases.items() for a in names}
    rename: dict[str, str] = {}
    seen: dict[str, str] = {}
    problems = []
    for col in columns:
        canon = lookup.get(normalise_header(col))
        if canon is None:
            continue
        if canon in seen:
            problems.append(Message("error.columns_clash", first=repr(seen[canon]), second=repr(col),
                                    meaning=FieldName(canon)))
            continue
        seen[canon] = col
        rename[col] = canon
    return rename, problems


def yes_no(value: object) -> bool | None:
    """A yes/no cell (是/否, 有/无, Y/N, yes/no, true/false, 1/0, √ or an empty cell) as a bool;
    None when it is neither.

    >>> [yes_no(v) for v in ("是", "否", "√", "", None, float("nan"), 1, 0.0, "TRUE", "No", "maybe", 2)]
    [True, False, True, False, False, False, True, False, True, False, None, None]
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        if value != value:  # NaN: an empty cell
            return False
        return True if value == 1 else False if value == 0 else None
    text = id_text(value)
    if text is None:
        return False
    text = text.lower()
    return True if text in YES_WORDS else False if text in NO_WORDS else None


def school_type(value: object) -> str | None:
    """Canonical school type of a cell, or None if it is not recognised."""
    key = normalise_header(value)
    for canon, names in SCHOOL_TYPE_ALIASES.items():
        if key in {normalise_header(n) for n in names}:
            return canon
    return None


def parse_grades(value: object) -> tuple[int, ...] | None:
    """Parse '1-3', '1–6', '7,8,9', '1至3' into grades; None when blank or invalid."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, tuple | list):  # a validated table's grades
        grades = tuple(sorted({int(g) for g in value if isinstance(g, int | np.integer)}))
        return grades if len(grades) == len(value) and grades and all(1 <= g <= 9 for g in grades) else None
    text = str(value).strip().replace("–", "-").replace("至", "-").replace("~", "-")
    text = text.replace("年级", "").replace("，", ",")
    match = re.fullmatch(r"(\d)\s*-\s*(\d)", text)
    if match:
        lo, hi = int(match.group(1)), int(match.group(2))
        grades = tuple(range(lo, hi + 1))
    elif re.fullmatch(r"\d(\s*,\s*\d)*", text):
        grades = tuple(sorted({int(t) for t in text.split(",")}))
    else:
        return None
    return grades if grades and all(1 <= g <= 9 for g in grades) else None


# ------------------------------------------------------------------ what a column's figures are
#: What the figures of a column are, by its key (the names of :func:`planning.i18n.field`):
#: ``minutes``, ``km``, ``share`` (a fraction: 0.35 is 35 %), ``count`` (pupils, seats, beds,
#: teachers, schools: whole numbers), ``minutes_change`` and ``count_change`` (signed: +3, −2), ``yuan``, ``wan`` (万元), ``coordinate`` (degrees or
#: metres of a CRS), ``decimal`` (a rate such as teachers per 100 pupils, m² per pupil), ``cv``
#: (a coefficient of variation), ``year``, ``bool`` (yes/no). Workbooks show each kind in its
#: number format (:mod:`planning.excel`). Keys not here are read by :func:`column_kind`.
COLUMN_KINDS: dict[str, str] = {
    **dict.fromkeys((
        "capacity", "classrooms", "beds", "quantity", "primary_pupils", "junior_pupils", "population", "births", "pupils",
        "seats_short", "classes_needed", "classroom_shortfall", "walkers", "bus_riders", "buses", "boarders",
        "beds_added", "walk", "bus", "board", "unserved", "teachers", "teachers_today", "teachers_needed",
        "to_place", "eligible", "sent", "received", "moved_teachers", "moved_key_teachers",
        "moved_teachers_above_qualification", "moved_pe_arts_teachers", "pe_arts_teachers_before",
        "pe_arts_teachers_after", "teachers_above_qualification_before", "teachers_above_qualification_after",
        "key_teachers_before", "key_teachers_after", "teachers_before", "teachers_after", "teachers_short",
        "schools_short", "teachers_spare", "enrolled", "eligible_teachers", "eligible_key_teachers", "met",
        "schools_in_cv", "schools_open", "pupils_beyond_limit", "schools_over_capacity", "oversized_schools",
        "schools_below_standard", "schools_undetermined", "cv_over_limit", "pupils_covered", "edits", "step",
        "villages", "villages_beyond", "villages_out_of_reach", "pupils_beyond", "pupils_unknown_villages",
        "villages_within", "within", "pupils_within", "classes", "largest_class", "oversized_classes",
        "large_classes", "super_large_classes", "small_schools", "schools_with_empty_grades", "members",
        "comparisons", "origins", "horizon", "min_indicators_met", "pupil_minutes",
        "years_at_school", "snap_m", "nearest_for", "cv_teaching_point_pupils", "large_class",
        "super_large_class", "small_school_pupils", "school_size", "cost_horizon", "cost_bus_life",
        "cost_bus_seats", "cost_school_days", "boarding_min_grade", "exchange_min_years", "p"), "count"),
    **dict.fromkeys((
        "minutes", "walk_minutes", "road_walk_minutes", "ride_minutes", "minutes_before", "minutes_after",
        "mean_walk", "max_ride", "max_walk", "drive_minutes", "longest_minutes", "mean_minutes", "max_minutes",
        "any_minutes", "limit_min", "walk_limit_minutes", "bus_max_ride_minutes"), "minutes"),
    **dict.fromkeys((
        "load", "migration_rate", "lowest_share", "share_beyond", "gap", "missed_indicator_floor", "exchange_share",
        "exchange_key_share", "cost_boarding_needy_share", "cost_discount_rate"), "share"),
    **dict.fromkeys(("cv", "cv_limit", "max_cv", "before", "after", "limit"), "cv"),
    **dict.fromkeys((
        "teachers_above_qualification", "key_teachers", "pe_arts_teachers", "teaching_area_m2", "sports_area_m2",
        "multimedia_classrooms", "teachers_per_100", "needed_by_ratio", "needed_by_classes", "mean",
        "seconds", "dilapidated_m2", "village_mape", "township_mape", "walk_speed_kmh", "bus_speed_kmh",
        "objective", "bound", "class_size", "pupils_per_teacher", "teachers_per_class"), "decimal"),
    **dict.fromkeys((
        "cost", "one_off_yuan", "yearly_yuan", "cost_npv_yuan", "opening_cost_yuan", "plan_cost_yuan", "npv_yuan",
        "equipment_value_yuan"), "yuan"),
    **dict.fromkeys(("one_off_wan", "yearly_wan", "npv_wan"), "wan"),
    "change": "minutes_change", "moved": "count_change", "surplus": "count_change",
    **dict.fromkeys(("lon", "lat", "x", "y", "longitude", "latitude"), "coordinate"),
    **dict.fromkeys(("year", "small_from"), "year"),
    **dict.fromkeys((
        "open", "over_capacity", "oversized", "ok", "meets_standard", "in_cv", "key_teacher", "above_qualification",
        "pe_arts", "far_from_road", "pupils_estimated", "beyond", "small_school", "cv_teaching_points",
        "cv_nine_year_split"), "bool"),
}

#: Endings of keys that say what the figures are, for keys not in :data:`COLUMN_KINDS`.
KIND_ENDINGS = (("_minutes", "minutes"), ("_yuan", "yuan"), ("_wan", "wan"), ("_km", "km"), ("_share", "share"),
                ("_rate", "share"), ("_m2", "decimal"))


def column_kind(key: object) -> str | None:
    """What a column's figures are (a kind of :data:`COLUMN_KINDS`), from its key: the key's
    own kind; a grade's pupils (``grade_3``) a count; an indicator's standard (``_min``) its
    indicator's kind and whether it is met (``_ok``) yes/no; a level's figure
    (``primary_mean_walk``) the figure's kind; else by the key's ending (``_minutes``,
    ``_yuan``, ``_km``, ``_share``, …). None: text, or not known."""
    key = str(key)
    if key in COLUMN_KINDS:
        return COLUMN_KINDS[key]
    if re.fullmatch(r"grade_\d", key):
        return "count"
    if key.endswith("_ok"):
        return "bool"
    for prefix in ("primary_", "junior_"):
        if key.startswith(prefix):
            return column_kind(key.removeprefix(prefix))
    if key.endswith("_min") and key[:-4] in COLUMN_KINDS:
        return COLUMN_KINDS[key[:-4]]
    return next((kind for ending, kind in KIND_ENDINGS if key.endswith(ending)), None)
