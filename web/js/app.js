// The console's shell: log in with an API key, learn the role, route #/view/... hashes to the views.

import { api, forgetReads, session, stale } from "./api.js";
import { fill, h } from "./ui.js";
import * as inbox from "./views/inbox.js";

// Views load on first visit, so the inbox does not wait for the chart library or the map.
const VIEWS = {
  inbox: async () => inbox,
  chat: () => import("./views/chat.js"),
  decisions: () => import("./views/decision.js"),
  network: () => import("./views/network.js"),
  twin: () => import("./views/twin.js"),
  kpis: () => import("./views/kpis.js"),
  attribution: () => import("./views/attribution.js"),
  policies: () => import("./views/policies.js"),
  models: () => import("./views/models.js"),
  tradeoff: () => import("./views/tradeoff.js"),
};
const view = document.getElementById("view");
const loginSection = document.getElementById("login");

// What the caller's role may do; the API checks every request again.
export const can = {
  principal: null,
  get decide() { return ["planner", "admin"].includes(can.principal?.role); },
  get editPolicies() { return ["architect", "admin"].includes(can.principal?.role); }, // autonomy and trade-off
};

let current = null;
const LIVE_MS = 5000; // how often a live view asks whether what it shows changed

// A live view on screen is drawn again, in place, when one of the reads it was drawn from changed (each poll is
// a bodiless 304 otherwise); not while the tab is hidden or someone types in one of its fields.
setInterval(async () => {
  const shown = current;
  if (!shown?.module.live || document.hidden || shown.container.contains(document.activeElement?.closest("input, textarea, select"))) return;
  if (!(await stale()) || current !== shown || !shown.container.isConnected) return;
  forgetReads();
  try {
    await shown.module.show(shown.container, ...shown.args, can);
  } catch { /* the next poll tries again */ }
}, LIVE_MS);

async function route() {
  if (!can.principal) return;
  const [path, search] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...rest] = path.split("/").filter(Boolean);
  // Each visit renders into its own container, so a slow earlier view can never draw over a later one.
  const container = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  fill(view, container);
  current?.module.leave?.();
  forgetReads();
  const module = await (VIEWS[name] ?? VIEWS.inbox)();
  if (!container.isConnected) return;
  const args = [rest.map(decodeURIComponent), new URLSearchParams(search ?? "")];
  current = { module, container, args };
  for (const link of document.querySelectorAll("#nav a")) {
    link.toggleAttribute("aria-current", link.dataset.view === (VIEWS[name] ? name : "inbox"));
    if (link.hasAttribute("aria-current")) link.setAttribute("aria-current", "page");
  }
  try {
    await module.show(container, ...args, can);
  } catch (error) {
    fill(container, h("p", { class: "error", role: "alert" }, `Could not load this view: ${error.message}`));
  }
  if (container.isConnected) container.querySelector("h1")?.focus({ preventScroll: true });
}

function showLogin(message = "") {
  can.principal = null;
  current?.module.leave?.();
  current = null;
  document.getElementById("nav").hidden = true;
  document.getElementById("who").hidden = true;
  fill(view);
  loginSection.hidden = false;
  document.getElementById("login-error").textContent = message;
  document.getElementById("api-key").focus();
}

async function start() {
  try {
    can.principal = await api("/v1/me");
  } catch (error) {
    session.key = null;
    showLogin(error.status === 401 ? "That key is unknown or revoked." : `Could not log in: ${error.message}`);
    return;
  }
  loginSection.hidden = true;
  document.getElementById("nav").hidden = false;
  document.getElementById("who").hidden = false;
  document.getElementById("who-name").textContent = can.principal.name;
  document.getElementById("who-role").textContent = can.principal.role;
  document.body.dataset.role = can.principal.role;
  inbox.watchCount(document.getElementById("inbox-count"));
  await route();
}

document.getElementById("login-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = document.getElementById("api-key");
  session.key = input.value.trim();
  input.value = "";
  start();
});
document.getElementById("logout").addEventListener("click", () => {
  sessionStorage.clear();  // the key and the chat thread, which belongs to that key
  inbox.watchCount(null);
  showLogin();
});
window.addEventListener("ym:unauthorized", () => { session.key = null; showLogin("Your key is no longer valid."); });
window.addEventListener("hashchange", route);

if (session.key) start(); else showLogin();
