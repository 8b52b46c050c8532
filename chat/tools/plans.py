"""Chat tool on the plans: the plan in force of each type on a day (the same summary as `GET /v1/plans`)."""

from datetime import date

from langchain_core.tools import ToolException
from pydantic import BaseModel, Field

from agents import plans
from agents.plans import PlanSummary
from agents.schemas import ExceptionType
from agents.toolbox import Toolbox
from agents.twin_facts import twin_record
from tools.evidence import Evidence


class PlansArgs(BaseModel):
    """Which plans: of one type or all, in force on a day."""

    plan_type: str | None = Field(
        default=None, description=f"One of {', '.join(plans.PLAN_TYPES)}; every plan type when absent."
    )
    day: date | None = Field(default=None, description="The day the plans are in force on; today when absent.")


class PlansFacts(BaseModel):
    """The plan in force of each type asked for on a day (types without a plan yet are named in `missing`)."""

    day: date
    plans: list[PlanSummary]
    missing: list[str]
    evidence: list[Evidence] = Field(default_factory=list)


def plans_in_force(tb: Toolbox, args: PlansArgs) -> PlansFacts:
    """The plan in force on a day (today by default) of each plan type, or of one (tender_plan, maintenance_plan,
    ...): its day, status, objective and totals, the trade-off versions it cited, what it does and what it beat."""
    if args.plan_type is not None and args.plan_type not in plans.PLAN_TYPES:
        raise ToolException(f"the plan types are {', '.join(plans.PLAN_TYPES)}, not {args.plan_type}")
    asked = [ExceptionType(args.plan_type)] if args.plan_type else plans.PLAN_TYPES
    day = args.day or tb.now().date()
    with tb.session() as session:
        found = plans.in_force(session, day, asked)
    made = {plan.plan_type for plan in found}
    facts = PlansFacts(day=day, plans=found, missing=[kind.value for kind in asked if kind not in made])
    facts.evidence = [twin_record(f"twin:plans:{args.plan_type or 'all'}:{day}", args.model_dump(mode="json"), facts)]
    return facts
