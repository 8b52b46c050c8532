"""KPIs: weekly on-time delivery and breakdowns recounted from the twin, and decisions by status and specialist."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from tests.api.desk_api import DeskApi
from twin import models as m
from twin.db import make_engine, session_scope


def test_weeks_match_a_recount_of_the_twin(api: DeskApi, seeded_url):
    kpis = api.call("GET", "/v1/kpis", role="viewer", params={"weeks": 4}).json()
    assert len(kpis["weeks"]) == 4
    as_of = datetime.fromisoformat(kpis["as_of"])
    assert (
        datetime.fromisoformat(kpis["weeks"][-1]["week_start"]).date()
        == (as_of - timedelta(days=as_of.weekday() + 7)).date()
    )
    engine = make_engine(seeded_url)
    with session_scope(engine) as session:
        for week in kpis["weeks"]:
            start = datetime.fromisoformat(week["week_start"]).replace(tzinfo=UTC)
            rows = session.exec(
                select(m.Shipment).where(
                    m.Shipment.delivered_at >= start, m.Shipment.delivered_at < start + timedelta(days=7)
                )
            ).all()
            assert week["delivered"] == len(rows) > 0
            assert week["on_time"] == sum(s.delivered_at <= s.promised_at for s in rows)
            failures = session.exec(
                select(m.WorkOrder).where(
                    m.WorkOrder.kind == "corrective",
                    m.WorkOrder.opened_at >= start,
                    m.WorkOrder.opened_at < start + timedelta(days=7),
                )
            ).all()
            assert week["failures"] == len(failures)
    engine.dispose()
    assert kpis["stock"]["positions"] == 300


def test_decisions_are_counted_by_status_and_specialist(api: DeskApi, late_pending):
    assert api.call("GET", "/v1/kpis").json()["decisions_by_status"] == {}
    decision = late_pending("SHP-009284")
    api.pending_decision()
    api.call("POST", f"/v1/decisions/{decision['decision_id']}/approve", role="planner", json={"reason": "ok"})
    kpis = api.call("GET", "/v1/kpis").json()
    assert kpis["decisions_by_status"] == {"executed": 1, "pending_approval": 1}
    assert kpis["decisions_by_specialist"] == {"routing": 2}
    day = kpis["decision_days"][-1]
    assert day["by_status"] == {"executed": 1, "pending_approval": 1}
    assert day["executed_cost_usd"] == decision["expected_impact"]["cost_usd"]
    assert api.call("GET", "/v1/kpis", params={"weeks": 0}).status_code == 422
