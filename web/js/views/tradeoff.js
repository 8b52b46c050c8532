// The architect's trade-off between freight, lateness and CO2: everyone reads the versions in force; architects put
// a new version in force for a customer tier and lane (the API versions and audits it, and names a bad field, which
// is shown next to that field).

import { api } from "../api.js";
import { announce, errorBox, fill, h, heading, table, when } from "../ui.js";

const TIERS = ["*", "gold", "silver", "standard"];
const FIELDS = ["tier", "lane", "on_time", "co2", "reason"];

export async function show(root, _args, _params, can) {
  const rules = await api("/v1/tradeoff");
  const editor = can.editPolicies ? form() : null;
  fill(root, heading("Trade-off", h("p", { class: "muted" }, can.editPolicies
    ? "Set how much late penalties and CO2 weigh against freight for a tier and lane; plans made from then on use it."
    : "Your role can read the trade-off; architects set it.")),
  table("Trade-off in force (the most specific scope applies to a load)", [
    { key: "tier" }, { key: "lane" },
    { key: "on_time", title: "late penalties", numeric: true },
    { key: "co2", title: "CO2", numeric: true },
    { key: "version", numeric: true }, { key: "reason" },
    { key: "set_by", title: "set by", render: (r) => `${r.set_by}, ${when(r.set_at)}` },
    ...(editor ? [{ key: "edit", title: "", render: (r) => h("button", { type: "button", "data-edit": `${r.tier}|${r.lane}`,
      onclick: () => editor.load(r) }, "Edit") }] : []),
  ], rules, { class: "grid tradeoff-rules", empty: "None stored: every cost counts at face value (late penalties 1, CO2 0)." }),
  editor);
}

// The form that puts a version in force; `form.load(rule)` fills it from a version shown.
function form() {
  const inputs = {
    tier: h("select", { id: "tradeoff-tier" }, TIERS.map((tier) => h("option", { value: tier }, tier === "*" ? "* (any tier)" : tier))),
    lane: h("input", { id: "tradeoff-lane", value: "*", maxlength: 64, spellcheck: "false" }),
    on_time: h("input", { id: "tradeoff-on_time", type: "number", min: 0, max: 10, step: "any", value: 1 }),
    co2: h("input", { id: "tradeoff-co2", type: "number", min: 0, max: 10, step: "any", value: 0 }),
    reason: h("input", { id: "tradeoff-reason", maxlength: 500, placeholder: "Why (kept in the audit trail)" }),
  };
  const errors = Object.fromEntries(FIELDS.map((name) => [name,
    h("span", { class: "error field-error", id: `tradeoff-${name}-error`, role: "alert" })]));
  for (const name of FIELDS) inputs[name].setAttribute("aria-describedby", errors[name].id);
  const message = h("div", { role: "alert" });
  const field = (name, text) => h("p", { class: "field" }, h("label", { for: inputs[name].id }, text), inputs[name], errors[name]);
  const number = (input) => (input.value.trim() === "" ? null : Number(input.value));

  const element = h("form", { class: "tradeoff-form", novalidate: true, "aria-labelledby": "tradeoff-form-title",
    onsubmit: async (event) => {
      event.preventDefault();
      fill(message);
      FIELDS.forEach((name) => fill(errors[name]));
      const body = { tier: inputs.tier.value, lane: inputs.lane.value.trim(), on_time: number(inputs.on_time),
        co2: number(inputs.co2), reason: inputs.reason.value.trim() };
      try {
        const saved = await api("/v1/tradeoff", { method: "PUT", body });
        announce(`Trade-off for ${saved.tier} on ${saved.lane} is now version ${saved.version}`);
        location.hash === "#/tradeoff" ? window.dispatchEvent(new HashChangeEvent("hashchange")) : (location.hash = "#/tradeoff");
      } catch (error) { shown(error); }
    } },
  h("h2", { id: "tradeoff-form-title" }, "Set a trade-off"),
  field("tier", "Customer tier"), field("lane", "Lane (* or a lane such as DAL-HOU)"),
  field("on_time", "Late penalties weight (0–10; 1 at face value)"), field("co2", "CO2 weight (0–10)"),
  field("reason", "Reason"),
  h("div", { class: "buttons" }, h("button", { type: "submit" }, "Put in force")),
  message);

  // A 422 names its fields: each message goes next to its field; anything else above the button.
  function shown(error) {
    const detail = Array.isArray(error.detail) ? error.detail : [];
    const placed = detail.filter((item) => FIELDS.includes(item.loc?.[1]));
    placed.forEach((item) => { errors[item.loc[1]].textContent = item.msg; });
    if (placed.length) inputs[placed[0].loc[1]].focus();
    if (placed.length < detail.length || !detail.length) fill(message, errorBox(error));
  }

  element.load = (rule) => {
    inputs.tier.value = rule.tier;
    inputs.lane.value = rule.lane;
    inputs.on_time.value = rule.on_time;
    inputs.co2.value = rule.co2;
    inputs.reason.value = "";
    inputs.on_time.focus();
  };
  return element;
}
