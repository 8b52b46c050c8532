"""Tests of the knowledge base: procedures, precedents, persistence and evidence."""

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from tools import knowledge
from tools.embeddings import MiniLMEmbeddingFunction, model_version
from tools.knowledge import (
    PROCEDURES_DIR,
    ChromaAddress,
    KnowledgeBase,
    Precedent,
    chroma_address,
    corpus_hash,
    parse_procedure,
)
from twin.settings import Settings

EXCEPTION_TYPES = {
    "late_shipment",
    "stockout_risk",
    "equipment_failure_risk",
    "carrier_capacity",
    "demand_spike",
    "tender_plan",
    "maintenance_plan",
    "positioning_plan",
}

SMALL_PROCEDURE = """---
id: SOP-TEST-01
title: Dock door check
applies_to: late_shipment
---
# Dock door check

## Trigger
A trailer waits more than 30 minutes at the dock door.

## Action
Call the yard jockey.
"""

PRECEDENTS = [
    Precedent(
        decision_id="DEC-001",
        exception_type="late_shipment",
        specialist="routing",
        action_types=["reroute", "notify_customer"],
        status="executed",
        outcome="delivered 20 minutes inside the window",
        summary="SHP-000120 Dallas to Houston delayed by a closure on I-45; rerouted via US-290 and the gold customer notified.",
    ),
    Precedent(
        decision_id="DEC-002",
        exception_type="equipment_failure_risk",
        specialist="maintenance",
        action_types=["schedule_maintenance"],
        status="overridden",
        override_reason="bay at DC-HOU booked, moved to DC-DAL",
        summary="TRK-017 coolant temperature high, failure risk 0.82; preventive work order in the next 72 hours.",
    ),
    Precedent(
        decision_id="DEC-003",
        exception_type="stockout_risk",
        specialist="inventory",
        action_types=["transfer_stock"],
        status="pending_approval",
        summary="SKU-0042 at DC-ATL short in 5 days; transfer 300 units from DC-CHI.",
    ),
]


def _client(path) -> chromadb.ClientAPI:
    """A local Chroma client on its own directory."""
    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    """A knowledge base with the procedures indexed once and three precedents."""
    kb = KnowledgeBase(_client(tmp_path_factory.mktemp("chroma")))
    report = kb.index_procedures()
    for precedent in PRECEDENTS:
        kb.add_precedent(precedent)
    return kb, report


def test_every_procedure_declares_id_title_and_known_exception_types():
    paths = sorted(PROCEDURES_DIR.glob("*.md"))
    assert 8 <= len(paths) <= 13
    chunks = [chunk for path in paths for chunk in parse_procedure(path)]
    assert len({chunk.procedure_id for chunk in chunks}) == len(paths)
    assert len({chunk.id for chunk in chunks}) == len(chunks)
    assert {kind for chunk in chunks for kind in chunk.applies_to} == EXCEPTION_TYPES


def test_procedure_without_front_matter_is_rejected(tmp_path):
    path = tmp_path / "bad.md"
    path.write_text("# No front matter\n\n## Trigger\nSomething.\n")
    with pytest.raises(ValueError, match="front matter"):
        parse_procedure(path)


def test_procedure_with_an_unknown_exception_type_is_rejected(tmp_path):
    path = tmp_path / "bad.md"
    path.write_text(SMALL_PROCEDURE.replace("applies_to: late_shipment", "applies_to: late_shipment, lost_pallet"))
    with pytest.raises(ValueError, match="applies_to"):
        parse_procedure(path)


def test_sections_become_chunks_with_metadata(tmp_path):
    path = tmp_path / "dock.md"
    path.write_text(SMALL_PROCEDURE)
    chunks = parse_procedure(path)
    assert [chunk.id for chunk in chunks] == ["SOP-TEST-01#trigger", "SOP-TEST-01#action"]
    assert chunks[1].title == "Dock door check" and chunks[1].applies_to == ["late_shipment"]
    assert chunks[1].text == "Dock door check: Action\nCall the yard jockey."


def test_index_stores_every_section(indexed):
    kb, report = indexed
    assert report.procedures == len(list(PROCEDURES_DIR.glob("*.md")))
    assert report.chunks == report.embedded == kb.procedures.count()
    assert report.removed == 0


def test_reindexing_is_idempotent(indexed):
    kb, report = indexed
    again = kb.index_procedures()
    assert again.embedded == 0 and again.removed == 0
    assert kb.procedures.count() == report.chunks


def test_reindexing_embeds_changed_sections_and_drops_removed_ones(tmp_path):
    folder = tmp_path / "procedures"
    folder.mkdir()
    (folder / "dock.md").write_text(SMALL_PROCEDURE)
    kb = KnowledgeBase(_client(tmp_path / "chroma"), procedures_dir=folder)
    assert kb.index_procedures().embedded == 2
    (folder / "dock.md").write_text(SMALL_PROCEDURE.replace("30 minutes", "45 minutes").split("## Action")[0])
    report = kb.index_procedures()
    assert (report.chunks, report.embedded, report.removed) == (1, 1, 1)
    assert kb.procedures.get(ids=["SOP-TEST-01#trigger"])["documents"][0].endswith(
        "more than 45 minutes at the dock door."
    )


@pytest.mark.parametrize(
    ("query", "procedure_id"),
    [
        ("A truck between Dallas and Houston is delayed", "SOP-LATE-01"),
        ("forklift engine overheating", "SOP-MAINT-01"),
        ("the carrier rejected our load tender", "SOP-CAP-01"),
        ("hazmat load must be rerouted", "SOP-SAFE-01"),
    ],
)
def test_procedure_search_ranks_the_right_procedure_first(indexed, query, procedure_id):
    kb, _ = indexed
    hits = kb.search_procedures(query, k=3)
    assert len(hits) == 3 and hits[0].metadata["procedure_id"] == procedure_id
    assert hits[0].score >= hits[1].score >= hits[2].score and 0 < hits[0].score <= 1


def test_procedure_search_filters_by_exception_type(indexed):
    kb, _ = indexed
    hits = kb.search_procedures("forklift engine overheating", exception_type="demand_spike", k=5)
    assert len(hits) == 5
    assert all("demand_spike" in hit.metadata["applies_to"] for hit in hits)
    assert all(hit.metadata["procedure_id"] != "SOP-MAINT-01" for hit in hits)


def test_similar_precedents_with_and_without_filter(indexed):
    kb, _ = indexed
    nearest = kb.similar_precedents("truck engine running hot, coolant alarm", k=1)
    assert [hit.id for hit in nearest] == ["DEC-002"]
    assert nearest[0].metadata["override_reason"] == "bay at DC-HOU booked, moved to DC-DAL"
    assert nearest[0].metadata["action_types"] == ["schedule_maintenance"]
    assert "Override reason: bay at DC-HOU booked" in nearest[0].text
    filtered = kb.similar_precedents("truck engine running hot, coolant alarm", k=3, exception_type="late_shipment")
    assert [hit.id for hit in filtered] == ["DEC-001"]


def test_adding_a_precedent_again_replaces_it(indexed):
    kb, _ = indexed
    kb.add_precedent(PRECEDENTS[2].model_copy(update={"status": "executed", "action_types": []}))
    assert kb.precedents.count() == len(PRECEDENTS)
    stored = kb.precedents.get(ids=["DEC-003"])["metadatas"][0]
    assert stored["status"] == "executed" and "action_types" not in stored


def test_evidence_names_model_version_and_hits(indexed):
    kb, _ = indexed
    query = "A truck between Dallas and Houston is delayed"
    hits = kb.search_procedures(query, exception_type="late_shipment", k=2)
    evidence = kb.evidence(query, hits, exception_type="late_shipment")
    assert evidence.source.tool == "knowledge" and evidence.source.model == "all-MiniLM-L6-v2-int8"
    assert evidence.source.version == f"{model_version()}+{corpus_hash(PROCEDURES_DIR)[:12]}"
    assert evidence.inputs == {"query": query, "exception_type": "late_shipment", "k": 2}
    assert [fact["id"] for fact in evidence.facts["hits"]] == [hit.id for hit in hits]
    assert evidence.facts["hits"][0]["text"] == hits[0].text
    assert kb.evidence(query, hits, exception_type="late_shipment").id == evidence.id
    assert kb.evidence("another query", hits).id != evidence.id


def test_store_reopens_in_a_new_client_from_settings(tmp_path, monkeypatch):
    monkeypatch.setenv("YM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("YM_CHROMA_URL", raising=False)
    KnowledgeBase(knowledge.open_client(Settings())).add_precedent(PRECEDENTS[0])
    assert (tmp_path / "chroma").is_dir()
    chromadb.api.client.SharedSystemClient.clear_system_cache()
    reopened = _client(tmp_path / "chroma").get_collection(knowledge.PRECEDENTS)
    assert isinstance(reopened.configuration["embedding_function"], MiniLMEmbeddingFunction)
    assert reopened.configuration["hnsw"]["space"] == "cosine"
    assert reopened.query(query_texts=["delayed truck on I-45"], n_results=1)["ids"] == [["DEC-001"]]


def test_chroma_url_selects_a_server_client(monkeypatch):
    calls = []
    monkeypatch.setenv("YM_CHROMA_URL", "https://kb.example.com:8443")
    monkeypatch.setattr(knowledge.chromadb, "HttpClient", lambda **kwargs: calls.append(kwargs))
    knowledge.open_client(Settings())
    assert [(call["host"], call["port"], call["ssl"]) for call in calls] == [("kb.example.com", 8443, True)]


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("http://chroma:9000", ChromaAddress(host="chroma", port=9000, ssl=False)),
        ("https://kb.example.com", ChromaAddress(host="kb.example.com", port=443, ssl=True)),
        ("localhost", ChromaAddress(host="localhost", port=8000, ssl=False)),
    ],
)
def test_chroma_address_parses_host_port_and_tls(url, address):
    assert chroma_address(url) == address


def test_precedents_of_the_same_type_that_acted_rank_by_similarity_and_outcome(tmp_path):
    kb = KnowledgeBase(_client(tmp_path / "chroma"))
    text = "SHP-000500 late on lane DAL-HOU; expedited the final leg and notified the customer."
    for decision_id, exception_type, status in [
        ("DEC-A", "late_shipment", "executed"),
        ("DEC-B", "late_shipment", "executed"),
        ("DEC-C", "late_shipment", "no_action"),
        ("DEC-D", "stockout_risk", "executed"),
    ]:
        kb.add_precedent(
            Precedent(
                decision_id=decision_id,
                exception_type=exception_type,
                specialist="routing",
                action_types=["expedite_shipment"],
                status=status,
                summary=text,
            )
        )
    kb.set_outcome("DEC-A", "not_achieved")
    kb.set_outcome("DEC-B", "achieved")
    kb.set_outcome("DEC-UNKNOWN", "achieved")  # a decision that never became a precedent changes nothing
    hits = kb.similar_precedents("late shipment on lane DAL-HOU expedited", k=3, exception_type="late_shipment")
    assert [hit.id for hit in hits] == ["DEC-B", "DEC-A"]
    assert hits[0].metadata["outcome"] == "achieved" and hits[0].title.endswith("outcome achieved")
    assert hits[0].score == pytest.approx(hits[1].score)
    assert kb.precedents.count() == 4
