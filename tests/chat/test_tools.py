"""Chat tools on the seeded twin: numbers from the models and solvers, codes checked, verdicts only for deciders."""

from sqlmodel import select

from agents import maintenance
from agents.routing import capacity_shortfall
from agents.whatif import read_situation
from chat.answers import TEMPLATES
from chat.tools import make_chat_tools
from tools.forecast import forecast
from tools.geo import haversine_miles
from tools.late_risk import score_shipments
from twin import frames, store
from twin import models as m

TRUCK_FAULT = "Truck 7 is overheating and losing oil pressure"


def tools_for(desk, role: str) -> dict:
    """The chat tools of a caller with the role, by name."""
    return {tool.name: tool for tool in make_chat_tools(desk, role, f"test-{role}")}


def carrier_rows(desk) -> tuple[list, list, int]:
    """The carriers and their lane offers as stored, and how many orchestration records exist."""
    with desk.toolbox.session() as session:
        carriers = [row.model_dump() for row in session.exec(select(m.Carrier)).all()]
        offers = [row.model_dump() for row in session.exec(select(m.CarrierLane)).all()]
        records = sum(store.count(session, table) for table in (m.ExceptionRecord, m.DecisionRecord, m.AuditEvent))
    return carriers, offers, records


def test_every_tool_has_an_answer_template(desk):
    assert {tool.name for tool in make_chat_tools(desk, "viewer", "v")} == set(TEMPLATES)


def test_forecast_adds_the_model_days_into_weeks_and_reads_city_names(desk):
    result = tools_for(desk, "viewer")["forecast_demand"].invoke(
        {"sku": "SKU-0042", "location": "Dallas", "horizon_weeks": 2}
    )
    with desk.toolbox.session() as session:
        history = frames.demand_frame(session)
    series = history[(history["sku"] == "SKU-0042") & (history["location"] == "DC-DAL")]
    direct = forecast(
        desk.toolbox.models.demand,
        series,
        {"sku": "SKU-0042", "location": "DC-DAL"},
        14,
        as_of=series["day"].max().date(),
    )
    assert result["location"] == "DC-DAL" and [w["week"] for w in result["weeks"]] == [1, 2]
    assert result["total"] == {
        "p10": round(direct.total.p10, 1),
        "p50": round(direct.total.p50, 1),
        "p90": round(direct.total.p90, 1),
    }
    assert result["weeks"][1]["p50"] == round(sum(day.p50 for day in direct.days[7:]), 1)
    assert result["weeks"][0]["first_day"] == direct.days[0].day.isoformat()
    assert result["evidence"][0]["source"]["model"] == "xgb-demand"


def test_unknown_or_missing_codes_are_reported_not_guessed(desk):
    tool = tools_for(desk, "viewer")["forecast_demand"]
    assert tool.invoke({"sku": "SKU-9999", "location": "DC-DAL"}) == "SKU-9999 is not in the twin"
    assert tool.invoke({"sku": "SKU-0042", "location": "DC-XYZ"}) == "DC-XYZ is not in the twin"
    assert tool.invoke({"sku": "SKU-0042", "location": "CUST-0001"}) == "'CUST-0001' is not a DC code"
    assert tool.invoke({"sku": "SKU-0042"}) == "name a DC: one of DC-ATL, DC-CHI, DC-DAL, DC-HOU, DC-LAX"
    assert tool.invoke({"sku": "SKU-0042", "location": "DC-DAL", "horizon_weeks": 52}) == (
        "the forecaster looks 1 to 4 weeks ahead, not 52; ask for 4 weeks or fewer"
    )


def test_what_if_numbers_come_from_the_solver_and_leave_the_twin_unchanged(desk):
    before = carrier_rows(desk)
    result = tools_for(desk, "viewer")["what_if_capacity"].invoke({"carrier": "Red River", "capacity_cut_pct": 50})
    situation = read_situation(desk.toolbox, "CAR-REDRIVER")
    assignment, original_cost, loads = capacity_shortfall(
        "CAR-REDRIVER", situation.own, situation.offers, situation.lanes, situation.week, situation.capacity, 50.0
    )
    assert result["loads_displaced"] == len(loads) > 0
    assert result["before"]["freight_cost_usd"] == round(original_cost, 2)
    assert result["after"] == {
        "freight_cost_usd": assignment.freight_cost_usd,
        "expected_late_loads": assignment.expected_late_loads,
        "unassigned_loads": len(assignment.unassigned),
    }
    assert sum(result["reassigned"].values()) == len(loads) - len(assignment.unassigned)
    assert result["evidence"][1]["source"]["model"] == "ortools-cp-sat"
    assert carrier_rows(desk) == before
    assert (
        tools_for(desk, "viewer")["what_if_capacity"].invoke({"carrier": "CAR-NOBODY", "capacity_cut_pct": 20})
        == "CAR-NOBODY is not in the twin"
    )


def test_risks_at_a_dc_come_from_the_late_risk_forecast_and_failure_models(desk):
    result = tools_for(desk, "viewer")["risks_at_location"].invoke({"location": "DC-DAL", "horizon_weeks": 1})
    tb = desk.toolbox
    ids = [shipment["shipment_id"] for shipment in result["riskiest_shipments"]]
    with tb.session() as session:
        direct = {
            risk.shipment_id: risk.p_late
            for risk in score_shipments(tb.models.late, frames.shipment_frame(session, ids=ids), now=tb.now())
        }
        positions = {p.location: p for p in store.positions(session, "SKU-0042")}
    assert [shipment["p_late"] for shipment in result["riskiest_shipments"]] == [direct[i] for i in ids]
    assert ids and [direct[i] for i in ids] == sorted(direct.values(), reverse=True)
    dal = positions["DC-DAL"]
    assert ("SKU-0042" in result["below_reorder_point"]) == (
        dal.on_hand + dal.in_transit - dal.allocated < dal.reorder_point
    )
    assert {risk["sku"] for risk in result["stockout_risk"]} <= set(result["below_reorder_point"])
    assert all(risk["available"] < risk["demand_p90"] for risk in result["stockout_risk"])
    fleet = {p.truck: p.p_fail for p in maintenance.fleet_priority(tb, 40)}
    assert {t["asset_id"] for t in result["trucks_at_risk"]} <= {t for t, p in fleet.items() if p >= 0.6}
    assert all(t["dc"] == "DC-DAL" for t in result["trucks_at_risk"])


def test_fleet_priority_follows_the_failure_model(desk):
    tools = tools_for(desk, "viewer")
    ranked = [p.truck for p in maintenance.fleet_priority(desk.toolbox, 40)]
    assert [t["asset_id"] for t in tools["fleet_service_priority"].invoke({"top": 3})["trucks"]] == ranked[:3]
    houston = tools["fleet_service_priority"].invoke({"location": "DC-HOU", "top": 2})["trucks"]
    with desk.toolbox.session() as session:
        home = {truck.code for truck in store.fleet(session, "DC-HOU")}
    assert [t["asset_id"] for t in houston] == [truck for truck in ranked if truck in home][:2]


def test_report_explain_list_and_verdicts_by_role(desk):
    planner, viewer = tools_for(desk, "planner"), tools_for(desk, "viewer")
    assert viewer["report_exception"].invoke({"description": TRUCK_FAULT}) == (
        "the viewer role cannot report exceptions; integrator, planner or admin can"
    )
    assert tools_for(desk, "architect")["report_exception"].invoke({"description": TRUCK_FAULT}) == (
        "the architect role cannot report exceptions; integrator, planner or admin can"
    )
    reported = tools_for(desk, "integrator")["report_exception"].invoke(
        {"description": TRUCK_FAULT, "asset_id": "truck 7"}
    )
    decision_id = reported["decision_id"]
    assert reported["status"] == "pending_approval" and reported["specialist"] == "maintenance"
    with desk.toolbox.session() as session:
        record = session.get(m.ExceptionRecord, reported["exception_id"])
        assert (record.source, record.actor, record.refs) == ("chat", "test-integrator", {"asset_id": "TRK-007"})

    explained = viewer["explain_decision"].invoke({"asset_id": "TRK-007"})
    assert explained["decision_id"] == decision_id and explained["justification"]
    assert viewer["explain_decision"].invoke({"decision_id": decision_id})["actions"] == reported["actions"]
    pending = {"status": "pending_approval"}
    assert [d["decision_id"] for d in viewer["list_decisions"].invoke(pending)["decisions"]] == [decision_id]
    assert viewer["list_decisions"].invoke({"asset_id": "TRK-007", "specialist": "maintenance"})["count"] == 1
    assert viewer["list_decisions"].invoke({"status": "waiting"}).startswith("status is one of")

    refused = viewer["approve_decision"].invoke({"decision_id": decision_id})
    assert refused == "the viewer role cannot approve decisions; planner or admin can"
    assert viewer["reject_decision"].invoke({"decision_id": decision_id}).startswith("the viewer role cannot reject")
    assert viewer["list_decisions"].invoke(pending)["count"] == 1
    assert planner["approve_decision"].invoke({"decision_id": "DEC-NOPE"}) == "DEC-NOPE is not in the twin"
    assert planner["reject_decision"].invoke({"decision_id": decision_id}) == (
        "give the reason for the rejection; it is stored with the decision"
    )

    approved = planner["approve_decision"].invoke({"decision_id": decision_id, "reason": "bay is free"})
    assert approved["status"] == "executed"
    assert planner["list_decisions"].invoke(pending)["count"] == 0
    assert "not pending_approval" in planner["reject_decision"].invoke({"decision_id": decision_id, "reason": "late"})
    with desk.toolbox.session() as session:
        verdict = session.exec(select(m.Approval)).one()
    assert (verdict.decision_id, verdict.actor, verdict.verdict, verdict.reason) == (
        decision_id,
        "test-planner",
        "approve",
        "bay is free",
    )


def test_report_with_an_unknown_code_submits_nothing(desk):
    tools = tools_for(desk, "integrator")
    assert (
        tools["report_exception"].invoke({"description": "SHP-999999 is late", "shipment_id": "SHP-999999"})
        == "SHP-999999 is not in the twin"
    )
    with desk.toolbox.session() as session:
        assert store.count(session, m.ExceptionRecord) == 0


def test_carriers_compare_as_stored_on_the_lane(desk):
    result = tools_for(desk, "viewer")["compare_carriers"].invoke(
        {"carriers": ["Swiftline", "CAR-REDRIVER"], "lane": "DAL-HOU"}
    )
    with desk.toolbox.session() as session:
        stored = {o.carrier: o for o in store.carrier_lanes(session, lane="DAL-HOU")}
    assert {o["carrier"] for o in result["offers"]} == {"CAR-SWIFTLINE", "CAR-REDRIVER"} <= set(stored)
    assert all(o["on_time_rate"] == stored[o["carrier"]].on_time_rate for o in result["offers"])
    assert [o["on_time_rate"] for o in result["offers"]] == sorted(
        (o["on_time_rate"] for o in result["offers"]), reverse=True
    )


def test_days_of_cover_is_available_stock_over_forecast_daily_demand(desk):
    result = tools_for(desk, "viewer")["days_of_cover"].invoke({"sku": "SKU-0042", "location": "Houston"})
    with desk.toolbox.session() as session:
        position = {p.location: p for p in store.positions(session, "SKU-0042")}["DC-HOU"]
    assert result["available"] == position.on_hand + position.in_transit - position.allocated
    assert abs(result["days_of_cover"] - result["available"] / result["daily_demand_p50"]) <= 0.05


def test_a_closure_re_sources_orders_to_the_nearest_dc_with_stock_and_changes_nothing(desk):
    before = carrier_rows(desk)
    result = tools_for(desk, "viewer")["what_if_closure"].invoke({"location": "DC-HOU", "days": 2})
    with desk.toolbox.session() as session:
        dcs = {dc.code: dc for dc in store.dcs(session)}
        orders = session.exec(select(m.Order).where(m.Order.dc == "DC-HOU", m.Order.status == "open")).all()
    moved = sum(r["orders"] for r in result["re_sourced"])
    assert moved + result["orders_waiting"] == result["orders_affected"] <= len(orders)
    hou = dcs["DC-HOU"]
    nearest = min(
        (c for c in dcs if c != "DC-HOU"), key=lambda c: haversine_miles(hou.lat, hou.lon, dcs[c].lat, dcs[c].lon)
    )
    assert not result["re_sourced"] or result["re_sourced"][0]["dc"] == nearest
    assert carrier_rows(desk) == before
    assert tools_for(desk, "viewer")["what_if_closure"].invoke({"location": "DC-HOU", "days": 90}) == (
        "a closure lasts 1 to 28 days, not 90"
    )


def test_shipment_status_scores_open_shipments_as_the_desk_does(desk):
    result = tools_for(desk, "viewer")["shipment_status"].invoke({"shipment_id": "SHP-009267"})
    tb = desk.toolbox
    with tb.session() as session:
        frame = frames.shipment_frame(session, ids=["SHP-009267"])
    direct = score_shipments(tb.models.late, frame, now=tb.now())[0]
    assert result["p_late"] == direct.p_late == 1.0 and result["status"] != "delivered"
    assert result["late_by_rule"] is True, "past its promise at the twin's clock: late by rule, as on the desk"


def test_kpis_count_what_the_twin_holds(desk):
    result = tools_for(desk, "viewer")["kpis"].invoke({})
    with desk.toolbox.session() as session:
        assert result["open_exceptions"] == store.count(session, m.ExceptionRecord, m.ExceptionRecord.status == "open")
        assert result["decisions"] == store.count(session, m.DecisionRecord)
    assert 0 <= result["on_time_rate"] <= 1
