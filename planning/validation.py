"""Table validation: villages, schools, candidate sites, enrolment history, births and the
teacher roster as a county gives them.

Each ``validate_*`` function takes a GeoDataFrame as read by :func:`planning.io.read_table`
(any supported headers), checks everything, and either returns the canonical table in
WGS84 indexed by id (text: ``001`` stays ``001``), or raises one
:class:`~planning.errors.ValidationError` listing every problem, each a catalogue message
(Chinese and English) naming the row as the planner's spreadsheet numbers it, the column
by the header the planner's file uses, and what to do. A missing column is one problem
listing the headers it may have, not a problem on every row.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from .columns import (
    BIRTHS_ALIASES,
    GRADE_COLUMNS,
    HISTORY_ALIASES,
    PE_ARTS_SUBJECTS,
    ROSTER_ALIASES,
    SCHOOL_ALIASES,
    SCHOOL_GRADES,
    SCHOOL_TYPE_ALIASES,
    SITE_ALIASES,
    VILLAGE_ALIASES,
    YUAN_COLUMNS,
    Accepted,
    FieldName,
    Header,
    id_text,
    in_wan,
    match_columns,
    number_column,
    number_value,
    parse_grades,
    school_type,
    yes_no,
)
from .coords import COORDS, COORDS_COLUMN
from .errors import ValidationError, warn
from .i18n import Listing, Message, language, t
from .io import ROW
from .policy import INDICATORS, LEVEL_GRADES, LEVELS, Policy

RESOURCE_COLUMNS = ["teachers", *INDICATORS]
#: Teachers eligible to rotate (符合交流条件教师数, 符合交流条件骨干教师数): whole persons.
ELIGIBLE_COLUMNS = ["eligible_teachers", "eligible_key_teachers"]
SCHOOL_NUMBERS = ["capacity", "classrooms", "beds", "enrolled", *RESOURCE_COLUMNS, *ELIGIBLE_COLUMNS, "dilapidated_m2"]
#: (part, whole): a school's teachers of a kind are some of its teachers of the other.
TEACHER_PARTS = [("key_teachers", "teachers"), ("teachers_above_qualification", "teachers"),
                 ("pe_arts_teachers", "teachers"), ("eligible_teachers", "teachers"),
                 ("eligible_key_teachers", "key_teachers"), ("eligible_key_teachers", "eligible_teachers")]
#: The roster's yes/no columns and the schools table's count each gives.
ROSTER_FLAGS = {"key_teacher": "key_teachers", "above_qualification": "teachers_above_qualification",
                "pe_arts": "pe_arts_teachers"}
SITE_NUMBERS = ["capacity", "classrooms", "beds", "cost"]


class _Problems(list[Message]):
    """A list of problems that raises once at the end."""

    def raise_if_any(self, source: str) -> None:
        if self:
            raise ValidationError(self, source=source)


def _canonical(gdf: gpd.GeoDataFrame, aliases: dict[str, list[str]], problems: _Problems) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise TypeError(f"expected a GeoDataFrame, got {type(gdf).__name__}")
    id_col = next(iter(aliases))
    if gdf.index.name == id_col and id_col not in gdf.columns:  # a validated table, checked again
        gdf = gdf.reset_index()
    rename, clashes = match_columns([c for c in gdf.columns if c != gdf.geometry.name], aliases)
    problems.extend(clashes)
    out = gdf.rename(columns=rename)
    before = gdf.attrs.get("headers", {})  # a validated table keeps the headers of the planner's file
    out.attrs["headers"] = {canonical: before.get(original, original) for original, canonical in rename.items()}
    for original, canonical in rename.items():  # 投资估算（万元）: figures in yuan from here on (once:
        if canonical in YUAN_COLUMNS and in_wan(original):  # the column is renamed, its header no longer says 万元)
            out[canonical] = [v * 10_000 if (v := number_value(cell)) is not None else cell for cell in out[canonical]]
    if ROW not in out.columns:
        out[ROW] = [Message("error.row", n=i + 1) for i in range(len(out))]
    return out


def _header(frame: pd.DataFrame, col: str) -> Header:
    """A column as the planner's table names it (小学生数), with its meaning in the reader's
    language where the header is in the other one."""
    return Header(frame.attrs.get("headers", {}).get(col, col), col)


def _ids(frame: pd.DataFrame, id_col: str, problems: _Problems, *, what: str) -> pd.Series:
    """Ids as text; fall back to unique names; report missing and duplicate ids (the ids
    returned then are placeholders: the problems are raised before they are used)."""
    kind = Message(f"what.{what}")
    aliases = {"village": VILLAGE_ALIASES, "school": SCHOOL_ALIASES, "site": SITE_ALIASES,
               "teacher": ROSTER_ALIASES}[what][id_col]
    if id_col not in frame.columns:
        names = frame["name"].map(id_text) if "name" in frame.columns else None
        if names is not None and names.notna().all() and names.is_unique:
            return names.astype(object)
        problems.append(Message("error.missing_id_column", accepted=Accepted(aliases), what=kind))
        return pd.Series([str(i) for i in range(len(frame))], index=frame.index, dtype=object)
    ids = frame[id_col].map(id_text).astype(object)
    blank = ids.isna()
    for row in frame.loc[blank, ROW]:
        problems.append(_at(row, Message("error.empty_id", column=_header(frame, id_col), what=kind)))
    dup = ids.duplicated(keep=False) & ~blank
    for value, rows in frame.loc[dup, ROW].groupby(ids[dup]):
        problems.append(Message("error.duplicate_id", column=_header(frame, id_col), value=repr(value),
                                rows=Listing(list(rows)), what=kind))
    return ids.fillna("")


def _at(row: object, problem: Message) -> Message:
    """A problem of one row: "row 5: ..."."""
    return Message("error.at", where=row, problem=problem)


#: The largest figure a county's table may hold in a column (larger is a typing slip, a unit
#: mix-up or a broken cell: ``inf``, ``1e300``): counts, areas and rates by default; yuan.
LARGEST_COUNT = 10_000_000.0
LARGEST = {"cost": 1e12, "equipment_value_yuan": 1e9}


def _numbers(frame: pd.DataFrame, columns: list[str], problems: _Problems) -> pd.DataFrame:
    """Coerce columns to float in place (numbers as counties type them: :func:`~planning.columns.number_value`);
    report non-numeric, negative and impossibly large cells (:data:`LARGEST`).

    Returns a mask of the cells already reported, so later checks do not report them
    again as empty.
    """
    reported = pd.DataFrame(False, index=frame.index, columns=columns)
    for col in columns:
        if col not in frame.columns:
            continue
        raw = frame[col]
        values = number_column(raw)  # "1,234", "12人", "1 234", "１２３" as counties type them
        for i in map(int, np.flatnonzero((values.isna() & raw.notna()).to_numpy())):
            problems.append(_at(frame[ROW].iat[i], Message("error.not_a_number", column=_header(frame, col),
                                                           value=repr(raw.iat[i]))))
        for i in map(int, np.flatnonzero((values < 0).to_numpy())):
            problems.append(_at(frame[ROW].iat[i], Message("error.negative", column=_header(frame, col),
                                                           value=f"{values.iat[i]:g}")))
        most = LARGEST.get(col, LARGEST_COUNT)  # inf or 1e300 pupils would pass every later check
        numbers = values.to_numpy(dtype=float)
        for i in map(int, np.flatnonzero(numbers > most)):
            big = float(numbers[i])
            problems.append(_at(frame[ROW].iat[i], Message("error.too_large", column=_header(frame, col),
                                                           value=f"{big:,.0f}" if big < 1e15 else f"{big:g}",
                                                           most=f"{most:,.0f}")))
        reported[col] = (values.isna() & raw.notna()).to_numpy()
        frame[col] = values.astype(float)
    return reported


def _geometry(frame: gpd.GeoDataFrame, problems: _Problems) -> gpd.GeoSeries:
    """Points in WGS84; polygons become representative points; empty ones are reported."""
    geom = frame.geometry
    empty = geom.isna() | geom.is_empty
    for row in frame.loc[empty, ROW]:
        problems.append(_at(row, Message("error.empty_geometry")))
    if frame.crs is None:
        problems.append(Message("error.table_no_crs"))
        return geom
    geom = geom.where(empty | (geom.geom_type == "Point"), geom.representative_point())
    degrees = geom.to_crs(4326)
    lon, lat = degrees.x.to_numpy(), degrees.y.to_numpy()  # NaN for an empty point
    nowhere = ~empty.to_numpy() & ~(np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90))
    for row in frame.loc[nowhere, ROW]:
        problems.append(_at(row, Message("error.nowhere", crs=frame.crs.to_string())))
    return degrees


def _coords_from(frame: pd.DataFrame) -> pd.Series:
    """The coordinate system each row's file gave (``coords_from``: ``wgs84``, ``gcj02`` or
    ``bd09``), as :func:`planning.io.read_table` recorded it when converting; ``wgs84`` where
    nothing was converted (a site added on the map, a file read as WGS84)."""
    given = frame.get(COORDS_COLUMN)
    if given is None:
        return pd.Series("wgs84", index=frame.index, dtype=object)
    return given.map(lambda v: v if v in COORDS else "wgs84").astype(object)


def validate_villages(
    gdf: gpd.GeoDataFrame,
    *,
    source: str = "villages",
    policy: Policy | None = None,
    unknown_pupils_ok: bool = False,
) -> gpd.GeoDataFrame:
    """Check and normalise a villages table.

    Pupils come from ``primary_pupils``/``junior_pupils`` (小学生数/初中生数), or are summed
    from ``grade_1`` … ``grade_9``, or are estimated from ``population`` with the policy's
    school-age shares (then ``pupils_estimated`` is True).

    Returns
    -------
    GeoDataFrame indexed by ``village_id`` (text) in WGS84 with ``name``,
    ``primary_pupils``, ``junior_pupils`` (pupils), grade columns (pupils, NaN if not
    given), ``population`` (people), ``pupils_estimated`` and ``coords_from`` (the
    coordinate system the file gave, ``wgs84``, ``gcj02`` or ``bd09``: the points are WGS84).

    With ``unknown_pupils_ok`` (data from OSM), villages whose pupils cannot be known
    keep NaN pupils instead of raising; they are counted as unknown in every summary.
    """
    policy = policy or Policy()
    problems = _Problems()
    frame = _canonical(gdf, VILLAGE_ALIASES, problems)
    ids = _ids(frame, "village_id", problems, what="village")
    reported = _numbers(frame, ["primary_pupils", "junior_pupils", "population", *GRADE_COLUMNS], problems)
    estimated = _fill_pupils(frame, policy, problems, unknown_ok=True if unknown_pupils_ok else reported)
    geometry = _geometry(frame, problems)
    problems.raise_if_any(source)
    out = gpd.GeoDataFrame(
        {
            "name": _names(frame, ids),
            "name_pinyin": frame.get("name_pinyin", pd.Series(pd.NA, index=frame.index)),
            "primary_pupils": frame["primary_pupils"],
            "junior_pupils": frame["junior_pupils"],
            **{g: frame.get(g, pd.Series(np.nan, index=frame.index)).astype(float) for g in GRADE_COLUMNS},
            "population": frame.get("population", pd.Series(np.nan, index=frame.index)).astype(float),
            "pupils_estimated": estimated,
            COORDS_COLUMN: _coords_from(frame),
            ROW: frame[ROW],
        },
        geometry=geometry.values,
        crs=4326,
    )
    out.index = pd.Index(ids.to_numpy(), name="village_id")
    return out


def revalidate_villages(villages: gpd.GeoDataFrame, *, policy: Policy | None = None,
                        source: str = "villages") -> gpd.GeoDataFrame:
    """Check a villages table again after a change (pupils of another year, another
    population, another policy): pupils that were estimated from population are estimated
    again, from the population and school-age shares given now."""
    table = villages.copy()
    if "pupils_estimated" in table:
        estimated = table["pupils_estimated"].astype(bool).to_numpy()
        table.loc[estimated, ["primary_pupils", "junior_pupils"]] = np.nan
        table = table.drop(columns="pupils_estimated")
    return validate_villages(table, source=source, policy=policy, unknown_pupils_ok=True)


def _names(frame: pd.DataFrame, ids: pd.Series) -> pd.Series:
    if "name" not in frame.columns:
        return ids.astype(str)
    names = frame["name"].map(id_text)
    return names.where(names.notna(), ids).astype(str)


def _fill_pupils(
    frame: pd.DataFrame, policy: Policy, problems: _Problems, *, unknown_ok: bool | pd.DataFrame
) -> pd.Series:
    """Fill level totals from grades or population; report what is missing or inconsistent.

    ``unknown_ok`` is True (keep unknown pupils as NaN) or a mask of cells already
    reported as invalid (not reported again as empty).
    """
    estimated = pd.Series(False, index=frame.index)
    for level, grades in LEVEL_GRADES.items():
        col = f"{level}_pupils"
        grade_cols = [f"grade_{g}" for g in grades]
        have_grades = all(g in frame.columns for g in grade_cols)
        if have_grades:
            summed = frame[grade_cols].sum(axis=1, min_count=len(grade_cols))
            if col in frame.columns:
                off = (frame[col] - summed).abs() > 0.5
                for i in map(int, np.flatnonzero(off.to_numpy())):
                    problems.append(_at(frame[ROW].iat[i], Message(
                        "error.grades_disagree", column=_header(frame, col), value=f"{frame[col].iat[i]:g}",
                        first=grades[0], last=grades[-1], total=f"{summed.iat[i]:g}")))
            else:
                frame[col] = summed
        if col not in frame.columns:
            if "population" in frame.columns:
                frame[col] = frame["population"] * policy.school_age_share[level]
                estimated |= frame["population"].notna()
                continue
            problems.append(Message("error.missing_pupils_column", level=Message(f"level.{level}"),
                                    accepted=Accepted(VILLAGE_ALIASES[col]), first=grades[0], last=grades[-1],
                                    grade=Accepted(VILLAGE_ALIASES[grade_cols[0]]),
                                    population=Accepted(VILLAGE_ALIASES["population"])))
            frame[col] = np.nan
            continue
        blank = frame[col].isna()
        if "population" in frame.columns:  # estimate the gaps, flagged
            fill = blank & frame["population"].notna()
            frame.loc[fill, col] = frame.loc[fill, "population"] * policy.school_age_share[level]
            estimated |= fill
            blank &= ~fill
        if unknown_ok is True:
            continue
        if isinstance(unknown_ok, pd.DataFrame) and col in unknown_ok:
            blank &= ~unknown_ok[col]
        for row in frame.loc[blank, ROW]:
            problems.append(_at(row, Message("error.empty_pupils", column=_header(frame, col))))
    return estimated


def validate_schools(gdf: gpd.GeoDataFrame, *, source: str = "schools") -> gpd.GeoDataFrame:
    """Check and normalise a schools table.

    The school type (中心小学, 村完小, 教学点, 初中, 九年一贯制 or their English names) gives
    the grades served unless a ``grades`` column (开设年级, e.g. "1-3") says otherwise.
    Without a type column, the type is read from each name (青山镇中心小学 is a central
    primary school); schools whose names do not tell are one problem, naming them.

    Returns
    -------
    GeoDataFrame indexed by ``school_id`` (text) in WGS84 with ``name``, ``type``, ``grades``
    (tuple), ``primary``/``junior`` (serves the whole level), ``capacity`` (pupils),
    ``classrooms``, ``beds`` (boarding beds), ``enrolled`` and the resource columns, with
    ``eligible_teachers`` and ``eligible_key_teachers`` (符合交流条件教师数 and 符合交流条件骨干教师数:
    teachers who may rotate to another school this year, e.g. six or more years at this one),
    NaN where not given (unknown, not zero). Teachers of a kind (key, above the required
    qualification, PE and arts, eligible) cannot outnumber the teachers they are part of;
    eligible teachers are whole persons; ``coords_from`` as for villages. ``attrs["headers"]`` keeps the headers of the
    planner's file by column, to name them in later messages.
    """
    problems = _Problems()
    frame = _canonical(gdf, SCHOOL_ALIASES, problems)
    ids = _ids(frame, "school_id", problems, what="school")
    reported = _numbers(frame, SCHOOL_NUMBERS, problems)
    _teacher_counts(frame, reported, problems)
    types = _school_types(frame, problems)
    grades = _school_grades(frame, types, problems)
    geometry = _geometry(frame, problems)
    problems.raise_if_any(source)
    data = {
        "name": _names(frame, ids),
        "name_pinyin": frame.get("name_pinyin", pd.Series(pd.NA, index=frame.index)),
        "type": types,
        "grades": grades,
    }
    for level, level_grades in LEVEL_GRADES.items():
        data[level] = grades.map(lambda g, lg=level_grades: set(lg) <= set(g))
    for col in SCHOOL_NUMBERS:
        default = 0.0 if col == "beds" else np.nan
        data[col] = frame.get(col, pd.Series(default, index=frame.index)).astype(float)
    data[COORDS_COLUMN] = _coords_from(frame)
    data[ROW] = frame[ROW]
    out = gpd.GeoDataFrame(data, geometry=geometry.values, crs=4326)
    out.index = pd.Index(ids.to_numpy(), name="school_id")
    out.attrs["headers"] = dict(frame.attrs.get("headers", {}))
    return out


def _teacher_counts(frame: pd.DataFrame, reported: pd.DataFrame, problems: _Problems) -> None:
    """Eligible teachers in whole persons; no part of a school's teachers larger than the
    whole (both known)."""
    for col in ELIGIBLE_COLUMNS:
        if col in frame.columns:
            values = frame[col]
            for i in map(int, np.flatnonzero((values.notna() & (values % 1 != 0)).to_numpy())):
                problems.append(_at(frame[ROW].iat[i], Message("error.not_whole", column=_header(frame, col),
                                                                value=f"{values.iat[i]:g}")))
    for part, whole in TEACHER_PARTS:
        if part not in frame.columns or whole not in frame.columns:
            continue
        over = (frame[part] > frame[whole] + 1e-9) & ~reported[part] & ~reported[whole]
        for i in map(int, np.flatnonzero(over.to_numpy())):
            problems.append(_at(frame[ROW].iat[i], Message(
                "error.more_than", column=_header(frame, part), value=f"{frame[part].iat[i]:g}",
                other=_header(frame, whole), limit=f"{frame[whole].iat[i]:g}")))


class _TypeChoice:
    """A school type as a table may write it: 中心小学 in Chinese, central_primary (中心小学)
    in English."""

    __slots__ = ("kind",)

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def text(self, lang: str | None = None) -> str:
        aliases = SCHOOL_TYPE_ALIASES[self.kind]
        named = t(f"type.{self.kind}", "zh")  # the type's own name, where tables may write it
        chinese = named if named in aliases else next(a for a in aliases if not a.isascii())
        return chinese if language(lang) == "zh" else f"{self.kind} ({chinese})"


TYPE_CHOICES = Listing([_TypeChoice(kind) for kind in SCHOOL_GRADES], sep="sep.names")


def _school_types(frame: pd.DataFrame, problems: _Problems) -> pd.Series:
    """Each row's school type from its type column, or, when the table has none, from its
    name (中心小学, 教学点, 初中 ... in the name); one problem for a missing column."""
    accepted = Accepted(SCHOOL_ALIASES["type"])
    if "type" not in frame.columns:
        names = frame["name"] if "name" in frame.columns else pd.Series(None, index=frame.index, dtype=object)
        guessed = names.map(lambda n: type_from_name(n) if isinstance(n, str) else None)
        unknown = guessed.isna().to_numpy()
        if unknown.any():
            rows = [Message("error.named_row", name=str(name), where=row) if isinstance(name, str) else row
                    for name, row in zip(names[unknown], frame[ROW][unknown], strict=True)]
            problems.append(Message("error.missing_type", accepted=accepted, n=int(unknown.sum()),
                                    schools=Listing(rows, sep="sep.names", most=10), allowed=TYPE_CHOICES))
        return guessed.fillna("other")
    raw = frame["type"]
    types = raw.map(lambda v: school_type(v) if isinstance(v, str) else None)
    column = _header(frame, "type")
    for i in map(int, np.flatnonzero(types.isna().to_numpy())):
        value = raw.iat[i]
        problem = (Message("error.empty_type", column=column, allowed=TYPE_CHOICES) if id_text(value) is None else
                   Message("error.unknown_type", column=column, value=repr(value), allowed=TYPE_CHOICES))
        problems.append(_at(frame[ROW].iat[i], problem))
    return types.fillna("other")


def type_from_name(name: object) -> str | None:
    """Guess a school type from a Chinese or German/English school name."""
    text = str(name).lower()
    rules = [
        ("nine_year", ("九年一贯", "九年制")),
        ("teaching_point", ("教学点",)),
        ("central_primary", ("中心小学", "中心校")),
        ("junior_secondary", ("初中", "初级中学", "中学", "realschule", "oberschule", "gymnasium",
                              "sekundar", "weiterführende", "secondary", "middle school")),
        ("village_primary", ("小学", "primarschule", "grundschule", "volksschule", "primary",
                             "kleinschule", "elementary")),
        ("other", ("大学", "学院", "职业", "universität", "university", "hochschule", "musikschule",
                   "music", "privatschule", "幼儿园", "kindergarten")),
    ]
    for kind, words in rules:
        if any(w in text for w in words):
            return kind
    return None


def _school_grades(frame: pd.DataFrame, types: pd.Series, problems: _Problems) -> pd.Series:
    grades = [SCHOOL_GRADES[kind] for kind in types]
    if "grades" in frame.columns:  # 开设年级 says otherwise
        for i, raw in enumerate(frame["grades"]):
            if raw is None or (isinstance(raw, float) and np.isnan(raw)) or (isinstance(raw, str) and not raw.strip()):
                continue  # a blank cell: the type's grades (a school of type 其他 teaches none, saved as '')
            parsed = parse_grades(raw)
            if parsed is None:
                problems.append(_at(frame[ROW].iat[i], Message("error.bad_grades", column=_header(frame, "grades"),
                                                                value=repr(raw))))
            else:
                grades[i] = parsed
    return pd.Series(grades, index=frame.index, dtype=object)


def validate_sites(gdf: gpd.GeoDataFrame, *, source: str = "sites") -> gpd.GeoDataFrame:
    """Check and normalise a candidate-sites table (places a new school could open).

    Returns
    -------
    GeoDataFrame indexed by ``site_id`` (text) in WGS84 with ``name``, ``type`` (default
    ``village_primary``), ``capacity`` (pupils), ``classrooms``, ``beds``, ``cost`` (yuan) and
    ``coords_from`` as for villages.
    """
    problems = _Problems()
    frame = _canonical(gdf, SITE_ALIASES, problems)
    ids = _ids(frame, "site_id", problems, what="site")
    _numbers(frame, SITE_NUMBERS, problems)
    if "type" in frame.columns:
        types = _school_types(frame, problems)
    else:
        types = pd.Series("village_primary", index=frame.index)
    geometry = _geometry(frame, problems)
    problems.raise_if_any(source)
    data = {"name": _names(frame, ids),
            "name_pinyin": frame.get("name_pinyin", pd.Series(pd.NA, index=frame.index)),
            "type": types}
    for col in SITE_NUMBERS:
        data[col] = frame.get(col, pd.Series(np.nan, index=frame.index)).astype(float)
    data[COORDS_COLUMN] = _coords_from(frame)
    data[ROW] = frame[ROW]
    out = gpd.GeoDataFrame(data, geometry=geometry.values, crs=4326)
    out.index = pd.Index(ids.to_numpy(), name="site_id")
    return out


def validate_history(frame: pd.DataFrame, village_ids: list[str] | pd.Index, *,
                     source: str = "history") -> pd.DataFrame:
    """Check and normalise an enrolment history (年份, 村编号, 一年级 … 九年级): the county's
    school-roll records aggregated by home village, one row per year and village.

    Every problem is reported at once, naming the row (the header is row 1), the column as
    the file names it, and what to do: missing columns, empty or non-numeric years, unknown
    village ids, a village twice in one year, negative or non-numeric pupils. Fewer than 4
    years is a :class:`~planning.errors.DataWarning`, not an error (ratios need 2 years, a
    backtest 4).

    Returns
    -------
    DataFrame indexed by (``year``, ``village_id``), sorted, columns ``grade_1`` …
    ``grade_9`` (pupils; an empty cell is 0).
    """
    table = _yearly_table(frame, HISTORY_ALIASES, GRADE_COLUMNS, village_ids, source=source, what="history",
                          required=GRADE_COLUMNS)
    years = sorted(set(table.index.get_level_values("year")))
    if len(years) < 4:
        warn(Message("data.few_history_years", source=source, n=len(years), years=Listing(years)))
    return table[GRADE_COLUMNS].fillna(0.0)


def validate_births(frame: pd.DataFrame, village_ids: list[str] | pd.Index, *,
                    source: str = "births") -> pd.DataFrame:
    """Check and normalise births by village and year (年份, 村编号, 出生人口), with, where
    known, the village's population (户籍人口) and net migration rate (迁移率, a fraction of
    the population per year). A table may give births, population or both.

    Returns
    -------
    DataFrame indexed by (``year``, ``village_id``), sorted, columns ``births`` (children
    born that year), ``population`` (people) and ``migration_rate`` (NaN where not given).
    """
    numbers = ["births", "population", "migration_rate"]
    table = _yearly_table(frame, BIRTHS_ALIASES, numbers, village_ids, source=source, what="births", required=[])
    return table


def _yearly_table(frame: pd.DataFrame, aliases: dict[str, list[str]], numbers: list[str],
                  village_ids: list[str] | pd.Index, *, source: str, what: str,
                  required: list[str]) -> pd.DataFrame:
    """A table of one row per year and village, checked: canonical columns, every problem
    raised at once."""
    problems = _Problems()
    table = _plain_canonical(frame, aliases, problems, what=what, required=["year", "village_id", *required])
    if what == "births" and "births" not in table.columns and "population" not in table.columns:
        problems.append(Message("error.missing_births_columns", births=Accepted(aliases["births"]),
                                population=Accepted(aliases["population"])))
    problems.raise_if_any(source)
    years = _years(table, problems)
    ids = table["village_id"].map(id_text).astype(object)
    _known_ids(table, ids, village_ids, problems, what="village")
    _numbers(table, [c for c in numbers if c in table.columns], problems)
    both = years.notna() & ids.notna()
    dup = pd.Series(list(zip(years, ids, strict=True)), index=table.index).duplicated(keep=False) & both
    for (year, village), rows in table.loc[dup, ROW].groupby([years[dup], ids[dup]]):
        problems.append(Message("error.duplicate_year_village", column=_header(table, "village_id"),
                                value=repr(village), year=f"{year:.0f}", rows=Listing(list(rows))))
    problems.raise_if_any(source)
    out = pd.DataFrame({col: table[col].astype(float) if col in table.columns else np.nan for col in numbers},
                       index=table.index)
    out.index = pd.MultiIndex.from_arrays([years.astype(int).to_numpy(), ids.to_numpy()],
                                          names=["year", "village_id"])
    return out.sort_index()


def _years(table: pd.DataFrame, problems: _Problems) -> pd.Series:
    """Years as numbers; empty, fractional or implausible years reported."""
    raw = table["year"]
    values = pd.to_numeric(raw.map(lambda v: str(v).strip().removesuffix("年") if isinstance(v, str) else v),
                           errors="coerce")
    bad = values.isna() | (values % 1 != 0) | (values < 1900) | (values > 2200)
    for i in map(int, np.flatnonzero(bad.to_numpy())):
        problems.append(_at(table[ROW].iat[i], Message("error.bad_year", column=_header(table, "year"),
                                                        value=repr(raw.iat[i]))))
    return values.where(~bad)


def _plain_canonical(frame: pd.DataFrame, aliases: dict[str, list[str]], problems: _Problems, *, what: str,
                     required: list[str]) -> pd.DataFrame:
    """A table without locations under canonical column names, its headers kept in
    ``attrs["headers"]``, rows numbered as a spreadsheet numbers them (the header is row 1);
    one problem per required column missing."""
    rename, clashes = match_columns([c for c in frame.columns if c != ROW], aliases)
    problems.extend(clashes)
    table = pd.DataFrame(frame).rename(columns=rename)
    table.attrs["headers"] = {canonical: original for original, canonical in rename.items()}
    if ROW not in table.columns:
        table[ROW] = pd.Series([Message("error.row", n=i + 2) for i in range(len(table))], index=table.index,
                               dtype=object)
    for col in required:
        if col not in table.columns:
            problems.append(Message("error.missing_columns", what=Message(f"what.{what}"), meaning=FieldName(col),
                                    accepted=Accepted(aliases[col])))
    return table


def _known_ids(table: pd.DataFrame, ids: pd.Series, known_ids: list[str] | pd.Index, problems: _Problems, *,
               what: str) -> None:
    """Rows whose village (``what="village"``) or school is empty or not in the project's table."""
    known = {str(v) for v in known_ids}
    examples = Listing(sorted(known)[:3])
    column = _header(table, f"{what}_id")
    for i in map(int, np.flatnonzero(ids.isna().to_numpy())):
        problems.append(_at(table[ROW].iat[i], Message("error.empty_ref", column=column, what=Message(f"what.{what}"))))
    for i in map(int, np.flatnonzero((ids.notna() & ~ids.isin(known)).to_numpy())):
        problems.append(_at(table[ROW].iat[i], Message(f"error.unknown_{what}_row", column=column,
                                                        value=repr(ids.iat[i]), examples=examples)))


def validate_roster(frame: pd.DataFrame, *, schools: pd.DataFrame | pd.Index | list[str],
                    source: str = "teachers") -> pd.DataFrame:
    """Check and normalise a teacher roster (教师名册): one row per teacher.

    Columns, with Chinese or English headers (:data:`~planning.columns.ROSTER_ALIASES`):
    ``school_id`` (学校编号, a school of ``schools``), ``years_at_school`` (本校任教年限, years,
    0 or more) and ``key_teacher`` (骨干教师, yes/no) are required; ``teacher_id`` (教师编号,
    one per teacher), ``above_qualification`` (高于规定学历, yes/no), ``subject`` (任教学科)
    and ``pe_arts`` (体育艺术教师, yes/no) are optional. Yes/no cells may be 是/否, 有/无,
    Y/N, yes/no, true/false, 1/0, or √ and an empty cell (:func:`~planning.columns.yes_no`).
    Without a ``pe_arts`` column, teachers of 体育, 音乐, 美术, 艺术 (PE, music, art) are the PE
    and arts teachers (:data:`~planning.columns.PE_ARTS_SUBJECTS`). Every problem is
    reported at once, naming the row (the header is row 1) and the column as the file
    names it.

    Parameters
    ----------
    frame
        The roster as read (:func:`planning.load.read_roster` reads a file), or a validated
        roster (checked again).
    schools
        The schools table (indexed by ``school_id``) or its ids.
    source
        The file, for messages.

    Returns
    -------
    DataFrame indexed by ``teacher_id`` (text; the running number 1, 2, … when the roster
    has no id column) with ``school_id``, ``years_at_school`` (years), ``key_teacher`` (bool)
    and, where the roster gives them, ``above_qualification`` (bool), ``subject`` (text, None
    where empty) and ``pe_arts`` (bool; also when derived from the subject).
    """
    problems = _Problems()
    if frame.index.name == "teacher_id" and "teacher_id" not in frame.columns:  # a validated roster
        frame = frame.reset_index()
    table = _plain_canonical(frame, ROSTER_ALIASES, problems, what="roster",
                             required=["school_id", "years_at_school", "key_teacher"])
    problems.raise_if_any(source)
    if "teacher_id" in table.columns:
        ids = _ids(table, "teacher_id", problems, what="teacher")
    else:
        ids = pd.Series([str(i + 1) for i in range(len(table))], index=table.index, dtype=object)
    school_ids = table["school_id"].map(id_text).astype(object)
    _known_ids(table, school_ids, schools.index if isinstance(schools, pd.DataFrame) else schools, problems,
               what="school")
    reported = _numbers(table, ["years_at_school"], problems)
    for row in table.loc[table["years_at_school"].isna() & ~reported["years_at_school"], ROW]:
        problems.append(_at(row, Message("error.empty_years", column=_header(table, "years_at_school"))))
    data: dict[str, pd.Series] = {"school_id": school_ids.fillna("").astype(str),
                                  "years_at_school": table["years_at_school"].astype(float)}
    for col in ("key_teacher", "above_qualification"):
        if col in table.columns:
            data[col] = _yes_no_column(table, col, problems)
    if "subject" in table.columns:
        subject = table["subject"].map(id_text)
        data["subject"] = subject.astype(object).where(subject.notna(), None)
    if "pe_arts" in table.columns:
        data["pe_arts"] = _yes_no_column(table, "pe_arts", problems)
    elif "subject" in data:
        data["pe_arts"] = data["subject"].map(lambda s: isinstance(s, str) and bool(PE_ARTS_SUBJECTS.search(s)))
    problems.raise_if_any(source)
    out = pd.DataFrame({**data, ROW: table[ROW]}, index=table.index)
    out.index = pd.Index(ids.to_numpy(), name="teacher_id")
    return out


def _yes_no_column(table: pd.DataFrame, col: str, problems: _Problems) -> pd.Series:
    """A yes/no column as bools; cells that are neither reported."""
    parsed = table[col].map(yes_no)
    for i in map(int, np.flatnonzero(parsed.isna().to_numpy())):
        problems.append(_at(table[ROW].iat[i], Message("error.bad_yes_no", column=_header(table, col),
                                                        value=repr(table[col].iat[i]))))
    return parsed.fillna(False).astype(bool)


def roster_counts(roster: pd.DataFrame, *, min_years: float) -> pd.DataFrame:
    """Each school's teacher figures counted from a roster (:func:`validate_roster`).

    Parameters
    ----------
    roster
        One row per teacher.
    min_years
        Years at the school from which a teacher may rotate (``Policy.exchange_min_years``).

    Returns
    -------
    DataFrame indexed by ``school_id`` (the schools with at least one teacher on the roster)
    with the schools table's columns, in persons: ``teachers`` (rows), ``key_teachers``,
    ``teachers_above_qualification`` and ``pe_arts_teachers`` (when the roster gives or
    derives them), ``eligible_teachers`` (``years_at_school`` ≥ ``min_years``) and
    ``eligible_key_teachers`` (eligible key teachers).

    >>> roster = pd.DataFrame({"school_id": ["S1", "S1", "S1", "S2"], "years_at_school": [8.0, 2.0, 6.0, 1.0],
    ...                        "key_teacher": [True, True, False, False]})
    >>> roster_counts(roster, min_years=6).loc["S1"].to_dict()
    {'teachers': 3, 'key_teachers': 2, 'eligible_teachers': 2, 'eligible_key_teachers': 1}
    >>> roster_counts(roster, min_years=2)["eligible_key_teachers"].to_dict()  # the key teacher of 2 years too
    {'S1': 2, 'S2': 0}
    """
    eligible = roster["years_at_school"].to_numpy(dtype=float) >= min_years
    columns = {"teachers": np.ones(len(roster), dtype=int)}
    columns |= {count: roster[flag].to_numpy(dtype=bool) for flag, count in ROSTER_FLAGS.items() if flag in roster}
    columns |= {"eligible_teachers": eligible, "eligible_key_teachers": eligible & roster["key_teacher"].to_numpy(dtype=bool)}
    counts = pd.DataFrame(columns, index=roster.index).astype(int).groupby(roster["school_id"].to_numpy()).sum()
    counts.index.name = "school_id"
    return counts


def schools_with_roster(schools: gpd.GeoDataFrame, roster: pd.DataFrame, *, min_years: float) -> gpd.GeoDataFrame:
    """The schools table whose teacher figures, for every school with teachers on the roster,
    are the roster's counts (:func:`roster_counts`); other schools keep theirs.

    Raises
    ------
    ValidationError
        When the roster names a school the table does not have.
    """
    counts = roster_counts(roster, min_years=min_years)
    unknown = counts.index.difference(schools.index)
    if len(unknown):
        raise ValidationError(Message("error.roster_unknown_schools", ids=Listing(list(unknown), most=10)),
                              source="teachers")
    out = schools.copy()
    for col in counts.columns:
        if col not in out:
            out[col] = np.nan
        out.loc[counts.index, col] = counts[col].astype(float)
    return out


def roster_differences(schools: pd.DataFrame, roster: pd.DataFrame, *, min_years: float) -> list[Message]:
    """What a planner should know when a roster replaces a schools table's teacher figures:
    the figures that differ (school, column as the schools file names it, table figure →
    roster count; an empty cell of the table is filled, not a difference) and the schools
    with no teacher on the roster (they keep the table's figures). Empty when they agree."""
    counts = roster_counts(roster, min_years=min_years)
    known = counts[counts.index.isin(schools.index)]
    table = schools.reindex(index=known.index, columns=known.columns).to_numpy(dtype=float)
    counted = known.to_numpy(dtype=float)
    changes = [Message("data.roster_change", name=str(schools.at[known.index[i], "name"]), id=str(known.index[i]),
                       column=_header(schools, str(known.columns[j])), table=f"{table[i, j]:g}",
                       roster=f"{counted[i, j]:g}")
               for i, j in zip(*np.nonzero(~np.isnan(table) & (np.abs(table - counted) > 1e-9)), strict=True)]
    notes = [Message("data.roster_differs", n=len(changes), changes=Listing(changes, most=20))] if changes else []
    lacking = schools.index.difference(counts.index)
    if len(lacking):
        named = [f"{schools.at[school, 'name']!s} ({school})" for school in lacking]
        notes.append(Message("data.roster_lacks_schools", n=len(lacking), schools=Listing(named, most=20)))
    return notes


def empty_sites() -> gpd.GeoDataFrame:
    """A sites table with no sites (a project without candidate sites)."""
    frame = gpd.GeoDataFrame({"name": pd.Series(dtype=object), "type": pd.Series(dtype=object),
                              **{col: pd.Series(dtype=float) for col in SITE_NUMBERS},
                              COORDS_COLUMN: pd.Series(dtype=object), ROW: pd.Series(dtype=object)}, geometry=gpd.GeoSeries([], crs=4326))
    frame.index.name = "site_id"
    return frame


def check_tables(villages: pd.DataFrame, schools: pd.DataFrame, sites: pd.DataFrame) -> None:
    """A project's tables together: villages and schools each have rows (a table with none
    is refused here, named, rather than failing later in the walk check), and school and
    site ids differ (:func:`check_ids_disjoint`)."""
    for table, source in ((villages, "villages"), (schools, "schools")):
        if len(table) == 0:
            raise ValidationError(Message("error.no_rows"), source=source)
    check_ids_disjoint(schools, sites)


def check_ids_disjoint(schools: pd.DataFrame, sites: pd.DataFrame) -> None:
    """School and site ids share the travel-time matrix's columns: they must differ."""
    both = sorted(set(schools.index) & set(sites.index))
    if both:
        raise ValidationError(Message("error.ids_shared", ids=Listing(both)), source="sites")


__all__ = [
    "LEVELS",
    "validate_villages",
    "validate_schools",
    "validate_sites",
    "validate_history",
    "validate_births",
    "validate_roster",
    "roster_counts",
    "schools_with_roster",
    "check_tables",
    "roster_differences",
    "check_ids_disjoint",
    "empty_sites",
    "revalidate_villages",
    "type_from_name",
]
