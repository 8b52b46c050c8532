"""Tests of the optional LLM judge against a scripted OpenAI-compatible server."""

from agents.llm import make_chat_model
from agents.schemas import Claim, Decision, ExceptionIn, Justification
from evals.cases import Case, Expect
from evals.judge import JUDGE_PROMPT, judge
from evals.metrics import CaseRun
from tests.agents.fake_openai import FakeOpenAI, error_reply, text_reply
from twin.settings import Settings


def run(case_id: str) -> CaseRun:
    """A case run whose decision has a one-claim justification."""
    case = Case(
        id=case_id,
        version=1,
        category="routine",
        note="n",
        exception=ExceptionIn(description="Hm."),
        expect=Expect(specialist=None, status=["needs_info"]),
    )
    text = "The report cannot be resolved yet: please give the type."
    decision = Decision(
        decision_id="DEC-1",
        exception_id="EXC-1",
        specialist=None,
        status="needs_info",
        justification=Justification(text=text, claims=[Claim(text=text, evidence_ids=["x"])]),
        trace_id="EXC-1",
    )
    return CaseRun(case=case, decision=decision)


def test_the_judge_reports_scores_and_counts_failed_calls_as_unscored():
    replies = [text_reply('{"clarity": 5, "helpfulness": 3}'), error_reply(500, "down"), error_reply(500, "down")]
    with FakeOpenAI(replies) as server:
        llm = make_chat_model(Settings(llm="openai", llm_base_url=server.base_url, llm_model="judge"))
        clarity, helpfulness = judge([run("a"), run("b")], llm)
    assert server.requests[0]["body"]["messages"][0]["content"].startswith(JUDGE_PROMPT)
    assert "please give the type" in server.requests[0]["body"]["messages"][1]["content"]
    assert (clarity.name, clarity.value, clarity.total, clarity.gate) == ("judge_clarity", 1.0, 1, None)
    assert (helpfulness.value, helpfulness.failures[0].detail) == (0.0, "helpfulness 3")
    assert clarity.extra == {"mean_score": 5.0, "unscored": 1}
