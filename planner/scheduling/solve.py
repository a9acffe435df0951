"""Run the model deterministically (one worker, fixed seed, a limit on work) and, when it has no
solution, find which named rules clash, through CP-SAT assumptions."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from planner.errors import NoPlanPossible
from planner.scheduling.availability import Candidate
from planner.scheduling.explain import describe_conflict
from planner.scheduling.model import ModelInput, PlanModel, Rule

SEED = 1
WORKERS = 1            # one worker: the same input always gives the same plan
# The search is bounded by CP-SAT's deterministic time (a count of work, calibrated to be about a
# second on a typical core), so the same input gives the same plan on an idle laptop and on a
# loaded CI machine. The wall-clock limit is only a guard far behind it.
WORK_LIMIT = 20.0
# Whether a set of rules can all hold is a fact, not a choice among equal plans: CP-SAT answers
# it the same with any parameters. The conflict search's trials therefore skip presolve and the
# LP relaxation (on the roster's trials 0.6 ms against 3.4, the same answers: issue 18), with a
# smaller work limit; a trial left undecided is solved again the usual way.
CHECK_LIMIT = 1.0
QUIET_S = 1.0          # report progress only for solves that run longer than this

Progress = Callable[[float, float, float], None]   # (seconds, best objective, bound)


@dataclass(frozen=True)
class SolveStats:
    status: str
    seconds: float
    objective: int
    bound: int
    booleans: int
    constraints: int

    @property
    def optimal(self) -> bool:
        return self.status == "OPTIMAL"

    @property
    def gap(self) -> float:
        """Relative distance between the plan found and the best possible (0 when optimal)."""
        return abs(self.objective - self.bound) / max(1, abs(self.objective))


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Calls ``progress`` with each better plan once the solve has run for ``QUIET_S``."""

    def __init__(self, progress: Progress) -> None:
        super().__init__()
        self.progress = progress

    def on_solution_callback(self) -> None:
        if self.wall_time >= QUIET_S:
            self.progress(self.wall_time, self.objective_value, self.best_objective_bound)


def _solver(work_limit: float) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = WORKERS
    solver.parameters.random_seed = SEED
    solver.parameters.max_deterministic_time = work_limit
    solver.parameters.max_time_in_seconds = 10 * work_limit
    # Ctrl-C belongs to periodize (it rolls back and says so), not to CP-SAT, whose own handler
    # would end the search early and let a half-searched plan be saved.
    solver.parameters.catch_sigint_signal = False
    return solver


def _checker() -> cp_model.CpSolver:
    """A solver for yes-or-no questions (see ``CHECK_LIMIT``)."""
    solver = _solver(CHECK_LIMIT)
    solver.parameters.cp_model_presolve = False
    solver.parameters.linearization_level = 0
    return solver


def solve(data: ModelInput, work_limit: float = WORK_LIMIT, explain: bool = True,
          progress: Progress | None = None) -> tuple[list[Candidate], SolveStats]:
    """The chosen sessions, or NoPlanPossible naming the rules that cannot all hold (with
    ``explain=False``, without looking for them)."""
    from planner.scheduling.solutions import Remembered, cache_path, model_key, recall, remember

    started = time.perf_counter()
    built = PlanModel(data)
    proto = built.model.proto
    key = (model_key(str(proto), f"workers {WORKERS} seed {SEED} work {work_limit}")
           if cache_path() is not None else "")
    known = recall(key) if key else None
    remembered = None if known is None else built.chosen_at(known.chosen)
    if known is not None and remembered is not None:
        # This very model was solved before: its answer (planner.scheduling.solutions).
        return remembered, SolveStats(
            status=known.status, seconds=time.perf_counter() - started,
            objective=known.objective, bound=known.bound, booleans=len(proto.variables),
            constraints=len(proto.constraints))
    solver = _solver(work_limit)
    status = solver.solve(built.model, _Reporter(progress) if progress else None)
    name = solver.status_name(status)
    if status == cp_model.INFEASIBLE:
        raise NoPlanPossible(describe_conflict(minimal_conflict(data), data) if explain
                             else "no plan possible")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise NoPlanPossible(f"the solver found no plan within its work limit ({name}); "
                             "try fewer weeks or fewer windows")
    stats = SolveStats(status=name, seconds=time.perf_counter() - started,
                       objective=round(solver.objective_value),
                       bound=round(solver.best_objective_bound), booleans=len(proto.variables),
                       constraints=len(proto.constraints))
    if key and status == cp_model.OPTIMAL:   # not a plan cut short by the wall-clock guard
        remember(key, Remembered(name, stats.objective, stats.bound, built.chosen_indices(solver)))
    return built.chosen(solver), stats


def _infeasible_under(data: ModelInput, rules: list[Rule]) -> bool | None:
    return _clash(PlanModel(data, explain=True), rules)


def _clash(built: PlanModel, rules: list[Rule]) -> bool | None:
    """Whether ``rules`` of ``built`` (an explain model) cannot all hold; None when unknown.
    Only the assumptions change between calls: the same model as one built afresh for
    ``rules``, without building it again."""
    built.assume(rules)
    status = _checker().solve(built.model)
    if status not in (cp_model.INFEASIBLE, cp_model.OPTIMAL, cp_model.FEASIBLE):
        status = _solver(WORK_LIMIT).solve(built.model)
    if status == cp_model.INFEASIBLE:
        return True
    return False if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None


def minimal_conflict(data: ModelInput) -> list[Rule]:
    """A smallest-by-deletion set of named rules that cannot all hold.

    CP-SAT gives a sufficient set of assumptions; each rule is then dropped in turn and kept out
    when the rest still clash, so the user is told only what matters."""
    built = PlanModel(data, explain=True)
    built.assume(built.rules)
    solver = _solver(WORK_LIMIT)
    if solver.solve(built.model) != cp_model.INFEASIBLE:
        return []
    by_index = {lit: rule for rule, lit in built.rules.items()}
    core = sorted((by_index[i] for i in solver.sufficient_assumptions_for_infeasibility()
                   if i in by_index), key=lambda r: (r.week, r.name))
    for rule in list(core):
        trial = [r for r in core if r != rule]
        if trial and _clash(built, trial):
            core = trial
    return core
