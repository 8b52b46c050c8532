// Attribution: what the desk changed. For each trigger and action type, the decisions and what was done, the outcomes
// measured afterwards, and each KPI effect drawn with its 95% interval (a forest plot per KPI), against the shadow
// cohort (difference in differences) and against the baseline before the desk went live; then the rollout over the
// cohorts. Filters go to GET /v1/attribution; a 422 names the field, shown next to it.

import { query, read } from "../api.js";
import { errorBox, fill, h, heading, label, svg, table } from "../ui.js";

const FILTERS = [
  { name: "from", text: "From", type: "date" },
  { name: "to", text: "To", type: "date" },
  { name: "site", text: "Site", placeholder: "DC-DAL" },
  { name: "lane", text: "Lane", placeholder: "DAL-HOU" },
  { name: "carrier", text: "Carrier", placeholder: "CAR-REDRIVER" },
  { name: "baseline_days", text: "Baseline days", type: "number" },
];
const COMPARISONS = [
  { key: "against_shadow", text: "vs shadow", color: "#0b5cad" },
  { key: "against_baseline", text: "vs baseline", color: "#b35900" },
];

export const live = true; // drawn again when the attribution changes

export async function show(root, _args, params) {
  const wanted = Object.fromEntries(FILTERS.map(({ name }) => [name, params.get(name) ?? ""]));
  const form = filters(wanted);
  let report;
  try {
    report = await read(`/v1/attribution${query(wanted)}`);
  } catch (error) {
    form.shown(error);
    fill(root, heading("Attribution"), form);
    return;
  }
  const { periods } = report;
  fill(root, heading("Attribution", h("p", { class: "muted" },
    `Measured ${periods.measured.start} to ${periods.measured.end} (${periods.measured.days} days) against a baseline of ` +
    `${periods.baseline.start} to ${periods.baseline.end}; the desk went live ${periods.went_live ?? "— (no decision yet)"}. ` +
    "Points are estimates, bars their 95% bootstrap intervals over units.")),
  form,
  h("p", { class: "muted" }, report.method),
  table("What fired and what was done", [
    { key: "trigger", render: (r) => label(r.trigger) }, { key: "action", render: (r) => label(r.action) },
    { key: "decisions", numeric: true }, { key: "done", render: (r) => counted(r.by_status) },
    { key: "outcomes", title: "outcomes (acted)", render: (r) => counted(r.outcomes) },
    { key: "shadow", title: "outcomes (shadowed, checked now)", render: (r) => counted(r.shadow_outcomes) }],
  report.triggers.flatMap((t) => t.actions.map((a) => ({ trigger: t.trigger, action: a.action_type, ...a }))),
  { empty: "No decision in this period." }),
  forests(report));
}

function counted(counts) {
  const entries = Object.entries(counts ?? {});
  return entries.length ? entries.map(([k, v]) => `${label(k)} ${v}`).join(", ") : "—";
}

// One forest plot per KPI: a row per trigger and action type (and the rollout), each with its two comparisons.
function forests(report) {
  const rows = [
    ...report.triggers.flatMap((t) => t.actions.flatMap((a) => a.effects.map((e) => ({ title: `${label(t.trigger)}: ${label(a.action_type)}`, effect: e })))),
    ...report.rollout.map((e) => ({ title: "rollout: every unit on the desk vs in shadow", effect: e })),
  ];
  const kpis = [...new Set(rows.map((r) => r.effect.kpi))];
  if (!kpis.length) return h("p", { class: "muted" }, "No KPI effect to draw yet.");
  return kpis.map((kpi) => forest(rows.filter((r) => r.effect.kpi === kpi)));
}

// Shares in points, downtime in hours per truck-day.
const scaleOf = (kpi) => (kpi === "unplanned_downtime" ? { by: 1, unit: "h/truck-day" } : { by: 100, unit: "pts" });
const fmt = (value, by) => (value === null || value === undefined ? "—" : `${value * by >= 0 ? "+" : ""}${(value * by).toFixed(2)}`);

function forest(rows) {
  const first = rows[0].effect;
  const { by, unit } = scaleOf(first.kpi);
  const estimates = rows.flatMap((r) => COMPARISONS.map((c) => r.effect[c.key]));
  const values = [0, ...estimates.flatMap((e) => [e.low, e.high, e.estimate]).filter((v) => v !== null && v !== undefined).map((v) => v * by)];
  const pad = (Math.max(...values) - Math.min(...values)) * 0.08 || 1;
  const [lo, hi] = [Math.min(...values) - pad, Math.max(...values) + pad];
  const width = 640, left = 250, right = 20, rowHeight = 34, top = 24;
  const x = (v) => left + ((v - lo) / (hi - lo)) * (width - left - right);
  const height = top + rows.length * rowHeight + 26;
  const ticks = niceTicks(lo, hi);
  const better = first.higher_is_better ? "right is better" : "left is better";
  const plot = svg("svg", { viewBox: `0 0 ${width} ${height}`, class: "forest", role: "img",
    "aria-label": `${first.name}: effects with 95% intervals in ${unit}` },
  svg("line", { x1: x(0), x2: x(0), y1: top - 6, y2: height - 22, class: "forest-zero" }),
  ticks.map((t) => svg("text", { x: x(t), y: height - 6, class: "forest-tick", "text-anchor": "middle" }, String(Number(t.toFixed(6))))),
  COMPARISONS.map((c, i) => [
    svg("circle", { cx: left + i * 110 + 6, cy: 10, r: 4, fill: c.color }),
    svg("text", { x: left + i * 110 + 14, y: 14, class: "forest-tick" }, c.text)]),
  rows.map((row, index) => {
    const y = top + index * rowHeight + rowHeight / 2;
    return [
      svg("text", { x: 4, y: y + 4, class: "forest-label" }, row.title),
      COMPARISONS.map((c, i) => {
        const e = row.effect[c.key];
        const at = y + (i ? 6 : -6);
        if (e.estimate === null || e.estimate === undefined) {
          return svg("text", { x: left + 4, y: at + 4, class: "forest-tick" }, `${c.text}: —`);
        }
        return [
          e.low !== null && e.high !== null
            ? svg("line", { x1: x(e.low * by), x2: x(e.high * by), y1: at, y2: at, stroke: c.color, "stroke-width": 2 }) : null,
          svg("circle", { cx: x(e.estimate * by), cy: at, r: 4, fill: c.color },
            svg("title", {}, `${c.text}: ${fmt(e.estimate, by)} [${fmt(e.low, by)}, ${fmt(e.high, by)}] ${unit}`)),
        ];
      }),
    ];
  }));
  return h("figure", { class: "chart forest-figure" },
    h("figcaption", {}, `${first.name} (${unit}; ${better}): ${first.measured_as}`),
    plot,
    table(null, [
      { key: "title", title: "trigger and action" },
      ...COMPARISONS.map((c) => ({ key: c.key, title: `${c.text} [95%]`, numeric: true, render: (r) => interval(r.effect[c.key], by) })),
      { key: "units", title: "units (treated / control)", numeric: true,
        render: (r) => `${r.effect.against_shadow.treated_units} / ${r.effect.against_shadow.control_units}` }],
    rows));
}

// Round steps (1, 2 or 5 times a power of ten) across [lo, hi], zero among them when it is inside.
function niceTicks(lo, hi) {
  const raw = (hi - lo) / 6;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const ticks = [];
  for (let k = Math.ceil(lo / step); k * step <= hi; k += 1) ticks.push(k * step);
  return ticks;
}

function interval(e, by) {
  if (e.estimate === null || e.estimate === undefined) return h("span", { class: "muted" }, e.reason ?? "—");
  return `${fmt(e.estimate, by)} [${fmt(e.low, by)}, ${fmt(e.high, by)}]`;
}

// The filters as a form: submitting moves to the hash with them, so the view can be linked and reloaded.
function filters(wanted) {
  const errors = Object.fromEntries(FILTERS.map(({ name }) => [name, h("span", { class: "error field-error", id: `attribution-${name}-error`, role: "alert" })]));
  const inputs = Object.fromEntries(FILTERS.map(({ name, type, placeholder }) => [name, h("input", {
    id: `attribution-${name}`, name, type: type ?? "text", value: wanted[name], placeholder, spellcheck: "false",
    "aria-describedby": errors[name].id, ...(type === "number" ? { min: 1, max: 365 } : {}) })]));
  const message = h("div", { role: "alert" });
  const form = h("form", { class: "attribution-filters", novalidate: true, onsubmit: (event) => {
    event.preventDefault();
    location.hash = `#/attribution${query(Object.fromEntries(FILTERS.map(({ name }) => [name, inputs[name].value.trim()])))}`;
  } },
  FILTERS.map(({ name, text }) => h("p", { class: "field" }, h("label", { for: inputs[name].id }, text), inputs[name], errors[name])),
  h("div", { class: "buttons" }, h("button", { type: "submit" }, "Show")), message);
  // A 422 names its fields: each message goes next to its field; anything else below the form.
  form.shown = (error) => {
    const detail = Array.isArray(error.detail) ? error.detail : [];
    const placed = detail.filter((item) => item.loc?.[1] in errors);
    placed.forEach((item) => { errors[item.loc[1]].textContent = item.msg; });
    if (placed.length < detail.length || !detail.length) fill(message, errorBox(error));
  };
  return form;
}
