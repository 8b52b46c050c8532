"""The desk graph's nodes: classify, supervise, the three specialists, explain, policy, approval, execute, finalize."""

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, Protocol

from langgraph.runtime import Runtime
from langgraph.types import Command, interrupt
from sqlmodel import Session

from agents.classifier import Classification, classify, missing_sentence
from agents.explain import ExplainInput, explain, justify
from agents.language.intent import extract
from agents.llm import model_type
from agents.policy import cohort_of, evaluate, rules, withheld
from agents.pricing import priced
from agents.proposal import Proposal
from agents.schemas import (
    Action,
    Claim,
    Decision,
    DecisionStatus,
    ExceptionType,
    Impact,
    Justification,
    PolicyVerdict,
    Refs,
)
from agents.toolbox import Toolbox
from agents.twin_facts import rates
from graph import facts
from graph.faults import fault_point
from graph.intake import Fence, lock_subject, subject_of
from graph.precedents import hold_pending
from graph.records import (
    FINAL,
    conclude,
    decision_id_for,
    exception_refs,
    is_final,
    note,
    save_decision,
    store_decision,
    write_notes,
)
from graph.state import DeskState, Verdict
from tools.evidence import Evidence, Source
from tools.knowledge import Precedent, exception_type
from twin import models as m
from twin import store
from twin.actions import plan_cost
from twin.commands import execute_action

SpecialistName = Literal["routing", "inventory", "maintenance", "governance"]


@dataclass(frozen=True)
class DeskRun:
    """What one run of the desk graph works with: the toolbox, and the claim under which its steps write."""

    toolbox: Toolbox
    fence: Fence


def _stop(
    state: DeskState,
    tb: Toolbox,
    claims: list[Claim],
    evidence: list[Evidence],
    status: DecisionStatus,
    specialist: SpecialistName | None,
    missing: list[str],
    confidence: float = 0.0,
) -> Decision:
    """A decision that ends without actions: more information is needed, or nothing is to be done."""
    return Decision(
        decision_id=decision_id_for(state.exception_id),
        exception_id=state.exception_id,
        specialist=specialist,
        status=status,
        confidence=confidence,
        evidence=evidence,
        justification=justify(claims, evidence, tb.llm, f"the decision on {state.exception_id}"),
        missing=missing,
        trace_id=state.exception_id,
        model_versions=state.model_versions,
    )


def classify_node(state: DeskState, runtime: Runtime[DeskRun]) -> Command[Literal["supervisor", "finalize"]]:
    """Read the exception's type and references; stop with needs_info when either is missing."""
    tb = runtime.context.toolbox
    reading = classify(state.exception, tb.llm)
    journal = [
        *state.journal,
        note(
            "exception.classified",
            "classifier",
            type=reading.type,
            refs=reading.refs.present(),
            missing=reading.missing,
            cues=reading.cues,
        ),
    ]
    if reading.type and not reading.missing:
        return Command(
            goto="supervisor",
            update={"classification": reading, "model_versions": tb.models.versions(), "journal": journal},
        )
    evidence = Evidence(
        id=f"classification:{state.exception_id}",
        source=Source(tool="classifier", model=model_type(tb.llm), version="1"),
        inputs={"description": state.exception.description or ""},
        facts={
            "type": reading.type,
            "refs": reading.refs.present(),
            "missing": reading.missing,
            "asked_for": missing_sentence(reading.missing),
        },
    )
    claim = Claim(text=missing_sentence(reading.missing), evidence_ids=[evidence.id])
    decision = _stop(state, tb, [claim], [evidence], "needs_info", reading.specialist, reading.missing)
    decision = decision.model_copy(update={"model_versions": tb.models.versions()})
    return Command(
        goto="finalize",
        update={
            "classification": reading,
            "decision": decision,
            "model_versions": decision.model_versions,
            "journal": journal,
        },
    )


def supervisor(state: DeskState) -> Command[Literal["routing", "inventory", "maintenance", "governance", "explain"]]:
    """Send the exception to its specialist; the specialist resolves its hand-offs inside its plans, then explain."""
    if not state.proposals:
        return Command(goto=state.reading().routed())
    return Command(goto="explain")


def _first_call(tb: Toolbox, reading: Classification, state: DeskState) -> Proposal:
    """The specialist call for the exception's type; each specialist's module (and the solvers it loads) is imported
    when its first exception arrives, so a process deciding one type loads only what that type needs."""
    refs: Refs = reading.refs
    match reading.type:
        case ExceptionType.late_shipment:
            from agents import routing

            return routing.late_shipment(tb, refs)
        case ExceptionType.carrier_capacity:
            from agents import capacity

            cut = extract(state.exception.description or "").get("capacity_cut_pct")
            return capacity.carrier_capacity(tb, refs, None if cut is None else float(cut))
        case ExceptionType.stockout_risk | ExceptionType.demand_spike:
            from agents import inventory

            if reading.type == ExceptionType.stockout_risk:
                return inventory.stockout_risk(tb, refs)
            return inventory.demand_spike(tb, refs)
        case ExceptionType.tender_plan if refs.day:
            from agents import tender_plan

            return tender_plan.plan_day(tb, date.fromisoformat(refs.day))
        case ExceptionType.maintenance_plan if refs.day:
            from agents import maintenance_plan

            return maintenance_plan.plan_week(tb, date.fromisoformat(refs.day))
        case ExceptionType.positioning_plan if refs.day:
            from agents import positioning_plan

            return positioning_plan.plan_positions(tb, date.fromisoformat(refs.day))
        case ExceptionType.model_drift:
            from agents import governance

            return governance.drifted_model(tb, refs)
        case _:
            from agents import maintenance

            return maintenance.equipment_failure_risk(tb, refs, state.exception.description)


class SpecialistNode(Protocol):
    """The node of one specialist, as the graph calls it."""

    def __call__(self, state: DeskState, runtime: Runtime[DeskRun]) -> Command[Literal["supervisor"]]: ...


def specialist(name: SpecialistName) -> SpecialistNode:
    """The node of one specialist: its whole-plan proposal on the exception, hand-offs resolved."""

    def node(state: DeskState, runtime: Runtime[DeskRun]) -> Command[Literal["supervisor"]]:
        tb = runtime.context.toolbox
        proposal = _first_call(tb, state.reading(), state)
        noted = note(
            "specialist.proposed",
            name,
            status=proposal.status,
            actions=[a.model_dump(mode="json", by_alias=True) for a in proposal.actions],
            handoffs=[helper.specialist for helper in proposal.helpers],
            sources=[e.source.model_dump() for e in proposal.evidence],
        )
        return Command(
            goto="supervisor", update={"proposals": [*state.proposals, proposal], "journal": [*state.journal, noted]}
        )

    node.__name__ = name
    return node


def _helpers(proposal: Proposal) -> list[Proposal]:
    """The proposals other specialists made for a plan's hand-offs, nested ones included."""
    return [item for helper in proposal.helpers for item in (helper, *_helpers(helper))]


def explain_node(state: DeskState, runtime: Runtime[DeskRun]) -> Command[Literal["policy", "finalize"]]:
    """Turn the specialist's whole plan (hand-offs included) into one decision with its verified justification."""
    tb = runtime.context.toolbox
    primary = state.proposals[-1]
    reading = state.reading()
    helpers = _helpers(primary)
    if primary.status == "needs_info" or (primary.status == "no_action" and not primary.alternatives):
        claims = [*primary.findings, primary.stated()]
        decision = _stop(
            state, tb, claims, primary.evidence, primary.status, primary.specialist, primary.missing, primary.confidence
        )
        return Command(goto="finalize", update={"decision": decision, "proposals": _settled(state.proposals)})
    evidence = {record.id: record for p in (primary, *helpers) for record in p.evidence}
    plan_ids = [primary.plan_id()]
    findings = [*primary.findings] + [claim for p in helpers for claim in [*p.findings, p.stated()]]
    justification = explain(
        ExplainInput(
            exception_id=state.exception_id,
            exception_type=reading.typed(),
            specialist=primary.specialist,
            findings=findings,
            chosen=primary.stated(),
            expected_impact=primary.expected_impact,
            impact_evidence_ids=plan_ids,
            confidence=primary.confidence,
            confidence_evidence_ids=plan_ids,
            alternatives=primary.alternatives,
            alternatives_evidence_ids=plan_ids,
            evidence=list(evidence.values()),
        ),
        tb.llm,
    )
    decision = Decision(
        decision_id=decision_id_for(state.exception_id),
        exception_id=state.exception_id,
        specialist=primary.specialist,
        status="executed" if primary.actions else "no_action",
        actions=primary.actions,
        expected_impact=primary.expected_impact,
        confidence=primary.confidence,
        alternatives=primary.alternatives,
        evidence=list(evidence.values()),
        justification=justification,
        handoffs=[p.specialist for p in helpers],
        trace_id=state.exception_id,
        model_versions=state.model_versions,
    )  # doing nothing was priced against the plans it beat: it is explained like them, and nothing waits
    return Command(
        goto="policy" if decision.actions else "finalize",
        update={"decision": decision, "proposals": _settled(state.proposals)},
    )


def _settled(proposals: list[Proposal]) -> list[Proposal]:
    """The proposals once explained: the decision holds their evidence, findings and alternatives, so the state (and
    the checkpoint at a pause or at the end) keeps only what later steps read, the proposed actions."""
    dropped = {"evidence": [], "findings": [], "alternatives": [], "helpers": []}
    return [proposal.model_copy(update=dropped) for proposal in proposals]


def policy_node(state: DeskState, runtime: Runtime[DeskRun]) -> Command[Literal["approval", "execute", "finalize"]]:
    """Ask the policy gate: actions whose cohort rule is off are dropped; a shadowed decision is recorded with what
    it would have done and ends without executing; one that needs a person is stored as pending before the pause."""
    tb = runtime.context.toolbox
    decision = state.decided()
    with tb.session() as session:
        stored = rules(session)
        cohorts = [cohort_of(session, action) for action in decision.actions]
        off = withheld(stored, decision.actions, cohorts)
        kept = [
            (action, cohort)
            for index, (action, cohort) in enumerate(zip(decision.actions, cohorts, strict=True))
            if index not in off
        ]
        actions = [action for action, _ in kept]
        impact = decision.expected_impact.model_copy(update={"cost_usd": plan_cost(actions)}) if off else None
        impact = impact or decision.expected_impact
        tier = _customer_tier(session, state.reading().refs)
        verdict = evaluate(stored, actions, [cohort for _, cohort in kept], impact.cost_usd, decision.confidence, tier)
        verdict = verdict.model_copy(update={"reasons": [*off.values(), *verdict.reasons]})
        decision = decision.model_copy(
            update={
                "policy": verdict,
                "actions": actions,
                "expected_impact": impact,
                "status": _gated(verdict, actions),
            }
        )
        journal = [*state.journal, note("policy.evaluated", "policy", decision.decision_id, **verdict.model_dump())]
        if verdict.requires_approval:  # the pause is durable: what the run noted is written with the pending decision
            write_notes(session, state.exception_id, journal)
            save_decision(session, decision, state.exception_id)
            session.commit()
            journal = []
    update = {"decision": decision, "journal": journal}
    if decision.status in ("shadowed", "no_action"):
        return Command(goto="finalize", update=update)
    return Command(goto="approval" if verdict.requires_approval else "execute", update=update)


def _gated(verdict: PolicyVerdict, actions: list[Action]) -> DecisionStatus:
    """The status the gate gives a decision: nothing left to propose, shadowed, waiting, or about to execute."""
    if not actions:
        return "no_action"
    if verdict.level == "shadow":
        return "shadowed"
    return "pending_approval" if verdict.requires_approval else "executed"


def _customer_tier(session: Session, refs: Refs) -> str | None:
    """The tier of the customer a shipment goes to, when the exception names a shipment."""
    shipment = session.get(m.Shipment, refs.shipment_id) if refs.shipment_id else None
    return store.customer_tier(session, shipment.destination) if shipment else None


def _proposed(state: DeskState) -> list[dict[str, Any]]:
    """The actions the specialists proposed, before any override."""
    return [a.model_dump(mode="json") for p in state.proposals for a in p.actions]


def overridden(decision: Decision, verdict: Verdict) -> Decision:
    """The decision with a planner's edited actions: their cost as impact, and the edit as justification."""
    actions = verdict.actions or []
    before = ", ".join(a.type for a in decision.actions)
    after = ", ".join(a.type for a in actions)
    cost = plan_cost(actions)
    record = Evidence(
        id=f"override:{decision.decision_id}",
        source=Source(tool="planner override", model="planner", version="1"),
        inputs={"actions_before": [a.model_dump(mode="json") for a in decision.actions]},
        facts={
            "actor": verdict.actor,
            "reason": verdict.reason,
            "cost_usd": cost,
            "actions_after": [a.model_dump(mode="json") for a in actions],
        },
    )
    claims = [
        Claim(text=f"{verdict.actor} replaced {before} with {after}: {verdict.reason}", evidence_ids=[record.id]),
        Claim(
            text=f"The edited actions state a cost of {cost:,.2f} USD; the desk did not price them further.",
            evidence_ids=[record.id],
        ),
    ]
    justification = Justification(text=" ".join(claim.text for claim in claims), claims=claims, writer="override")
    return decision.model_copy(
        update={
            "status": "overridden",
            "actions": actions,
            "expected_impact": Impact(cost_usd=cost),
            "evidence": [*decision.evidence, record],
            "justification": justification,
        }
    )


def approval(state: DeskState, runtime: Runtime[DeskRun]) -> Command[Literal["execute", "finalize"]]:
    """Pause for a person: approve, reject, or override with edited actions and a reason (an action the person left
    unpriced is priced by the cost model, like any plan)."""
    decision = state.decided()
    answer = Verdict.model_validate(interrupt(decision.model_dump(mode="json")))
    if answer.verdict == "reject":
        return Command(
            goto="finalize", update={"verdict": answer, "decision": decision.model_copy(update={"status": "rejected"})}
        )
    if answer.verdict == "override":
        with runtime.context.toolbox.session() as session:
            actions = priced(session, rates(session), answer.actions or [])
        answer = answer.model_copy(update={"actions": actions})
        decision = overridden(decision, answer)
    return Command(goto="execute", update={"verdict": answer, "decision": decision})


def execute(state: DeskState, runtime: Runtime[DeskRun]) -> dict[str, Any]:
    """Conclude the decision and carry out its actions in one transaction, once, under the run's claim, with the
    run's audit events and the decision's precedent; the run ends there."""
    tb = runtime.context.toolbox
    actor = state.verdict.actor if state.verdict else "policy"
    decision = state.decided()
    decision = decision.model_copy(update={"status": "overridden" if decision.status == "overridden" else "executed"})
    with tb.session() as session:
        runtime.context.fence.hold(session)
        stored = session.get(m.DecisionRecord, decision.decision_id)  # read once: absent, pending, or final
        if stored is None or stored.status not in FINAL:
            _recheck(session, state, stored, decision.actions)
            write_notes(session, state.exception_id, state.journal)
            rows = store_decision(session, decision, state.exception_id, stored, _precedent(state, decision))
            for index, action in enumerate(decision.actions):  # on the rows just stored
                row = rows.get(f"{decision.decision_id}-A{index + 1}")
                execute_action(session, decision.decision_id, index, action, actor, row)
            conclude(session, decision, state.exception_id, state.verdict, _proposed(state), saved=True)
            fault_point(tb.settings, "execute.before_commit")
        session.commit()
    fault_point(tb.settings, "execute.committed")
    return {"decision": decision, "journal": []}


def _recheck(session: Session, state: DeskState, record: m.DecisionRecord | None, plan: list[Action]) -> None:
    """Take the locks of the subject and of every truck the plan books, then re-read what the decision relied on:
    StaleFacts when a truck it books was booked meanwhile, or when the facts a paused decision (its stored `record`)
    relied on moved."""
    if subject := subject_of(state.exception):
        lock_subject(session, subject)
    for truck in facts.booked_trucks(plan):
        lock_subject(session, f"truck:{truck}")
    if booked := facts.already_booked(session, plan):
        raise facts.StaleFacts(f"booked meanwhile: {'; '.join(booked)}")
    if record is None or not record.fingerprint:
        return
    refs = exception_refs(store.row(session, m.ExceptionRecord, state.exception_id))
    if moved := facts.changes(record.fingerprint, facts.fingerprint(session, refs, Decision.of(record).actions)):
        raise facts.StaleFacts(f"the facts changed since the decision was made: {'; '.join(moved)}")


def finalize(state: DeskState, runtime: Runtime[DeskRun]) -> dict[str, Any]:
    """Conclude a decision that executed nothing (once), with the run's audit events, and store its precedent for
    indexing after the commit."""
    tb = runtime.context.toolbox
    decision = state.decided()
    with tb.session() as session:
        runtime.context.fence.hold(session)
        if not is_final(session, decision.decision_id):
            write_notes(session, state.exception_id, state.journal)
            conclude(session, decision, state.exception_id, state.verdict, _proposed(state))
        if precedent := _precedent(state, decision):
            record = store.row(session, m.DecisionRecord, decision.decision_id)  # concluded above: no read then
            hold_pending(record, precedent)
            session.add(record)
        session.commit()
    return {"decision": decision, "journal": []}


def _precedent(state: DeskState, decision: Decision) -> Precedent | None:
    """The precedent of a concluded decision, to index after the commit (none without a specialist)."""
    if not decision.specialist:
        return None
    return Precedent(
        decision_id=decision.decision_id,
        exception_type=exception_type(state.reading().typed().value),
        specialist=decision.specialist,
        action_types=[a.type for a in decision.actions],
        status=decision.status,
        override_reason=state.verdict.reason if state.verdict else None,
        summary=decision.justification.text if decision.justification else decision.status,
    )
