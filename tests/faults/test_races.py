"""Races on a real server: verdicts on one decision and exceptions on one subject arriving at once."""

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.api.desk_api import CAPACITY_LOSS
from tests.faults.invariants import assert_decided_once, exception_ids

pytestmark = pytest.mark.slow


def test_racing_verdicts_get_exactly_one_200_and_racing_duplicates_one_decision(server, seeded_url):
    server.start()
    keys = {role: server.key(role) for role in ("architect", "integrator", "planner")}
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda n: httpx.post(
                    f"{server.url}/v1/exceptions",
                    json={**CAPACITY_LOSS, "severity": "high"},
                    headers={**keys["integrator"], "Idempotency-Key": f"race-{n}"},
                    timeout=60,
                ),
                range(4),
            )
        )
    assert [a.status_code for a in answers].count(201) == 1, [a.text for a in answers]
    assert len({a.json()["decision_id"] for a in answers}) == 1
    first = next(a.json() for a in answers if a.status_code == 201)
    assert all(a.json()["duplicate_of"] == first["exception_id"] for a in answers if a.status_code == 200)
    assert assert_decided_once(seeded_url, first["exception_id"]).status == "executed"
    assert len(exception_ids(seeded_url)) == 4

    assert (
        httpx.put(
            f"{server.url}/v1/policies/book_spot", json={"autonomy_level": 2}, headers=keys["architect"]
        ).status_code
        == 200
    )
    assert (
        httpx.put(
            f"{server.url}/v1/policies/retender_loads", json={"autonomy_level": 2}, headers=keys["architect"]
        ).status_code
        == 200
    )
    for round_number, verdicts in enumerate((["approve"] * 6, ["approve", "reject", "approve", "reject"])):
        pending = httpx.post(
            f"{server.url}/v1/exceptions",
            headers=keys["integrator"],
            timeout=60,
            json={**CAPACITY_LOSS, "refs": {"carrier": ["CAR-METRO", "CAR-COASTAL"][round_number]}},
        ).json()
        assert pending["status"] == "pending_approval", pending
        url = f"{server.url}/v1/decisions/{pending['decision_id']}"
        with ThreadPoolExecutor(len(verdicts)) as pool:
            codes = list(
                pool.map(
                    lambda verdict, url=url: (
                        httpx.post(
                            f"{url}/{verdict}", json={"reason": "race"}, headers=keys["planner"], timeout=60
                        ).status_code
                    ),
                    verdicts,
                )
            )
        assert sorted(codes) == [200] + [409] * (len(verdicts) - 1), codes
        assert_decided_once(seeded_url, pending["exception_id"])
