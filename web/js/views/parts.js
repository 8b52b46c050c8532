// Pieces of a decision shared by the inbox and the decision page: justification, actions, evidence, costs,
// alternatives and the verdict form.

import { api } from "../api.js";
import { announce, barChart, errorBox, facts, fill, h, label, linkCodes, num, pct, show, table, usd } from "../ui.js";

const KNOWN_STATUSES = ["executed", "pending_approval", "rejected", "overridden", "needs_info", "no_action",
  "superseded", "expired", "resuming", "shadowed"];

export function statusBadge(status) {
  const known = KNOWN_STATUSES.includes(status) ? status : "other";
  return h("span", { class: `status status-${known}` }, label(status ?? "unknown"));
}

export function justification(decision) {
  const just = decision.justification;
  if (!just) return h("p", { class: "muted" }, "No justification.");
  return h("section", { class: "justification", "aria-label": "Justification" },
    h("h3", {}, "Why"),
    h("ul", {}, just.claims.map((claim) => h("li", {}, linkCodes(claim.text),
      claim.evidence_ids.length ? h("span", { class: "cites" }, " [", claim.evidence_ids.join(", "), "]") : null))),
    just.fallback_used ? h("p", { class: "muted" }, `Template text used: ${just.fallback_reason ?? "rephrasing rejected"}`) : null);
}

export function actions(list, caption = "Actions") {
  return table(caption, [
    { key: "type", render: (action) => label(action.type) },
    { key: "params", title: "parameters", render: (action) => show(action.params) },
  ], list ?? [], { empty: "No actions." });
}

export function impact(decision) {
  return h("section", { "aria-label": "Expected impact" }, h("h3", {}, "Expected impact"),
    facts({ ...decision.expected_impact, confidence: pct(decision.confidence) }));
}

// The planner words of every model feature among a decision's drivers (docs/glossary.md), by feature.
export async function driverWords(decision) {
  const features = [...new Set((decision.evidence ?? []).flatMap((record) => (record.drivers ?? []).map((d) => d.feature)))];
  if (!features.length) return {};
  const params = new URLSearchParams(features.map((feature) => ["feature", feature]));
  const found = await api(`/v1/glossary?${params}`);
  return Object.fromEntries(found.map((entry) => [entry.feature, entry]));
}

// A driver in planner words with its value and unit, e.g. "time left before the promise = 1.15 hours".
function driverLabel(driver, words) {
  const known = words[driver.feature];
  const name = known ? known.words : label(driver.feature);
  if (driver.value === null || driver.value === undefined) return name;
  const unit = known?.unit && typeof driver.value === "number" ? ` ${known.unit}` : "";
  return `${name} = ${typeof driver.value === "number" ? num(driver.value, 3) : driver.value}${unit}`;
}

// Model drivers of every evidence record that has them, one bar chart each, features in planner words.
export function drivers(decision, words = {}) {
  const withDrivers = (decision.evidence ?? []).filter((record) => record.drivers?.length);
  if (!withDrivers.length) return h("p", { class: "muted" }, "No model drivers in this decision's evidence.");
  return withDrivers.map((record) => barChart(
    `Drivers of ${record.source.model} ${record.source.version} (${record.id})`,
    record.drivers.map((driver) => ({ label: driverLabel(driver, words), value: driver.contribution }))));
}

const COST_KEY = /cost|usd|penalty|saving|premium|spend/i;

// Every cost figure the evidence holds, by the tool that computed it.
export function costBreakdown(decision) {
  const rows = (decision.evidence ?? []).flatMap((record) => Object.entries(record.facts ?? {})
    .filter(([key, value]) => COST_KEY.test(key) && typeof value === "number")
    .map(([key, value]) => ({ source: `${record.source.tool} (${record.id})`, item: label(key), value })));
  return table("Cost breakdown from the evidence", [
    { key: "source" }, { key: "item" }, { key: "value", title: "USD", numeric: true, render: (row) => usd(row.value) },
  ], rows, { empty: "The evidence holds no cost figures." });
}

export function alternatives(decision) {
  return table("Rejected alternatives", [
    { key: "name", render: (alt) => label(alt.name) },
    { key: "cost", title: "expected cost", numeric: true, render: (alt) => usd(alt.expected_impact?.cost_usd) },
    { key: "actions", render: (alt) => (alt.actions ?? []).map((a) => label(a.type)).join(", ") || "—" },
    { key: "why_not", title: "why not", render: (alt) => linkCodes(alt.why_not) },
  ], decision.alternatives ?? [], { empty: "No alternatives were recorded." });
}

export function evidenceList(decision) {
  return h("div", { class: "evidence" }, (decision.evidence ?? []).map((record) => h("details", {},
    h("summary", {}, h("span", { class: "code" }, record.id), ` — ${record.source.tool}, ${record.source.model} ${record.source.version}`),
    h("div", { class: "io" },
      h("div", {}, h("h4", {}, "Inputs"), facts(record.inputs)),
      h("div", {}, h("h4", {}, "Outputs"), facts(record.facts))))));
}

// In place of the verdict form for a role not among a decision's `deciders`: who decides it.
export function whoDecides(deciders) {
  return h("p", { class: "muted", id: "read-only" }, `Your role can read this decision; ${deciders.join(" or ")} decides it.`);
}

// Approve, reject, or edit the actions and override, always with a reason; onDone(decision) after a verdict. `prefix`
// keeps the form's element ids apart from another verdict form on the same page.
export function verdictForm(decision, onDone, prefix = "") {
  const reason = h("textarea", { id: `${prefix}verdict-reason`, name: "reason", rows: 2, required: true, maxlength: 2000,
    placeholder: "Why (kept in the audit trail)" });
  const editor = h("textarea", { id: `${prefix}override-actions`, name: "actions", rows: 8, spellcheck: "false" },
    JSON.stringify(decision.actions ?? [], null, 2));
  const editBox = h("div", { class: "override", hidden: true },
    h("label", { for: editor.id }, "Edited actions (JSON list of {type, params})"), editor,
    h("button", { type: "button", class: "warn", onclick: () => submit("override") }, "Override with these actions"));
  const message = h("p", { class: "error", role: "alert" });
  let armed = "approve";
  const hint = h("p", { class: "muted hint", id: `${prefix}verdict-hint` },
    "Shortcuts: j/k next/previous, a approve, r reject, e edit, o open. Enter in the reason box sends the chosen verdict.");

  async function submit(verdict) {
    message.textContent = "";
    if (!reason.value.trim()) {
      armed = verdict;
      message.textContent = `Give a reason to ${verdict}.`;
      reason.focus();
      return;
    }
    const body = { reason: reason.value.trim() };
    if (verdict === "override") {
      try { body.actions = JSON.parse(editor.value); } catch (error) {
        message.textContent = `The edited actions are not valid JSON: ${error.message}`;
        editor.focus();
        return;
      }
    }
    form.querySelectorAll("button").forEach((button) => { button.disabled = true; });
    try {
      const result = await api(`/v1/decisions/${decision.decision_id}/${verdict}`, { method: "POST", body });
      announce(`${decision.decision_id}: ${label(result.status)}`);
      onDone(result);
    } catch (error) {
      fill(message, errorBox(error).textContent);
      form.querySelectorAll("button").forEach((button) => { button.disabled = false; });
    }
  }

  const form = h("form", { class: "verdict", "aria-label": "Verdict", onsubmit: (event) => { event.preventDefault(); submit(armed); } },
    h("label", { for: reason.id }, "Reason"), reason,
    h("div", { class: "buttons" },
      h("button", { type: "button", class: "ok", "data-verdict": "approve", onclick: () => submit("approve") }, "Approve"),
      h("button", { type: "button", class: "bad", "data-verdict": "reject", onclick: () => submit("reject") }, "Reject"),
      h("button", { type: "button", "aria-expanded": "false", onclick: (event) => {
        editBox.hidden = !editBox.hidden;
        event.currentTarget.setAttribute("aria-expanded", String(!editBox.hidden));
        if (!editBox.hidden) editor.focus();
      } }, "Edit and override…")),
    editBox, message, hint);
  reason.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); submit(armed); }
  });
  form.arm = (verdict) => {
    armed = verdict;
    if (verdict === "override") { editBox.hidden = false; editor.focus(); return; }
    message.textContent = `Type the reason, then Enter to ${verdict}.`;
    reason.focus();
  };
  return form;
}
