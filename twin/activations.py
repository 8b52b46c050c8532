"""Which trained version of each model decisions use: promotions and rollbacks, kept in order and audited."""

from datetime import UTC, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from twin import access
from twin import models as m


class NoPreviousVersion(LookupError):
    """A rollback of a model that has no earlier version in force to go back to."""


def latest(session: Session, name: str) -> m.ModelActivation | None:
    """The change of the model now in force, or None while its newest trained version is used."""
    query = select(m.ModelActivation).where(col(m.ModelActivation.name) == name)
    return session.exec(query.order_by(col(m.ModelActivation.seq).desc())).first()


def active(session: Session) -> dict[str, str]:
    """Model name to the version in force, for every model ever promoted."""
    newest = (
        select(m.ModelActivation.name, func.max(m.ModelActivation.seq).label("seq"))
        .group_by(col(m.ModelActivation.name))
        .subquery()
    )
    rows = session.exec(
        select(m.ModelActivation).join(
            newest, (col(m.ModelActivation.name) == newest.c.name) & (col(m.ModelActivation.seq) == newest.c.seq)
        )
    ).all()
    return {row.name: row.version for row in rows}


def stamp(session: Session) -> int:
    """A number that changes whenever any model's version in force changes (cheap to read often)."""
    return session.exec(select(func.max(m.ModelActivation.id))).one() or 0


def promote(session: Session, name: str, version: str, actor: str, in_force: str | None) -> m.ModelActivation:
    """Put a version of a model in force after `in_force` (the version used until now, which a rollback returns
    to); audited with who, the model, from and to. Promoting the version in force changes nothing."""
    last = latest(session, name)
    if last is not None and last.version == version:
        return last
    return _record(
        session, name, version, actor, "promote", in_force, back_to=None if in_force == version else in_force
    )


def rollback(session: Session, name: str, actor: str) -> m.ModelActivation:
    """Put back the version that was in force before the current one; a further rollback goes back to the one
    before that, so that rollbacks walk back through the promotions."""
    last = latest(session, name)
    if last is None or last.previous is None:
        raise NoPreviousVersion(f"model {name} has no previously active version to roll back to")
    earlier = session.exec(
        select(m.ModelActivation)
        .where(
            col(m.ModelActivation.name) == name,
            col(m.ModelActivation.version) == last.previous,
            col(m.ModelActivation.seq) < last.seq,
        )
        .order_by(col(m.ModelActivation.seq).desc())
    ).first()
    return _record(session, name, last.previous, actor, "rollback", last.version, earlier.previous if earlier else None)


def _record(
    session: Session, name: str, version: str, actor: str, kind: str, from_version: str | None, back_to: str | None
) -> m.ModelActivation:
    """Add the model's next change and its audit event; two changes made at once collide on the model's next number
    (IntegrityError at flush)."""
    last = latest(session, name)
    row = m.ModelActivation(
        name=name,
        seq=(last.seq if last else 0) + 1,
        version=version,
        previous=back_to,
        kind=kind,
        actor=actor,
        at=datetime.now(UTC),
    )
    session.add(row)
    access.audit(session, actor, f"model_{kind}", model=name, from_version=from_version, to_version=version)
    session.flush()
    return row
