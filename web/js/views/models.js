// Models: each model's versions (the one in force and the one before), its drift and performance history as kept by
// the detector pass, each with a small line chart and the limits crossed, and retraining recommended; architects
// promote a trained version or roll back to the previous one (the API audits each change).

import { api } from "../api.js";
import { announce, errorBox, fill, h, heading, num, svg, table, when } from "../ui.js";

const SERIES = { // the performance measures charted per kind of model, with their limits' labels
  "xgb-late-risk": ["roc_auc", "calibration_error"],
  "xgb-failure-risk": ["roc_auc", "calibration_error"],
  "xgb-demand": ["wmape", "coverage_80"],
};

export async function show(root, _args, _params, can) {
  const models = await api("/v1/models");
  const histories = await Promise.all(models.map((model) => api(`/v1/models/${encodeURIComponent(model.name)}/metrics`)));
  const reload = () => show(root, _args, _params, can);
  fill(root, heading("Models", h("p", { class: "muted" }, can.editPolicies
    ? "Promote a trained version or roll back to the previous one; every change is audited."
    : "Your role can read the models; architects promote and roll back.")),
  models.map((model, index) => card(model, histories[index], can, reload)));
}

function card(model, history, can, reload) {
  const message = h("div", { role: "alert" });
  const change = (path, body, done) => async () => {
    try {
      await api(`/v1/models/${encodeURIComponent(model.name)}/${path}`, { method: "POST", body });
      announce(done);
      reload();
    } catch (error) { fill(message, errorBox(error)); }
  };
  const latest = history.performance.at(-1);
  return h("section", { class: "model", id: `model-${model.name}` },
    h("h2", {}, model.name),
    h("p", {}, `In force: ${model.active_version ?? "—"}; previous: ${history.previous_version ?? "none"}`,
      can.editPolicies && history.previous_version
        ? [" ", h("button", { type: "button", "data-rollback": model.name,
          onclick: change("rollback", undefined, `Rolled ${model.name} back to ${history.previous_version}`) }, "Roll back")]
        : null),
    latest?.breaches.length ? h("p", { class: "error" }, `Latest performance: ${latest.breaches.join("; ")}`) : null,
    table("Trained versions", [
      { key: "version" }, { key: "trained_at", title: "trained", render: (v) => when(v.trained_at) },
      { key: "metrics", title: "metrics at training", render: (v) => Object.entries(v.metrics).map(([k, x]) => `${k} ${num(x, 4)}`).join(", ") || "—" },
      { key: "active", title: "in force", render: (v) => (v.active ? "yes" : "") },
      ...(can.editPolicies ? [{ key: "promote", title: "", render: (v) => (v.active ? "" : h("button", { type: "button", "data-promote": v.version,
        onclick: change("promote", { version: v.version }, `Promoted ${model.name} ${v.version}`) }, "Promote")) }] : []),
    ], model.versions),
    h("div", { class: "charts" },
      (SERIES[model.name] ?? []).map((key) => lineChart(`${key.replace(/_/g, " ")} by day`, history.performance, (run) => run.metrics[key])),
      lineChart("largest PSI by day", history.drift, (run) => Math.max(0, ...Object.values(run.metrics)))),
    table("Monitoring history", [
      { key: "day" }, { key: "kind" }, { key: "version" }, { key: "rows", numeric: true },
      { key: "metrics", render: (run) => Object.entries(run.metrics).map(([k, x]) => `${k} ${num(x, 4)}`).join(", ") },
      { key: "breaches", render: (run) => run.breaches.join("; ") || "—" },
    ], [...history.performance, ...history.drift].sort((a, b) => b.measured_at.localeCompare(a.measured_at)),
    { empty: "Not measured yet: the detector pass measures every model once a day." }),
    history.retraining.length ? table("Retraining recommended", [
      { key: "at", title: "time", render: (r) => when(r.at) }, { key: "version" },
      { key: "reasons", render: (r) => r.reasons.join("; ") }], history.retraining) : null,
    message);
}

// A small SVG line chart of one measure over the runs (oldest first), with its values as the accessible label.
function lineChart(caption, runs, value) {
  const points = runs.map((run) => ({ day: run.day, y: value(run) })).filter((p) => typeof p.y === "number");
  if (!points.length) return null;
  const [width, height, pad] = [240, 80, 6];
  const low = Math.min(...points.map((p) => p.y)), high = Math.max(...points.map((p) => p.y));
  const span = high - low || 1;
  const x = (i) => pad + (points.length === 1 ? (width - 2 * pad) / 2 : (i * (width - 2 * pad)) / (points.length - 1));
  const y = (v) => height - pad - ((v - low) / span) * (height - 2 * pad);
  const described = points.map((p) => `${p.day} ${num(p.y, 4)}`).join(", ");
  return h("figure", { class: "line-chart" },
    svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${caption}: ${described}` },
      svg("polyline", { points: points.map((p, i) => `${x(i)},${y(p.y)}`).join(" "), class: "line" }),
      points.map((p, i) => svg("circle", { cx: x(i), cy: y(p.y), r: 2.5, class: "dot" }))),
    h("figcaption", {}, `${caption}: ${num(points.at(-1).y, 4)} (${points.at(-1).day})`));
}
