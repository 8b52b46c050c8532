"""Checkpoint retention: keep only the latest checkpoint of threads whose history is no longer needed (chat threads
after each turn, the threads of decisions concluded longer ago than the retention)."""

from collections.abc import Sequence
from contextlib import suppress

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite import SqliteSaver


def keep_latest(saver: BaseCheckpointSaver[str], thread_ids: Sequence[str]) -> None:
    """Delete every checkpoint of the threads but the latest of each namespace, with the writes of the deleted."""
    if not thread_ids:
        return
    if not isinstance(saver, SqliteSaver):
        with suppress(NotImplementedError):  # an in-memory saver (evals, simulations) ends with its process
            saver.prune(list(thread_ids), strategy="keep_latest")
        return
    with saver.cursor() as cursor:
        for thread_id in thread_ids:
            cursor.execute(
                "DELETE FROM checkpoints WHERE thread_id = ? AND checkpoint_id NOT IN "
                "(SELECT max(checkpoint_id) FROM checkpoints WHERE thread_id = ? GROUP BY checkpoint_ns)",
                (thread_id, thread_id),
            )
            cursor.execute(
                "DELETE FROM writes WHERE thread_id = ? AND NOT EXISTS (SELECT 1 FROM checkpoints AS kept "
                "WHERE kept.thread_id = writes.thread_id AND kept.checkpoint_ns = writes.checkpoint_ns "
                "AND kept.checkpoint_id = writes.checkpoint_id)",
                (thread_id,),
            )
