"""Plans tool: the plan in force of each type on a day, as `GET /v1/plans` lists it; types without one named."""

from agents.plans import PLAN_TYPES
from agents.schemas import ExceptionIn, ExceptionType, Refs


def test_the_plan_in_force_and_the_types_without_one(desk, tools_for):
    plans = tools_for("viewer")["plans"]
    assert plans.invoke({"plan_type": "late_shipment"}).startswith(f"the plan types are {', '.join(PLAN_TYPES)}")
    today = desk.toolbox.now().date()
    made = desk.submit(ExceptionIn(type=ExceptionType.tender_plan, refs=Refs(day=today.isoformat())))
    found = plans.invoke({})
    assert found["day"] == today.isoformat() and found["missing"] == [t for t in PLAN_TYPES if t != "tender_plan"]
    [plan] = found["plans"]
    assert (plan["decision_id"], plan["plan_type"], plan["status"]) == (made.decision_id, "tender_plan", made.status)
    assert plans.invoke({"day": "2026-01-01"})["plans"] == []
