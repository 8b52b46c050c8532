"""Everything a specialist may use, handed to the graph as its runtime context."""

from dataclasses import dataclass, replace
from datetime import datetime

import pandas as pd
from langchain_core.language_models import BaseChatModel
from sqlalchemy.engine import Engine
from sqlmodel import Session

from agents.llm import make_chat_model
from agents.modelbook import Models, load_all
from tools import knowledge
from tools.evidence import Evidence
from tools.knowledge import KnowledgeBase, open_client
from twin import frames, store
from twin.db import make_engine, migrate
from twin.settings import Settings


@dataclass
class Toolbox:
    """The twin's database, the trained models, the knowledge base, the chat model and the settings."""

    engine: Engine
    models: Models
    knowledge: KnowledgeBase
    llm: BaseChatModel
    settings: Settings

    def session(self) -> Session:
        """A new database session (use it as a context manager)."""
        return Session(self.engine, expire_on_commit=False)

    def pinned(self, versions: dict[str, str] | None = None) -> "Toolbox":
        """This toolbox with the models in force now (or at the given versions) held fixed: for one decision, which
        keeps the versions it started with whatever is promoted meanwhile."""
        return replace(self, models=self.models.pinned(versions))

    def now(self) -> datetime:
        """The twin's clock."""
        with self.session() as session:
            return store.clock(session)

    def calendar(self) -> pd.DataFrame:
        """Every known day's holiday and event, those ahead of the clock included (for forecasts)."""
        with self.session() as session:
            return frames.calendar_frame(session)

    def guidance(self, query: str, exception_type: str) -> Evidence:
        """The applicable procedures and the most similar past decisions, as one evidence record."""
        kind = knowledge.exception_type(exception_type)
        hits = self.knowledge.search_procedures(query, exception_type=kind, k=2)
        hits += self.knowledge.similar_precedents(query, k=2, exception_type=kind)
        return self.knowledge.evidence(query, hits, kind)


def open_toolbox(settings: Settings, engine: Engine | None = None) -> Toolbox:
    """The toolbox for the settings: migrated database, registered models, indexed knowledge base, chat model."""
    if engine is None:
        engine = make_engine(settings.resolved_database_url)
        migrate(engine)
    knowledge = KnowledgeBase(open_client(settings))
    knowledge.index_procedures()
    return Toolbox(
        engine=engine,
        models=load_all(settings.models_dir, engine, settings.model_refresh_s),
        knowledge=knowledge,
        llm=make_chat_model(settings),
        settings=settings,
    )
