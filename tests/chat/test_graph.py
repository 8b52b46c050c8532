"""The chat graph over several turns: follow-ups on the thread's memory, questions that never act, confirmations and
reasons before acts, clarifying questions, checked answers on the offline and the OpenAI-compatible paths."""

from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.outputs import ChatResult
from sqlmodel import select

from agents.llm import make_chat_model
from agents.schemas import ExceptionIn, ExceptionType, Refs
from chat.graph import (
    ErrorEvent,
    FinalEvent,
    ToolResultEvent,
    build_chat_graph,
    chat_events,
    checkpoint_thread,
)
from tests.agents.fake_openai import FakeOpenAI, text_reply, tool_reply
from twin import models as m
from twin import store
from twin.settings import Settings

TRUCK_FAULT = "Truck 7 is overheating and losing oil pressure"


def turn(graph, message: str, thread: str = "t1", owner: str = "tester") -> list:
    """The events of one turn on a thread."""
    return list(chat_events(graph, message, thread, owner))


def results(events: list) -> list[ToolResultEvent]:
    """The tool results of a turn."""
    return [e for e in events if isinstance(e, ToolResultEvent)]


def answer(events: list) -> str:
    """The final answer of a turn, checking that the tokens streamed add up to it."""
    final = events[-1]
    assert isinstance(final, FinalEvent), final
    assert "".join(e.text for e in events if e.event == "token") == final.answer
    return final.answer


def exceptions(desk) -> int:
    """How many exceptions the twin holds."""
    with desk.toolbox.session() as session:
        return store.count(session, m.ExceptionRecord)


def test_follow_ups_resolve_against_the_thread(desk):
    graph = build_chat_graph(desk, "viewer", "tester")
    first = turn(graph, "what is at risk at DC-DAL?")
    assert results(first)[0].name == "risks_at_location" and results(first)[0].result["location"] == "DC-DAL"
    followed = turn(graph, "and at DC-HOU?")
    assert (results(followed)[0].name, results(followed)[0].result["location"]) == ("risks_at_location", "DC-HOU")
    assert answer(followed).startswith("At DC-HOU over 1 week,") and ":" not in answer(followed).split(",")[0]

    forecast = turn(graph, "Forecast SKU-0042 at Dallas for 2 weeks")
    assert results(forecast)[0].result["horizon_weeks"] == 2
    assert "| week | from | to | p50 | p90 |" in answer(forecast) and "…" not in answer(forecast)
    why = turn(graph, "why is it so high?")
    drivers = results(why)[0]
    assert drivers.name == "forecast_demand" and answer(why).startswith("For the forecast of SKU-0042 at DC-DAL as of ")
    assert "the main drivers are" in answer(why) and "_" not in answer(why)
    later = turn(graph, "what about next week?")
    assert results(later)[0].result["horizon_weeks"] == 2 and results(later)[0].result["sku"] == "SKU-0042"

    config = {"configurable": {"thread_id": checkpoint_thread("tester", "t1")}}
    assert len(graph.get_state(config).values["messages"]) == 10
    assert not graph.get_state({"configurable": {"thread_id": checkpoint_thread("other", "t1")}}).values


def test_a_question_never_acts_and_a_report_waits_for_yes(desk):
    graph = build_chat_graph(desk, "integrator", "ops-1")
    asked = turn(graph, "Is SHP-009267 going to be late?")
    assert [r.name for r in results(asked)] == ["shipment_status"] and exceptions(desk) == 0
    assert "it is late, by the same rule the desk applies" in answer(asked)

    staged = turn(graph, TRUCK_FAULT)
    assert not results(staged) and answer(staged) == "Log this as an equipment failure risk for TRK-007? yes/no"
    assert exceptions(desk) == 0
    assert answer(turn(graph, "hmm")).startswith("Please answer yes or no.")
    done = turn(graph, "yes")
    assert results(done)[0].name == "report_exception" and results(done)[0].result["status"] == "pending_approval"
    assert exceptions(desk) == 1

    viewer = build_chat_graph(desk, "viewer", "viewer-1")
    refused = turn(viewer, TRUCK_FAULT, thread="p1", owner="viewer-1")
    assert answer(refused) == (
        "I could not do that: the viewer role cannot report exceptions; integrator, planner or admin can."
    )
    assert exceptions(desk) == 1


def test_verdicts_ask_for_confirmation_and_a_reason_that_is_stored(desk):
    turn(build_chat_graph(desk, "admin", "ops"), TRUCK_FAULT, thread="r")
    decision_id = results(turn(build_chat_graph(desk, "admin", "ops"), "yes", thread="r"))[0].result["decision_id"]

    planner = build_chat_graph(desk, "planner", "planner-1")
    approve = turn(planner, f"approve {decision_id}", thread="v")
    assert answer(approve) == f"Approve {decision_id}? yes/no" and not results(approve)
    assert answer(turn(planner, "no", thread="v")) == "Cancelled; nothing was done."

    why = turn(planner, f"reject {decision_id}", thread="v")
    assert answer(why) == f"Why reject {decision_id}? The reason is stored with the decision."
    confirm = turn(planner, "the customer was already called", thread="v")
    assert answer(confirm) == f"Reject {decision_id} because the customer was already called? yes/no"
    rejected = turn(planner, "yes", thread="v")
    assert results(rejected)[0].result["status"] == "rejected"
    with desk.toolbox.session() as session:
        verdict = session.exec(select(m.Approval)).one()
    assert (verdict.verdict, verdict.reason, verdict.actor) == (
        "reject",
        "the customer was already called",
        "planner-1",
    )

    inline = turn(planner, f"reject {decision_id}, the truck was fixed this morning", thread="w")
    assert answer(inline) == f"Reject {decision_id} because the truck was fixed this morning? yes/no"
    gone = turn(planner, "yes", thread="w")
    assert answer(gone).startswith("I could not do that:") and "Error" not in answer(gone)

    viewer = turn(build_chat_graph(desk, "viewer", "v-1"), f"approve {decision_id}", thread="x")
    assert answer(viewer) == (
        "I could not do that: the viewer role cannot approve decisions; planner, architect or admin can."
    )


def test_an_architect_is_refused_at_once_on_a_decision_planners_decide(desk):
    turn(build_chat_graph(desk, "admin", "ops"), TRUCK_FAULT, thread="r")
    decision_id = results(turn(build_chat_graph(desk, "admin", "ops"), "yes", thread="r"))[0].result["decision_id"]
    refused = turn(build_chat_graph(desk, "architect", "arch-1"), f"approve {decision_id}", thread="a")
    assert answer(refused).startswith(f"I could not do that: the architect role cannot approve {decision_id} (")
    assert answer(refused).endswith("); planner or admin can.")
    with desk.toolbox.session() as session:
        assert session.get(m.DecisionRecord, decision_id).status == "pending_approval"


def test_an_unclear_message_gets_one_question_naming_readings_of_its_codes(desk):
    graph = build_chat_graph(desk, "planner", "tester")
    unclear = turn(graph, "SKU-0042 DC-DAL")
    assert not results(unclear) and unclear[-1].verified
    assert answer(unclear) == (
        "What do you want to know about SKU-0042: its stock per DC, its forecast at a DC, or its days of cover?"
    )
    texas = turn(graph, "what is at risk in Texas?")
    assert [(r.name, r.result["location"]) for r in results(texas)] == [
        ("risks_at_location", "DC-DAL"),
        ("risks_at_location", "DC-HOU"),
    ]


def test_a_question_outside_the_desk_gets_one_polite_sentence(desk):
    graph = build_chat_graph(desk, "viewer", "tester")
    poem = turn(graph, "write me a poem about trucks")
    assert not results(poem) and poem[-1].verified and answer(poem).endswith("That request is outside what I do.")
    fuel = turn(graph, "how much diesel did TRK-004 burn last week?")
    assert answer(fuel) == "The twin holds no fuel consumption, so I cannot answer that from the desk's data."


def test_an_overdue_shipment_is_late_by_the_desk_rule_in_chat_too(desk):
    graph = build_chat_graph(desk, "viewer", "tester")
    asked = turn(graph, "Is SHP-009267 going to be late?")
    assert results(asked)[0].result["p_late"] == 1.0 and results(asked)[0].result["late_by_rule"] is True
    assert answer(asked).endswith("it is late, by the same rule the desk applies.")


class BrokenModel(BaseChatModel):
    """A chat model whose endpoint is down."""

    @property
    def _llm_type(self) -> str:
        """The provider name."""
        return "broken"

    def _generate(self, messages: list, stop: Any = None, run_manager: Any = None, **kwargs: Any) -> ChatResult:
        """Fail like an unreachable endpoint."""
        raise ConnectionError("model endpoint unreachable at 10.0.0.1")

    def bind_tools(self, tools, **kwargs):
        """Bind nothing; every call fails anyway."""
        return self


def test_a_failing_model_leaves_the_turn_to_the_offline_reader(desk):
    desk.toolbox.llm = BrokenModel()
    events = turn(build_chat_graph(desk, "planner", "tester"), "hello")
    final = events[-1]
    assert isinstance(final, FinalEvent) and final.verified and final.answer.startswith("I can give stock per DC")
    assert not any(isinstance(event, ErrorEvent) for event in events) and "10.0.0.1" not in answer(events)


def test_the_openai_path_answers_checked_sentences_or_the_template(desk):
    forecast = {"sku": "SKU-0042", "location": "DC-DAL", "horizon_weeks": 2}
    script = [
        tool_reply("forecast_demand", forecast),
        text_reply("Expect about 9999 units of SKU-0042."),
        tool_reply("forecast_demand", forecast),
        text_reply("SKU-0042 at DC-DAL: see the weeks above."),
        tool_reply(
            "report_exception", {"description": TRUCK_FAULT, "type": "equipment_failure_risk", "asset_id": "TRK-007"}
        ),
    ]
    with FakeOpenAI(script) as server:
        desk.toolbox.llm = make_chat_model(Settings(llm="openai", llm_model="fake", llm_base_url=server.base_url))
        graph = build_chat_graph(desk, "admin", "tester")
        invented = turn(graph, "forecast SKU-0042 at Dallas for 2 weeks")
        assert not invented[-1].verified and "9999" not in answer(invented)
        assert answer(invented).startswith("SKU-0042 at DC-DAL should sell about")
        grounded = turn(graph, "and again please")
        assert grounded[-1].verified and answer(grounded) == "SKU-0042 at DC-DAL: see the weeks above."
        staged = turn(graph, TRUCK_FAULT)
        assert answer(staged) == "Log this as an equipment failure risk for TRK-007? yes/no"
        assert exceptions(desk) == 0
        assert results(turn(graph, "yes"))[0].name == "report_exception" and exceptions(desk) == 1
    assert len(server.requests) >= 5  # and the explainer's rephrasing requests, answered with errors
    assert server.requests[2]["body"]["messages"][1]["content"] == "forecast SKU-0042 at Dallas for 2 weeks"


def test_an_architect_sets_the_trade_off_after_a_yes_and_others_are_refused(desk):
    architect = build_chat_graph(desk, "architect", "arch-1")
    staged = turn(architect, "weight late penalties 3 for silver on DAL-HOU", thread="s")
    assert answer(staged) == (
        "Set the trade-off for silver customers on DAL-HOU: late penalties weighted 3 against freight "
        "(CO2 weight as it is)? yes/no"
    )
    assert not results(staged)
    done = turn(architect, "yes", thread="s")
    assert [r.name for r in results(done)] == ["set_tradeoff"]
    assert answer(done).startswith(
        "The trade-off for silver customers on DAL-HOU is now version 1: late penalties weighted 3, CO2 0 against "
        "freight, set by arch-1."
    )
    with desk.toolbox.session() as session:
        rule = session.exec(select(m.TradeOffRule)).one()
        audit = session.exec(select(m.AuditEvent).where(m.AuditEvent.kind == "tradeoff_updated")).one()
    assert (rule.tier, rule.lane, rule.on_time, rule.co2, rule.set_by) == ("silver", "DAL-HOU", 3.0, 0.0, "arch-1")
    assert rule.reason == "weight late penalties 3 for silver on DAL-HOU"
    assert (audit.actor, audit.detail["before"], audit.detail["after"]["version"]) == ("arch-1", None, 1)

    bad = turn(architect, "weight late penalties 12 for gold", thread="b")
    assert answer(bad) == (
        "I could not do that: the late-penalty weight 12 is outside 0 to 10; 1 counts it at face value, 2 twice, "
        "0 ignores it."
    )
    viewer = turn(build_chat_graph(desk, "viewer", "v-1"), "favour on-time over cost for gold customers", thread="v")
    assert answer(viewer) == "I could not do that: the viewer role cannot set the trade-off; architect or admin can."
    with desk.toolbox.session() as session:
        assert store.count(session, m.TradeOffRule) == 1

    shown = turn(build_chat_graph(desk, "viewer", "v-1"), "what is the current trade-off?", thread="w")
    assert [r.name for r in results(shown)] == ["tradeoff"] and shown[-1].verified
    assert "| * | * | 1 | 0 | 0 | system |" in answer(shown)
    assert "| silver | DAL-HOU | 3 | 0 | 1 | arch-1 | weight late penalties 3 for silver on DAL-HOU |" in answer(shown)


def test_the_chat_lists_the_plan_in_force(desk):
    graph = build_chat_graph(desk, "viewer", "v-1")
    none = turn(graph, "what is today's tender plan?", thread="p")
    today = desk.toolbox.now().date().isoformat()
    assert answer(none) == f"No tender plan has been made for {today} or before."
    decision = desk.submit(ExceptionIn(type=ExceptionType.tender_plan, refs=Refs(day=today)), "planner-1")
    listed = turn(graph, "what is today's tender plan?", thread="p")
    assert [r.name for r in results(listed)] == ["plans"] and listed[-1].verified
    text = answer(listed)
    assert text.startswith(
        f"The tender plan for {today} is {decision.decision_id}, {decision.status.replace('_', ' ')}"
    )
    assert "It cites the trade-off any tier on any lane version 0." in text
    assert "| lane | tier | carrier | expected loads |" in text and "| alternative | expected total | why not |" in text
    week = turn(graph, "show the maintenance plan", thread="p")
    assert answer(week) == f"No maintenance plan has been made for {today} or before."
