"""Inventory allocation: a min-cost plan of DC-to-DC transfers that covers forecast shortfalls.

A linear program (OR-Tools GLOP); its shadow prices say which supply, need or lane limits the plan.
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable
from typing import Literal

import ortools
from ortools.linear_solver import pywraplp
from pydantic import BaseModel, Field, model_validator

from tools.evidence import Driver, Evidence, Source

EPS = 1e-7


class DcPosition(BaseModel):
    """One SKU's stock at one DC and its forecast demand over the planning horizon."""

    sku: str
    dc: str
    on_hand: float = Field(ge=0)
    in_transit: float = Field(default=0, ge=0, description="units arriving before the shelf runs empty")
    forecast: float = Field(ge=0, description="units demanded over the whole horizon")
    safety_stock: float = Field(default=0, ge=0)
    lost_sale_cost: float | None = Field(default=None, gt=0, description="overrides the problem's cost per unit")

    @property
    def need(self) -> float:
        """Units short of forecast plus safety stock once on-hand and in-transit stock are counted."""
        return max(0.0, self.forecast + self.safety_stock - self.on_hand - self.in_transit)

    @property
    def surplus(self) -> float:
        """Units on the shelf beyond this DC's own forecast and safety stock: what it can send."""
        return max(0.0, min(self.on_hand, self.on_hand + self.in_transit - self.forecast - self.safety_stock))

    def coverable(self, lead_days: float, horizon_days: int) -> float:
        """The part of the need a transfer taking `lead_days` can still cover (demand spread evenly)."""
        if lead_days > horizon_days:
            return 0.0
        demand_before_arrival = self.forecast * lead_days / horizon_days
        lost_before_arrival = max(0.0, demand_before_arrival - self.on_hand - self.in_transit)
        return max(0.0, self.need - lost_before_arrival)


class TransferLane(BaseModel):
    """A DC-to-DC lane: cost per unit moved, days in transit, units it can carry (all SKUs together)."""

    origin: str
    dest: str
    cost_per_unit: float = Field(ge=0)
    lead_days: float = Field(default=0, ge=0)
    max_units: float | None = Field(default=None, ge=0)

    @property
    def name(self) -> str:
        """The lane as people write it, e.g. `DC-DAL->DC-HOU`."""
        return f"{self.origin}->{self.dest}"


class AllocationProblem(BaseModel):
    """Stock positions of one or more SKUs across DCs, the lanes between them, and the cost of a lost sale."""

    positions: list[DcPosition]
    lanes: list[TransferLane]
    horizon_days: int = Field(gt=0)
    lost_sale_cost: float = Field(gt=0, description="USD per unit of need left uncovered")

    @model_validator(mode="after")
    def _check_unique(self) -> "AllocationProblem":
        """One position per SKU and DC, one lane per origin and destination, no lane to itself."""
        positions = [(p.sku, p.dc) for p in self.positions]
        lanes = [(lane.origin, lane.dest) for lane in self.lanes]
        if len(set(positions)) != len(positions):
            raise ValueError("each (sku, dc) position must appear once")
        if len(set(lanes)) != len(lanes) or any(origin == dest for origin, dest in lanes):
            raise ValueError("each lane must join two different DCs and appear once")
        return self


class Move(BaseModel):
    """Units of one SKU to transfer on one lane, and what they cost."""

    sku: str
    origin: str
    dest: str
    qty: float
    cost: float
    lead_days: float


class NeedCoverage(BaseModel):
    """How much of one SKU's need at one DC the plan covers."""

    sku: str
    dc: str
    need: float
    covered: float
    unmet: float


ConstraintKind = Literal["supply", "need", "arrival", "lane"]


class ShadowPrice(BaseModel):
    """The dual value of a binding constraint: plan cost change per extra unit of its right-hand side."""

    constraint: str
    kind: ConstraintKind
    value: float
    meaning: str


class AllocationPlan(BaseModel):
    """The optimal transfers, the need left unmet, the costs and the constraints that bind."""

    moves: list[Move]
    coverage: list[NeedCoverage]
    transfer_cost: float
    unmet_units: float
    unmet_cost: float
    total_cost: float
    shadow_prices: list[ShadowPrice]
    evidence: Evidence


def _meaning(subject: str, value: float) -> str:
    """A sentence a planner can read for one shadow price."""
    direction = "lower" if value < 0 else "raise"
    return f"{subject} would {direction} the plan cost by {abs(value):.2f} USD"


class _Program:
    """The linear program of one allocation problem, with a readable name for every priced constraint."""

    def __init__(self, problem: AllocationProblem) -> None:
        """Build variables (a flow per SKU and usable lane, an unmet amount per need) and constraints."""
        self.problem = problem
        self.at: dict[str, dict[str, DcPosition]] = defaultdict(dict)
        for position in problem.positions:
            self.at[position.sku][position.dc] = position
        self.solver = pywraplp.Solver.CreateSolver("GLOP")
        self.priced: list[tuple[pywraplp.Constraint, ConstraintKind, str, str]] = []
        self.flows: dict[tuple[str, int], pywraplp.Variable] = {}
        self.unmet: dict[tuple[str, str], pywraplp.Variable] = {}
        horizon = problem.horizon_days
        for index, lane in enumerate(problem.lanes):
            for sku, dcs in sorted(self.at.items()):
                origin, dest = dcs.get(lane.origin), dcs.get(lane.dest)
                if origin and dest and origin.surplus > EPS and dest.coverable(lane.lead_days, horizon) > EPS:
                    self.flows[sku, index] = self.solver.NumVar(0, self.solver.infinity(), f"{sku} {lane.name}")
        for position in problem.positions:
            self._add_supply(position)
            self._add_need(position)
        for index, lane in enumerate(problem.lanes):
            on_lane = [var for (_, i), var in self.flows.items() if i == index]
            if lane.max_units is not None and on_lane:
                self._add(
                    self.solver.Sum(on_lane) <= lane.max_units,
                    "lane",
                    f"lane {lane.name} capacity",
                    f"one more unit of capacity on {lane.name}",
                )
        objective = self.solver.Objective()  # minimise the lanes' unit costs and the lost sales' costs
        for (_, i), var in self.flows.items():
            objective.SetCoefficient(var, problem.lanes[i].cost_per_unit)
        for (sku, dc), var in self.unmet.items():
            objective.SetCoefficient(var, self.lost_cost(sku, dc))
        objective.SetMinimization()

    def _add(self, constraint: pywraplp.LinearConstraint, kind: ConstraintKind, name: str, subject: str) -> None:
        """Add a constraint and remember how to name its dual."""
        self.priced.append((self.solver.Add(constraint), kind, name, subject))

    def _flow_sum(self, sku: str, keep: Callable[[TransferLane], bool]) -> pywraplp.LinearExpr:
        """Sum of this SKU's flows on the lanes `keep(lane)` selects."""
        return self.solver.Sum(var for (s, i), var in self.flows.items() if s == sku and keep(self.problem.lanes[i]))

    def _add_supply(self, position: DcPosition) -> None:
        """A DC sends no more than its surplus of a SKU."""
        sku, dc = position.sku, position.dc
        if any(s == sku and self.problem.lanes[i].origin == dc for s, i in self.flows):
            self._add(
                self._flow_sum(sku, lambda lane: lane.origin == dc) <= position.surplus,
                "supply",
                f"supply {sku} at {dc}",
                f"one more spare unit of {sku} at {dc}",
            )

    def _add_need(self, position: DcPosition) -> None:
        """Inflow plus unmet units equal the need; late lanes cover only what is still open when they arrive."""
        sku, dc, need = position.sku, position.dc, position.need
        if need <= EPS:
            return
        self.unmet[sku, dc] = self.solver.NumVar(0, self.solver.infinity(), f"unmet {sku} at {dc}")
        self._add(
            self._flow_sum(sku, lambda lane: lane.dest == dc) + self.unmet[sku, dc] == need,
            "need",
            f"need {sku} at {dc}",
            f"one more unit of {sku} needed at {dc}",
        )
        inbound = [self.problem.lanes[i] for s, i in self.flows if s == sku and self.problem.lanes[i].dest == dc]
        for lead in sorted({lane.lead_days for lane in inbound}):
            still_open = position.coverable(lead, self.problem.horizon_days)
            if still_open < need - EPS:
                self._add(
                    self._flow_sum(sku, lambda lane, lead=lead: lane.dest == dc and lane.lead_days >= lead)
                    <= still_open,
                    "arrival",
                    f"arrival {sku} at {dc} after {lead:g} days",
                    f"one more unit of {sku} need at {dc} still open after {lead:g} days",
                )

    def lost_cost(self, sku: str, dc: str) -> float:
        """USD per unit of need left uncovered for this SKU at this DC."""
        override = self.at[sku][dc].lost_sale_cost
        return self.problem.lost_sale_cost if override is None else override

    def shadow_prices(self) -> list[ShadowPrice]:
        """The non-zero duals after solving, largest effect first."""
        prices = [
            ShadowPrice(constraint=name, kind=kind, value=round(dual, 6), meaning=_meaning(subject, dual))
            for c, kind, name, subject in self.priced
            if abs(dual := c.dual_value()) > EPS
        ]
        return sorted(prices, key=lambda price: (-abs(price.value), price.constraint))

    def moves(self) -> list[Move]:
        """The transfers of the solved plan, by SKU and lane."""
        moves = []
        for (sku, i), var in self.flows.items():
            lane, qty = self.problem.lanes[i], var.solution_value()
            if qty > EPS:
                moves.append(
                    Move(
                        sku=sku,
                        origin=lane.origin,
                        dest=lane.dest,
                        qty=round(qty, 6),
                        cost=round(qty * lane.cost_per_unit, 6),
                        lead_days=lane.lead_days,
                    )
                )
        return sorted(moves, key=lambda move: (move.sku, move.origin, move.dest))

    def coverage(self) -> list[NeedCoverage]:
        """How much of each need the solved plan covers."""
        return [
            NeedCoverage(
                sku=sku,
                dc=dc,
                need=self.at[sku][dc].need,
                unmet=round(var.solution_value(), 6),
                covered=round(self.at[sku][dc].need - var.solution_value(), 6),
            )
            for (sku, dc), var in sorted(self.unmet.items())
        ]


def allocate(problem: AllocationProblem) -> AllocationPlan:
    """Solve the min-cost transfer plan; uncovered need costs `lost_sale_cost` per unit so it is always feasible."""
    program = _Program(problem)
    if program.solver.Solve() != pywraplp.Solver.OPTIMAL:
        raise RuntimeError("the allocation program has no optimal solution")
    moves, coverage, shadow_prices = program.moves(), program.coverage(), program.shadow_prices()
    transfer_cost = round(sum(move.cost for move in moves), 6)
    unmet_cost = round(sum(program.lost_cost(c.sku, c.dc) * c.unmet for c in coverage), 6)
    unmet_units = round(sum(c.unmet for c in coverage), 6)
    total_cost = round(transfer_cost + unmet_cost, 6)
    evidence = Evidence(
        id=f"allocation-{hashlib.sha256(problem.model_dump_json().encode()).hexdigest()[:12]}",
        source=Source(tool="allocation", model="ortools-glop", version=ortools.__version__),
        inputs=problem.model_dump(),
        facts={
            "total_cost_usd": total_cost,
            "transfer_cost_usd": transfer_cost,
            "unmet_units": unmet_units,
            "unmet_cost_usd": unmet_cost,
            "moves": [move.model_dump() for move in moves],
            "coverage": [c.model_dump() for c in coverage],
            "shadow_prices": [price.model_dump() for price in shadow_prices],
        },
        drivers=[Driver(feature=price.constraint, contribution=price.value) for price in shadow_prices],
    )
    return AllocationPlan(
        moves=moves,
        coverage=coverage,
        transfer_cost=transfer_cost,
        unmet_units=unmet_units,
        unmet_cost=unmet_cost,
        total_cost=total_cost,
        shadow_prices=shadow_prices,
        evidence=evidence,
    )
