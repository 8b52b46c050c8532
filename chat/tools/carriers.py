"""Chat tools on carriers: their offers side by side on a lane or everywhere they run."""

from langchain_core.tools import ToolException
from pydantic import BaseModel, Field

from agents.toolbox import Toolbox
from agents.twin_facts import TWIN_SOURCE
from chat.tools.arguments import checked
from tools.evidence import Evidence
from twin import store


class CarriersArgs(BaseModel):
    """Carriers to compare (all on the lane when none) and the lane."""

    carriers: list[str] = Field(default_factory=list, description="Carrier codes, e.g. CAR-SWIFTLINE.")
    lane: str | None = Field(default=None, description="A lane, e.g. DAL-HOU; every lane of the carriers when absent.")
    cheapest_first: bool = Field(default=False, description="Order by rate per mile instead of on-time rate.")


class CarrierOffer(BaseModel):
    """A carrier on a lane: on-time rate, rate, transit time and weekly capacity."""

    carrier: str
    lane: str
    on_time_rate: float
    rate_per_mile: float
    transit_days: int
    capacity_per_week: int
    shipments: int


class CarriersFacts(BaseModel):
    """Carriers side by side, best on-time rate first."""

    lane: str | None
    offers: list[CarrierOffer]
    evidence: list[Evidence]


def compare_carriers(tb: Toolbox, args: CarriersArgs) -> CarriersFacts:
    """Compare carriers (on a lane, or everywhere they run): on-time rate, rate per mile, transit days and
    weekly capacity, best on-time rate first."""
    with tb.session() as session:
        carriers = [checked(session, "carrier", code) for code in args.carriers]
        lane = checked(session, "lane", args.lane) if args.lane else None
        if lane is None and not carriers:
            raise ToolException("name a lane (e.g. DAL-HOU) or a carrier (e.g. CAR-SWIFTLINE)")
        offers = [
            offer for offer in store.carrier_lanes(session, lane=lane) if not carriers or offer.carrier in carriers
        ]
    if not offers:
        raise ToolException(f"none of {', '.join(carriers) or 'the carriers'} runs {lane or 'a lane'}")
    rows = sorted(
        (CarrierOffer.model_validate(o, from_attributes=True) for o in offers),
        key=lambda row: (
            (row.rate_per_mile, -row.on_time_rate) if args.cheapest_first else (-row.on_time_rate, row.rate_per_mile)
        ),
    )
    evidence = Evidence(
        id=f"twin:carrier-lanes:{lane or '+'.join(carriers)}",
        source=TWIN_SOURCE,
        inputs={"lane": lane, "carriers": carriers},
        facts={f"{row.carrier} {row.lane}": row.model_dump() for row in rows},
    )
    return CarriersFacts(lane=lane, offers=rows, evidence=[evidence])
