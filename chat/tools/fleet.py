"""Chat tools on the fleet: trucks in the order to service them, by the failure model."""

from pydantic import BaseModel, Field

from agents import maintenance
from agents.toolbox import Toolbox
from chat.tools.arguments import TOP, checked
from tools.evidence import Evidence
from twin import store


class FleetArgs(BaseModel):
    """How many trucks to rank, optionally of one DC only."""

    location: str | None = Field(default=None, description="A DC code to rank only its trucks, e.g. DC-DAL.")
    asset_id: str | None = Field(
        default=None, description="One truck, e.g. TRK-014, to show only its place in the queue."
    )
    top: int = Field(default=TOP, ge=1, le=50, description="How many trucks to list.")


class TruckRisk(BaseModel):
    """A truck's failure risk, remaining useful life and top drivers."""

    asset_id: str
    dc: str
    status: str
    p_fail: float
    rul_days: float
    drivers: list[str]


class FleetFacts(BaseModel):
    """Trucks in the order to service them, riskiest first."""

    location: str | None = None
    trucks: list[TruckRisk]
    evidence: list[Evidence]


def truck_risk(priority: maintenance.FleetPriority) -> TruckRisk:
    """The chat's view of a truck in the service queue."""
    return TruckRisk(
        asset_id=priority.truck,
        dc=priority.dc,
        status=priority.status,
        p_fail=priority.p_fail,
        rul_days=priority.rul_days,
        drivers=[driver.feature for driver in priority.drivers],
    )


def fleet_service_priority(tb: Toolbox, args: FleetArgs) -> FleetFacts:
    """Rank trucks (all, or one DC's) by failure risk: the order to service them, with remaining useful life."""
    with tb.session() as session:
        dc = checked(session, "location", args.location) if args.location else None
        truck = checked(session, "asset_id", args.asset_id) if args.asset_id else None
        fleet_size = len(store.fleet(session))
    queue = maintenance.fleet_priority(tb, fleet_size if dc or truck else args.top)
    queue = [p for p in queue if dc in (None, p.dc) and truck in (None, p.truck)][: args.top]
    return FleetFacts(location=dc, trucks=[truck_risk(p) for p in queue], evidence=[p.evidence for p in queue])
