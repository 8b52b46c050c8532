"""Tests of the checkpointer factory."""

from graph.checkpoint import open_checkpointer
from twin.settings import Settings


def test_sqlite_checkpoints_use_wal_without_a_flush_per_commit(tmp_path):
    with open_checkpointer(Settings(data_dir=tmp_path)) as saver:
        journal = saver.conn.execute("PRAGMA journal_mode").fetchone()[0]
        synchronous = saver.conn.execute("PRAGMA synchronous").fetchone()[0]
    assert (journal, synchronous) == ("wal", 1)  # 1 is NORMAL
