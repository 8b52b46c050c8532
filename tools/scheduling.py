"""Maintenance scheduling: a CP-SAT plan of service days for at-risk trucks, weighing failure risk
against the deliveries a truck misses while in the bay, within bay and technician limits per DC and day.
"""

import hashlib
from collections import defaultdict
from typing import Literal

import ortools
from ortools.sat.python import cp_model
from pydantic import BaseModel, Field, model_validator

from tools.cpsat import solve
from tools.evidence import Driver, Evidence, Source

CENTS = 100
MINUTES = 60


class TruckAtRisk(BaseModel):
    """A truck due for service: today's failure probability, how fast it grows, the job and the work it runs."""

    truck: str
    dc: str = Field(description="the DC whose workshop services it")
    failure_prob: float = Field(ge=0, le=1, description="probability of failing today, from the equipment-risk model")
    hazard_growth: float = Field(default=0.0, ge=0, le=1, description="relative daily growth, 0.1 = +10% a day")
    service_hours: float = Field(gt=0, description="technician hours the job takes")
    deliveries: list[float] = Field(default_factory=list, description="deliveries it would run each day; missing = 0")

    def hazard(self, day: int) -> float:
        """Probability of failing on `day` (0 = today) if still unserviced."""
        return min(1.0, self.failure_prob * (1 + self.hazard_growth) ** day)

    def exposure(self, days_waited: int) -> float:
        """Expected failures while waiting `days_waited` days for service."""
        return sum(self.hazard(day) for day in range(days_waited))

    def failure_within(self, days: int) -> float:
        """Probability of failing within `days` days if left unserviced, at today's hazard: the risk model's probability
        over its own horizon spread evenly, since the model says nothing of how it is spread within it."""
        return 1 - (1 - self.failure_prob) ** days

    def service_impact(self, day: int) -> float:
        """Deliveries lost when the truck is in the bay on `day`."""
        return self.deliveries[day] if day < len(self.deliveries) else 0.0


class Workshop(BaseModel):
    """A DC's maintenance capacity per day."""

    dc: str
    bays: int = Field(ge=0, description="trucks it can service per day")
    technician_hours: float = Field(ge=0, description="technician hours per day")
    held_bays: list[int] = Field(
        default_factory=list, description="bays already held by work orders on each day; missing = 0"
    )

    def free_bays(self, day: int) -> int:
        """The bays left on `day` once the work orders already booked hold theirs."""
        held = self.held_bays[day] if day < len(self.held_bays) else 0
        return max(0, self.bays - held)


class ScheduleProblem(BaseModel):
    """Trucks to service over a horizon of days, the workshops, and what failures, lost deliveries and delay cost."""

    trucks: list[TruckAtRisk]
    workshops: list[Workshop]
    horizon_days: int = Field(gt=0, le=366)
    failure_cost: float = Field(default=5_000.0, ge=0, description="USD per expected failure (breakdown, tow)")
    delivery_cost: float = Field(default=150.0, ge=0, description="USD per delivery the truck cannot run")
    unscheduled_penalty: float = Field(default=100_000.0, gt=0, description="USD per truck left unserviced")

    @model_validator(mode="after")
    def _check_references(self) -> "ScheduleProblem":
        """Trucks and workshops are unique and every truck's DC has a workshop."""
        trucks, shops = [t.truck for t in self.trucks], [w.dc for w in self.workshops]
        if len(set(trucks)) != len(trucks) or len(set(shops)) != len(shops):
            raise ValueError("trucks and workshops must each appear once")
        if missing := sorted({t.dc for t in self.trucks} - set(shops)):
            raise ValueError(f"no workshop for {', '.join(missing)}")
        return self

    def day_cost(self, truck: TruckAtRisk, day: int) -> float:
        """USD of servicing a truck on `day`: risk exposure until then plus the deliveries it misses."""
        return self.failure_cost * truck.exposure(day) + self.delivery_cost * truck.service_impact(day)

    def unscheduled_cost(self, truck: TruckAtRisk) -> float:
        """USD of leaving a truck unserviced: the penalty plus its exposure over the whole horizon."""
        return self.unscheduled_penalty + self.failure_cost * truck.exposure(self.horizon_days)


class BindingConstraint(BaseModel):
    """A workshop limit that is full on a day and keeps a truck from an earlier or cheaper slot."""

    name: str
    kind: Literal["bays", "technician_hours"]
    dc: str
    day: int
    used: float
    limit: float


class ServiceSlot(BaseModel):
    """When and where one truck is serviced (day None: left unscheduled), what it avoids and what it costs."""

    truck: str
    dc: str
    day: int | None
    bay: int | None
    risk_avoided: float = Field(description="expected failures within the horizon avoided by this service")
    service_impact: float = Field(description="deliveries lost on the service day")
    held_back_by: list[str] = Field(description="full limits on the days this truck alone would have preferred")


class MaintenanceSchedule(BaseModel):
    """The schedule, the trucks left out, the limits that bind, the totals and the evidence."""

    slots: list[ServiceSlot]
    unscheduled: list[str]
    binding: list[BindingConstraint]
    objective_usd: float
    expected_failures: float
    deliveries_lost: float
    status: str
    evidence: Evidence


def _solve(problem: ScheduleProblem, time_limit_s: float) -> tuple[dict[str, int | None], str]:
    """The CP-SAT model: at most one service day per truck, bays and technician minutes per DC and day."""
    days = range(problem.horizon_days)
    model = cp_model.CpModel()
    serve = {(t.truck, d): model.new_bool_var(f"{t.truck} day {d}") for t in problem.trucks for d in days}
    terms = []
    for truck in problem.trucks:
        left_out = model.new_bool_var(f"{truck.truck} unscheduled")
        model.add_exactly_one([left_out, *(serve[truck.truck, d] for d in days)])
        terms.append(round(CENTS * problem.unscheduled_cost(truck)) * left_out)
        terms += [round(CENTS * problem.day_cost(truck, d)) * serve[truck.truck, d] for d in days]
    for shop in problem.workshops:
        trucks = [t for t in problem.trucks if t.dc == shop.dc]
        for d in days:
            model.add(sum(serve[t.truck, d] for t in trucks) <= shop.free_bays(d))
            model.add(
                sum(round(MINUTES * t.service_hours) * serve[t.truck, d] for t in trucks)
                <= round(MINUTES * shop.technician_hours)
            )
    model.minimize(sum(terms))
    solver, status = solve(model, time_limit_s, "maintenance schedule")
    chosen = {t.truck: next((d for d in days if solver.value(serve[t.truck, d])), None) for t in problem.trucks}
    return chosen, status


Booked = dict[tuple[str, int], list[TruckAtRisk]]


def _full_limits(problem: ScheduleProblem, booked: Booked) -> dict[tuple[str, int], list[BindingConstraint]]:
    """Per DC and day, the workshop limits that leave no room for another of that DC's trucks."""
    full = defaultdict(list)
    for shop in problem.workshops:
        dc = shop.dc
        smallest_job = min((t.service_hours for t in problem.trucks if t.dc == dc), default=0.0)
        for day in range(problem.horizon_days):
            hours = sum(t.service_hours for t in booked[dc, day])
            if len(booked[dc, day]) >= shop.free_bays(day):
                full[dc, day].append(
                    BindingConstraint(
                        name=f"bays {dc} day {day}",
                        kind="bays",
                        dc=dc,
                        day=day,
                        used=len(booked[dc, day]),
                        limit=shop.free_bays(day),
                    )
                )
            if hours + smallest_job > shop.technician_hours:
                full[dc, day].append(
                    BindingConstraint(
                        name=f"technician hours {dc} day {day}",
                        kind="technician_hours",
                        dc=dc,
                        day=day,
                        used=hours,
                        limit=shop.technician_hours,
                    )
                )
    return full


def _booked(problem: ScheduleProblem, chosen: dict[str, int | None]) -> Booked:
    """The trucks booked on each DC's days, by truck code (a truck's bay is its place in the list)."""
    booked: Booked = defaultdict(list)
    for truck in sorted(problem.trucks, key=lambda t: t.truck):
        if (day := chosen[truck.truck]) is not None:
            booked[truck.dc, day].append(truck)
    return booked


def _risk_drivers(slots: list[ServiceSlot], trucks: list[TruckAtRisk]) -> list[Driver]:
    """Each truck's failure risk as a driver of the schedule, weighed by the risk its slot avoids (largest first)."""
    return sorted(
        (
            Driver(feature=f"{slot.truck} failure risk", value=truck.failure_prob, contribution=slot.risk_avoided)
            for slot, truck in zip(slots, trucks, strict=False)
        ),
        key=lambda driver: (-driver.contribution, driver.feature),
    )


def schedule_maintenance(problem: ScheduleProblem, time_limit_s: float = 10.0) -> MaintenanceSchedule:
    """Choose a service day and bay per truck, minimising risk exposure, lost deliveries and trucks left out."""
    chosen, status = _solve(problem, time_limit_s)
    booked = _booked(problem, chosen)
    full = _full_limits(problem, booked)
    horizon = problem.horizon_days
    slots, binding, objective = [], {}, 0.0
    for truck in problem.trucks:
        day = chosen[truck.truck]
        cost = problem.unscheduled_cost(truck) if day is None else problem.day_cost(truck, day)
        objective += cost
        held_back = [
            limit for d in range(horizon) if problem.day_cost(truck, d) < cost - 1e-9 for limit in full[truck.dc, d]
        ]
        binding.update((limit.name, limit) for limit in held_back)
        slots.append(
            ServiceSlot(
                truck=truck.truck,
                dc=truck.dc,
                day=day,
                bay=None if day is None else booked[truck.dc, day].index(truck) + 1,
                risk_avoided=0.0 if day is None else round(truck.exposure(horizon) - truck.exposure(day), 6),
                service_impact=0.0 if day is None else truck.service_impact(day),
                held_back_by=[limit.name for limit in held_back],
            )
        )
    unscheduled = [slot.truck for slot in slots if slot.day is None]
    expected_failures = round(
        sum(t.exposure(horizon if (day := chosen[t.truck]) is None else day) for t in problem.trucks), 6
    )
    deliveries_lost = sum(slot.service_impact for slot in slots)
    facts = {
        "slots": [slot.model_dump() for slot in slots],
        "unscheduled": unscheduled,
        "binding": sorted(binding),
        "objective_usd": round(objective, 2),
        "expected_failures": expected_failures,
        "deliveries_lost": deliveries_lost,
        "status": status,
    }
    evidence = Evidence(
        id=f"maintenance_schedule-{hashlib.sha256(problem.model_dump_json().encode()).hexdigest()[:12]}",
        source=Source(tool="maintenance_schedule", model="ortools-cp-sat", version=ortools.__version__),
        inputs=problem.model_dump(),
        facts=facts,
        drivers=_risk_drivers(slots, problem.trucks),
    )
    binding_limits = [binding[name] for name in sorted(binding)]
    return MaintenanceSchedule(
        slots=slots,
        unscheduled=unscheduled,
        binding=binding_limits,
        objective_usd=round(objective, 2),
        expected_failures=expected_failures,
        deliveries_lost=deliveries_lost,
        status=status,
        evidence=evidence,
    )
