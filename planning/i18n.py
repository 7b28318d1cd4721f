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


def school_type(kind: str, lang: str = "zh") -> str:
    """The name of a school type (中心小学 / central primary, …)."""
    return str(SCHOOL_TYPES[kind]["zh" if lang == "zh" else "en"])
