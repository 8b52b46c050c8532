"""Facts read from the twin, wrapped as evidence so explanations can cite them."""

from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, SQLModel

from tools.costs import Rates
from tools.evidence import Evidence, Source
from twin.rates import in_force

TWIN_SOURCE = Source(tool="twin", model="store", version="live")


def lookup(kind: str, key: str | None, row: SQLModel | None) -> Evidence:
    """Evidence of looking an entity up in the twin: its stored fields, or that it was not found."""
    facts = row.model_dump(mode="json", exclude_none=True) if row is not None else {}
    return Evidence(
        id=f"twin:{kind}:{key}", source=TWIN_SOURCE, inputs={kind: key}, facts={"found": row is not None, **facts}
    )


def rates(session: Session) -> Rates:
    """The cost model's rates in force in the twin."""
    return Rates.of(in_force(session))


def twin_record(key: str, inputs: dict[str, Any], result: BaseModel) -> Evidence:
    """A read of the twin as evidence: what was asked, and the result's fields other than its own evidence."""
    return Evidence(
        id=key, source=TWIN_SOURCE, inputs=inputs, facts=result.model_dump(mode="json", exclude={"evidence"})
    )
