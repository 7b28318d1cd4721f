"""A whole province: many counties run in parallel as Dask tasks, checkpointed and resumable.

    >>> import planning.province as province
    >>> table = province.run("province.yaml", out="results/province")    # doctest: +SKIP

A province is a manifest (YAML or CSV) with one entry per county: its tables, its road
layer or OpenStreetMap file, its policy and the scenario files and optimiser goals to run.
Each county is one task of a ``dask.distributed`` cluster: a local cluster made for the run
(two worker processes by default, a laptop needs no set-up) or any running cluster
(``scheduler="tcp://host:8786"``, or a ``distributed.Client``); the code is the same. A
county's task loads its project with the loaders the command line uses
(:func:`planning.load.from_files`), runs the walk check, evaluates today's layout, the
scenario files and the optimiser's recommended plans, and writes its results as they finish:

``<out>/<county>/walk_check.gpkg``
    villages (walk to the nearest school), schools (who they reach), the summary, the roads;
``<out>/<county>/plans.gpkg``
    each layout's villages, schools and trips (:func:`planning.report.results_gpkg`);
``<out>/<county>/plans.xlsx``
    the Excel report of today and every plan (:func:`planning.report.excel_report`);
``<out>/<county>/summary.json``
    the county's figures, written last: its presence with status ``done`` means the county
    is done, and ``resume=True`` skips it.

Every file is written under a temporary name in its folder and moved into place, so a run
stopped at any moment (a killed worker, a closed laptop) leaves whole files or none; a
county's leftovers of an interrupted attempt are removed when it starts again. A county
whose data are unusable ends with status ``failed`` and the planner's message, and the
other counties go on. When every county has finished, the province summary is written:
``province.xlsx`` (county × figures), ``province_map.html`` and ``province_map.pdf``.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import math
import os
import re
import sys
import time
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
import pandas as pd
import pydantic

from . import settings
from .errors import DataWarning, PlanningError, ValidationError
from .i18n import Message, field, language, t
from .io import CSV_ENCODINGS, atomic_path, atomic_write_text
from .policy import checked_limit
from .schema import Settings, problems, read_mapping

if TYPE_CHECKING:
    from distributed import Client

    from .evaluate import Result
    from .project import Project

logger = logging.getLogger(__name__)

#: Figures of each layout of a county in the province summary (names of a result's summary).
FIGURES = ("schools_open", "pupils", "pupils_beyond_limit", "unserved", "boarders", "classroom_shortfall",
           "primary_max_cv", "junior_max_cv", "primary_cv_over_limit", "junior_cv_over_limit",
           "schools_below_standard", "one_off_yuan", "yearly_yuan", "cost_npv_yuan")
#: Figures a province map may be coloured by: a county's today's figures and its village count.
MAP_FIGURES = ("villages", *FIGURES)
#: The files of a done county, beside its ``summary.json``.
COUNTY_FILES = ("walk_check.gpkg", "plans.gpkg", "plans.xlsx")
SUMMARY = "summary.json"
GOAL_NAMES = Literal["fewest_schools", "p_median", "max_coverage", "least_cost"]
_TEMP = re.compile(r"^\..+\.[0-9a-z_]{6,}\.[^.]+$", re.I)  # a name planning.io.atomic_path gives a file being written


# ---------------------------------------------------------------------- the manifest
class CountyEntry(Settings):
    """One county of a manifest. Paths are relative to the manifest's folder.

    Attributes
    ----------
    name
        The county's name: its row of the summary and its output folder.
    villages, schools, sites, teachers
        Its tables (as :func:`planning.load.from_files` reads them); sites and the teacher
        roster are optional.
    roads, osm
        Its road layer, or an OpenStreetMap file (exactly one).
    policy
        A policy YAML file (walking limits, class sizes, costs, …); the manifest's province-wide
        ``policy`` when not given.
    limit
        The one-way walking limit in minutes for both levels, over the policy's.
    scenarios
        Scenario files evaluated against today's layout.
    goals
        Optimiser goals (``fewest_schools``, ``p_median``, ``max_coverage``, ``least_cost``);
        each recommended plan is evaluated like a scenario. ``p_median`` and
        ``max_coverage`` need ``p``.
    p
        Number of schools of ``p_median`` and ``max_coverage``.
    crs, road_class, encoding
        As the command line's ``--crs``, ``--road-class`` and ``--encoding``.
    """

    name: Annotated[str, pydantic.Field(min_length=1)]
    villages: str
    schools: str
    roads: str | None = None
    osm: str | None = None
    sites: str | None = None
    teachers: str | None = None
    policy: str | None = None
    limit: float | None = None
    scenarios: list[str] = []
    goals: list[GOAL_NAMES] = []
    p: Annotated[int, pydantic.Field(gt=0)] | None = None
    crs: str | None = None
    road_class: str | None = None
    encoding: str | None = None


class ManifestFile(Settings):
    """A province manifest in YAML: settings for every county, and the counties.

    Attributes
    ----------
    name
        The province's name (titles of the summary and the map).
    assignment
        How pupils are assigned in every layout: ``nearest`` school (default), ``zoned``
        (whole villages under capacity, MILP) or ``split`` (LP).
    solver_seconds
        Time limit of each solve (zoning, optimiser), seconds.
    policy
        A policy YAML file for every county that names none.
    boundaries
        A polygon layer (GeoJSON, GeoPackage, …) of the counties, drawn on the province map;
        ``boundary_column`` holds the county names as the manifest writes them.
    counties
        One mapping per county (:class:`CountyEntry`).
    """

    name: str | None = None
    assignment: Literal["nearest", "zoned", "split"] = "nearest"
    solver_seconds: Annotated[float, pydantic.Field(gt=0)] = 60.0
    policy: str | None = None
    boundaries: str | None = None
    boundary_column: str = "name"
    counties: list[dict[str, Any]]


class Manifest(pydantic.BaseModel):
    """A checked manifest: its settings and counties, every path absolute."""

    model_config = pydantic.ConfigDict(frozen=True)

    path: Path
    name: str
    assignment: str = "nearest"
    solver_seconds: float = 60.0
    boundaries: Path | None = None
    boundary_column: str = "name"
    counties: list[CountyEntry]


_PATHS = ("villages", "schools", "roads", "osm", "sites", "teachers", "policy")


def read_manifest(path: str | Path) -> Manifest:
    """Read and check a province manifest (YAML, or CSV with one row per county).

    In a CSV manifest the columns are :class:`CountyEntry`'s fields (``name``, ``villages``,
    ``schools``, ``roads`` or ``osm``, …); ``scenarios`` and ``goals`` list several values
    separated by ``;``. A YAML manifest has the fields of :class:`ManifestFile`.

    Raises
    ------
    ValidationError
        Naming the manifest and, for every problem, the county (its entry or row and its
        name) and the field: unknown fields, missing or wrong values, files that do not exist,
        counties named twice.
    """
    path = Path(path).resolve()
    source = str(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        head: dict[str, Any] = {}
        rows, where = _csv_rows(path), "province.csv_row"
    elif suffix in (".yaml", ".yml", ".json"):
        data = read_mapping(path, what="manifest")
        try:
            spec = ManifestFile.model_validate(data)
        except pydantic.ValidationError as exc:
            raise ValidationError(problems(exc, ManifestFile), source=source) from exc
        head, rows, where = spec.model_dump(exclude={"counties"}), [(i + 1, c) for i, c in
                                                                  enumerate(spec.counties)], "province.entry"
    else:
        raise ValidationError(Message("province.bad_suffix", suffix=path.suffix or path.name), source=source)
    if not rows:
        raise ValidationError(Message("province.no_counties"), source=source)
    counties, found = _counties(rows, path.parent, where=where, csv=suffix == ".csv")
    for key in ("policy", "boundaries"):
        if head.get(key) and not (path.parent / head[key]).exists():
            found.append(Message("province.missing_file", where=key, path=head[key]))
    if found:
        raise ValidationError(found, source=source)
    if head.get("policy"):
        counties = [c if c.policy else c.model_copy(update={"policy": str((path.parent / head["policy"]).resolve())})
                    for c in counties]
    return Manifest(path=path, name=head.get("name") or path.stem, assignment=head.get("assignment", "nearest"),
                    solver_seconds=head.get("solver_seconds", 60.0),
                    boundaries=(path.parent / head["boundaries"]).resolve() if head.get("boundaries") else None,
                    boundary_column=head.get("boundary_column", "name"), counties=counties)


def _csv_rows(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """A CSV manifest's rows (line number, values) with empty cells left out and lists split."""
    frame = None
    for encoding in CSV_ENCODINGS:  # the encodings every table is read in (GB18030 holds GBK)
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)
            break
        except UnicodeDecodeError:
            continue
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise ValidationError(Message("province.csv_unreadable", detail=str(exc)), source=str(path)) from exc
    if frame is None:
        raise ValidationError(Message("province.csv_unreadable", detail="UTF-8, GBK"), source=str(path))
    rows = []
    for number, row in enumerate(frame.to_dict("records"), start=2):  # line 1 is the header
        values: dict[str, Any] = {str(k).strip(): str(v).strip() for k, v in row.items() if str(v).strip()}
        for key in ("scenarios", "goals"):
            if key in values:
                values[key] = [part.strip() for part in re.split(r"[;\uff1b]", values[key]) if part.strip()]
        rows.append((number, values))
    return rows


def _counties(rows: list[tuple[int, dict[str, Any]]], folder: Path, *, where: str, csv: bool
              ) -> tuple[list[CountyEntry], list[Message]]:
    """Each row checked (fields, files) with its problems named by row and county."""
    counties: list[CountyEntry] = []
    found: list[Message] = []
    seen: dict[str, int] = {}
    for number, values in rows:
        label = Message(where, row=number, county=str(values.get("name", "?")))
        try:
            entry = CountyEntry.model_validate(values, strict=False if csv else None)
        except pydantic.ValidationError as exc:
            found += [Message("province.problem", where=label, problem=p) for p in problems(exc, CountyEntry)]
            continue
        if (entry.roads is None) == (entry.osm is None):
            found.append(Message("province.problem", where=label, problem=Message("province.roads_or_osm")))
        for key in _PATHS:
            value = getattr(entry, key)
            if value is not None and not (folder / value).exists():
                found.append(Message("province.problem", where=label,
                                     problem=Message("province.missing_file", where=key, path=value)))
        for scenario in entry.scenarios:
            if not (folder / scenario).exists():
                found.append(Message("province.problem", where=label,
                                     problem=Message("province.missing_file", where="scenarios", path=scenario)))
        if entry.limit is not None:
            try:
                checked_limit(entry.limit)
            except ValidationError as exc:
                found += [Message("province.problem", where=label, problem=p) for p in exc.problems]
        folder_name = county_folder(entry.name).casefold()
        if folder_name in seen:
            found.append(Message("province.duplicate", name=entry.name, first=seen[folder_name], row=number))
        seen.setdefault(folder_name, number)
        resolved = {k: str((folder / v).resolve()) for k in _PATHS if (v := getattr(entry, k)) is not None}
        counties.append(entry.model_copy(update={**resolved, "scenarios": [str((folder / s).resolve())
                                                                            for s in entry.scenarios]}))
    return counties, found


def county_folder(name: str) -> str:
    """A county's output folder: its name with the characters file systems refuse
    (``<>:"/\\|?*``, control characters, dots and spaces at the ends) made ``_``."""
    stem = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", name.strip())
    return re.sub(r"^[. ]+|[. ]+$", lambda m: "_" * len(m.group()), stem) or "_"


# ---------------------------------------------------------------------- one county (a Dask task)
def run_county(entry: Mapping[str, Any], folder: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """One county's whole run, as a Dask task: load, walk check, today and every plan, files.

    Everything it takes and returns is plain data (a worker is another process). It never
    raises for the county's data: a planning error ends with status ``failed`` and the
    message in Chinese and English, in the summary it returns and writes.

    Parameters
    ----------
    entry
        The county (:class:`CountyEntry` as a mapping, paths absolute).
    folder
        Its output folder.
    options
        ``assignment``, ``solver_seconds``, ``lang`` (of the Excel report), ``cache_folder``
        and ``use_cache`` (the travel-time cache of the worker).

    Returns
    -------
    dict
        The summary written to ``summary.json``: ``county``, ``status`` (``done``/``failed``),
        ``message`` and ``notes`` (by language), ``villages``, ``lon``/``lat`` (the centroid
        of its villages, degrees), ``plans`` (layout name → its :data:`FIGURES`), ``files``
        and ``seconds`` (wall-clock time of the task).
    """
    start = time.perf_counter()
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    # no clean-up of temporary files here: Dask may run a task twice at once (a worker it
    # took for dead), and the other run's half-written file is one of them; run() removes
    # what is left once every task is over
    for name in (SUMMARY, *COUNTY_FILES):  # an earlier run's results go first, its summary before its files
        (out / name).unlink(missing_ok=True)
    county = CountyEntry.model_validate(dict(entry))
    summary: dict[str, Any] = {"county": county.name, "status": "failed", "message": {}, "notes": {}, "villages": None,
                               "lon": None, "lat": None, "plans": {}, "files": []}
    try:
        with warnings.catch_warnings(record=True) as caught, _worker_settings(options):
            warnings.simplefilter("always", DataWarning)
            summary.update(_county_work(county, out, options))
        notes = [w.message for w in caught if isinstance(w.message, DataWarning)]
        summary["notes"] = {lang: [n.text(lang) for n in notes] for lang in ("zh", "en")}
        summary["status"] = "done"
    except PlanningError as exc:
        summary["message"] = {lang: exc.text(lang) for lang in ("zh", "en")}
    except Exception as exc:  # noqa: BLE001  # a county's surprise must not stop the province
        logger.exception("county %s failed", county.name)
        problem = Message("province.unexpected", error=f"{type(exc).__name__}: {exc}")
        summary["message"] = {lang: problem.text(lang) for lang in ("zh", "en")}
    summary["seconds"] = round(time.perf_counter() - start, 3)
    atomic_write_text(out / SUMMARY, json.dumps(summary, ensure_ascii=False, indent=1, allow_nan=True))
    logger.info("county %s %s in %.1f s", county.name, summary["status"], summary["seconds"])
    return summary


@contextlib.contextmanager
def _worker_settings(options: Mapping[str, Any]) -> Iterator[None]:
    """The package settings of a county's task (no progress bars; the caller's travel-time
    cache), put back afterwards (a task may run in the caller's own process)."""
    before = settings.progress, settings.cache_folder, settings.use_cache
    settings.progress = False
    settings.cache_folder = Path(options["cache_folder"]) if options.get("cache_folder") else settings.cache_folder
    settings.use_cache = bool(options.get("use_cache", True))
    try:
        yield
    finally:
        settings.progress, settings.cache_folder, settings.use_cache = before


def _county_work(county: CountyEntry, out: Path, options: Mapping[str, Any]) -> dict[str, Any]:
    """The work of :func:`run_county` that may fail on the county's data."""
    from .optimise import plan
    from .report import excel_report, results_gpkg
    from .scenario import Scenario, comparable_baseline, evaluate_or_nearest

    assignment, seconds, lang = options["assignment"], options["solver_seconds"], options.get("lang", "zh")
    _step(county.name, "reading")
    project = county_project(county)
    _step(county.name, "walk_check")
    gpkg = write_walk_check(project, out / "walk_check.gpkg", lang=lang)
    _step(county.name, "plans")
    today, _ = comparable_baseline(project, assignment, solver_seconds=seconds)
    results: list[Result] = []
    for path in county.scenarios:
        results.append(evaluate_or_nearest(Scenario.from_file(path, project), assignment, solver_seconds=seconds)[0])
    for goal in county.goals:
        option = plan(project, goal, p=county.p, solver_seconds=seconds)
        results.append(evaluate_or_nearest(option.scenario, assignment, solver_seconds=seconds)[0])
    _step(county.name, "writing")
    layouts = [today, *results]
    files = [gpkg, results_gpkg(project, layouts, out / "plans.gpkg"),
             excel_report(project, layouts, out / "plans.xlsx", lang=lang)]
    lon, lat = village_centroid(project)
    return {"villages": len(project.villages), "lon": lon, "lat": lat,
            "plans": {r.name: figures_of(r) for r in layouts}, "files": [Path(f).name for f in files]}


#: The topic of the Dask events by which a county's task tells its steps to the progress bar.
TOPIC = "planning.province"


def _step(county: str, step: str) -> None:
    """Tell a county's step (reading, walk_check, plans, writing): in the worker's log, and as
    an event of :data:`TOPIC` that :func:`run` shows beside its progress bar."""
    logger.info("county %s: %s", county, step)
    try:
        from distributed import get_worker

        get_worker().log_event(TOPIC, {"county": county, "step": step})
    except (ImportError, ValueError):  # not on a Dask worker (a county run in this process)
        pass


def county_project(county: CountyEntry) -> Project:
    """A county's project from its manifest entry, as ``planning check``/``evaluate`` load one
    (:func:`planning.load.from_files`): its policy file, then its walking limit."""
    from .load import from_files
    from .policy import Policy

    policy = Policy.from_yaml(county.policy) if county.policy else Policy()
    if county.limit is not None:
        policy = policy.with_limit(county.limit)
    return from_files(villages=county.villages, schools=county.schools, roads=county.roads, osm=county.osm,
                      sites=county.sites, teachers=county.teachers, policy=policy, crs=county.crs,
                      road_class=county.road_class, encoding=county.encoding, name=county.name)


def write_walk_check(project: Project, path: Path, *, lang: str) -> Path:
    """The walk check's GeoPackage, as ``planning check`` writes it: villages, schools, summary, roads."""
    from .io import write_gpkg
    from .walkcheck import school_reach, walk_check, walk_check_layers, walk_summary

    layers = walk_check_layers(project, walk_check(project), walk_summary(project), school_reach(project, lang=lang))
    return write_gpkg(layers, path)


def figures_of(result: Result) -> dict[str, float]:
    """A layout's :data:`FIGURES` (NaN where its summary lacks one), plain floats."""
    summary = result.summary
    return {name: float(summary[name]) if name in summary.index else math.nan for name in FIGURES}


def village_centroid(project: Project) -> tuple[float, float]:
    """The mean longitude and latitude of a county's villages (degrees, WGS 84)."""
    points = project.villages.geometry.to_crs(4326)
    return float(points.x.mean()), float(points.y.mean())


def remove_leftovers(folder: Path) -> list[Path]:
    """Remove the files an interrupted write left in ``folder`` (the temporary names of
    :func:`planning.io.atomic_path`, ``.<name>.<random>.<suffix>``); returns them."""
    gone = []
    for path in folder.iterdir() if folder.is_dir() else []:
        if path.is_file() and _TEMP.match(path.name):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                gone.append(path)
    return gone


def county_done(folder: Path) -> bool:
    """Whether a county's results are whole: its summary says done and its files are there."""
    try:
        summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return summary.get("status") == "done" and all((folder / name).exists() for name in summary.get("files", []))


# ---------------------------------------------------------------------- the province
def run(manifest: str | Path | Manifest, *, client: Client | None = None, out: str | Path = "results",
        resume: bool = False, workers: int | None = None, scheduler: str | None = None, lang: str | None = None,
        map_figure: str = "pupils_beyond_limit", progress: bool | None = None) -> pd.DataFrame:
    """Run every county of a province manifest as a Dask task; write each county's results
    as it finishes, then the province summary.

    Parameters
    ----------
    manifest
        A manifest file (YAML or CSV, :func:`read_manifest`) or a read manifest.
    client
        A ``distributed.Client`` to run on. None: a client of ``scheduler``, or else a local
        cluster made for the run and closed after it (``workers`` processes, one thread each).
    out
        The output folder: one folder per county, and the province summary.
    resume
        Skip the counties whose results are whole (``summary.json`` says done and its files
        exist); a failed county is run again.
    workers
        Worker processes of the local cluster (default 2).
    scheduler
        Address of a running Dask scheduler (``tcp://host:8786``); its workers must see the
        manifest's files and ``out`` under the same paths (a shared file system).
    lang
        Language of the Excel files, the map and the table's messages (``settings.language`` when None).
    map_figure
        The figure the province map is coloured by (:data:`MAP_FIGURES`).
    progress
        A progress bar of the counties done (``settings.progress`` when None).

    Returns
    -------
    pandas.DataFrame
        One row per county in the manifest's order (index ``county``): ``status``
        (``done``/``failed``), ``message`` (why it failed, in ``lang``), ``villages``,
        today's :data:`FIGURES` (pupils, pupils beyond the walking limit with no bus,
        unserved, boarders, classrooms short, the largest CV of each level and whether it is
        over the limit, schools below the 优质均衡 standard, costs in yuan), ``plans``
        (layouts evaluated besides today), ``lon``/``lat`` (centroid of its villages) and
        ``seconds`` (the task's time). Rows of counties skipped by ``resume`` come from
        their ``summary.json``.
    """
    lang = language(lang)
    if map_figure not in MAP_FIGURES:
        raise ValidationError(Message("province.bad_figure", figure=map_figure, allowed=", ".join(MAP_FIGURES)))
    spec = manifest if isinstance(manifest, Manifest) else read_manifest(manifest)
    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    folders = {c.name: out / county_folder(c.name) for c in spec.counties}
    todo = [c for c in spec.counties if not (resume and county_done(folders[c.name]))]
    options = {"assignment": spec.assignment, "solver_seconds": spec.solver_seconds, "lang": lang,
               "cache_folder": str(settings.cache_folder), "use_cache": settings.use_cache}
    if todo:
        with _client(client, scheduler=scheduler, workers=workers) as running:
            _run_tasks(running, todo, folders, options, show=settings.progress if progress is None else progress)
    for folder in folders.values():
        remove_leftovers(folder)
    summaries = [_read_summary(folders[c.name], c.name) for c in spec.counties]
    table = province_table(summaries, lang=lang)
    write_summary(spec, summaries, table, out, lang=lang, figure=map_figure)
    return table


@contextlib.contextmanager
def _client(client: Client | None, *, scheduler: str | None, workers: int | None) -> Iterator[Client]:
    """The given client, or one of ``scheduler``, or of a local cluster made here (closed after)."""
    if client is not None:
        yield client
        return
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as remote:  # type: ignore[no-untyped-call]  # distributed is untyped
            yield remote
        return
    cluster = LocalCluster(n_workers=workers or 2, threads_per_worker=1, processes=True,  # type: ignore[no-untyped-call]
                           dashboard_address=":0")  # a free port: 8787 may be taken
    with cluster, Client(cluster) as local:  # type: ignore[no-untyped-call]
        yield local


#: How many times a county's task is submitted before a lost task (its worker killed, the
#: scheduler's KilledWorker) counts as the county failed; the county's own errors are
#: answered by the task and never retried.
TASK_TRIES = 3


def _run_tasks(client: Client, todo: Sequence[CountyEntry], folders: Mapping[str, Path], options: Mapping[str, Any],
               *, show: bool) -> None:
    """Submit one task per county and follow them as they finish (a bar of counties done)."""
    from distributed import as_completed
    from tqdm import tqdm

    def submit(c: CountyEntry) -> Any:
        return client.submit(run_county, c.model_dump(), str(folders[c.name]), dict(options), pure=False,
                             key=f"county-{county_folder(c.name)}-{os.urandom(4).hex()}")

    futures = {submit(c): c for c in todo}
    tries = {c.name: 1 for c in todo}
    with tqdm(total=len(futures), desc=t("province.progress"), unit=t("province.unit"), disable=not show,
              file=sys.stderr) as bar:
        def steps(event: tuple[float, Mapping[str, str]]) -> None:  # a county's step, from its worker
            bar.set_postfix_str(f"{event[1]['county']}: {t('province.step.' + event[1]['step'])}")

        client.subscribe_topic(TOPIC, steps)  # type: ignore[no-untyped-call]
        try:
            finished = as_completed(futures)  # type: ignore[no-untyped-call]
            for future in finished:
                county = futures.pop(future)
                try:
                    summary = future.result()
                    # let go of it: a result kept on a worker that dies later would be computed
                    # again (the county run twice, its files rewritten under the province's feet)
                    future.release()
                except Exception as exc:  # noqa: BLE001  # the task itself was lost (its workers died)
                    if tries[county.name] < TASK_TRIES:  # a worker killed or lost under load: run it again
                        tries[county.name] += 1
                        again = submit(county)
                        futures[again] = county
                        finished.add(again)  # type: ignore[no-untyped-call]
                        continue
                    problem = Message("province.lost", error=f"{type(exc).__name__}: {exc}")
                    summary = {"county": county.name, "status": "failed", "plans": {}, "files": [],
                               "message": {lg: problem.text(lg) for lg in ("zh", "en")}}
                    atomic_write_text(folders[county.name] / SUMMARY, json.dumps(summary, ensure_ascii=False))
                bar.set_postfix_str(f"{county.name}: {t('province.status.' + summary['status'])}")
                bar.update()
        finally:
            client.unsubscribe_topic(TOPIC)  # type: ignore[no-untyped-call]


def _read_summary(folder: Path, name: str) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
        return data
    except (OSError, ValueError):
        problem = Message("province.no_summary", folder=str(folder))
        return {"county": name, "status": "failed", "plans": {}, "files": [],
                "message": {lg: problem.text(lg) for lg in ("zh", "en")}}


def province_table(summaries: Sequence[Mapping[str, Any]], *, lang: str | None = None) -> pd.DataFrame:
    """County × figures (today's layout) from the counties' summaries: see :func:`run`."""
    lang = language(lang)
    rows = []
    for s in summaries:
        today: dict[str, float] = next(iter(s.get("plans", {}).values()), {})
        rows.append({"county": s["county"], "status": s["status"], "message": s.get("message", {}).get(lang, ""),
                     "villages": s.get("villages"), **{f: today.get(f, math.nan) for f in FIGURES},
                     "plans": max(len(s.get("plans", {})) - 1, 0), "lon": s.get("lon"), "lat": s.get("lat"),
                     "seconds": s.get("seconds")})
    table = pd.DataFrame(rows).set_index("county")
    numeric = [c for c in table.columns if c not in ("status", "message")]
    table[numeric] = table[numeric].apply(pd.to_numeric, errors="coerce")
    over = table["primary_cv_over_limit"].fillna(0) + table["junior_cv_over_limit"].fillna(0)
    verdict = np.where(over > 0, "over", "within")
    table.insert(list(table.columns).index("junior_cv_over_limit") + 1, "cv_verdict",
                 np.where(table["status"] == "done", verdict, ""))
    return table


def plans_table(summaries: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """County × layout × figures: today and every plan of every done county."""
    rows = [{"county": s["county"], "plan": name, **figures} for s in summaries
            for name, figures in s.get("plans", {}).items()]
    return pd.DataFrame(rows, columns=["county", "plan", *FIGURES])


# ---------------------------------------------------------------------- the province summary
def column_name(name: str, lang: str) -> str:
    """A column of the province tables in ``lang``."""
    key = f"province.column.{name}"
    from .i18n import has_text

    return t(key, lang) if has_text(key) else field(name, lang)


def write_summary(spec: Manifest, summaries: Sequence[Mapping[str, Any]], table: pd.DataFrame, out: Path, *,
                  lang: str, figure: str) -> list[Path]:
    """The province summary: ``province.xlsx`` (counties, and every layout of every county),
    ``province_map.html`` and ``province_map.pdf`` (counties coloured by ``figure``)."""
    excel = write_province_excel(table, plans_table(summaries), out / "province.xlsx", lang=lang, title=spec.name)
    shapes = _boundaries(spec)
    html = province_map_html(table, out / "province_map.html", figure=figure, lang=lang, title=spec.name,
                             boundaries=shapes)
    pdf = province_map_pdf(table, out / "province_map.pdf", figure=figure, lang=lang, title=spec.name,
                           boundaries=shapes)
    return [excel, html, pdf]


def worded(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A county table for people: statuses and CV verdicts in words, columns named in ``lang``."""
    shown = table.reset_index()
    if "status" in shown:
        shown["status"] = shown["status"].map(lambda s: t(f"province.status.{s}", lang))
    if "cv_verdict" in shown:
        shown["cv_verdict"] = shown["cv_verdict"].map(lambda v: t(f"province.cv_{v}", lang) if v else "")
    return shown.rename(columns=lambda c: column_name(str(c), lang))


def write_province_excel(counties: pd.DataFrame, plans: pd.DataFrame, path: Path, *, lang: str, title: str) -> Path:
    """The province workbook (atomically): the counties sheet (one row per county, today's
    figures, status and message) and the plans sheet (every layout of every county), each
    with its header frozen and filters on, counts whole, CVs to three decimals, yuan in
    thousands."""
    from openpyxl.styles import Font  # type: ignore[import-untyped]  # openpyxl ships no types

    plain_counties = counties.drop(columns=["seconds"])
    sheets = {t("province.sheet.counties", lang): (worded(plain_counties, lang), plain_counties.reset_index()),
              t("province.sheet.plans", lang): (plans.rename(columns=lambda c: column_name(str(c), lang)), plans)}
    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        for name, (shown, plain) in sheets.items():
            shown.to_excel(writer, sheet_name=name, index=False, startrow=1)
            sheet = writer.sheets[name]
            sheet["A1"] = title
            sheet["A1"].font = Font(bold=True, size=13)
            sheet.freeze_panes = "B3"  # the header row and the county column stay in view
            last = sheet.cell(row=2, column=shown.shape[1]).column_letter
            sheet.auto_filter.ref = f"A2:{last}{len(shown) + 2}"
            for index, column in enumerate(plain.columns):
                letter = sheet.cell(row=2, column=index + 1).column_letter
                width = max([len(str(shown.columns[index])), *(len(str(v)) for v in shown.iloc[:, index])]) + 2
                sheet.column_dimensions[letter].width = min(max(width, 8), 40)
                number = _number_format(str(column))
                for cell in sheet[letter][2:] if number else ():
                    cell.number_format = number
    return path


def _number_format(column: str) -> str:
    if column.endswith("_yuan"):
        return "#,##0"
    if column.endswith("_max_cv"):
        return "0.000"
    if column in ("lon", "lat"):
        return "0.0000"
    if column in FIGURES or column in ("villages", "plans"):
        return "#,##0"
    return ""


def _boundaries(spec: Manifest) -> Any:
    """The manifest's county polygons (WGS 84) by county name, or None."""
    if spec.boundaries is None:
        return None
    import geopandas as gpd

    shapes = gpd.read_file(spec.boundaries)
    if spec.boundary_column not in shapes.columns:
        raise ValidationError(Message("province.no_boundary_column", column=spec.boundary_column,
                                      columns=", ".join(map(str, shapes.columns))), source=str(spec.boundaries))
    if shapes.crs is None:
        shapes = shapes.set_crs(4326)
    shapes = shapes.to_crs(4326)
    return shapes.set_index(shapes[spec.boundary_column].astype(str))


def colours(values: pd.Series) -> pd.Series:
    """A colour (hex) per county: light yellow (least) to dark red (most) of ``values``;
    grey where the value is unknown (a failed county)."""
    import matplotlib
    from matplotlib.colors import to_hex

    scale = matplotlib.colormaps["YlOrRd"]
    known = values.dropna().astype(float)
    low, high = (float(known.min()), float(known.max())) if len(known) else (0.0, 1.0)
    span = high - low or 1.0
    return values.map(lambda v: "#bdbdbd" if v != v or v is None else to_hex(scale(0.15 + 0.85 * (float(v) - low) / span)))


def _figure_values(table: pd.DataFrame, figure: str) -> pd.Series:
    values = table[figure].astype(float)
    return values.where(table["status"] == "done")


def province_map_html(table: pd.DataFrame, path: Path, *, figure: str, lang: str, title: str,
                      boundaries: Any = None) -> Path:
    """The province map as one HTML page (folium, OpenStreetMap tiles): each county a circle
    at the centroid of its villages, or its polygon where ``boundaries`` has it, coloured
    by ``figure`` (darker is more), with its name, status and figure in a tooltip."""
    import folium

    values = _figure_values(table, figure)
    fill, value_of = colours(values).to_dict(), values.to_dict()
    located = table.dropna(subset=["lon", "lat"])
    centre = [float(located["lat"].mean()), float(located["lon"].mean())] if len(located) else [30.0, 110.0]
    fmap = folium.Map(location=centre, zoom_start=7, tiles=None)
    folium.TileLayer("OpenStreetMap", attr=t("osm_attribution", "en"), name="OpenStreetMap").add_to(fmap)
    label = column_name(figure, lang)
    for county, row in table.iterrows():
        value = value_of[county]
        tip = t("province.map_tip", lang, county=county, status=t(f"province.status.{row['status']}", lang),
                figure=label, value="" if value != value else f"{value:,.4g}")
        if boundaries is not None and str(county) in boundaries.index:
            shape = boundaries.loc[[str(county)]]
            folium.GeoJson(shape.geometry.__geo_interface__, tooltip=tip,
                           style_function=lambda _, c=fill[county]: {"fillColor": c, "color": "#555555", "weight": 1,
                                                                      "fillOpacity": 0.75}).add_to(fmap)
        elif row["lat"] == row["lat"] and row["lat"] is not None:
            folium.CircleMarker([float(row["lat"]), float(row["lon"])], radius=9, color="#555555", weight=1,
                                fill=True, fill_color=fill[county], fill_opacity=0.85, tooltip=tip).add_to(fmap)
    if len(located):
        fmap.fit_bounds([[float(located["lat"].min()), float(located["lon"].min())],
                         [float(located["lat"].max()), float(located["lon"].max())]])
    known = values.dropna()
    low, high = (f"{known.min():,.4g}", f"{known.max():,.4g}") if len(known) else ("", "")
    legend = f"<b>{html.escape(title)}</b><br>" + html.escape(t("province.legend", lang, figure=label, low=low, high=high))
    root: Any = fmap.get_root()  # a Figure, typed as an Element
    root.html.add_child(folium.Element(
        '<div style="position:fixed;bottom:24px;left:12px;z-index:9999;background:white;padding:6px 10px;'
        'border:1px solid #999;font:13px sans-serif">' + legend +
        '<div style="height:10px;width:160px;margin-top:4px;background:linear-gradient(to right,'
        + colours(pd.Series([0.0, 0.5, 1.0])).str.cat(sep=",") + ')"></div></div>'))
    with atomic_path(path) as tmp:
        fmap.save(str(tmp))
    return path


def province_map_pdf(table: pd.DataFrame, path: Path, *, figure: str, lang: str, title: str,
                     boundaries: Any = None) -> Path:
    """The province map for print (PDF, A4-sized): counties as in :func:`province_map_html`,
    each named, a colour bar of ``figure``; Chinese labels with an installed CJK font
    (:func:`planning.report.chart`)."""
    import matplotlib
    import matplotlib.pyplot as plt
    from matplotlib.colors import Normalize

    from .report import chart

    values = _figure_values(table, figure)
    fill = colours(values).to_dict()
    known = values.dropna()

    def draw(ax: Any, lg: str) -> None:
        for county, row in table.iterrows():
            if boundaries is not None and str(county) in boundaries.index:
                boundaries.loc[[str(county)]].plot(ax=ax, color=fill[county], edgecolor="#555555", linewidth=0.6)
            if row["lat"] == row["lat"] and row["lat"] is not None:
                ax.scatter([row["lon"]], [row["lat"]], s=60, c=[fill[county]], edgecolors="#555555", linewidths=0.6,
                           zorder=3)
                ax.annotate(str(county), (row["lon"], row["lat"]), xytext=(0, 6), textcoords="offset points",
                            ha="center", fontsize=6, zorder=4)
        middle = float(table["lat"].mean()) if table["lat"].notna().any() else 0.0
        ax.set_aspect(1 / max(math.cos(math.radians(middle)), 0.1), adjustable="datalim")  # degrees true to scale
        ax.margins(0.08)
        ax.set_xlabel(t("province.lon", lg))
        ax.set_ylabel(t("province.lat", lg))
        ax.set_title(t("province.map_title", lg, title=title, figure=column_name(figure, lg)))
        low, high = (float(known.min()), float(known.max())) if len(known) else (0.0, 1.0)
        span = high - low or 1.0
        scale = matplotlib.colors.LinearSegmentedColormap.from_list(
            "counties", [matplotlib.colormaps["YlOrRd"](x) for x in np.linspace(0.15, 1, 32)])
        mappable = matplotlib.cm.ScalarMappable(norm=Normalize(low, low + span), cmap=scale)
        ax.figure.colorbar(mappable, ax=ax, shrink=0.6, label=column_name(figure, lg))
        ax.figure.text(0.02, 0.01, t("province.map_note", lg), fontsize=7, va="bottom")

    drawing = chart(draw, lang=lang, size=(8.27, 11.69))
    with atomic_path(path) as tmp:
        drawing.savefig(tmp, format="pdf")
    plt.close(drawing)
    return path


# ---------------------------------------------------------------------- a generated province
#: Where the counties of :func:`make_demo_province` lie: the first at the demo township,
#: then ten to a row, 0.3° of longitude and 0.25° of latitude apart.
GRID = (10, 0.3, 0.25)
#: Side of the square of a real road network cut out for one county (metres).
WINDOW_M = 7000.0


def make_demo_province(folder: str | Path, *, counties: int = 50, osm: str | Path | None = None, seed: int = 2026,
                       goals_every: int = 10) -> Path:
    """Write a synthetic province for trying and testing :func:`run`; returns its manifest.

    Every county is the shipped demo township (``data/demo``: its villages, schools, sites,
    teacher roster and roads) moved to its own place on a grid (:data:`GRID`), its pupils
    drawn again (Poisson around the demo's count of each grade, scaled by a county factor
    between 0.7 and 1.3). With ``osm`` (an OpenStreetMap file, e.g. the real Liechtenstein
    network of ``../shared/data``), every third county instead has a real road network: a
    square of :data:`WINDOW_M` metres cut from the file's roads at a random place, moved to the
    county's place (distances kept: moved in metres, UTM zone 49N), with the demo's
    villages, schools and sites put on its roads at random. Every county evaluates the
    demo's scenario ``consolidate_5.yaml`` (copied into ``scenarios/``); every
    ``goals_every``-th county also asks the optimiser for the fewest schools.

    Parameters
    ----------
    folder
        Where to write ``province.yaml`` and one folder of files per county.
    counties
        Number of counties.
    osm
        An OpenStreetMap file for the real-network counties; None: demo roads only.
    seed
        Seed of the random draws: the same seed writes the same province.
    goals_every
        Every this many counties, one asks for the optimiser's fewest schools (0: none).
    """
    import shutil

    import geopandas as gpd

    from .load import DEMO_FOLDER

    folder = Path(folder)
    (folder / "scenarios").mkdir(parents=True, exist_ok=True)
    scenario = folder / "scenarios" / "consolidate_5.yaml"
    shutil.copyfile(DEMO_FOLDER / "scenarios" / "consolidate_5.yaml", scenario)
    rng = np.random.default_rng(seed)
    tables = {name: pd.read_csv(DEMO_FOLDER / f"{name}.csv", dtype=str, keep_default_na=False)
              for name in ("villages", "schools", "sites")}
    roads = gpd.read_file(DEMO_FOLDER / "roads.gpkg")
    real = None
    if osm is not None:
        from .osm import read_osm

        real = read_osm(osm).network
    entries = []
    for k in range(counties):
        name = f"county_{k + 1:02d}"
        place = folder / name
        place.mkdir(exist_ok=True)
        dx, dy = (k % GRID[0]) * GRID[1], (k // GRID[0]) * GRID[2]
        moved = {key: _moved(table, dx, dy) for key, table in tables.items()}
        _reseed(moved["villages"], rng, factor=float(rng.uniform(0.7, 1.3)))
        if real is not None and k % 3 == 2:
            _on_real_roads(moved, real, place / "roads.gpkg", rng)
        else:
            roads.set_geometry(roads.geometry.translate(dx, dy)).to_file(place / "roads.gpkg", driver="GPKG")
        for key, table in moved.items():
            table.to_csv(place / f"{key}.csv", index=False, encoding="utf-8")
        shutil.copyfile(DEMO_FOLDER / "teachers.csv", place / "teachers.csv")
        entry: dict[str, Any] = {key: f"{name}/{key}.csv" for key in ("villages", "schools", "sites", "teachers")}
        entry = {"name": name, **entry, "roads": f"{name}/roads.gpkg", "scenarios": ["scenarios/consolidate_5.yaml"]}
        if goals_every and k % goals_every == goals_every - 1:
            entry["goals"] = ["fewest_schools"]
        entries.append(entry)
    import yaml

    manifest = folder / "province.yaml"
    atomic_write_text(manifest, yaml.safe_dump({"name": folder.name, "counties": entries}, allow_unicode=True,
                                               sort_keys=False))
    return manifest


def _lonlat_columns(table: pd.DataFrame) -> tuple[str, str]:
    """The longitude and latitude columns of a table (by the header aliases of :mod:`planning.columns`)."""
    from .columns import COORDINATE_ALIASES, normalise_header

    lons, lats = (set(map(normalise_header, names)) for names in COORDINATE_ALIASES["lonlat"])
    lon = next(c for c in table.columns if normalise_header(c) in lons)
    lat = next(c for c in table.columns if normalise_header(c) in lats)
    return lon, lat


def _moved(table: pd.DataFrame, dx: float, dy: float) -> pd.DataFrame:
    """A demo table with its points moved by ``dx``, ``dy`` degrees."""
    out = table.copy()
    lon, lat = _lonlat_columns(out)
    out[lon] = (out[lon].astype(float) + dx).round(6)
    out[lat] = (out[lat].astype(float) + dy).round(6)
    return out


def _reseed(villages: pd.DataFrame, rng: np.random.Generator, *, factor: float) -> None:
    """Draw every village's pupils of each grade again: Poisson around the count × ``factor``."""
    from .columns import VILLAGE_ALIASES, normalise_header

    grades = {normalise_header(a) for g in range(1, 10) for a in VILLAGE_ALIASES[f"grade_{g}"]}
    for column in [c for c in villages.columns if normalise_header(c) in grades]:
        villages[column] = rng.poisson(villages[column].astype(float).to_numpy() * factor).astype(str)


def _on_real_roads(tables: dict[str, pd.DataFrame], network: Any, path: Path, rng: np.random.Generator) -> None:
    """Cut a square of ``network``'s roads, move it to the county's place (the mean of its
    villages' points), write it to ``path`` and put the county's points on its roads."""
    from pyproj import Transformer

    lon, lat = _lonlat_columns(tables["villages"])
    target = Transformer.from_crs(4326, 32649, always_xy=True).transform(
        tables["villages"][lon].astype(float).mean(), tables["villages"][lat].astype(float).mean())
    main = np.flatnonzero(network.components == 0)
    centre = network.node_xy[rng.choice(main)]
    half = WINDOW_M / 2
    inside = main[(np.abs(network.node_xy[main] - centre) < half * 0.8).all(axis=1)]
    lines = network.to_gdf()
    lines = lines.cx[centre[0] - half:centre[0] + half, centre[1] - half:centre[1] + half]
    shift = np.asarray(target) - centre
    lines = lines.set_geometry(lines.geometry.translate(*shift)).set_crs(32649, allow_override=True)
    lines[["road_class", "geometry"]].to_file(path, driver="GPKG")
    back = Transformer.from_crs(32649, 4326, always_xy=True)
    for table in tables.values():
        xy = network.node_xy[rng.choice(inside, size=len(table), replace=len(inside) < len(table))] + shift
        xy = xy + rng.uniform(-60, 60, size=xy.shape)
        x, y = back.transform(xy[:, 0], xy[:, 1])
        column_x, column_y = _lonlat_columns(table)
        table[column_x], table[column_y] = np.round(x, 6), np.round(y, 6)


__all__ = ["run", "read_manifest", "Manifest", "CountyEntry", "run_county", "county_project", "province_table",
           "plans_table", "write_summary", "FIGURES", "MAP_FIGURES", "remove_leftovers", "county_done",
           "county_folder", "make_demo_province", "worded"]
