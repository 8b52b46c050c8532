"""Outcomes: whether each executed decision achieved what it meant to on the twin, with the facts that show it."""

import math
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, overload

from sqlalchemy import func
from sqlmodel import Session, col, select

from agents.schemas import Decision, ExceptionType, Outcome, OutcomeStatus, Refs
from agents.toolbox import Toolbox
from tools.evidence import Evidence, Source
from twin import actions as a
from twin import activations, store
from twin import models as m

OUTCOME_SOURCE = Source(tool="outcomes", model="twin-check", version="1")
ACTED = ("executed", "overridden")
STOCK_WATCH_DAYS = 7  # a stockout avoided means no unmet demand at the position for a week
CAPACITY_WATCH_DAYS = 7  # capacity covered means no refused tender on the carrier for the week of the shortfall
PLAN_WEEK_DAYS = 7  # a weekly maintenance plan is judged once its week is over

Check = tuple[OutcomeStatus, str, dict[str, Any]]  # the status, the goal and the facts that show it
Checker = Callable[[Session, Decision, Refs, datetime, datetime], Check]


@overload
def _aware(moment: datetime, like: datetime) -> datetime: ...
@overload
def _aware(moment: datetime | None, like: datetime) -> datetime | None: ...
def _aware(moment: datetime | None, like: datetime) -> datetime | None:
    """A datetime in the same awareness as `like` (SQLite hands back naive UTC)."""
    return moment.replace(tzinfo=like.tzinfo) if moment is not None and moment.tzinfo is None else moment


def _delivery(session: Session, decision: Decision, refs: Refs, since: datetime, now: datetime) -> Check:
    """A late-shipment decision: was the shipment delivered by its promised time?"""
    goal = f"shipment {refs.shipment_id} delivered by its promised time"
    shipment = session.get(m.Shipment, refs.shipment_id)
    if shipment is None:
        return "pending", goal, {"found": False}
    promised, delivered = _aware(shipment.promised_at, now), _aware(shipment.delivered_at, now)
    facts: dict[str, Any] = {
        "promised_at": promised.isoformat(),
        "delivered_at": delivered.isoformat() if delivered else None,
        "carrier": shipment.carrier,
    }
    if delivered is not None:
        facts["hours_late"] = round(max(0.0, (delivered - promised).total_seconds() / 3600), 1)
        return ("achieved" if delivered <= promised else "not_achieved"), goal, facts
    if now > promised:
        facts["hours_late"] = round((now - promised).total_seconds() / 3600, 1)
        return "not_achieved", goal, facts
    return "pending", goal, facts


def _short_days(session: Session, sku: str, dc: str, first: date, last: date) -> list[tuple[date, int]]:
    """The days from `first` (until `last`, excluded) a position left demand unmet, with the units."""
    return list(
        session.exec(
            select(col(m.DemandHistory.day), col(m.DemandHistory.unmet))
            .where(
                col(m.DemandHistory.sku) == sku,
                col(m.DemandHistory.location) == dc,
                col(m.DemandHistory.day) >= first,
                col(m.DemandHistory.day) < last,
                col(m.DemandHistory.unmet) > 0,
            )
            .order_by(col(m.DemandHistory.day))
        ).all()
    )


def _stock(session: Session, decision: Decision, refs: Refs, since: datetime, now: datetime) -> Check:
    """A stock decision: no unmet demand at the position in the week after it."""
    goal = f"no stockout of {refs.sku} at {refs.location} for {STOCK_WATCH_DAYS} days"
    first, last = since.date(), since.date() + timedelta(days=STOCK_WATCH_DAYS)
    short = _short_days(session, refs.sku or "", refs.location or "", first, last)
    position = store.position(session, refs.sku or "", refs.location or "")
    facts = {
        "watched_from": first.isoformat(),
        "watched_until": last.isoformat(),
        "stockout_days": [{"day": day.isoformat(), "unmet_units": unmet} for day, unmet in short],
        "on_hand": position.on_hand if position else None,
        "in_transit": position.in_transit if position else None,
    }
    if short:
        return "not_achieved", goal, facts
    return ("achieved" if now.date() >= last else "pending"), goal, facts


def _service(session: Session, decision: Decision, refs: Refs, since: datetime, now: datetime) -> Check:
    """A maintenance decision: the truck serviced before it failed."""
    goal = f"truck {refs.asset_id} serviced before it fails"
    booked = session.exec(select(m.WorkOrder).where(col(m.WorkOrder.decision_id) == decision.decision_id)).all()
    failures = session.exec(
        select(m.WorkOrder)
        .where(
            col(m.WorkOrder.truck) == refs.asset_id,
            col(m.WorkOrder.kind) == "corrective",
            col(m.WorkOrder.opened_at) >= since,
        )
        .order_by(col(m.WorkOrder.opened_at))
    ).all()
    closed = [_aware(order.closed_at, now) for order in booked if order.status == "closed" and order.closed_at]
    failed = [_aware(order.opened_at, now) for order in failures]
    facts = {
        "work_orders": [
            {"id": o.id, "status": o.status, "closed_at": o.closed_at.isoformat() if o.closed_at else None}
            for o in booked
        ],
        "failures": [{"id": o.id, "opened_at": o.opened_at.isoformat(), "component": o.component} for o in failures],
    }
    if failed and (not closed or failed[0] < min(closed)):
        return "not_achieved", goal, facts
    if closed:
        return "achieved", goal, facts
    return "pending", goal, facts


def _capacity(session: Session, decision: Decision, refs: Refs, since: datetime, now: datetime) -> Check:
    """A capacity decision: no load of the carrier refused for want of a cover during the shortfall's week."""
    goal = f"loads of {refs.carrier} covered for {CAPACITY_WATCH_DAYS} days"
    until = since + timedelta(days=CAPACITY_WATCH_DAYS)
    kinds = session.exec(
        select(col(m.ScanEvent.kind), func.count())
        .join(m.Shipment, col(m.Shipment.id) == col(m.ScanEvent.shipment_id))
        .where(
            col(m.ScanEvent.kind).in_(("tender_refused", "tender_covered")),
            col(m.Shipment.shipped_at) >= since,
            col(m.Shipment.shipped_at) < until,
            (col(m.Shipment.carrier) == refs.carrier) | (col(m.ScanEvent.kind) == "tender_covered"),
        )
        .group_by(col(m.ScanEvent.kind))
    ).all()
    counts = dict(kinds)
    facts = {
        "watched_from": since.isoformat(),
        "watched_until": until.isoformat(),
        "refused_loads": counts.get("tender_refused", 0),
        "covered_loads": counts.get("tender_covered", 0),
    }
    if facts["refused_loads"]:
        return "not_achieved", goal, facts
    return ("achieved" if now >= until else "pending"), goal, facts


def _tenders(session: Session, decision: Decision, refs: Refs, since: datetime, now: datetime) -> Check:
    """A tender plan: did the day's carrier shipments arrive with no more late loads than the plan expected?"""
    expected = decision.expected_impact.model_dump().get("expected_late_loads") or 0.0
    goal = f"the carrier shipments of {refs.day} delivered with at most {expected} late loads (rounded up)"
    start = datetime.combine(date.fromisoformat(refs.day or ""), datetime.min.time(), tzinfo=UTC)
    shipped = session.exec(
        select(m.Shipment).where(
            col(m.Shipment.carrier).is_not(None),
            col(m.Shipment.shipped_at) >= start,
            col(m.Shipment.shipped_at) < start + timedelta(days=1),
        )
    ).all()
    delivered = [s for s in shipped if s.delivered_at is not None]
    late = sum(
        1
        for s in delivered
        if s.delivered_at and s.delivered_at.replace(tzinfo=None) > s.promised_at.replace(tzinfo=None)
    )
    facts = {"shipments": len(shipped), "delivered": len(delivered), "late": late}
    if late > math.ceil(expected):
        return "not_achieved", goal, facts
    return ("achieved" if len(delivered) == len(shipped) else "pending"), goal, facts


def _positions(session: Session, decision: Decision, refs: Refs, since: datetime, now: datetime) -> Check:
    """A positioning plan: did the DCs it moved stock between serve every order of the moved SKUs for a week?"""
    goal = f"no stockout of a moved SKU at the DCs it left or reached for {STOCK_WATCH_DAYS} days from {refs.day}"
    first, last = since.date(), since.date() + timedelta(days=STOCK_WATCH_DAYS)
    moved = sorted(
        {
            (x.params.sku, dc)
            for x in decision.actions
            if isinstance(x, a.TransferStock)
            for dc in (x.params.from_, x.params.to)
        }
    )
    short = {
        f"{sku}@{dc}": [{"day": day.isoformat(), "unmet_units": unmet} for day, unmet in days]
        for sku, dc in moved
        if (days := _short_days(session, sku, dc, first, last))
    }
    facts = {"watched_until": last.isoformat(), "positions": len(moved), "stockouts": short}
    if short:
        return "not_achieved", goal, facts
    return ("achieved" if now.date() >= last else "pending"), goal, facts


def _before_visit(failure: m.WorkOrder, visit: m.WorkOrder) -> bool:
    """Whether a breakdown came before the planned visit closed (SQLite hands back naive UTC)."""
    closed = visit.closed_at
    return closed is None or failure.opened_at.replace(tzinfo=None) < closed.replace(tzinfo=None)


def _week_of_visits(session: Session, decision: Decision, refs: Refs, since: datetime, now: datetime) -> Check:
    """A weekly maintenance plan: did every truck it booked reach its visit without breaking down first?"""
    goal = f"every truck booked for the week of {refs.day} serviced before it fails"
    start = datetime.combine(date.fromisoformat(refs.day or ""), datetime.min.time(), tzinfo=UTC)
    ends = start + timedelta(days=PLAN_WEEK_DAYS)
    booked = session.exec(select(m.WorkOrder).where(m.WorkOrder.decision_id == decision.decision_id)).all()
    visits = {order.truck: order for order in booked}
    failures = session.exec(
        select(m.WorkOrder)
        .where(col(m.WorkOrder.truck).in_(sorted(visits)), m.WorkOrder.kind == "corrective")
        .where(col(m.WorkOrder.opened_at) >= start)
        .order_by(col(m.WorkOrder.opened_at))
    ).all()
    before = [order for order in failures if _before_visit(order, visits[order.truck])]
    facts = {
        "week_ends": ends.isoformat(),
        "visits": [{"truck": o.truck, "id": o.id, "status": o.status} for o in booked],
        "failed_before_visit": [{"truck": o.truck, "id": o.id, "opened_at": o.opened_at.isoformat()} for o in before],
    }
    if before:
        return "not_achieved", goal, facts
    done = now >= ends and all(o.status == "closed" for o in booked)
    return ("achieved" if done else "pending"), goal, facts


def _model_version(session: Session, decision: Decision, refs: Refs, _since: datetime, _now: datetime) -> Check:
    """A drifted model's rollback: is the version it put back still in force?"""
    wanted = [action.params.to_version for action in decision.actions if isinstance(action, a.RollbackModel)]
    goal = f"model {refs.model} back at version {', '.join(wanted)}"
    in_force = activations.latest(session, refs.model or "")
    facts = {"in_force": in_force.version if in_force else None}
    return ("achieved" if in_force and in_force.version in wanted else "not_achieved"), goal, facts


CHECKS: dict[ExceptionType, Checker] = {
    ExceptionType.late_shipment: _delivery,
    ExceptionType.stockout_risk: _stock,
    ExceptionType.demand_spike: _stock,
    ExceptionType.equipment_failure_risk: _service,
    ExceptionType.carrier_capacity: _capacity,
    ExceptionType.tender_plan: _tenders,
    ExceptionType.maintenance_plan: _week_of_visits,
    ExceptionType.positioning_plan: _positions,
    ExceptionType.model_drift: _model_version,
}


def check(
    session: Session, decision: Decision, exception_type: ExceptionType, refs: Refs, since: datetime, now: datetime
) -> Outcome:
    """The outcome of one executed decision now, watched since a moment of the twin's clock."""
    status, goal, facts = CHECKS[exception_type](session, decision, refs, since, now)
    evidence = Evidence(
        id=f"outcome:{decision.decision_id}",
        source=OUTCOME_SOURCE,
        inputs={
            "decision_id": decision.decision_id,
            "exception_type": exception_type.value,
            "refs": refs.present(),
            "actions": [a.type for a in decision.actions],
        },
        facts={"status": status, **facts},
    )
    return Outcome(status=status, goal=goal, since=since, checked_at=now, evidence=evidence)


def record_outcomes(tb: Toolbox) -> list[Decision]:
    """Check every executed decision whose outcome is not settled yet; store and audit the changes."""
    now = tb.now()
    changed: list[Decision] = []
    with tb.session() as session:
        rows = session.exec(
            select(m.DecisionRecord, m.ExceptionRecord)
            .join(m.ExceptionRecord, col(m.ExceptionRecord.id) == col(m.DecisionRecord.exception_id))
            .where(col(m.DecisionRecord.status).in_(ACTED))
            .order_by(col(m.DecisionRecord.id))
        ).all()
        for record, exception in rows:
            decision = Decision.of(record)
            if (decision.outcome and decision.outcome.status != "pending") or exception.type is None:
                continue
            since = decision.outcome.since if decision.outcome else now
            outcome = check(
                session, decision, ExceptionType(exception.type), Refs.model_validate(exception.refs), since, now
            )
            if decision.outcome and decision.outcome.status == outcome.status:
                continue
            decision = decision.model_copy(update={"outcome": outcome})
            decision.store(record)
            session.add(record)
            session.add(
                m.AuditEvent(
                    at=datetime.now(UTC),
                    actor="outcomes",
                    kind="decision.outcome",
                    exception_id=exception.id,
                    decision_id=decision.decision_id,
                    detail={"status": outcome.status, "goal": outcome.goal},
                )
            )
            changed.append(decision)
        session.commit()
    for decision in changed:
        if decision.outcome is not None and decision.outcome.status != "pending":
            tb.knowledge.set_outcome(decision.decision_id, decision.outcome.status)
    return changed
