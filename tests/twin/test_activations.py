"""The version in force of each model: promotions and rollbacks walk back in order, each audited, and the stamp moves
with every change."""

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from twin import activations
from twin import models as m
from twin.db import make_engine


def test_rollbacks_walk_back_through_the_promotions_and_each_change_is_audited(empty_url):
    engine = make_engine(empty_url)
    with Session(engine) as session:
        assert activations.active(session) == {} and activations.stamp(session) == 0
        activations.promote(session, "xgb-late-risk", "v1", "train", in_force=None)
        activations.promote(session, "xgb-late-risk", "v2", "ana", in_force="v1")
        activations.promote(session, "xgb-late-risk", "v3", "ana", in_force="v2")
        activations.promote(session, "xgb-demand", "d1", "train", in_force=None)
        stamp = activations.stamp(session)
        assert activations.active(session) == {"xgb-late-risk": "v3", "xgb-demand": "d1"}

        assert activations.promote(session, "xgb-late-risk", "v3", "ana", in_force="v3").seq == 3  # no change
        assert activations.stamp(session) == stamp
        assert activations.rollback(session, "xgb-late-risk", "bob").version == "v2"
        assert activations.stamp(session) > stamp
        assert activations.rollback(session, "xgb-late-risk", "bob").version == "v1"
        with pytest.raises(activations.NoPreviousVersion, match="xgb-late-risk"):
            activations.rollback(session, "xgb-late-risk", "bob")
        with pytest.raises(activations.NoPreviousVersion, match="xgb-demand"):
            activations.rollback(session, "xgb-demand", "bob")
        assert activations.active(session) == {"xgb-late-risk": "v1", "xgb-demand": "d1"}

        events = session.exec(select(m.AuditEvent).where(col(m.AuditEvent.kind).like("model_%"))).all()
        changes = [
            (e.actor, e.kind, e.detail["model"], e.detail["from_version"], e.detail["to_version"]) for e in events
        ]
        assert changes == [
            ("train", "model_promote", "xgb-late-risk", None, "v1"),
            ("ana", "model_promote", "xgb-late-risk", "v1", "v2"),
            ("ana", "model_promote", "xgb-late-risk", "v2", "v3"),
            ("train", "model_promote", "xgb-demand", None, "d1"),
            ("bob", "model_rollback", "xgb-late-risk", "v3", "v2"),
            ("bob", "model_rollback", "xgb-late-risk", "v2", "v1"),
        ]
    engine.dispose()


def test_two_changes_of_one_model_made_at_once_cannot_both_be_next(empty_url):
    engine = make_engine(empty_url)
    with Session(engine) as session:
        first = activations.promote(session, "xgb-late-risk", "v1", "ana", in_force=None)
        session.add(
            m.ModelActivation(name=first.name, seq=first.seq, version="v2", kind="promote", actor="bob", at=first.at)
        )
        with pytest.raises(IntegrityError):
            session.flush()
    engine.dispose()
