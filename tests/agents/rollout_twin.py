"""A small hand-built twin of a rollout: the desk on the lanes out of Dallas, shadow on the lanes out of Houston, a
late-shipment decision on every lane the day the desk went live, and four weeks of deliveries before and after with a
planted change of the late rate on the desk's lanes."""

from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from sqlmodel import Session

from agents.policy import CohortLevel, save_rule
from agents.schemas import Decision, ExceptionType
from twin import models as m
from twin.actions import ExpediteShipment, ExpediteShipmentParams
from twin.db import make_engine, session_scope

GO_LIVE = date(2026, 10, 5)
CLOCK = datetime(2026, 11, 2, 8, tzinfo=UTC)  # 28 days measured after going live, 5 October to 1 November
DAYS = 28
LANES_PER_SITE = 12
DESK, SHADOW = "DAL", "HOU"
DRIFT = 0.10  # the season adds 10 points to every lane's late rate after go-live


def lanes(site: str) -> list[str]:
    """The lanes out of a site."""
    return [f"{site}-X{k:02d}" for k in range(LANES_PER_SITE)]


def _at(day: date, hour: int) -> datetime:
    """A moment of a day."""
    return datetime.combine(day, time(hour), tzinfo=UTC)


def _network(session: Session) -> None:
    """The DCs, a customer, the lanes and the policy: the desk acts out of Dallas, every other cohort in shadow."""
    session.add(m.TwinMeta(key="as_of", value=CLOCK.isoformat()))
    for code, kind in (("DC-DAL", "dc"), ("DC-HOU", "dc"), ("CUS-1", "customer")):
        session.add(m.Location(code=code, kind=kind, name=code, region=code[-3:], lat=0.0, lon=0.0))
    session.flush()
    for site in (DESK, SHADOW):
        session.add_all(
            m.Lane(code=code, origin=f"DC-{site}", dest_region="X", distance_miles=300.0) for code in lanes(site)
        )
    session.flush()
    for text in (f"{DESK}-*=act", "*=shadow"):
        for rule in CohortLevel.parse(text).rules():
            save_rule(session, rule, "test")


def _deliveries(session: Session, rng: np.random.Generator, planted: float) -> dict[str, str]:
    """Two deliveries a day on average per lane over the baseline and the measured weeks; the first shipment of
    each lane delivered on the go-live day is returned, for its decision."""
    first: dict[str, str] = {}
    count = 0
    for site in (DESK, SHADOW):
        for lane in lanes(site):
            late = rng.beta(4, 20)
            for offset in range(-DAYS, DAYS):
                day = GO_LIVE + timedelta(days=offset)
                rate = late + (DRIFT + (planted if site == DESK else 0.0) if offset >= 0 else 0.0)
                for _ in range(rng.poisson(2) + (offset == 0)):  # a shipment on go-live day for its decision
                    count += 1
                    code = f"SHP-{count:06d}"
                    if offset == 0:
                        first.setdefault(lane, code)
                    session.add(
                        m.Shipment(
                            id=code,
                            origin=f"DC-{site}",
                            destination="CUS-1",
                            lane=lane,
                            units=1,
                            weight_kg=1.0,
                            distance_miles=300.0,
                            shipped_at=_at(day - timedelta(days=1), 9),
                            promised_at=_at(day, 12),
                            delivered_at=_at(day, 18 if rng.random() < rate else 10),
                            status="delivered",
                        )
                    )
    return first


def _decisions(session: Session, first: dict[str, str]) -> None:
    """A late-shipment decision with an expedite on each lane: executed out of Dallas, shadowed out of Houston."""
    for k, (lane, shipment_id) in enumerate(sorted(first.items())):
        status = "executed" if lane.startswith(DESK) else "shadowed"
        exception_id, decision_id = f"EXC-{k:04d}", f"DEC-{k:04d}"
        session.add(
            m.ExceptionRecord(
                id=exception_id,
                type=ExceptionType.late_shipment.value,
                refs={"shipment_id": shipment_id},
                occurred_at=_at(GO_LIVE, 8),
                created_at=_at(GO_LIVE, 8),
                status="decided",
            )
        )
        action = ExpediteShipment(params=ExpediteShipmentParams(shipment_id=shipment_id, hours_saved=6, cost_usd=90.0))
        decision = Decision(
            decision_id=decision_id,
            exception_id=exception_id,
            specialist="routing",
            status=status,
            actions=[action],
            trace_id=decision_id,
        )
        session.flush()
        session.add(
            m.DecisionRecord(
                id=decision_id,
                exception_id=exception_id,
                specialist="routing",
                status=status,
                confidence=0.9,
                payload=decision.model_dump(mode="json"),
                thread_id=decision_id,
                created_at=_at(GO_LIVE, 8),
                updated_at=_at(GO_LIVE, 8),
                twin_at=_at(GO_LIVE, 8),
            )
        )


def build(url: str, seed: int, planted: float) -> None:
    """The rollout twin on an empty database, with a planted change of the late rate on the desk's lanes."""
    engine = make_engine(url)
    with session_scope(engine) as session:
        _network(session)
        first = _deliveries(session, np.random.default_rng(seed), planted)
        session.flush()
        _decisions(session, first)
    engine.dispose()
