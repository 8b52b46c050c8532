"""A DC's risk overview from the late-risk, forecast and failure models."""

from agents import maintenance
from tools.late_risk import score_shipments
from twin import frames, store


def test_risks_at_a_dc_come_from_the_late_risk_forecast_and_failure_models(desk, tools_for):
    result = tools_for("viewer")["risks_at_location"].invoke({"location": "DC-DAL", "horizon_weeks": 1})
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
