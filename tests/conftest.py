"""Shared fixtures: a seeded reference network on SQLite and, where configured, PostgreSQL."""

import os
import shutil
import subprocess
import uuid
from collections.abc import Generator, Iterator
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from agents.toolbox import Toolbox, open_toolbox
from graph.desk import Desk, open_desk
from simulation.twins import SeededTwins
from tests import training, workers
from tools import registry
from twin import seed as scenario
from twin.db import make_engine, migrate
from twin.settings import Settings

POSTGRES_URL = os.environ.get("YM_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
TRAINING = pytest.StashKey[subprocess.Popen[bytes]]()


def _postgres_admin() -> Engine:
    """An autocommit engine on the test server's maintenance database."""
    if not POSTGRES_URL:
        pytest.skip("YM_TEST_POSTGRES_URL is not set (CI starts a PostgreSQL server and sets it)")
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test that needs the trained models, so that the quick loop (`make test-fast`) can leave them out;
    on several workers, run the files with slow tests first and the serial tests last."""
    for item in items:
        if "trained_dir" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.models)
    workers.order(config, items)


def pytest_collection_finish(session: pytest.Session) -> None:
    """On workers, start training the models in the background as soon as the run knows a test needs them."""
    shared = workers.run_dir(session.config)
    if shared and any("trained_dir" in getattr(item, "fixturenames", ()) for item in session.items):
        process = training.start(shared)
        if process:
            session.config.stash[TRAINING] = process


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Stop a background training that still runs; the run's last worker drops the templates the workers shared."""
    if TRAINING in session.config.stash:
        training.stop(session.config.stash[TRAINING])
    if (shared := workers.run_dir(session.config)) and workers.last_to_finish(session.config):
        drop_shared_templates(shared)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Generator[None, object, object]:
    """On several workers, a serial test runs alone and the others wait."""
    with workers.turn(item, nextitem):
        return (yield)


class Databases:
    """Creates empty or seeded databases per test, migrating and seeding each backend once per run, into templates
    that the run's workers share (`shared`: the run's folder, None without workers)."""

    def __init__(self, folder: Path, shared: Path | None) -> None:
        self.folder, self.shared = folder, shared
        self.templates: dict[tuple[str, bool], str] = {}
        self.created: list[str] = []

    def empty(self, backend: str) -> str:
        """The URL of a new, migrated, empty database."""
        return self._new(backend, template=self._template(backend, seeded=False))

    def seeded(self, backend: str) -> str:
        """The URL of a new database holding the seed-7 reference network."""
        return self._new(backend, template=self._template(backend, seeded=True))

    def _template(self, backend: str, seeded: bool) -> str:
        """The backend's migrated (and, if `seeded`, seeded) template database."""
        if (backend, seeded) not in self.templates:
            with workers.locked(self.shared / "templates.lock") if self.shared else nullcontext():
                self._built(backend, seeded)
        return self.templates[backend, seeded]

    def _built(self, backend: str, seeded: bool) -> str:
        """The template, built now unless this process or a worker of the run already has (the caller holds the
        run's lock)."""
        if (backend, seeded) in self.templates:
            return self.templates[backend, seeded]
        ready = self.shared / f"template-{backend}-{'seeded' if seeded else 'empty'}" if self.shared else None
        if ready and ready.exists():
            url = ready.read_text()
        else:
            base = self._built(backend, seeded=False) if seeded else None
            url = self._new(backend, template=base, shared=bool(ready))
            engine = make_engine(url)
            if seeded:
                scenario.load(engine, scenario.generate(7))
            else:
                migrate(engine)
            engine.dispose()
            if ready:
                ready.write_text(url)
        self.templates[backend, seeded] = url
        return url

    def _new(self, backend: str, template: str | None, shared: bool = False) -> str:
        """A fresh database, copied from a template when one is given (`shared`: a template of the run's workers,
        dropped by the last worker to finish)."""
        name = f"ym_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            path = (self.shared if shared and self.shared else self.folder) / f"{name}.db"
            if template:
                shutil.copy(template.removeprefix("sqlite:///"), path)
            return f"sqlite:///{path}"
        admin = _postgres_admin()
        with admin.connect() as connection:
            clause = f" TEMPLATE {make_url(template).database}" if template else ""
            connection.execute(text(f"CREATE DATABASE {name}{clause}"))
        admin.dispose()
        if not shared:
            self.created.append(name)
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    def drop(self, names: list[str]) -> None:
        """Drop these PostgreSQL databases of the run."""
        drop_postgres(names)
        for name in names:
            self.created.remove(name)

    def done_with(self, url: str) -> None:
        """Drop a test's own PostgreSQL database once the test is over (SQLite files go with the run's folder)."""
        name = make_url(url).database
        if name in self.created:
            self.drop([name])

    def drop_all(self) -> None:
        """Drop every PostgreSQL database this process still holds."""
        if self.created:
            self.drop(list(reversed(self.created)))


def drop_postgres(names: list[str]) -> None:
    """Drop these PostgreSQL databases."""
    admin = _postgres_admin()
    with admin.connect() as connection:
        for name in names:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def drop_shared_templates(shared: Path) -> None:
    """Drop the PostgreSQL templates the run's workers shared."""
    if names := [make_url(path.read_text()).database or "" for path in shared.glob("template-postgres-*")]:
        drop_postgres(names)


@pytest.fixture(scope="session")
def databases(tmp_path_factory, request: pytest.FixtureRequest) -> Iterator[Databases]:
    """The per-run database factory."""
    shared = workers.run_dir(request.config)
    factory = Databases(tmp_path_factory.mktemp("databases"), shared)
    yield factory
    factory.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    """Each database test runs on SQLite and on PostgreSQL."""
    return request.param


@pytest.fixture
def seeded_url(databases: Databases, backend: str) -> Iterator[str]:
    """A private copy of the seeded reference network, dropped after the test."""
    url = databases.seeded(backend)
    yield url
    databases.done_with(url)


@pytest.fixture
def empty_url(databases: Databases, backend: str) -> Iterator[str]:
    """A private, migrated, empty database, dropped after the test."""
    url = databases.empty(backend)
    yield url
    databases.done_with(url)


@pytest.fixture
def engine(seeded_url: str) -> Iterator[Engine]:
    """An engine on a private copy of the seeded reference network."""
    engine = make_engine(seeded_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def trained_dir(tmp_path_factory, request: pytest.FixtureRequest) -> Path:
    """A data directory with models trained on the seed-7 network and the procedures indexed: built once per run
    and only read from then on."""
    return training.trained(workers.run_dir(request.config) or tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def seeded_twins(tmp_path_factory, request: pytest.FixtureRequest) -> SeededTwins:
    """The seeds' twins that simulations and day steps copy: each built once per run, by the first test that needs it."""
    return SeededTwins((workers.run_dir(request.config) or tmp_path_factory.getbasetemp()) / "seeded-twins")


def copy_trained(trained_dir: Path, data_dir: Path) -> None:
    """Give a data directory its own copy of the trained models and the indexed knowledge base."""
    for part in ("models", "chroma"):
        shutil.copytree(trained_dir / part, data_dir / part, dirs_exist_ok=True)


def register_copy(models_dir: Path, name: str, version: str) -> str:
    """Register a copy of a model's newest trained artifact as another version, trained a minute later (a second
    version without training twice)."""
    meta, folder = registry.resolve(models_dir, name)
    copy = models_dir / name / version
    shutil.copytree(folder, copy)
    later = meta.model_copy(update={"version": version, "created_at": meta.created_at + timedelta(minutes=1)})
    (copy / registry.META_FILE).write_text(later.model_dump_json(indent=2))
    return version


@pytest.fixture
def toolbox(databases: Databases, trained_dir: Path, tmp_path) -> Iterator[Toolbox]:
    """A toolbox on a private seeded SQLite copy, the trained models, a fresh knowledge base, the offline model."""
    copy_trained(trained_dir, tmp_path)
    box = open_toolbox(Settings(database_url=databases.seeded("sqlite"), data_dir=tmp_path))
    yield box
    box.engine.dispose()


@pytest.fixture
def desk_settings(seeded_url: str, trained_dir: Path, tmp_path) -> Settings:
    """Settings of a private seeded database (SQLite or PostgreSQL) with the trained models in its data dir."""
    copy_trained(trained_dir, tmp_path)
    return Settings(database_url=seeded_url, data_dir=tmp_path)


@pytest.fixture
def desk(desk_settings: Settings) -> Iterator[Desk]:
    """A desk on a private seeded database with its own checkpointer (SQLite or PostgreSQL)."""
    with open_desk(desk_settings) as opened:
        yield opened
    opened.toolbox.engine.dispose()
