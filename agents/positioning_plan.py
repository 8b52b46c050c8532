"""The inventory specialist's positioning plan: before any stockout is raised, the fast-selling SKUs are moved from
DCs with stock to spare towards the DCs where the forecast expects demand their stock cannot serve, each transfer
kept only when the lost sales it avoids are worth more than it costs."""

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlmodel import Session, col, select

from agents.explain import format_number, format_usd
from agents.inventory import (
    HORIZON_DAYS,
    POLICY,
    STOCK_RATES,
    lane_rates,
    need_confidence,
    transfer_lead_days,
)
from agents.proposal import PlanOption, Proposal, compare_plans, decided, needs_info
from agents.schemas import Claim, Impact
from agents.toolbox import Toolbox
from agents.twin_facts import lookup, rates
from tools import costs, positioning
from tools.costs import Rates
from tools.forecast import forecasts, safety_stock
from twin import actions as a
from twin import frames, replenishment, store
from twin import models as m
from twin.typed_pandas import as_series

PLAN = "positioning plan"
FAST_SKUS = 20  # the SKUs with the most units sold over the recent weeks are positioned
RECENT_DAYS = 28


def _fast_skus(session: Session, today: date) -> list[str]:
    """The SKUs that sold the most units over the recent weeks, most first."""
    since = today - timedelta(days=RECENT_DAYS)
    rows = session.exec(
        select(col(m.DemandHistory.sku), col(m.DemandHistory.units)).where(col(m.DemandHistory.day) >= since)
    ).all()
    sold = as_series(pd.DataFrame(rows, columns=["sku", "units"]).groupby("sku")["units"].sum())
    return list(sold.sort_values(ascending=False, kind="stable").index[:FAST_SKUS])


def _lanes(session: Session, price: Rates, skus: dict[str, m.Sku], dcs: set[str]) -> list[positioning.Lane]:
    """Every DC-to-DC lane for every SKU, priced per unit like a transfer the desk proposes (the cheapest contract
    rate's truckload share by weight plus handling) with its lead time."""
    dc_of = {dc.region: dc.code for dc in store.dcs(session)}
    return [
        positioning.Lane(
            sku=sku.code,
            origin=lane.origin,
            dest=dc_of[lane.dest_region],
            cost_per_unit=costs.transfer_per_unit(price, rate, lane.distance_miles, sku.weight_kg, costs.TRUCKLOAD_KG),
            lead_days=transfer_lead_days(lane.distance_miles),
        )
        for lane, rate in lane_rates(session)
        for sku in skus.values()
        if lane.origin in dcs and dc_of.get(lane.dest_region, lane.origin) != lane.origin
    ]


def _sent_today(session: Session, today: date) -> set[tuple[str, str]]:
    """The (SKU, DC) positions a transfer ordered today already feeds: the decision that ordered it owns them."""
    start = datetime.combine(today, time.min, tzinfo=UTC)
    orders = session.exec(select(m.TransferOrder).where(col(m.TransferOrder.created_at) >= start)).all()
    return {(order.sku, order.destination) for order in orders}


def _problem(tb: Toolbox, today: date) -> tuple[positioning.PositioningProblem, Rates] | None:
    """The fast-selling SKUs' stock, safety stock and demand forecast at every DC, the lanes between the DCs (none
    into a position a transfer ordered today feeds) and the USD of a unit not sold, from the twin and the demand
    model."""
    with tb.session() as session:
        codes = _fast_skus(session, today)
        if not codes:
            return None
        skus = {code: store.row(session, m.Sku, code) for code in codes}
        rows = [row for code in codes for row in store.positions(session, code)]
        terms = {code: store.supply_term(session, code) for code in codes}
        inbound = replenishment.inbound_schedule(session, codes, today)
        history = frames.demand_frame(session)
        calendar = frames.calendar_frame(session)
        price = rates(session)
        dcs = {dc.code for dc in store.dcs(session)}
        lanes = _lanes(session, price, skus, dcs)
        fed = _sent_today(session, today)
    history = history[history["sku"].isin(codes)].assign(day=lambda frame: frame["day"].dt.date)
    observed = set(zip(history["sku"], history["location"], strict=True))
    rows = [row for row in rows if (row.sku, row.location) in observed]
    last_day = as_series(history["day"]).max()
    if not isinstance(last_day, date):
        raise ValueError(f"no demand history of the fast-selling SKUs {codes}")
    outlooks = forecasts(
        tb.models.demand,
        history,
        [{"sku": row.sku, "location": row.location} for row in rows],
        HORIZON_DAYS,
        as_of=last_day,
        explain=[],
        calendar=calendar,
    )
    sites = [
        positioning.Site(
            sku=row.sku,
            dc=row.location,
            on_hand=max(0, row.on_hand - row.allocated),
            in_transit=row.in_transit,
            inbound=inbound.get((row.sku, row.location), []),
            safety_stock=round(max(float(row.safety_stock), safety_stock(outlook, POLICY).units), 1),
            reorder_point=row.reorder_point,
            lead_days=terms[row.sku].regular_lead_days,
            forecast=outlook,
            window_days=replenishment.exposure_days(terms[row.sku]),
        )
        for row, outlook in zip(rows, outlooks, strict=True)
    ]
    held = {(site.sku, site.dc) for site in sites}
    problem = positioning.PositioningProblem(
        sites=sites,
        lanes=[x for x in lanes if {(x.sku, x.origin), (x.sku, x.dest)} <= held and (x.sku, x.dest) not in fed],
        lost_sale_usd={
            code: costs.stockout(price, 1.0, skus[code].unit_price - skus[code].unit_cost) for code in codes
        },
    )
    return problem, price


def _transfer(move: positioning.Move) -> a.TransferStock:
    """A move as the transfer order the twin runs."""
    return a.TransferStock(
        params=a.TransferStockParams.between(
            move.sku, move.origin, move.dest, move.qty, lead_days=move.lead_days, cost_usd=move.cost_usd
        )
    )


def _option(name: str, totals: positioning.PlanTotals, moves: list[positioning.Move]) -> PlanOption:
    """One way of positioning the stock: its transfers and the expected lost sales they leave."""
    return PlanOption(
        name=name,
        actions=[_transfer(move) for move in moves],
        expected_penalty_usd=totals.lost_sales_usd,
        impact=Impact.model_validate(
            {"units_at_risk": totals.expected_lost_units, "units_moved": totals.units_moved, "transfers": totals.moves}
        ),
    )


def _move_claim(move: positioning.Move, forecast_id: str, plan_id: str) -> Claim:
    """Why one transfer is made: the forecast and safety stock at both ends, and what it avoids against its cost."""
    return Claim(
        text=f"Move {move.qty} {move.sku} from {move.origin} to {move.dest}, landing in {move.lead_days} days: "
        f"{move.dest} holds {format_number(move.dest_stock)} units for a forecast of "
        f"{format_number(move.dest_forecast)} before its regular order could land in {move.window_days} days; "
        f"{move.origin} keeps "
        f"{format_number(move.origin_left)} on hand, above its safety stock of "
        f"{format_number(move.origin_safety_stock)}. It avoids {format_usd(move.avoided_usd)} of expected lost sales "
        f"for {format_usd(move.cost_usd)}.",
        evidence_ids=[plan_id, forecast_id],
    )


def plan_positions(tb: Toolbox, day: date) -> Proposal:
    """The day's positioning of the fast-selling SKUs (the twin's current day: stock and forecasts are read now),
    compared with no action and with covering every expected shortfall whatever it costs."""
    today = tb.now().date()
    found = lookup("positioning_plan", day.isoformat(), None)
    if day != today:
        found.facts["today"] = today.isoformat()
        return needs_info("inventory", ["day"], f"A positioning plan starts on the twin's current day, {today}.", found)
    built = _problem(tb, today)
    if built is None:
        return needs_info("inventory", [], "No SKU sold over the recent weeks.", found, status="no_action")
    problem, price = built
    plan = positioning.plan_positioning(problem)
    sites = {(site.sku, site.dc): site for site in problem.sites}
    counts = _counts(problem)
    chosen, alternatives, comparison = compare_plans(
        f"positioning-{day}", _options(plan), _confidence(plan, sites), _comparison_facts(day, problem, plan, counts)
    )
    cited = {
        (move.sku, dc): sites[move.sku, dc].forecast.evidence for move in plan.moves for dc in (move.origin, move.dest)
    }
    return decided(
        "inventory",
        chosen,
        alternatives,
        comparison,
        [
            price.evidence(STOCK_RATES),
            plan.evidence,
            *cited.values(),
            tb.guidance(f"stock positioning of {day}", "positioning_plan"),
        ],
        _findings(problem, plan, counts, comparison.id),
        f"Chosen: {chosen.name} for {day} ({format_usd(chosen.expected_total_usd)} expected).",
        _confidence(plan, sites),
    )


def _options(plan: positioning.PositioningPlan) -> list[PlanOption]:
    """The plan and the ways of positioning it beat; the plan infeasible when no transfer pays."""
    options = [_option(PLAN, plan.totals, plan.moves), *(_option(w.name, w, w.moves) for w in plan.alternatives)]
    if not plan.moves:
        options[0] = options[0].model_copy(
            update={"feasible": False, "infeasible_reason": "no transfer avoids more lost sales than it costs"}
        )
    return options


def _counts(problem: positioning.PositioningProblem) -> tuple[int, int]:
    """How many positions expect a lost sale before their regular order could land, and how many hold stock above
    their safety stock and forecast need."""
    short = sum(site.lost(0.0, []) >= 1 for site in problem.sites)
    return short, sum(site.surplus >= 1 for site in problem.sites)


def _comparison_facts(
    day: date, problem: positioning.PositioningProblem, plan: positioning.PositioningPlan, counts: tuple[int, int]
) -> dict[str, str | int | float]:
    """What the comparison of the ways of positioning records beside their totals."""
    idle, (short, spare) = plan.alternatives[0], counts
    return {
        "day": day.isoformat(),
        "skus": len(problem.lost_sale_usd),
        "positions": len(problem.sites),
        "dcs_short": short,
        "dcs_with_spare": spare,
        "transfer_usd": plan.totals.transfer_usd,
        "lost_sales_avoided_usd": round(idle.lost_sales_usd - plan.totals.lost_sales_usd, 2),
    }


def _findings(
    problem: positioning.PositioningProblem,
    plan: positioning.PositioningPlan,
    counts: tuple[int, int],
    comparison_id: str,
) -> list[Claim]:
    """The positions short and with spare, why each transfer is made, and what the plan leaves against moving every
    shortfall."""
    (idle, eager), (short, spare) = plan.alternatives, counts
    sites = {(site.sku, site.dc): site for site in problem.sites}
    return [
        Claim(
            text=f"{short} of the {len(problem.sites)} stock positions of the "
            f"{len(problem.lost_sale_usd)} fastest-selling SKUs expect lost sales before their regular orders could "
            f"land ({format_number(idle.expected_lost_units)} units worth {format_usd(idle.lost_sales_usd)}); "
            f"{spare} hold stock above their safety stock and forecast need.",
            evidence_ids=[plan.evidence.id, comparison_id],
        ),
        *(_move_claim(move, sites[move.sku, move.dest].forecast.evidence.id, plan.evidence.id) for move in plan.moves),
        Claim(
            text=f"The plan moves {plan.totals.units_moved} units for {format_usd(plan.totals.transfer_usd)} and "
            f"leaves {format_usd(plan.totals.lost_sales_usd)} of expected lost sales; moving every shortfall would "
            f"cost {format_usd(eager.transfer_usd)} for {format_usd(eager.lost_sales_usd)} left.",
            evidence_ids=[plan.evidence.id, comparison_id],
        ),
    ]


def _confidence(plan: positioning.PositioningPlan, sites: dict[tuple[str, str], positioning.Site]) -> float:
    """How sure the receiving DCs' needs are: the mean of 1 - (p90 - p10) / (2 p50) of their forecasts (1 with no
    move: nothing rests on a forecast)."""
    spreads = [need_confidence(sites[move.sku, move.dest].forecast) for move in plan.moves]
    return round(sum(spreads) / len(spreads), 4) if spreads else 1.0
