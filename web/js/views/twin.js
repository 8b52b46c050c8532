// The twin browser: shipments, trucks, SKUs with stock, lanes and carriers; searchable lists and detail pages
// with the decisions that name each entity.

import { query, read } from "../api.js";
import { codeLink, facts, fill, h, heading, label, num, pct, table, usd, when } from "../ui.js";
import { statusBadge } from "./parts.js";

const PAGE = 50;
const code = (key) => ({ key, render: (row) => codeLink(row[key] ?? "—") });
const risk = { key: "risk", numeric: true }; // drawn from the page's risk scores by each row's code
const KINDS = {
  shipments: { title: "Shipments", key: "id", statuses: ["planned", "in_transit", "delivered"], columns: [code("id"), { key: "status" }, code("origin"), code("destination"),
    code("lane"), { key: "carrier", render: (r) => (r.carrier ? codeLink(r.carrier) : r.truck ? codeLink(r.truck) : "—") },
    { key: "promised_at", title: "promised", render: (r) => when(r.promised_at) }, { ...risk, title: "late risk" }] },
  trucks: { title: "Trucks", key: "code", statuses: ["active", "in_maintenance", "out_of_service"], columns: [code("code"), code("home_dc"), { key: "status" }, { key: "model_year", title: "year" },
    { key: "odometer_miles", title: "odometer (mi)", numeric: true, render: (r) => num(r.odometer_miles, 0) },
    { key: "last_service_at", title: "last service", render: (r) => when(r.last_service_at) }, { ...risk, title: "failure risk" }] },
  skus: { title: "SKUs and stock", key: "code", columns: [code("code"), { key: "name" }, { key: "category" },
    { key: "unit_cost", title: "unit cost", numeric: true, render: (r) => usd(r.unit_cost) },
    { key: "unit_price", title: "unit price", numeric: true, render: (r) => usd(r.unit_price) }] },
  lanes: { title: "Lanes", key: "code", columns: [code("code"), code("origin"), { key: "dest_region", title: "to region" },
    { key: "distance_miles", title: "miles", numeric: true }] },
  carriers: { title: "Carriers", key: "code", columns: [code("code"), { key: "name" },
    { key: "cost_per_mile", title: "cost per mile", numeric: true, render: (r) => usd(r.cost_per_mile) },
    { key: "capacity_per_week", title: "capacity / week", numeric: true }] },
};

const OFFERS = [code("carrier"), code("lane"), { key: "rate_per_mile", title: "rate / mi", numeric: true, render: (r) => usd(r.rate_per_mile) },
  { key: "transit_days", title: "transit days", numeric: true }, { key: "capacity_per_week", title: "capacity / week", numeric: true },
  { key: "on_time_rate", title: "on time", numeric: true, render: (r) => pct(r.on_time_rate) }];

function tabs(active) {
  return h("nav", { "aria-label": "Twin entities", class: "tabs" }, h("ul", {}, Object.entries(KINDS).map(([kind, spec]) =>
    h("li", {}, h("a", { href: `#/twin/${kind}`, "aria-current": kind === active ? "page" : null }, spec.title)))));
}

function decisions(list) {
  return h("section", {}, h("h2", {}, "Decisions that name it"), table(null, [
    { key: "decision_id", title: "decision", render: (d) => codeLink(d.decision_id) }, { key: "status", render: (d) => statusBadge(d.status) },
    { key: "specialist" }, { key: "action_types", title: "actions", render: (d) => d.action_types.map(label).join(", ") || "—" },
    { key: "created_at", title: "made", render: (d) => when(d.created_at) }], list, { empty: "No decision names it yet." }));
}

export const live = true; // drawn again when the list or the entity shown changes

export async function show(root, [kind = "shipments", id], params) {
  if (!KINDS[kind]) kind = "shipments";
  if (id) return detail(root, kind, id);
  const q = params.get("q") ?? "";
  const spec = KINDS[kind];
  const status = spec.statuses?.includes(params.get("status")) ? params.get("status") : "";
  const offset = Number(params.get("offset") ?? 0);
  const page = await read(`/v1/twin/${kind}${query({ q, status, limit: PAGE, offset })}`);
  const go = (next) => {
    location.hash = `#/twin/${kind}${query({ q: next.q ?? q, status: next.status ?? status, offset: next.offset ?? 0 })}`;
  };
  const search = h("input", { id: "twin-search", type: "search", name: "q", value: q, placeholder: "code, name, DC, lane…" });
  const filter = spec.statuses ? [h("label", { for: "twin-status" }, "Status"),
    h("select", { id: "twin-status", name: "status", onchange: (event) => go({ status: event.target.value }) },
      ["", ...spec.statuses].map((value) => h("option", { value, selected: value === status }, value ? label(value) : "any")))] : [];
  const columns = spec.columns.map((column) => (column.key === "risk"
    ? { ...column, render: (row) => riskCell(page.risk?.[row[spec.key]]) } : column));
  fill(root, heading(spec.title), tabs(kind),
    h("form", { role: "search", class: "search", onsubmit: (event) => { event.preventDefault(); go({ q: search.value.trim() }); } },
      h("label", { for: "twin-search" }, `Search ${spec.title.toLowerCase()}`), search, ...filter, h("button", { type: "submit" }, "Search")),
    h("p", { class: "muted", id: "twin-count" }, `${page.total} match${page.total === 1 ? "" : "es"}`,
      page.total > PAGE ? `, showing ${offset + 1}–${Math.min(offset + PAGE, page.total)}` : ""),
    table(null, columns, page.items, { empty: "No match." }),
    h("div", { class: "buttons" },
      offset > 0 ? h("button", { type: "button", onclick: () => go({ offset: Math.max(0, offset - PAGE) }) }, "Previous") : null,
      offset + PAGE < page.total ? h("button", { type: "button", onclick: () => go({ offset: offset + PAGE }) }, "Next") : null));
}

// A model's risk score as a percentage, strong at or above the detectors' lowest trigger; a dash without one.
function riskCell(score) {
  if (score === undefined || score === null) return "—";
  return score >= 0.6 ? h("strong", { class: "warn-text" }, pct(score)) : pct(score);
}

async function detail(root, kind, id) {
  const data = await read(`/v1/twin/${kind}/${encodeURIComponent(id)}`);
  const back = h("a", { href: `#/twin/${kind}` }, `All ${KINDS[kind].title.toLowerCase()}`);
  const sections = {
    shipments: () => [facts(data.shipment), table("Scans", [{ key: "at", render: (s) => when(s.at) }, { key: "kind" }, { key: "location" },
      { key: "delay_minutes", title: "delay (min)", numeric: true }], data.scans, { empty: "No scans." })],
    trucks: () => [facts(data.truck), table("Work orders", [{ key: "id" }, { key: "kind" }, { key: "component" }, { key: "status" },
      { key: "opened_at", title: "opened", render: (w) => when(w.opened_at) }, { key: "scheduled_for", title: "scheduled", render: (w) => when(w.scheduled_for) },
      { key: "decision_id", title: "decision", render: (w) => (w.decision_id ? codeLink(w.decision_id) : "—") }], data.work_orders, { empty: "No work orders." }),
    table("Latest telemetry", [{ key: "at", render: (t) => when(t.at) }, { key: "engine_temp_c", title: "engine °C", numeric: true },
      { key: "oil_pressure_kpa", title: "oil kPa", numeric: true }, { key: "vibration_mm_s", title: "vibration mm/s", numeric: true },
      { key: "miles_since_service", title: "mi since service", numeric: true, render: (t) => num(t.miles_since_service, 0) },
      { key: "fault_codes", title: "faults", numeric: true }], data.telemetry)],
    skus: () => [facts(data.sku), table("Stock positions", [code("location"), { key: "on_hand", title: "on hand", numeric: true },
      { key: "in_transit", title: "in transit", numeric: true }, { key: "allocated", numeric: true },
      { key: "safety_stock", title: "safety stock", numeric: true }, { key: "reorder_point", title: "reorder point", numeric: true },
      { key: "below", title: "status", render: (p) => (p.on_hand + p.in_transit < p.reorder_point ? h("strong", { class: "warn-text" }, "below reorder point") : "ok") }],
    data.positions)],
    lanes: () => [facts(data.lane), table("Carrier offers", OFFERS, data.offers)],
    carriers: () => [facts(data.carrier), table("Lane offers", OFFERS, data.offers)],
  };
  fill(root, heading(`${label(kind.replace(/s$/, ""))} ${id}`), tabs(kind), h("p", {}, back), sections[kind](), decisions(data.decisions));
}
