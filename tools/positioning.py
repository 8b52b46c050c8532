"""Stock positioning: transfers of fast-selling SKUs from DCs with stock to spare to the DCs where the forecast
expects a shortfall, chosen greedily, and reorder points moved to what the forecast asks for, so that the daily review
orders before a peak rather than after it; each kept only when the lost sales it avoids are worth more than its cost.

A DC sends only stock above its own safety stock plus its own forecast need, and never goes below its safety stock."""

import hashlib
import json
import math
from collections import defaultdict
from functools import cached_property
from itertools import accumulate
from statistics import NormalDist

from pydantic import BaseModel, Field, model_validator

from tools.evidence import Driver, Evidence, Source
from tools.forecast import Forecast, expected_lost
from twin import replenishment

PLAN_VERSION = "4"
STEPS = 10  # quantities tried per lane and round: tenths of what the source can spare
MAX_ROUNDS = 20  # rounds of the greedy per SKU (each adds one move or grows one)
PAYS_BY_USD = 0.01  # a move must avoid more lost sales than it costs by at least a cent
HIGH_DEMAND_Z = NormalDist().inv_cdf(0.9)  # the cumulative demand the earliest regular order answers
LEVEL_TOLERANCE = 0.1  # a reorder point moves only when the forecast asks for at least 10% more or less


class Site(BaseModel):
    """One SKU at one DC: its stock, its safety stock, its demand forecast and the company's normal replenishment of
    it (the daily review orders once the position falls to its reorder point; the order lands after the regular
    lead time)."""

    sku: str
    dc: str
    on_hand: float = Field(ge=0, description="units on hand less those allocated to orders")
    in_transit: float = Field(default=0, ge=0)
    inbound: list[tuple[int, float]] = Field(
        default_factory=list, description="the in-transit units with a known landing: (days until it, units)"
    )
    safety_stock: float = Field(ge=0)
    reorder_point: float = Field(ge=0, description="the review orders when on hand plus in transit falls to it")
    lead_days: int = Field(ge=0, description="days a regular order takes to land")
    forecast: Forecast = Field(exclude=True, description="the demand forecast, cited by its evidence id")
    window_days: int = Field(ge=1, description="days the stock must last before regular replenishment lands")
    reorder_target: float | None = Field(
        default=None, ge=0, description="the reorder point the forecast asks for (none: the stored one stands)"
    )
    holding_usd_per_unit: float = Field(default=0.0, ge=0, description="USD of holding one unit over an order cycle")

    def with_reorder_point(self, units: float) -> "Site":
        """The same site with another reorder point (the review then orders at another day)."""
        return Site.model_validate({**self.model_dump(), "forecast": self.forecast, "reorder_point": units})

    @property
    def forecast_units(self) -> float:
        """The forecast's median demand over the window."""
        return sum(day.p50 for day in self.forecast.days[: self.window_days])

    @cached_property
    def horizon_days(self) -> int:
        """Days over which lost sales are counted: until the first regular order could land, the review ordering as
        soon as the position falls to its reorder point under high demand (the 90th percentile of the cumulative
        demand). Beyond that the review answers the demand as it comes, which a plan on the forecast cannot foresee."""
        position, days = self.on_hand + self.in_transit, self.forecast.days
        median = accumulate(outlook.p50 for outlook in days)
        for day, (demand, error) in enumerate(zip(median, self.forecast.lead_time_error, strict=False)):
            if position - demand - HIGH_DEMAND_Z * error <= self.reorder_point:
                return min(len(days), day + self.lead_days)
        return len(days)

    @property
    def surplus(self) -> float:
        """Units this DC can send: stock above its safety stock plus its forecast need, never below its safety
        stock on hand."""
        spare = self.on_hand + self.in_transit - self.safety_stock - self.forecast_units
        return max(0.0, min(self.on_hand - self.safety_stock, spare))

    def lost(self, sent: float, arrivals: list[tuple[int, float]]) -> float:
        """Expected units lost over the horizon after sending `sent` units now and receiving `arrivals` (kept: the
        greedy asks the same again and again)."""
        key, known = (sent, tuple(arrivals)), self._losses
        if key not in known:
            stock = replenishment.stock_now(self.on_hand, self.in_transit, self.inbound) - sent
            known[key] = expected_lost(self.forecast, self.horizon_days, stock, [*self.inbound, *arrivals])
        return known[key]

    @cached_property
    def _losses(self) -> dict[tuple[float, tuple[tuple[int, float], ...]], float]:
        """The expected units lost computed so far, by units sent and arrivals."""
        return {}


class Lane(BaseModel):
    """A DC-to-DC transfer lane: USD per unit moved (of one SKU) and days until the units land."""

    sku: str
    origin: str
    dest: str
    cost_per_unit: float = Field(ge=0)
    lead_days: int = Field(ge=0)


class PositioningProblem(BaseModel):
    """The sites of the SKUs to position, the lanes between their DCs and the USD of a unit not sold per SKU."""

    sites: list[Site]
    lanes: list[Lane]
    lost_sale_usd: dict[str, float] = Field(description="USD of one unit not sold per SKU: margin plus penalty")

    @model_validator(mode="after")
    def _check(self) -> "PositioningProblem":
        """One site per SKU and DC; every lane joins two sites of its SKU; every SKU has a lost-sale price."""
        keys = [(site.sku, site.dc) for site in self.sites]
        if len(set(keys)) != len(keys):
            raise ValueError("each (sku, dc) site must appear once")
        stray = [
            f"{x.sku} {x.origin}->{x.dest}" for x in self.lanes if not {(x.sku, x.origin), (x.sku, x.dest)} <= set(keys)
        ]
        if stray:
            raise ValueError(f"lanes without both sites: {', '.join(stray)}")
        unpriced = sorted({site.sku for site in self.sites} - set(self.lost_sale_usd))
        if unpriced:
            raise ValueError(f"no lost-sale price for {', '.join(unpriced)}")
        return self


class Move(BaseModel):
    """Units of one SKU sent on one lane, what they cost, and the expected lost sales they avoid."""

    sku: str
    origin: str
    dest: str
    qty: int = Field(gt=0)
    lead_days: int
    cost_usd: float
    units_avoided: float = Field(description="expected units lost at the destination less those added at the source")
    avoided_usd: float = Field(description="those units priced at the SKU's lost-sale USD")
    dest_stock: float = Field(description="units on hand and in transit at the destination before the move")
    dest_forecast: float = Field(description="the destination's median forecast until its regular order could land")
    window_days: int = Field(description="days until the destination's first regular order could land")
    origin_left: float = Field(description="units left on hand at the source after the plan's moves")
    origin_safety_stock: float

    @property
    def pays(self) -> bool:
        """Whether the lost sales the move avoids are worth more than it costs."""
        return self.avoided_usd > self.cost_usd + PAYS_BY_USD


class LevelChange(BaseModel):
    """A position's reorder point moved to what the forecast asks for: the stock it holds more (or less) over an
    order cycle against the expected lost sales it avoids (or adds)."""

    sku: str
    dc: str
    before: float
    after: float
    holding_usd: float = Field(description="holding of the units the review then keeps more (negative: saved)")
    units_avoided: float = Field(description="expected units lost that the change avoids (negative: adds)")
    avoided_usd: float

    @property
    def pays(self) -> bool:
        """Whether a raise avoids more lost sales than the holding it adds, or a cut saves holding without adding any
        expected lost sale."""
        if self.after > self.before:
            return self.avoided_usd > self.holding_usd + PAYS_BY_USD
        return self.avoided_usd >= 0


class PlanTotals(BaseModel):
    """The moves of one way of positioning the stock, their transfer cost, and the expected lost units and lost-sale
    USD they leave."""

    name: str
    moves: list[Move]
    levels: list[LevelChange]
    units_moved: int
    transfer_usd: float
    holding_usd: float = Field(description="the holding the raised reorder points add (cuts save some)")
    expected_lost_units: float
    lost_sales_usd: float

    @property
    def total_usd(self) -> float:
        """Transfers, the holding the new reorder points add and expected lost sales."""
        return round(self.transfer_usd + self.holding_usd + self.lost_sales_usd, 2)


class PositioningPlan(BaseModel):
    """The plan (the moves that pay), the ways of positioning it beat, and the evidence."""

    totals: PlanTotals
    alternatives: list[PlanTotals]
    evidence: Evidence

    @property
    def moves(self) -> list[Move]:
        """The moves the plan keeps."""
        return self.totals.moves

    @property
    def levels(self) -> list[LevelChange]:
        """The reorder points the plan moves."""
        return self.totals.levels


class _State:
    """The units each site of one SKU sends and receives while the greedy builds the plan."""

    def __init__(self, sites: list[Site]) -> None:
        """Start with nothing moved."""
        self.sites = {site.dc: site for site in sites}
        self.sent: dict[str, float] = defaultdict(float)
        self.arrivals: dict[str, list[tuple[int, float]]] = defaultdict(list)

    def lost(self, dc: str) -> float:
        """Expected units lost at a DC in the current state."""
        return self.sites[dc].lost(self.sent[dc], self.arrivals[dc])

    def avoided(self, lane: Lane, qty: float) -> float:
        """Expected units lost at the destination that `qty` more units on the lane avoid, less those it adds at the
        source."""
        origin, dest = self.sites[lane.origin], self.sites[lane.dest]
        at_dest = self.lost(lane.dest) - dest.lost(
            self.sent[lane.dest], [*self.arrivals[lane.dest], (lane.lead_days, qty)]
        )
        at_origin = origin.lost(self.sent[lane.origin] + qty, self.arrivals[lane.origin]) - self.lost(lane.origin)
        return at_dest - at_origin

    def spare(self, dc: str) -> float:
        """Units the DC can still send."""
        return self.sites[dc].surplus - self.sent[dc]

    def apply(self, lane: Lane, qty: float) -> None:
        """Send `qty` units on the lane."""
        self.sent[lane.origin] += qty
        self.arrivals[lane.dest].append((lane.lead_days, qty))


def _tries(spare: float) -> list[int]:
    """Whole quantities to try on a lane: tenths of what the source can spare, rounded down."""
    return sorted({math.floor(spare * k / STEPS + 1e-9) for k in range(1, STEPS + 1)} - {0})


def _position_sku(sites: list[Site], lanes: list[Lane], price: float, must_pay: bool) -> list[Move]:
    """Add, round by round, the lane and quantity with the most lost sales avoided net of cost (with `must_pay`) or
    the most units avoided (without), while any avoids something."""
    state = _State(sites)
    moved: dict[tuple[str, str], Move] = {}
    for _round in range(MAX_ROUNDS):
        best: tuple[float, Lane, int, float] | None = None
        for lane in lanes:
            for qty in _tries(state.spare(lane.origin)):
                units = state.avoided(lane, qty)
                gain = units * price - qty * lane.cost_per_unit if must_pay else units
                if gain > PAYS_BY_USD and (best is None or gain > best[0]):
                    best = (gain, lane, qty, units)
        if best is None:
            break
        _, lane, qty, units = best
        state.apply(lane, qty)
        before = moved.get((lane.origin, lane.dest))
        total_qty = qty + (before.qty if before else 0)
        total_units = units + (before.units_avoided if before else 0.0)
        origin, dest = state.sites[lane.origin], state.sites[lane.dest]
        moved[lane.origin, lane.dest] = Move(
            sku=lane.sku,
            origin=lane.origin,
            dest=lane.dest,
            qty=total_qty,
            lead_days=lane.lead_days,
            cost_usd=round(total_qty * lane.cost_per_unit, 2),
            units_avoided=round(total_units, 2),
            avoided_usd=round(total_units * price, 2),
            dest_stock=round(dest.on_hand + dest.in_transit, 1),
            dest_forecast=round(sum(day.p50 for day in dest.forecast.days[: dest.horizon_days]), 1),
            window_days=dest.horizon_days,
            origin_left=0.0,
            origin_safety_stock=round(origin.safety_stock, 1),
        )
    return sorted(
        (
            move.model_copy(
                update={"origin_left": round(state.sites[move.origin].on_hand - state.sent[move.origin], 1)}
            )
            for move in moved.values()
        ),
        key=lambda move: (move.origin, move.dest),
    )


def _flows(moves: list[Move]) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], list[tuple[int, float]]]]:
    """Units each (SKU, DC) sends and the arrivals each receives once `moves` are sent."""
    sent: dict[tuple[str, str], float] = defaultdict(float)
    arrivals: dict[tuple[str, str], list[tuple[int, float]]] = defaultdict(list)
    for move in moves:
        sent[move.sku, move.origin] += move.qty
        arrivals[move.sku, move.dest].append((move.lead_days, move.qty))
    return sent, arrivals


def _levels(problem: PositioningProblem, moves: list[Move]) -> list[LevelChange]:
    """The reorder points worth moving to what the forecast asks for, once `moves` are sent: those that differ by
    the tolerance and whose lost sales avoided outweigh the holding they add (or whose holding saved outweighs the
    lost sales they add)."""
    sent, arrivals = _flows(moves)
    changes = []
    for site in problem.sites:
        if site.reorder_target is None:
            continue
        target = round(site.reorder_target)  # the whole units the action sets, and so what is priced
        if abs(target - site.reorder_point) < max(1.0, LEVEL_TOLERANCE * site.reorder_point):
            continue
        key = (site.sku, site.dc)
        units = site.lost(sent[key], arrivals[key]) - site.with_reorder_point(target).lost(sent[key], arrivals[key])
        change = LevelChange(
            sku=site.sku,
            dc=site.dc,
            before=site.reorder_point,
            after=target,
            holding_usd=round((target - site.reorder_point) * site.holding_usd_per_unit, 2),
            units_avoided=round(units, 2),
            avoided_usd=round(units * problem.lost_sale_usd[site.sku], 2),
        )
        if change.pays:
            changes.append(change)
    return changes


def _totals(name: str, problem: PositioningProblem, moves: list[Move], levels: list[LevelChange]) -> PlanTotals:
    """The transfer cost, the holding the new reorder points add and the expected lost sales over every site once
    `moves` are sent and `levels` set."""
    sent, arrivals = _flows(moves)
    points = {(level.sku, level.dc): level.after for level in levels}
    sites = [s.with_reorder_point(points[s.sku, s.dc]) if (s.sku, s.dc) in points else s for s in problem.sites]
    lost = {(s.sku, s.dc): s.lost(sent[s.sku, s.dc], arrivals[s.sku, s.dc]) for s in sites}
    return PlanTotals(
        name=name,
        moves=moves,
        levels=levels,
        units_moved=sum(move.qty for move in moves),
        transfer_usd=round(sum(move.cost_usd for move in moves), 2),
        holding_usd=round(sum(max(0.0, level.holding_usd) for level in levels), 2),
        expected_lost_units=round(sum(lost.values()), 2),
        lost_sales_usd=round(sum(units * problem.lost_sale_usd[sku] for (sku, _), units in lost.items()), 2),
    )


def _moves(problem: PositioningProblem, must_pay: bool) -> list[Move]:
    """The greedy's moves of every SKU."""
    return [
        move
        for sku in sorted(problem.lost_sale_usd)
        for move in _position_sku(
            [site for site in problem.sites if site.sku == sku],
            [lane for lane in problem.lanes if lane.sku == sku],
            problem.lost_sale_usd[sku],
            must_pay,
        )
    ]


def plan_positioning(problem: PositioningProblem) -> PositioningPlan:
    """Keep the moves and the reorder points that pay; compare with no change, with the moves alone and with covering
    every expected shortfall by transfers whatever they cost."""
    moves = _moves(problem, must_pay=True)
    totals = _totals("positioning plan", problem, moves, _levels(problem, moves))
    alternatives = [
        _totals("no action", problem, [], []),
        _totals("cover every shortfall (transfers that do not pay too)", problem, _moves(problem, must_pay=False), []),
    ]
    if totals.levels:
        alternatives.append(_totals("transfers only (reorder points kept)", problem, moves, []))
    inputs = {
        "sites": [
            {
                **site.model_dump(),
                "forecast_units": round(site.forecast_units, 1),
                "surplus": round(site.surplus, 1),
                "forecast_evidence_id": site.forecast.evidence.id,
            }
            for site in problem.sites
        ],
        "lanes": [lane.model_dump() for lane in problem.lanes],
        "lost_sale_usd": problem.lost_sale_usd,
    }
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:12]
    idle = alternatives[0]
    evidence = Evidence(
        id=f"positioning-{digest}",
        source=Source(tool="positioning", model="greedy", version=PLAN_VERSION),
        inputs=inputs,
        facts={
            "totals": totals.model_dump(),
            "alternatives": [total.model_dump() for total in alternatives],
        },
        drivers=[
            Driver(feature="transfer USD vs no action", value=totals.transfer_usd, contribution=totals.transfer_usd),
            Driver(
                feature="expected lost sales USD vs no action",
                value=totals.lost_sales_usd,
                contribution=round(totals.lost_sales_usd - idle.lost_sales_usd, 2),
            ),
        ],
    )
    return PositioningPlan(totals=totals, alternatives=alternatives, evidence=evidence)
