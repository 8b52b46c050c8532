"""The knowledge base on Chroma: operating procedures split by section, and precedents of past decisions."""

import hashlib
import json
import logging
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import ChromaError
from pydantic import BaseModel, Field, TypeAdapter, field_validator

from tools.embeddings import MODEL_NAME, MiniLMEmbeddingFunction, model_version
from tools.evidence import Evidence, Source
from twin.settings import Settings

logger = logging.getLogger(__name__)

PROCEDURES_DIR = Path(__file__).with_name("procedures")
PROCEDURES = "procedures"
PRECEDENTS = "precedents"
FRONT_MATTER = re.compile(r"\A---\n(?P<fields>.*?)\n---\n", re.DOTALL)
SECTION_HEADING = re.compile(r"^## +(.+?) *$", re.MULTILINE)
TITLE_HEADING = re.compile(r"^# +.+$", re.MULTILINE)

UNINFORMATIVE = ["no_action", "needs_info"]  # decisions that did nothing teach nothing about what to do
T = TypeVar("T")
OUTCOME_WEIGHT = {"achieved": 0.15, "pending": 0.0, "not_achieved": -0.15}  # added to the cosine similarity
ExceptionType = Literal[
    "late_shipment",
    "stockout_risk",
    "equipment_failure_risk",
    "carrier_capacity",
    "demand_spike",
    "tender_plan",
    "maintenance_plan",
    "positioning_plan",
    "model_drift",
]
EXCEPTION_TYPE: TypeAdapter[ExceptionType] = TypeAdapter(ExceptionType)


def _included(values: list[T] | None, field: str) -> list[T]:
    """A field of a Chroma answer that the request included (Chroma types every field as optional)."""
    if values is None:
        raise RuntimeError(f"Chroma's answer lacks the {field} it was asked for")
    return values


def exception_type(name: str) -> ExceptionType:
    """The exception type with this name (a pydantic ValidationError for an unknown one)."""
    return EXCEPTION_TYPE.validate_python(name)


class ProcedureHeader(BaseModel):
    """The front matter of a procedure file: its id, title and the exception types it applies to."""

    id: str
    title: str
    applies_to: list[ExceptionType] = Field(min_length=1)

    @field_validator("applies_to", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        """Accept a comma-separated list."""
        return [item.strip() for item in value.split(",")] if isinstance(value, str) else value


class ProcedureChunk(BaseModel):
    """One section of an operating procedure, as stored in the `procedures` collection."""

    id: str
    procedure_id: str
    title: str
    section: str
    applies_to: list[ExceptionType] = Field(min_length=1)
    text: str


class Precedent(BaseModel):
    """A past decision or override, kept so that similar exceptions can learn from it."""

    decision_id: str
    exception_type: ExceptionType
    specialist: str
    action_types: list[str] = Field(default_factory=list)
    status: str
    outcome: str | None = None
    override_reason: str | None = None
    summary: str


class Hit(BaseModel):
    """One search result with its cosine similarity to the query."""

    id: str
    collection: str
    title: str
    text: str
    score: float
    metadata: dict[str, Any]


class IndexReport(BaseModel):
    """What an indexing run did: procedures and chunks found, chunks (re-)embedded, stale chunks removed."""

    procedures: int
    chunks: int
    embedded: int
    removed: int
    version: str


class ChromaAddress(BaseModel):
    """Host, port and TLS of a Chroma server."""

    host: str
    port: int
    ssl: bool


def chroma_address(url: str) -> ChromaAddress:
    """Parse `http(s)://host[:port]` (port defaults to 8000, or 443 with https)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    ssl = parts.scheme == "https"
    return ChromaAddress(host=parts.hostname or "localhost", port=parts.port or (443 if ssl else 8000), ssl=ssl)


def open_client(settings: Settings) -> ClientAPI:
    """A Chroma server client when `chroma_url` is set, else the local directory `chroma_dir`."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        address = chroma_address(settings.chroma_url)
        return chromadb.HttpClient(host=address.host, port=address.port, ssl=address.ssl, settings=chroma_settings)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


def _slug(text: str) -> str:
    """A lower-case, dash-separated id fragment."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def parse_procedure(path: Path) -> list[ProcedureChunk]:
    """Split a procedure file (front matter `id`, `title`, `applies_to`) into one chunk per `##` section."""
    text = path.read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    if match is None:
        raise ValueError(f"{path.name}: missing front matter with id, title and applies_to")
    fields = (line.split(":", 1) for line in match["fields"].splitlines() if ":" in line)
    header = ProcedureHeader.model_validate({key.strip(): value.strip() for key, value in fields})
    parts = SECTION_HEADING.split(text[match.end() :])
    overview = TITLE_HEADING.sub("", parts[0]).strip()
    sections = ([("Overview", overview)] if overview else []) + list(zip(parts[1::2], parts[2::2], strict=True))
    return [
        ProcedureChunk(
            id=f"{header.id}#{_slug(section)}",
            procedure_id=header.id,
            title=header.title,
            section=section,
            applies_to=header.applies_to,
            text=f"{header.title}: {section}\n{body.strip()}",
        )
        for section, body in sections
    ]


def corpus_hash(procedures_dir: Path) -> str:
    """A content hash of every procedure file, stable across runs."""
    digest = hashlib.sha256()
    for path in sorted(procedures_dir.glob("*.md")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _chunk_metadata(chunk: ProcedureChunk) -> dict[str, Any]:
    """Chroma metadata of a procedure section."""
    return {"kind": "procedure", **chunk.model_dump(exclude={"id", "text"})}


def _precedent_metadata(precedent: Precedent) -> dict[str, Any]:
    """Chroma metadata of a precedent; empty fields are None, which an upsert turns into "remove the old value"."""
    fields = precedent.model_dump(exclude={"summary"})
    fields["action_types"] = precedent.action_types or None
    return {"kind": "precedent", "title": _precedent_title(fields), **fields}


def _precedent_title(fields: dict[str, Any]) -> str:
    """A precedent's title: decision, exception type, specialist, status and the outcome once known."""
    outcome = f", outcome {fields['outcome']}" if fields.get("outcome") else ""
    return f"{fields['decision_id']}: {fields['exception_type']} by {fields['specialist']}, {fields['status']}{outcome}"


def _precedent_text(precedent: Precedent) -> str:
    """The embedded text of a precedent: its summary, then the override reason if any."""
    reason = f" Override reason: {precedent.override_reason}" if precedent.override_reason else ""
    return precedent.summary + reason


class KnowledgeBase:
    """Procedures and precedents in two Chroma collections, embedded offline with MiniLM."""

    def __init__(self, client: ClientAPI, procedures_dir: Path = PROCEDURES_DIR) -> None:
        """Open (or create) both collections on `client` (`open_client` gives the configured Chroma)."""
        self.client = client
        self.procedures_dir = procedures_dir
        embedding_function = MiniLMEmbeddingFunction()
        self.procedures = self._collection(PROCEDURES, embedding_function)
        self.precedents = self._collection(PRECEDENTS, embedding_function)
        # a decision searches procedures and precedents with one query: embed it once
        self._query_embedding = lru_cache(maxsize=64)(lambda query: embedding_function([query])[0])

    def _collection(self, name: str, embedding_function: MiniLMEmbeddingFunction) -> Collection:
        """A cosine-space collection embedded with MiniLM."""
        return self.client.get_or_create_collection(
            name,
            embedding_function=embedding_function,  # pyright: ignore[reportArgumentType]  # chromadb wants images too
            configuration={"hnsw": {"space": "cosine"}},
        )

    @property
    def version(self) -> str:
        """The embedding package version plus a hash of the procedure corpus."""
        return f"{model_version()}+{corpus_hash(self.procedures_dir)[:12]}"

    def index_procedures(self) -> IndexReport:
        """Embed new or changed procedure sections under stable ids and drop sections no longer in the corpus."""
        paths = sorted(self.procedures_dir.glob("*.md"))
        chunks = [chunk for path in paths for chunk in parse_procedure(path)]
        stored = self.procedures.get(include=["documents", "metadatas"])
        documents, metadatas = _included(stored["documents"], "documents"), _included(stored["metadatas"], "metadatas")
        current = dict(zip(stored["ids"], zip(documents, metadatas, strict=True), strict=True))
        changed = [chunk for chunk in chunks if current.get(chunk.id) != (chunk.text, _chunk_metadata(chunk))]
        if changed:
            self.procedures.upsert(
                ids=[chunk.id for chunk in changed],
                documents=[chunk.text for chunk in changed],
                metadatas=[_chunk_metadata(chunk) for chunk in changed],
            )
        stale = sorted(current.keys() - {chunk.id for chunk in chunks})
        if stale:
            self.procedures.delete(ids=stale)
        return IndexReport(
            procedures=len(paths), chunks=len(chunks), embedded=len(changed), removed=len(stale), version=self.version
        )

    def add_precedent(self, precedent: Precedent) -> bool:
        """Store (or replace) the precedent of one decision; False (logged) when the store cannot be written,
        since the decision itself is already stored and a precedent is only a copy of it."""
        return self.add_precedents([precedent])

    def add_precedents(self, precedents: list[Precedent]) -> bool:
        """Store (or replace) the precedents of decisions, embedded in one batch; False (logged) when the store
        cannot be written."""
        try:
            self.precedents.upsert(
                ids=[precedent.decision_id for precedent in precedents],
                documents=[_precedent_text(precedent) for precedent in precedents],
                metadatas=[_precedent_metadata(precedent) for precedent in precedents],
            )
        except (ChromaError, OSError) as error:
            codes = ", ".join(precedent.decision_id for precedent in precedents)
            logger.error("precedents %s not stored, the knowledge base cannot be written: %s", codes, error)
            return False
        return True

    def search_procedures(self, query: str, exception_type: ExceptionType | None = None, k: int = 3) -> list[Hit]:
        """The `k` procedure sections nearest to `query`, optionally only those applying to `exception_type`."""
        where = {"applies_to": {"$contains": exception_type}} if exception_type else None
        return self._search(self.procedures, query, k, where)

    def remove_precedents(self, decision_ids: list[str]) -> None:
        """Take the precedents of these decisions out of the collection (ids it does not hold are ignored)."""
        if decision_ids:
            self.precedents.delete(ids=decision_ids)

    def similar_precedents(self, query: str, k: int = 3, exception_type: ExceptionType | None = None) -> list[Hit]:
        """The `k` past decisions that acted, optionally of one exception type, ranked by similarity to `query`
        plus the weight of their outcome (achieved first, failed last)."""
        acted = {"status": {"$nin": UNINFORMATIVE}}
        where = {"$and": [{"exception_type": exception_type}, acted]} if exception_type else acted
        hits = self._search(self.precedents, query, 4 * k, where)
        return sorted(hits, key=lambda hit: -(hit.score + OUTCOME_WEIGHT.get(str(hit.metadata.get("outcome")), 0.0)))[
            :k
        ]

    def set_outcome(self, decision_id: str, outcome: str) -> None:
        """Record the outcome of a precedent's decision, when the precedent is stored."""
        stored = self.precedents.get(ids=[decision_id], include=["metadatas"])
        if stored["ids"]:
            fields = {**_included(stored["metadatas"], "metadatas")[0], "outcome": outcome}
            self.precedents.update(ids=[decision_id], metadatas=[{**fields, "title": _precedent_title(fields)}])

    def _search(self, collection: Collection, query: str, k: int, where: dict[str, Any] | None) -> list[Hit]:
        """Query one collection and turn the answer into hits, best first."""
        result = collection.query(
            query_embeddings=[self._query_embedding(query)],
            n_results=k,
            where=where,
            include=["documents", "metadatas", "distances"],
        )
        rows = zip(
            result["ids"][0],
            _included(result["documents"], "documents")[0],
            _included(result["metadatas"], "metadatas")[0],
            _included(result["distances"], "distances")[0],
            strict=True,
        )
        return [
            Hit(
                id=hit_id,
                collection=collection.name,
                title=str(metadata["title"]),
                text=document,
                score=1.0 - float(distance),
                metadata=dict(metadata),
            )
            for hit_id, document, metadata, distance in rows
        ]

    def evidence(self, query: str, hits: list[Hit], exception_type: ExceptionType | None = None) -> Evidence:
        """An evidence record of a search: the query, and each hit's id, title, score and text."""
        facts = {
            "hits": [
                {
                    "id": hit.id,
                    "collection": hit.collection,
                    "title": hit.title,
                    "score": round(hit.score, 4),
                    "text": hit.text,
                }
                for hit in hits
            ]
        }
        inputs = {"query": query, "exception_type": exception_type, "k": len(hits)}
        fingerprint = hashlib.sha256(json.dumps([inputs, [hit.id for hit in hits]], sort_keys=True).encode())
        return Evidence(
            id=f"knowledge-{fingerprint.hexdigest()[:12]}",
            source=Source(tool="knowledge", model=MODEL_NAME, version=self.version),
            inputs=inputs,
            facts=facts,
        )
