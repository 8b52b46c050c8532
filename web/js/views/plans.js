// The plans in force beside the inbox: one card per plan type with its day, status, objective, key totals and the
// trade-off versions it cited, its justification and alternatives on demand; a pending plan takes a verdict like any
// decision in the inbox.

import { api } from "../api.js";
import { errorBox, facts, fill, h, label, linkCodes, num, usd } from "../ui.js";
import { actions, statusBadge, verdictForm } from "./parts.js";

const SAID_APART = ["cost_usd", "expected_total_usd"]; // the objective line says these

// The panel; `panel.refresh()` reads the plans again (not while a verdict is being written in it).
export function plansPanel(can) {
  const body = h("div", { id: "plans-list" }, h("p", { class: "muted" }, "Loading…"));
  const panel = h("aside", { class: "plans", id: "plans", "aria-labelledby": "plans-title" },
    h("h2", { id: "plans-title" }, "Plans"), body);
  panel.refresh = async (force = false) => {
    if (!force && panel.querySelector("form.verdict")) return;
    try {
      const page = await api("/v1/plans");
      fill(body, h("p", { class: "muted", id: "plans-day" }, `In force on ${page.day}`),
        page.items.length ? page.items.map((plan) => card(plan, can, panel)) : h("p", { class: "muted" }, "No plan is in force yet."));
    } catch (error) { fill(body, errorBox(error)); }
  };
  panel.refresh(true);
  return panel;
}

// A figure of a plan's totals, money as money.
const figure = (key, value) => (/_usd$/.test(key) ? usd(value) : num(value, 2));

function cited(plan) {
  if (plan.tradeoff_requested) return "weights asked for, in place of the trade-off in force";
  if (!plan.tradeoff.length) return "not weighed";
  return plan.tradeoff.map((t) => `${t.tier === "*" ? "any tier" : t.tier} on ${t.lane === "*" ? "any lane" : t.lane} v${t.version}`)
    .join("; ");
}

function card(plan, can, panel) {
  const totals = Object.entries(plan.totals).filter(([key, value]) => typeof value === "number" && !SAID_APART.includes(key));
  const verdict = h("div", { class: "plan-verdict" });
  const decide = async (button) => {
    button.disabled = true;
    try {
      const decision = await api(`/v1/decisions/${plan.decision_id}`);
      fill(verdict, verdictForm(decision, () => panel.refresh(true), "plan-"));
      button.hidden = true;
      verdict.querySelector("textarea")?.focus();
    } catch (error) { fill(verdict, errorBox(error)); button.disabled = false; }
  };
  return h("article", { class: "plan", "data-type": plan.plan_type, "data-id": plan.decision_id },
    h("h3", {}, label(plan.plan_type).replace(/^./, (first) => first.toUpperCase()), " ", statusBadge(plan.status)),
    h("p", { class: "muted" }, `for ${plan.day} · `,
      h("a", { href: `#/decisions/${plan.decision_id}`, class: "code" }, plan.decision_id)),
    h("p", { class: "objective" }, h("span", { class: "muted" }, "Objective: "), plan.objective, " ",
      h("strong", {}, usd(plan.objective_usd))),
    facts({ cost: usd(plan.totals.cost_usd),
      ...Object.fromEntries(totals.map(([key, value]) => [key.replace(/_usd$/, ""), figure(key, value)])) }),
    h("p", { class: "plan-tradeoff" }, h("span", { class: "muted" }, "Trade-off: "), cited(plan)),
    h("details", {}, h("summary", {}, "Justification and alternatives"),
      h("ul", { class: "claims" }, plan.claims.map((claim) => h("li", {}, linkCodes(claim)))),
      h("h4", {}, "Rejected alternatives"),
      plan.alternatives.length
        ? h("ul", { class: "alternatives" }, plan.alternatives.map((alt) => h("li", {},
          h("strong", {}, label(alt.name)), ` ${usd(alt.expected_total_usd)}: `, linkCodes(alt.why_not))))
        : h("p", { class: "muted" }, "No alternatives were recorded."),
      actions(plan.actions, "What the plan does")),
    plan.status === "pending_approval" && can.decide
      ? h("button", { type: "button", "data-plan-verdict": plan.decision_id, onclick: (event) => decide(event.currentTarget) },
        "Approve or reject…")
      : null,
    verdict);
}
