"""Chinese and English text for the app, maps and reports.

    >>> from planning.i18n import t
    >>> t("walk_within", "zh")
    '步行≤30分钟'
"""

from __future__ import annotations

from .columns import SCHOOL_TYPES

LANGUAGES = ("zh", "en")

TEXT: dict[str, dict[str, str]] = {
    "title": {"zh": "学校布局与学区规划", "en": "School layout and catchment planning"},
    "villages": {"zh": "村庄", "en": "Villages"},
    "schools": {"zh": "学校", "en": "Schools"},
    "sites": {"zh": "候选校址", "en": "Candidate sites"},
    "roads": {"zh": "道路", "en": "Roads"},
    "zoning": {"zh": "学区划分", "en": "Zoning"},
    "catchments": {"zh": "学区范围", "en": "Catchment areas"},
    "changes": {"zh": "变化", "en": "Changes"},
    "change_longer_walk": {"zh": "步行变远", "en": "longer walk"},
    "change_shorter_walk": {"zh": "步行变近", "en": "shorter walk"},
    "change_loses_its_school": {"zh": "失去本校", "en": "loses its school"},
    "change_boards": {"zh": "改为寄宿", "en": "now boards"},
    "change_unserved": {"zh": "无法就学", "en": "unserved"},
    "change_same": {"zh": "不变", "en": "same"},
    "legend": {"zh": "图例", "en": "Legend"},
    "walk_within": {"zh": "步行≤{short}分钟", "en": "walk ≤ {short} min"},
    "walk_limit": {"zh": "步行≤{limit}分钟", "en": "walk ≤ {limit} min"},
    "walk_beyond": {"zh": "步行超过{limit}分钟", "en": "walk > {limit} min"},
    "bus": {"zh": "校车", "en": "school bus"},
    "board": {"zh": "寄宿", "en": "boarding"},
    "unserved": {"zh": "无法就学（需校车或寄宿）", "en": "unserved (no way to school)"},
    "open": {"zh": "保留", "en": "open"},
    "closed": {"zh": "撤并", "en": "closed"},
    "merged": {"zh": "并入他校", "en": "merged"},
    "new": {"zh": "新建", "en": "new"},
    "teaching point": {"zh": "教学点", "en": "teaching point"},
    "candidate": {"zh": "候选", "en": "candidate"},
    "not counted": {"zh": "不计入", "en": "not counted"},
    "pupils": {"zh": "学生", "en": "pupils"},
    "pupils_unknown": {"zh": "学生数未知", "en": "pupils unknown"},
    "capacity": {"zh": "学位", "en": "seats"},
    "load": {"zh": "负荷", "en": "load"},
    "minutes": {"zh": "分钟", "en": "min"},
    "size_note": {"zh": "圆圈大小表示学生数", "en": "circle size: pupils"},
    "isochrone": {"zh": "{minutes}分钟步行圈", "en": "{minutes}-minute walk"},
    "synthetic": {"zh": "合成示例数据", "en": "synthetic demo data"},
    "osm_attribution": {"zh": "© OpenStreetMap 贡献者", "en": "© OpenStreetMap contributors"},
    "scale": {"zh": "比例尺", "en": "Scale"},
    "north": {"zh": "北", "en": "N"},
    "level_primary": {"zh": "小学", "en": "primary"},
    "level_junior": {"zh": "初中", "en": "junior secondary"},
    "map_title": {"zh": "{project}：{scenario}（{level}）", "en": "{project}: {scenario} ({level})"},
    "made_with": {"zh": "制图：planning 学校布局规划工具", "en": "Made with planning"},
    # explanations of a result (Result.explain)
    "note_no_school": {"zh": "{villages}的 {pupils} 名学生到不了任何开设其年级的学校：需要校车、寄宿或就近办学",
                       "en": "{pupils} pupils of {villages} cannot reach any open school teaching their grade: "
                             "they need a bus, boarding or a school nearer home"},
    "note_far": {"zh": "{village}：{pupils} 名学生（{grades} 年级）步行 {walk} 分钟到 {school}，超出时限且无校车；{why}",
                 "en": "{village}: {pupils} pupils (grades {grades}) walk {walk} min to {school}, beyond the limit, "
                       "with no bus; {why}"},
    "why_too_young": {"zh": "{grade} 年级以下不得寄宿", "en": "grades below {grade} may not board"},
    "why_no_beds": {"zh": "{school} 没有空余床位", "en": "{school} has no free boarding beds"},
    "note_more_villages": {"zh": "……另有 {n} 个村有无法就学的学生（见 Result.villages）",
                           "en": "… and {n} more villages with unserved pupils (see Result.villages)"},
    "note_over_capacity": {"zh": "{school} 超出学位：{pupils} 名学生，{capacity} 个学位（缺 {short} 个）",
                           "en": "{school} is over capacity: {pupils} pupils for {capacity} seats (short by {short})"},
    "note_classrooms": {"zh": "{school} 需要 {classes} 个班，只有 {classrooms} 间教室",
                        "en": "{school} needs {classes} classes but has {classrooms} classrooms"},
    "note_more_schools": {"zh": "……共 {full} 所学校超出学位、{short} 所学校教室不足（见 Result.schools）",
                          "en": "… {full} schools over capacity and {short} short of classrooms in all "
                                "(see Result.schools)"},
    "and_more": {"zh": "等另外 {n} 个", "en": " and {n} more"},
    # notes of a recommended plan (Plan.explain)
    "plan_lonely": {"zh": "{village} 距离任何学校和可启用校址都超过 {limit} 分钟（最近 {nearest} 分钟）：需要校车或寄宿",
                    "en": "{village} is beyond {limit} min from every school and site that may open "
                          "(nearest {nearest} min): it needs a bus or boarding"},
    "plan_nine_year": {"zh": "{school} 是九年一贯制学校：为{level}撤并即两个学段一起撤并",
                       "en": "{school} is a nine-year school: closing it for {level} closes it for both levels"},
    # the app
    "app_today_not_zoned": {"zh": "现状学位不足，无法整村划片（{reason}）：现状按就近入学计算，方案与之比较。",
                            "en": "Today's schools lack the seats to zone every village ({reason}): today is shown "
                                  "by nearest school, and plans are compared with that."},
    "app_plan_not_zoned": {"zh": "本方案无法整村划片（{reason}）：地图与数字按就近入学计算。",
                           "en": "This plan cannot be zoned ({reason}): the map and figures show nearest-school "
                                 "assignment."},
    # edits (planning.edits.describe_edit)
    "edit_close": {"zh": "撤销 {school}", "en": "close {school}"},
    "edit_merge": {"zh": "{school} 并入 {into}", "en": "merge {school} into {into}"},
    "edit_open_site": {"zh": "启用校址 {school}{extra}", "en": "open site {school}{extra}"},
    "edit_expand": {"zh": "扩建 {school}{extra}", "en": "expand {school}{extra}"},
    "edit_teaching_point": {"zh": "{school} 改为教学点（{first}–{last} 年级）",
                            "en": "{school} becomes a teaching point (grades {first}–{last})"},
    "edit_add_beds": {"zh": "{school} 增加床位 {beds}", "en": "add {beds} beds at {school}"},
    "edit_add_bus": {"zh": "校车：{villages} → {school}（单程 ≤ {ride} 分钟）",
                     "en": "school bus: {villages} → {school} (ride ≤ {ride} min)"},
    "edit_amount_add": {"zh": "{what} +{value}", "en": "+{value} {what}"},
    "edit_amount_set": {"zh": "{what} {value}", "en": "{value} {what}"},
    "edit_amounts": {"zh": "（{amounts}）", "en": " ({amounts})"},
    "edit_capacity": {"zh": "学位", "en": "seats"},
    "edit_classrooms": {"zh": "教室", "en": "classrooms"},
    "edit_beds": {"zh": "床位", "en": "beds"},
    "list_sep": {"zh": "，", "en": ", "},
    "list_sep_names": {"zh": "、", "en": ", "},
    "plan_partial": {"zh": "{school} 只开设 {grades} 年级：本方案将其撤并（如需保留，请列入“必须保留”）",
                     "en": "{school} teaches only grades {grades}: closed with this plan (pass keep=[...] to keep it)"},
}


def t(key: str, lang: str = "zh", **values: object) -> str:
    """The text for ``key`` in ``lang`` with ``{placeholders}`` filled."""
    if lang not in LANGUAGES:
        raise ValueError(f"`lang` was {lang!r} but is expected to be one of {list(LANGUAGES)}")
    try:
        text = TEXT[key][lang]
    except KeyError:
        raise KeyError(f"no text for {key!r}; add it to planning.i18n.TEXT") from None
    return text.format(**values) if values else text


#: Chinese names of the fields of results, summaries and the policy (reports and the app).
FIELDS_ZH: dict[str, str] = {
    # ids and levels
    "school_id": "学校编号", "village_id": "村庄编号", "level": "学段", "indicator": "指标", "step": "步骤",
    # schools
    "name": "名称", "type": "类型", "status": "状态", "open": "开办", "grades": "开设年级", "capacity": "学位",
    "classrooms": "教室", "beds": "床位", "primary_pupils": "小学生", "junior_pupils": "初中生", "pupils": "学生数",
    "load": "学位使用率", "seats_short": "学位缺口", "over_capacity": "超出学位", "classes_needed": "所需班数",
    "classroom_shortfall": "教室缺口", "walkers": "步行学生", "bus_riders": "乘校车学生", "boarders": "寄宿生",
    "mean_walk": "平均步行（分钟）", "oversized": "超规模",
    # villages
    "school": "就读学校", "schools": "全部就读学校", "mode": "上学方式", "minutes": "用时（分钟）",
    "ride_minutes": "乘车（分钟）", "walk": "步行人数", "bus": "乘车人数", "board": "寄宿人数", "unserved": "无法就学",
    "school_before": "现状学校", "mode_before": "现状方式", "minutes_before": "现状用时（分钟）",
    "change": "变化（分钟）", "school_after": "方案学校", "mode_after": "方案方式", "minutes_after": "方案用时（分钟）",
    "outcome": "影响",
    # resource indicators (优质均衡)
    "teachers_above_qualification": "每百名学生高于规定学历教师数", "key_teachers": "每百名学生县级以上骨干教师数",
    "pe_arts_teachers": "每百名学生体育艺术专任教师数", "teaching_area_m2": "生均教学及辅助用房面积（㎡）",
    "sports_area_m2": "生均体育运动场馆面积（㎡）", "equipment_value_yuan": "生均教学仪器设备值（元）",
    "multimedia_classrooms": "每百名学生网络多媒体教室数", "met": "达标项数", "meets_standard": "资源配置达标",
    "mean": "均值", "cv": "差异系数", "cv_limit": "差异系数上限", "ok": "达标",
    # summary
    "schools_open": "开办学校", "pupils_beyond_limit": "超出步行时限的学生", "max_walk": "最长步行（分钟）",
    "schools_over_capacity": "超出学位的学校", "oversized_schools": "超规模学校",
    "schools_below_standard": "资源配置未达标学校", "primary_max_cv": "小学最大差异系数",
    "primary_cv_over_limit": "小学差异系数超限指标数", "junior_max_cv": "初中最大差异系数",
    "junior_cv_over_limit": "初中差异系数超限指标数", "assignment": "分配方式", "pupil_minutes": "学生步行总分钟",
    "solver_status": "求解状态", "today": "现状", "edits": "改动数",
    # change log and policy
    "op": "操作", "walk_limit_minutes": "单程步行时限（分钟，小学/初中）", "walk_speed_kmh": "步行速度（公里/小时）",
    "class_size": "班额（小学/初中）", "school_size": "学校规模上限（小学/初中）", "boarding_min_grade": "最低寄宿年级",
    "bus_speed_kmh": "校车速度（公里/小时）",
    # recommended plans
    "kind": "类别", "decision": "决定", "goal": "目标", "limit_min": "步行时限（分钟）", "objective": "目标值",
    "bound": "下界", "gap": "差距", "seconds": "用时（秒）",
}

#: Words in the cells of those tables: modes, statuses, levels, outcomes, assignments, edits.
VALUES_ZH: dict[str, str] = {
    "walk": "步行", "bus": "校车", "board": "寄宿", "unserved": "无法就学", "open": "保留", "closed": "撤并",
    "merged": "并入他校", "new": "新建", "teaching point": "教学点", "candidate": "候选", "not counted": "不计入",
    "primary": "小学", "junior": "初中", "both": "小学和初中", "nearest": "就近", "zoned": "整村划片",
    "split": "可拆分划片", "longer walk": "步行变远", "shorter walk": "步行变近", "loses its school": "失去本校",
    "boards": "改为寄宿", "same": "不变", "close": "撤销", "merge": "合并", "open_site": "启用校址",
    "expand": "扩建", "teaching_point": "改为教学点", "add_beds": "增加床位", "add_bus": "开通校车",
    "keep": "保留", "stay closed": "不启用", "school": "学校", "site": "候选校址", "fewest_schools": "最少学校",
    "p_median": "总步行时间最短", "max_coverage": "时限内学生最多",
}
#: Words that mean something else in one column: a site that opens is new, not kept.
_COLUMN_WORDS_ZH: dict[str, dict[str, str]] = {"decision": {"open": "启用", "close": "撤销"}}
_VALUE_COLUMNS = ("mode", "mode_before", "mode_after", "status", "level", "outcome", "assignment", "op", "kind",
                  "decision", "goal")


def field(name: str, lang: str = "zh") -> str:
    """A field's name for people: 学生数 / pupils, 3年级 / grade 3, …"""
    if lang not in LANGUAGES:
        raise ValueError(f"`lang` was {lang!r} but is expected to be one of {list(LANGUAGES)}")
    name = str(name)
    if lang == "en":
        return name.replace("_", " ")
    if name.startswith("grade_") and name[6:].isdigit():
        return f"{name[6:]}年级"
    for suffix, word in (("_min", "（标准）"), ("_ok", "（达标）")):
        if name.endswith(suffix) and name[: -len(suffix)] in FIELDS_ZH:
            return FIELDS_ZH[name[: -len(suffix)]] + word
    return FIELDS_ZH.get(name, name)


def plan_name(name: str, lang: str = "zh") -> str:
    """A plan's name for people: today's layout is 现状 in Chinese; other names as given."""
    return field(name, lang) if name == "today" else name


def localise(frame, lang: str = "zh"):
    """A table for people: field names (columns, index names, and index labels that are
    field names, as in a summary) and the words in its cells, in ``lang``."""
    import pandas as pd

    out = frame.copy()
    if "assignment" in out.index and not isinstance(out.index, pd.MultiIndex):  # a summary: its words too
        out.loc["assignment"] = out.loc["assignment"].map(lambda v: VALUES_ZH.get(v, v) if lang == "zh" else v)
    words = (lambda v: VALUES_ZH.get(v, v) if isinstance(v, str) else v) if lang == "zh" else (lambda v: v)
    for column in _VALUE_COLUMNS:
        if column in out.columns:
            special = _COLUMN_WORDS_ZH.get(column, {}) if lang == "zh" else {}
            out[column] = out[column].astype(object).map(lambda v, special=special: special.get(v, words(v)))
    if "type" in out.columns:
        out["type"] = out["type"].map(lambda kind: school_type(kind, lang) if kind in SCHOOL_TYPES else kind)
    if isinstance(out.index, pd.MultiIndex):
        out.index = out.index.set_levels([level.map(lambda v: words(field(v, lang)) if isinstance(v, str) else v)
                                          if name in ("level", "indicator") else level
                                          for name, level in zip(out.index.names, out.index.levels, strict=True)])
    else:  # labels that are field names (a summary's rows), not ids
        out.index = out.index.map(lambda v: field(v, lang) if isinstance(v, str) and (
            v in FIELDS_ZH or v.startswith("grade_")) else v)
    out.index.names = [field(n, lang) if n else n for n in out.index.names]
    return out.rename(columns=lambda c: field(c, lang))


def school_type(kind: str, lang: str = "zh") -> str:
    """The name of a school type (中心小学 / central primary, …)."""
    return str(SCHOOL_TYPES[kind]["zh" if lang == "zh" else "en"])
