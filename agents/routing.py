"""The routing and carriers specialist: late shipments and carriers booked for stock transfers; its capacity
shortfalls are in `agents.capacity`, its re-plans of a DC's routes in `agents.replan`."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from pydantic import BaseModel

from agents import tradeoffs
from agents.explain import describe_drivers, format_number, format_usd
from agents.proposal import Handoff, PlanOption, Proposal, compare_plans, decided, needs_info, pct
from agents.schemas import Action, Claim, Impact, Refs
from agents.toolbox import Toolbox
from agents.twin_facts import lookup, rates
from tools import carriers, costs
from tools.costs import Rates
from tools.evidence import Evidence
from tools.late_risk import OVERDUE_RULE, LateRisk, score_shipments
from twin import actions as a
from twin import frames, store, tradeoff
from twin import models as m

LATE_RATES = [
    "late_penalty_usd_gold",
    "late_penalty_usd_silver",
    "late_penalty_usd_standard",
    "notified_penalty_share",
    "notify_usd",
    "notify_window_hours",
    "expedite_base_usd",
    "expedite_usd_per_mile",
    "expedite_hours_saved_share",
]


def _score(tb: Toolbox, scenarios: dict[str, pd.DataFrame], now: datetime) -> dict[str, LateRisk]:
    """Late risk of one-row shipment frames at the twin's clock, by scenario label, in one model call; a labelled
    what-if gets its own evidence id (the empty label is the shipment as it stands)."""
    risks = score_shipments(tb.models.late, pd.concat(scenarios.values(), ignore_index=True), now=now)
    for label, risk in zip(scenarios, risks, strict=True):
        if label:
            risk.evidence.id = f"{risk.evidence.id}:{label}"
            risk.evidence.inputs["scenario"] = label
    return dict(zip(scenarios, risks, strict=True))


class Notice(BaseModel):
    """Whether telling a shipment's customer pays: a notification costs `notify_usd` and only lowers the penalty of a
    late delivery to `notified_penalty_share`; a customer is never told twice within `notify_window_hours`. Penalties
    avoided count `weight` times against what a recovery costs: the on-time weight of the trade-off in force."""

    price: costs.Rates
    tier: str
    already: bool
    shipment_id: str
    customer: str
    weight: float = 1.0

    def penalty(self, p_late: float, told: bool) -> float:
        """The expected late penalty of the shipment at `p_late`, its customer told or not."""
        return costs.expected_late_penalty(self.price, p_late, self.tier, notified=told)

    def saving(self, p_late: float) -> float:
        """USD of expected penalty a notification saves at `p_late`: p_late x penalty x (1 - notified share)."""
        return round(self.penalty(p_late, False) - self.penalty(p_late, True), 2)

    def pays(self, p_late: float) -> bool:
        """Whether a new notification is allowed and saves more than it costs at `p_late`."""
        return not self.already and self.weight * self.saving(p_late) > costs.notify(self.price)

    def action(self) -> Action:
        """The notification, priced."""
        return a.NotifyCustomer(
            params=a.NotifyCustomerParams(
                shipment_id=self.shipment_id, customer=self.customer, cost_usd=costs.notify(self.price)
            )
        )

    def notify_option(self, p_late: float, told_at: str | None) -> PlanOption:
        """Telling the customer and nothing else: ruled out within the window or when it cannot pay back."""
        option = PlanOption(
            name="notify customer",
            actions=[self.action()],
            expected_penalty_usd=self.penalty(p_late, True),
            penalty_weight=self.weight,
            impact=Impact.model_validate({"penalty_avoided_usd": self.saving(p_late)}),
        )
        if self.already:
            window = format_number(self.price["notify_window_hours"])
            return PlanOption(
                name=option.name,
                penalty_weight=self.weight,
                feasible=False,
                infeasible_reason=f"the customer was told at {told_at}, within the {window}-hour window",
            )
        if not self.pays(p_late):
            return option.model_copy(
                update={
                    "feasible": False,
                    "infeasible_reason": f"it saves {format_usd(self.saving(p_late))} of expected penalty"
                    f"{self._weighted()} for a {format_usd(costs.notify(self.price))} call",
                }
            )
        return option

    def recovery(self, option: PlanOption, p_before: float, p_after: float) -> PlanOption:
        """A recovery (expedite, carrier switch) with a notification only where one pays at the risk it leaves,
        ruled out unless the expected penalty it avoids exceeds its cost."""
        told = self.already or self.pays(p_after)
        actions = [*option.actions, self.action()] if told and not self.already else option.actions
        avoided = round(max(0.0, self.penalty(p_before, told) - self.penalty(p_after, told)), 2)  # never negative
        recovered = option.model_copy(
            update={
                "actions": actions,
                "expected_penalty_usd": self.penalty(p_after, told),
                "penalty_weight": self.weight,
                "impact": option.impact.model_copy(update={"penalty_avoided_usd": avoided}),
            }
        )
        spent = a.plan_cost(option.actions)
        if option.feasible and self.weight * avoided <= spent:
            return recovered.model_copy(
                update={
                    "feasible": False,
                    "infeasible_reason": f"it avoids {format_usd(avoided)} of expected penalty{self._weighted()} "
                    f"for {format_usd(spent)}",
                }
            )
        return recovered

    def _weighted(self) -> str:
        """How the trade-off weighs avoided penalties, where it does not take them at face value."""
        return f", weighted {format_number(self.weight)} by the trade-off," if self.weight != 1 else ""

    def why_nothing(self, told_at: str | None) -> str:
        """Why no action is taken: the customer was told already, or nothing pays back its cost."""
        if self.already:
            return f"the customer was already notified at {told_at}"
        return "no recovery avoids more expected penalty than it costs"


@dataclass(frozen=True)
class LateCase:
    """What the routing specialist reads from the twin about one shipment at risk of arriving late."""

    shipment: m.Shipment
    found: Evidence
    tier: str
    frame: pd.DataFrame
    offers: list[m.CarrierLane]
    remaining: dict[str, float]
    told: m.CustomerNotification | None
    price: Rates
    trade_off: m.TradeOffRule


def _late_case(tb: Toolbox, refs: Refs, now: datetime) -> Proposal | LateCase:
    """The shipment, its customer's tier, its features, its lane's offers and capacity, its last notice and the
    rates; or the answer that ends the case early: an unknown or an already delivered shipment."""
    with tb.session() as session:
        shipment = session.get(m.Shipment, refs.shipment_id)
        found = lookup("shipment", refs.shipment_id, shipment)
        if shipment is None:
            return needs_info("routing", ["shipment_id"], f"Shipment {refs.shipment_id} is not in the twin.", found)
        tier = store.customer_tier(session, shipment.destination)
        frame = frames.shipment_frame(session, ids=[shipment.id])
        offers = store.carrier_lanes(session, lane=shipment.lane)
        remaining = store.remaining_capacity(session, now)
        told = store.last_notification(session, shipment.id)
        price = rates(session)
        trade_off = tradeoff.applying(tradeoff.in_force(session), tier, shipment.lane)
    found.facts.update(customer_tier=tier, due=f"{shipment.promised_at:%Y-%m-%d %H:%M}")
    if shipment.status == "delivered":
        return needs_info(
            "routing",
            [],
            f"Shipment {shipment.id} is already delivered; nothing to recover.",
            found,
            status="no_action",
        )
    return LateCase(shipment, found, tier, frame, offers, remaining, told, price, trade_off)


def late_shipment(tb: Toolbox, refs: Refs) -> Proposal:
    """Score a shipment's late risk and choose between expediting, switching carrier, notifying, or nothing."""
    now = tb.now()
    case = _late_case(tb, refs, now)
    if isinstance(case, Proposal):
        return case
    shipment, found, tier, price = case.shipment, case.found, case.tier, case.price
    frame, told = case.frame, case.told
    rate_record = price.evidence(LATE_RATES)
    window = timedelta(hours=price["notify_window_hours"])
    notified = told is not None and now - told.at <= window
    if told is not None:
        found.facts["customer_notified_at"] = f"{told.at:%Y-%m-%d %H:%M}"
    hours_saved = round(float(frame["planned_transit_hours"].iat[0]) * price["expedite_hours_saved_share"], 1)
    others = _other_offers(shipment, case.offers, case.remaining)
    scored = _score(tb, _scenarios(frame, hours_saved, others), now)
    risk, expedited = scored[""], scored["expedited"]
    expedited.evidence.inputs["hours_saved"] = hours_saved
    notice = Notice(
        price=price,
        tier=tier,
        already=notified,
        shipment_id=shipment.id,
        customer=shipment.destination,
        weight=case.trade_off.on_time,
    )
    weighed = tradeoffs.cited([case.trade_off], None)
    expedite = _expedite_option(shipment, notice, risk, expedited, hours_saved)
    options = [
        expedite,
        notice.notify_option(risk.p_late, found.facts.get("customer_notified_at")),
        PlanOption(
            name="no action",
            expected_penalty_usd=notice.penalty(risk.p_late, notified),
            penalty_weight=notice.weight,
        ),
    ]
    evidence = [
        found,
        risk.evidence,
        expedited.evidence,
        rate_record,
        weighed,
        tb.guidance(f"late shipment {shipment.id} on lane {shipment.lane}", "late_shipment"),
    ]
    options.extend(_carrier_switches(shipment, others, scored, notice, risk.p_late))
    evidence.extend(scored[f"carrier={offer.carrier}"].evidence for offer in others)
    confidence = max(risk.p_late, 1 - risk.p_late)
    told_at = _told_at(found, notice) if notified else {}
    chosen, alternatives, plan = compare_plans(shipment.id, options, confidence, told_at)
    findings = [
        *_late_findings(shipment, found, tier, risk, price, rate_record),
        *_expedite_finding(shipment, expedite, expedited, hours_saved, plan),
        tradeoffs.claim(weighed),
    ]
    why = f": {notice.why_nothing(found.facts.get('customer_notified_at'))}" if not chosen.actions else ""
    return decided(
        "routing",
        chosen,
        alternatives,
        plan,
        evidence,
        findings,
        f"Chosen: {chosen.name} for {shipment.id}{why}.",
        confidence,
    )


def _scenarios(frame: pd.DataFrame, hours_saved: float, others: list[m.CarrierLane]) -> dict[str, pd.DataFrame]:
    """The shipment's frame as it stands, expedited by `hours_saved`, and with each other carrier, by scenario label."""
    return {
        "": frame,
        "expedited": frame.assign(slack_hours=frame["slack_hours"] + hours_saved),
        **{f"carrier={offer.carrier}": frame.assign(carrier=offer.carrier) for offer in others},
    }


def _told_at(found: Evidence, notice: Notice) -> dict[str, object]:
    """When the customer was told and the window within which a notice is not repeated, as plan facts."""
    return {
        "customer_notified_at": found.facts["customer_notified_at"],
        "notify_window_hours": notice.price["notify_window_hours"],
    }


def _late_findings(
    shipment: m.Shipment, found: Evidence, tier: str, risk: LateRisk, price: Rates, rate_record: Evidence
) -> list[Claim]:
    """When the shipment is due and for whom, what the late-risk model says, and what a late delivery costs."""
    return [
        Claim(
            text=f"Shipment {shipment.id} on lane {shipment.lane} is due at "
            f"{found.facts['due']} UTC for a {tier} customer.",
            evidence_ids=[found.id],
        ),
        _risk_claim(risk),
        Claim(
            text=f"A late delivery to a {tier} customer costs {format_usd(costs.late_penalty(price, tier))}; a "
            f"customer told early bears {pct(price['notified_penalty_share'])} of it.",
            evidence_ids=[rate_record.id],
        ),
    ]


def _expedite_option(
    shipment: m.Shipment, notice: Notice, risk: LateRisk, expedited: LateRisk, hours_saved: float
) -> PlanOption:
    """Expediting the final leg (with a notification where one pays), unless the shipment is expedited already."""
    return notice.recovery(
        PlanOption(
            name="expedite final leg",
            actions=[
                a.ExpediteShipment(
                    params=a.ExpediteShipmentParams(
                        shipment_id=shipment.id,
                        hours_saved=hours_saved,
                        cost_usd=costs.expedite_shipment(notice.price, shipment.distance_miles),
                    )
                )
            ],
            impact=Impact(late_deliveries_avoided=round(risk.p_late - expedited.p_late, 2)),
            feasible=shipment.service != "expedited",
            infeasible_reason=f"{shipment.id} is already expedited",
        ),
        risk.p_late,
        expedited.p_late,
    )


def _expedite_finding(
    shipment: m.Shipment, expedite: PlanOption, expedited: LateRisk, hours_saved: float, plan: Evidence
) -> list[Claim]:
    """What expediting would save and cost, for a shipment not expedited already."""
    if shipment.service == "expedited":
        return []
    return [
        Claim(
            text=f"Expediting saves {format_number(hours_saved)} hours and lowers P(late) to "
            f"{pct(expedited.p_late)} for {format_usd(expedite.cost_usd)}.",
            evidence_ids=[expedited.evidence.id, plan.id],
        )
    ]


def _risk_claim(risk: LateRisk) -> Claim:
    """What the late-risk model (or the overdue rule) says, with its drivers."""
    if risk.evidence.source.model == OVERDUE_RULE.model:
        return Claim(
            text=f"The shipment is past its promised time and not delivered: P(late) is "
            f"{pct(risk.p_late)} by rule; model drivers: {describe_drivers(risk.drivers)}.",
            evidence_ids=[risk.evidence.id],
        )
    return Claim(
        text=f"The late-risk model puts P(late) at {pct(risk.p_late)}; top drivers: {describe_drivers(risk.drivers)}.",
        evidence_ids=[risk.evidence.id],
    )


def _other_offers(
    shipment: m.Shipment, offers: list[m.CarrierLane], remaining: dict[str, float]
) -> list[m.CarrierLane]:
    """The lane's offers of carriers other than the shipment's own with capacity left (none for an own truck)."""
    if not shipment.carrier:
        return []
    return [offer for offer in offers if offer.carrier != shipment.carrier and remaining.get(offer.carrier, 0) >= 1]


def _carrier_switches(
    shipment: m.Shipment, others: list[m.CarrierLane], scored: dict[str, LateRisk], notice: "Notice", p_late: float
) -> list[PlanOption]:
    """Handing the rest of the trip to each other carrier on the lane with capacity left, its late risk scored by the
    model (`scored` holds each carrier's what-if): the plan comparison weighs them like any other recovery."""
    return [
        notice.recovery(
            PlanOption(
                name=f"switch to {offer.carrier}",
                actions=[
                    a.SwitchCarrier(
                        params=a.SwitchCarrierParams(
                            shipment_id=shipment.id,
                            from_carrier=shipment.carrier,
                            to_carrier=offer.carrier,
                            cost_usd=costs.carrier_move(offer.rate_per_mile, shipment.distance_miles / 2),
                        )
                    )
                ],
            ),
            p_late,
            scored[f"carrier={offer.carrier}"].p_late,
        )
        for offer in others
    ]


def handle_handoff(tb: Toolbox, handoff: Handoff) -> Proposal:
    """Serve a request from another specialist: re-plan without trucks, or book a carrier for a transfer."""
    request = handoff.request
    if request.get("kind") == "replan_without_truck":
        from agents import replan  # the route solvers load only for a re-plan, not for every routing decision

        return replan.replan_without_truck(tb, request["truck"], handoff.reason, request.get("also_out"))
    if request.get("kind") == "expedite_transfer":
        return expedite_transfer(tb, request["lane"], request["sku"], request["units"], handoff.reason)
    raise ValueError(f"routing cannot serve hand-off {request!r}")


def expedite_transfer(tb: Toolbox, lane_code: str, sku: str, units: int, reason: str) -> Proposal:
    """Book the best carrier with capacity left this week for a stock transfer that must arrive before promised
    orders."""
    with tb.session() as session:
        offers = store.carrier_lanes(session, lane=lane_code)
        lane = store.row(session, m.Lane, lane_code)
        remaining = store.remaining_capacity(session, tb.now())
    options = [
        carriers.CarrierOption.of(o, int(remaining.get(o.carrier, 0)))
        for o in offers
        if remaining.get(o.carrier, 0) >= 1
    ]
    found = lookup("lane", lane_code, lane)
    if not options:
        return needs_info(
            "routing", [], f"No carrier on lane {lane_code} has capacity left this week.", found, status="no_action"
        )
    ranking = carriers.rank_carriers(options, miles=lane.distance_miles)
    best = next(option for option in options if option.carrier == ranking.chosen)
    plans = [
        PlanOption(
            name=f"book {best.carrier}",
            actions=[
                a.BookCarrier(
                    params=a.BookCarrierParams(
                        lane=lane.code,
                        carrier=best.carrier,
                        transfer_sku=sku,
                        units=units,
                        cost_usd=costs.carrier_move(best.rate_per_mile, lane.distance_miles),
                    )
                )
            ],
        )
    ]
    chosen, alternatives, comparison = compare_plans(
        f"{lane.code}-transfer",
        plans,
        best.on_time_prob,
        {"lane": lane.code, "sku": sku, "units": units, "origin": lane.origin, "destination": f"DC-{lane.dest_region}"},
    )
    findings = [
        Claim(
            text=f"{reason} On lane {lane.code}, {best.carrier} ranks first with on-time "
            f"{pct(best.on_time_prob)} for {format_usd(chosen.cost_usd)}.",
            evidence_ids=[ranking.evidence.id, comparison.id],
        )
    ]
    return decided(
        "routing",
        chosen,
        alternatives,
        comparison,
        [ranking.evidence],
        findings,
        f"Chosen: book {best.carrier} on {lane.code}.",
        best.on_time_prob,
    )


def now_utc(tb: Toolbox) -> datetime:
    """The twin's clock (re-exported for the detectors)."""
    return tb.now()
