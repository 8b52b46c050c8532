"""Chat with the desk: one turn per request, streamed as Server-Sent Events."""

from collections.abc import Iterator

from fastapi import APIRouter
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, Field

from api.auth import PrincipalDep
from api.deps import DeskDep
from api.metrics import MetricsDep
from chat.graph import FinalEvent, build_chat_graph, chat_events, new_thread_id

router = APIRouter(prefix="/v1", tags=["chat"])


class ChatIn(BaseModel):
    """A message, and the conversation it continues (a new one when absent)."""

    message: str = Field(min_length=1, max_length=4000, examples=["Forecast SKU-0042 at Dallas for 4 weeks"])
    thread_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")


@router.post("/chat", response_class=EventSourceResponse)
def chat(body: ChatIn, desk: DeskDep, principal: PrincipalDep, metrics: MetricsDep) -> Iterator[ServerSentEvent]:
    """Stream one turn: `tool_call` (name, args), `tool_result` (name, facts, evidence ids), `token` (text chunks),
    then `final` (answer, verified, thread_id) or `error` (message). An act (a report, approve, reject, override)
    waits for a `yes` on the same thread. Threads belong to the API key that started them and hold at most
    `YM_CHAT_MAX_TURNS` turns."""
    graph = build_chat_graph(desk, principal.role, principal.name)
    model = type(desk.toolbox.llm).__name__
    thread_id, turns = body.thread_id or new_thread_id(), desk.settings.chat_max_turns
    for event in chat_events(graph, body.message, thread_id, owner=principal.key_id, max_turns=turns):
        if isinstance(event, FinalEvent):
            metrics.count_chat_answer(model, event.verified)
        yield ServerSentEvent(event=event.event, data=event.model_dump(mode="json", exclude={"event"}))
