"""Chat tool fixtures: a caller's tools by name, and the carrier rows a what-if must leave as they are."""

from collections.abc import Callable

import pytest
from langchain_core.tools import BaseTool
from sqlmodel import select

from chat.tools.registry import make_chat_tools
from twin import models as m
from twin import store


@pytest.fixture
def tools_for(desk) -> Callable[[str], dict[str, BaseTool]]:
    """`tools_for(role)`: the chat tools of a caller with the role, by name."""
    return lambda role: {tool.name: tool for tool in make_chat_tools(desk, role, f"test-{role}")}


@pytest.fixture
def carrier_rows(desk) -> Callable[[], tuple[list, list, int]]:
    """`carrier_rows()`: the carriers and their lane offers as stored, and how many orchestration records exist."""

    def rows() -> tuple[list, list, int]:
        """Read them now."""
        with desk.toolbox.session() as session:
            carriers = [row.model_dump() for row in session.exec(select(m.Carrier)).all()]
            offers = [row.model_dump() for row in session.exec(select(m.CarrierLane)).all()]
            records = sum(store.count(session, table) for table in (m.ExceptionRecord, m.DecisionRecord, m.AuditEvent))
        return carriers, offers, records

    return rows
