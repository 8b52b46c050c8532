"""Tests of the justification writer: template claims, their verification, and the LLM rephrasing with its fallback."""

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import Field

from agents.explain import (
    REPHRASE_PROMPT,
    ExplainInput,
    build_claims,
    describe_drivers,
    explain,
    format_number,
    format_usd,
)
from agents.schemas import Alternative, Claim, Impact
from agents.verify import verify_claim
from tools.carriers import CarrierOption, rank_carriers
from tools.evidence import Driver, Evidence, Source
from tools.knowledge import PROCEDURES_DIR, Hit, KnowledgeBase, parse_procedure

SHIPMENT = "SHP-000123"
DRIVERS = [
    Driver(feature="slack_left_hours", value=0.8134, contribution=-0.2871),
    Driver(feature="distance_miles", value=386.42, contribution=0.6112),
    Driver(feature="weather", value=2, contribution=0.4409),
    Driver(feature="carrier", value="CAR-REDRIVER", contribution=0.1023),
]


class RecordingChat(FakeMessagesListChatModel):
    """A scripted chat model that keeps the prompts it was given."""

    prompts: list[list[BaseMessage]] = Field(default_factory=list)

    def _generate(self, messages, *args, **kwargs):
        """Record the prompt, then answer from the script."""
        self.prompts.append(messages)
        return super()._generate(messages, *args, **kwargs)


class FailingChat(FakeMessagesListChatModel):
    """A chat model whose endpoint is down."""

    def _generate(self, *args, **kwargs):
        """Fail like an unreachable server."""
        raise ConnectionError("connection refused")


def _chat(answer: str) -> FakeMessagesListChatModel:
    """A chat model that answers `answer` to every prompt."""
    return FakeMessagesListChatModel(responses=[AIMessage(content=answer)])


@pytest.fixture(scope="module")
def decision() -> ExplainInput:
    """A late shipment re-tendered to another carrier, built from the tools' own evidence layouts."""
    late = Evidence(
        id=f"late-risk:{SHIPMENT}",
        source=Source(tool="late_risk", model="xgboost-late-risk", version="3.2.0+5be1e0a7"),
        inputs={
            "shipment_id": SHIPMENT,
            "lane": "DAL-HOU",
            "carrier": "CAR-REDRIVER",
            **{driver.feature: driver.value for driver in DRIVERS},
        },
        facts={"p_late": 0.8234},
        drivers=DRIVERS,
    )
    offers = [("CAR-METRO", 2.31, 0.93), ("CAR-SWIFTLINE", 2.05, 0.78), ("CAR-BLUEGRID", 2.62, 0.95)]
    options = [
        CarrierOption(carrier=carrier, lane="DAL-HOU", rate_per_mile=rate, on_time_prob=p, capacity_loads=3)
        for carrier, rate, p in offers
    ]
    ranking = rank_carriers(options, miles=240.1)
    best = ranking.ranking[0]
    impact = Evidence(
        id=f"impact:{SHIPMENT}",
        source=Source(tool="routing_impact", model="expected-lateness", version="1"),
        inputs={"p_late_before": 0.8234, "on_time_after": best.on_time_prob},
        facts={"cost_usd": best.cost_usd, "late_deliveries_avoided": round(0.8234 - (1 - best.on_time_prob), 4)},
    )
    chunks = [
        parse_procedure(PROCEDURES_DIR / name)[0]
        for name in ("severe_weather_disruption.md", "late_shipment_recovery.md")
    ]
    hits = [
        Hit(id=chunk.id, collection="procedures", title=chunk.title, text=chunk.text, score=score, metadata={})
        for chunk, score in zip(chunks, [0.47, 0.52], strict=True)
    ]
    kb = KnowledgeBase(chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False)))
    procedure = kb.evidence(f"{SHIPMENT} on DAL-HOU will miss its promise", hits, "late_shipment")
    return ExplainInput(
        exception_id="EXC-1",
        exception_type="late_shipment",
        specialist="routing",
        findings=[
            Claim(
                text=f"{SHIPMENT} on DAL-HOU with CAR-REDRIVER is at risk: P(late) {format_number(0.8234)}.",
                evidence_ids=[late.id],
            ),
            Claim(text=f"Top drivers: {describe_drivers(DRIVERS)}.", evidence_ids=[late.id]),
        ],
        chosen=Claim(
            text=f"Re-tender {SHIPMENT} to {ranking.chosen} for {format_usd(best.cost_usd)}",
            evidence_ids=[ranking.evidence.id, late.id],
        ),
        expected_impact=Impact(cost_usd=best.cost_usd, late_deliveries_avoided=impact.facts["late_deliveries_avoided"]),
        impact_evidence_ids=[impact.id],
        confidence=best.on_time_prob,
        confidence_evidence_ids=[ranking.evidence.id],
        alternatives=[Alternative(name=rejected.carrier, why_not=rejected.why) for rejected in ranking.rejected],
        alternatives_evidence_ids=[ranking.evidence.id],
        evidence=[late, ranking.evidence, impact, procedure],
    )


def _template(inp: ExplainInput) -> str:
    """The template text of a decision: its claims joined."""
    return " ".join(claim.text for claim in build_claims(inp))


def test_formats_are_the_ones_the_verifier_matches():
    assert [format_number(value) for value in (2, 2.5, 1249.6, 1250.004, 0.8234, 0.00417, -0.2871, 0)] == [
        "2",
        "2.5",
        "1,249.6",
        "1,250",
        "0.82",
        "0.0042",
        "-0.29",
        "0",
    ]
    assert format_usd(1250) == "1,250.00 USD"
    assert describe_drivers(DRIVERS, k=2) == "distance 386.42 miles (+0.61), weather on the lane 2 (+0.44)"


def test_claims_come_in_order_with_their_evidence(decision):
    claims = build_claims(decision)
    assert [claim.text.split()[0] for claim in claims] == [
        SHIPMENT,
        "Top",
        "Re-tender",
        "Expected",
        "Rejected",
        "Rejected",
        "Confidence",
        "Procedure",
    ]
    assert claims[1].text == (
        "Top drivers: distance 386.42 miles (+0.61), weather on the lane 2 (+0.44), time left before the promise 0.81 "
        "hours (-0.29)."
    )
    assert claims[2].text == f"Re-tender {SHIPMENT} to CAR-METRO for 554.63 USD."
    assert claims[3].text == "Expected cost 554.63 USD; 0.75 late deliveries avoided."
    assert claims[4].text.startswith("Rejected CAR-SWIFTLINE: 11% cheaper, on-time 0.78 vs 0.93")
    assert claims[6].text == "Confidence 0.93."
    assert claims[7] == Claim(
        text="Procedure SOP-LATE-01 (Late shipment recovery) applies.", evidence_ids=[decision.evidence[-1].id]
    )


def test_a_procedure_searched_for_another_exception_type_is_not_claimed(decision):
    other = decision.model_copy(update={"exception_type": "stockout_risk"})
    assert not any(claim.text.startswith("Procedure") for claim in build_claims(other))


def test_template_claims_pass_verification_on_realistic_input(decision):
    by_id = {record.id: record for record in decision.evidence}
    checks = [verify_claim(claim, by_id) for claim in build_claims(decision)]
    assert [check.unsupported for check in checks if not check.ok] == []
    assert all(len(claim.text.split()) <= 25 for claim in build_claims(decision))


def test_without_an_llm_the_template_is_the_justification(decision):
    justification = explain(decision)
    assert justification.text == _template(decision)
    assert justification.claims == build_claims(decision)
    assert (justification.writer, justification.verified, justification.fallback_used) == ("template", True, False)


def test_only_set_impact_fields_are_stated(decision):
    downtime = decision.model_copy(update={"expected_impact": Impact(downtime_hours=6)})
    assert "6 hours of downtime." in [claim.text for claim in build_claims(downtime)]
    unset = decision.model_copy(update={"expected_impact": Impact()})
    assert not any(claim.text.startswith("Expected") for claim in build_claims(unset))


def test_an_unsupported_finding_is_dropped_and_marks_the_justification_unverified(decision):
    invented = Claim(text=f"{SHIPMENT} was late 9 times this month.", evidence_ids=[f"late-risk:{SHIPMENT}"])
    justification = explain(decision.model_copy(update={"findings": [invented, *decision.findings]}))
    assert invented not in justification.claims and justification.text == _template(decision)
    assert not justification.verified


def test_a_faithful_rephrasing_is_used(decision):
    template = _template(decision)
    rephrased = template.replace("Re-tender", "We move").replace("Rejected", "We passed over")
    llm = RecordingChat(responses=[AIMessage(content=rephrased)])
    justification = explain(decision, llm)
    assert (justification.text, justification.writer, justification.fallback_used) == (rephrased, "llm", False)
    assert justification.claims == build_claims(decision)
    assert llm.prompts == [[SystemMessage(content=REPHRASE_PROMPT), HumanMessage(content=template)]]


@pytest.mark.parametrize(
    "llm",
    [
        _chat("Move SHP-000123 to CAR-METRO, saving 9,999 USD."),
        _chat("Move SHP-000124 to CAR-METRO."),
        _chat("   "),
        FailingChat(responses=[]),
    ],
    ids=["invented-number", "wrong-code", "empty", "raises"],
)
def test_a_bad_or_failed_rephrasing_falls_back_to_the_template(decision, llm):
    justification = explain(decision, llm)
    assert (justification.text, justification.writer, justification.fallback_used) == (
        _template(decision),
        "template",
        True,
    )
