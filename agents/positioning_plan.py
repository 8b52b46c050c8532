"""The inventory specialist's positioning plan: before any stockout is raised, the fast-selling SKUs are moved from
DCs with stock to spare towards the DCs where the forecast expects demand their stock cannot serve, and every
position's reorder point follows the forecast, so that the daily review orders ahead of a peak; each transfer and each
new reorder point kept only when the lost sales it avoids are worth more than it costs."""

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
from tools.forecast import Forecast, forecasts, safety_stock
from twin import actions as a
from twin import frames, replenishment, store
from twin import models as m
from twin.typed_pandas import as_series

FAST_SKUS = 20  # the SKUs with the most units sold over the recent weeks are moved between DCs
LEVELS_EXPLAINED = 5  # the reorder point changes explained one by one, the largest lost sales avoided first
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


def _standing_points(history: pd.DataFrame, today: date, lead_days: dict[str, int]) -> dict[tuple[str, str], int]:
    """Each position's standing reorder point on its recent demand, by the company's rule: the floor a reorder point
    following the forecast never goes below."""
    recent = history[history["day"] >= today - timedelta(days=replenishment.RECENT_DEMAND_DAYS)]
    stats = recent.groupby(["sku", "location"])["units"].agg(["mean", "std"]).fillna(0.0)
    return {
        (sku, dc): replenishment.standing_levels(mean, std, lead_days[sku])[1]
        for (sku, dc), mean, std in zip(stats.index, stats["mean"], stats["std"], strict=True)
    }


def _forecast_point(outlook: Forecast, lead_days: int) -> float:
    """The reorder point the forecast asks for: its median demand over the lead time after today's review, and the
    safety stock its error asks for."""
    return sum(day.p50 for day in outlook.days[1 : lead_days + 1]) + safety_stock(outlook, POLICY).units


def _problem(tb: Toolbox, today: date) -> tuple[positioning.PositioningProblem, Rates] | None:
    """Every SKU's stock, safety stock, reorder points (stored, standing and forecast) and demand forecast at every
    DC, the lanes between the DCs of the fast-selling SKUs (none into a position a transfer ordered today feeds) and
    the USD of a unit not sold, from the twin and the demand model."""
    with tb.session() as session:
        fast = _fast_skus(session, today)
        if not fast:
            return None
        skus = {sku.code: sku for sku in session.exec(select(m.Sku).order_by(col(m.Sku.code))).all()}
        codes = sorted(skus)
        rows = [row for code in codes for row in store.positions(session, code)]
        terms = {code: store.supply_term(session, code) for code in codes}
        inbound = replenishment.inbound_schedule(session, codes, today)
        history = frames.demand_frame(session)
        calendar = frames.calendar_frame(session)
        price = rates(session)
        dcs = {dc.code for dc in store.dcs(session)}
        lanes = _lanes(session, price, {code: skus[code] for code in fast}, dcs)
        fed = _sent_today(session, today)
    history = history.assign(day=lambda frame: frame["day"].dt.date)
    standing = _standing_points(history, today, {code: term.regular_lead_days for code, term in terms.items()})
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
            reorder_target=round(
                max(
                    standing.get((row.sku, row.location), 0), _forecast_point(outlook, terms[row.sku].regular_lead_days)
                ),
                1,
            ),
            holding_usd_per_unit=costs.holding_per_unit(price, skus[row.sku].unit_cost, replenishment.ORDER_CYCLE_DAYS),
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


def _reorder_point(level: positioning.LevelChange) -> a.SetReorderPoint:
    """A reorder point change as the action the twin runs, priced at the holding it adds."""
    return a.SetReorderPoint(
        params=a.ReorderPointParams(
            sku=level.sku,
            location=level.dc,
            reorder_point=level.after,
            before=level.before,
            cost_usd=max(0.0, level.holding_usd),
        )
    )


def _option(totals: positioning.PlanTotals) -> PlanOption:
    """One way of positioning the stock: its transfers, its reorder points and the expected lost sales they leave."""
    return PlanOption(
        name=totals.name,
        actions=[*(_transfer(move) for move in totals.moves), *(_reorder_point(level) for level in totals.levels)],
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
    } | {(level.sku, level.dc): sites[level.sku, level.dc].forecast.evidence for level in plan.levels}
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
    """The plan and the ways of positioning it beat; the plan infeasible when no transfer or reorder point pays."""
    options = [_option(plan.totals), *(_option(way) for way in plan.alternatives)]
    if not plan.moves and not plan.levels:
        options[0] = options[0].model_copy(
            update={
                "feasible": False,
                "infeasible_reason": "no transfer or reorder point avoids more lost sales than it costs",
            }
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
        "reorder_points_raised": sum(level.after > level.before for level in plan.levels),
        "reorder_points_lowered": sum(level.after < level.before for level in plan.levels),
        "holding_usd": plan.totals.holding_usd,
        "lost_sales_avoided_usd": round(idle.lost_sales_usd - plan.totals.lost_sales_usd, 2),
    }


def _findings(
    problem: positioning.PositioningProblem,
    plan: positioning.PositioningPlan,
    counts: tuple[int, int],
    comparison_id: str,
) -> list[Claim]:
    """The positions short and with spare, why each transfer is made, the reorder points moved, and what the plan
    leaves against moving every shortfall."""
    (idle, eager), (short, spare) = plan.alternatives[:2], counts
    sites = {(site.sku, site.dc): site for site in problem.sites}
    return [
        Claim(
            text=f"{short} of the {len(problem.sites)} stock positions of the "
            f"{len(problem.lost_sale_usd)} SKUs expect lost sales before their regular orders could "
            f"land ({format_number(idle.expected_lost_units)} units worth {format_usd(idle.lost_sales_usd)}); "
            f"{spare} hold stock above their safety stock and forecast need.",
            evidence_ids=[plan.evidence.id, comparison_id],
        ),
        *(_move_claim(move, sites[move.sku, move.dest].forecast.evidence.id, plan.evidence.id) for move in plan.moves),
        *_level_claims(plan, sites, comparison_id),
        Claim(
            text=f"The plan moves {plan.totals.units_moved} units for {format_usd(plan.totals.transfer_usd)} and "
            f"leaves {format_usd(plan.totals.lost_sales_usd)} of expected lost sales; moving every shortfall would "
            f"cost {format_usd(eager.transfer_usd)} for {format_usd(eager.lost_sales_usd)} left.",
            evidence_ids=[plan.evidence.id, comparison_id],
        ),
    ]


def _level_claims(
    plan: positioning.PositioningPlan, sites: dict[tuple[str, str], positioning.Site], comparison_id: str
) -> list[Claim]:
    """The reorder points moved: how many up and down for what holding, and the largest ones one by one."""
    if not plan.levels:
        return []
    raised = sum(level.after > level.before for level in plan.levels)
    summary = Claim(
        text=f"Reorder points follow the forecast at {len(plan.levels)} positions, {raised} raised and "
        f"{len(plan.levels) - raised} lowered, for {format_usd(plan.totals.holding_usd)} of holding.",
        evidence_ids=[plan.evidence.id, comparison_id],
    )
    largest = sorted(plan.levels, key=lambda level: (-level.avoided_usd, level.sku, level.dc))[:LEVELS_EXPLAINED]
    return [
        summary,
        *(
            Claim(
                text=f"{level.sku} at {level.dc}: reorder point {format_number(level.before)} to "
                f"{format_number(level.after)}, avoiding {format_usd(level.avoided_usd)} of expected lost sales "
                f"for {format_usd(max(0.0, level.holding_usd))} of holding.",
                evidence_ids=[plan.evidence.id, sites[level.sku, level.dc].forecast.evidence.id],
            )
            for level in largest
            if level.after > level.before
        ),
    ]


def _confidence(plan: positioning.PositioningPlan, sites: dict[tuple[str, str], positioning.Site]) -> float:
    """How sure the receiving DCs' needs are: the mean of 1 - (p90 - p10) / (2 p50) of their forecasts (1 with no
    move: nothing rests on a forecast)."""
    spreads = [need_confidence(sites[move.sku, move.dest].forecast) for move in plan.moves]
    return round(sum(spreads) / len(spreads), 4) if spreads else 1.0
