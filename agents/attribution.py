"""Attribution: for each trigger (exception type) and action type, how often it fired, what was done, the outcome
measured afterwards, and the effect on the KPIs with a 95% interval, against the shadow cohort (difference in
differences) and against the baseline period before the desk went live.

Units are the KPI's own: lanes for on-time delivery, SKU-DC positions for fill and stockout rates, trucks for
unplanned downtime. For an action type, the treated units are those its executed actions named and the control units
those its shadowed decisions would have acted on (a unit named both ways is left out). The rollout compares every unit
whose cohort the policy rules put on the desk (`act` or `recommend` for the action types proposed on the KPI's
triggers) with every unit whose cohort they put in `shadow`, as `agents/policy.py` matches cohorts."""

import zlib
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import func
from sqlmodel import Session, col, select

from agents.outcomes import ACTED, check
from agents.policy import Cohort, PolicyRule, cohort_of, rule_of, rules
from agents.schemas import Action, Decision, ExceptionType, Refs
from tools.attribution import Estimate, Units, before_after, difference_in_differences
from twin import models as m
from twin import store
from twin.actions import references
from twin.kpis import DEFAULT_DAYS, DEFINITIONS, MAX_DAYS, BadFilter, Scope, aware, moment
from twin.kpis import check as check_scope
from twin.unit_kpis import HIGHER_IS_BETTER, MEASURED_AS, UNIT_OF, Counts, UnitKind, counts, position, scoped

NO_ACTION = "none"  # the row of decisions that proposed no action
BASELINE_BOUNDS = (14, 90)  # the default baseline is as long as the measured period, within these days
ACTING = {"act", "recommend"}  # the levels at which the desk's actions run (within bounds, or once approved)
KPIS_OF: dict[ExceptionType, tuple[str, ...]] = {
    ExceptionType.late_shipment: ("on_time_delivery",),
    ExceptionType.carrier_capacity: ("on_time_delivery",),
    ExceptionType.tender_plan: ("on_time_delivery",),
    ExceptionType.stockout_risk: ("stockout_rate", "fill_rate"),
    ExceptionType.demand_spike: ("stockout_rate", "fill_rate"),
    ExceptionType.positioning_plan: ("stockout_rate", "fill_rate"),
    ExceptionType.equipment_failure_risk: ("unplanned_downtime",),
    ExceptionType.maintenance_plan: ("unplanned_downtime",),
    ExceptionType.model_drift: (),
}
METHOD = (
    "Difference in differences on pooled unit rates: the treated units' change from the baseline period to the "
    "measured one, less the control units' change; 95% percentile interval from 2,000 bootstrap resamples of whole "
    "units within each group. Against the baseline: the treated units' change alone, resampled the same way."
)


class Period(BaseModel):
    """Days on the twin's clock, both ends included."""

    start: date
    end: date
    days: int


class Periods(BaseModel):
    """When the desk went live, the baseline before it and the period measured after."""

    went_live: date | None = Field(description="The twin day of the desk's first decision (none: no decision yet).")
    baseline: Period = Field(description="The days before the desk went live.")
    measured: Period = Field(description="The days the effects are measured on (no days: none has ended yet).")


class KpiEffect(BaseModel):
    """An effect on one KPI, against the shadow cohort and against the baseline period."""

    kpi: str
    name: str
    measured_as: str
    higher_is_better: bool
    against_shadow: Estimate
    against_baseline: Estimate


class ActionAttribution(BaseModel):
    """One action type of a trigger: what was done, the outcomes measured afterwards, and its KPI effects."""

    action_type: str = Field(description=f"An action type, or `{NO_ACTION}` for decisions that proposed none.")
    decisions: int
    by_status: dict[str, int] = Field(description="Decisions by status: what was done.")
    outcomes: dict[str, int] = Field(
        description="Decisions that acted, by the outcome recorded afterwards (`unchecked`: not checked yet)."
    )
    shadow_outcomes: dict[str, int] = Field(
        description="Shadowed decisions, by the outcome the same check finds on the twin now, without the desk acting."
    )
    effects: list[KpiEffect]


class TriggerAttribution(BaseModel):
    """One trigger (exception type): how often it fired, and each action type proposed on it."""

    trigger: ExceptionType
    fired: int = Field(description="Decisions made on exceptions of this type in the period.")
    by_status: dict[str, int]
    actions: list[ActionAttribution]


class AttributionReport(BaseModel):
    """What the desk changed: per trigger and action type, and over the cohorts of the rollout."""

    scope: Scope = Field(description="The measured period and the site, lane and carrier filters.")
    as_of: datetime
    periods: Periods
    method: str = METHOD
    triggers: list[TriggerAttribution]
    rollout: list[KpiEffect] = Field(
        description="Each KPI over every unit the policy rules put on the desk, against every unit they put in shadow."
    )


def went_live(session: Session) -> date | None:
    """The twin day of the desk's first decision."""
    first = session.exec(select(func.min(col(m.DecisionRecord.twin_at)))).one()
    return first.date() if first else None


def periods(
    session: Session, start: date | None, end: date | None, baseline_days: int | None, now: datetime
) -> Periods:
    """The measured period (by default from the day the desk went live to the day before the twin's clock) and the
    baseline before the desk went live (by default as long as the measured period, within `BASELINE_BOUNDS`)."""
    live = went_live(session)
    last = end or now.date() - timedelta(days=1)
    first = start or live or last - timedelta(days=DEFAULT_DAYS - 1)
    if last > now.date():
        raise BadFilter("to", f"{last} is after the twin's clock ({now.date()})")
    if start and last < first:
        raise BadFilter("to", f"{last} is before from {first}")
    if (last - first).days >= MAX_DAYS:
        raise BadFilter("to", f"the period may span at most {MAX_DAYS} days")
    measured = max(0, (last - first).days + 1)
    length = baseline_days or min(max(measured, BASELINE_BOUNDS[0]), BASELINE_BOUNDS[1])
    try:
        ends = min(live or first, first) - timedelta(days=1)
        baseline = Period(start=ends - timedelta(days=length - 1), end=ends, days=length)
    except OverflowError as error:
        raise BadFilter("from", f"{first} leaves no room for a baseline before it") from error
    return Periods(went_live=live, baseline=baseline, measured=Period(start=first, end=last, days=measured))


# --- the decisions ------------------------------------------------------------------------------------------------


class Tally(BaseModel):
    """What the decisions of one trigger and action type did, and the units they named, by KPI unit kind."""

    by_status: Counter[str] = Field(default_factory=Counter)
    outcomes: Counter[str] = Field(default_factory=Counter)
    shadow_outcomes: Counter[str] = Field(default_factory=Counter)
    acted: dict[UnitKind, set[str]] = Field(default_factory=lambda: defaultdict(set))
    shadowed: dict[UnitKind, set[str]] = Field(default_factory=lambda: defaultdict(set))


class TriggerTally(BaseModel):
    """The decisions of one trigger by status, and what each action type proposed on it did."""

    by_status: Counter[str] = Field(default_factory=Counter)
    actions: dict[str, Tally] = Field(default_factory=dict)


def units_of(session: Session, action: Action, kind: UnitKind) -> list[str]:
    """The units of a kind an action is about: its lane, the stock position it protects, its trucks."""
    match kind:
        case "lane":
            lane = cohort_of(session, action).lane
            return [lane] if lane else []
        case "position":
            return [position(sku, dc) for sku, dc in references(action).positions[-1:]]
        case "truck":
            return references(action).trucks


def _in_scope(session: Session, decision: Decision, scope: Scope) -> bool:
    """Whether a decision falls under the filters: one of its actions is in the site, lane and carrier set (a decision
    with no action only when none is set)."""
    if not scope.filters():
        return True
    return any(
        all(
            wanted in (None, have)
            for wanted, have in ((scope.site, c.site), (scope.lane, c.lane), (scope.carrier, c.carrier))
        )
        for c in (cohort_of(session, action) for action in decision.actions)
    )


def tallies(session: Session, scope: Scope, until: datetime | None, now: datetime) -> dict[ExceptionType, TriggerTally]:
    """The decisions made from the scope's start (until a moment, if given) per trigger and action type."""
    rows = session.exec(
        select(m.DecisionRecord, m.ExceptionRecord)
        .join(m.ExceptionRecord, col(m.ExceptionRecord.id) == col(m.DecisionRecord.exception_id))
        .where(
            col(m.DecisionRecord.twin_at) >= moment(scope.start),
            *([col(m.DecisionRecord.twin_at) < until] if until else []),
            col(m.ExceptionRecord.type).is_not(None),
        )
        .order_by(col(m.DecisionRecord.id))
    ).all()
    found: dict[ExceptionType, TriggerTally] = defaultdict(TriggerTally)
    for record, exception in rows:
        decision = Decision.of(record)
        if not _in_scope(session, decision, scope):
            continue
        trigger = ExceptionType(exception.type)
        shadow = None
        if record.status == "shadowed" and record.twin_at is not None:
            refs = Refs.model_validate(exception.refs)
            shadow = check(session, decision, trigger, refs, aware(record.twin_at), now).status
        kinds: set[UnitKind] = {UNIT_OF[kpi] for kpi in KPIS_OF[trigger]}
        found[trigger].by_status[record.status] += 1
        for action_type in sorted({a.type for a in decision.actions}) or [NO_ACTION]:
            tally = found[trigger].actions.setdefault(action_type, Tally())
            tally.by_status[record.status] += 1
            if record.status in ACTED:
                tally.outcomes[decision.outcome.status if decision.outcome else "unchecked"] += 1
            if shadow is not None:
                tally.shadow_outcomes[shadow] += 1
            for action in (a for a in decision.actions if a.type == action_type):
                for kind in kinds:
                    named = units_of(session, action, kind)
                    if record.status in ACTED:
                        tally.acted[kind].update(named)
                    elif record.status == "shadowed":
                        tally.shadowed[kind].update(named)
    return found


# --- the effects --------------------------------------------------------------------------------------------------


class History(BaseModel):
    """Each KPI's unit counts in the baseline and in the measured period."""

    before: dict[str, Counts]
    after: dict[str, Counts]
    measured_days: int

    def units(self, kpi: str, codes: set[str]) -> Units:
        """The units' numerators and denominators before and after (units observed in both periods)."""
        before, after = self.before[kpi], self.after[kpi]
        return Units.of(
            [
                (before[code].num, before[code].den, after[code].num, after[code].den)
                for code in sorted(codes)
                if code in before and code in after
            ]
        )

    def effect(self, kpi: str, treated: set[str], control: set[str], key: str) -> KpiEffect:
        """A KPI's effect on the treated units, against the control units and against their baseline."""
        seed = zlib.crc32(key.encode())
        shadow = difference_in_differences(self.units(kpi, treated), self.units(kpi, control), seed=seed)
        baseline = before_after(self.units(kpi, treated), seed=seed)
        if not self.measured_days:
            reason = "no day measured since the desk went live yet: the twin's clock must move on"
            shadow, baseline = (e.model_copy(update={"reason": reason}) for e in (shadow, baseline))
        definition = DEFINITIONS[kpi]
        return KpiEffect(
            kpi=kpi,
            name=definition.name,
            measured_as=MEASURED_AS[kpi],
            higher_is_better=HIGHER_IS_BETTER[kpi],
            against_shadow=shadow,
            against_baseline=baseline,
        )


def history(session: Session, scope: Scope, span: Periods) -> History:
    """Unit counts of every KPI the filters can scope, in the baseline and in the measured period."""
    known = [kpi for kpi in UNIT_OF if scoped(kpi, scope)]
    baseline = scope.model_copy(update={"start": span.baseline.start, "end": span.baseline.end})
    return History(
        before={kpi: counts(session, kpi, baseline) for kpi in known},
        after={kpi: counts(session, kpi, scope) if span.measured.days else {} for kpi in known},
        measured_days=span.measured.days,
    )


def unit_cohorts(session: Session, kind: UnitKind, codes: set[str]) -> dict[str, Cohort]:
    """The cohort each unit belongs to: a lane's code and origin DC; a position's DC; a truck's home DC."""
    match kind:
        case "lane":
            origins = dict(session.exec(select(col(m.Lane.code), col(m.Lane.origin))).all())
            return {code: Cohort(lane=code, site=origins.get(code)) for code in codes}
        case "position":
            return {code: Cohort(site=code.split("@")[1]) for code in codes}
        case "truck":
            homes = dict(session.exec(select(col(m.Vehicle.code), col(m.Vehicle.home_dc))).all())
            return {code: Cohort(site=homes.get(code)) for code in codes}


def rollout(
    session: Session, found: dict[ExceptionType, TriggerTally], h: History, stored: list[PolicyRule]
) -> list[KpiEffect]:
    """Each KPI over the units its triggers' action types act on, against the units where they are in shadow."""
    effects = []
    for kpi in h.before:
        proposed = {
            action_type
            for trigger, tally in found.items()
            if kpi in KPIS_OF[trigger]
            for action_type in tally.actions
            if action_type != NO_ACTION
        }
        if not proposed:
            continue
        cohorts = unit_cohorts(session, UNIT_OF[kpi], set(h.before[kpi]) | set(h.after[kpi]))
        levels = {code: {rule_of(t, cohort, stored).level for t in proposed} for code, cohort in cohorts.items()}
        acting = {code for code, found_levels in levels.items() if found_levels <= ACTING}
        shadow = {code for code, found_levels in levels.items() if found_levels == {"shadow"}}
        effects.append(h.effect(kpi, acting, shadow, f"rollout:{kpi}"))
    return effects


def attributed(trigger: ExceptionType, action_type: str, tally: Tally, h: History) -> ActionAttribution:
    """One action type of a trigger: its decisions by status, their outcomes, and its effect on each of the
    trigger's KPIs (treated: units it acted on; control: units its shadowed decisions would have acted on)."""
    effects = []
    for kpi in KPIS_OF[trigger]:
        if kpi not in h.before or action_type == NO_ACTION:
            continue
        acted, shadowed = tally.acted[UNIT_OF[kpi]], tally.shadowed[UNIT_OF[kpi]]
        effects.append(h.effect(kpi, acted - shadowed, shadowed - acted, f"{trigger.value}:{action_type}:{kpi}"))
    return ActionAttribution(
        action_type=action_type,
        decisions=sum(tally.by_status.values()),
        by_status=dict(sorted(tally.by_status.items())),
        outcomes=dict(sorted(tally.outcomes.items())),
        shadow_outcomes=dict(sorted(tally.shadow_outcomes.items())),
        effects=effects,
    )


def report(
    session: Session,
    start: date | None = None,
    end: date | None = None,
    site: str | None = None,
    lane: str | None = None,
    carrier: str | None = None,
    baseline_days: int | None = None,
) -> AttributionReport:
    """The attribution of the desk's decisions over a period (see the module); a bad filter raises `BadFilter`."""
    now = store.clock(session)
    span = periods(session, start, end, baseline_days, now)
    scope = Scope(start=span.measured.start, end=span.measured.end, site=site, lane=lane, carrier=carrier)
    check_scope(session, scope.model_copy(update={"end": max(scope.start, scope.end)}))
    found = tallies(session, scope, moment(scope.end + timedelta(days=1)) if end else None, now)
    h = history(session, scope, span)
    triggers = [
        TriggerAttribution(
            trigger=trigger,
            fired=sum(found[trigger].by_status.values()),
            by_status=dict(sorted(found[trigger].by_status.items())),
            actions=[
                attributed(trigger, action_type, tally, h)
                for action_type, tally in sorted(found[trigger].actions.items())
            ],
        )
        for trigger in sorted(found, key=lambda t: t.value)
    ]
    return AttributionReport(
        scope=scope,
        as_of=now,
        periods=span,
        triggers=triggers,
        rollout=rollout(session, found, h, rules(session)),
    )


# --- the report as table rows ---------------------------------------------------------------------------------------

DECISION_HEADERS = ["trigger", "action", "decisions", "done", "outcomes (acted / shadowed)"]
EFFECT_HEADERS = [*DECISION_HEADERS, "KPI", "units (treated / control)", "vs shadow", "vs baseline"]
ROLLOUT_HEADERS = ["KPI", "measured as", "units (desk / shadow)", "vs shadow", "vs baseline"]


def counted(counts: dict[str, int]) -> str:
    """Counts by name as `name n, ...`, a dash when empty."""
    return ", ".join(f"{name} {n}" for name, n in counts.items()) or "-"


def effect_text(kpi: str, estimate: Estimate) -> str:
    """An estimate with its 95% interval in the KPI's unit (points of a share, hours per truck-day), or why none."""
    if estimate.estimate is None:
        return f"n/a: {estimate.reason}"
    scale, unit = (1.0, " h/truck-day") if kpi == "unplanned_downtime" else (100.0, " pts")
    text = f"{estimate.estimate * scale:+.2f}{unit}"
    if estimate.low is None or estimate.high is None:
        return text
    return f"{text} [{estimate.low * scale:+.2f}, {estimate.high * scale:+.2f}]"


def decision_rows(report: AttributionReport) -> list[tuple[ActionAttribution, list[str]]]:
    """Each trigger's action types with their row of decisions, statuses and outcomes."""
    return [
        (
            action,
            [
                trigger.trigger.value,
                action.action_type,
                str(action.decisions),
                counted(action.by_status),
                f"{counted(action.outcomes)} / {counted(action.shadow_outcomes)}",
            ],
        )
        for trigger in report.triggers
        for action in trigger.actions
    ]


def effect_rows(report: AttributionReport) -> list[list[str]]:
    """One row per trigger, action type and KPI (a row without KPI for an action type with none)."""
    rows: list[list[str]] = []
    for action, head in decision_rows(report):
        rows += [
            [
                *head,
                effect.name,
                f"{effect.against_shadow.treated_units} / {effect.against_shadow.control_units}",
                effect_text(effect.kpi, effect.against_shadow),
                effect_text(effect.kpi, effect.against_baseline),
            ]
            for effect in action.effects
        ] or [[*head, "-", "-", "-", "-"]]
    return rows


def rollout_rows(report: AttributionReport) -> list[list[str]]:
    """One row per KPI of the rollout."""
    return [
        [
            effect.name,
            effect.measured_as,
            f"{effect.against_shadow.treated_units} / {effect.against_shadow.control_units}",
            effect_text(effect.kpi, effect.against_shadow),
            effect_text(effect.kpi, effect.against_baseline),
        ]
        for effect in report.rollout
    ]


def title(report: AttributionReport) -> str:
    """What the tables cover: the measured period, the baseline and when the desk went live."""
    span = report.periods
    live = f"desk live {span.went_live}" if span.went_live else "no decision yet"
    return (
        f"Attribution {span.measured.start} to {span.measured.end} ({span.measured.days} days), "
        f"baseline {span.baseline.start} to {span.baseline.end}, {live}; 95% bootstrap intervals"
    )
