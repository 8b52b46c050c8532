"""`yardmaster kpis`: the KPIs of a period on the twin's clock, as defined in `twin.kpis`, in tables or as JSON."""

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from twin.kpis import KpiReport, KpiSet

console = Console(stderr=True)
DAY = ["%Y-%m-%d"]


class Granularity(StrEnum):
    """Buckets of the period."""

    day = "day"
    week = "week"


def pct(value: float | None) -> str:
    """A share as a percentage, a dash when undefined."""
    return "-" if value is None else f"{value:.1%}"


def number(value: float | None, form: str = ",.2f") -> str:
    """A figure, a dash when undefined."""
    return "-" if value is None else format(value, form)


def lines(kpis: "KpiSet") -> list[tuple[str, str, str]]:
    """Each KPI the filters scope as (name, value, what it is counted from)."""
    rows: list[tuple[str, str, str]] = []
    if (k := kpis.on_time_delivery) is not None:
        rows.append(("On-time delivery", pct(k.rate), f"{k.on_time} of {k.delivered} deliveries"))
    if (k := kpis.fill_rate) is not None:
        rows.append(("Fill rate", pct(k.rate), f"{k.served_units:,} of {k.demanded_units:,} units"))
    if (k := kpis.stockout_rate) is not None:
        rows.append(("Stockout rate", pct(k.rate), f"{k.out_of_stock} of {k.position_days} SKU-DC days"))
    if (k := kpis.inventory_turns) is not None:
        days = f"{k.days} day{'' if k.days == 1 else 's'}"
        basis = f"{k.cost_of_goods_usd:,.0f} USD served on {k.average_inventory_usd:,.0f} USD held, {days}"
        rows.append(("Inventory turns (per year)", number(k.annual_turns), basis))
    if (k := kpis.bullwhip_ratio) is not None:
        rows.append(("Bullwhip ratio", number(k.ratio), f"{k.positions} SKU-DC positions"))
    if (k := kpis.unplanned_downtime) is not None:
        rows.append(("Unplanned downtime (hours)", number(k.hours, ",.1f"), f"{k.incidents} incidents"))
    if (k := kpis.expedite_spend) is not None:
        rows.append(("Expedite spend (USD)", number(k.usd), f"{k.actions} expedites"))
    if (k := kpis.cost_to_serve) is not None:
        rows.append(
            ("Cost to serve (USD/shipment)", number(k.per_shipment_usd), f"{k.usd:,.2f} USD, {k.shipments} shipments")
        )
    if (k := kpis.forecast_accuracy) is not None:
        rows.append(
            ("Forecast error (WMAPE)", pct(k.wmape), f"{k.absolute_error_units:,.0f} of {k.actual_units:,} units")
        )
    if (k := kpis.routing) is not None:
        basis = f"{k.miles:,.1f} miles, {k.stops} stops, {k.routes} routes"
        rows.append(("Routing (USD/stop, miles/stop)", f"{number(k.usd_per_stop)} / {number(k.miles_per_stop)}", basis))
    if (k := kpis.maintenance_adherence) is not None:
        rows.append(("Maintenance schedule adherence", pct(k.rate), f"{k.kept} of {k.due} services on their day"))
    return rows


def print_report(report: "KpiReport") -> None:
    """The period's KPIs, then each bucket's headline figures."""
    from cli.tables import print_table

    scope = report.scope
    named = ", ".join(
        f"{key} {value}" for key, value in scope.model_dump(include={"site", "lane", "carrier"}).items() if value
    )
    title = f"KPIs {scope.start} to {scope.end}" + (f" ({named})" if named else "")
    print_table(["KPI", "value", "from"], lines(report.total), title=title)
    print_table(
        [report.granularity, *(name for name, _value, _basis in lines(report.total))],
        [[str(bucket.start), *(value for _name, value, _basis in lines(bucket.kpis))] for bucket in report.buckets],
        title=f"By {report.granularity}",
    )


def kpis(
    start: datetime = typer.Option(None, "--from", formats=DAY, help="First day (default: 28 days up to --to)."),
    end: datetime = typer.Option(
        None, "--to", formats=DAY, help="Last day (default: the day before the twin's clock)."
    ),
    site: str = typer.Option(None, "--site", help="Only this DC, e.g. DC-DAL."),
    lane: str = typer.Option(None, "--lane", help="Only this lane, e.g. DAL-HOU."),
    carrier: str = typer.Option(None, "--carrier", help="Only this carrier."),
    granularity: Granularity = typer.Option(Granularity.day, "--granularity", help="Buckets of a day or a week."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON."),
) -> None:
    """The KPIs of a period on the twin's clock (definitions: README, or the API schema), in total and by day or
    week, filtered by site, lane and carrier."""
    from twin import kpis as measures
    from twin.db import make_engine, migrate, session_scope
    from twin.settings import get_settings

    engine = make_engine(get_settings().resolved_database_url)
    migrate(engine)
    try:
        with session_scope(engine) as session:
            scope = measures.scope_of(session, start and start.date(), end and end.date(), site, lane, carrier)
            report = measures.report(session, scope, granularity.value)
    except measures.BadFilter as error:
        console.print(f"error: --{error.field}: {error.message}")
        raise typer.Exit(2) from error
    finally:
        engine.dispose()
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
        return
    print_report(report)
