"""Generate the demo dataset: 青山镇 (Qingshan), a SYNTHETIC hilly rural township.

Run ``python data/make_demo.py`` to regenerate ``data/demo/``. Everything is drawn from
a seeded random generator and a hand-laid plan, so the output is identical on every
machine. The place, its names and numbers are invented (合成示例数据, not a real
township); they follow the shape of the places the tool is for: a river valley with a
county road, side valleys climbing 300–500 m to remote villages, a township seat with the
central primary and junior secondary schools, village primaries, teaching points, a
nine-year school, farm tracks and footpaths over the ridges, and an expressway that
crosses the valley on a viaduct pedestrians cannot use.

Outputs (headers in Chinese, as a county bureau's tables would be):
- ``villages.csv``  村编号, 村名, 拼音, 经度, 纬度, 户籍人口, 一年级 … 九年级 (UTF-8)
- ``schools.csv``   学校编号, 学校名称, 拼音, 学校类型, 经度, 纬度, 学位数, 教室数, 床位数,
  在校生数, resource columns of the 优质均衡 indicators
- ``sites.csv``     candidate sites for a new school
- ``roads.gpkg``    3-D road lines (elevation in Z) in CGCS2000 (EPSG:4490), 道路等级 class
- ``dem.tif``       a digital elevation model of the same terrain (:func:`terrain`): 30 m cells
  (:data:`DEM_CELL_M`) in UTM 49N over the township, heights (m) at the cell centres as
  float32, DEFLATE-compressed; for loading the roads without their Z and the heights from a
  DEM instead (``planning.from_files(..., dem=...)``). ``--dem`` rewrites only it.
- ``enrolment_history.csv``  年份, 村编号, 一年级 … 九年级: six school years ending in the base
  year (:data:`BASE_YEAR`), whose last year is ``villages.csv``'s grades exactly
- ``births.csv``    年份, 村编号, 出生人口: births by village, rural births falling, the town's
  (V01 集镇社区) growing
- ``teachers.csv``  教师编号, 学校编号, 本校任教年限, 骨干教师, 高于规定学历, 任教学科: a teacher roster
  with each school's 专任教师数, 县级以上骨干教师数, 高于规定学历教师数 and 体育艺术教师数 of
  ``schools.csv`` exactly; ``schools.csv`` gains 符合交流条件教师数 and 符合交流条件骨干教师数
  (six or more years at the school, :data:`EXCHANGE_MIN_YEARS`) counted from it

The history and births come from their own seeded generator after the other files, so
``python data/make_demo.py --history`` rewrites only them and the other files do not change.
The roster, likewise, comes from its own generator after them (``--teachers`` rewrites only
the roster and the two eligibility columns of ``schools.csv``): years at the school follow a
gamma distribution by school type (:data:`YEARS_AT_SCHOOL`): township-seat schools keep their
teachers long, village schools and teaching points are where young teachers start and which
they leave; key teachers are drawn with weights growing with their years at the school.
They are made backwards from today's grades with known ratios (:data:`TRUE_RATIOS`): a
rural pupil goes on to the next grade with probability 0.97 (some families leave), a town
pupil at 1.03 (families arrive); grade 1 is 0.92 (rural) or 1.2 (town) of the births six
years earlier; counts are Poisson draws around these.
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

SEED = 20261123
OUT = Path(__file__).resolve().parent / "demo"
BASE_YEAR = 2025  # the school year of villages.csv's grades
HISTORY_YEARS = 6
TOWN = "V01"
#: (progression ratio, entry ratio, births' yearly change) of the synthetic history: rural, town.
TRUE_RATIOS = {"rural": (0.97, 0.92, -0.06), "town": (1.03, 1.2, 0.06)}
#: Years at the school from which a teacher may rotate (教师〔2014〕4号; ``Policy.exchange_min_years``).
EXCHANGE_MIN_YEARS = 6
#: (shape, scale in years) of the gamma distribution of a teacher's years at the school, by type.
YEARS_AT_SCHOOL = {"中心小学": (2.5, 4.0), "初级中学": (2.5, 4.0), "九年一贯制": (2.2, 3.5), "村完小": (1.5, 3.0),
                   "教学点": (1.2, 2.5)}
PRIMARY_SUBJECTS = ["语文", "数学", "英语", "科学", "道德与法治"]
JUNIOR_SUBJECTS = ["语文", "数学", "英语", "物理", "化学", "生物", "历史", "地理", "道德与法治"]
PE_ARTS_SUBJECTS = ["体育", "音乐", "美术"]
ORIGIN_LONLAT = (110.05, 27.95)  # somewhere in hill country; the township itself is invented
UTM = "EPSG:32649"
#: Cell size (m) and extent (km from the origin: west, south, east, north) of ``dem.tif``.
DEM_CELL_M = 30.0
DEM_EXTENT_KM = (-1.5, -6.0, 15.0, 6.0)

# (id, name, pinyin, x km, y km, pupils per grade (mean), offset from road (m))
VILLAGES = [
    ("V01", "集镇社区", "Jizhen Shequ", 7.0, 0.05, 38, 40),
    ("V02", "溪口村", "Xikou", 0.6, 0.1, 16, 60),
    ("V03", "石门村", "Shimen", 2.2, 1.5, 14, 50),
    ("V04", "枫树坪村", "Fengshuping", 2.0, 3.2, 8, 80),
    ("V05", "高坪村", "Gaoping", 1.5, 4.8, 4, 90),
    ("V06", "桐木村", "Tongmu", 5.5, 0.2, 15, 70),
    ("V07", "杨家坳村", "Yangjia'ao", 4.3, -1.8, 12, 60),
    ("V08", "白岩村", "Baiyan", 4.0, -3.6, 5, 100),
    ("V09", "茶园村", "Chayuan", 8.6, 1.8, 13, 50),
    ("V10", "龙潭村", "Longtan", 9.0, 3.5, 7, 90),
    ("V11", "云盘村", "Yunpan", 9.8, 5.3, 3, 0),  # no mapped path: ~600 m across the slope
    ("V12", "竹山村", "Zhushan", 10.2, -2.0, 11, 60),
    ("V13", "黄土坡村", "Huangtupo", 10.8, -3.8, 5, 110),
    ("V14", "松林村", "Songlin", 11.5, -0.6, 12, 50),
    ("V15", "岩口村", "Yankou", 12.2, 0.45, 14, 40),
    ("V16", "大坪村", "Daping", 13.2, 1.6, 9, 80),
    ("V17", "桃溪村", "Taoxi", 13.9, -0.9, 8, 70),
]

# (id, name, pinyin, type, x km, y km, capacity, classrooms, beds)
SCHOOLS = [
    ("S01", "青山镇中心小学", "Qingshan Central Primary", "中心小学", 7.15, 0.3, 900, 20, 240),
    ("S02", "青山镇初级中学", "Qingshan Junior Secondary", "初级中学", 6.8, -0.3, 1000, 21, 500),
    ("S03", "岩口九年一贯制学校", "Yankou Nine-year School", "九年一贯制", 12.3, 0.3, 700, 16, 160),
    ("S04", "石门村完小", "Shimen Village Primary", "村完小", 2.3, 1.45, 270, 6, 0),
    ("S05", "杨家坳村完小", "Yangjia'ao Village Primary", "村完小", 4.35, -1.7, 240, 6, 0),
    ("S06", "茶园村完小", "Chayuan Village Primary", "村完小", 8.7, 1.8, 240, 6, 40),
    ("S07", "竹山村完小", "Zhushan Village Primary", "村完小", 10.25, -1.9, 240, 6, 0),
    ("S08", "溪口村完小", "Xikou Village Primary", "村完小", 0.7, 0.2, 270, 6, 0),
    ("S09", "松林村完小", "Songlin Village Primary", "村完小", 11.45, -0.5, 200, 6, 0),
    ("S10", "高坪教学点", "Gaoping Teaching Point", "教学点", 1.55, 4.75, 45, 3, 0),
    ("S11", "白岩教学点", "Baiyan Teaching Point", "教学点", 4.05, -3.5, 45, 3, 0),
    ("S12", "龙潭教学点", "Longtan Teaching Point", "教学点", 9.05, 3.4, 45, 3, 0),
    ("S13", "黄土坡教学点", "Huangtupo Teaching Point", "教学点", 10.85, -3.7, 45, 3, 0),
]

SITES = [
    ("C1", "石门—桐木之间（规划地块）", "Shimen–Tongmu plot", 3.6, 0.15, 540, 12, 120, 18_000_000),
    ("C2", "茶园北（规划地块）", "North of Chayuan plot", 8.75, 2.4, 360, 9, 80, 12_000_000),
    ("C3", "松林—竹山之间（规划地块）", "Songlin–Zhushan plot", 10.9, -1.2, 540, 12, 120, 18_000_000),
]

# Road plan: (class, waypoints in km). Waypoints are densified every 50 m and draped on terrain.
ROADS = [
    ("县道", [(-0.5, 0.0), (2.0, 0.1), (4.2, 0.1), (5.5, 0.2), (7.0, 0.0), (8.5, 0.1), (10.0, 0.1),
             (11.5, -0.5), (12.2, 0.3), (14.5, 0.0)]),
    ("村道", [(2.0, 0.1), (2.2, 1.5), (2.0, 3.2)]),
    ("机耕路", [(2.0, 3.2), (1.7, 4.1), (1.5, 4.8)]),
    ("村道", [(4.2, 0.1), (4.3, -1.8), (4.0, -3.6)]),
    ("村道", [(8.5, 0.1), (8.6, 1.8), (9.0, 3.5)]),
    ("山路", [(9.0, 3.5), (9.3, 4.2), (9.72, 4.7)]),
    ("村道", [(10.0, 0.1), (10.2, -2.0)]),
    ("机耕路", [(10.2, -2.0), (10.6, -2.9), (10.8, -3.8)]),
    ("乡道", [(12.2, 0.3), (12.6, 0.9), (13.2, 1.6)]),
    ("村道", [(12.2, 0.3), (13.0, -0.4), (13.9, -0.9)]),
    ("山路", [(2.2, 1.5), (3.4, 1.2), (4.6, 0.8), (5.5, 0.2)]),  # over the spur to Tongmu
    ("山路", [(4.3, -1.8), (5.6, -1.4), (6.8, -0.3)]),          # shortcut to the seat
    ("山路", [(10.2, -2.0), (11.0, -1.2), (11.5, -0.5)]),       # Zhushan to Songlin
    ("山路", [(8.6, 1.8), (7.8, 1.0), (7.15, 0.3)]),            # Chayuan down to the seat
    ("街道", [(6.6, 0.25), (7.4, 0.25)]),
    ("街道", [(6.6, -0.3), (7.4, -0.3)]),
    ("街道", [(6.8, 0.5), (6.8, -0.5)]),
    ("街道", [(7.15, 0.5), (7.15, -0.5)]),
    ("高速公路", [(3.0, -5.5), (7.5, 0.6), (11.0, 5.5)]),    # viaduct: no access on foot
]


def terrain(x_km: np.ndarray, y_km: np.ndarray) -> np.ndarray:
    """Elevation (m): a valley floor near y=0 rising to ridges, with rolling relief."""
    rise = 95.0 * np.abs(y_km) ** 1.1
    roll = 25.0 * np.sin(x_km / 1.3) + 18.0 * np.cos(y_km * 1.7 + x_km / 2.1)
    spurs = 70.0 * np.exp(-((x_km - 3.5) ** 2) / 0.8) * np.clip(np.abs(y_km), 0, 1.2)
    return 310.0 + 4.0 * x_km + rise + roll + spurs


def densify(points: list[tuple[float, float]], step_km: float = 0.05) -> np.ndarray:
    """Points every ``step_km`` along each leg, keeping every waypoint (junctions stay vertices)."""
    out = [np.asarray(points[:1], dtype=float)]
    for a, b in zip(points[:-1], points[1:], strict=True):
        n = max(1, math.ceil(math.dist(a, b) / step_km))
        f = np.linspace(0, 1, n + 1)[1:, None]
        out.append(np.asarray(a) + f * (np.asarray(b) - np.asarray(a)))
    return np.concatenate(out)


def with_junctions(roads: list[tuple[str, list[tuple[float, float]]]]) -> list[list[tuple[float, float]]]:
    """Waypoints plus every at-grade crossing with another road, in order along each road.

    The expressway crosses on a viaduct: it gets no junctions.
    """
    lines = [shapely.LineString(wp) for _, wp in roads]
    extra: list[list[shapely.Point]] = [[] for _ in roads]
    for i in range(len(roads)):
        for j in range(i + 1, len(roads)):
            if "高速公路" in (roads[i][0], roads[j][0]):
                continue
            crossing = lines[i].intersection(lines[j])
            for pt in getattr(crossing, "geoms", [crossing]):
                if isinstance(pt, shapely.Point) and not pt.is_empty:
                    extra[i].append(pt)
                    extra[j].append(pt)
    out = []
    for line, (_, wp), pts in zip(lines, roads, extra, strict=True):
        marks = {round(line.project(shapely.Point(p)), 9): p for p in wp}
        for pt in pts:
            d = round(line.project(pt), 9)
            if all(abs(d - k) > 1e-6 for k in marks):
                marks[d] = (pt.x, pt.y)
        out.append([marks[k] for k in sorted(marks)])
    return out


def write_history(out: Path = OUT) -> None:
    """``enrolment_history.csv`` and ``births.csv`` from ``villages.csv`` (module docstring)."""
    rng = np.random.default_rng(SEED + 11)
    villages = pd.read_csv(out / "villages.csv", dtype={"村编号": str})
    grade_cols = [f"{'一二三四五六七八九'[g]}年级" for g in range(9)]
    history, births = [], []
    first = BASE_YEAR - HISTORY_YEARS + 1
    for _, village in villages.iterrows():
        vid = village["村编号"]
        progression, entry, trend = TRUE_RATIOS["town" if vid == TOWN else "rural"]
        years = {BASE_YEAR: village[grade_cols].to_numpy(dtype=float)}
        for year in range(BASE_YEAR - 1, first - 1, -1):  # backwards: last year's grade g was this year's g+1
            later = years[year + 1]
            earlier = np.empty(9)
            earlier[:8] = rng.poisson(later[1:] / progression)
            earlier[8] = rng.poisson(later[8])
            years[year] = earlier
        for year in sorted(years):
            history.append({"年份": year, "村编号": vid, **dict(zip(grade_cols, years[year].astype(int), strict=True))})
        # births of the history's grade 1 (six years earlier), then a trend after them
        born = {year - 6: max(1, int(rng.poisson(years[year][0] / entry))) for year in years}
        level = np.mean([born[y] for y in range(BASE_YEAR - 8, BASE_YEAR - 5)])
        for year in range(BASE_YEAR - 5, BASE_YEAR + 1):
            born[year] = int(rng.poisson(level * (1 + trend) ** (year - (BASE_YEAR - 7))))
        births.extend({"年份": y, "村编号": vid, "出生人口": born[y]} for y in sorted(born))
    pd.DataFrame(history).to_csv(out / "enrolment_history.csv", index=False, encoding="utf-8")
    pd.DataFrame(births).to_csv(out / "births.csv", index=False, encoding="utf-8")
    print(f"wrote {out}: enrolment history {first}–{BASE_YEAR}, births {first - 6}–{BASE_YEAR}")


#: Dilapidated buildings (危房面积, m²) of the old village schools and teaching points
#: (synthetic): renovation a closure avoids; the others have none recorded (blank).
DILAPIDATED_M2 = {"S07": 260, "S08": 0, "S09": 180, "S10": 120, "S11": 90, "S12": 150, "S13": 80}


def write_teachers(out: Path = OUT) -> None:
    """``teachers.csv`` from ``schools.csv``'s teacher counts, and the two eligibility columns
    of ``schools.csv`` (module docstring); its other cells are written back as they were."""
    rng = np.random.default_rng(SEED + 23)
    schools = pd.read_csv(out / "schools.csv", dtype=str, keep_default_na=False)
    rows, eligible, eligible_key = [], [], []
    for _, school in schools.iterrows():
        sid, kind, n = school["学校编号"], school["学校类型"], int(school["专任教师数"])
        years = np.floor(rng.gamma(*YEARS_AT_SCHOOL[kind], size=n)).astype(int)
        weights = (years + 1.0) / (years + 1.0).sum()
        key = set(rng.choice(n, size=int(school["县级以上骨干教师数"]), replace=False, p=weights).tolist())
        above = set(rng.choice(n, size=int(school["高于规定学历教师数"]), replace=False).tolist())
        pe_arts = set(rng.choice(n, size=int(school["体育艺术教师数"]), replace=False).tolist())
        subjects = {"初级中学": JUNIOR_SUBJECTS, "九年一贯制": sorted(set(PRIMARY_SUBJECTS) | set(JUNIOR_SUBJECTS))}.get(
            kind, PRIMARY_SUBJECTS)
        for k in range(n):
            subject = rng.choice(PE_ARTS_SUBJECTS) if k in pe_arts else rng.choice(subjects)
            rows.append({"教师编号": f"{sid}-{k + 1:02d}", "学校编号": sid, "本校任教年限": int(years[k]),
                         "骨干教师": "是" if k in key else "否", "高于规定学历": "是" if k in above else "否",
                         "任教学科": str(subject)})
        long_serving = years >= EXCHANGE_MIN_YEARS
        eligible.append(str(int(long_serving.sum())))
        eligible_key.append(str(sum(1 for k in key if long_serving[k])))
    schools["符合交流条件教师数"] = eligible
    schools["符合交流条件骨干教师数"] = eligible_key
    schools["危房面积"] = [str(DILAPIDATED_M2.get(sid, "")) for sid in schools["学校编号"]]
    schools.to_csv(out / "schools.csv", index=False, encoding="utf-8")
    pd.DataFrame(rows).to_csv(out / "teachers.csv", index=False, encoding="utf-8")
    print(f"wrote {out}: teacher roster of {len(rows)} teachers, {sum(map(int, eligible))} eligible to rotate")


def write_dem(out: Path = OUT) -> None:
    """``dem.tif``: :func:`terrain` sampled at the centres of :data:`DEM_CELL_M` cells over
    :data:`DEM_EXTENT_KM`, in UTM 49N (the roads are in CGCS2000 degrees: another CRS)."""
    import rasterio
    from affine import Affine

    to_utm = Transformer.from_crs(4326, UTM, always_xy=True)
    ox, oy = to_utm.transform(*ORIGIN_LONLAT)
    west, south, east, north = DEM_EXTENT_KM
    cell_km = DEM_CELL_M / 1000
    n_cols, n_rows = round((east - west) / cell_km), round((north - south) / cell_km)
    x_km = west + (np.arange(n_cols) + 0.5) * cell_km
    y_km = north - (np.arange(n_rows) + 0.5) * cell_km
    heights = terrain(x_km[None, :], y_km[:, None]).astype(np.float32)
    transform = Affine(DEM_CELL_M, 0.0, ox + west * 1000, 0.0, -DEM_CELL_M, oy + north * 1000)  # north up
    path = out / "dem.tif"
    with rasterio.open(path, "w", driver="GTiff", width=n_cols, height=n_rows, count=1, dtype="float32", crs=UTM,
                       transform=transform, nodata=-9999.0, compress="deflate", predictor=3, zlevel=9,
                       tiled=True, blockxsize=256, blockysize=256) as dst:
        dst.write(heights, 1)
    print(f"wrote {path}: {n_rows} × {n_cols} cells of {DEM_CELL_M:g} m, {path.stat().st_size / 1024:.0f} KB")


def main(out: Path = OUT) -> None:
    rng = np.random.default_rng(SEED)
    to_utm = Transformer.from_crs(4326, UTM, always_xy=True)
    to_cgcs = Transformer.from_crs(UTM, 4490, always_xy=True)
    to_wgs = Transformer.from_crs(UTM, 4326, always_xy=True)
    ox, oy = to_utm.transform(*ORIGIN_LONLAT)

    def lonlat(x_km: float, y_km: float, transformer: Transformer = to_wgs) -> tuple[float, float]:
        lon, lat = transformer.transform(ox + x_km * 1000, oy + y_km * 1000)
        return round(lon, 6), round(lat, 6)

    out.mkdir(parents=True, exist_ok=True)

    # Roads: 3-D lines in CGCS2000 degrees with the class in Chinese.
    lines, classes = [], []
    for (road_class, _), waypoints in zip(ROADS, with_junctions(ROADS), strict=True):
        xy = densify(waypoints)
        z = terrain(xy[:, 0], xy[:, 1])
        if road_class == "高速公路":
            z = np.linspace(z[0], z[-1], len(z)) + 25.0  # a viaduct above the valley
        lon, lat = to_cgcs.transform(ox + xy[:, 0] * 1000, oy + xy[:, 1] * 1000)
        lines.append(shapely.LineString(np.c_[np.round(lon, 7), np.round(lat, 7), np.round(z, 1)]))
        classes.append(road_class)
    roads = gpd.GeoDataFrame({"道路等级": classes}, geometry=lines, crs=4490)
    roads_path = out / "roads.gpkg"
    roads_path.unlink(missing_ok=True)
    roads.to_file(roads_path, layer="roads", driver="GPKG")

    # Villages: pupils per grade with declining younger cohorts (rural births fall).
    rows = []
    for vid, name, pinyin, x, y, per_grade, offset_m in VILLAGES:
        angle = rng.uniform(0, 2 * math.pi)
        lon, lat = lonlat(x + offset_m / 1000 * math.cos(angle), y + offset_m / 1000 * math.sin(angle))
        grades = [int(rng.poisson(per_grade * (0.8 + 0.05 * g))) for g in range(1, 10)]
        population = int(sum(grades) / 0.108 * rng.uniform(0.9, 1.1))
        rows.append({"村编号": vid, "村名": name, "拼音": pinyin, "经度": lon, "纬度": lat, "户籍人口": population,
                     **{f"{'一二三四五六七八九'[g - 1]}年级": grades[g - 1] for g in range(1, 10)}})
    pd.DataFrame(rows).to_csv(out / "villages.csv", index=False, encoding="utf-8")

    # Schools with the resource fields of the balance indicators.
    rows = []
    for sid, name, pinyin, kind, x, y, capacity, classrooms, beds in SCHOOLS:
        lon, lat = lonlat(x, y)
        enrolled = int(capacity * rng.uniform(0.45, 0.85))
        quality = {"中心小学": 1.2, "初级中学": 1.2, "九年一贯制": 1.0, "村完小": 0.8, "教学点": 0.55}[kind]
        teachers = max(2, round(enrolled / rng.uniform(12, 18)))
        rows.append({
            "学校编号": sid, "学校名称": name, "拼音": pinyin, "学校类型": kind, "经度": lon, "纬度": lat,
            "学位数": capacity, "教室数": classrooms, "床位数": beds, "在校生数": enrolled, "专任教师数": teachers,
            "高于规定学历教师数": round(teachers * rng.uniform(0.25, 0.55) * quality),
            "县级以上骨干教师数": round(enrolled / 100 * rng.uniform(0.6, 1.6) * quality),
            "体育艺术教师数": round(enrolled / 100 * rng.uniform(0.5, 1.3) * quality),
            "教学及辅助用房面积": round(enrolled * rng.uniform(3.5, 6.5) * quality),
            "体育运动场馆面积": round(enrolled * rng.uniform(5.0, 12.0) * quality),
            "教学仪器设备值": round(enrolled * rng.uniform(1500, 3000) * quality, -2),
            "网络多媒体教室数": round(enrolled / 100 * rng.uniform(1.5, 3.0) * quality),
        })
    pd.DataFrame(rows).to_csv(out / "schools.csv", index=False, encoding="utf-8")

    rows = []
    for cid, name, pinyin, x, y, capacity, classrooms, beds, cost in SITES:
        lon, lat = lonlat(x, y)
        rows.append({"候选点编号": cid, "候选点名称": name, "拼音": pinyin, "经度": lon, "纬度": lat,
                     "学位数": capacity, "教室数": classrooms, "床位数": beds, "投资估算": cost})
    pd.DataFrame(rows).to_csv(out / "sites.csv", index=False, encoding="utf-8")
    print(f"wrote {out}: {len(VILLAGES)} villages, {len(SCHOOLS)} schools, {len(SITES)} sites, {len(ROADS)} roads")
    write_history(out)
    write_teachers(out)
    write_dem(out)


if __name__ == "__main__":
    import sys

    if "--history" in sys.argv[1:]:
        write_history()
    elif "--teachers" in sys.argv[1:]:
        write_teachers()
    elif "--dem" in sys.argv[1:]:
        write_dem()
    else:
        main()
