// Key figures: the KPIs of the 28 days before the twin's clock (defined in twin/kpis.py), weekly on-time delivery,
// failures and downtime; stock against its thresholds; decisions by status and specialist, and per twin day with
// their executed spend.

import uPlot from "../../vendor/uPlot.esm.js";
import { read } from "../api.js";
import { barChart, fill, h, heading, label, pct, table, usd } from "../ui.js";

const charts = [];

function lineChart(title, days, series, { percent = false } = {}) {
  const holder = h("figure", { class: "chart" }, h("figcaption", {}, title, " ",
    series.map((s) => h("span", { class: "series" }, h("span", { class: "key", style: `background:${s.color}` }), ` ${s.label}`))));
  const width = () => Math.max(280, Math.min(holder.parentElement?.clientWidth ?? 600, 620) - 16);
  requestAnimationFrame(() => {
    const chart = new uPlot({
      width: width(), height: 200, legend: { show: false },
      scales: { x: { time: true } },
      axes: [{}, { values: (_u, ticks) => ticks.map((t) => (percent ? `${Math.round(t * 100)}%` : t)) }],
      series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, fill: s.fill,
        value: (_u, v) => (v === null ? "—" : percent ? pct(v) : String(Math.round(v * 10) / 10)),
        paths: s.bars ? uPlot.paths.bars({ size: [0.6, 40] }) : undefined }))],
    }, [days.map((d) => Date.parse(d) / 1000), ...series.map((s) => s.values)], holder);
    charts.push(chart);
  });
  return holder;
}

export function leave() {
  while (charts.length) charts.pop().destroy();
}

export const live = true; // drawn again when a figure changes

export async function show(root) {
  const kpis = await read("/v1/kpis");
  leave();
  const weeks = kpis.weeks.map((w) => w.week_start);
  const days = kpis.decision_days.slice().reverse(); // the latest page of days, oldest first for the charts
  const statuses = [...new Set(days.flatMap((d) => Object.keys(d.by_status)))];
  const palette = ["#1f6feb", "#b35900", "#1a7f37", "#a40e26", "#6639ba", "#57606a", "#0a7f8c"];
  fill(root, heading("KPIs", h("p", { class: "muted" }, `Operations up to the twin's clock (${kpis.as_of?.slice(0, 10)}); decisions on the twin's day they were made.`)),
    h("div", { class: "cards" },
      card("On time, last full week", pct(kpis.weeks.at(-1)?.on_time_rate)),
      card("Failures, last 4 weeks", kpis.weeks.slice(-4).reduce((s, w) => s + w.failures, 0)),
      card("Stock below reorder point", `${kpis.stock.below_reorder_point} of ${kpis.stock.positions}`),
      card("Stock at zero", kpis.stock.at_zero),
      card("Executed spend", usd(days.reduce((s, d) => s + d.executed_cost_usd, 0))),
      card("Expedite spend", usd(days.reduce((s, d) => s + d.expedite_cost_usd, 0)))),
    h("h2", {}, `The last ${kpis.buckets.length} days (${kpis.scope.start} to ${kpis.scope.end})`),
    h("div", { class: "cards" }, periodCards(kpis.total)),
    h("div", { class: "columns" },
      lineChart("On-time delivery by week", weeks, [{ label: "on time", color: "#1f6feb", values: kpis.weeks.map((w) => w.on_time_rate) }], { percent: true }),
      lineChart("Breakdowns and downtime by week", weeks, [
        { label: "failures", color: "#a40e26", values: kpis.weeks.map((w) => w.failures), bars: true, fill: "#a40e2633" },
        { label: "downtime (days)", color: "#b35900", values: kpis.weeks.map((w) => w.downtime_hours / 24) }])),
    h("div", { class: "columns" },
      barChart("Decisions by status", Object.entries(kpis.decisions_by_status).map(([k, v]) => ({ label: label(k), value: v })), String),
      barChart("Decisions by specialist", Object.entries(kpis.decisions_by_specialist).map(([k, v]) => ({ label: label(k), value: v })), String)),
    days.length > 1 ? h("div", { class: "columns" },
      lineChart("Decisions per day by status", days.map((d) => d.day), statuses.map((status, i) => ({
        label: label(status), color: palette[i % palette.length], values: days.map((d) => d.by_status[status] ?? 0) }))),
      lineChart("Expected spend of executed decisions per day (USD)", days.map((d) => d.day), [
        { label: "all", color: "#1a7f37", values: days.map((d) => d.executed_cost_usd) },
        { label: "expedite", color: "#b35900", values: days.map((d) => d.expedite_cost_usd) }])) : null,
    table("Decisions per day", [{ key: "day" }, ...statuses.map((status) => ({ key: status, numeric: true, render: (d) => d.by_status[status] ?? 0 })),
      { key: "executed_cost_usd", title: "executed spend", numeric: true, render: (d) => usd(d.executed_cost_usd) },
      { key: "expedite_cost_usd", title: "expedite spend", numeric: true, render: (d) => usd(d.expedite_cost_usd) }], days, { empty: "No decisions yet." }),
    table("Weeks", [{ key: "week_start", title: "week of" }, { key: "delivered", numeric: true }, { key: "on_time", title: "on time", numeric: true },
      { key: "on_time_rate", title: "rate", numeric: true, render: (w) => pct(w.on_time_rate) }, { key: "failures", numeric: true },
      { key: "downtime_hours", title: "downtime h", numeric: true }], kpis.weeks));
}

// The period's KPIs as cards (their definitions are in the README and the API schema).
function periodCards(t) {
  const ratio = (v) => (v === null || v === undefined ? "—" : v.toFixed(2));
  return [
    card("On-time delivery", pct(t.on_time_delivery?.rate)),
    card("Fill rate", pct(t.fill_rate?.rate)),
    card("Stockout rate", pct(t.stockout_rate?.rate)),
    card("Inventory turns / year", ratio(t.inventory_turns?.annual_turns)),
    card("Bullwhip ratio", ratio(t.bullwhip_ratio?.ratio)),
    card("Unplanned downtime", `${t.unplanned_downtime?.hours ?? 0} h, ${t.unplanned_downtime?.incidents ?? 0} incidents`),
    card("Expedite spend", usd(t.expedite_spend?.usd ?? 0)),
    card("Cost to serve / shipment", t.cost_to_serve?.per_shipment_usd == null ? "—" : usd(t.cost_to_serve.per_shipment_usd)),
    card("Forecast error (WMAPE)", pct(t.forecast_accuracy?.wmape)),
    card("Miles per stop", ratio(t.routing?.miles_per_stop)),
    card("Maintenance adherence", pct(t.maintenance_adherence?.rate)),
  ];
}

function card(title, value) {
  return h("div", { class: "card" }, h("p", { class: "card-title" }, title), h("p", { class: "card-value" }, String(value)));
}
