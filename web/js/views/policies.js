// Autonomy per action type and cohort (lane, site or carrier pattern): everyone reads it, architects edit it and
// answer the changes suggested from people's verdicts; every change is audited by the API and the latest changes are
// listed below the rules.

import { api, query } from "../api.js";
import { announce, errorBox, fill, h, heading, label, table, usd, when } from "../ui.js";

const MODES = { off: "off · propose nothing", shadow: "shadow · record what it would do, execute nothing",
  recommend: "recommend · a person approves", act: "act · execute within bounds" };
const LEVELS = { 1: "1 · recommend only", 2: "2 · execute after approval", 3: "3 · execute within bounds", 4: "4 · execute unless safety-critical" };
const TIERS = ["gold", "silver", "standard"];

export async function show(root, _args, _params, can) {
  const [rules, latest, suggestions, recommended] = await Promise.all([api("/v1/policies"), latestChanges(10),
    api("/v1/policies/suggestions"), api("/v1/policies/recommendations")]);
  fill(root, heading("Policies", h("p", { class: "muted" }, can.editPolicies
    ? "Edit a rule and save it; the change is audited with the rule before and after."
    : "Your role can read the rules; architects edit them.")),
    table("Autonomy rules", [
      { key: "action_type", title: "action", render: (r) => label(r.action_type) }, { key: "cohort" },
      { key: "level", title: "level", render: (r) => MODES[r.level] ?? r.level },
      { key: "autonomy_level", title: "autonomy", render: (r) => LEVELS[r.autonomy_level] ?? r.autonomy_level },
      { key: "max_cost_usd", title: "max cost", numeric: true, render: (r) => usd(r.max_cost_usd) },
      { key: "min_confidence", title: "min confidence", numeric: true, render: (r) => r.min_confidence ?? "—" },
      { key: "allowed_tiers", title: "tiers", render: (r) => r.allowed_tiers.join(", ") || "all" },
      { key: "safety_critical", title: "safety-critical", render: (r) => (r.safety_critical ? "yes" : "no") },
      { key: "updated_by", title: "changed by", render: (r) => `${r.updated_by}, ${when(r.updated_at)}` },
      ...(can.editPolicies ? [{ key: "edit", title: "", render: (r) => h("button", { type: "button", "data-edit": `${r.action_type}|${r.cohort}`,
        onclick: () => editor(root.querySelector("#policy-editor"), r, can) }, "Edit") }] : []),
    ], rules),
    h("section", { id: "policy-editor", "aria-live": "polite" }),
    recommendationList(recommended),
    suggestionList(suggestions, can, () => show(root, _args, _params, can)),
    h("section", {}, h("h2", {}, "Latest changes"), table(null, [
      { key: "at", title: "time", render: (e) => when(e.at) }, { key: "actor" },
      { key: "rule", render: (e) => `${label(e.detail.action_type)} @ ${e.detail.cohort}` },
      { key: "change", render: (e) => describe(e.detail.before, e.detail.after) }], latest, { empty: "No change yet." })));
}

// The newest policy changes, newest first (the audit lists oldest first).
async function latestChanges(count) {
  const kind = "policy_updated";
  const { total } = await api(`/v1/audit${query({ kind, limit: 1 })}`);
  const page = await api(`/v1/audit${query({ kind, limit: count, offset: Math.max(0, total - count) })}`);
  return page.items.reverse();
}

// The level each rule's measured quality supports beside the configured one, with the reasons.
function recommendationList(recommended) {
  return h("section", { id: "policy-recommendations" }, h("h2", {}, "Recommended autonomy"), table(null, [
    { key: "rule", render: (r) => `${label(r.action_type)} @ ${r.cohort}` },
    { key: "configured", render: (r) => MODES[r.configured] ?? r.configured },
    { key: "recommended", render: (r) => h("span", { class: r.change === "keep" ? null : `change-${r.change}` },
      `${MODES[r.recommended] ?? r.recommended}${r.change === "keep" ? "" : ` (${r.change})`}`) },
    { key: "reasons", render: (r) => h("ul", { class: "reasons" }, r.reasons.map((reason) => h("li", {}, reason))) },
  ], recommended, { empty: "No rule to assess." }));
}

// Changes mined from rejections, overrides and approvals, with their evidence; architects accept or decline them.
function suggestionList(suggestions, can, reload) {
  const message = h("div", { role: "alert" });
  const act = (s, verdict) => async () => {
    try {
      await api(`/v1/policies/suggestions/${encodeURIComponent(s.id)}/${verdict}`, { method: "POST" });
      announce(`${verdict === "accept" ? "Accepted" : "Declined"} ${s.id}`);
      reload();
    } catch (error) { fill(message, errorBox(error)); }
  };
  return h("section", { id: "policy-suggestions" }, h("h2", {}, "Suggested changes"), table(null, [
    { key: "rule", render: (s) => `${label(s.action_type)} @ ${s.cohort}` },
    { key: "change", render: (s) => `${MODES[s.current.level] ?? s.current.level} → ${MODES[s.proposed.level] ?? s.proposed.level}` },
    { key: "summary", title: "evidence", render: (s) => s.summary },
    ...(can.editPolicies ? [{ key: "answer", title: "", render: (s) => h("span", { class: "buttons" },
      h("button", { type: "button", onclick: act(s, "accept") }, "Accept"),
      h("button", { type: "button", onclick: act(s, "decline") }, "Decline")) }] : []),
  ], suggestions, { empty: "No change suggested by the verdicts of the window." }), message);
}

function describe(before, after) {
  if (!before) return `created at ${after.level}, autonomy ${after.autonomy_level}`;
  const changed = Object.keys(after).filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
  return changed.map((key) => `${label(key)}: ${JSON.stringify(before[key])} → ${JSON.stringify(after[key])}`).join("; ") || "no change";
}

function editor(section, rule, can) {
  const field = (id, text, input) => h("p", { class: "field" }, h("label", { for: id }, text), input);
  const mode = h("select", { id: "policy-mode" }, Object.entries(MODES).map(([value, text]) =>
    h("option", { value, selected: value === rule.level }, text)));
  const level = h("select", { id: "policy-level" }, Object.entries(LEVELS).map(([value, text]) =>
    h("option", { value, selected: Number(value) === rule.autonomy_level }, text)));
  // recommend goes with autonomy 1–2 and act with 3–4: changing one moves the other along
  level.addEventListener("change", () => {
    if (["recommend", "act"].includes(mode.value)) mode.value = Number(level.value) <= 2 ? "recommend" : "act";
  });
  mode.addEventListener("change", () => {
    if (mode.value === "recommend" && Number(level.value) > 2) level.value = "2";
    if (mode.value === "act" && Number(level.value) < 3) level.value = "3";
  });
  const cost = h("input", { id: "policy-cost", type: "number", min: 0, step: "any", value: rule.max_cost_usd ?? "" });
  const confidence = h("input", { id: "policy-confidence", type: "number", min: 0, max: 1, step: "0.01", value: rule.min_confidence ?? "" });
  const cohort = h("input", { id: "policy-cohort", value: rule.cohort, required: true, maxlength: 64 });
  const tiers = TIERS.map((tier) => h("label", {}, h("input", { type: "checkbox", value: tier, checked: rule.allowed_tiers.includes(tier) }), ` ${tier}`));
  const safety = h("input", { id: "policy-safety", type: "checkbox", checked: rule.safety_critical });
  const message = h("div", { role: "alert" });
  const form = h("form", { class: "policy-form", onsubmit: async (event) => {
    event.preventDefault();
    const body = { level: mode.value, autonomy_level: Number(level.value), max_cost_usd: cost.value === "" ? null : Number(cost.value),
      min_confidence: confidence.value === "" ? null : Number(confidence.value), safety_critical: safety.checked,
      allowed_tiers: tiers.map((t) => t.querySelector("input")).filter((i) => i.checked).map((i) => i.value) };
    try {
      await api(`/v1/policies/${rule.action_type}${query({ cohort: cohort.value.trim() })}`, { method: "PUT", body });
      announce(`Saved ${label(rule.action_type)} at ${cohort.value.trim()}`);
      location.hash === "#/policies" ? window.dispatchEvent(new HashChangeEvent("hashchange")) : (location.hash = "#/policies");
    } catch (error) { fill(message, errorBox(error)); }
  } },
  h("h2", {}, `Edit ${label(rule.action_type)}`),
  field("policy-cohort", "Cohort (*, or a lane, site or carrier pattern such as DAL-*, DC-DAL or CAR-REDRIVER)", cohort),
  field("policy-mode", "Level", mode),
  field("policy-level", "Autonomy level (recommend: 1–2, act: 3–4; shadow: what it would have had)", level), field("policy-cost", "Max cost (USD, level 3)", cost),
  field("policy-confidence", "Min confidence (0–1, level 3)", confidence),
  h("fieldset", {}, h("legend", {}, "Customer tiers allowed (none ticked: all)"), tiers),
  h("p", { class: "field" }, h("label", {}, safety, " Safety-critical")),
  h("div", { class: "buttons" }, h("button", { type: "submit" }, "Save"), h("button", { type: "button", onclick: () => fill(section) }, "Cancel")),
  message);
  if (!can.editPolicies) return;
  fill(section, form);
  mode.focus();
}
