// Small DOM helpers shared by the views: element building, formats, entity links and bar charts.

// An element with attributes (on* as listeners) and children (strings become text).
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "style") element.style.cssText = value; // through the CSSOM: the CSP refuses style attributes
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, value);
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
}

// Replace an element's children.
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 2 });
export const usd = (value) => (value === undefined || value === null ? "—" : money.format(value));
export const pct = (value) => (value === undefined || value === null ? "—" : `${(value * 100).toFixed(1)}%`);
export const num = (value, digits = 2) =>
  typeof value === "number" ? value.toLocaleString("en-US", { maximumFractionDigits: digits }) : String(value ?? "—");

export function when(value) {
  if (!value) return "—";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value)
    : date.toISOString().replace("T", " ").slice(0, 16) + " UTC";
}

// "in 3 h", "2 d ago": a deadline relative to now.
export function relative(value, now = Date.now()) {
  if (!value) return "no deadline";
  const hours = (new Date(value).getTime() - now) / 3.6e6;
  if (Math.abs(hours) < 0.5) return "due now";
  const size = Math.abs(hours) >= 48 ? `${Math.round(Math.abs(hours) / 24)} d` : `${Math.round(Math.abs(hours))} h`;
  return hours >= 0 ? `due in ${size}` : `${size} overdue`;
}

const ISO_MOMENT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

export const label = (name) => String(name).replace(/_/g, " ");

// Twin codes and where their detail lives.
const CODE_LINKS = [
  [/^DEC-[A-Z0-9]+$/, (code) => `#/decisions/${code}`],
  [/^SHP-\d+$/, (code) => `#/twin/shipments/${code}`],
  [/^TRK-\d+$/, (code) => `#/twin/trucks/${code}`],
  [/^SKU-\d+$/, (code) => `#/twin/skus/${code}`],
  [/^CAR-[A-Z]+$/, (code) => `#/twin/carriers/${code}`],
  [/^DC-[A-Z]{3}$/, (code) => `#/network?dc=${code}`],
  [/^[A-Z]{3}-[A-Z]{3}$/, (code) => `#/twin/lanes/${code}`],
];
const CODE_PATTERN = /\b(DEC-[A-Z0-9]+|SHP-\d+|TRK-\d+|SKU-\d+|CAR-[A-Z]+|DC-[A-Z]{3}|[A-Z]{3}-[A-Z]{3})\b/g;

export function codeHref(code) {
  const found = CODE_LINKS.find(([pattern]) => pattern.test(code));
  return found ? found[1](code) : null;
}

// A code as a link to its detail (plain text when it has none).
export function codeLink(code) {
  const href = codeHref(String(code));
  return href ? h("a", { href, class: "code" }, code) : h("span", { class: "code" }, code);
}

// Text with every twin code made a link.
export function linkCodes(text) {
  const parts = [];
  let last = 0;
  for (const match of String(text ?? "").matchAll(CODE_PATTERN)) {
    parts.push(text.slice(last, match.index), codeLink(match[0]));
    last = match.index + match[0].length;
  }
  parts.push(String(text ?? "").slice(last));
  return parts;
}

// A value of an API payload, readable: codes linked, lists joined, objects as key/value lists.
export function show(value, key = "") {
  if (value === null || value === undefined) return "—";
  if (typeof value === "number") return /year/.test(key) ? String(value) : num(value, 4);
  if (typeof value === "string") return ISO_MOMENT.test(value) ? when(value) : linkCodes(value);
  if (Array.isArray(value)) {
    if (value.every((item) => typeof item !== "object" || item === null)) {
      return value.flatMap((item, index) => (index ? [", ", show(item)] : [show(item)]));
    }
    return h("ol", { class: "plain" }, value.map((item) => h("li", {}, show(item))));
  }
  if (typeof value === "object") return facts(value);
  return String(value);
}

// An object as a description list.
export function facts(object) {
  return h("dl", { class: "facts" },
    Object.entries(object ?? {}).map(([key, value]) => [h("dt", {}, label(key)), h("dd", {}, show(value, key))]));
}

// A horizontal bar chart of signed values, as a table (readable by screen readers and without scripts).
export function barChart(caption, rows, format = (value) => num(value, 3)) {
  const largest = Math.max(1e-9, ...rows.map((row) => Math.abs(row.value)));
  return h("table", { class: "bars" },
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "item"), h("th", { scope: "col" }, "value"))),
    h("tbody", {}, rows.map((row) => h("tr", {},
      h("th", { scope: "row" }, row.label),
      h("td", {},
        h("span", {
          class: `bar ${row.value < 0 ? "neg" : "pos"}`,
          style: `width:${Math.max(1, (Math.abs(row.value) / largest) * 100).toFixed(1)}%`,
          "aria-hidden": "true",
        }),
        h("span", { class: "bar-value" }, format(row.value)))))));
}

// A table from rows of objects and column specs [{key, title, render}].
export function table(caption, columns, rows, options = {}) {
  return h("div", { class: "table-wrap" }, h("table", { class: options.class ?? "grid" },
    caption ? h("caption", {}, caption) : null,
    h("thead", {}, h("tr", {}, columns.map((column) => h("th", { scope: "col" }, column.title ?? label(column.key))))),
    h("tbody", {}, rows.length ? rows.map((row) => h("tr", {}, columns.map((column) =>
      h("td", { class: column.numeric ? "num" : null },
        column.render ? column.render(row) : show(row[column.key])))))
      : h("tr", {}, h("td", { colspan: columns.length }, options.empty ?? "Nothing to show.")))));
}

// Announce a message to screen readers and show it briefly.
export function announce(message) {
  const region = document.getElementById("announce");
  region.textContent = message;
  region.classList.add("shown");
  clearTimeout(announce.timer);
  announce.timer = setTimeout(() => region.classList.remove("shown"), 4000);
}

export function errorBox(error) {
  return h("p", { class: "error", role: "alert" }, `${error.status ? `${error.status}: ` : ""}${error.message}`);
}

export function heading(text, ...extra) {
  return h("div", { class: "view-head" }, h("h1", { tabindex: "-1" }, text), extra);
}

// An SVG element with attributes and children.
export function svg(tag, attrs = {}, ...children) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value);
  }
  for (const child of children.flat(Infinity)) if (child !== null && child !== undefined) element.append(child);
  return element;
}
