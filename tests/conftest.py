"""Shared fixtures: a seeded reference network on SQLite and, where configured, PostgreSQL."""

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from twin import seed as scenario
from twin.db import make_engine, migrate
from twin.settings import get_settings

POSTGRES_URL = os.environ.get("YM_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _postgres_admin() -> Engine:
    """An autocommit engine on the test server's maintenance database."""
    if not POSTGRES_URL:
        pytest.skip("YM_TEST_POSTGRES_URL is not set (CI starts a PostgreSQL server and sets it)")
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


class Databases:
    """Creates empty or seeded databases per test, seeding each backend once from a template."""

    def __init__(self, folder) -> None:
        self.folder = folder
        self.templates: dict[str, str] = {}
        self.created: list[str] = []

    def empty(self, backend: str) -> str:
        """The URL of a new, migrated, empty database."""
        url = self._new(backend, template=None)
        engine = make_engine(url)
        migrate(engine)
        engine.dispose()
        return url

    def seeded(self, backend: str) -> str:
        """The URL of a new database holding the seed-7 reference network."""
        if backend not in self.templates:
            url = self.empty(backend)
            engine = make_engine(url)
            scenario.load(engine, scenario.generate(7))
            engine.dispose()
            self.templates[backend] = url
        return self._new(backend, template=self.templates[backend])

    def _new(self, backend: str, template: str | None) -> str:
        """A fresh database, copied from a template when one is given."""
        name = f"ym_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            path = self.folder / f"{name}.db"
            if template:
                shutil.copy(template.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}"
        admin = _postgres_admin()
        with admin.connect() as connection:
            clause = f" TEMPLATE {make_url(template).database}" if template else ""
            connection.execute(text(f"CREATE DATABASE {name}{clause}"))
        admin.dispose()
        self.created.append(name)
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop every PostgreSQL database this run created."""
        if not self.created:
            return
        admin = _postgres_admin()
        with admin.connect() as connection:
            for name in reversed(self.created):
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory) -> Iterator[Databases]:
    """The per-run database factory."""
    factory = Databases(tmp_path_factory.mktemp("databases"))
    yield factory
    factory.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Each database test runs on SQLite and on PostgreSQL."""
    return request.param


@pytest.fixture
def seeded_url(databases: Databases, backend: str) -> str:
    """A private copy of the seeded reference network."""
    return databases.seeded(backend)


@pytest.fixture
def empty_url(databases: Databases, backend: str) -> str:
    """A private, migrated, empty database."""
    return databases.empty(backend)


@pytest.fixture
def engine(seeded_url: str) -> Iterator[Engine]:
    """An engine on a private copy of the seeded reference network."""
    engine = make_engine(seeded_url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Settings are read from the environment anew in every test."""
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
