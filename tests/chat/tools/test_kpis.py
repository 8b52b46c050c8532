"""The KPI tool counts what the twin holds."""

from twin import models as m
from twin import store


def test_kpis_count_what_the_twin_holds(desk, tools_for):
    result = tools_for("viewer")["kpis"].invoke({})
    with desk.toolbox.session() as session:
        assert result["open_exceptions"] == store.count(session, m.ExceptionRecord, m.ExceptionRecord.status == "open")
        assert result["decisions"] == store.count(session, m.DecisionRecord)
    assert 0 <= result["on_time_rate"] <= 1
