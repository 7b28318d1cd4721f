"""Teachers across schools: a yearly teacher exchange that narrows the gaps, and school alliances.

Teacher exchange (交流轮岗)
--------------------------
The rules (教师〔2014〕4号; ``policy.exchange_*``): each year a share of the teachers eligible to
rotate (six or more years at the school) move to another school, and key teachers
(县级以上骨干教师) are at least a share of those who move. :func:`teacher_exchange` proposes who
moves from which school to which (counts by kind of teacher) so that the schools' teacher
indicators come closest to the county's, exactly (MILP, HiGHS).

Formulation. Schools i, j; kinds of teacher τ (from a roster: key or not × above the required
qualification or not × PE/arts or not; from the schools table: key and other); indicators m
(teachers, key teachers, teachers above the required qualification, PE and arts teachers;
a kind carries ``a[τ, m]`` ∈ {0, 1} of each). x[i, j, τ] ≥ 0 teachers of kind τ move
from i to j, for pairs sharing a school level within ``max_minutes`` by road. With E[i, τ]
eligible teachers of kind τ at i, v[i, m] the school's count, p_i its pupils and V_m, P the
totals (an exchange leaves V_m unchanged), the measure of dispersion is the pupil-weighted
sum of absolute deviations of each school's ratio from the county's, relative to it:

    Σ_i p_i |v'_i / p_i − V/P| / (V/P) / P  =  Σ_i |v'_i − V p_i / P| / V ,

the L1 analogue of the coefficient of variation (0 when every school has the county ratio).

    minimise    Σ_m w_m Σ_i d[i, m]
    subject to  V_m d[i, m] ≥ ± (v[i, m] + Σ_j,τ a[τ, m] (x[j, i, τ] − x[i, j, τ]) − V_m p_i / P)
                Σ_j x[i, j, τ] ≤ E[i, τ]                           (only eligible teachers leave)
                Σ x = Q = ⌈share × Σ E⌉                            (the year's quota)
                Σ_{τ key} x ≥ ⌈key_share × Q⌉                       (key teachers among them)

and, since y = v + in − out moves by whole teachers, V d[i, m] ≥ φ + (y − y₀)(1 − 2φ) with
t = V p_i / P, y₀ = v + ⌊t − v⌋ and φ = t − y₀: the line through |y − t| at y₀ and y₀ + 1, which
holds at every y the exchange can reach (|y − t| is convex) but cuts off the fractional counts the LP relaxation would use. With
it the relaxation is as tight as the integer model on most counties (the 300-school benchmark:
equal bounds, 0.5 s instead of 23 s). Moves are the integer ``out``/``in`` per school and kind and
a continuous transportation f[i, j, τ] between them over the allowed pairs (integral at a vertex).
Then, among exchanges with that least dispersion, the fewest minutes of travel between the two
schools. ``cv_before``/``cv_after`` are the coefficients of variation themselves.

School alliances (共同体)
------------------------
:func:`alliances` groups schools around core schools (given, or ``k`` chosen), each core
with ``size`` = (2, 6) member schools sharing a level with it, within ``max_minutes`` of
it by road, exactly: first as many schools in an alliance as can be, then the alliances as
even as can be (least difference between the largest and the smallest, counted in schools or
in pupils), then the least driving between members and their cores.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import InfeasibleError, ValidationError
from .evaluate import Result
from .i18n import Listing, Message, localise
from .indicators import balance, school_indicators, weighted_cv
from .memo import per_owner
from .milp import MilpResult, Model, Rows
from .policy import LEVEL_GRADES, LEVELS
from .project import Project, bus_policy, drivable_network
from .scenario import baseline
from .traveltime import travel_time_matrix

#: Teacher indicators an exchange changes: the school's count of each (per 100 pupils in the CV).
TEACHER_INDICATORS = ("teachers", "key_teachers", "teachers_above_qualification", "pe_arts_teachers")

#: Roster columns that make a kind of teacher, beside being a teacher (``key_teacher`` first).
_KIND_COLUMNS = ("key_teacher", "above_qualification", "pe_arts")
_KIND_INDICATOR = {"key_teacher": "key_teachers", "above_qualification": "teachers_above_qualification",
                   "pe_arts": "pe_arts_teachers"}


@per_owner
def school_drive_minutes(project: Project, max_minutes: float | None = None) -> pd.DataFrame:
    """Minutes by road between schools and sites (a square table, ``target_id`` both ways) at
    the school-bus speed on the roads a bus can use; NaN beyond ``max_minutes`` (the policy's
    cut-off when None) or where no road connects. Computed once per project and cut-off."""
    xy = project.xy(project.target_points)
    cut = float(max_minutes or project.policy.max_minutes)
    result = travel_time_matrix(drivable_network(project), xy, xy, policy=bus_policy(project.policy),
                                max_minutes=cut, progress=False)
    minutes = result.minutes.copy()
    np.fill_diagonal(minutes, 0.0)
    ids = project.targets.index.rename("target_id")
    return pd.DataFrame(minutes, index=ids, columns=ids)


def _levels_taught(grades: pd.Series) -> np.ndarray:
    """(schools × levels) whether each school teaches a grade of each level."""
    return np.array([[bool(set(g) & set(LEVEL_GRADES[level])) for level in LEVELS] for g in grades], dtype=bool)


def _pair_minutes(project: Project, ids: pd.Index, grades: pd.Series, max_minutes: float | None) -> np.ndarray:
    """Drive minutes between the schools ``ids`` where they share a level and are within
    ``max_minutes``; NaN elsewhere and on the diagonal."""
    cut = None if max_minutes is None or max_minutes <= project.policy.max_minutes else max_minutes + 1.0
    minutes = school_drive_minutes(project, cut).loc[ids, ids].to_numpy(dtype=float).copy()
    if max_minutes is not None:  # routed minutes carry rounding (3.000000003 for 3): a pair at the limit is in
        minutes[minutes > max_minutes + 1e-6] = np.nan
    taught = _levels_taught(grades)
    share = (taught[:, None, :] & taught[None, :, :]).any(axis=2)
    minutes[~share] = np.nan
    np.fill_diagonal(minutes, np.nan)
    return minutes


# ---------------------------------------------------------------------------------------------
# Teacher exchange
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Exchange:
    """A proposed teacher exchange.

    Attributes
    ----------
    moves
        One row per pair of schools: ``from_school``, ``to_school`` (ids), ``from_name``,
        ``to_name``, ``teachers`` (who move), ``key_teachers`` among them (and, from a roster,
        ``teachers_above_qualification`` and ``pe_arts_teachers``), ``drive_minutes`` between
        the two schools by road.
    schools
        Per school taking part: ``pupils``, ``eligible`` (teachers eligible to rotate),
        ``sent``, ``received``, and each teacher indicator's count ``before`` and ``after``
        (columns ``{indicator}_before``, ``{indicator}_after``).
    cv_before, cv_after
        Pupil-weighted coefficient of variation of each teacher indicator per 100 pupils over
        the schools taking part (index: :data:`TEACHER_INDICATORS`).
    balance
        The 优质均衡 CV per level of the teacher indicators (index level × indicator):
        ``before``, ``after``, ``limit``.
    quota, key_quota
        Teachers who move (⌈share × eligible⌉) and the fewest key teachers among them.
    eligible
        Teachers eligible to rotate at the schools taking part.
    status, gap, seconds
        HiGHS's status ("Optimal" = proven least dispersion), relative gap to the proven
        bound (0 when optimal) and solving time (seconds).
    dispersion_before, dispersion_after
        The measure minimised: Σ over indicators of Σ_i |v_i − V p_i/P| / V.
    notes
        What the planner should know (e.g. kinds of teacher not known without a roster).
    """

    moves: pd.DataFrame
    schools: pd.DataFrame
    cv_before: pd.Series
    cv_after: pd.Series
    balance: pd.DataFrame
    quota: int
    key_quota: int
    eligible: int
    status: str
    gap: float
    seconds: float
    dispersion_before: float
    dispersion_after: float
    notes: list[Message] = field(default_factory=list)

    def explain(self, lang: str | None = None) -> list[str]:
        """The notes in ``lang``."""
        return [note.text(lang) for note in self.notes]

    def moves_table(self, lang: str | None = None) -> pd.DataFrame:
        """The moves for people, in ``lang``: the counts of teachers who move named as such
        (``key_teachers`` here counts key teachers, not key teachers per 100 pupils)."""
        moves = self.moves.rename(columns={name: f"moved_{name}" for name in TEACHER_INDICATORS})
        return localise(moves.assign(drive_minutes=moves["drive_minutes"].round()), lang)

    def cv_table(self, lang: str | None = None) -> pd.DataFrame:
        """The coefficient of variation of each teacher indicator (per 100 pupils) before and
        after the exchange, over the schools taking part, in ``lang``."""
        table = pd.DataFrame({"before": self.cv_before, "after": self.cv_after})
        table.index.name = "indicator"
        return localise(table.rename(index={"teachers": "teachers_per_100"}), lang)


@dataclass(frozen=True)
class _Pool:
    """The schools of an exchange and their teachers, as arrays.

    ``eligible`` (schools × kinds), ``carries`` (kinds × indicators, 0/1), ``counts``
    (schools × indicators), ``pupils`` (schools), ``key`` (kinds that are key teachers)."""

    ids: pd.Index
    names: pd.Series
    grades: pd.Series
    pupils: np.ndarray
    counts: np.ndarray
    eligible: np.ndarray
    carries: np.ndarray
    key: np.ndarray
    notes: list[Message]


def _pool(result: Result, level: str | None) -> _Pool:
    """The open schools with pupils and known teachers (teaching ``level`` when given); a
    school opened at a site takes part with no teachers, as in the staffing."""
    state = result.state.schools.copy()
    sites = state["is_site"].to_numpy(dtype=bool)
    state.loc[sites, list(TEACHER_INDICATORS)] = state.loc[sites, list(TEACHER_INDICATORS)].fillna(0.0)
    schools = result.schools
    pupils = schools["pupils"]
    keep = schools["open"].to_numpy(dtype=bool) & (pupils > 0).to_numpy() & state["teachers"].reindex(
        schools.index).notna().to_numpy()
    if level is not None:
        keep &= _levels_taught(schools["grades"])[:, LEVELS.index(level)]
    ids = schools.index[keep]
    counts = state.loc[ids, list(TEACHER_INDICATORS)].to_numpy(dtype=float)  # NaN: unknown
    roster = result.project.roster
    if roster is not None and len(roster):
        eligible, carries, notes = _kinds_from_roster(result, roster, ids)
        covered = np.isin(ids, [result.state.merge_target(str(sid)) if str(sid) in state.index else str(sid)
                                for sid in roster["school_id"].unique()])
        if not covered.all():  # schools the roster leaves out: their eligible teachers from the schools table
            more, more_carries, notes = _kinds_from_table(state, ids[~covered])
            extra = np.zeros((len(ids), more.shape[1]))
            extra[~covered] = more
            eligible, carries = np.c_[eligible, extra], np.r_[carries, more_carries]
    else:
        eligible, carries, notes = _kinds_from_table(state, ids)
    unknown = [name for m, name in enumerate(TEACHER_INDICATORS) if np.isnan(counts[:, m]).any()]
    if unknown:
        notes = [*notes, Message("exchange.note_unknown", indicators=Listing(
            [Message(f"field.{name}") for name in unknown], sep="sep.names"))]
    return _Pool(ids, schools.loc[ids, "name"], schools.loc[ids, "grades"], pupils.loc[ids].to_numpy(dtype=float),
                 counts, eligible, carries, carries[:, 1] > 0, notes)


def _kinds_from_table(state: pd.DataFrame, ids: pd.Index) -> tuple[np.ndarray, np.ndarray, list[Message]]:
    """Two kinds, key teachers and others, from ``eligible_teachers`` and
    ``eligible_key_teachers``; whether movers are above the required qualification or PE/arts
    teachers is not known, so those counts stay as they are."""
    known = ~state.loc[ids, "is_site"].to_numpy(dtype=bool)  # a new school has nobody to send
    if "eligible_teachers" not in state or state.loc[ids[known], "eligible_teachers"].isna().all():
        raise ValidationError(Message("exchange.no_eligible_data"))
    eligible = state.loc[ids, "eligible_teachers"].fillna(0.0).to_numpy(dtype=float)
    notes = [Message("exchange.note_no_roster")]
    if "eligible_key_teachers" in state and state.loc[ids, "eligible_key_teachers"].notna().any():
        key = state.loc[ids, "eligible_key_teachers"].fillna(0.0).to_numpy(dtype=float)
    else:  # not given: the school's share of key teachers among its eligible ones, rounded down
        teachers = state.loc[ids, "teachers"].to_numpy(dtype=float)
        share = np.divide(state.loc[ids, "key_teachers"].fillna(0.0).to_numpy(dtype=float), teachers,
                          out=np.zeros(len(ids)), where=teachers > 0)
        key = np.floor(eligible * share + 1e-9)
        notes.append(Message("exchange.note_key_estimated"))
    key = np.minimum(key, eligible)
    carries = np.array([[1, 1, 0, 0], [1, 0, 0, 0]], dtype=float)
    return np.c_[key, eligible - key], carries, notes


def _kinds_from_roster(result: Result, roster: pd.DataFrame, ids: pd.Index
                       ) -> tuple[np.ndarray, np.ndarray, list[Message]]:
    """Kinds from the roster's eligible teachers (years at the school ≥ the policy's), each
    counted at the school it teaches at after the layout's merges."""
    state = result.state
    min_years = result.project.policy.exchange_min_years
    rows = roster[roster["years_at_school"].to_numpy(dtype=float) >= min_years]
    school = rows["school_id"].astype(str).map(
        lambda s: state.merge_target(s) if s in state.schools.index else s)
    columns = [c for c in _KIND_COLUMNS if c in rows]
    flags = rows[columns].fillna(False).astype(bool).to_numpy() if columns else np.zeros((len(rows), 0), bool)
    kinds, kind_of = np.unique(flags, axis=0, return_inverse=True)
    carries = np.zeros((len(kinds), len(TEACHER_INDICATORS)))
    carries[:, 0] = 1
    for c, column in enumerate(columns):
        carries[:, TEACHER_INDICATORS.index(_KIND_INDICATOR[column])] = kinds[:, c]
    where = pd.Index(ids).get_indexer(school)
    eligible = np.zeros((len(ids), len(kinds)))
    np.add.at(eligible, (where[where >= 0], np.asarray(kind_of).ravel()[where >= 0]), 1.0)
    if len(kinds) == 0:
        raise InfeasibleError(Message("exchange.no_eligible", years=min_years))
    return eligible, carries, []


def teacher_exchange(result: Result, *, share: float | None = None, key_share: float | None = None,
                     max_minutes: float | None = None, send_only: Iterable[str] = (),
                     receive_only: Iterable[str] = (), level: str | None = None,
                     weights: dict[str, float] | None = None, seconds: float | None = 60.0) -> Exchange:
    """The teacher exchange of a year that brings the schools' teacher indicators closest to
    the county's (see the module's formulation).

    Parameters
    ----------
    result
        The layout (today's, or after a plan: merged schools' teachers are at the receiving
        school). Its open schools with pupils and known teachers take part.
    share, key_share
        Share of the eligible teachers who move (the quota, rounded up) and the least share
        of key teachers among them; the policy's ``exchange_share`` (0.10) and
        ``exchange_key_share`` (0.20) when None.
    max_minutes
        Longest drive between the two schools of a move (minutes by road at the bus speed);
        None: any two schools connected by road within the policy's cut-off.
    send_only, receive_only
        Schools that only send teachers, or only receive them.
    level
        Only schools teaching this level ("primary" or "junior") take part; teachers move
        only between schools sharing a level in any case. A nine-year school takes part with
        all its teachers and pupils (the data do not say which level a teacher teaches).
    weights
        Weight of each indicator in the measure (:data:`TEACHER_INDICATORS`; 1 each).
    seconds
        Time limit of each solve (seconds); the answer's ``status`` and ``gap`` say how close.

    Raises
    ------
    ValidationError
        No data on eligible teachers; unknown schools in ``send_only``/``receive_only``.
    InfeasibleError
        The rules cannot all be met: too few eligible (key) teachers for the quota, or too
        few within ``max_minutes`` of a school they may move to. The message gives the figures.
    """
    policy = result.project.policy
    share = policy.exchange_share if share is None else share
    key_share = policy.exchange_key_share if key_share is None else key_share
    pool = _pool(result, level)
    senders, receivers = _sides(pool, set(send_only), set(receive_only))
    minutes = _pair_minutes(result.project, pool.ids, pool.grades, max_minutes)
    total = int(round(pool.eligible.sum()))
    quota = int(math.ceil(share * total - 1e-9))
    key_quota = int(math.ceil(key_share * quota - 1e-9))
    _check_quota(pool, senders, quota, key_quota, total, share, key_share)
    pairs = np.argwhere(~np.isnan(minutes) & senders[:, None] & receivers[None, :])
    weights = _checked_weights(weights or {})
    built = _exchange_model(pool, pairs, minutes, quota, key_quota, weights, senders=senders,
                            receivers=receivers)
    first = built.model.solve(seconds=seconds)
    if not first.has_solution:
        raise InfeasibleError(_unreachable_quota(pool, built, quota, key_quota, max_minutes))
    started = time.perf_counter()
    flows = _fewest_minutes(built, first, seconds)
    return _exchange_answer(result, pool, pairs, minutes, built, first, flows, quota, key_quota, total,
                            seconds=first.seconds + time.perf_counter() - started)


def _checked_weights(weights: dict[str, float]) -> dict[str, float]:
    """Weights of named teacher indicators, each ≥ 0."""
    wrong = sorted(set(weights) - set(TEACHER_INDICATORS)) + sorted(
        name for name, w in weights.items() if name in TEACHER_INDICATORS and not float(w) >= 0)
    if wrong:
        raise ValidationError(Message("exchange.bad_weights", names=Listing(wrong, sep="sep.names"),
                                      known=Listing(list(TEACHER_INDICATORS), sep="sep.names")))
    return {name: float(w) for name, w in weights.items()}


def _sides(pool: _Pool, send_only: set[str], receive_only: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """Which schools may send and which may receive."""
    known = set(pool.ids)
    unknown = sorted((send_only | receive_only) - known)
    if unknown:
        raise ValidationError(Message("exchange.unknown_schools", ids=Listing(unknown, sep="sep.names", most=10)))
    both = sorted(send_only & receive_only)
    if both:
        raise ValidationError(Message("exchange.send_and_receive", ids=Listing(both, sep="sep.names", most=10)))
    ids = pool.ids.to_numpy()
    return ~np.isin(ids, list(receive_only)), ~np.isin(ids, list(send_only))


def _check_quota(pool: _Pool, senders: np.ndarray, quota: int, key_quota: int, total: int, share: float,
                 key_share: float) -> None:
    """Clear messages for rules the eligible teachers cannot meet, before any solving."""
    if total == 0:
        raise InfeasibleError(Message("exchange.none_eligible"))
    can_send = int(round(pool.eligible[senders].sum()))
    can_key = int(round(pool.eligible[senders][:, pool.key].sum()))
    if can_send < quota:
        raise InfeasibleError(Message("exchange.too_few_senders", quota=quota, eligible=total,
                                      share=f"{share:.0%}", senders=can_send))
    if can_key < key_quota:
        raise InfeasibleError(Message("exchange.too_few_key", key_quota=key_quota, quota=quota,
                                      key_share=f"{key_share:.0%}", key=can_key))


@dataclass(frozen=True)
class _ExchangeModel:
    """Columns: f (pairs × kinds, pair-major; continuous), out and in (schools × kinds,
    integer), d (schools × modelled indicators)."""

    model: Model
    n_f: int
    n_kinds: int
    n_schools: int
    travel: np.ndarray      # objective: minutes of each f
    dispersion: np.ndarray  # objective: the d columns weighted
    measure: np.ndarray     # weight of each indicator in the dispersion (0: not modelled)

    @property
    def flow_rows(self) -> int:
        """The first rows: flows out of and into each school and kind."""
        return 2 * self.n_schools * self.n_kinds


def _exchange_model(pool: _Pool, pairs: np.ndarray, minutes: np.ndarray, quota: int, key_quota: int,
                    weights: dict[str, float], *, senders: np.ndarray, receivers: np.ndarray) -> _ExchangeModel:
    """The exchange MILP. The dispersion depends only on how many teachers of each kind leave
    and join each school (integer ``out``, ``in``); who goes where is a transportation
    problem over the allowed pairs (continuous ``f``: with integer supplies and demands its
    vertices are integral), so only 2 × schools × kinds variables are integer, not one per
    pair and kind."""
    n, kinds = len(pool.ids), pool.eligible.shape[1]
    totals = pool.counts.sum(axis=0)
    modelled = [m for m in range(len(TEACHER_INDICATORS))  # unknown somewhere: left out (a note says so)
                if pool.carries[:, m].any() and totals[m] > 0 and not np.isnan(pool.counts[:, m]).any()]
    n_f, n_s, n_d = len(pairs) * kinds, n * kinds, n * len(modelled)
    out, into, f = n_f + np.arange(n_s), n_f + n_s + np.arange(n_s), np.arange(n_f)
    rows = Rows(n_f + 2 * n_s + n_d)
    kind = np.tile(np.arange(kinds), len(pairs))
    rows.add([(np.repeat(pairs[:, 0], kinds) * kinds + kind, f, 1.0), (np.arange(n_s), out, -1.0)], 0, 0, count=n_s)
    rows.add([(np.repeat(pairs[:, 1], kinds) * kinds + kind, f, 1.0), (np.arange(n_s), into, -1.0)], 0, 0,
             count=n_s)
    rows.add([(np.zeros(n_s, int), out, 1.0)], quota, quota, count=1)
    rows.add([(np.zeros(n_s, int), out, np.tile(pool.key, n).astype(float))], key_quota, np.inf, count=1)
    cost = np.zeros(n_f + 2 * n_s + n_d)
    target = pool.pupils[:, None] * totals[None, :] / pool.pupils.sum()
    school = np.repeat(np.arange(n), kinds)
    measure = np.zeros(len(TEACHER_INDICATORS))
    for k, m in enumerate(modelled):
        d = n_f + 2 * n_s + k * n + np.arange(n)
        carry = np.tile(pool.carries[:, m], n)
        gap = pool.counts[:, m] - target[:, m]
        for sign in (1.0, -1.0):  # V d ≥ ±(v + in − out − target)
            rows.add([(np.arange(n), d, totals[m]), (school, into, -sign * carry), (school, out, sign * carry)],
                     sign * gap, np.inf, count=n)
        # the count y = v + in − out is whole: |y − t| at whole y lies on or above the line through
        # (⌊t⌋, φ) and (⌊t⌋ + 1, 1 − φ), φ = t − ⌊t⌋, which the LP relaxation alone would cut under
        low = pool.counts[:, m] + np.floor(target[:, m] - pool.counts[:, m])  # the whole counts y reaches
        phi = target[:, m] - low
        slope = np.repeat(1.0 - 2.0 * phi, kinds) * carry
        rows.add([(np.arange(n), d, totals[m]), (school, into, -slope), (school, out, slope)],
                 phi + (pool.counts[:, m] - low) * (1.0 - 2.0 * phi), np.inf, count=n)
        measure[m] = float(weights.get(TEACHER_INDICATORS[m], 1.0))
        cost[d] = measure[m]
    integer = np.r_[np.zeros(n_f, bool), np.ones(2 * n_s, bool), np.zeros(n_d, bool)]
    upper = np.r_[np.full(n_f, np.inf), (pool.eligible * senders[:, None]).ravel(),
                  np.repeat(np.where(receivers, quota, 0), kinds), np.full(n_d, np.inf)]
    model = Model.from_rows(cost, rows, col_upper=upper, integer=integer)
    travel = np.r_[np.repeat(minutes[pairs[:, 0], pairs[:, 1]], kinds), np.zeros(2 * n_s + n_d)]
    return _ExchangeModel(model, n_f, kinds, n, travel, cost, measure)


def _dispersion(counts: np.ndarray, pupils: np.ndarray, measure: np.ndarray) -> float:
    """Σ over indicators (weighted by ``measure``) of Σ_i |v_i − V p_i / P| / V."""
    totals = counts.sum(axis=0)
    target = pupils[:, None] * totals[None, :] / pupils.sum()
    use = measure > 0
    return float((measure[use] * np.abs(counts - target)[:, use].sum(axis=0) / totals[use]).sum())


def _fewest_minutes(built: _ExchangeModel, first: MilpResult, seconds: float | None) -> np.ndarray:
    """Among exchanges as balanced as the first answer, the moves (pairs × kinds, whole
    teachers) with the fewest minutes of travel between schools: a MILP over who leaves
    and joins which school, then the transportation LP with those fixed (integral)."""
    best = first
    if first.optimal:
        slack = max(1e-9, 1e-7 * abs(first.objective))
        second = built.model.with_row(built.dispersion, -np.inf, first.objective + slack).solve(
            cost=built.travel, seconds=seconds, initial=first.x)
        best = second if second.has_solution else first
    counts = slice(built.n_f, built.n_f + 2 * built.n_schools * built.n_kinds)
    fixed_lower, fixed_upper = built.model.col_lower.copy(), built.model.col_upper.copy()
    fixed_lower[counts] = fixed_upper[counts] = np.round(best.x[counts])
    moves = built.model.solve(cost=built.travel, col_lower=fixed_lower, col_upper=fixed_upper, relax=True)
    flows = moves.x[: built.n_f] if moves.has_solution else best.x[: built.n_f]
    return np.round(flows).reshape(-1, built.n_kinds)


def _unreachable_quota(pool: _Pool, built: _ExchangeModel, quota: int, key_quota: int,
                       max_minutes: float | None) -> Message:
    """Why no exchange meets the quota: how many teachers, and how many key teachers, can
    move at all to a school they may go to (LPs over the same moves, without the quota)."""
    model, rows = built.model, built.flow_rows

    def most(kinds: np.ndarray) -> int:
        out = np.zeros(len(model.cost))
        out[built.n_f: built.n_f + built.n_schools * built.n_kinds] = -np.tile(kinds, built.n_schools)
        answer = Model(out, model.matrix[:rows], model.row_lower[:rows], model.row_upper[:rows], model.col_lower,
                       model.col_upper, model.integer).solve(relax=True)
        return int(round(-answer.objective)) if answer.has_solution else 0

    can, can_key = most(np.ones(built.n_kinds)), most(pool.key.astype(float))
    if max_minutes is None:  # no drive limit: it is the schools' levels and the send/receive sides
        return Message("exchange.no_partner", quota=quota, key_quota=key_quota, can=can, can_key=can_key)
    return Message("exchange.too_far", quota=quota, key_quota=key_quota, can=can, can_key=can_key,
                   minutes=f"{max_minutes:g}")


def _exchange_answer(result: Result, pool: _Pool, pairs: np.ndarray, minutes: np.ndarray, built: _ExchangeModel,
                     first: MilpResult, flows: np.ndarray, quota: int, key_quota: int, total: int, *,
                     seconds: float) -> Exchange:
    moved = flows @ pool.carries  # pairs × indicators
    used = moved[:, 0] > 0
    ids = pool.ids.to_numpy()
    moves = pd.DataFrame({
        "from_school": ids[pairs[used, 0]], "to_school": ids[pairs[used, 1]],
        "from_name": pool.names.to_numpy()[pairs[used, 0]], "to_name": pool.names.to_numpy()[pairs[used, 1]],
        **{name: moved[used, m].astype(int) for m, name in enumerate(TEACHER_INDICATORS)
           if m <= 1 or pool.carries[:, m].any()},
        "drive_minutes": minutes[pairs[used, 0], pairs[used, 1]],
    }).sort_values(["from_school", "to_school"], ignore_index=True)
    n = len(ids)
    out_ = np.zeros((n, len(TEACHER_INDICATORS)))
    in_ = np.zeros_like(out_)
    np.add.at(out_, pairs[:, 0], moved)
    np.add.at(in_, pairs[:, 1], moved)
    after = pool.counts - out_ + in_
    schools = pd.DataFrame({"name": pool.names, "pupils": pool.pupils, "eligible": pool.eligible.sum(axis=1),
                            "sent": out_[:, 0], "received": in_[:, 0]}, index=pool.ids)
    for m, name in enumerate(TEACHER_INDICATORS):
        schools[f"{name}_before"] = pool.counts[:, m]
        schools[f"{name}_after"] = after[:, m]
    before = _dispersion(pool.counts, pool.pupils, built.measure)
    dispersion = _dispersion(after, pool.pupils, built.measure)
    notes = list(pool.notes)
    if dispersion > before + 1e-9:  # the quota forces moves that widen the gaps (e.g. a short drive limit)
        notes.append(Message("exchange.note_worse", quota=quota))
    cv_before = pd.Series([weighted_cv(100 * pool.counts[:, m] / pool.pupils, pool.pupils)
                           for m in range(len(TEACHER_INDICATORS))], index=list(TEACHER_INDICATORS))
    cv_after = pd.Series([weighted_cv(100 * after[:, m] / pool.pupils, pool.pupils)
                          for m in range(len(TEACHER_INDICATORS))], index=list(TEACHER_INDICATORS))
    return Exchange(moves=moves, schools=schools, cv_before=cv_before, cv_after=cv_after,
                    balance=_balance_after(result, pool.ids, after), quota=quota, key_quota=key_quota,
                    eligible=total, status=first.status, gap=_gap(first), seconds=seconds,
                    dispersion_before=before, dispersion_after=dispersion, notes=notes)


def _gap(answer: MilpResult) -> float:
    """HiGHS's relative gap ("Optimal" means within 0.01 %); 0 when proven optimal at an
    objective of 0 (HiGHS gives inf there)."""
    return 0.0 if answer.optimal and not np.isfinite(answer.gap) else float(answer.gap)


def _balance_after(result: Result, ids: pd.Index, after: np.ndarray) -> pd.DataFrame:
    """The 优质均衡 CV per level of the teacher indicators before and after the exchange."""
    state = result.state.schools.copy()
    state.loc[ids, list(TEACHER_INDICATORS)] = after
    schools = result.schools
    pupils = schools[["primary_pupils", "junior_pupils"]].set_axis(list(LEVELS), axis=1)
    policy = result.project.policy
    before = result.balance
    now = balance(school_indicators(state, pupils, policy), pupils, policy)
    names = [name for name in TEACHER_INDICATORS if name in before.index.get_level_values("indicator")]
    rows = before.index[before.index.get_level_values("indicator").isin(names)]
    return pd.DataFrame({"before": before.loc[rows, "cv"], "after": now.loc[rows, "cv"],
                         "limit": before.loc[rows, "cv_limit"]})


# ---------------------------------------------------------------------------------------------
# School alliances
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Alliances:
    """School alliances (共同体): each school's core school.

    Attributes
    ----------
    groups
        School id → its core's id (a core maps to itself); schools left out are not listed.
    schools
        Per school taking part: ``name``, ``core``, ``core_name``, ``role`` ("core",
        "member" or "left_out"), ``drive_minutes`` (by road to its core), ``pupils``.
    summary
        Per core: ``name``, ``members`` (schools besides the core), ``pupils`` (of the whole
        group), ``longest_minutes`` (the farthest member's drive).
    status, gap, seconds
        HiGHS's status of the balancing step ("Optimal" = proven), its relative gap and the
        solving time of all steps (seconds).
    spread
        The largest alliance minus the smallest, in schools or pupils (``balance``): the
        measure balanced.
    left_out
        Schools in no alliance (too far from any core, or no room in the groups near them).
    balance
        What was balanced: "schools" or "pupils".
    """

    groups: pd.Series
    schools: pd.DataFrame
    summary: pd.DataFrame
    status: str
    gap: float
    seconds: float
    spread: float
    left_out: list[str]
    balance: str = "schools"

    def spread_words(self) -> Message:
        """The spread as a planner reads it (in schools or in pupils, as balanced)."""
        return Message(f"alliance.spread_{self.balance}", spread=f"{self.spread:.0f}")


def alliances(layout: Project | Result, *, cores: Sequence[str] | None = None, k: int | None = None,
              size: tuple[int, int] = (2, 6), max_minutes: float | None = None,
              candidates: Sequence[str] | None = None, balance: str = "schools",
              seconds: float | None = 60.0) -> Alliances:
    """Group schools into alliances around core schools, exactly (see the module).

    Parameters
    ----------
    layout
        A project (today's schools) or a result (the open schools after a plan).
    cores
        The core schools; or give ``k`` to have the best ``k`` cores chosen.
    k
        Number of alliances when ``cores`` is None, cores chosen among ``candidates``
        (every school when None).
    size
        Fewest and most member schools of an alliance, besides its core (2–6).
    max_minutes
        Longest drive from a member to its core (minutes by road at the bus speed); None:
        the policy's cut-off.
    candidates
        With ``k``: the schools that may be cores (e.g. the urban and central schools).
    balance
        What is balanced between the alliances: ``"schools"`` (each alliance's schools, the
        core included) or ``"pupils"`` (its pupils).
    seconds
        Time limit of each solving step (seconds).

    Raises
    ------
    ValidationError
        Neither or both of ``cores`` and ``k``; unknown or closed schools; a bad ``size``.
    InfeasibleError
        A core with too few schools within reach to make its smallest group (named), or
        ``k`` cores that cannot each get enough members.
    """
    result = baseline(layout) if isinstance(layout, Project) else layout
    schools = result.schools
    ids = schools.index[schools["open"].to_numpy(dtype=bool)]
    _check_alliance_request(ids, cores, k, size, candidates, balance)
    minutes = _pair_minutes(result.project, ids, schools.loc[ids, "grades"], max_minutes)
    pupils = schools.loc[ids, "pupils"].to_numpy(dtype=float)
    core_mask = np.isin(ids, list(cores)) if cores is not None else (
        np.isin(ids, list(candidates)) if candidates is not None else np.ones(len(ids), bool))
    fixed = cores is not None
    if fixed:
        _check_reach(ids, schools.loc[ids, "name"], minutes, core_mask, size, max_minutes)
    weight = pupils if balance == "pupils" else np.ones(len(ids))
    built = _alliance_model(minutes, weight, core_mask, fixed=fixed, k=k or int(core_mask.sum()), size=size)
    steps = _alliance_steps(built, seconds)
    return _alliance_answer(ids, schools.loc[ids, "name"], pupils, minutes, built, steps, balance=balance)


def _check_alliance_request(ids: pd.Index, cores: Sequence[str] | None, k: int | None, size: tuple[int, int],
                            candidates: Sequence[str] | None, balance: str) -> None:
    if balance not in ("schools", "pupils"):
        raise ValidationError(Message("alliance.bad_balance", given=balance))
    if (cores is None) == (k is None):
        raise ValidationError(Message("alliance.cores_or_k"))
    lo, hi = size
    if not 0 <= lo <= hi or hi < 1:
        raise ValidationError(Message("alliance.bad_size", lo=lo, hi=hi))
    named = set(cores or ()) | set(candidates or ())
    unknown = sorted(named - set(ids))
    if unknown:
        raise ValidationError(Message("alliance.unknown_schools", ids=Listing(unknown, sep="sep.names", most=10)))
    most = len(candidates if candidates is not None else ids)
    if k is not None and not 1 <= k <= most:
        raise ValidationError(Message("alliance.bad_k", k=k, schools=most))


def _check_reach(ids: pd.Index, names: pd.Series, minutes: np.ndarray, core_mask: np.ndarray,
                 size: tuple[int, int], max_minutes: float | None) -> None:
    """Every given core needs ``size[0]`` schools within reach that are not cores themselves."""
    reach = ~np.isnan(minutes) & ~core_mask[None, :]
    short = [f"{ids[int(c)]} {names.iloc[int(c)]} ({int(reach[c].sum())})" for c in np.nonzero(core_mask)[0]
             if reach[c].sum() < size[0]]
    if short:
        raise InfeasibleError(Message("alliance.core_alone", cores=Listing(short, sep="sep.names", most=10),
                                      least=size[0], minutes="—" if max_minutes is None else f"{max_minutes:g}"))


@dataclass(frozen=True)
class _AllianceModel:
    model: Model
    pairs: np.ndarray      # (member, core) of each x
    n_z: int               # z: one per possible core
    core_of_z: np.ndarray
    placed: np.ndarray     # objective: schools in an alliance (x and z)
    spread: np.ndarray     # objective: U − L
    travel: np.ndarray     # objective: minutes of the x
    k: int                 # alliances
    whole: bool            # sizes are whole numbers


def _alliance_model(minutes: np.ndarray, weight: np.ndarray, core_mask: np.ndarray, *, fixed: bool, k: int,
                    size: tuple[int, int]) -> _AllianceModel:
    """x[s, c] member s in c's alliance; z[c] c is a core; U, L the largest and smallest
    group's size G_c = w_c z_c + Σ_s w_s x[s, c] (w: 1 per school, or its pupils). Rows: one
    alliance per school (a core is in its own); x ≤ z; size bounds per core; Σ z = k;
    U ≥ G_c; L ≤ G_c + M (1 − z_c), with M the smallest group's largest possible size (at
    most Σ w / k, the mean); k U ≥ Σ_c G_c ≥ k L (the largest at least, the smallest at most
    the mean)."""
    core_idx = np.nonzero(core_mask)[0]
    member, which = np.nonzero(~np.isnan(minutes[:, core_idx]))
    pairs = np.c_[member, core_idx[which]]
    n_x, n_z, n = len(pairs), len(core_idx), len(weight)
    u, lo_col = n_x + n_z, n_x + n_z + 1
    rows = Rows(n_x + n_z + 2)
    x, z = np.arange(n_x), n_x + np.arange(n_z)
    rows.add([(pairs[:, 0], x, 1.0), (core_idx, z, 1.0)], 0, 1, count=n)
    rows.add([(np.arange(n_x), x, 1.0), (np.arange(n_x), n_x + which, -1.0)], -np.inf, 0, count=n_x)
    lo, hi = size
    rows.add([(which, x, 1.0), (np.arange(n_z), z, -float(lo))], 0, np.inf, count=n_z)
    rows.add([(which, x, 1.0), (np.arange(n_z), z, -float(hi))], -np.inf, 0, count=n_z)
    rows.add([(np.zeros(n_z, int), z, 1.0)], k, k, count=1)
    big = float(weight.sum()) / k
    group = [(which, x, weight[pairs[:, 0]]), (np.arange(n_z), z, weight[core_idx])]
    rows.add([*group, (np.arange(n_z), np.full(n_z, u), -1.0)], -np.inf, 0, count=n_z)
    rows.add([group[0], (np.arange(n_z), z, weight[core_idx] - big), (np.arange(n_z), np.full(n_z, lo_col), -1.0)],
             -big, np.inf, count=n_z)
    everything = [(np.zeros(n_x, int), x, weight[pairs[:, 0]]), (np.zeros(n_z, int), z, weight[core_idx])]
    rows.add([*everything, (np.zeros(1, int), np.array([u]), -float(k))], -np.inf, 0, count=1)
    rows.add([*everything, (np.zeros(1, int), np.array([lo_col]), -float(k))], 0, np.inf, count=1)
    col_lower = np.zeros(n_x + n_z + 2)
    if fixed:
        col_lower[z] = 1.0
    whole = bool(np.all(weight == np.round(weight)))  # sizes in whole schools or pupils: U and L whole too,
    integer = np.r_[np.ones(n_x + n_z, bool), whole, whole]  # so that k U ≥ Σ G rounds the bound up
    upper = np.r_[np.ones(n_x + n_z), np.inf, np.inf]
    model = Model.from_rows(np.zeros(n_x + n_z + 2), rows, col_lower=col_lower, col_upper=upper, integer=integer)
    placed = np.r_[np.ones(n_x + n_z), 0.0, 0.0]
    spread = np.r_[np.zeros(n_x + n_z), 1.0, -1.0]
    travel = np.r_[minutes[pairs[:, 0], pairs[:, 1]], np.zeros(n_z + 2)]
    return _AllianceModel(model, pairs, n_z, core_idx, placed, spread, travel, k, whole)


def _alliance_steps(built: _AllianceModel, seconds: float | None) -> list[MilpResult]:
    """Most schools placed; then the least spread with that many; then the least driving."""
    model = built.model
    first = model.solve(cost=-built.placed, seconds=seconds)
    if not first.has_solution:
        raise InfeasibleError(Message("alliance.infeasible", k=built.k))
    placed = round(-first.objective)
    second_model = model.with_row(built.placed, placed - 0.5, np.inf)
    second = second_model.solve(cost=built.spread, seconds=seconds, initial=first.x)
    if not second.has_solution:
        return [first]
    slack = 0.5 if built.whole else max(1e-6, 1e-6 * abs(second.objective))  # whole sizes: spreads 1 apart
    third = second_model.with_row(built.spread, -np.inf, second.objective + slack).solve(
        cost=built.travel, seconds=seconds, initial=second.x)
    return [first, second, third] if third.has_solution else [first, second]


def _alliance_answer(ids: pd.Index, names: pd.Series, pupils: np.ndarray, minutes: np.ndarray,
                     built: _AllianceModel, steps: list[MilpResult], *, balance: str) -> Alliances:
    x = np.round(steps[-1].x)
    n_x = len(built.pairs)
    core_of = np.full(len(ids), -1)
    is_core = np.zeros(len(ids), bool)
    is_core[built.core_of_z[x[n_x: n_x + built.n_z] > 0.5]] = True
    core_of[is_core] = np.nonzero(is_core)[0]
    chosen = built.pairs[x[:n_x] > 0.5]
    core_of[chosen[:, 0]] = chosen[:, 1]
    placed = core_of >= 0
    role = np.where(is_core, "core", np.where(placed, "member", "left_out"))
    trip = np.where(placed & ~is_core, minutes[np.arange(len(ids)), np.maximum(core_of, 0)], np.where(is_core, 0.0,
                                                                                                     np.nan))
    core_ids = np.where(placed, ids.to_numpy()[np.maximum(core_of, 0)], None)
    schools = pd.DataFrame({"name": names.to_numpy(), "core": core_ids,
                            "core_name": np.where(placed, names.to_numpy()[np.maximum(core_of, 0)], None),
                            "role": role, "drive_minutes": trip, "pupils": pupils}, index=ids)
    members = schools[placed]
    summary = members.groupby("core", sort=True).agg(members=("role", lambda r: int((r == "member").sum())),
                                                     pupils=("pupils", "sum"), longest_minutes=("drive_minutes", "max"))
    summary.insert(0, "name", names.reindex(summary.index).to_numpy())
    summary.index.name = "core"
    balancing = steps[1] if len(steps) > 1 else steps[0]
    size = summary["pupils"] if balance == "pupils" else summary["members"] + 1
    spread = float(size.max() - size.min()) if len(summary) else 0.0
    return Alliances(groups=members["core"].astype(str).rename("core"), schools=schools, summary=summary,
                     status=balancing.status, gap=_gap(balancing), seconds=sum(s.seconds for s in steps),
                     spread=spread, left_out=list(ids[~placed]), balance=balance)


__all__ = ["Alliances", "Exchange", "TEACHER_INDICATORS", "alliances", "school_drive_minutes", "teacher_exchange"]
