"""The chat graph with the offline model: one thread over several turns, numbers from tool runs, refusals, errors."""

from typing import Any

from langchain.agents import create_agent
from langchain_core.language_models import BaseChatModel
from langchain_core.outputs import ChatResult
from langgraph.checkpoint.memory import InMemorySaver

from agents.routing import capacity_shortfall
from chat.whatif import read_situation
from chat.graph import ErrorEvent, FinalEvent, build_chat_graph, chat_events, checkpoint_thread

TRUCK_FAULT = "Truck 7 is overheating and losing oil pressure"


def turn(graph, message: str, owner: str = "tester", thread: str = "t1") -> list:
    """The events of one turn on a thread."""
    return list(chat_events(graph, message, thread, owner))


def only(events: list, kind: str):
    """The one event of a kind in a turn."""
    [event] = [e for e in events if e.event == kind]
    return event


def streamed(events: list) -> str:
    """The text of a turn's token events."""
    return "".join(e.text for e in events if e.event == "token")


def test_one_thread_forecast_what_if_and_pending_approvals(desk):
    graph = build_chat_graph(desk, "planner", "tester")

    forecast = turn(graph, "Forecast SKU-0042 at Dallas for the next 2 weeks")
    call, result, final = only(forecast, "tool_call"), only(forecast, "tool_result"), forecast[-1]
    assert (call.name, call.args) == ("forecast_demand", {"sku": "SKU-0042", "location": "DC-DAL", "horizon_weeks": 2})
    assert result.ok and len(result.result["weeks"]) == 2 and result.evidence_ids[0].startswith("forecast:SKU-0042/DC-DAL")
    assert isinstance(final, FinalEvent) and final.thread_id == "t1"
    assert f"total.p50: {result.result['total']['p50']}" in final.answer and streamed(forecast) == final.answer

    what_if = turn(build_chat_graph(desk, "planner", "tester"), "What if Red River loses 30% of its capacity?")
    situation = read_situation(desk.toolbox, "CAR-REDRIVER")
    assignment, original_cost, loads = capacity_shortfall(
        "CAR-REDRIVER", situation.own, situation.offers, situation.lanes, situation.week, situation.capacity, 30.0)
    facts = only(what_if, "tool_result").result
    assert only(what_if, "tool_call").args == {"carrier": "CAR-REDRIVER", "capacity_cut_pct": 30}
    assert facts["loads_displaced"] == len(loads)
    assert facts["before"]["freight_cost_usd"] == round(original_cost, 2)
    assert facts["after"] == {"freight_cost_usd": assignment.freight_cost_usd,
                              "expected_late_loads": assignment.expected_late_loads,
                              "unassigned_loads": len(assignment.unassigned)}
    assert f"after.freight_cost_usd: {assignment.freight_cost_usd}" in what_if[-1].answer

    pending = turn(graph, "show pending approvals")
    assert only(pending, "tool_call").name == "list_pending_approvals"
    assert pending[-1].answer == "list_pending_approvals: count: 0"

    config = {"configurable": {"thread_id": checkpoint_thread("tester", "t1")}}
    humans = [m.text for m in graph.get_state(config).values["messages"] if m.type == "human"]
    assert humans == ["Forecast SKU-0042 at Dallas for the next 2 weeks",
                      "What if Red River loses 30% of its capacity?", "show pending approvals"]
    stranger = {"configurable": {"thread_id": checkpoint_thread("someone-else", "t1")}}
    assert not graph.get_state(stranger).values


def test_a_viewer_is_refused_and_unknown_codes_are_reported(desk):
    report = turn(build_chat_graph(desk, "planner", "planner-1"), TRUCK_FAULT, owner="planner-1")
    decision = only(report, "tool_result").result
    assert decision["status"] == "pending_approval" and streamed(report) == report[-1].answer

    viewer = build_chat_graph(desk, "viewer", "viewer-1")
    refused = turn(viewer, f"approve {decision['decision_id']}", owner="viewer-1")
    assert not only(refused, "tool_result").ok
    assert refused[-1].answer == ("approve_decision failed: the viewer role cannot approve decisions; "
                                  "planner or admin can")
    waiting = turn(viewer, "which decisions are waiting for approval?", owner="viewer-1")
    assert [p["decision_id"] for p in only(waiting, "tool_result").result["pending"]] == [decision["decision_id"]]

    unknown = turn(viewer, "forecast SKU-9999 at Dallas for 2 weeks", owner="viewer-1")
    assert unknown[-1].answer == "forecast_demand failed: SKU-9999 is not in the twin"


class BrokenModel(BaseChatModel):
    """A chat model whose endpoint is down."""

    @property
    def _llm_type(self) -> str:
        """The provider name."""
        return "broken"

    def _generate(self, messages: list, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        """Fail like an unreachable endpoint."""
        raise ConnectionError("model endpoint unreachable")


def test_a_failing_model_ends_the_turn_with_an_error_event():
    graph = create_agent(BrokenModel(), [], checkpointer=InMemorySaver())
    assert turn(graph, "hello") == [ErrorEvent(thread_id="t1", message="ConnectionError: model endpoint unreachable")]
