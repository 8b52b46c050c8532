"""Chat tools on stock: a SKU's demand forecast at a DC, its days of cover, and the SKU-DCs short of their forecast."""

from datetime import date, timedelta

import pandas as pd
from langchain_core.tools import ToolException
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlmodel import Session, col

from agents.modelbook import TWIN_FORECAST
from agents.toolbox import Toolbox
from agents.twin_facts import TWIN_SOURCE
from chat.tools.arguments import TOP, checked, dc_or_ask
from tools.evidence import Evidence
from tools.forecast import Forecast, ForecastDay, forecast
from twin import models as m
from twin import store
from twin.typed_pandas import as_day

MAX_WEEKS = TWIN_FORECAST.max_horizon // 7  # the demand forecaster looks 28 days ahead


class ForecastArgs(BaseModel):
    """A SKU at a DC and how many weeks ahead to forecast, or the days (e.g. one weekday) to forecast."""

    sku: str | None = Field(default=None, description="A SKU, e.g. SKU-0042.")
    location: str | None = Field(default=None, description="A DC code, e.g. DC-DAL.")
    horizon_weeks: int = Field(default=MAX_WEEKS, description=f"Weeks ahead, 1 to {MAX_WEEKS}.")
    first_day: date | None = Field(
        default=None, description="First day to forecast, e.g. next Tuesday; weeks when absent."
    )
    last_day: date | None = Field(default=None, description="Last day to forecast; the first day when absent.")


class CoverArgs(BaseModel):
    """A SKU at a DC."""

    sku: str | None = Field(default=None, description="A SKU, e.g. SKU-0042.")
    location: str | None = Field(default=None, description="A DC code, e.g. DC-HOU.")


class StockRisksArgs(BaseModel):
    """Where to look for SKUs short of their forecast demand, and how many to list."""

    location: str | None = Field(default=None, description="A DC code; every DC when absent.")
    top: int = Field(default=TOP, ge=1, le=50, description="How many SKU-DCs to list.")


class StockRisk(BaseModel):
    """A SKU at a DC whose available stock is below the 90th percentile of its forecast demand over the horizon."""

    sku: str
    location: str
    available: int
    demand_p50: float
    demand_p90: float


class Demand(BaseModel):
    """Units over a span of days with the 80% interval."""

    p10: float
    p50: float
    p90: float


class WeekDemand(Demand):
    """One forecast week; its band adds the daily bands, so it is wider than a calibrated weekly interval."""

    week: int
    first_day: date
    last_day: date


class DayDemand(Demand):
    """One forecast day with its 80% interval."""

    day: date


class ForecastFacts(BaseModel):
    """A SKU's demand at a DC: the calibrated total and the weeks, or the days asked for and their sum."""

    sku: str
    location: str
    as_of: date
    horizon_weeks: int
    total: Demand
    weeks: list[WeekDemand]
    days: list[DayDemand] = Field(default_factory=list, description="The days asked for, when days were asked.")
    days_total: Demand | None = Field(default=None, description="The days' sum; its band adds the daily bands.")
    evidence: list[Evidence]


class StockRisksFacts(BaseModel):
    """SKU-DCs short of their forecast demand, largest gap first."""

    location: str | None
    skus: list[StockRisk]
    evidence: list[Evidence]


class CoverFacts(BaseModel):
    """Stock of a SKU at a DC and the days it covers at the forecast daily demand."""

    sku: str
    location: str
    on_hand: int
    available: int
    daily_demand_p50: float
    days_of_cover: float
    evidence: list[Evidence]


def demand_history(session: Session, sku: str, location: str) -> pd.DataFrame:
    """A SKU's daily demand at one DC with the day's holiday and event, as the forecaster reads it."""
    return pd.DataFrame(
        [
            {**row.model_dump(exclude={"id"}), "holiday": holiday, "event": event}
            for row, holiday, event in store.sku_demand(session, sku)
            if row.location == location
        ]
    )


def available_units(position: m.InventoryPosition) -> int:
    """Stock a DC can still promise: on hand and in transit, less what is allocated."""
    return position.on_hand + position.in_transit - position.allocated


def _weeks(outlook: Forecast) -> list[WeekDemand]:
    """The forecast's days added up by week."""
    weeks = []
    for start in range(0, outlook.horizon_days, 7):
        days = outlook.days[start : start + 7]
        weeks.append(
            WeekDemand(week=start // 7 + 1, first_day=days[0].day, last_day=days[-1].day, **_summed(days).model_dump())
        )
    return weeks


def _days_ahead(as_of: date, first: date, last: date) -> int:
    """Days the forecaster must look ahead from its last day of history to cover `first` to `last`."""
    if last < first:
        raise ToolException(f"the last day {last} comes before the first day {first}")
    if first <= as_of:
        raise ToolException(f"the forecast starts on {as_of + timedelta(days=1)}; ask about a later day")
    ahead = (last - as_of).days
    if ahead > TWIN_FORECAST.max_horizon:
        raise ToolException(
            f"the forecaster looks {TWIN_FORECAST.max_horizon} days ahead of {as_of}; {last} is {ahead} days ahead"
        )
    return ahead


def _summed(days: list[DayDemand] | list[ForecastDay]) -> Demand:
    """Days added up; the band adds the daily bands, so it is wider than a calibrated interval."""
    return Demand(
        p10=round(sum(d.p10 for d in days), 1),
        p50=round(sum(d.p50 for d in days), 1),
        p90=round(sum(d.p90 for d in days), 1),
    )


def short_of_forecast(
    tb: Toolbox, below: list[m.InventoryPosition], histories: dict[tuple[str, str], pd.DataFrame], weeks: int
) -> tuple[list[StockRisk], list[Evidence]]:
    """Of the SKUs below their reorder point, those whose available stock is below the p90 of their forecast
    demand over the weeks, largest gap first."""
    found, calendar = [], tb.calendar()
    for position in below:
        history = histories[(position.sku, position.location)]
        if history.empty:
            continue
        outlook = forecast(
            tb.models.demand,
            history,
            {"sku": position.sku, "location": position.location},
            weeks * 7,
            as_of=as_day(history["day"].max()),
            calendar=calendar,
        )
        if available_units(position) < outlook.total.p90:
            found.append(
                (
                    StockRisk(
                        sku=position.sku,
                        location=position.location,
                        available=available_units(position),
                        demand_p50=round(outlook.total.p50, 1),
                        demand_p90=round(outlook.total.p90, 1),
                    ),
                    outlook.evidence,
                )
            )
    found.sort(key=lambda item: item[0].available - item[0].demand_p90)
    return [risk for risk, _ in found], [evidence for _, evidence in found]


def forecast_demand(tb: Toolbox, args: ForecastArgs) -> ForecastFacts:
    """Forecast a SKU's demand at a DC for 1 to 4 weeks (the total and each week), or for the days asked (each day
    and their sum), with p10/p50/p90 units."""
    if not 1 <= args.horizon_weeks <= MAX_WEEKS:
        raise ToolException(
            f"the forecaster looks 1 to {MAX_WEEKS} weeks ahead, not {args.horizon_weeks}; "
            f"ask for {MAX_WEEKS} weeks or fewer"
        )
    with tb.session() as session:
        if args.sku is None:
            raise ToolException("name a SKU, e.g. SKU-0042")
        sku = checked(session, "sku", args.sku)
        dc = dc_or_ask(session, args.location)
        history = demand_history(session, sku, dc)
    if history.empty:
        raise ToolException(f"{sku} has no demand history at {dc}")
    as_of = as_day(history["day"].max())
    first = args.first_day
    asked = (first, args.last_day or first) if first is not None else None  # the days asked, first to last
    horizon = args.horizon_weeks * 7 if asked is None else _days_ahead(as_of, *asked)
    outlook = forecast(
        tb.models.demand, history, {"sku": sku, "location": dc}, horizon, as_of=as_of, calendar=tb.calendar()
    )
    total = outlook.total
    days = [
        DayDemand(day=d.day, p10=round(d.p10, 1), p50=round(d.p50, 1), p90=round(d.p90, 1))
        for d in outlook.days
        if asked is not None and asked[0] <= d.day <= asked[1]
    ]
    return ForecastFacts(
        sku=sku,
        location=dc,
        as_of=outlook.as_of,
        horizon_weeks=-(-horizon // 7),
        total=Demand(p10=round(total.p10, 1), p50=round(total.p50, 1), p90=round(total.p90, 1)),
        weeks=_weeks(outlook),
        days=days,
        days_total=_summed(days) if days else None,
        evidence=[outlook.evidence],
    )


def stock_risks(tb: Toolbox, args: StockRisksArgs) -> StockRisksFacts:
    """SKU-DCs below their reorder point whose stock is short of the p90 of a week's forecast demand, largest
    gap first (one DC or all)."""
    with tb.session() as session:
        dcs = [dc_or_ask(session, args.location)] if args.location else [d.code for d in store.dcs(session)]
        below = [
            p
            for p in session.execute(
                select(m.InventoryPosition)
                .where(col(m.InventoryPosition.location).in_(dcs))
                .order_by(col(m.InventoryPosition.location), col(m.InventoryPosition.sku))
            ).scalars()
            if available_units(p) < p.reorder_point
        ]
        histories = {(p.sku, p.location): demand_history(session, p.sku, p.location) for p in below}
    risks, evidence = short_of_forecast(tb, below, histories, 1)
    return StockRisksFacts(location=args.location and dcs[0], skus=risks[: args.top], evidence=evidence[: args.top])


def days_of_cover(tb: Toolbox, args: CoverArgs) -> CoverFacts:
    """Days of cover of a SKU at a DC: available stock over the forecast median daily demand."""
    with tb.session() as session:
        if args.sku is None:
            raise ToolException("name a SKU, e.g. SKU-0042")
        sku = checked(session, "sku", args.sku)
        dc = dc_or_ask(session, args.location)
        position = store.position(session, sku, dc)
        history = demand_history(session, sku, dc)
    if position is None or history.empty:
        raise ToolException(f"{dc} holds no {sku}")
    as_of = as_day(history["day"].max())
    outlook = forecast(tb.models.demand, history, {"sku": sku, "location": dc}, 7, as_of=as_of, calendar=tb.calendar())
    daily = round(outlook.total.p50 / 7, 1)
    cover = round(available_units(position) / daily, 1) if daily > 0 else float(available_units(position))
    stock = Evidence(
        id=f"twin:position:{sku}/{dc}",
        source=TWIN_SOURCE,
        inputs={"sku": sku, "location": dc},
        facts={
            "on_hand": position.on_hand,
            "available": available_units(position),
            "daily_demand_p50": daily,
            "days_of_cover": cover,
        },
    )
    return CoverFacts(
        sku=sku,
        location=dc,
        on_hand=position.on_hand,
        available=available_units(position),
        daily_demand_p50=daily,
        days_of_cover=cover,
        evidence=[stock, outlook.evidence],
    )
