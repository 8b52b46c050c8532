"""KPIs: weekly on-time delivery and breakdowns recounted from the twin, and decisions by status and specialist."""

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from tests.api.desk_api import DeskApi
from twin import kpis as kpis_module
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
    assert day["day"] == kpis["as_of"][:10]  # the twin's day, not the wall clock's
    assert day["by_status"] == {"executed": 1, "pending_approval": 1}
    assert day["executed_cost_usd"] == decision["expected_impact"]["cost_usd"]
    assert api.call("GET", "/v1/kpis", params={"weeks": 0}).status_code == 422


def test_decision_days_are_twin_days_and_page_newest_first_with_a_cursor(api: DeskApi, late_pending, seeded_url):
    template_id = late_pending("SHP-009284")["decision_id"]
    engine = make_engine(seeded_url)
    with session_scope(engine) as session:
        template = session.get(m.DecisionRecord, template_id)
        for back in (1, 3, 3, 8):
            copy = template.model_dump(exclude={"id", "created_at", "twin_at"})
            session.add(
                m.DecisionRecord(
                    **copy,
                    id=f"DEC-DAY{back}-{session.info.setdefault('n', 0)}",
                    created_at=template.created_at,
                    twin_at=template.twin_at - timedelta(days=back),
                )
            )
            session.info["n"] += 1
        session.commit()
        expected = sorted({r.twin_at.date() for r in session.exec(select(m.DecisionRecord)).all()}, reverse=True)
    engine.dispose()
    days, cursor, pages = [], None, 0
    while True:
        page = api.call("GET", "/v1/kpis", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        assert page["days_total"] == len(expected) == 4 and page["limit"] == 2 and len(page["decision_days"]) <= 2
        days += page["decision_days"]
        pages, cursor = pages + 1, page["next_cursor"]
        if cursor is None:
            break
    assert pages == 2
    assert [datetime.fromisoformat(day["day"]).date() for day in days] == expected
    assert [sum(day["by_status"].values()) for day in days] == [1, 1, 2, 1]
    assert page["decisions_by_status"] == {"pending_approval": 5}


def test_kpis_refuse_pages_over_the_maximum_and_foreign_cursors(api: DeskApi):
    assert api.call("GET", "/v1/kpis", params={"limit": 501}).status_code == 422
    answer = api.call("GET", "/v1/kpis", params={"cursor": "not-ours"})
    assert answer.status_code == 422 and answer.json()["detail"][0]["loc"] == ["query", "cursor"]


def test_kpis_of_a_period_filtered_by_site_lane_and_carrier_by_week(api: DeskApi):
    week = {"from": "2026-10-26", "to": "2026-11-01", "granularity": "week"}
    kpis = api.call("GET", "/v1/kpis", role="viewer", params=week).json()
    assert kpis["scope"]["start"] == "2026-10-26" and [b["start"] for b in kpis["buckets"]] == ["2026-10-26"]
    assert kpis["buckets"][0]["kpis"] == kpis["total"]
    total = kpis["total"]
    assert 0 < total["on_time_delivery"]["rate"] < 1 and total["fill_rate"]["demanded_units"] > 0
    assert total["stockout_rate"]["position_days"] == 300  # the seeded positions close 1 November
    dallas = api.call("GET", "/v1/kpis", params={**week, "site": "DC-DAL"}).json()["total"]
    assert dallas["fill_rate"]["demanded_units"] < total["fill_rate"]["demanded_units"]
    lane = api.call("GET", "/v1/kpis", params={**week, "lane": "DAL-HOU", "granularity": "day"}).json()
    assert lane["total"]["fill_rate"] is None and len(lane["buckets"]) == 7
    assert {row["lane"] for row in lane["cost_to_serve_by_lane"]} == {"DAL-HOU"}
    for params, field in (
        ({"site": "DC-NOWHERE"}, "site"),
        ({"lane": "XXX-YYY"}, "lane"),
        ({"carrier": "NOPE"}, "carrier"),
        ({"from": "2026-11-01", "to": "2026-10-01"}, "to"),
        ({"granularity": "month"}, "granularity"),
        ({"from": "2026-02-30"}, "from"),
    ):
        refused = api.call("GET", "/v1/kpis", params=params)
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", field], params


def test_each_kpi_definition_is_its_field_description_in_the_schema(api: DeskApi):
    schema = api.call("GET", "/openapi.json").json()["components"]["schemas"]["KpiSet"]["properties"]
    assert set(schema) == set(kpis_module.DEFINITIONS)
    for key, definition in kpis_module.DEFINITIONS.items():
        assert definition.text in schema[key]["description"]
