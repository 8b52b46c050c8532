"""What the chat tools' arguments share: the twin codes they name, each checked against the twin before use (an unknown
one is reported back, never guessed), and how many items a list shows."""

from langchain_core.tools import ToolException
from pydantic import BaseModel, Field
from sqlmodel import Session

from agents.language.intent import canonical_code
from graph.desk import Desk
from twin import store

TOP = 5  # items listed per kind in a risk overview
CODE_ARGS: dict[str, tuple[str, str]] = {  # tool arguments naming twin entities: the entity kind and its label
    "shipment_id": ("shipment", "shipment"),
    "sku": ("sku", "SKU"),
    "location": ("dc", "DC"),
    "asset_id": ("truck", "truck"),
    "lane": ("lane", "lane"),
    "carrier": ("carrier", "carrier"),
    "decision_id": ("decision", "decision"),
}


class About(BaseModel):
    """The codes something is about: a shipment, a SKU, a truck, a carrier."""

    shipment_id: str | None = Field(default=None, description="A shipment, e.g. SHP-000123.")
    sku: str | None = Field(default=None, description="A SKU, e.g. SKU-0042.")
    asset_id: str | None = Field(default=None, description="A truck, e.g. TRK-007.")
    carrier: str | None = Field(default=None, description="A carrier, e.g. CAR-REDRIVER.")


def checked(session: Session, key: str, value: str) -> str:
    """The canonical code of a value when the twin holds it; otherwise a ToolException saying so."""
    kind, label = CODE_ARGS[key]
    code = canonical_code(key, value)
    if code is None:
        raise ToolException(f"{value!r} is not a {label} code")
    if store.entity(session, kind, code) is None:
        raise ToolException(f"{code} is not in the twin")
    return code


def checked_all(session: Session, args: BaseModel) -> dict[str, str]:
    """Every code an argument model names, checked against the twin, by argument name."""
    values = args.model_dump(include=set(CODE_ARGS), exclude_none=True)
    return {key: checked(session, key, str(value)) for key, value in values.items()}


def dc_or_ask(session: Session, location: str | None) -> str:
    """A checked DC code, or an error listing the DCs."""
    if location is None:
        raise missing("a DC", [dc.code for dc in store.dcs(session)])
    return checked(session, "location", location)


def missing(what: str, options: list[str]) -> ToolException:
    """An error asking for a code, listing the twin's choices."""
    return ToolException(f"name {what}: one of {', '.join(options)}")


class Caller:
    """One caller of the chat's acts: the desk they act through, as `actor` with their role."""

    def __init__(self, desk: Desk, role: str, actor: str) -> None:
        self.desk, self.tb, self.role, self.actor = desk, desk.toolbox, role, actor

    def allowed(self, roles: tuple[str, ...], what: str) -> None:
        """Refuse, naming the roles that may, unless the caller's role is among them."""
        if self.role not in roles:
            raise ToolException(f"the {self.role} role cannot {what}; {', '.join(roles[:-1])} or {roles[-1]} can")
