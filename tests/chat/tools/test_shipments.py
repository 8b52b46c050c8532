"""A shipment's status and risk, as the desk scores it."""

from tools.late_risk import score_shipments
from twin import frames


def test_shipment_status_scores_open_shipments_as_the_desk_does(desk, tools_for):
    result = tools_for("viewer")["shipment_status"].invoke({"shipment_id": "SHP-009267"})
    tb = desk.toolbox
    with tb.session() as session:
        frame = frames.shipment_frame(session, ids=["SHP-009267"])
    direct = score_shipments(tb.models.late, frame, now=tb.now())[0]
    assert result["p_late"] == direct.p_late == 1.0 and result["status"] != "delivered"
    assert result["late_by_rule"] is True, "past its promise at the twin's clock: late by rule, as on the desk"
