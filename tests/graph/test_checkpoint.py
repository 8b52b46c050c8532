"""Tests of the checkpointer factory."""

import time

import pytest
from psycopg_pool import PoolTimeout
from sqlalchemy import text

from graph.checkpoint import open_checkpointer
from tests.faults.postgres import Cluster
from twin.db import make_engine
from twin.settings import Settings


def test_sqlite_checkpoints_use_wal_without_a_flush_per_commit(tmp_path):
    with open_checkpointer(Settings(data_dir=tmp_path)) as saver:
        journal = saver.conn.execute("PRAGMA journal_mode").fetchone()[0]
        synchronous = saver.conn.execute("PRAGMA synchronous").fetchone()[0]
    assert (journal, synchronous) == ("wal", 1)  # 1 is NORMAL


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_postgres_checkpointer_replaces_a_connection_the_server_dropped(empty_url, tmp_path):
    with open_checkpointer(Settings(database_url=empty_url, data_dir=tmp_path), max_connections=1) as saver:
        with saver.conn.connection() as connection:  # the pool's one connection
            backend_pid = connection.info.backend_pid
        engine = make_engine(empty_url)
        with engine.begin() as admin:
            admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend_pid})
        engine.dispose()
        assert saver.get_tuple({"configurable": {"thread_id": "EXC-NONE"}}) is None


@pytest.mark.slow
@pytest.mark.serial
@pytest.mark.postgres
def test_a_postgres_checkpointer_fails_fast_while_its_database_is_away_and_uses_it_once_back(tmp_path):
    cluster = Cluster()
    cluster.start()
    config = {"configurable": {"thread_id": "EXC-NONE"}}
    try:
        settings = Settings(database_url=cluster.url, data_dir=tmp_path, db_pool_timeout_s=1)
        with open_checkpointer(settings, max_connections=1) as saver:
            cluster.stop()
            for _ in range(3):
                began = time.monotonic()
                with pytest.raises(PoolTimeout):
                    saver.get_tuple(config)
                assert time.monotonic() - began < 3, "a run fails within the pool timeout, not after 30 s"
            time.sleep(6)  # the pool's delays between tries would have grown to 8 s by now
            cluster.start()
            began = time.monotonic()
            assert saver.get_tuple(config) is None
            assert time.monotonic() - began < 3, "the database is used as soon as it is back"
    finally:
        cluster.remove()
