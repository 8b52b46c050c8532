// The approval inbox: waiting decisions, most urgent first, the selected one in full with its verdict form, and the
// plans in force beside them. New decisions appear by polling; keyboard: j/k next/previous, a approve, r reject,
// e edit, o open.

import { api } from "../api.js";
import { announce, errorBox, fill, h, heading, label, relative, usd, pct, when } from "../ui.js";
import { actions, alternatives, costBreakdown, drivers, driverWords, evidenceList, impact, justification, statusBadge,
  verdictForm, whoDecides } from "./parts.js";
import { plansPanel } from "./plans.js";

const POLL_MS = 5000;
const PAGE = 100; // decisions per page; the poll reads the first page only, answered 304 while nothing changed
const listeners = new Set();
let poller = null;
let badge = null;

// Poll the inbox for the nav badge and any open inbox view; null stops it.
export function watchCount(element) {
  badge = element;
  clearInterval(poller);
  poller = element ? setInterval(refresh, POLL_MS) : null;
  if (element) refresh();
}

async function refresh() {
  if (document.hidden) return;
  try {
    const inbox = await api(`/v1/inbox?limit=${PAGE}`);
    if (badge) badge.textContent = inbox.total ? String(inbox.total) : "";
    listeners.forEach((listener) => listener(inbox));
  } catch { /* the next poll tries again; a revoked key logs out through the api module */ }
}

let state = null;

export async function show(root, _args, params, can) {
  const started = performance.now();
  const list = h("ol", { class: "inbox-list", id: "inbox-list", "aria-label": "Waiting decisions" });
  const detail = h("section", { class: "inbox-detail", id: "inbox-detail", "aria-live": "polite", "aria-label": "Selected decision" });
  const summary = h("p", { class: "muted", id: "inbox-summary" });
  const plans = plansPanel(can);
  fill(root, heading("Approval inbox", summary),
    h("div", { class: "desk" }, h("div", { class: "split" }, h("div", { class: "pane" }, list), detail), plans));
  const mine = { items: [], selected: null, list, detail, summary, can, form: null, keys: onKey, plans };
  state = mine;
  document.addEventListener("keydown", onKey);
  listeners.add(merge);
  const more = h("button", { type: "button", class: "link", id: "inbox-more", hidden: true, onclick: () => loadMore() }, "Show more");
  list.after(more);
  mine.more = more;
  const inbox = await api(`/v1/inbox?limit=${PAGE}`);
  if (state !== mine) return;
  state.items = inbox.items;
  state.firstPage = inbox.items.length;
  state.cursor = inbox.next_cursor;
  state.total = inbox.total;
  state.clock = inbox.as_of ? Date.parse(inbox.as_of) : Date.now();
  state.loaded = true;
  renderList();
  const wanted = params.get("d");
  select(state.items.find((item) => item.decision_id === wanted) ?? state.items[0], false);
  root.dataset.loadedMs = String(Math.round(performance.now() - started));
}

export function leave() {
  if (!state) return;
  document.removeEventListener("keydown", state.keys);
  listeners.delete(merge);
  state = null;
}

// The next page, appended below the ones shown.
async function loadMore() {
  const mine = state;
  if (!mine?.cursor) return;
  const page = await api(`/v1/inbox?limit=${PAGE}&cursor=${encodeURIComponent(mine.cursor)}`);
  if (state !== mine) return;
  const known = new Set(mine.items.map((item) => item.decision_id));
  mine.items = mine.items.concat(page.items.filter((item) => !known.has(item.decision_id)));
  mine.cursor = page.next_cursor;
  mine.total = page.total;
  renderList();
}

// A poll's answer (the first page): add new waiting decisions, drop those decided elsewhere, keep the selection
// and the further pages already shown.
function merge(inbox) {
  if (!state?.loaded) return;
  const known = new Set(state.items.map((item) => item.decision_id));
  const fresh = inbox.items.filter((item) => !known.has(item.decision_id));
  const first = new Set(inbox.items.map((item) => item.decision_id));
  const rest = state.items.slice(state.firstPage).filter((item) => !first.has(item.decision_id));
  const changed = fresh.length || inbox.total !== state.total
    || inbox.items.some((item, index) => state.items[index]?.decision_id !== item.decision_id);
  if (!changed) return;
  state.items = inbox.items.concat(rest);
  state.firstPage = inbox.items.length;
  state.total = inbox.total;
  if (!rest.length) state.cursor = inbox.next_cursor;
  renderList();
  state.plans.refresh();
  if (fresh.length) announce(`${fresh.length} new decision${fresh.length > 1 ? "s" : ""} waiting`);
  if (!state.selected && state.items.length) select(state.items[0], false);
}

function renderList() {
  const { items, list, summary, more } = state;
  const total = Math.max(state.total ?? 0, items.length);
  summary.textContent = items.length
    ? `${total} waiting${total > items.length ? ` (${items.length} shown)` : ""}, most urgent first (deadline, then severity, then cost).`
    : "Nothing waits for approval.";
  more.hidden = !state.cursor;
  fill(list, items.map((item) => h("li", { "data-id": item.decision_id,
    class: item.decision_id === state.selected ? "selected" : null },
    h("button", { type: "button", class: "item", "aria-current": item.decision_id === state.selected ? "true" : null,
      onclick: () => select(item, true) },
      h("span", { class: "item-head" },
        h("span", { class: "code" }, item.decision_id),
        h("span", { class: `sev sev-${item.severity}` }, item.severity)),
      h("span", { class: "item-what" }, `${label(item.exception_type ?? "free text")}: `,
        Object.values(item.refs).join(", ") || "—"),
      h("span", { class: "item-meta" },
        h("span", { title: item.due_at ? `${item.due_reason} ${when(item.due_at)}` : "no deadline" },
          item.due_at ? `${item.due_reason}, ${relative(item.due_at, state.clock)}` : "no deadline"),
        h("span", {}, usd(item.cost_usd)), h("span", {}, `conf. ${pct(item.confidence)}`)),
      h("span", { class: "item-actions" }, item.action_types.map(label).join(", "))))));
}

async function select(item, focusDetail) {
  if (!state) return;
  state.selected = item?.decision_id ?? null;
  for (const row of state.list.children) {
    const on = row.dataset.id === state.selected;
    row.classList.toggle("selected", on);
    row.querySelector("button").toggleAttribute("aria-current", on);
  }
  if (!item) { fill(state.detail, h("p", { class: "muted" }, "Select a decision.")); return; }
  state.list.querySelector(`li[data-id="${item.decision_id}"]`)?.scrollIntoView({ block: "nearest" });
  fill(state.detail, h("p", { class: "muted" }, "Loading…"));
  let decision, words;
  try {
    decision = await api(`/v1/decisions/${item.decision_id}`);
    words = await driverWords(decision);
  } catch (error) { fill(state.detail, errorBox(error)); return; }
  if (!state || state.selected !== item.decision_id) return;
  const mayDecide = item.deciders.includes(state.can.principal?.role);
  state.form = mayDecide ? verdictForm(decision, () => decided(item)) : null;
  fill(state.detail,
    h("h2", {}, h("a", { href: `#/decisions/${decision.decision_id}` }, decision.decision_id), " ", statusBadge(decision.status)),
    h("p", { class: "muted" }, `${label(decision.specialist ?? "no specialist")} · exception `, decision.exception_id,
      ` · ${item.due_at ? `${item.due_reason} ${when(item.due_at)}` : "no deadline"}`),
    state.form ?? whoDecides(item.deciders),
    justification(decision), actions(decision.actions, "Proposed actions"), impact(decision),
    h("section", { "aria-label": "Model drivers" }, h("h3", {}, "Model drivers"), drivers(decision, words)),
    costBreakdown(decision), alternatives(decision),
    h("section", {}, h("h3", {}, "Evidence"), evidenceList(decision)));
  if (focusDetail) state.detail.querySelector("h2 a")?.focus();
}

// After a verdict: drop the decision and move to the next one.
function decided(item) {
  const index = state.items.findIndex((other) => other.decision_id === item.decision_id);
  state.items.splice(index, 1);
  if (index < state.firstPage) state.firstPage -= 1;
  state.total = Math.max(0, (state.total ?? 1) - 1);
  renderList();
  if (badge) badge.textContent = state.items.length ? String(state.items.length) : "";
  state.plans.refresh();
  select(state.items[Math.min(index, state.items.length - 1)], false);
}

function move(step) {
  const index = state.items.findIndex((item) => item.decision_id === state.selected);
  const next = state.items[Math.max(0, Math.min(state.items.length - 1, index + step))];
  if (next) select(next, false).then(() => state?.list.querySelector(`li[data-id="${next.decision_id}"] button`)?.focus());
}

function onKey(event) {
  if (!state || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select")) return;
  const actionsByKey = {
    j: () => move(1), ArrowDown: () => move(1), k: () => move(-1), ArrowUp: () => move(-1),
    o: () => state.selected && (location.hash = `#/decisions/${state.selected}`),
    a: () => state.form?.arm("approve"), r: () => state.form?.arm("reject"), e: () => state.form?.arm("override"),
  };
  const action = actionsByKey[event.key];
  if (action && (event.key.length === 1 || event.target.closest("#inbox-list"))) {
    event.preventDefault();
    action();
  }
}
