"""Chat tools on decisions: explain one, list them, report an exception, and approve, reject or override one."""

import contextvars
from collections.abc import Callable
from datetime import datetime
from typing import Literal, TypeVar, get_args

from langchain_core.tools import ToolException
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import Session, col

from agents.schemas import Action, Decision, DecisionStatus, ExceptionIn, ExceptionType, Refs
from agents.toolbox import Toolbox
from chat.tools.arguments import About, Caller, checked, checked_all
from graph.desk import DecisionConflict, DecisionNotFound, OffSubject
from graph.state import Verdict
from tools.evidence import Evidence
from twin import actions as a
from twin import models as m
from twin import store
from twin.access import REPORTERS
from twin.roles import VERDICT_ROLES, deciders

MAX_LISTED = 20
T = TypeVar("T")


class ExplainArgs(About):
    """Which decision: its id, or the latest decision about a shipment, SKU, truck or carrier."""

    decision_id: str | None = Field(default=None, description="A decision id, e.g. DEC-1A2B3C4D5E6F.")


class DecisionsArgs(About):
    """Filters on decisions: status, specialist, and a code they are about."""

    status: str | None = Field(
        default=None, description="pending_approval, executed, rejected, overridden, needs_info, no_action or shadowed."
    )
    specialist: str | None = Field(default=None, description="routing, inventory or maintenance.")
    location: str | None = Field(default=None, description="A DC, e.g. DC-DAL")


class VerdictArgs(BaseModel):
    """The decision to act on and why."""

    decision_id: str | None = Field(default=None, description="A decision id, e.g. DEC-1A2B3C4D5E6F.")
    reason: str | None = Field(default=None, max_length=1000, description="Why, in the person's words.")


class OverrideArgs(VerdictArgs):
    """The decision to override, with what instead and why."""

    carrier: str | None = Field(default=None, description="The carrier to use instead in the decision's actions.")
    alternative: bool = Field(default=False, description="Use the decision's first rejected alternative instead.")


class ReportArgs(About):
    """A problem reported in the person's words, with the codes it names."""

    description: str = Field(min_length=1, max_length=4000, description="The report, in the person's words.")
    type: ExceptionType | None = Field(default=None, description="The kind of exception, when clear.")
    location: str | None = Field(default=None, description="A DC, e.g. DC-DAL")
    lane: str | None = Field(default=None, description="e.g. DAL-HOU")


class DecisionFacts(BaseModel):
    """A decision as the chat shows it: status, actions, justification and evidence."""

    decision_id: str
    exception_id: str
    status: str
    specialist: str | None
    actions: list[str]
    cost_usd: float
    confidence: float
    justification: str | None = None
    missing: list[str] = Field(default_factory=list)
    policy_reasons: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)


class PendingDecision(BaseModel):
    """A decision in a listing."""

    decision_id: str
    exception_id: str
    status: str
    specialist: str | None
    actions: list[str]
    cost_usd: float
    confidence: float
    reasons: list[str]
    created_at: datetime


class DecisionsFacts(BaseModel):
    """Decisions matching the filters, newest first (at most 20 listed)."""

    filters: dict[str, str]
    count: int
    decisions: list[PendingDecision]


def action_label(action: Action) -> str:
    """An action with its scalar parameters, e.g. `expedite_shipment(shipment_id=SHP-000123, hours_saved=6.2)`."""
    params = ", ".join(f"{k}={v}" for k, v in action.params.as_dict().items() if isinstance(v, str | int | float))
    return f"{action.type}({params})"


def decision_facts(decision: Decision, with_evidence: bool) -> DecisionFacts:
    """The chat's view of a decision."""
    return DecisionFacts(
        decision_id=decision.decision_id,
        exception_id=decision.exception_id,
        status=decision.status,
        specialist=decision.specialist,
        actions=[action_label(item) for item in decision.actions],
        cost_usd=decision.expected_impact.cost_usd,
        confidence=decision.confidence,
        justification=decision.justification.text if decision.justification else None,
        missing=decision.missing,
        policy_reasons=decision.policy.reasons if decision.policy else [],
        evidence=decision.evidence if with_evidence else [],
    )


def detached(call: Callable[..., T], *args) -> T:
    """Run a desk call in an empty context, so the desk graph runs as a root graph on its own thread and its model
    calls stay out of the chat's stream."""
    return contextvars.Context().run(call, *args)


def _named(record: m.DecisionRecord, refs: dict) -> set[str]:
    """The codes a decision is about: its exception's references and its actions' string parameters."""
    return {
        *refs.values(),
        *(
            value
            for action in Decision.of(record).actions
            for value in action.params.model_dump(mode="json").values()
            if isinstance(value, str)
        ),
    }


def latest_about(session: Session, codes: set[str]) -> m.DecisionRecord | None:
    """The newest decision whose exception or actions name one of the codes."""
    rows = session.execute(
        select(m.DecisionRecord, col(m.ExceptionRecord.refs))
        .join(m.ExceptionRecord, col(m.ExceptionRecord.id) == col(m.DecisionRecord.exception_id))
        .order_by(col(m.DecisionRecord.created_at).desc(), col(m.DecisionRecord.id).desc())
    ).all()
    return next((record for record, refs in rows if codes & _named(record, refs)), None)


def _overridden_actions(decision: Decision, carrier: str | None, alternative: bool) -> list[Action]:
    """The decision's actions with another carrier, or its first rejected alternative's actions."""
    if alternative:
        plan = next((alt for alt in decision.alternatives if alt.actions), None)
        if plan is None:
            raise ToolException(f"{decision.decision_id} has no alternative with actions")
        return plan.actions
    if carrier is None:
        raise ToolException("say what to do instead: another carrier (e.g. use CAR-PRAIRIE) or its alternative")
    if not any(_with_carrier(action, carrier) != action for action in decision.actions):
        raise ToolException(f"the actions of {decision.decision_id} name no carrier to replace")
    return [_with_carrier(action, carrier) for action in decision.actions]


def _with_carrier(action: Action, carrier: str) -> Action:
    """The action given to another carrier, where it names one; any other action as it is."""
    match action:
        case a.SwitchCarrier(params=params):
            return action.model_copy(update={"params": params.model_copy(update={"to_carrier": carrier})})
        case a.TenderStops(params=params) | a.BookCarrier(params=params):
            return action.model_copy(update={"params": params.model_copy(update={"carrier": carrier})})
        case _:
            return action


def explain_decision(tb: Toolbox, args: ExplainArgs) -> DecisionFacts:
    """Explain a decision (by id, or the latest about a shipment, SKU, truck or carrier): status, actions,
    justification and evidence."""
    with tb.session() as session:
        codes = checked_all(session, args)
        if not codes:
            raise ToolException("name a decision id, a shipment, a SKU, a truck or a carrier")
        if "decision_id" in codes:
            record = session.get(m.DecisionRecord, codes["decision_id"])
        else:
            record = latest_about(session, set(codes.values()))
    if record is None:
        raise ToolException(f"no decision is about {', '.join(codes.values())} yet")
    return decision_facts(Decision.of(record), with_evidence=True)


def list_decisions(tb: Toolbox, args: DecisionsArgs) -> DecisionsFacts:
    """List decisions, newest first, by status (e.g. pending_approval), specialist, or a code they are about."""
    if args.status and args.status not in get_args(DecisionStatus):
        raise ToolException(f"status is one of {', '.join(get_args(DecisionStatus))}, not {args.status}")
    with tb.session() as session:
        codes = set(checked_all(session, args).values())
        query = select(m.DecisionRecord).order_by(
            col(m.DecisionRecord.created_at).desc(), col(m.DecisionRecord.id).desc()
        )
        if args.status:
            query = query.where(col(m.DecisionRecord.status) == args.status)
        if args.specialist:
            query = query.where(col(m.DecisionRecord.specialist) == args.specialist)
        records = session.execute(query).scalars().all()
        if codes:
            refs = dict(session.execute(select(col(m.ExceptionRecord.id), col(m.ExceptionRecord.refs))).all())
            records = [r for r in records if codes & _named(r, refs.get(r.exception_id) or {})]
    listed = []
    for record in records[:MAX_LISTED]:
        decision = Decision.of(record)
        listed.append(
            PendingDecision(
                decision_id=record.id,
                exception_id=record.exception_id,
                status=record.status,
                specialist=record.specialist,
                actions=[action_label(item) for item in decision.actions],
                cost_usd=decision.expected_impact.cost_usd,
                confidence=record.confidence,
                reasons=decision.policy.reasons if decision.policy else [],
                created_at=record.created_at,
            )
        )
    filters = {k: str(v) for k, v in args.model_dump(exclude_none=True).items()}
    return DecisionsFacts(filters=filters, count=len(records), decisions=listed)


class DecisionActs(Caller):
    """What one caller may do to decisions, through the desk as `actor` with the caller's role."""

    def _verdict(
        self, verdict: Literal["approve", "reject", "override"], args: VerdictArgs, actions: list[Action] | None = None
    ) -> DecisionFacts:
        """Resume a pending decision with a verdict (and, for an override, the new actions), for the roles that
        decide it only: architects (and admins) for one that governs a model, planners (and admins) for any other."""
        self.allowed(VERDICT_ROLES, f"{verdict} decisions")
        if args.decision_id is None:
            raise ToolException(f"name the decision to {verdict}, e.g. DEC-1A2B3C4D5E6F")
        with self.tb.session() as session:
            decision_id = checked(session, "decision_id", args.decision_id)
            self._decidable(session, verdict, decision_id, actions)
        try:
            decision = detached(
                self.desk.resume,
                decision_id,
                Verdict(verdict=verdict, actor=self.actor, reason=args.reason, actions=actions),
            )
        except DecisionNotFound as error:
            raise ToolException(f"no decision {decision_id} is waiting") from error
        except (DecisionConflict, OffSubject) as error:
            raise ToolException(str(error)) from error
        return decision_facts(decision, with_evidence=False)

    def _decidable(
        self, session: Session, verdict: str, decision_id: str, edited: list[Action] | None = None
    ) -> Decision:
        """The decision, once the caller's role may decide it (with any edited actions): refused otherwise."""
        decision = Decision.of(store.row(session, m.DecisionRecord, decision_id))
        types = sorted({action.type for action in [*decision.actions, *(edited or [])]})
        self.allowed(deciders(types), f"{verdict} {decision_id} ({', '.join(types) or 'no actions'})")
        return decision

    def may_decide(self, decision_id: str | None) -> bool:
        """Whether the caller's role decides this decision; true for none named or one not in the twin, which the
        verdict asks for or reports."""
        if decision_id is None:
            return True
        with self.tb.session() as session:
            try:
                record = session.get(m.DecisionRecord, checked(session, "decision_id", decision_id))
            except ToolException:
                return True
            return record is None or self.role in deciders(action.type for action in Decision.of(record).actions)

    def approve_decision(self, args: VerdictArgs) -> DecisionFacts:
        """Approve a decision waiting for approval, so its actions execute (planners and admins; one that governs a
        model: architects and admins)."""
        return self._verdict("approve", args)

    def reject_decision(self, args: VerdictArgs) -> DecisionFacts:
        """Reject a decision waiting for approval, with the reason, so its actions never execute (planners and admins;
        one that governs a model: architects and admins)."""
        if not args.reason and self.role in VERDICT_ROLES:
            raise ToolException("give the reason for the rejection; it is stored with the decision")
        return self._verdict("reject", args)

    def override_decision(self, args: OverrideArgs) -> DecisionFacts:
        """Override a waiting decision (planners and admins; one that governs a model: architects and admins) with
        another carrier in its actions or with its first rejected alternative, and the reason; the edited actions
        execute and are kept as labelled data."""
        self.allowed(VERDICT_ROLES, "override decisions")
        if args.decision_id is None or not args.reason:
            raise ToolException("name the decision and give the reason for the override")
        with self.tb.session() as session:
            decision_id = checked(session, "decision_id", args.decision_id)
            carrier = checked(session, "carrier", args.carrier) if args.carrier else None
            decision = self._decidable(session, "override", decision_id)
        actions = _overridden_actions(decision, carrier, args.alternative)
        return self._verdict("override", VerdictArgs(decision_id=decision_id, reason=args.reason), actions)

    def report_exception(self, args: ReportArgs) -> DecisionFacts:
        """Report a problem (late shipment, stockout risk, truck fault, carrier short of capacity, demand spike) to
        the desk and return its decision (planners, integrators and admins)."""
        self.allowed(REPORTERS, "report exceptions")
        with self.tb.session() as session:
            refs = Refs(**checked_all(session, args))
        exception = ExceptionIn(type=args.type, description=args.description, refs=refs, source="chat")
        return decision_facts(detached(self.desk.submit, exception, self.actor), with_evidence=True)
