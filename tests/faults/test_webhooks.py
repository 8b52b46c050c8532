"""Webhooks never wait on each other, on a real server: one receiver answering in 9 s delays only itself; the
other subscriber gets every event within seconds."""

import json
import threading
import time
from datetime import UTC, datetime

import httpx
import pytest

from tests.api.conftest import Receiver
from twin.db import make_engine, session_scope
from twin.models import OutboxMessage

pytestmark = [pytest.mark.slow, pytest.mark.serial]
EVENTS = 12


def started(receiver: Receiver) -> Receiver:
    """Serve the receiver on its own thread."""
    threading.Thread(target=receiver.server.serve_forever, daemon=True).start()
    return receiver


def test_a_slow_receiver_delays_only_itself(server, seeded_url):
    server.start(YM_WEBHOOK_INTERVAL_S="0.5", YM_WEBHOOK_ALLOW_PRIVATE="1", YM_WEBHOOK_TIMEOUT_S="15")
    slow, fast = started(Receiver([], delay_s=9)), started(Receiver([]))
    architect = server.key("architect")
    try:
        for receiver in (slow, fast):
            answer = httpx.post(
                f"{server.url}/v1/webhooks", json={"url": receiver.url, "event_types": ["*"]}, headers=architect
            )
            assert answer.status_code == 201, answer.text
            receiver.secret = answer.json()["secret"]
        engine = make_engine(seeded_url)
        sent: dict[str, float] = {}
        for number in range(EVENTS):
            with session_scope(engine) as session:
                message_id = f"OUT-LOAD-{number}"
                session.add(
                    OutboxMessage(
                        id=message_id,
                        decision_id="DEC-LOAD",
                        event_type="decision.pending_approval",
                        payload={"n": number},
                        created_at=datetime.now(UTC),
                    )
                )
                session.commit()
            sent[message_id] = time.monotonic()
            time.sleep(1)
        engine.dispose()
        deadline = time.monotonic() + 30
        while len(fast.deduped()) < EVENTS and time.monotonic() < deadline:
            time.sleep(0.2)
        got = {json.loads(item.body)["message_id"]: item.at for item in fast.deduped().values()}
        delays = [got[message_id] - at for message_id, at in sent.items() if message_id in got]
        assert len(delays) == EVENTS, f"the fast subscriber got {len(delays)} of {EVENTS}"
        assert max(delays) < 4, f"the fast subscriber waited up to {max(delays):.1f} s"
        assert 1 <= len(slow.seen) <= 3, "the slow one is served in turn, one delivery at a time"
    finally:
        for receiver in (slow, fast):
            receiver.server.shutdown()
            receiver.server.server_close()
