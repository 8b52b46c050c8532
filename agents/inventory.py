"""The inventory specialist: stockout risks covered by inter-DC transfers or expedited supply, and demand spikes
answered with new stock parameters."""

import math
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from agents import routing
from agents.explain import describe_drivers, format_number, format_usd
from agents.proposal import Handoff, PlanOption, Proposal, compare_plans, decided, needs_info
from agents.schemas import Action, Claim, Impact, Refs
from agents.toolbox import Toolbox
from agents.twin_facts import TWIN_SOURCE, lookup, rates
from tools import costs
from tools.allocation import AllocationPlan, AllocationProblem, DcPosition, TransferLane, allocate
from tools.costs import Rates
from tools.evidence import Evidence, Source
from tools.forecast import (
    Forecast,
    ReorderPoint,
    SafetyStock,
    StockPolicy,
    expected_lost,
    forecast,
    forecasts,
    reorder_point,
    safety_stock,
)
from twin import actions as a
from twin import frames, replenishment, store
from twin import models as m
from twin.typed_pandas import as_day, as_frame

HORIZON_DAYS = 14  # SOP-STOCK-01: the stockout risk is judged over the next 14 days
SERVICE_LEVEL = 0.95  # SOP-TIER-01: 95% fill rate, the target of standard customers (the lowest tier)
LEAD_TIME_DAYS = 3  # days until a transfer or an expedited order restocks a DC: the error the safety stock covers
POLICY = StockPolicy(lead_time_days=LEAD_TIME_DAYS, service_level=SERVICE_LEVEL)
SPIKE_DAYS = 3  # SOP-DEMAND-01: the recent days checked against the forecast made before them (>= LEAD_TIME_DAYS)
TRANSFER_MILES_PER_DAY = 500.0  # one driver's day under US hours-of-service rules (11 h at about 45 mph)
TRANSFER_HANDLING_DAYS = 1  # a day to pick and load at the source and to receive at the destination
STOCK_RATES = [
    "stockout_penalty_usd_per_unit",
    "handling_usd_per_unit",
    "expedite_purchase_premium_share",
    "holding_share_per_year",
]
SPIKE_RULE = Source(tool="rule", model="spike-never-lowers-stock-levels", version="1")
COVERED = "stock on hand and in transit covers the forecast and the safety stock"
NO_GAP = "no unit is worth expediting before a regular order lands"
NO_SURPLUS = "no other DC has spare stock that arrives within the horizon"


class SkuTwin(BaseModel):
    """What the twin holds about one SKU at one DC and across the network."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    sku: m.Sku
    dc: m.Location
    positions: dict[str, m.InventoryPosition]
    history: pd.DataFrame
    calendar: pd.DataFrame = Field(description="holidays and events of every known day, those ahead included")
    regions: dict[str, str]
    lanes: list[tuple[m.Lane, float]]
    orders: list[tuple[m.Order, int]]
    supply: m.SupplyTerm
    inbound: list[tuple[int, float]] = Field(
        default_factory=list, description="the DC's in-transit units with a known landing: (days until it, units)"
    )
    review_daily: float = Field(description="the recent mean daily demand at the DC that the reorder review averages")
    today: date
    rates: Rates

    @property
    def last_day(self) -> date:
        """The last day of demand history."""
        return as_day(self.history["day"].max())

    @property
    def margin(self) -> float:
        """Margin lost per unit not sold."""
        return round(self.sku.unit_price - self.sku.unit_cost, 2)

    @property
    def stockout_per_unit(self) -> float:
        """USD of one unit short: the lost margin plus the stockout penalty."""
        return costs.stockout(self.rates, 1.0, self.margin)


class Gap(BaseModel):
    """The units worth expediting while the stock must last on its own, and what the next unit would bring."""

    units: int
    next_avoided_usd: float = Field(description="expected lost sales the next expedited unit would avoid")
    next_usd: float = Field(description="the next expedited unit's price")
    review_bound: bool = Field(description="one more would lift the stock above the reorder point tonight")


class StockCase(BaseModel):
    """The candidate plans for one SKU at one DC and everything needed to explain them."""

    options: list[PlanOption]
    evidence: list[Evidence]
    facts: dict[str, Any]
    confidence: float
    target: DcPosition
    forecast: Forecast
    safety: SafetyStock
    allocation: AllocationPlan | None = None
    helper: Proposal | None = None
    gap: Gap | None = None

    @property
    def solved(self) -> AllocationPlan:
        """The allocation of a DC that is short (only a DC with nothing short has none)."""
        if self.allocation is None:
            raise ValueError(f"{self.target.sku} at {self.target.dc} is short but has no allocation")
        return self.allocation


def _read(tb: Toolbox, refs: Refs) -> SkuTwin | Proposal:
    """The SKU's twin facts, or needs_info when the SKU or the DC is missing or unknown."""
    today = tb.now().date()
    with tb.session() as session:
        sku = session.get(m.Sku, refs.sku) if refs.sku else None
        if sku is None:
            return needs_info(
                "inventory", ["sku"], f"SKU {refs.sku} is not in the twin.", lookup("sku", refs.sku, None)
            )
        dc = session.get(m.Location, refs.location) if refs.location else None
        if dc is None or dc.kind != "dc":
            return needs_info(
                "inventory",
                ["location"],
                f"DC {refs.location} is not in the twin.",
                lookup("location", refs.location, None),
            )
        positions = {p.location: p for p in store.positions(session, sku.code)}
        if dc.code not in positions:
            return needs_info(
                "inventory",
                ["location"],
                f"{sku.code} is not stocked at {dc.code}.",
                lookup("inventory", f"{sku.code}@{dc.code}", None),
            )
        return SkuTwin(
            sku=sku,
            dc=dc,
            positions=positions,
            history=frames.sku_demand_frame(session, sku.code),
            calendar=frames.calendar_frame(session),
            regions={d.code: d.region for d in store.dcs(session)},
            lanes=lane_rates(session),
            orders=store.open_orders(session, sku.code, dc.code, today + timedelta(days=HORIZON_DAYS)),
            supply=store.supply_term(session, sku.code),
            inbound=replenishment.inbound_schedule(session, [sku.code], today).get((sku.code, dc.code), []),
            review_daily=replenishment.recent_daily_demand(session, today, sku.code).get((sku.code, dc.code), 0.0),
            today=today,
            rates=rates(session),
        )


def lane_rates(session: Session) -> list[tuple[m.Lane, float]]:
    """Lanes with the cheapest contract rate per mile offered on them."""
    rates: dict[str, float] = {}
    for offer in store.carrier_lanes(session):
        rates[offer.lane] = min(rates.get(offer.lane, math.inf), offer.rate_per_mile)
    lanes = session.exec(select(m.Lane).order_by(col(m.Lane.code))).all()
    return [(lane, rates[lane.code]) for lane in lanes if lane.code in rates]


def _transfer_lanes(twin: SkuTwin) -> dict[str, TransferLane]:
    """Lanes into the DC from every other DC, by lane code: cost per unit from distance and weight, lead from miles."""
    dcs_by_region = {region: code for code, region in twin.regions.items()}
    return {
        lane.code: TransferLane(
            origin=lane.origin,
            dest=twin.dc.code,
            cost_per_unit=costs.transfer_per_unit(
                twin.rates, rate, lane.distance_miles, twin.sku.weight_kg, costs.TRUCKLOAD_KG
            ),
            lead_days=transfer_lead_days(lane.distance_miles),
        )
        for lane, rate in twin.lanes
        if dcs_by_region.get(lane.dest_region) == twin.dc.code
        and lane.origin in twin.positions
        and lane.origin != twin.dc.code
    }


def _position(twin: SkuTwin, dc: str, outlook: Forecast, safety: SafetyStock) -> DcPosition:
    """A DC's stock (on hand less allocated, in transit) against its forecast and safety stock."""
    row = twin.positions[dc]
    return DcPosition(
        sku=twin.sku.code,
        dc=dc,
        on_hand=max(0, row.on_hand - row.allocated),
        in_transit=row.in_transit,
        forecast=round(outlook.total.p50, 1),
        safety_stock=round(safety.units, 1),
    )


def need_confidence(outlook: Forecast) -> float:
    """1 - (p90 - p10) / (2 p50) of the horizon total: a narrow 80% interval makes the need sure (clipped to 0..1)."""
    total = outlook.total
    return min(1.0, max(0.0, 1 - (total.p90 - total.p10) / (2 * total.p50))) if total.p50 > 0 else 0.0


def _outlooks(tb: Toolbox, twin: SkuTwin) -> dict[str, Forecast]:
    """The SKU's demand forecast at every DC with sales history; only the DC's own forecast, the one cited, is
    explained."""
    observed = set(twin.history["location"])
    dcs = [dc for dc in sorted(twin.positions) if dc in observed]
    every = forecasts(
        tb.models.demand,
        twin.history,
        [{"sku": twin.sku.code, "location": dc} for dc in dcs],
        HORIZON_DAYS,
        as_of=twin.last_day,
        explain=[{"sku": twin.sku.code, "location": twin.dc.code}],
        calendar=twin.calendar,
    )
    return dict(zip(dcs, every, strict=True))


def _stock_case(tb: Toolbox, twin: SkuTwin) -> StockCase:
    """Forecast the SKU at every DC and build the transfer, expedite and no-action plans for the DC."""
    outlooks = _outlooks(tb, twin)
    safeties = {dc: safety_stock(outlook, POLICY) for dc, outlook in outlooks.items()}
    positions = {dc: _position(twin, dc, outlooks[dc], safeties[dc]) for dc in outlooks}
    target = positions[twin.dc.code]
    case = StockCase(
        options=[],
        evidence=[outlooks[target.dc].evidence, safeties[target.dc].evidence],
        facts={
            "need_units": round(target.need, 1),
            "available_units": target.on_hand,
            "cover_days": round((target.on_hand + target.in_transit) * HORIZON_DAYS / max(target.forecast, 1e-9), 1),
            "unit_margin_usd": twin.margin,
            "stockout_usd_per_unit": twin.stockout_per_unit,
        },
        confidence=need_confidence(outlooks[target.dc]),
        target=target,
        forecast=outlooks[target.dc],
        safety=safeties[target.dc],
    )
    stock = _stock_now(twin, target)
    case.evidence.append(_supply_evidence(twin))
    case.facts.update(
        stock_units=round(stock, 1),
        inbound=[{"in_days": days, "units": units} for days, units in sorted(twin.inbound)],
        exposure_days=_exposure_days(twin),
        review_order_units=round(sum(units for _, units in _review_landing(twin, case.forecast, stock, []))),
        expected_lost_units=round(_expected_lost(twin, case.forecast, stock, []), 1),
    )
    if target.need <= 0:
        case.options = [
            _no_action(twin, case.forecast, stock),
            PlanOption(name="regular order", feasible=False, infeasible_reason=COVERED),
            PlanOption(name="transfer stock", feasible=False, infeasible_reason=COVERED),
            PlanOption(name="expedite purchase", feasible=False, infeasible_reason=COVERED),
        ]
        return case
    case.options = _short_options(tb, twin, case, list(positions.values()), stock)
    return case


def _short_options(
    tb: Toolbox, twin: SkuTwin, case: StockCase, positions: list[DcPosition], stock: float
) -> list[PlanOption]:
    """The plans of a DC that is short: allocate the network's spare stock, complete the transfer with the carrier
    routing books when open orders need it first, and price the supplier orders against it."""
    target = case.target
    lanes = _transfer_lanes(twin)
    case.allocation = allocate(
        AllocationProblem(
            positions=positions,
            lanes=list(lanes.values()),
            horizon_days=HORIZON_DAYS,
            lost_sale_cost=twin.stockout_per_unit,
        )
    )
    case.evidence += [case.allocation.evidence, twin.rates.evidence(STOCK_RATES)]
    transfer = _transfer_option(twin, case.forecast, stock, case.allocation, lanes)
    handoff = _check_orders(twin, case, lanes)
    if handoff is not None:
        helper = routing.handle_handoff(tb, handoff)
        transfer = transfer.with_helper(helper)
        case.helper = helper
    need = math.ceil(target.need)
    gap = _paying_gap(twin, case.forecast, stock, need)
    case.facts.update(gap_units=gap.units, next_unit_avoided_usd=gap.next_avoided_usd, next_unit_usd=gap.next_usd)
    case.gap = gap
    return [
        _no_action(twin, case.forecast, stock),
        _order_option(twin, case.forecast, stock, "regular order", [(need, False)]),
        *_gap_options(twin, case.forecast, stock, need, gap.units),
        _order_option(twin, case.forecast, stock, "expedite purchase", [(need, True)]),
        transfer,
        _partial_cover(twin, case.forecast, stock, transfer, need),
    ]


def _supply_evidence(twin: SkuTwin) -> Evidence:
    """The SKU's supplier and its regular and expedited lead times, as stored in the twin."""
    term = twin.supply
    return Evidence(
        id=f"twin:supply:{twin.sku.code}",
        source=TWIN_SOURCE,
        inputs={"sku": twin.sku.code, "source": term.source},
        facts={
            "supplier": term.supplier,
            "regular_lead_days": term.regular_lead_days,
            "expedited_lead_days": term.expedited_lead_days,
            "unit_cost_usd": twin.sku.unit_cost,
        },
    )


def _exposure_days(twin: SkuTwin) -> int:
    """The days the SKU's stock must last on its own."""
    return replenishment.exposure_days(twin.supply)


def transfer_lead_days(miles: float) -> int:
    """Days from a transfer's order to its landing: a day of handling and a driver's day per 500 miles."""
    return TRANSFER_HANDLING_DAYS + math.ceil(miles / TRANSFER_MILES_PER_DAY)


def _stock_now(twin: SkuTwin, target: DcPosition) -> float:
    """The DC's stock that serves demand from today (scheduled inbound lands on its own days)."""
    return replenishment.stock_now(target.on_hand, target.in_transit, twin.inbound)


def _review_landing(
    twin: SkuTwin, outlook: Forecast, stock: float, arrivals: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """The order tonight's reorder review places once `arrivals` are ordered and today's median demand is served, as
    (days until it lands, units); none when the position stays above its reorder point."""
    today = sum(units for days, units in twin.inbound if days == 0)
    served = min(outlook.days[0].p50, stock + today) if outlook.days else 0.0
    ordered = sum(units for _, units in arrivals)
    qty = replenishment.review_order(twin.positions[twin.dc.code], twin.review_daily, ordered - served)
    return [(twin.supply.regular_lead_days, float(qty))] if qty else []


def _expected_lost(twin: SkuTwin, outlook: Forecast, stock: float, arrivals: list[tuple[int, float]]) -> float:
    """Expected units lost while the stock must last on its own, when the DC's scheduled inbound, `arrivals` (day,
    units) and the order tonight's review then places land on top of `stock`, drawn from the forecast's distribution."""
    landings = [*twin.inbound, *arrivals, *_review_landing(twin, outlook, stock, arrivals)]
    return expected_lost(outlook, _exposure_days(twin), stock, landings)


def _no_action(twin: SkuTwin, outlook: Forecast, stock: float) -> PlanOption:
    """Nothing bought: the expected lost sales of the forecast's distribution against the stock on hand, in transit
    and on order (the safety stock is a buffer, never a lost sale)."""
    lost = _expected_lost(twin, outlook, stock, [])
    return PlanOption(
        name="no action",
        expected_penalty_usd=costs.stockout(twin.rates, lost, twin.margin),
        impact=Impact(units_at_risk=round(lost, 1)),
    )


def _purchase_usd(twin: SkuTwin, outlook: Forecast, qty: float, expedited: bool) -> float:
    """USD of a supplier order of `qty` units beyond the goods: handling, premium when expedited, and holding."""
    daily = outlook.total.p50 / HORIZON_DAYS
    return costs.purchase(twin.rates, qty, twin.sku.unit_cost, expedited, costs.days_held(qty, daily))


def _last(holds: Callable[[int], bool], low: int, high: int) -> int:
    """The largest n in [low, high] for which `holds`, which holds at `low` and, once it fails, fails beyond."""
    beyond = high + 1
    while beyond - low > 1:
        middle = (low + beyond) // 2
        low, beyond = (middle, beyond) if holds(middle) else (low, middle)
    return low


def _next_unit(twin: SkuTwin, outlook: Forecast, stock: float, units: int) -> tuple[float, float]:
    """The expected lost sales in USD the `units`-th expedited unit avoids, and its price."""
    lead = twin.supply.expedited_lead_days
    before = _expected_lost(twin, outlook, stock, [(lead, units - 1.0)])
    avoided = before - _expected_lost(twin, outlook, stock, [(lead, float(units))])
    price = _purchase_usd(twin, outlook, units, True) - _purchase_usd(twin, outlook, units - 1, True)
    return avoided * costs.stockout(twin.rates, 1.0, twin.margin), price


def _paying_gap(twin: SkuTwin, outlook: Forecast, stock: float, need: int) -> Gap:
    """The units worth expediting while the stock must last on its own: each one's expected lost sale avoided beats
    its price. When tonight's review orders, they stay within what keeps it ordering: each expedited unit then only
    lands a unit of its order earlier, and each avoids less than the one before it."""
    lead = twin.supply.expedited_lead_days

    def pays(units: int) -> bool:
        """Whether the `units`-th expedited unit avoids more lost sales than it costs."""
        avoided, price = _next_unit(twin, outlook, stock, units)
        return avoided > price

    def reviewed(units: int) -> bool:
        """Whether tonight's review still orders once `units` are expedited."""
        return bool(_review_landing(twin, outlook, stock, [(lead, float(units))]))

    limit = _last(reviewed, 0, need) if reviewed(0) else need
    units = _last(lambda units: units == 0 or pays(units), 0, limit)
    avoided, price = _next_unit(twin, outlook, stock, units + 1)
    return Gap(
        units=units, next_avoided_usd=round(avoided, 2), next_usd=round(price, 2), review_bound=units == limit < need
    )


def _gap_options(twin: SkuTwin, outlook: Forecast, stock: float, need: int, gap: int) -> list[PlanOption]:
    """The `gap` units worth expediting alone (tonight's review orders the rest as usual), and with a regular order
    of the rest of the need."""
    names = ("expedite the gap", "regular order and expedite the gap")
    if gap == 0:
        return [PlanOption(name=name, feasible=False, infeasible_reason=NO_GAP) for name in names]
    alone = _order_option(twin, outlook, stock, names[0], [(gap, True)])
    if gap >= need:
        return [
            alone,
            PlanOption(name=names[1], feasible=False, infeasible_reason="every unit needed is worth expediting"),
        ]
    return [alone, _order_option(twin, outlook, stock, names[1], [(gap, True), (need - gap, False)])]


def _order_option(
    twin: SkuTwin, outlook: Forecast, stock: float, name: str, orders: list[tuple[int, bool]]
) -> PlanOption:
    """Supplier orders (units, expedited) for the DC: each priced with handling, premium and holding, landing after
    its lead time; the expected lost sales they leave."""
    actions: list[Action] = []
    arrivals = []
    for qty, expedited in orders:
        lead = twin.supply.expedited_lead_days if expedited else twin.supply.regular_lead_days
        price = _purchase_usd(twin, outlook, qty, expedited)
        params = {"sku": twin.sku.code, "location": twin.dc.code, "qty": qty, "lead_days": lead, "cost_usd": price}
        actions.append(
            a.ExpeditePurchase(params=a.ExpeditePurchaseParams.model_validate(params))
            if expedited
            else a.PlacePurchaseOrder(params=a.PurchaseOrderParams.model_validate(params))
        )
        arrivals.append((lead, float(qty)))
    lost = _expected_lost(twin, outlook, stock, arrivals)
    return PlanOption(
        name=name,
        actions=actions,
        expected_penalty_usd=costs.stockout(twin.rates, lost, twin.margin),
        impact=Impact(units_at_risk=round(lost, 1)),
    )


def _partial_cover(twin: SkuTwin, outlook: Forecast, stock: float, transfer: PlanOption, need: int) -> PlanOption:
    """The transfer topped up by a regular order of the need it leaves."""
    moved = sum(item.params.qty for item in transfer.actions if isinstance(item, a.TransferStock))
    rest = need - round(moved)
    if not transfer.feasible or rest <= 0:
        return PlanOption(
            name="transfer and regular order", feasible=False, infeasible_reason="the transfer covers the whole need"
        )
    order = _order_option(twin, outlook, stock, "regular order", [(rest, False)])
    arrivals = [*_transfer_arrivals(transfer), (twin.supply.regular_lead_days, float(rest))]
    lost = _expected_lost(twin, outlook, stock, arrivals)
    return transfer.model_copy(
        update={
            "name": "transfer and regular order",
            "actions": [*transfer.actions, *order.actions],
            "expected_penalty_usd": costs.stockout(twin.rates, lost, twin.margin),
            "impact": transfer.impact.model_copy(update={"units_at_risk": round(lost, 1)}),
        }
    )


def _transfer_arrivals(transfer: PlanOption) -> list[tuple[int, float]]:
    """When the units of a plan's transfers land, in days from today."""
    return [
        (item.params.lead_days or 0, item.params.qty) for item in transfer.actions if isinstance(item, a.TransferStock)
    ]


def _transfer_option(
    twin: SkuTwin, outlook: Forecast, stock: float, plan: AllocationPlan, lanes: dict[str, TransferLane]
) -> PlanOption:
    """The allocation's moves as transfer orders, with the expected lost sales they leave."""
    lead = {lane.origin: lane.lead_days for lane in lanes.values()}
    actions: list[Action] = [
        a.TransferStock(
            params=a.TransferStockParams.between(
                move.sku, move.origin, move.dest, round(move.qty), int(lead[move.origin]), round(move.cost, 2)
            )
        )
        for move in plan.moves
        if round(move.qty) > 0
    ]
    option = PlanOption(
        name="transfer stock",
        actions=actions,
        feasible=bool(actions),
        infeasible_reason=None if actions else NO_SURPLUS,
    )
    lost = _expected_lost(twin, outlook, stock, _transfer_arrivals(option))
    return option.model_copy(
        update={
            "expected_penalty_usd": costs.stockout(twin.rates, lost, twin.margin),
            "impact": Impact.model_validate({"units_at_risk": round(lost, 1), "units_moved": _moved(plan)}),
        }
    )


def _unmet(plan: AllocationPlan, dc: str) -> float:
    """The need at a DC that the allocation leaves uncovered."""
    return next(coverage.unmet for coverage in plan.coverage if coverage.dc == dc)


def _moved(plan: AllocationPlan) -> int:
    """Units the allocation moves, in whole units."""
    return round(sum(move.qty for move in plan.moves))


def _check_orders(twin: SkuTwin, case: StockCase, lanes: dict[str, TransferLane]) -> Handoff | None:
    """Open orders due by the day the first transfer lands; a hand-off to routing when stock cannot serve them."""
    moves = case.solved.moves
    if not moves:
        return None
    first = min(moves, key=lambda move: (move.lead_days, -move.qty, move.origin))
    lane = next(code for code, transfer in lanes.items() if transfer.origin == first.origin)
    arrival = twin.today + timedelta(days=math.ceil(first.lead_days))
    due = sum(qty for order, qty in twin.orders if order.promised_date <= arrival)
    orders = Evidence(
        id=f"twin:open_orders:{twin.sku.code}@{twin.dc.code}",
        source=TWIN_SOURCE,
        inputs={
            "sku": twin.sku.code,
            "dc": twin.dc.code,
            "until": (twin.today + timedelta(days=HORIZON_DAYS)).isoformat(),
        },
        facts={
            "orders": [
                {
                    "id": order.id,
                    "customer": order.customer,
                    "promised_date": order.promised_date.isoformat(),
                    "qty": qty,
                }
                for order, qty in twin.orders
            ],
            "total_units": sum(qty for _, qty in twin.orders),
        },
    )
    case.evidence.append(orders)
    case.facts.update(
        transfer_from=first.origin, transfer_lane=lane, transfer_arrival=arrival.isoformat(), due_by_arrival_units=due
    )
    if due <= case.target.on_hand:
        return None
    return Handoff(
        to="routing",
        reason=f"Open orders at {twin.dc.code} need {twin.sku.code} before a standard "
        f"transfer from {first.origin} lands.",
        request={"kind": "expedite_transfer", "lane": lane, "sku": twin.sku.code, "units": round(first.qty)},
    )


def _transfers(actions: list[a.AnyAction]) -> list[a.TransferStockParams]:
    """The transfer orders among a plan's actions."""
    return [item.params for item in actions if isinstance(item, a.TransferStock)]


def _transfer_claim(twin: SkuTwin, case: StockCase, plan: Evidence) -> Claim:
    """The transfers of the chosen plan (else of the transfer plan) as executed, or that no DC can send stock in
    time."""
    allocation = case.solved
    named = [option for option in case.options if plan.facts["chosen"].endswith(option.name)]
    chosen = max(named, key=lambda option: len(option.name), default=None)
    running = _transfers(chosen.actions) if chosen else []
    transfers = running or next((_transfers(o.actions) for o in case.options if o.name == "transfer stock"), [])
    if not transfers:
        return Claim(
            text=f"The allocation solver finds no DC with spare {twin.sku.code} that reaches {twin.dc.code} in time.",
            evidence_ids=[allocation.evidence.id],
        )
    # the moves as executed: whole units, moves that round to nothing dropped
    moves = ", ".join(f"{format_number(move.qty)} from {move.from_}" for move in transfers)
    lead = "Chosen transfers" if running else "Transfers not chosen"
    unmet = _unmet(allocation, twin.dc.code)
    return Claim(
        text=f"{lead}, in units: {moves}; {format_number(unmet)} stay unmet at {twin.dc.code}.",
        evidence_ids=[allocation.evidence.id, plan.id],
    )


def _inbound_claims(inbound: list[dict[str, float]], plan: Evidence) -> list[Claim]:
    """The scheduled landings on top of the stock, as a planner reads them (none when nothing is scheduled)."""
    landings = [
        f"{format_number(x['units'])} units "
        + ("today" if not x["in_days"] else f"in {int(x['in_days'])} day")
        + ("s" if x["in_days"] > 1 else "")
        for x in inbound
    ]
    return [Claim(text=f"Landing on top of it: {', '.join(landings)}.", evidence_ids=[plan.id])] if landings else []


def _gap_claim(twin: SkuTwin, gap: Gap, plan: Evidence) -> Claim:
    """How many units are worth expediting, and why not one more."""
    evidence_ids = [plan.id, f"twin:supply:{twin.sku.code}"]
    worth = f"{format_usd(gap.next_avoided_usd)} of expected lost sales for {format_usd(gap.next_usd)}"
    cancels = "lift the stock above the reorder point and cancel tonight's review order"
    days = twin.supply.expedited_lead_days
    landing = f"Expediting pays for {_units(gap.units)}, landing in {days} day{'s' if days > 1 else ''}"
    if gap.units == 0:
        text = (
            f"No unit is expedited: one would {cancels}."
            if gap.review_bound
            else f"No unit is worth expediting: the first would avoid {worth}."
        )
    else:
        text = f"{landing}; more would {cancels}." if gap.review_bound else f"{landing}: one more would avoid {worth}."
    return Claim(text=text, evidence_ids=evidence_ids)


def _units(count: int) -> str:
    """A count of units: `1 unit`, `55 units`."""
    return f"{count} unit{'s' if count != 1 else ''}"


def _review_claim(twin: SkuTwin, units: float, plan: Evidence) -> Claim:
    """What tonight's reorder review orders without any action, counted in every plan's expected lost sales."""
    row = twin.positions[twin.dc.code]
    evidence_ids = [plan.id, f"twin:inventory:{twin.sku.code}@{twin.dc.code}", f"twin:supply:{twin.sku.code}"]
    if not units:
        return Claim(
            text=f"Tonight's reorder review orders nothing: stock stays above the reorder point of {row.reorder_point}.",
            evidence_ids=evidence_ids,
        )
    return Claim(
        text=f"Tonight's reorder review orders {format_number(units)} units, landing in "
        f"{twin.supply.regular_lead_days} days, in every plan.",
        evidence_ids=evidence_ids,
    )


def _findings(twin: SkuTwin, case: StockCase, plan: Evidence) -> list[Claim]:
    """What the twin holds, what the forecast says and why, and what the allocation solver found."""
    row, target, total = twin.positions[twin.dc.code], case.target, case.forecast.evidence
    twin_id = f"twin:inventory:{twin.sku.code}@{twin.dc.code}"
    claims = [
        Claim(
            text=f"{twin.sku.code} at {twin.dc.code} has {row.on_hand} units on hand, {row.allocated} allocated and "
            f"{row.in_transit} in transit against a {HORIZON_DAYS}-day forecast of "
            f"{format_number(target.forecast)} units.",
            evidence_ids=[twin_id, total.id],
        ),
        Claim(
            text=f"Forecast drivers: {describe_drivers(case.forecast.evidence.drivers)}.",
            evidence_ids=[total.id],
        ),
        Claim(
            text=f"Stock of {format_number(case.facts['stock_units'])} units must last {case.facts['exposure_days']} "
            f"days until replenishment lands; without action the forecast expects "
            f"{format_number(case.facts['expected_lost_units'])} units lost.",
            evidence_ids=[plan.id, total.id],
        ),
        *_inbound_claims(case.facts["inbound"], plan),
        _review_claim(twin, case.facts["review_order_units"], plan),
    ]
    safety = (
        f"With safety stock {format_number(target.safety_stock)} units for a {LEAD_TIME_DAYS}-day lead time at "
        f"service level {format_number(SERVICE_LEVEL)}"
    )
    if target.need <= 0:
        claims.append(
            Claim(
                text=f"{safety}, stock covers {format_number(case.facts['cover_days'])} days: nothing is short.",
                evidence_ids=[case.safety.evidence.id, plan.id],
            )
        )
        return claims
    claims.append(
        Claim(
            text=f"{safety}, the DC needs {format_number(target.need)} more units over {HORIZON_DAYS} days.",
            evidence_ids=[case.safety.evidence.id, plan.id, case.forecast.evidence.id],
        )
    )
    if case.gap is not None:
        claims.append(_gap_claim(twin, case.gap, plan))
    claims.append(_transfer_claim(twin, case, plan))
    if case.helper:
        claims.append(
            Claim(
                text=f"Open orders need {case.facts['due_by_arrival_units']} units by "
                f"{case.facts['transfer_arrival']}, when the transfer from "
                f"{case.facts['transfer_from']} lands; {format_number(target.on_hand)} are available.",
                evidence_ids=[f"twin:open_orders:{twin.sku.code}@{twin.dc.code}", plan.id],
            )
        )
    return claims


def _twin_evidence(twin: SkuTwin) -> list[Evidence]:
    """The SKU and its stock position at the DC, as looked up in the twin."""
    key = f"{twin.sku.code}@{twin.dc.code}"
    return [lookup("sku", twin.sku.code, twin.sku), lookup("inventory", key, twin.positions.get(twin.dc.code))]


def _decide(
    tb: Toolbox,
    twin: SkuTwin,
    kind: str,
    query: str,
    options: list[PlanOption],
    confidence: float,
    facts: dict[str, Any],
    evidence: list[Evidence],
    findings: Callable[[Evidence], list[Claim]],
) -> Proposal:
    """Compare the whole plans (a transfer with the carrier routing booked for it) and add the procedures that apply."""
    code, dc = twin.sku.code, twin.dc.code
    chosen, alternatives, plan = compare_plans(f"{code}@{dc}:{kind}", options, confidence, facts)
    guidance = tb.guidance(f"{kind.replace('_', ' ')} of {code} at {dc}: {query}", kind)
    return decided(
        "inventory",
        chosen,
        alternatives,
        plan,
        [*_twin_evidence(twin), *evidence, guidance],
        findings(plan),
        f"Chosen: {chosen.name} for {code} at {dc}.",
        confidence,
    )


def stockout_risk(tb: Toolbox, refs: Refs) -> Proposal:
    """Cover a SKU's shortfall at a DC by the cheapest of an inter-DC transfer, an expedited order or nothing."""
    twin = _read(tb, refs)
    if isinstance(twin, Proposal):
        return twin
    case = _stock_case(tb, twin)
    return _decide(
        tb,
        twin,
        "stockout_risk",
        "inter-DC transfer or expedited supply",
        case.options,
        case.confidence,
        case.facts,
        case.evidence,
        lambda plan: _findings(twin, case, plan),
    )


class SpikeCheck(BaseModel):
    """The last days' actual demand against the forecast made before them."""

    actual: Evidence
    before: Forecast
    total_units: int
    days_above_p90: int
    confirmed: bool

    @property
    def confidence(self) -> float:
        """Share of the checked days on the side of their p90 that the verdict states."""
        agreeing = self.days_above_p90 if self.confirmed else SPIKE_DAYS - self.days_above_p90
        return agreeing / SPIKE_DAYS


def _spike_check(tb: Toolbox, twin: SkuTwin) -> SpikeCheck:
    """Forecast the last SPIKE_DAYS days from the day before them; a spike is confirmed when actuals exceed the p90."""
    origin = twin.last_day - timedelta(days=SPIKE_DAYS)
    series = twin.history[twin.history["location"] == twin.dc.code]
    recent = as_frame(series[series["day"] > origin]).sort_values("day")
    before = forecast(
        tb.models.demand, twin.history, {"sku": twin.sku.code, "location": twin.dc.code}, SPIKE_DAYS, as_of=origin
    )
    units = [int(value) for value in recent["units"]]
    actual = Evidence(
        id=f"twin:demand:{twin.sku.code}@{twin.dc.code}",
        source=TWIN_SOURCE,
        inputs={"sku": twin.sku.code, "location": twin.dc.code, "days": SPIKE_DAYS},
        facts={"days": [day.isoformat() for day in recent["day"]], "units": units, "total_units": sum(units)},
    )
    above = sum(unit > day.p90 for unit, day in zip(units, before.days, strict=True))
    return SpikeCheck(
        actual=actual,
        before=before,
        total_units=sum(units),
        days_above_p90=above,
        confirmed=sum(units) > before.total.p90,
    )


def _spike_claims(twin: SkuTwin, check: SpikeCheck) -> list[Claim]:
    """The last days' actual demand against the forecast's p90, and what that forecast rested on."""
    before = check.before
    verdict = "above" if check.confirmed else "at or below"
    return [
        Claim(
            text=f"Actual demand of {twin.sku.code} at {twin.dc.code} was {check.total_units} units over the last "
            f"{SPIKE_DAYS} days, {verdict} the forecast p90 of {format_number(round(before.total.p90, 1))}.",
            evidence_ids=[check.actual.id, before.evidence.id],
        ),
        Claim(
            text=f"The {before.as_of.isoformat()} forecast expected "
            f"{format_number(round(before.total.p50, 1))} units; drivers: "
            f"{describe_drivers(before.evidence.drivers)}.",
            evidence_ids=[before.evidence.id],
        ),
    ]


def _orders_due(twin: SkuTwin) -> Evidence:
    """The SKU's open orders at the DC due within the horizon, read before a spike is judged."""
    until = twin.today + timedelta(days=HORIZON_DAYS)
    return Evidence(
        id=f"twin:orders_due:{twin.sku.code}@{twin.dc.code}",
        source=TWIN_SOURCE,
        inputs={"sku": twin.sku.code, "dc": twin.dc.code, "until": until.isoformat()},
        facts={"orders": len(twin.orders), "total_units": sum(qty for _, qty in twin.orders)},
    )


def _stock_read_claim(twin: SkuTwin, orders: Evidence) -> Claim:
    """What the desk read of the position before judging a spike: on hand, in transit and open orders due."""
    row = twin.positions[twin.dc.code]
    return Claim(
        text=f"Before judging the spike: {row.on_hand} on hand, {row.in_transit} in transit, "
        f"{orders.facts['total_units']} units on {orders.facts['orders']} open orders due by {orders.inputs['until']}.",
        evidence_ids=[f"twin:inventory:{twin.sku.code}@{twin.dc.code}", orders.id],
    )


def demand_spike(tb: Toolbox, refs: Refs) -> Proposal:
    """Confirm a spike against the forecast's p90 after reading the position (on hand, in transit, open orders);
    raise the safety stock and reorder point when it is confirmed, and cover any shortfall either way."""
    twin = _read(tb, refs)
    if isinstance(twin, Proposal):
        return twin
    check = _spike_check(tb, twin)
    orders = _orders_due(twin)
    found = [*_spike_claims(twin, check), _stock_read_claim(twin, orders)]
    facts = {"spike_confirmed": check.confirmed, "days_above_p90": check.days_above_p90}
    query = "verify the spike and update the stock parameters"
    case = _stock_case(tb, twin)
    if not check.confirmed:
        kept_levels = PlanOption(
            name="raise safety stock",
            feasible=False,
            infeasible_reason="actual demand stayed at or below the forecast's p90",
        )
        return _decide(
            tb,
            twin,
            "demand_spike",
            query,
            [*case.options, kept_levels],
            min(check.confidence, case.confidence) if case.target.need > 0 else check.confidence,
            {**case.facts, **facts},
            [check.actual, check.before.evidence, orders, *case.evidence],
            lambda plan: [*found, *_findings(twin, case, plan)],
        )
    old, new = reorder_point(check.before, POLICY), reorder_point(case.forecast, POLICY)
    kept = _never_lower(twin, old, new)
    return _decide(
        tb,
        twin,
        "demand_spike",
        query,
        [_with_raise(option, twin, kept) for option in case.options],
        min(check.confidence, case.confidence),
        {**case.facts, **facts},
        [check.actual, check.before.evidence, orders, old.evidence, new.evidence, kept.evidence, *case.evidence],
        lambda plan: [*found, _raise_claim(old, new, kept), *_findings(twin, case, plan)],
    )


class StockLevels(BaseModel):
    """The safety stock and reorder point a spike sets: never below the stored ones or the pre-spike ones."""

    safety_stock: float
    reorder_point: float
    evidence: Evidence


def _never_lower(twin: SkuTwin, old: ReorderPoint, new: ReorderPoint) -> StockLevels:
    """The stock levels after a spike: the highest of the stored, the pre-spike and the new levels (a spike never
    lowers them, by rule)."""
    row = twin.positions[twin.dc.code]
    safety = max(new.safety_stock, old.safety_stock, float(row.safety_stock or 0))
    point = max(new.units, old.units, float(row.reorder_point or 0))
    evidence = Evidence(
        id=f"rule:spike_levels:{twin.sku.code}@{twin.dc.code}",
        source=SPIKE_RULE,
        inputs={
            "stored_safety_stock": row.safety_stock,
            "stored_reorder_point": row.reorder_point,
            "before_reorder_point": round(old.units, 1),
            "after_reorder_point": round(new.units, 1),
        },
        facts={
            "rule": "a demand spike never lowers the safety stock or the reorder point",
            "safety_stock": round(safety, 1),
            "reorder_point": round(point, 1),
        },
    )
    return StockLevels(safety_stock=safety, reorder_point=point, evidence=evidence)


def _with_raise(option: PlanOption, twin: SkuTwin, levels: StockLevels) -> PlanOption:
    """A stockout plan preceded by setting the new safety stock and reorder point."""
    raise_action = a.RaiseSafetyStock(
        params=a.RaiseSafetyStockParams(
            sku=twin.sku.code,
            location=twin.dc.code,
            safety_stock=round(levels.safety_stock),
            reorder_point=round(levels.reorder_point),
            lead_time_days=LEAD_TIME_DAYS,
            service_level=SERVICE_LEVEL,
        )
    )
    name = "raise safety stock only" if option.name == "no action" else f"raise safety stock and {option.name}"
    actions = [raise_action, *option.actions] if option.feasible else option.actions
    return option.model_copy(update={"name": name, "actions": actions})


def _raise_claim(old: ReorderPoint, new: ReorderPoint, kept: StockLevels) -> Claim:
    """How the spike moves the safety stock and the reorder point (never down)."""
    return Claim(
        text=f"The spike sets safety stock to {format_number(kept.evidence.facts['safety_stock'])} units and "
        f"the reorder point to {format_number(kept.evidence.facts['reorder_point'])}, from "
        f"{format_number(round(old.units, 1))} before the spike; a spike never lowers them.",
        evidence_ids=[old.evidence.id, new.evidence.id, kept.evidence.id],
    )
