// The one way the web client calls the REST API: same-origin fetch with the session
// cookie, the CSRF header the gateway expects on writes, JSON in and out, and every
// failure turned into an ApiError whose messages can be shown next to their fields.

const BASE = "/api/v1";
const CSRF_COOKIE = "wardmate_csrf";
const CSRF_HEADER = "X-CSRF-Token";
// A call slower than this shows the loading indicator (a faster one would only flicker).
const BUSY_AFTER_MS = 200;

export class ApiError extends Error {
  constructor(status, code, message, details) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Messages by form field name ("languages.0" counts for "languages"); "" for the form.
   * With `within` ("selection"), the fields of that object count as the form's own. */
  fieldErrors(within) {
    const out = {};
    const items = Array.isArray(this.details) ? this.details : [];
    for (const item of items) {
      let field = item && item.field ? String(item.field) : "";
      if (within && field.startsWith(`${within}.`)) field = field.slice(within.length + 1);
      const key = field.split(".")[0];
      // pydantic prefixes the message of a rule across fields with "Value error, ".
      const text = item && item.message ? String(item.message).replace(/^Value error, /, "") : this.message;
      out[key] = out[key] ? `${out[key]}; ${text}` : text;
    }
    if (!items.length) out[""] = this.message;
    return out;
  }
}

let pending = 0;
const busyListeners = new Set();
function setPending(delta) {
  pending += delta;
  for (const fn of busyListeners) fn(pending > 0);
}

/** Calls fn(isBusy) when calls slower than BUSY_AFTER_MS start and when all have ended. */
export function onBusy(fn) {
  busyListeners.add(fn);
  return () => busyListeners.delete(fn);
}

function readCookie(name) {
  for (const part of document.cookie.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return null;
}

function queryString(query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : "";
}

const unauthorizedListeners = new Set();
/** Calls fn() when the API answers 401 (the session ended elsewhere, or expired). */
export function onUnauthorized(fn) {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

// The server's clock, from its replies' Date header (to the second). Whether a payment can
// be made yet was read from the device's clock: a phone set a day off offered "Pay now"
// for a payment the server refused, or hid one that was due. A device within a few seconds
// of the server keeps its own clock (the header's second would only add noise).
const CLOCK_TRUSTED_WITHIN_MS = 5000;
let clockOffset = 0;
function readClock(response) {
  const at = Date.parse(response.headers.get("Date") || "");
  if (Number.isNaN(at)) return;
  const offset = at + 500 - Date.now();
  clockOffset = Math.abs(offset) > CLOCK_TRUSTED_WITHIN_MS ? offset : 0;
}
/** Now, as the server's clock has it (ms since the epoch). */
export const serverNow = () => Date.now() + clockOffset;

/** One API call: resolves with the reply's JSON, rejects with an ApiError. */
export async function api(method, path, { body, query } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET") {
    const csrf = readCookie(CSRF_COOKIE);
    if (csrf) headers[CSRF_HEADER] = csrf;
  }
  let shown = false;
  const timer = setTimeout(() => {
    shown = true;
    setPending(1);
  }, BUSY_AFTER_MS);
  let response;
  try {
    response = await fetch(BASE + path + queryString(query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch {
    throw new ApiError(0, "unreachable", "Wardmate cannot be reached. Check your connection and try again.");
  } finally {
    clearTimeout(timer);
    if (shown) setPending(-1);
  }
  readClock(response);
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (response.ok) return data;
  const err = data && data.error;
  if (response.status === 401 && !path.startsWith("/auth/")) {
    for (const fn of unauthorizedListeners) fn();
  }
  if (err && err.message) throw new ApiError(response.status, err.code, err.message, err.details);
  throw new ApiError(response.status, "http", `The server answered ${response.status}. Try again in a moment.`);
}

export const get = (path, query) => api("GET", path, { query });
/** Every item of a paged list, page after page: for a choice that must offer them all
 * (a list the user reads has "Show more" instead, ui.js's useMore). */
export async function getAll(path, query) {
  const items = [];
  let cursor;
  do {
    const page = await get(path, { ...query, limit: 100, cursor });
    items.push(...page.items);
    cursor = page.next_cursor;
  } while (cursor);
  return items;
}
export const post = (path, body = {}) => api("POST", path, { body });
export const patch = (path, body) => api("PATCH", path, { body });
export const del = (path) => api("DELETE", path);

/** A multipart upload with progress (fetch reports none): onProgress(fraction 0..1) while
 * the bytes go out; resolves with the reply's JSON, rejects with an ApiError. */
export function upload(path, formData, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", BASE + path);
    xhr.setRequestHeader("Accept", "application/json");
    const csrf = readCookie(CSRF_COOKIE);
    if (csrf) xhr.setRequestHeader(CSRF_HEADER, csrf);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new ApiError(0, "unreachable", "The upload did not reach Wardmate. Check your connection and try again."));
    xhr.onload = () => {
      let data = null;
      try {
        data = JSON.parse(xhr.responseText);
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(data);
      const err = data && data.error;
      if (err && err.message) return reject(new ApiError(xhr.status, err.code, err.message, err.details));
      return reject(new ApiError(xhr.status, "http", `The server answered ${xhr.status}. Try again in a moment.`));
    };
    xhr.send(formData);
  });
}

export const put = (path, body) => api("PUT", path, { body });
