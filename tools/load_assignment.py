"""Competing loads given to carriers' remaining capacity with CP-SAT, at the least freight plus priced lateness."""

from collections import defaultdict

import ortools
from ortools.sat.python import cp_model
from pydantic import BaseModel, Field, model_validator

from tools.carriers import CarrierOption, RejectedOption, carrier_evidence, why_not
from tools.cpsat import solve
from tools.evidence import Driver, Evidence, Source

CENTS = 100


class Load(BaseModel):
    """A load to tender on a lane."""

    load_id: str
    lane: str
    miles: float = Field(gt=0)


class AssignmentProblem(BaseModel):
    """Loads competing for carriers' remaining capacity, with the price of lateness and of leaving a load open."""

    loads: list[Load]
    options: list[CarrierOption]
    late_penalty: float = Field(default=500.0, ge=0, description="USD per expected late load")
    unassigned_penalty: float = Field(default=10_000.0, gt=0, description="USD per load left without a carrier")

    @model_validator(mode="after")
    def _check_consistent(self) -> "AssignmentProblem":
        """Load ids and (carrier, lane) offers are unique; a carrier's remaining capacity is one number."""
        load_ids, offers = [load.load_id for load in self.loads], [(o.carrier, o.lane) for o in self.options]
        if len(set(load_ids)) != len(load_ids) or len(set(offers)) != len(offers):
            raise ValueError("each load id and each (carrier, lane) offer must appear once")
        capacity: dict[str, set[int]] = defaultdict(set)
        for option in self.options:
            capacity[option.carrier].add(option.capacity_loads)
        if any(len(values) > 1 for values in capacity.values()):
            raise ValueError("each carrier needs the same capacity_loads on all its options")
        return self


class AssignedLoad(BaseModel):
    """The carrier one load goes to (None if left open), its cost and lateness, and the carriers passed over."""

    load_id: str
    lane: str
    carrier: str | None
    cost_usd: float
    on_time_prob: float | None
    rejected: list[RejectedOption]


class LoadAssignment(BaseModel):
    """The solved assignment per load, the totals and the evidence.

    The evidence drivers are the carriers whose full capacity turned loads away, each with the USD
    those loads pay over what that carrier would have cost them.
    """

    loads: list[AssignedLoad]
    unassigned: list[str]
    freight_cost_usd: float
    expected_late_loads: float
    objective_usd: float
    status: str
    evidence: Evidence


def _objective(option: CarrierOption, load: Load, late_penalty: float) -> float:
    """USD one load adds to the assignment objective with this carrier: freight plus priced lateness."""
    return option.cost(load.miles) + late_penalty * (1 - option.on_time_prob)


def _solve(
    problem: AssignmentProblem, by_lane: dict[str, list[CarrierOption]], time_limit_s: float
) -> tuple[dict[str, CarrierOption | None], str]:
    """The CP-SAT model: each load exactly one carrier or left open, carrier capacities, min total cost."""
    model = cp_model.CpModel()
    picks: dict[tuple[str, str], cp_model.IntVar] = {}
    terms, capacity_use = [], defaultdict(list)
    for load in problem.loads:
        left_open = model.new_bool_var(f"open {load.load_id}")
        terms.append(round(CENTS * problem.unassigned_penalty) * left_open)
        for option in by_lane[load.lane]:
            pick = picks[load.load_id, option.carrier] = model.new_bool_var(f"{load.load_id} {option.carrier}")
            terms.append(round(CENTS * _objective(option, load, problem.late_penalty)) * pick)
            capacity_use[option.carrier].append(pick)
        model.add_exactly_one([left_open, *(picks[load.load_id, o.carrier] for o in by_lane[load.lane])])
    for option in problem.options:
        model.add(sum(capacity_use[option.carrier]) <= option.capacity_loads)
    model.minimize(sum(terms))
    solver, status = solve(model, time_limit_s, "load assignment")
    chosen = {
        load.load_id: next((o for o in by_lane[load.lane] if solver.value(picks[load.load_id, o.carrier])), None)
        for load in problem.loads
    }
    return chosen, status


def _assigned(
    problem: AssignmentProblem,
    load: Load,
    pick: CarrierOption | None,
    lane_options: list[CarrierOption],
    taken: dict[str, list[str]],
    displaced_cost: dict[str, float],
) -> AssignedLoad:
    """A load with its carrier (or none) and why each other carrier of its lane lost; what a full carrier would have
    saved on it is added to `displaced_cost`."""
    rejected: list[RejectedOption] = []
    pick_cost = _objective(pick, load, problem.late_penalty) if pick else problem.unassigned_penalty
    for option in lane_options:
        if option is pick:
            continue
        option_cost = _objective(option, load, problem.late_penalty)
        full = len(taken[option.carrier]) >= option.capacity_loads
        reasons = [why_not(option, pick, load.miles)] if pick else []
        if not pick and not full:
            reasons.append(f"{option_cost:.2f} USD with lateness vs {pick_cost:.2f} USD to leave the load open")
        if full:
            went_to = ", ".join(taken[option.carrier])
            reasons.append(f"no capacity left (its loads went to {went_to})" if went_to else "no capacity left")
            displaced_cost[option.carrier] += max(0.0, pick_cost - option_cost)
        rejected.append(RejectedOption(carrier=option.carrier, why="; ".join(reasons)))
    return AssignedLoad(
        load_id=load.load_id,
        lane=load.lane,
        carrier=pick and pick.carrier,
        cost_usd=round(pick.cost(load.miles), 2) if pick else 0.0,
        on_time_prob=pick and pick.on_time_prob,
        rejected=rejected,
    )


def assign_loads(problem: AssignmentProblem, time_limit_s: float = 10.0) -> LoadAssignment:
    """Give each load one carrier or none, minimising freight + late_penalty x expected late loads + open loads."""
    by_lane: dict[str, list[CarrierOption]] = defaultdict(list)
    for option in sorted(problem.options, key=lambda o: o.carrier):
        by_lane[option.lane].append(option)
    chosen, status = _solve(problem, by_lane, time_limit_s)
    taken: dict[str, list[str]] = defaultdict(list)
    for load_id, option in chosen.items():
        if option:
            taken[option.carrier].append(load_id)

    assigned, displaced_cost = [], defaultdict(float)
    for load in problem.loads:
        assigned.append(_assigned(problem, load, chosen[load.load_id], by_lane[load.lane], taken, displaced_cost))

    unassigned = [a.load_id for a in assigned if a.carrier is None]
    freight = round(sum(a.cost_usd for a in assigned), 2)
    expected_late = round(sum(1 - a.on_time_prob for a in assigned if a.on_time_prob is not None), 4)
    objective = round(
        sum(
            _objective(pick, load, problem.late_penalty)
            if (pick := chosen[load.load_id])
            else problem.unassigned_penalty
            for load in problem.loads
        ),
        2,
    )
    facts = {
        "assignments": {a.load_id: a.carrier for a in assigned},
        "unassigned": unassigned,
        "freight_cost_usd": freight,
        "expected_late_loads": expected_late,
        "objective_usd": objective,
        "rejected": {a.load_id: [f"{r.carrier}: {r.why}" for r in a.rejected] for a in assigned},
        "status": status,
    }
    capacity = {option.carrier: option.capacity_loads for option in problem.options}
    drivers = [
        Driver(feature=f"capacity {carrier}", value=capacity[carrier], contribution=round(cost, 2))
        for carrier, cost in sorted(displaced_cost.items())
        if cost > 0
    ]
    evidence = carrier_evidence(
        Source(tool="carrier_assignment", model="ortools-cp-sat", version=ortools.__version__),
        problem.model_dump(),
        facts,
        drivers,
    )
    return LoadAssignment(
        loads=assigned,
        unassigned=unassigned,
        freight_cost_usd=freight,
        expected_late_loads=expected_late,
        objective_usd=objective,
        status=status,
        evidence=evidence,
    )
