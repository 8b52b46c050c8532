// Chat with the desk: answers stream in from POST /v1/chat (Server-Sent Events) with each tool step shown as it
// runs; answers' Markdown (tables, lists, links) is rendered through a sanitiser; codes link to their detail;
// before/after figures become a table; a question ending in "yes/no" gets Yes and No buttons.

import DOMPurify from "../../vendor/purify.es.js";
import { marked } from "../../vendor/marked.esm.js";
import { streamChat } from "../api.js";
import { facts, fill, h, heading, label, linkCodes, num, svg, table } from "../ui.js";

const THREAD = "yardmaster.thread";
const EXAMPLES = ["What is at risk at DC-HOU this week?", "Forecast SKU-0042 at DC-DAL for the next 4 weeks",
  "Which trucks should be serviced first?", "What if CAR-REDRIVER loses 30% of its capacity next week?",
  "Show pending approvals"];

let log = null;

export async function show(root) {
  log = h("ol", { class: "chat-log", id: "chat-log", "aria-live": "polite", "aria-label": "Conversation" });
  const input = h("textarea", { id: "chat-input", name: "message", rows: 2, required: true, maxlength: 4000,
    placeholder: "Ask about shipments, stock, trucks, carriers or what-ifs" });
  const send = h("button", { type: "submit" }, "Send");
  const form = h("form", { class: "chat-form", onsubmit: (event) => { event.preventDefault(); ask(input, send); } },
    h("label", { for: "chat-input", class: "visually-hidden" }, "Message"), input, send);
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); form.requestSubmit(); }
  });
  fill(root, heading("Chat", h("button", { type: "button", class: "link", onclick: () => { sessionStorage.removeItem(THREAD); fill(log); } }, "New conversation")),
    h("p", { class: "muted" }, "Try: ", EXAMPLES.map((text, index) => [index ? " · " : "",
      h("button", { type: "button", class: "link", onclick: () => { input.value = text; input.focus(); } }, text)])),
    log, form);
}

async function ask(input, send, text = input.value.trim()) {
  if (!text) return;
  input.value = "";
  send.disabled = true;
  log.append(h("li", { class: "msg user" }, h("p", {}, text)));
  const steps = h("ol", { class: "steps", "aria-label": "Tool steps" });
  const answer = h("div", { class: "answer", "aria-busy": "true" });
  const item = h("li", { class: "msg desk" }, steps, answer);
  log.append(item);
  let streamed = "";
  const calls = new Map();
  try {
    await streamChat(text, sessionStorage.getItem(THREAD), (event, data) => {
      if (event === "token") {
        streamed += data.text ?? "";
        fill(answer, h("p", {}, streamed));
      } else if (event === "tool_call") {
        const step = h("li", { class: "step running" }, h("span", { class: "tool" }, label(data.name)), " ",
          h("span", { class: "muted" }, Object.entries(data.args ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(", ")),
          h("span", { class: "state" }, " running…"));
        calls.set(data.id, step);
        steps.append(step);
      } else if (event === "tool_result") {
        const step = calls.get(data.id) ?? steps.appendChild(h("li", { class: "step" }, label(data.name)));
        step.classList.remove("running");
        step.querySelector(".state")?.replaceChildren(data.ok ? " done" : " failed");
        step.append(result(data));
      } else if (event === "final") {
        sessionStorage.setItem(THREAD, data.thread_id);
        const text = data.answer || streamed;
        const asks = CONFIRM.test(text);
        fill(answer, markdown(asks ? text.replace(CONFIRM, "?") : text));
        if (asks) answer.append(confirmation({ prompt: null }, input, send));
      } else if (event === "error") {
        fill(answer, h("p", { class: "error", role: "alert" }, data.message ?? String(data)));
      } else if (event === "confirm" || data?.options) {
        answer.append(confirmation(data, input, send));
      }
    });
  } catch (error) {
    fill(answer, h("p", { class: "error", role: "alert" }, `${error.status ? `${error.status}: ` : ""}${error.message}`));
  } finally {
    answer.removeAttribute("aria-busy");
    send.disabled = false;
    item.scrollIntoView({ block: "end" });
    input.focus();
  }
}

const CONFIRM = /\?\s*yes\/no\s*$/i;

// An answer's Markdown as sanitised HTML, with the twin's codes in its text linked to their detail.
export function markdown(text) {
  const box = h("div", { class: "md" });
  box.innerHTML = DOMPurify.sanitize(marked.parse(String(text ?? ""), { gfm: true, breaks: true, async: false }));
  for (const table of box.querySelectorAll("table")) table.classList.add("data");
  const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) if (!walker.currentNode.parentElement.closest("a, code")) texts.push(walker.currentNode);
  for (const node of texts) node.replaceWith(...linkCodes(node.textContent));
  return box;
}

// A confirmation the desk asks for, as one button per option.
function confirmation(data, input, send) {
  const options = data.options ?? [{ label: "Yes", message: "yes" }, { label: "No", message: "no" }];
  return h("div", { class: "buttons", role: "group", "aria-label": data.prompt ?? "Confirm" },
    data.prompt ? h("p", {}, linkCodes(data.prompt)) : null,
    options.map((option) => h("button", { type: "button", onclick: () => ask(input, send, option.message ?? option.label) },
      option.label ?? option.message)));
}

// A tool's result: before/after figures as a table and bars, other facts as a list, errors as text.
function result(data) {
  if (!data.ok || typeof data.result === "string") return h("p", { class: "muted" }, String(data.result));
  const pairs = beforeAfter(data.result);
  return h("details", { open: pairs.length > 0 }, h("summary", {}, "Result"),
    pairs.length ? [table("Before and after", [
      { key: "figure" }, { key: "before", numeric: true, render: (r) => num(r.before) },
      { key: "after", numeric: true, render: (r) => num(r.after) }], pairs), miniChart(pairs)] : null,
    facts(pairs.length ? Object.fromEntries(Object.entries(data.result).filter(([key]) => !["before", "after"].includes(key))) : data.result));
}

// Figures given as before: {...} / after: {...}, as {before, after} pairs, or as before_x / after_x, anywhere in a result.
function beforeAfter(result, prefix = "") {
  const rows = [];
  const { before, after } = result ?? {};
  if (before && after && typeof before === "object" && typeof after === "object") {
    for (const [key, value] of Object.entries(before)) {
      if (typeof value === "number" && typeof after[key] === "number") rows.push({ figure: label(prefix + key), before: value, after: after[key] });
    }
  }
  for (const [key, value] of Object.entries(result ?? {})) {
    if (key === "before" || key === "after") continue;
    if (value && typeof value === "object" && !Array.isArray(value)) {
      if (typeof value.before === "number" && typeof value.after === "number") rows.push({ figure: label(prefix + key), before: value.before, after: value.after });
      else rows.push(...beforeAfter(value, `${prefix}${key} `));
    } else if (key.startsWith("before_") && typeof value === "number" && typeof result[`after_${key.slice(7)}`] === "number") {
      rows.push({ figure: label(prefix + key.slice(7)), before: value, after: result[`after_${key.slice(7)}`] });
    }
  }
  return rows;
}

function miniChart(pairs) {
  const largest = (p) => Math.max(1e-9, Math.abs(p.before), Math.abs(p.after));
  const row = 22;
  return h("figure", { class: "mini" },
    svg("svg", { viewBox: `0 0 300 ${pairs.length * row * 2}`, role: "img", "aria-label": "Before and after, each figure scaled to its larger value" },
      pairs.flatMap((p, i) => [
        svg("rect", { x: 110, y: i * row * 2 + 2, height: row - 6, width: (Math.abs(p.before) / largest(p)) * 180, class: "before" }),
        svg("rect", { x: 110, y: i * row * 2 + row, height: row - 6, width: (Math.abs(p.after) / largest(p)) * 180, class: "after" }),
        svg("text", { x: 0, y: i * row * 2 + row }, p.figure.slice(0, 16)),
      ])),
    h("figcaption", {}, h("span", { class: "key before" }), " before ", h("span", { class: "key after" }), " after"));
}
