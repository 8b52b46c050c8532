"""The `yardmaster demo` day: detection and a day of exceptions through the desk, approvals, the KPI deltas and the
attribution of its decisions."""

from collections import Counter

from rich.console import Console
from rich.table import Table

from agents import attribution, detectors
from agents.schemas import Decision, ExceptionIn, ExceptionType, Refs
from cli.attribution import print_report
from graph.desk import Desk
from graph.state import Verdict
from twin.actions import NotifyCustomer, SwitchCarrier

DAY_OF_EXCEPTIONS = [
    ExceptionIn(
        type=ExceptionType.carrier_capacity,
        refs=Refs(carrier="CAR-REDRIVER"),
        source="tms",
        description="Red River tells us it loses 30% of its capacity next week",
    ),
    ExceptionIn(description="Customer called: shipment SHP-009300 has not arrived and looks late", source="chat"),
    ExceptionIn(description="Something is wrong in Dallas, please check", source="chat"),
    ExceptionIn(type=ExceptionType.late_shipment, refs=Refs(shipment_id="SHP-999999"), source="tms"),
]


def kpis(desk: Desk) -> dict[str, float]:
    """Risks the detectors still see, and what the decisions so far cost and saved."""
    raised = Counter(
        e.type
        for e in detectors.late_shipments(desk.toolbox)
        + detectors.stock_positions(desk.toolbox)
        + detectors.trucks(desk.toolbox)
    )
    return {f"{kind} risks": float(raised.get(kind, 0)) for kind in ExceptionType}


def approve_waiting(desk: Desk, decision: Decision) -> Decision:
    """Approve a waiting decision; a carrier switch is overridden with notifying the customer, as SOP-LATE-01 asks
    for a confirmed cause before switching."""
    if decision.status != "pending_approval" or decision.duplicate_of:
        return decision  # a duplicate's decision gets its verdict on the row of the exception it merged into
    notify = next(
        (
            alt.actions
            for alt in decision.alternatives
            if len(alt.actions) == 1 and isinstance(alt.actions[0], NotifyCustomer)
        ),
        None,
    )
    if notify and any(isinstance(item, SwitchCarrier) for item in decision.actions):
        return desk.resume(
            decision.decision_id,
            Verdict(
                verdict="override",
                actor="demo-planner",
                actions=notify,
                reason="no confirmed cause of the delay yet; notify the customer first (SOP-LATE-01)",
            ),
        )
    return desk.resume(
        decision.decision_id, Verdict(verdict="approve", actor="demo-planner", reason="checked against the evidence")
    )


def decision_table(rows: list[tuple[ExceptionIn, Decision, Decision]]) -> Table:
    """One row per decision: exception, specialist, actions, status (and the verdict of a waiting one), the why."""
    table = Table(title="Decisions of the day", show_lines=True)
    for column in ("exception", "specialist", "actions", "status", "why"):
        table.add_column(column, overflow="fold")
    for exception, first, decision in rows:
        status = decision.status if first.status != "pending_approval" else f"waited, then {decision.status}"
        subject = exception.type.value if exception.type else "free text"
        refs = ", ".join(exception.refs.present().values())
        why = decision.justification.text.split(". ")[0] if decision.justification else ""
        table.add_row(
            f"{subject} {refs}".strip(),
            decision.specialist or "-",
            ", ".join(a.type for a in decision.actions) or "-",
            status,
            why,
        )
    return table


def kpi_table(before: dict[str, float], after: dict[str, float], decisions: list[Decision]) -> Table:
    """Before, after and change of each KPI."""
    table = Table(title="KPIs")
    for column in ("kpi", "before", "after", "change"):
        table.add_column(column)
    for name in before:
        table.add_row(name, f"{before[name]:g}", f"{after[name]:g}", f"{after[name] - before[name]:+g}")
    executed = [d for d in decisions if d.status in ("executed", "overridden")]
    table.add_row("decisions executed", "0", str(len(executed)), f"+{len(executed)}")
    cost = sum(d.expected_impact.cost_usd for d in executed)
    table.add_row("expected cost of executed decisions (USD)", "0", f"{cost:,.2f}", f"+{cost:,.2f}")
    return table


def run_demo(desk: Desk, console: Console) -> list[Decision]:
    """Detect, handle a day of exceptions, approve what waits, and print the decisions, the KPI deltas and the
    attribution of the decisions (their effects are measured once the twin's clock moves on)."""
    before = kpis(desk)
    detected = desk.detect()
    console.print(f"detectors raised {len(detected)} exceptions; {len(DAY_OF_EXCEPTIONS)} more arrive during the day")
    arrivals = [(exception, desk.submit(exception, actor=exception.source)) for exception in DAY_OF_EXCEPTIONS]
    rows = [(exception, decision, approve_waiting(desk, decision)) for exception, decision in detected + arrivals]
    console.print(decision_table(rows))
    decisions = [decision for *_, decision in rows]
    statuses = Counter(d.status for d in decisions)
    console.print("statuses: " + ", ".join(f"{status} {count}" for status, count in sorted(statuses.items())))
    console.print(kpi_table(before, kpis(desk), decisions))
    with desk.toolbox.session() as session:
        print_report(attribution.report(session))
    return decisions
