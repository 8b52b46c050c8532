// The console's shell: log in with an API key, learn the role, route #/view/... hashes to the views.

import { api, session } from "./api.js";
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
  policies: () => import("./views/policies.js"),
};
const view = document.getElementById("view");
const loginSection = document.getElementById("login");

// What the caller's role may do; the API checks every request again.
export const can = {
  principal: null,
  get decide() { return ["planner", "admin"].includes(can.principal?.role); },
  get editPolicies() { return ["architect", "admin"].includes(can.principal?.role); },
};

let current = null;

async function route() {
  if (!can.principal) return;
  const [path, search] = location.hash.replace(/^#\/?/, "").split("?");
  const [name, ...rest] = path.split("/").filter(Boolean);
  // Each visit renders into its own container, so a slow earlier view can never draw over a later one.
  const container = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  fill(view, container);
  current?.leave?.();
  const module = await (VIEWS[name] ?? VIEWS.inbox)();
  if (!container.isConnected) return;
  current = module;
  for (const link of document.querySelectorAll("#nav a")) {
    link.toggleAttribute("aria-current", link.dataset.view === (VIEWS[name] ? name : "inbox"));
    if (link.hasAttribute("aria-current")) link.setAttribute("aria-current", "page");
  }
  try {
    await module.show(container, rest.map(decodeURIComponent), new URLSearchParams(search ?? ""), can);
  } catch (error) {
    fill(container, h("p", { class: "error", role: "alert" }, `Could not load this view: ${error.message}`));
  }
  if (container.isConnected) container.querySelector("h1")?.focus({ preventScroll: true });
}

function showLogin(message = "") {
  can.principal = null;
  current?.leave?.();
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
