"""Detectors: score open shipments, stock positions, trucks and the models' drift, and raise exceptions where a
threshold is crossed; the pass runs whole, or in parts (a site's shipments and positions, a block of trucks, the
models) that queue workers share."""

from datetime import date, timedelta
from typing import Annotated, Literal

import pandas as pd
from pydantic import BaseModel, Field, TypeAdapter
from sqlmodel import Session, col, select

from agents import maintenance, monitoring
from agents.modelbook import MODEL_NAMES
from agents.schemas import ExceptionIn, ExceptionType, Refs
from agents.toolbox import Toolbox
from tools.late_risk import score_shipments
from twin import frames, store
from twin import models as m
from twin.typed_pandas import as_frame, as_series

LATE_TRIGGER = 0.70  # SOP-LATE-01: a late-risk score of 0.70 opens the procedure
FAILURE_TRIGGER = 0.60  # SOP-MAINT-01: the high band starts at 0.60
COVER_DAYS_TRIGGER = 3.0  # SOP-STOCK-01: less than the 3-day replenishment lead time of cover
SPIKE_RATIO = 2.2  # the last 3 days against the same weekdays of the 4 weeks before them
SPIKE_SIGMAS = 3.0  # and beyond 3 standard deviations of a 3-day total
OVERDISPERSION = 8.0  # daily demand variance = mean + mean^2 / 8 (negative binomial)
ID_BATCH = 500  # external ids looked up per query, well under every database's limit of bound parameters
TRUCK_BLOCK = 50  # trucks scored by one part of the pass


class SitePart(BaseModel):
    """The shipments in transit from a site and the stock positions at it."""

    kind: Literal["site"] = "site"
    site: str

    @property
    def key(self) -> str:
        """The part's name, unique in a pass."""
        return f"site:{self.site}"


class TruckBlock(BaseModel):
    """A block of trucks, by code."""

    kind: Literal["trucks"] = "trucks"
    trucks: list[str]

    @property
    def key(self) -> str:
        """The part's name, unique in a pass."""
        return f"trucks:{self.trucks[0]}..{self.trucks[-1]}"


class ModelsPart(BaseModel):
    """The drift of the models in force."""

    kind: Literal["models"] = "models"

    @property
    def key(self) -> str:
        """The part's name, unique in a pass."""
        return "models"


Part = Annotated[SitePart | TruckBlock | ModelsPart, Field(discriminator="kind")]
PART = TypeAdapter[Part](Part)


def _detector_id(kind: ExceptionType, key: str, day: str) -> str:
    """One external id per entity, exception type and twin day, so a detector never raises a duplicate."""
    return f"detector:{kind.value}:{key}:{day}"


def iso_week(day: date) -> str:
    """The ISO week of a day ("2026-W45"): a model version's findings are raised at most once a week, so a standing
    recommendation is not proposed again every day while it waits or after it was answered."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _known(tb: Toolbox, external_ids: list[str]) -> tuple[set[tuple[str, str]], set[str]]:
    """(type, reference) of the exceptions still open, and which of `external_ids` were already taken in."""
    with tb.session() as session:
        still_open = session.exec(
            select(col(m.ExceptionRecord.type), col(m.ExceptionRecord.refs)).where(
                col(m.ExceptionRecord.status) == "open"
            )
        ).all()
        taken = {
            external_id
            for start in range(0, len(external_ids), ID_BATCH)
            for external_id in session.exec(
                select(col(m.ExceptionRecord.external_id)).where(
                    col(m.ExceptionRecord.external_id).in_(external_ids[start : start + ID_BATCH])
                )
            )
            if external_id is not None
        }
    return {(kind, value) for kind, refs in still_open if kind is not None for value in (refs or {}).values()}, taken


def _surge(recent: float, baseline: float) -> bool:
    """Whether 3 days at the recent daily mean are a surge: SPIKE_RATIO over baseline and 3 sigma above it."""
    if baseline <= 0:
        return False
    sigma = (3 * (baseline + baseline**2 / OVERDISPERSION)) ** 0.5
    return recent >= SPIKE_RATIO * baseline and 3 * (recent - baseline) >= SPIKE_SIGMAS * sigma


def late_shipments(tb: Toolbox, site: str | None = None) -> list[ExceptionIn]:
    """In-transit shipments (all, or those from `site`) whose late risk reaches the trigger."""
    with tb.session() as session:
        frame = frames.shipment_frame(session, status="in_transit", origin=site)
    if frame.empty:
        return []
    day = tb.now().date().isoformat()
    return [
        ExceptionIn(
            type=ExceptionType.late_shipment,
            refs=Refs(shipment_id=risk.shipment_id),
            severity="high",
            source="detector",
            external_id=_detector_id(ExceptionType.late_shipment, risk.shipment_id, day),
            description=f"late risk {risk.p_late:.2f} at or above {LATE_TRIGGER:.2f}",
        )
        for risk in score_shipments(tb.models.late, frame)
        if risk.p_late >= LATE_TRIGGER
    ]


def _recent_demand(session: Session, since: date, site: str | None) -> pd.DataFrame:
    """Daily units per SKU and DC (all, or `site`) since a day, promotion days left out (promotions are planned
    surges, not exceptions)."""
    at = [] if site is None else [col(m.DemandHistory.location) == site]
    return pd.DataFrame(
        session.exec(
            select(
                col(m.DemandHistory.sku),
                col(m.DemandHistory.location),
                col(m.DemandHistory.day),
                col(m.DemandHistory.units),
            ).where(col(m.DemandHistory.day) >= since, col(m.DemandHistory.promo).is_(False), *at)
        ).all(),
        columns=["sku", "location", "day", "units"],
    )


def _available_stock(session: Session, site: str | None) -> pd.DataFrame:
    """Each position's (all, or those at `site`) stock available to promise: on hand and in transit, less what is
    allocated."""
    at = [] if site is None else [col(m.InventoryPosition.location) == site]
    return pd.DataFrame(
        session.exec(
            select(
                col(m.InventoryPosition.sku),
                col(m.InventoryPosition.location),
                (
                    col(m.InventoryPosition.on_hand)
                    + col(m.InventoryPosition.in_transit)
                    - col(m.InventoryPosition.allocated)
                ).label("available"),
            ).where(*at)
        ).all(),
        columns=["sku", "location", "available"],
    )


def stock_positions(tb: Toolbox, site: str | None = None) -> list[ExceptionIn]:
    """Positions (all, or those at `site`) with less cover than the lead time (stockout risk) or a demand surge
    (demand spike)."""
    now = tb.now()
    since = now.date() - timedelta(days=31)
    with tb.session() as session:
        demand = _recent_demand(session, since, site)
        stock = _available_stock(session, site)
    offset = (pd.Timestamp(now.date()) - pd.to_datetime(demand["day"])).dt.days
    demand["recent"] = offset <= 3
    demand = as_frame(demand[demand["recent"] | (offset % 7).isin([1, 2, 3])])  # the same weekdays in the weeks before
    means = as_series(demand.groupby(["sku", "location", "recent"])["units"].mean())
    rates = as_frame(means.unstack("recent")).fillna(0.0).rename(columns={False: "baseline", True: "recent"})
    merged = stock.set_index(["sku", "location"]).join(rates).reset_index()
    day = now.date().isoformat()
    raised = []
    columns = merged[["sku", "location", "available", "recent", "baseline"]]
    for sku, location, available, recent, baseline in columns.itertuples(index=False, name=None):
        key = f"{sku}@{location}"
        refs = Refs(sku=sku, location=location)
        if _surge(recent, baseline):
            raised.append(
                ExceptionIn(
                    type=ExceptionType.demand_spike,
                    refs=refs,
                    source="detector",
                    external_id=_detector_id(ExceptionType.demand_spike, key, day),
                )
            )
        elif recent > 0 and available / recent < COVER_DAYS_TRIGGER:
            raised.append(
                ExceptionIn(
                    type=ExceptionType.stockout_risk,
                    refs=refs,
                    source="detector",
                    external_id=_detector_id(ExceptionType.stockout_risk, key, day),
                )
            )
    return raised


def trucks(tb: Toolbox, codes: list[str] | None = None) -> list[ExceptionIn]:
    """Trucks (all, or those in `codes`) whose failure risk reaches the high band and that have no open work order;
    each scored on its last readings and its running means, never its whole telemetry."""
    now = tb.now()
    with tb.session() as session:
        if codes is None:
            risks = maintenance.FLEET_RISKS.risks(tb, session, now)
        else:
            risks = maintenance.truck_risks(tb, session, now, codes)
        booked = store.trucks_with_open_work_orders(session)
    day = now.date().isoformat()
    return [
        ExceptionIn(
            type=ExceptionType.equipment_failure_risk,
            refs=Refs(asset_id=risk.truck),
            severity="high",
            source="detector",
            external_id=_detector_id(ExceptionType.equipment_failure_risk, risk.truck, day),
        )
        for risk in risks
        if risk.p_fail >= FAILURE_TRIGGER and risk.truck not in booked
    ]


def drifted_models(tb: Toolbox) -> list[ExceptionIn]:
    """Models in force whose features drifted between training and recent scoring, or whose performance on the
    outcomes known now crosses a limit; every measurement is kept in the model's history."""
    now, settings, models = tb.now(), tb.settings, tb.models.pinned()
    found = []
    with tb.session() as session:
        for name in MODEL_NAMES:
            findings = monitoring.assess(session, models, name, now, settings).findings
            if findings:
                found.append(
                    ExceptionIn(
                        type=ExceptionType.model_drift,
                        refs=Refs(model=name),
                        source="detector",
                        external_id=_detector_id(
                            ExceptionType.model_drift, f"{name}@{models.meta(name).version}", iso_week(now.date())
                        ),
                        description=f"{name}: {'; '.join(findings)}",
                    )
                )
        session.commit()
    return found


def detect(tb: Toolbox) -> list[ExceptionIn]:
    """Every exception the detectors raise now, leaving out those already open or already raised today."""
    return _new(tb, late_shipments(tb) + stock_positions(tb) + trucks(tb) + drifted_models(tb))


def parts(session: Session) -> list[Part]:
    """The pass cut into parts whose findings together are the whole pass's: one per site with shipments in transit
    or stock positions (every DC), one per block of `TRUCK_BLOCK` trucks, one for the models."""
    sites = {dc.code for dc in store.dcs(session)}
    sites |= set(session.exec(select(col(m.InventoryPosition.location)).distinct()))
    sites |= set(session.exec(select(col(m.Shipment.origin)).where(col(m.Shipment.status) == "in_transit").distinct()))
    codes = list(session.exec(select(col(m.Vehicle.code)).order_by(col(m.Vehicle.code))))
    blocks = [TruckBlock(trucks=codes[start : start + TRUCK_BLOCK]) for start in range(0, len(codes), TRUCK_BLOCK)]
    return [*(SitePart(site=site) for site in sorted(sites)), *blocks, ModelsPart()]


def detect_part(tb: Toolbox, part: Part) -> list[ExceptionIn]:
    """The exceptions one part of the pass raises now, leaving out those already open or already raised today
    (running a part again raises nothing new)."""
    match part:
        case SitePart(site=site):
            found = late_shipments(tb, site) + stock_positions(tb, site)
        case TruckBlock(trucks=codes):
            found = trucks(tb, codes)
        case ModelsPart():
            found = drifted_models(tb)
    return _new(tb, found)


def _new(tb: Toolbox, found: list[ExceptionIn]) -> list[ExceptionIn]:
    """The exceptions found that are neither open on one of their references nor already taken in today."""
    open_refs, taken = _known(tb, [e.external_id for e in found if e.external_id is not None])
    return [e for e in found if e.external_id not in taken and not _still_open(e, open_refs)]


def _still_open(exception: ExceptionIn, open_refs: set[tuple[str, str]]) -> bool:
    """Whether an exception of this one's type is still open on one of its references."""
    kind = exception.type
    return kind is not None and any((kind.value, value) in open_refs for value in exception.refs.present().values())
