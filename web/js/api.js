// The public HTTP API: the key lives in sessionStorage (this tab only) and travels in the Authorization header.

const KEY = "yardmaster.key";

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
    this.status = status;
    this.detail = detail;
  }
}

export const session = {
  get key() { return sessionStorage.getItem(KEY); },
  set key(value) { value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY); },
};

function headers(extra = {}) {
  return { Authorization: `Bearer ${session.key}`, ...extra };
}

// An answer's JSON; throws ApiError with the server's `detail` on a non-2xx answer.
async function parsed(response) {
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) {
    if (response.status === 401) window.dispatchEvent(new CustomEvent("ym:unauthorized"));
    throw new ApiError(response.status, data?.detail ?? response.statusText);
  }
  return data;
}

// A JSON request; throws ApiError with the server's `detail` on a non-2xx answer.
export async function api(path, { method = "GET", body } = {}) {
  return parsed(await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }),
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: "no-cache", // revalidate with If-None-Match: an unchanged listing comes back as a bodiless 304
  }));
}

// The reads the view on screen was drawn from, each with the ETag of its answer: the view's poll revalidates them.
const drawnFrom = new Map();

// A GET whose answer the view on screen shows: like api(), and remembered (with its ETag) for stale().
export async function read(path) {
  const response = await fetch(path, { headers: headers(), cache: "no-store" });
  const data = await parsed(response);
  const tag = response.headers.get("ETag");
  if (tag) drawnFrom.set(path, tag);
  return data;
}

// Forget the reads of the view that was on screen.
export function forgetReads() {
  drawnFrom.clear();
}

// Whether any read of the view on screen changed: each asks with If-None-Match, and an unchanged one is a
// bodiless 304. A failing read counts as unchanged (the next poll asks again).
export async function stale() {
  const answers = await Promise.all([...drawnFrom].map(([path, tag]) =>
    fetch(path, { headers: headers({ "If-None-Match": tag }), cache: "no-store" })
      .then((response) => {
        if (response.status === 401) window.dispatchEvent(new CustomEvent("ym:unauthorized"));
        return response.ok && response.status !== 304;
      })
      .catch(() => false)));
  return answers.some(Boolean);
}

// A query string from an object, skipping empty values.
export function query(params) {
  const entries = Object.entries(params).filter(([, value]) => value !== undefined && value !== null && value !== "");
  return entries.length ? `?${new URLSearchParams(entries)}` : "";
}

// POST /v1/chat and call onEvent(name, data) for each Server-Sent Event as it arrives.
export async function streamChat(message, threadId, onEvent) {
  const response = await fetch("/v1/chat", {
    method: "POST",
    headers: headers({ "Content-Type": "application/json", Accept: "text/event-stream" }),
    body: JSON.stringify(threadId ? { message, thread_id: threadId } : { message }),
  });
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    throw new ApiError(response.status, data.detail ?? response.statusText);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      const lines = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) lines.push(line.slice(5).replace(/^ /, ""));
      }
      if (!lines.length) continue;
      const raw = lines.join("\n");
      let data;
      try { data = JSON.parse(raw); } catch { data = raw; }
      onEvent(name, data);
    }
  }
}
