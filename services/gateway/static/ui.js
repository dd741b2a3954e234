// Small shared pieces: form fields with their errors, alerts, empty states, the hospital
// picker, formatting, and the hash router's helpers.
import { html, useEffect, useRef, useState } from "./vendor/preact-htm.js";
import { ApiError, get } from "./api.js";

let fieldSeq = 0;
/** A stable id for a label's `for`, per component instance. */
export function useId(prefix) {
  const ref = useRef(null);
  if (ref.current === null) ref.current = `${prefix}-${++fieldSeq}`;
  return ref.current;
}

/** A labelled input, select or textarea with its error message tied by aria-describedby. */
export function Field({ label, name, error, hint, as = "input", children, ...props }) {
  const id = useId(name || "f");
  const errId = `${id}-err`;
  const hintId = `${id}-hint`;
  const described = [hint ? hintId : null, error ? errId : null].filter(Boolean).join(" ") || undefined;
  const common = { id, name, "aria-invalid": error ? "true" : undefined, "aria-describedby": described, ...props };
  let control;
  if (as === "select") control = html`<select ...${common}>${children}</select>`;
  else if (as === "textarea") control = html`<textarea ...${common}></textarea>`;
  else control = html`<input ...${common} />`;
  return html`<div class=${`field${props.type === "checkbox" ? " check" : ""}`}>
    <label for=${id}>${label}</label>
    ${control}
    ${hint && html`<p class="hint" id=${hintId}>${hint}</p>`}
    ${error && html`<p class="error" id=${errId}>${error}</p>`}
  </div>`;
}

/** A form-level error (role=alert so screen readers announce it). */
export function Alert({ error, children }) {
  const text = error instanceof ApiError ? error.message : error || children;
  if (!text) return null;
  return html`<p class="alert" role="alert">${text}</p>`;
}

export function Notice({ children }) {
  return html`<p class="notice" role="status">${children}</p>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}

/** State of a form's submission: errors by field and the form's own error (`within`: see
 * ApiError.fieldErrors). */
export function useForm(within) {
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  async function submit(action) {
    setBusy(true);
    setErrors({});
    try {
      return await action();
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.fieldErrors(within));
      else setErrors({ "": String(err) });
      return undefined;
    } finally {
      setBusy(false);
    }
  }
  return { errors, setErrors, busy, submit };
}

/** Field errors that no visible field shows, folded into the form-level message. */
export function formError(errors, shown) {
  const rest = Object.entries(errors)
    .filter(([key]) => !shown.includes(key))
    .map(([key, text]) => (key ? `${key.replace(/_/g, " ")}: ${text}` : text));
  return rest.join(" ");
}

/** Loads with fn() when deps change; returns {data, error, loading, reload}. */
export function useLoad(fn, deps) {
  const [state, setState] = useState({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((t) => t + 1) };
}

export function Loading({ state, children }) {
  if (state.error) return html`<${Alert} error=${state.error} />`;
  if (state.data === null) return html`<p class="loading" role="status">Loading…</p>`;
  return children(state.data);
}

const titleWord = (w) => (w.length <= 2 && w !== "ST" ? w : w.charAt(0) + w.slice(1).toLowerCase());
/** "ESSENTIA HEALTH FARGO" as "Essentia Health Fargo". */
export function titleCase(text) {
  if (!text || text !== text.toUpperCase()) return text || "";
  return text.split(" ").map(titleWord).join(" ");
}

export function hospitalLabel(h) {
  if (h.label) return h.label;
  return `${titleCase(h.name)}, ${titleCase(h.city)}, ${h.state}`;
}

/** Type a hospital's name, pick one of the directory's answers: calls onPick(hospital). */
export function HospitalPicker({ label = "Hospital", value, onPick, error, name = "hospital_id" }) {
  const [q, setQ] = useState("");
  const [results, setResults] = useState([]);
  const [failure, setFailure] = useState(null);
  useEffect(() => {
    if (q.trim().length < 2) {
      setResults([]);
      return undefined;
    }
    const timer = setTimeout(() => {
      get("/hospitals", { q: q.trim(), limit: 8 }).then(
        (page) => {
          setResults(page.items);
          setFailure(null);
        },
        (err) => setFailure(err),
      );
    }, 200);
    return () => clearTimeout(timer);
  }, [q]);
  const listId = useId("hospitals");
  return html`<div class="picker">
    <${Field}
      label=${label}
      name=${name}
      type="search"
      autocomplete="off"
      value=${q}
      onInput=${(e) => setQ(e.currentTarget.value)}
      hint=${value ? `Chosen: ${hospitalLabel(value)}` : "Type at least two letters of its name, then choose it"}
      error=${error}
      aria-controls=${listId}
    />
    ${failure && html`<${Alert} error=${failure} />`}
    <ul id=${listId} class="choices" aria-label=${`${label} suggestions`}>
      ${results.map(
        (h) =>
          html`<li key=${h.id}>
            <button
              type="button"
              class="choice"
              onClick=${() => {
                onPick(h);
                setQ("");
                setResults([]);
              }}
            >
              ${hospitalLabel(h)}
            </button>
          </li>`,
      )}
    </ul>
  </div>`;
}

const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
export const fmtMoney = (n) => money.format(n);
export function fmtDate(iso) {
  if (!iso) return "";
  const d = new Date(`${String(iso).slice(0, 10)}T00:00:00`);
  return d.toLocaleDateString("en-US", { year: "numeric", month: "short", day: "numeric" });
}
export function fmtTime(iso) {
  return new Date(iso).toLocaleString("en-US", { month: "short", day: "numeric", hour: "numeric", minute: "2-digit" });
}
export const roomType = (t) => ({ private_room: "Private room", entire_place: "Entire place", shared_room: "Shared room" })[t] || t;
/** "cardiology" as "Cardiology". */
export const cap = (s) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : "");
export const words = (s) => String(s || "").replace(/_/g, " ");

const DIRECTIONS = ["north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"];
/** Distance (km) and compass direction from a to b, both {latitude, longitude}. */
export function distanceAndDirection(a, b) {
  const rad = Math.PI / 180;
  const [lat1, lat2] = [a.latitude * rad, b.latitude * rad];
  const dLat = lat2 - lat1;
  const dLon = (b.longitude - a.longitude) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1) * Math.cos(lat2) * Math.sin(dLon / 2) ** 2;
  const km = 2 * 6371 * Math.asin(Math.sqrt(h));
  const y = Math.sin(dLon) * Math.cos(lat2);
  const x = Math.cos(lat1) * Math.sin(lat2) - Math.sin(lat1) * Math.cos(lat2) * Math.cos(dLon);
  const bearing = (Math.atan2(y, x) / rad + 360) % 360;
  return { km, direction: DIRECTIONS[Math.round(bearing / 45) % 8] };
}

/** The current route: path segments and query of the URL's fragment (#/rooms?x=1). */
export function parseHash() {
  const raw = location.hash.replace(/^#/, "") || "/";
  const [path, search = ""] = raw.split("?");
  return { path, parts: path.split("/").filter(Boolean), query: Object.fromEntries(new URLSearchParams(search)) };
}

export function href(path, query) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v !== undefined && v !== null && v !== "") params.set(k, v);
  const text = params.toString();
  return `#${path}${text ? `?${text}` : ""}`;
}

export function go(path, query) {
  location.hash = href(path, query);
}

export function Badge({ count, label }) {
  if (!count) return null;
  return html`<span class="badge" aria-label=${`${count} ${label}`}>${count}</span>`;
}

export function Verified({ verified }) {
  return verified ? html`<span class="verified">✓ Verified</span>` : html`<span class="unverified">Not verified</span>`;
}

export function Status({ status }) {
  return html`<span class=${`status status-${status}`}>${words(status).replace(/^./, (c) => c.toUpperCase())}</span>`;
}

export function today(offsetDays = 0) {
  const d = new Date();
  d.setDate(d.getDate() + offsetDays);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}
