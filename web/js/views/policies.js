// Autonomy per action type and scope: everyone reads it, architects edit it; every change is audited by the API
// and the latest changes are listed below the rules.

import { api, query } from "../api.js";
import { announce, errorBox, fill, h, heading, label, table, usd, when } from "../ui.js";

const LEVELS = { 1: "1 · recommend only", 2: "2 · execute after approval", 3: "3 · execute within bounds", 4: "4 · execute unless safety-critical" };
const TIERS = ["gold", "silver", "standard"];

export async function show(root, _args, _params, can) {
  const [rules, latest] = await Promise.all([api("/v1/policies"), latestChanges(10)]);
  fill(root, heading("Policies", h("p", { class: "muted" }, can.editPolicies
    ? "Edit a rule and save it; the change is audited with the rule before and after."
    : "Your role can read the rules; architects edit them.")),
    table("Autonomy rules", [
      { key: "action_type", title: "action", render: (r) => label(r.action_type) }, { key: "scope" },
      { key: "autonomy_level", title: "level", render: (r) => LEVELS[r.autonomy_level] ?? r.autonomy_level },
      { key: "max_cost_usd", title: "max cost", numeric: true, render: (r) => usd(r.max_cost_usd) },
      { key: "min_confidence", title: "min confidence", numeric: true, render: (r) => r.min_confidence ?? "—" },
      { key: "allowed_tiers", title: "tiers", render: (r) => r.allowed_tiers.join(", ") || "all" },
      { key: "safety_critical", title: "safety-critical", render: (r) => (r.safety_critical ? "yes" : "no") },
      { key: "updated_by", title: "changed by", render: (r) => `${r.updated_by}, ${when(r.updated_at)}` },
      ...(can.editPolicies ? [{ key: "edit", title: "", render: (r) => h("button", { type: "button", "data-edit": `${r.action_type}|${r.scope}`,
        onclick: () => editor(root.querySelector("#policy-editor"), r, can) }, "Edit") }] : []),
    ], rules),
    h("section", { id: "policy-editor", "aria-live": "polite" }),
    h("section", {}, h("h2", {}, "Latest changes"), table(null, [
      { key: "at", title: "time", render: (e) => when(e.at) }, { key: "actor" },
      { key: "rule", render: (e) => `${label(e.detail.action_type)} @ ${e.detail.scope}` },
      { key: "change", render: (e) => describe(e.detail.before, e.detail.after) }], latest, { empty: "No change yet." })));
}

// The newest policy changes, newest first (the audit lists oldest first).
async function latestChanges(count) {
  const kind = "policy_updated";
  const { total } = await api(`/v1/audit${query({ kind, limit: 1 })}`);
  const page = await api(`/v1/audit${query({ kind, limit: count, offset: Math.max(0, total - count) })}`);
  return page.items.reverse();
}

function describe(before, after) {
  if (!before) return `created at level ${after.autonomy_level}`;
  const changed = Object.keys(after).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
  return changed.map((key) => `${label(key)}: ${JSON.stringify(before[key])} → ${JSON.stringify(after[key])}`).join("; ") || "no change";
}

function editor(section, rule, can) {
  const field = (id, text, input) => h("p", { class: "field" }, h("label", { for: id }, text), input);
  const level = h("select", { id: "policy-level" }, Object.entries(LEVELS).map(([value, text]) =>
    h("option", { value, selected: Number(value) === rule.autonomy_level }, text)));
  const cost = h("input", { id: "policy-cost", type: "number", min: 0, step: "any", value: rule.max_cost_usd ?? "" });
  const confidence = h("input", { id: "policy-confidence", type: "number", min: 0, max: 1, step: "0.01", value: rule.min_confidence ?? "" });
  const scope = h("input", { id: "policy-scope", value: rule.scope, required: true, maxlength: 64 });
  const tiers = TIERS.map((tier) => h("label", {}, h("input", { type: "checkbox", value: tier, checked: rule.allowed_tiers.includes(tier) }), ` ${tier}`));
  const safety = h("input", { id: "policy-safety", type: "checkbox", checked: rule.safety_critical });
  const message = h("div", { role: "alert" });
  const form = h("form", { class: "policy-form", onsubmit: async (event) => {
    event.preventDefault();
    const body = { autonomy_level: Number(level.value), max_cost_usd: cost.value === "" ? null : Number(cost.value),
      min_confidence: confidence.value === "" ? null : Number(confidence.value), safety_critical: safety.checked,
      allowed_tiers: tiers.map((t) => t.querySelector("input")).filter((i) => i.checked).map((i) => i.value) };
    try {
      await api(`/v1/policies/${rule.action_type}${query({ scope: scope.value.trim() })}`, { method: "PUT", body });
      announce(`Saved ${label(rule.action_type)} at ${scope.value.trim()}`);
      location.hash === "#/policies" ? window.dispatchEvent(new HashChangeEvent("hashchange")) : (location.hash = "#/policies");
    } catch (error) { fill(message, errorBox(error)); }
  } },
  h("h2", {}, `Edit ${label(rule.action_type)}`),
  field("policy-scope", "Scope (* , a DC such as DC-DAL, or a lane such as DAL-HOU)", scope),
  field("policy-level", "Autonomy level", level), field("policy-cost", "Max cost (USD, level 3)", cost),
  field("policy-confidence", "Min confidence (0–1, level 3)", confidence),
  h("fieldset", {}, h("legend", {}, "Customer tiers allowed (none ticked: all)"), tiers),
  h("p", { class: "field" }, h("label", {}, safety, " Safety-critical")),
  h("div", { class: "buttons" }, h("button", { type: "submit" }, "Save"), h("button", { type: "button", onclick: () => fill(section) }, "Cancel")),
  message);
  if (!can.editPolicies) return;
  fill(section, form);
  level.focus();
}
