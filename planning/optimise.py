"""Location-allocation: which schools to keep, close or open, solved exactly with HiGHS.

The core works on a cost matrix (rows: villages or demand points; columns: schools and
candidate sites), like spopt's ``from_cost_matrix``; :func:`plan` only extracts the matrix
from a project and turns the answer into a :class:`~planning.Scenario`.

Goals
-----
``p_median``      least total weighted cost with ``p`` open columns (optionally capacitated,
                  optionally with ``max_cost`` as a hard limit)
``set_cover``     fewest open columns such that every row is within ``max_cost`` (and
                  capacity holds); then, among those, least total cost
``max_coverage``  most weight within ``max_cost`` of an open column, with ``p`` open

Formulation (strong): y_j ∈ {0,1} open; x_ij assignment, x_ij ≤ y_j; Σ_j x_ij = 1 (or the
covered share); Σ_i d_i x_ij ≤ C_j y_j where capacities are given. With capacities and
``single_source`` (villages zoned whole), x is binary; otherwise continuous (for the
uncapacitated p-median the strong formulation needs no integral x).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from .errors import InfeasibleError
from .milp import Solution as MilpSolution
from .milp import solve


@dataclass
class Solution:
    """An optimiser's answer.

    Attributes
    ----------
    open
        Indices of the open columns.
    assignment
        Column index per row (−1 where a row is not covered: ``max_coverage`` only).
    objective
        Σ over rows of weight × cost of the assignment (for ``max_coverage``: the covered weight).
    status
        HiGHS status ("Optimal", "Time limit reached", ...).
    gap
        Relative MIP gap (0 when proven optimal).
    bound
        Best proven bound on the objective.
    seconds
        Solve time.
    notes
        What the solver or the checks want the planner to know.
    """

    open: np.ndarray
    assignment: np.ndarray
    objective: float
    status: str
    gap: float
    bound: float
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def optimal(self) -> bool:
        return self.status == "Optimal"


def _prepare(cost: np.ndarray, weights, demand, max_cost, open_, closed):
    cost = np.asarray(cost, dtype=float)
    n, m = cost.shape
    weights = np.ones(n) if weights is None else np.asarray(weights, dtype=float)
    demand = weights if demand is None else np.asarray(demand, dtype=float)
    allowed = np.isfinite(cost)
    if max_cost is not None:
        allowed &= cost <= max_cost
    y_lo, y_hi = np.zeros(m), np.ones(m)
    if open_ is not None:
        y_lo[np.asarray(open_, dtype=int)] = 1
    if closed is not None:
        y_hi[np.asarray(closed, dtype=int)] = 0
    if (y_lo > y_hi).any():
        both = np.flatnonzero(y_lo > y_hi).tolist()
        raise InfeasibleError(f"columns {both} are both kept open and closed; choose one")
    allowed &= (y_hi > 0)[None, :]
    return cost, n, m, weights, demand, allowed, y_lo, y_hi


def _unreachable(allowed: np.ndarray, labels, max_cost, unit: str = "") -> None:
    lonely = np.flatnonzero(~allowed.any(axis=1))
    if len(lonely):
        names = ", ".join(str(labels[i]) for i in lonely[:15]) + (f" and {len(lonely) - 15} more" if len(lonely) > 15 else "")
        limit = f"beyond {max_cost:g}{unit} from" if max_cost is not None else "out of reach of"
        raise InfeasibleError(f"{names} {'is' if len(lonely) == 1 else 'are'} {limit} every school and site that "
                              f"may open: {'it needs' if len(lonely) == 1 else 'they need'} a bus or boarding, "
                              "or a site nearer")


def _model(cost, weights, demand, allowed, capacities, single_source, y_lo, y_hi, *, cover: bool):
    """Variables [y (m) | x (pairs) | z (n, covered share; only if cover)] and rows."""
    n, m = cost.shape
    pi, pj = np.nonzero(allowed)
    n_pairs = len(pi)
    nz = n if cover else 0
    n_var = m + n_pairs + nz
    rows, cols, vals, lo, hi = [], [], [], [], []
    r = 0
    # each row assigned once (or its covered share z_i)
    rows += [pi]
    cols += [m + np.arange(n_pairs)]
    vals += [np.ones(n_pairs)]
    if cover:
        rows += [np.arange(n)]
        cols += [m + n_pairs + np.arange(n)]
        vals += [-np.ones(n)]
        lo.append(np.zeros(n))
        hi.append(np.zeros(n))
    else:
        lo.append(np.ones(n))
        hi.append(np.ones(n))
    r += n
    # x_ij <= y_j (strong linking)
    rows += [r + np.arange(n_pairs), r + np.arange(n_pairs)]
    cols += [m + np.arange(n_pairs), pj]
    vals += [np.ones(n_pairs), -np.ones(n_pairs)]
    lo.append(np.full(n_pairs, -np.inf))
    hi.append(np.zeros(n_pairs))
    r += n_pairs
    if capacities is not None:
        caps = np.asarray(capacities, dtype=float)
        limited = np.flatnonzero(np.isfinite(caps))
        row_of = np.full(m, -1)
        row_of[limited] = r + np.arange(len(limited))
        sel = row_of[pj] >= 0
        rows += [row_of[pj[sel]], r + np.arange(len(limited))]
        cols += [m + np.flatnonzero(sel), limited]
        vals += [demand[pi[sel]], -caps[limited]]
        lo.append(np.full(len(limited), -np.inf))
        hi.append(np.zeros(len(limited)))
        r += len(limited)
        if len(limited) == m:  # aggregate cut: the open seats must hold all demand (tightens the LP)
            rows += [np.full(m, r)]
            cols += [np.arange(m)]
            vals += [caps]
            lo.append(np.array([demand.sum()]))
            hi.append(np.array([np.inf]))
            r += 1
    matrix = sparse.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(r, n_var))
    col_lo = np.r_[y_lo, np.zeros(n_pairs + nz)]
    col_hi = np.r_[y_hi, np.ones(n_pairs + nz)]
    integer = np.r_[np.ones(m, dtype=bool), np.full(n_pairs, capacities is not None and single_source),
                    np.zeros(nz, dtype=bool)]
    pair_cost = weights[pi] * cost[pi, pj]
    return matrix, np.concatenate(lo), np.concatenate(hi), col_lo, col_hi, integer, pi, pj, pair_cost


def _count_row(m: int, n_var: int, p: int) -> tuple[sparse.csr_matrix, float, float]:
    return sparse.csr_matrix((np.ones(m), (np.zeros(m, dtype=int), np.arange(m))), shape=(1, n_var)), p, p


def _answer(sol: MilpSolution, m: int, pi, pj, n: int, *, what: str, objective: float | None = None) -> Solution:
    if not sol.has_solution:
        raise InfeasibleError(f"{what}: HiGHS found no solution (status: {sol.status}). With the limit and "
                              "capacities given, no set of schools serves every village; relax the limit, "
                              "add capacity or allow sites")
    opened = np.flatnonzero(sol.x[:m] > 0.5)
    x = sol.x[m:m + len(pi)]
    assignment = np.full(n, -1)
    best = np.full(n, 0.0)
    for i, j, v in zip(pi, pj, x, strict=True):  # the largest share of each row
        if v > best[i] + 1e-9:
            best[i], assignment[i] = v, j
    return Solution(open=opened, assignment=assignment, objective=sol.objective if objective is None else objective,
                    status=sol.status, gap=sol.gap, bound=sol.bound, seconds=sol.seconds)


def p_median(cost: np.ndarray, p: int, *, weights=None, demand=None, capacities=None, max_cost: float | None = None,
             single_source: bool = True, open_=None, closed=None, time_limit: float | None = None,
             mip_gap: float = 1e-6, labels=None, unit: str = "") -> Solution:
    """Open ``p`` columns minimising Σ weight × cost of each row's assignment.

    Parameters
    ----------
    cost
        Cost matrix (rows × columns), e.g. walking minutes; NaN/inf where a pair is impossible.
    p
        Number of columns to open.
    weights
        Objective weight per row (e.g. pupils); 1 when None.
    demand
        Capacity use per row (pupils); ``weights`` when None.
    capacities
        Capacity per column; NaN for unlimited; None for the uncapacitated problem.
    max_cost
        Pairs costing more are not allowed (the walking limit as a hard constraint).
    single_source
        With capacities: each row goes whole to one column (villages are zoned whole).
    open_, closed
        Columns that must stay open / must close.
    labels, unit
        Row names and the cost unit, for messages.
    """
    cost, n, m, weights, demand, allowed, y_lo, y_hi = _prepare(cost, weights, demand, max_cost, open_, closed)
    labels = labels if labels is not None else np.arange(n)
    if not 1 <= p <= int(y_hi.sum()):
        raise InfeasibleError(f"p = {p} but {int(y_hi.sum())} columns may open; choose 1 ≤ p ≤ {int(y_hi.sum())}")
    if y_lo.sum() > p:
        raise InfeasibleError(f"{int(y_lo.sum())} columns must stay open but p = {p}")
    _unreachable(allowed, labels, max_cost, unit)
    if capacities is not None:
        caps = np.nan_to_num(np.asarray(capacities, dtype=float), nan=np.inf)
        best = np.sort(np.where(y_hi > 0, caps, 0))[::-1][:p].sum()
        if best < demand.sum():
            raise InfeasibleError(f"the highest possible capacity of {p} open columns is {best:,.0f}, smaller than "
                                  f"the total demand {demand.sum():,.0f}: open more, or add capacity")
    matrix, lo, hi, col_lo, col_hi, integer, pi, pj, pair_cost = _model(
        cost, weights, demand, allowed, capacities, single_source, y_lo, y_hi, cover=False)
    count, clo, chi = _count_row(m, matrix.shape[1], p)
    objective = np.r_[np.zeros(m), pair_cost]
    sol = solve(objective, sparse.vstack([matrix, count]), np.r_[lo, clo], np.r_[hi, chi], col_lower=col_lo,
                col_upper=col_hi, integer=integer, time_limit=time_limit, mip_gap=mip_gap)
    return _answer(sol, m, pi, pj, n, what=f"p-median with p = {p}")


def set_cover(cost: np.ndarray, max_cost: float, *, weights=None, demand=None, capacities=None,
              single_source: bool = True, open_=None, closed=None, time_limit: float | None = None,
              mip_gap: float = 1e-6, labels=None, unit: str = "") -> Solution:
    """Fewest open columns so that every row is within ``max_cost`` (and capacities hold);
    among the fewest, least Σ weight × cost (a second exact solve)."""
    cost, n, m, weights, demand, allowed, y_lo, y_hi = _prepare(cost, weights, demand, max_cost, open_, closed)
    labels = labels if labels is not None else np.arange(n)
    _unreachable(allowed, labels, max_cost, unit)
    if capacities is not None:
        caps = np.nan_to_num(np.asarray(capacities, dtype=float), nan=np.inf)
        if np.where(y_hi > 0, caps, 0).sum() < demand.sum():
            raise InfeasibleError(f"all columns that may open hold {np.where(y_hi > 0, caps, 0).sum():,.0f}, less than "
                                  f"the total demand {demand.sum():,.0f}")
    matrix, lo, hi, col_lo, col_hi, integer, pi, pj, pair_cost = _model(
        cost, weights, demand, allowed, capacities, single_source, y_lo, y_hi, cover=False)
    fewest = solve(np.r_[np.ones(m), np.zeros(len(pi))], matrix, lo, hi, col_lower=col_lo, col_upper=col_hi,
                   integer=integer, time_limit=time_limit, mip_gap=mip_gap)
    if not fewest.has_solution:
        return _answer(fewest, m, pi, pj, n, what="fewest schools")
    k = int(round(fewest.objective))
    count, clo, chi = _count_row(m, matrix.shape[1], k)
    cheapest = solve(np.r_[np.zeros(m), pair_cost], sparse.vstack([matrix, count]), np.r_[lo, clo], np.r_[hi, chi],
                     col_lower=col_lo, col_upper=col_hi, integer=integer, time_limit=time_limit, mip_gap=mip_gap,
                     initial=fewest.x)
    answer = _answer(cheapest, m, pi, pj, n, what=f"least cost with {k} schools")
    answer.seconds += fewest.seconds
    if not fewest.optimal:
        answer.status = f"fewest: {fewest.status}"
        answer.notes.append(f"the count {k} is not proven minimal (gap {fewest.gap:.1%})")
    return answer


def max_coverage(cost: np.ndarray, p: int, max_cost: float, *, weights=None, demand=None, capacities=None,
                 single_source: bool = True, open_=None, closed=None, time_limit: float | None = None,
                 mip_gap: float = 1e-6, labels=None, unit: str = "") -> Solution:
    """Open ``p`` columns covering the most weight within ``max_cost``.

    ``objective`` is the covered weight; uncovered rows have ``assignment`` −1.
    """
    cost, n, m, weights, demand, allowed, y_lo, y_hi = _prepare(cost, weights, demand, max_cost, open_, closed)
    if not 1 <= p <= int(y_hi.sum()):
        raise InfeasibleError(f"p = {p} but {int(y_hi.sum())} columns may open; choose 1 ≤ p ≤ {int(y_hi.sum())}")
    matrix, lo, hi, col_lo, col_hi, integer, pi, pj, pair_cost = _model(
        cost, weights, demand, allowed, capacities, single_source, y_lo, y_hi, cover=True)
    count, clo, chi = _count_row(m, matrix.shape[1], p)
    # maximise covered weight; a tiny cost term picks the nearest among equal covers
    eps = 1e-6 / max(1.0, float(np.nansum(pair_cost)))
    objective = np.r_[np.zeros(m), eps * pair_cost, -weights]
    upper = col_hi.copy()
    upper[-n:] = 1.0
    sol = solve(objective, sparse.vstack([matrix, count]), np.r_[lo, clo], np.r_[hi, chi], col_lower=col_lo,
                col_upper=upper, integer=integer, time_limit=time_limit, mip_gap=mip_gap)
    answer = _answer(sol, m, pi, pj, n, what=f"maximal covering with p = {p}")
    answer.objective = float((weights * sol.x[-n:]).sum())
    answer.bound = -sol.bound
    return answer


# ---------------------------------------------------------------------- on a project
GOALS = ("fewest_schools", "p_median", "max_coverage")


@dataclass
class Plan:
    """A recommended layout: the scenario that realises it and the solver's report.

    Attributes
    ----------
    scenario
        Close/open edits; evaluate it like any hand-made scenario.
    solution
        The optimiser's answer (status, objective, gap, time).
    goal, level, limit
        What was asked.
    columns
        Schools and sites considered: ``kind``, ``name``, ``decision`` (keep, close, open,
        stay closed), ``pupils`` assigned by the optimiser.
    notes
        Things to know (e.g. a nine-year school closed for one level closes for both);
        ``explain("zh")`` gives them in Chinese.
    """

    scenario: object
    solution: Solution
    goal: str
    level: str
    limit: float
    columns: object
    messages: list[tuple[str, dict]]

    @property
    def notes(self) -> list[str]:
        return self.explain("en")

    def explain(self, lang: str = "en") -> list[str]:
        """The notes in ``lang`` (zh or en)."""
        from .i18n import t

        def words(values: dict) -> dict:  # a level by its name in the language
            return {k: t(f"level_{v}", lang) if k == "level" else v for k, v in values.items()}

        return [text["text"] if key == "plain" else t(key, lang, **words(text)) for key, text in self.messages]

    def report(self) -> dict[str, object]:
        """The solver report: goal, status, objective, bound, gap, seconds, schools open."""
        s = self.solution
        return {"goal": self.goal, "level": self.level, "limit_min": self.limit, "status": s.status,
                "objective": s.objective, "bound": s.bound, "gap": s.gap, "seconds": s.seconds,
                "schools_open": len(s.open)}


def _level_inputs(project, level: str, *, sites: bool, capacity: bool):
    """Rows (villages with pupils), columns (schools teaching the whole level, and sites), costs."""
    import pandas as pd

    from .policy import LEVEL_GRADES

    pupils = project.villages[f"{level}_pupils"].fillna(0.0)
    rows = pupils.index[pupils > 0]
    schools = project.schools
    complete = schools[schools[level] & (schools["type"] != "other")]
    partial = schools[~schools[level] & schools["grades"].map(lambda g: bool(set(g) & set(LEVEL_GRADES[level])))]
    columns = [pd.DataFrame({"kind": "school", "name": complete["name"]}, index=complete.index)]
    if sites and len(project.sites):
        grades = set(LEVEL_GRADES[level])
        from .columns import SCHOOL_TYPES

        usable = project.sites[project.sites["type"].map(lambda t: grades <= set(SCHOOL_TYPES[t]["grades"]))]
        columns.append(pd.DataFrame({"kind": "site", "name": usable["name"]}, index=usable.index))
    columns = pd.concat(columns)
    minutes = project.travel_times().loc[rows, columns.index].to_numpy()
    caps = None
    if capacity:
        table = pd.concat([project.schools[["capacity"]], project.sites[["capacity"]]]) if len(project.sites) \
            else project.schools[["capacity"]]
        caps = table["capacity"].reindex(columns.index).to_numpy(dtype=float, copy=True)
        other = "junior" if level == "primary" else "primary"
        both = columns.index.isin(schools.index[schools[level] & schools[other]])
        if both.any():  # seats a nine-year school's other level uses today are not free
            used = project.baseline("nearest").schools.loc[columns.index[both], f"{other}_pupils"].to_numpy()
            caps[both] = np.maximum(caps[both] - used, 0)
    return rows, columns, minutes, pupils[rows].to_numpy(), caps, partial


def plan(project, goal: str = "fewest_schools", *, level: str = "primary", p: int | None = None,
         limit: float | None = None, keep=(), close=(), sites: bool = True, capacity: bool = True,
         hard_limit: bool = True, single_source: bool = True, beyond: str = "report",
         time_limit: float | None = 60.0, name: str | None = None) -> Plan:
    """Recommend which schools of a level to keep, close or open, exactly.

    Parameters
    ----------
    goal
        ``"fewest_schools"`` (every pupil within ``limit``, capacity respected),
        ``"p_median"`` (least pupil travel time with ``p`` schools; ``hard_limit`` keeps the
        walking limit as a constraint) or ``"max_coverage"`` (most pupils within ``limit``
        with ``p`` schools).
    level
        ``"primary"`` or ``"junior"``. Schools teaching the whole level are candidates;
        schools teaching part of it (teaching points) are closed unless in ``keep``.
    limit
        Walking limit (minutes); the policy's for the level when None.
    keep, close
        School ids that must stay open / must close.
    sites
        Whether candidate sites may open.
    capacity
        Respect seats (a nine-year school's seats used by its other level are not free).
    single_source
        Villages go whole to one school (划片); False lets a village split.
    beyond
        Villages beyond the limit of every school and site that may open: ``"report"``
        leaves them out of the walking constraint (zoned to the nearest, named in
        ``notes`` as needing a bus or boarding); ``"error"`` raises.

    Raises
    ------
    InfeasibleError
        With an explanation when no plan can meet the request (e.g. a village beyond the
        limit of every school and site).
    """
    if goal not in GOALS:
        raise ValueError(f"`goal` was {goal!r} but is expected to be one of {list(GOALS)}")
    limit = project.policy.limit(level) if limit is None else float(limit)
    rows, columns, minutes, pupils, caps, partial = _level_inputs(project, level, sites=sites, capacity=capacity)
    unknown = sorted((set(keep) | set(close)) - set(project.schools.index) - set(project.sites.index))
    if unknown:
        raise InfeasibleError(f"unknown schools in keep/close: {unknown}")
    col_ids = list(columns.index)
    open_ = [col_ids.index(s) for s in keep if s in col_ids]
    closed = [col_ids.index(s) for s in close if s in col_ids]
    labels = [f"{project.villages.loc[v, 'name']} ({v})" for v in rows]
    messages: list[tuple[str, dict]] = []
    hard = goal == "fewest_schools" or (goal == "p_median" and hard_limit)
    if hard:
        may_open = np.ones(len(col_ids), dtype=bool)
        may_open[closed] = False
        reach = (minutes <= limit) & may_open[None, :]
        lonely = ~reach.any(axis=1)
        if lonely.any() and beyond == "report":
            open_minutes = np.where(may_open[None, :] & np.isfinite(minutes), minutes, np.inf)
            for i in np.flatnonzero(lonely):  # nearest among the schools and sites that may open
                nearest = open_minutes[i].min()
                messages.append(("plan_lonely", {"village": labels[i], "limit": f"{limit:g}",
                                                 "nearest": "—" if np.isinf(nearest) else f"{nearest:.0f}"}))
            minutes = np.where(lonely[:, None], np.where(np.isfinite(minutes), 0.0, np.nan), minutes)
    common = {"weights": pupils, "demand": pupils, "capacities": caps, "single_source": single_source,
              "open_": open_ or None, "closed": closed or None, "time_limit": time_limit, "labels": labels,
              "unit": " min"}
    if goal == "fewest_schools":
        solution = set_cover(minutes, limit, **common)
    elif p is None:
        raise ValueError(f"goal {goal!r} needs p, the number of schools to open")
    elif goal == "p_median":
        solution = p_median(minutes, p, max_cost=limit if hard_limit else None, **common)
    else:
        solution = max_coverage(minutes, p, limit, **common)
    return _as_plan(project, solution, goal, level, limit, rows, columns, pupils, partial, keep, name, messages)


def _as_plan(project, solution: Solution, goal, level, limit, rows, columns, pupils, partial, keep, name,
             messages: list[tuple[str, dict]]) -> Plan:
    opened = set(columns.index[solution.open])
    scenario = project.scenario(name or f"{goal.replace('_', ' ')} ({level}, {limit:g} min)")
    messages = [*messages, *(("plain", {"text": note}) for note in solution.notes)]
    decision = []
    for cid, row in columns.iterrows():
        if row["kind"] == "school":
            decision.append("keep" if cid in opened else "close")
            if cid not in opened:
                scenario = scenario.close(cid)
                if project.schools.loc[cid, "type"] == "nine_year":
                    messages.append(("plan_nine_year", {"school": f"{cid} {row['name']}", "level": level}))
        else:
            decision.append("open" if cid in opened else "stay closed")
            if cid in opened:
                scenario = scenario.open_site(cid)
    for cid in partial.index:
        if cid not in keep:
            scenario = scenario.close(cid)
            grades = partial.loc[cid, "grades"]
            messages.append(("plan_partial", {"school": f"{cid} {partial.loc[cid, 'name']}",
                                              "grades": f"{grades[0]}–{grades[-1]}"}))
    table = columns.assign(decision=decision)
    assigned = np.bincount(np.maximum(solution.assignment, 0), weights=pupils * (solution.assignment >= 0),
                           minlength=len(columns))
    table["pupils"] = assigned
    return Plan(scenario=scenario, solution=solution, goal=goal, level=level, limit=limit, columns=table,
                messages=messages)


def tradeoff(project, *, level: str = "primary", limit: float | None = None, p_values=None, sites: bool = True,
             time_limit: float | None = 60.0, progress: bool | None = None):
    """For p from the fewest feasible number of schools to today's: total pupil travel time,
    longest walk and pupils beyond the limit of the p-median plan (walking limit hard).

    Returns
    -------
    DataFrame indexed by ``p``: ``pupil_minutes``, ``mean_walk``, ``max_walk`` (of pupils who walk),
    ``pupils_beyond_limit``, ``unserved``, ``status``, ``gap``, ``seconds``.
    """
    import pandas as pd

    from . import settings

    limit = project.policy.limit(level) if limit is None else float(limit)
    fewest = plan(project, "fewest_schools", level=level, limit=limit, sites=sites, time_limit=time_limit)
    today = int((project.schools[level] & (project.schools["type"] != "other")).sum())
    p_values = list(p_values) if p_values is not None else list(range(len(fewest.solution.open), today + 1))
    show = settings.progress if progress is None else progress
    steps = p_values
    if show:
        from tqdm.auto import tqdm

        steps = tqdm(p_values, desc="trade-off", unit="plan", leave=False)
    records = []
    for p in steps:
        option = plan(project, "p_median", level=level, p=p, limit=limit, sites=sites, time_limit=time_limit)
        result = option.scenario.evaluate("nearest")
        flows = result.flows[result.flows["level"] == level]
        walk = flows[flows["mode"] == "walk"]
        beyond = flows["walk_minutes"].isna() | (flows["walk_minutes"] > limit)
        records.append({"p": p, "pupil_minutes": option.solution.objective,
                        "mean_walk": float((walk["walk_minutes"] * walk["pupils"]).sum() / walk["pupils"].sum()),
                        "max_walk": float(walk["walk_minutes"].max()),
                        "pupils_beyond_limit": float(flows.loc[beyond, "pupils"].sum()),
                        "unserved": float(flows.loc[flows["mode"] == "unserved", "pupils"].sum()),
                        "status": option.solution.status, "gap": option.solution.gap,
                        "seconds": option.solution.seconds})
    return pd.DataFrame(records).set_index("p")


def plot_tradeoff(table, *, ax=None, limit: float | None = None):
    """Total travel time and longest walk against the number of schools."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    ax.plot(table.index, table["pupil_minutes"] / 1000, "o-", color="tab:blue", label="pupil travel (1000 pupil-min)")
    ax.set_xlabel("number of schools (p)")
    ax.set_ylabel("total one-way walking (1000 pupil-minutes)", color="tab:blue")
    twin = ax.twinx()
    twin.plot(table.index, table["max_walk"], "s--", color="tab:red", label="longest walk (min)")
    if limit is not None:
        twin.axhline(limit, color="tab:red", linewidth=0.8, linestyle=":")
    twin.set_ylabel("longest walk (minutes)", color="tab:red")
    ax.set_xticks(list(table.index))
    ax.set_title("Fewer schools, longer walks: the trade-off")
    return ax
