"""Verdicts on a real server: each one a fresh command acting only on its decision's subject.

- failed_override_is_not_replayed: an override that cannot run yet (409) leaves the decision pending with the
  failure audited; stock arrives; a reject then rejects, executing nothing of the old override.
- override_outside_the_subject: an override of a stockout decision naming a shipment is a 422 naming it.
"""

import httpx
import pytest
from sqlmodel import select

from tests.faults.invariants import assert_decided_once
from twin import models as m
from twin.db import make_engine, session_scope

pytestmark = pytest.mark.slow
SKU, DC, OTHER_DC = "SKU-0040", "DC-DAL", "DC-HOU"  # short at DC-DAL: the desk moves stock from other DCs
STOCKOUT = {"type": "stockout_risk", "refs": {"sku": SKU, "location": DC}}
STOCK_ACTIONS = ("transfer_stock", "expedite_purchase", "raise_safety_stock")


def pending_stockout(server, keys) -> dict:
    """A stockout decision on SKU-0040 at DC-DAL waiting for approval."""
    for action_type in STOCK_ACTIONS:
        answer = httpx.put(
            f"{server.url}/v1/policies/{action_type}", json={"autonomy_level": 2}, headers=keys["architect"]
        )
        assert answer.status_code == 200, answer.text
    answer = httpx.post(f"{server.url}/v1/exceptions", json=STOCKOUT, headers=keys["integrator"], timeout=120)
    assert answer.status_code == 201 and answer.json()["status"] == "pending_approval", answer.text
    return answer.json()


def on_hand(url: str, sku: str, dc: str, add: int = 0) -> int:
    """The stock of a SKU at a DC, after adding `add` units (stock arriving)."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        position = session.exec(
            select(m.InventoryPosition).where(m.InventoryPosition.sku == sku, m.InventoryPosition.location == dc)
        ).one()
        position.on_hand += add
        session.add(position)
        session.commit()
        units = position.on_hand
    engine.dispose()
    return units


def audit_kinds(url: str, decision_id: str) -> list[tuple[str, str, dict]]:
    """The audit events of a decision, oldest first: kind, actor, detail."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        rows = session.exec(
            select(m.AuditEvent).where(m.AuditEvent.decision_id == decision_id).order_by(m.AuditEvent.id)
        ).all()
        events = [(row.kind, row.actor, row.detail) for row in rows]
    engine.dispose()
    return events


def test_a_failed_override_is_not_replayed_by_a_later_reject(server, seeded_url):
    server.start()
    keys = {role: server.key(role) for role in ("architect", "integrator", "planner", "admin")}
    pending = pending_stockout(server, keys)
    url = f"{server.url}/v1/decisions/{pending['decision_id']}"
    short = on_hand(seeded_url, SKU, OTHER_DC) + 180
    transfer = {"type": "transfer_stock", "params": {"sku": SKU, "from": OTHER_DC, "to": DC, "qty": short}}
    failed = httpx.post(
        f"{url}/override", json={"actions": [transfer], "reason": "move it all"}, headers=keys["planner"], timeout=60
    )
    assert failed.status_code == 409, failed.text
    assert httpx.get(url, headers=keys["planner"]).json()["status"] == "pending_approval"
    on_hand(seeded_url, SKU, OTHER_DC, add=1000)  # the stock arrives
    rejected = httpx.post(f"{url}/reject", json={"reason": "not needed"}, headers=keys["admin"], timeout=60)
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "rejected"
    decision = assert_decided_once(seeded_url, pending["exception_id"])
    assert decision.status == "rejected"
    verdicts = httpx.get(f"{url}/verdicts", headers=keys["planner"]).json()
    assert [(v["verdict"], v["actor"]) for v in verdicts["verdicts"]] == [("reject", "faults-admin")]
    assert verdicts["overrides"] == []
    events = audit_kinds(seeded_url, pending["decision_id"])
    failures = [(actor, detail["verdict"]) for kind, actor, detail in events if kind == "verdict.failed"]
    assert failures == [("faults-planner", "override")]
    [final] = [(actor, detail) for kind, actor, detail in events if kind == "decision.final"]
    assert final[0] == "faults-admin" and final[1]["verdict"] == "reject" and final[1]["verdict_id"]


def test_an_override_outside_the_subject_is_refused_naming_the_reference(server, seeded_url):
    server.start()
    keys = {role: server.key(role) for role in ("architect", "integrator", "planner")}
    pending = pending_stockout(server, keys)
    url = f"{server.url}/v1/decisions/{pending['decision_id']}"
    elsewhere = {"type": "switch_carrier", "params": {"shipment_id": "SHP-000001", "to_carrier": "CAR-PRAIRIE"}}
    answer = httpx.post(
        f"{url}/override", json={"actions": [elsewhere], "reason": "wrong one"}, headers=keys["planner"], timeout=60
    )
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["detail"]
    assert error["loc"] == ["body", "actions", 0, "switch_carrier", "params", "shipment_id"]
    assert error["input"] == "SHP-000001"
    assert httpx.get(url, headers=keys["planner"]).json()["status"] == "pending_approval"
    origin = next(a["params"]["from"] for a in pending["actions"] if a["type"] == "transfer_stock")
    transfer = {"type": "transfer_stock", "params": {"sku": SKU, "from": origin, "to": DC, "qty": 1}}
    done = httpx.post(
        f"{url}/override", json={"actions": [transfer], "reason": "one unit"}, headers=keys["planner"], timeout=60
    )
    assert done.status_code == 200 and done.json()["status"] == "overridden", done.text
    assert assert_decided_once(seeded_url, pending["exception_id"]).status == "overridden"
