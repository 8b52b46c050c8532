// One decision: the graph path it took (from the audit trail), the audit trail with verdict reasons, its
// evidence and alternatives, the outcome once recorded, and the verdict form while it waits.

import { query, read } from "../api.js";
import { facts, fill, h, heading, label, linkCodes, show as value, table, when } from "../ui.js";
import { actions, alternatives, costBreakdown, drivers, driverWords, evidenceList, impact, justification, statusBadge,
  verdictForm, whoDecides } from "./parts.js";

// The evidence records a step produced: those whose source is among the step's sources.
function evidenceOf(decision, sources) {
  const keys = new Set((sources ?? []).map((s) => `${s.tool}|${s.model}|${s.version}`));
  return (decision.evidence ?? []).filter((record) => keys.has(`${record.source.tool}|${record.source.model}|${record.source.version}`));
}

function versions(list) {
  const unique = [...new Set((list ?? []).map((s) => `${s.model} ${s.version}`))];
  return unique.length ? h("p", { class: "versions" }, "Models: ", unique.join(", ")) : null;
}

// The graph's path, step by step, from the audit events of the decision's exception.
function path(decision, events, verdicts) {
  const steps = [];
  let routed = false;
  for (const event of events) {
    const d = event.detail ?? {};
    if (event.kind === "exception.received") {
      steps.push({ name: "received", event, outputs: { source: d.source } });
    } else if (event.kind === "exception.classified") {
      steps.push({ name: "classify", event, outputs: { type: d.type, refs: d.refs, missing: d.missing } });
    } else if (event.kind === "specialist.proposed") {
      const supervisor = { at: event.at, actor: "supervisor" };
      steps.push({ name: "supervisor", event: supervisor, outputs: routed ? { hand_off_to: event.actor } : { routed_to: event.actor } });
      routed = true;
      const records = evidenceOf(decision, d.sources);
      steps.push({ name: `specialist: ${event.actor}`, event, outputs: { status: d.status, actions: (d.actions ?? []).map((a) => a.type) },
        sources: d.sources, records });
    } else if (event.kind === "policy.evaluated") {
      steps.push({ name: "explain", event: { at: event.at, actor: "explainer" }, outputs: { claims: decision.justification?.claims?.length ?? 0,
        writer: decision.justification?.writer, verified: decision.justification?.verified } });
      steps.push({ name: "policy", event, outputs: { level: d.level, autonomy_level: d.autonomy_level, requires_approval: d.requires_approval, would_have: d.would_have, reasons: d.reasons } });
    } else if (event.kind === "decision.final") {
      const verdict = verdicts.verdicts[0];
      if (verdict) steps.push({ name: "approval", event: { at: verdict.at, actor: verdict.actor }, outputs: { verdict: verdict.verdict, reason: verdict.reason } });
      const versionList = Object.entries(d.versions ?? {}).map(([model, version]) => ({ model, version: String(version) }));
      steps.push({ name: ["executed", "overridden"].includes(d.status) ? "execute" : "finalize", event,
        outputs: { status: d.status }, sources: versionList });
    }
  }
  if (decision.status === "pending_approval") {
    steps.push({ name: "approval", event: null, outputs: { waiting: `for ${decision.deciders.join(" or ")}` } });
  }
  return h("ol", { class: "path", "aria-label": "Graph path" }, steps.map((step) => h("li", { class: "step" },
    h("h3", {}, label(step.name)),
    step.event ? h("p", { class: "muted" }, `${when(step.event.at)} · ${step.event.actor}`) : null,
    facts(step.outputs), versions(step.sources),
    step.records?.length ? h("details", {}, h("summary", {}, `Inputs and outputs (${step.records.length} evidence records)`),
      step.records.map((record) => h("div", { class: "io" },
        h("div", {}, h("h4", {}, `${record.id} inputs`), facts(record.inputs)),
        h("div", {}, h("h4", {}, `${record.id} outputs`), facts(record.facts))))) : null)));
}

function trail(events, verdicts) {
  const rows = [
    ...events.map((event) => ({ at: event.at, actor: event.actor, kind: event.kind, detail: event.detail })),
    ...verdicts.verdicts.map((v) => ({ at: v.at, actor: v.actor, kind: `verdict: ${v.verdict}`, detail: { reason: v.reason } })),
    ...verdicts.overrides.map((o) => ({ at: o.at, actor: o.actor, kind: "override",
      detail: { reason: o.reason, new_actions: o.new_actions.map((a) => a.type) } })),
  ].sort((a, b) => new Date(a.at) - new Date(b.at));
  return table(null, [
    { key: "at", title: "time", render: (row) => when(row.at) },
    { key: "actor" }, { key: "kind", title: "what" },
    { key: "detail", render: (row) => summary(row.detail) },
  ], rows, { class: "grid trail" });
}

// An audit detail in a line or two: reasons first, long lists shortened.
function summary(detail) {
  const { reason, ...rest } = detail ?? {};
  const keep = Object.fromEntries(Object.entries(rest).filter(([key]) => !["sources", "versions", "cues"].includes(key)));
  return [reason ? h("p", { class: "reason" }, "Reason: ", linkCodes(reason)) : null, Object.keys(keep).length ? facts(keep) : null];
}

function outcome(decision) {
  if (decision.outcome === undefined || decision.outcome === null) {
    return h("p", { class: "muted" }, "No outcome recorded yet.");
  }
  return value(decision.outcome);
}

export const live = true; // drawn again when the decision, its audit trail or its verdicts change

// A shadow decision executed nothing: say what the gate would have done with its actions.
function shadowNote(decision) {
  if (decision.status !== "shadowed") return null;
  const would = decision.policy?.would_have === "pending_approval" ? "asked a person to approve" : "executed";
  return h("p", { class: "shadow-note", role: "note" }, `Shadow mode: the desk would have ${would} these actions; nothing was executed. `,
    (decision.policy?.reasons ?? []).join("; "));
}

export async function show(root, [id], _params, can) {
  const decision = await read(`/v1/decisions/${encodeURIComponent(id)}`);
  const [audit, verdicts, words] = await Promise.all([
    read(`/v1/audit${query({ exception_id: decision.exception_id, limit: 500 })}`),
    read(`/v1/decisions/${encodeURIComponent(id)}/verdicts`),
    driverWords(decision),
  ]);
  const events = audit.items.filter((event) => !event.decision_id || event.decision_id === decision.decision_id);
  const waiting = decision.status === "pending_approval";
  const mayDecide = decision.deciders.includes(can.principal?.role);
  const known = new Set(["decision_id", "exception_id", "specialist", "status", "actions", "expected_impact", "confidence",
    "alternatives", "evidence", "justification", "policy", "handoffs", "missing", "trace_id", "created_at", "outcome",
    "deciders"]);
  const extra = Object.fromEntries(Object.entries(decision).filter(([key]) => !known.has(key)));
  fill(root,
    heading(`Decision ${decision.decision_id}`, statusBadge(decision.status)),
    h("p", { class: "muted" }, `${label(decision.specialist ?? "no specialist")} · exception ${decision.exception_id} · `,
      `trace ${decision.trace_id}`, decision.handoffs?.length ? ` · hand-offs: ${decision.handoffs.join(", ")}` : ""),
    waiting && mayDecide ? verdictForm(decision, () => show(root, [id], _params, can)) : null,
    waiting && !mayDecide ? whoDecides(decision.deciders) : null,
    Object.keys(extra).length ? h("section", {}, h("h2", {}, "More"), facts(extra)) : null,
    h("div", { class: "columns" },
      h("section", {}, h("h2", {}, "Summary"), justification(decision), shadowNote(decision),
        actions(decision.actions, decision.status === "shadowed" ? "Would have done (nothing executed)" : "Actions"), impact(decision),
        decision.missing?.length ? h("p", {}, "Missing: ", decision.missing.join(", ")) : null),
      h("section", {}, h("h2", {}, "Outcome"), outcome(decision),
        h("h2", {}, "Model drivers"), drivers(decision, words))),
    h("section", {}, h("h2", {}, "Graph path"), path(decision, events, verdicts)),
    h("section", { id: "audit" }, h("h2", {}, "Audit trail"), trail(events, verdicts)),
    h("section", {}, h("h2", {}, "Costs and alternatives"), costBreakdown(decision), alternatives(decision)),
    h("section", {}, h("h2", {}, "Evidence"), evidenceList(decision)));
}
