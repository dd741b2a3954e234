// Small shared pieces: form fields with their errors, alerts, empty states, the hospital
// picker, formatting, and the hash router's helpers.
import { html, useEffect, useRef, useState } from "./vendor/preact-htm.js";
import { ApiError, get, serverNow } from "./api.js";
import * as live from "./live.js";

let fieldSeq = 0;
/** A stable id for a label's `for`, per component instance. */
export function useId(prefix) {
  const ref = useRef(null);
  if (ref.current === null) ref.current = `${prefix}-${++fieldSeq}`;
  return ref.current;
}

/** A labelled input, select or textarea with its error message tied by aria-describedby. */
/** What is left of a text's `limit` (the API's, in characters as it counts them: code
 * points), once nine tenths are written: a long message learned of the limit only from the
 * refusal after sending ("Write at most 2000 characters."). */
const characters = (value) => (typeof value === "string" ? [...value].length : 0);
function charactersLeft(value, limit) {
  const used = characters(value);
  if (!limit || used < limit * 0.9) return null;
  const left = limit - used;
  if (left >= 0) return `${left} character${left === 1 ? "" : "s"} left`;
  return `${-left} character${left === -1 ? "" : "s"} over the limit of ${limit}: shorten it to send`;
}

/** Longer than the API's `limit` (in its characters): what a form's send button waits on. */
export const overLimit = (value, limit) => characters(value) > limit;

export function Field({ label, name, error, hint, limit, as = "input", children, ...props }) {
  const id = useId(name || "f");
  const errId = `${id}-err`;
  const hintId = `${id}-hint`;
  const left = charactersLeft(props.value, limit);
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
    ${limit && html`<p class="hint count" aria-live="polite">${left}</p>`}
    ${error && html`<p class="error" id=${errId}>${typeof error === "string" ? sentence(error) : error}</p>`}
  </div>`;
}

/** A form-level error (role=alert so screen readers announce it), said as a sentence: the
 * API's messages start in lower case and end bare ("email or password is incorrect"),
 * written to follow a field's name; shown alone, they start with a capital and end with a
 * full stop, as field messages do (they read "Email or password is incorrect"). `focus`: as Notice's, it takes
 * focus each time a message shows, if focus fell to the page (a form whose button is
 * disabled while it runs and that has no field the error belongs to: Pay's card form). */
export function Alert({ error, children, focus = false }) {
  const ref = useRef(null);
  const raw = error instanceof ApiError ? error.message : error || children;
  const text = typeof raw === "string" ? sentence(raw) : raw;
  useEffect(() => {
    if (focus && text && ref.current && focusLost()) ref.current.focus();
  }, [text]);
  if (!text) return null;
  return html`<p class="alert" role="alert" tabindex=${focus ? "-1" : undefined} ref=${ref}>${text}</p>`;
}

/** A status message. `focus`: it takes focus when shown, for a notice that replaces the
 * button pressed ("Mentorship requested" for "Request mentorship"): focus fell to the page. */
/** A notice; `focus`: it takes focus when shown, or, as "lost", only when focus fell to the
 * page (the button that made it went away, as a confirmation's "Yes" does). */
export function Notice({ children, focus = false }) {
  const ref = useRef(null);
  useEffect(() => {
    if ((focus === "lost" ? focusLost() : focus) && ref.current) ref.current.focus();
  }, []);
  return html`<p class="notice" role="status" tabindex=${focus ? "-1" : undefined} ref=${ref}>${children}</p>`;
}

export function Empty({ children }) {
  return html`<p class="empty">${children}</p>`;
}

/** Whether focus fell to the page (its element was disabled or removed). */
export const focusLost = () => !document.activeElement || document.activeElement === document.body;

/** Where focus goes once a submission's answer is on screen (`from`: what had it when it
 * was sent). The submit button is disabled while the request runs, and a focused element
 * that becomes disabled loses focus to the page: after Search, Send, Save or Propose a
 * keyboard user started again from the top. A refusal goes to the form's first field in
 * error (a room's were a thousand pixels above its button, out of sight); otherwise focus
 * goes back where it was, if it fell. A submission that moved to another page leaves it to
 * that page (focusHeading), and a button that left with the answer to the page's own code. */
function settleFocus(from, hash, refused) {
  setTimeout(() => {
    if (location.hash !== hash || !from || !from.isConnected) return;
    const form = from.form || from.closest("form");
    const invalid = refused && form && form.querySelector('[aria-invalid="true"]');
    if (invalid) invalid.focus();
    else if (focusLost() && !from.disabled) from.focus();
  }, 0);
}

/** An inline form in the place of the button that opens it ("Change dates", "Ask … to
 * mentor you"): opened, focus goes to the form's first field (`first`, a selector); closed by
 * the form (saved, "Not now"), to the button, back in its place (focus fell to the page with
 * the button it was on). `form` and `button` are the refs to put on them. */
export function useInlineForm(first = "input, select, textarea") {
  const [open, setOpen] = useState(false);
  const form = useRef(null);
  const button = useRef(null);
  const back = useRef(false);
  useEffect(() => {
    if (open && form.current) form.current.querySelector(first).focus();
    else if (!open && back.current && button.current) button.current.focus();
    back.current = false;
  }, [open]);
  const close = () => {
    back.current = true;
    setOpen(false);
  };
  return { open, show: () => setOpen(true), close, form, button };
}

/** State of a form's submission: errors by field and the form's own error (`within`: see
 * ApiError.fieldErrors). Focus is kept (settleFocus). */
export function useForm(within) {
  const [errors, setErrors] = useState({});
  const [busy, setBusy] = useState(false);
  // One submission at a time: a double click sent the form twice before `busy` disabled
  // anything, and the second came back a 409 (or made a second of what was asked).
  const sending = useRef(false);
  async function submit(action) {
    if (sending.current) return undefined;
    sending.current = true;
    const from = document.activeElement;
    const hash = location.hash;
    let refused = false;
    setBusy(true);
    setErrors({});
    try {
      return await action();
    } catch (err) {
      refused = true;
      if (err instanceof ApiError) setErrors(err.fieldErrors(within));
      else setErrors({ "": String(err) });
      return undefined;
    } finally {
      sending.current = false;
      setBusy(false);
      settleFocus(from, hash, refused);
    }
  }
  /** A refusal found before sending, shown as the API's own would be: each message beside
   * its field, and focus on the first of them (settleFocus). */
  function refuse(fieldErrors) {
    const details = Object.entries(fieldErrors).map(([field, message]) => ({ field, message }));
    return submit(() => Promise.reject(new ApiError(400, "validation", "", details)));
  }
  return { errors, setErrors, busy, submit, refuse };
}

/** For a card whose action removes the button pressed (a request's Accept or Decline: the
 * card shows its new status instead), focus fell to the page: call `expect()` as the action
 * is sent; once `value` (the status) changes, focus goes to `ref`'s element if it fell.
 * `failed()`: the action was refused, focus goes there now if it fell. */
export function useFocusOnChange(value) {
  const ref = useRef(null);
  const waiting = useRef(false);
  const land = () => {
    if (focusLost() && ref.current) ref.current.focus();
  };
  useEffect(() => {
    if (waiting.current) land();
    waiting.current = false;
  }, [value]);
  return {
    ref,
    expect: () => {
      waiting.current = true;
    },
    failed: () => {
      waiting.current = false;
      land();
    },
  };
}

/** Field errors that no visible field shows, folded into the form-level message. */
export function formError(errors, shown) {
  const rest = Object.entries(errors)
    .filter(([key]) => !shown.includes(key))
    .map(([key, text]) => (key ? `${key.replace(/_/g, " ")}: ${text}` : text));
  return rest.join(" ");
}

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30000;

/** While `error` says Wardmate could not be reached, calls retry() again: at once when the
 * browser comes back online or the live feed reconnects, else after a back-off (1 s,
 * doubling up to 30 s; none while the browser is offline). The network can come back a
 * moment after the page hears it is back: a page reloaded by the reconnected feed found
 * Wardmate unreachable and said so for good, its live feed working. */
export function useRetryWhenUnreachable(error, retry) {
  const delay = useRef(RETRY_FIRST_MS);
  const unreachable = Boolean(error && error.code === "unreachable");
  useEffect(() => {
    if (!unreachable) {
      delay.current = RETRY_FIRST_MS;
      return undefined;
    }
    let done = false;
    const again = () => {
      if (done) return;
      done = true;
      retry();
    };
    const timer = setTimeout(() => navigator.onLine !== false && again(), delay.current);
    delay.current = Math.min(RETRY_MAX_MS, delay.current * 2);
    let first = true; // onStatus reports the status at once: only a change counts
    const offStatus = live.onStatus((status) => {
      if (!first && status === "live") again();
      first = false;
    });
    window.addEventListener("online", again);
    return () => {
      done = true;
      clearTimeout(timer);
      offStatus();
      window.removeEventListener("online", again);
    };
  }, [error]);
}

/** Loads with fn() when deps change; returns {data, error, loading, reload}. A load that
 * found Wardmate unreachable tries again by itself (useRetryWhenUnreachable). A reload
 * keeps showing the data it replaces; new deps never show the old deps' data (a page
 * reused for another object, e.g. "Post a room" then an edit URL, once rendered the
 * previous object's data into the new one's form and crashed). */
export function useLoad(fn, deps) {
  const key = JSON.stringify(deps);
  const [state, setState] = useState({ data: null, error: null, loading: true, key });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    fn().then(
      (data) => live && setState({ data, error: null, loading: false, key }),
      (error) => live && setState({ data: null, error, loading: false, key }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const stale = state.key !== key;
  useRetryWhenUnreachable(stale ? null : state.error, () => setTick((t) => t + 1));
  return {
    data: stale ? null : state.data, error: stale ? null : state.error, loading: stale || state.loading,
    reload: () => setTick((t) => t + 1),
  };
}

/** The later pages of a keyset list whose first page is `first` (a useLoad state), read by
 * `fetchPage(cursor)`: {items, cursor, more}. `items` are the first page's and then the
 * later pages' (each once, by id); `more()` reads the next; `cursor` is null at the end.
 * A reload of the first page (after an action on an item, or a live update) reads the
 * pages already shown again too, from its new cursor: they stay shown, and an item on
 * them that changed shows its new state (it kept its old one, so a report resolved from
 * the second page still offered "Resolve"). The newest read wins: an older answer that
 * comes last is dropped. The inbox and notifications showed their first 50 only, with no
 * way to the rest. */
export function useMore(first, fetchPage, keyOf = (x) => x.id) {
  const [later, setLater] = useState({ items: [], cursor: undefined, pages: 0, after: null });
  const reads = useRef(0);
  const base = first.data;
  const cursor = later.cursor === undefined ? base && base.next_cursor : later.cursor;
  const shown = new Set(base ? base.items.map(keyOf) : []);
  const items = base ? [...base.items, ...later.items.filter((x) => !shown.has(keyOf(x)))] : [];
  useEffect(() => {
    if (!base || later.pages === 0 || later.after === base) return;
    const read = ++reads.current;
    (async () => {
      const again = [];
      let next = base.next_cursor;
      for (let n = 0; n < later.pages && next; n++) {
        const page = await fetchPage(next);
        again.push(...page.items);
        next = page.next_cursor;
      }
      if (read === reads.current) setLater({ items: again, cursor: next, pages: later.pages, after: base });
    })().catch(() => {}); // the pages shown stay as they were; the next reload tries again
  }, [base]);
  async function more() {
    const read = ++reads.current;
    const page = await fetchPage(cursor);
    if (read !== reads.current) return;
    setLater((l) => ({ items: [...l.items, ...page.items], cursor: page.next_cursor, pages: l.pages + 1, after: base }));
  }
  return { items, cursor, more };
}

/** "Show more" for useMore's list, while there is more. The list is the element before
 * it (or the list or table body inside that). Its last page read, the button leaves: focus
 * goes to the first item it brought (it fell to the page, and a keyboard user started
 * again from the top). */
export function ShowMore({ list, label = "Show more" }) {
  const [error, setError] = useState(null);
  const here = useRef(null);
  if (!list.cursor) return null;
  async function more() {
    const before = here.current && here.current.previousElementSibling;
    const items = before && (before.matches("ul, ol, tbody") ? before : before.querySelector("ul, ol, tbody"));
    const count = items ? items.children.length : 0;
    try {
      await list.more();
    } catch (err) {
      setError(err);
      return;
    }
    setTimeout(() => {
      const first = items && items.children[count];
      if (!first || !focusLost()) return;
      if (!first.hasAttribute("tabindex")) first.setAttribute("tabindex", "-1");
      first.focus();
    }, 0);
  }
  return html`<p ref=${here}><button type="button" class="secondary" onClick=${more}>${label}</button></p>
    <${Alert} error=${error} />`;
}

/** Whether a page's load was refused for its id: none such (404), or an id that is no id
 * at all (a link cut short, "#/letters/abc": the API's 400 names only the id's field,
 * "letter_id"), which the reader cannot tell apart and need not. */
function idRefused(error) {
  if (error.code === "not_found") return true;
  const details = error.code === "validation" && Array.isArray(error.details) ? error.details : [];
  return details.length > 0 && details.every((d) => Boolean(d) && /(^|_)id$/.test(String(d.field)));
}

/** A load's answer: `children(data)`, "Loading…" or its error. `notFound`: what a 404 (or
 * a malformed id's 400, idRefused) shows instead of the API's bare "Listing not found" or
 * "Invalid request" (a heading, why, a way back). */
export function Loading({ state, children, notFound }) {
  if (state.error && notFound && idRefused(state.error)) return notFound;
  if (state.error) return html`<${Alert} error=${state.error} />`;
  if (state.data === null) return html`<p class="loading" role="status">Loading…</p>`;
  return children(state.data);
}

// Small words in lower case, but where a name or a part of it starts ("... - LA JOLLA");
// other words of one or two letters are initials and stay ("BIRMINGHAM VA", "UF HEALTH"),
// but for "DR" and "ST". It kept every short word: "University OF Maryland", "Center AT Hope".
// The same rules as matching's hospital_name (services/matching/engine/wording.py).
const SMALL_WORDS = new Set(["OF", "AND", "THE", "AT", "IN", "FOR", "ON", "A", "DE", "LA", "EL", "DEL"]);
const capitalized = (w) => w.charAt(0) + w.slice(1).toLowerCase();
function titleWord(w, i, words) {
  const starts = i === 0 || words[i - 1] === "-";
  if (SMALL_WORDS.has(w)) return starts ? capitalized(w) : w.toLowerCase();
  return w.length <= 2 && w !== "ST" && w !== "DR" ? w : capitalized(w);
}
/** "UNIVERSITY OF MARYLAND MEDICAL CENTER" as "University of Maryland Medical Center". */
export function titleCase(text) {
  if (!text || text !== text.toUpperCase()) return text || "";
  return text.split(" ").map(titleWord).join(" ");
}

export function hospitalLabel(h) {
  if (h.label) return h.label;
  return `${titleCase(h.name)}, ${titleCase(h.city)}, ${h.state}`;
}

/** A rotation as a choice names it: "Cardiology at The Johns Hopkins Hospital, Baltimore,
 * MD, Jan 7, 2027 – Feb 4, 2027". */
export const rotationLabel = (r) => `${cap(r.specialty)} at ${hospitalLabel(r.hospital)}, ${fmtDate(r.start_date)} – ${fmtDate(r.end_date)}`;

/** Arrow keys through a list of suggestion buttons: Down from the input to the first,
 * Up from the first back to the input, Escape back to the input (and closes the list). */
function moveThroughChoices(e, list, input, close) {
  const buttons = list ? [...list.querySelectorAll("button")] : [];
  const at = buttons.indexOf(document.activeElement);
  let next = null;
  if (e.key === "ArrowDown") next = buttons[at + 1] || (at < 0 ? buttons[0] : null);
  else if (e.key === "ArrowUp") next = at > 0 ? buttons[at - 1] : at === 0 ? input : null;
  else if (e.key === "Escape" && buttons.length) {
    close();
    next = input;
  }
  if (next) {
    e.preventDefault();
    next.focus();
  }
}

/** Type, then pick one of the answers of `lookup(text)` (a promise of items): calls
 * onPick(item). `describe(item)` is an item's text, `keyOf(item)` its key. With `value`
 * (the item chosen, or null), the box shows the choice's name once picked (it emptied, and
 * the choice stood only in the hint below, as if nothing were entered), and typing over it
 * unpicks it: onPick(null). A text that finds nothing says so (the list stayed empty,
 * silent). */
export function Suggest({ label, name, value, onPick, error, lookup, describe, keyOf, hint, minChars = 2, chosen }) {
  const shown = value ? describe(value) : null;
  const [q, setQ] = useState(shown || "");
  const [results, setResults] = useState([]);
  const [none, setNone] = useState(null); // the text that found nothing
  const [failure, setFailure] = useState(null);
  const list = useRef(null);
  const box = useRef(null);
  const typing = useRef(false);
  useEffect(() => {
    // Picked, or set from outside (a URL's hospital named once looked up): its name; cleared
    // from outside ("Clear the hospital"): empty; unpicked by typing: the text typed stays.
    if (shown !== null) setQ(shown);
    else if (value !== undefined && !typing.current) setQ("");
    typing.current = false;
  }, [shown]);
  useEffect(() => {
    setNone(null);
    if (q.trim().length < minChars || (shown !== null && q === shown)) {
      setResults([]);
      return undefined;
    }
    const timer = setTimeout(() => {
      lookup(q.trim()).then(
        (items) => {
          setResults(items);
          setNone(items.length ? null : q.trim());
          setFailure(null);
        },
        (err) => setFailure(err),
      );
    }, 200);
    return () => clearTimeout(timer);
  }, [q]);
  const listId = useId(`${name}-choices`);
  const input = () => box.current && box.current.querySelector("input");
  const onKeyDown = (e) => moveThroughChoices(e, list.current, input(), () => setResults([]));
  function onInput(e) {
    const text = e.currentTarget.value;
    typing.current = true;
    setQ(text);
    if (value && text !== shown) onPick(null);
  }
  return html`<div class="picker" ref=${box} onKeyDown=${onKeyDown}>
    <${Field}
      label=${label}
      name=${name}
      type="search"
      autocomplete="off"
      value=${q}
      onInput=${onInput}
      hint=${chosen || hint}
      error=${error}
      aria-controls=${listId}
    />
    ${failure && html`<${Alert} error=${failure} />`}
    ${none && html`<p class="hint" role="status">Nothing matches “${none}”: check the spelling, or try fewer words.</p>`}
    <p class="visually-hidden" role="status">${results.length > 0
      ? `${results.length} suggestion${results.length === 1 ? "" : "s"}: press Down to choose one.` : ""}</p>
    <ul id=${listId} class="choices" ref=${list} aria-label=${`${label} suggestions`}>
      ${results.map(
        (item) =>
          html`<li key=${keyOf(item)}>
            <button
              type="button"
              class="choice"
              onClick=${() => {
                setQ(value !== undefined ? describe(item) : "");
                setResults([]);
                onPick(item);
                const field = input();
                if (field) field.focus();
              }}
            >
              ${describe(item)}
            </button>
          </li>`,
      )}
    </ul>
  </div>`;
}

/** Type a hospital's name, pick one of the directory's answers: calls onPick(hospital). */
export function HospitalPicker({ label = "Hospital", value, onPick, error, name = "hospital_id" }) {
  return html`<${Suggest} label=${label} name=${name} value=${value} onPick=${onPick} error=${error}
    lookup=${(q) => get("/hospitals", { q, limit: 8 }).then((page) => page.items)}
    describe=${hospitalLabel} keyOf=${(h) => h.id}
    chosen=${value ? `Chosen: ${hospitalLabel(value)}` : null}
    hint="Type at least two letters of its name, or an abbreviation such as MGH, then choose it" />`;
}

/** A US city or ZIP code (shared/places.py through GET /places): calls onPick(place). */
export function PlacePicker({ label, value, onPick, error, name = "place", hint }) {
  return html`<${Suggest} label=${label} name=${name} value=${value} onPick=${onPick} error=${error}
    lookup=${(q) => get("/places", { q, limit: 8 }).then((page) => page.items)}
    describe=${(p) => p.label} keyOf=${(p) => `${p.kind}-${p.label}`}
    chosen=${value ? `Chosen: ${value.label}` : null}
    hint=${hint || "Type a city or a ZIP code, then choose it"} />`;
}

let countryList = null;
/** Every country (code and name), fetched once: 249 entries, filtered as one types. */
export function countries() {
  if (!countryList) countryList = get("/countries").then((r) => r.items, (err) => { countryList = null; throw err; });
  return countryList;
}

const fold = (text) => text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
/** Countries whose name has a word starting with what is typed (or whose code it is). */
export async function matchCountries(q) {
  const text = fold(q.trim());
  const all = await countries();
  return all.filter((c) => c.code.toLowerCase() === text || ` ${fold(c.name)}`.includes(` ${text}`)).slice(0, 8);
}

/** Names of codes: countries from the cached list, languages from the API. */
export function useNames(kind, codes) {
  const [names, setNames] = useState({});
  const key = codes.join(",");
  useEffect(() => {
    if (!key) return;
    const load = kind === "countries" ? countries() : get("/languages", { codes: key }).then((r) => r.items);
    load.then((items) => setNames(Object.fromEntries(items.map((n) => [n.code, n.name]))), () => {});
  }, [kind, key]);
  return (code) => names[code] || code;
}

// Amenities people look for, ticked rather than typed (the API takes any word; these are
// the ones the client offers, plus whatever a listing already has).
export const AMENITIES = [
  "wifi", "desk", "kitchen", "laundry", "parking", "private_bath", "air_conditioning", "furnished", "linens",
  "near_transit", "pets_allowed", "gym",
];

/** An amenity in words, as the filter, the cards and the room page all write it ("Wi-Fi",
 * "air conditioning"): the cards wrote "wifi" where the filter said "Wifi". */
export const amenityName = (a) => (a === "wifi" ? "Wi-Fi" : words(a));
/** A room's amenities as one line: "Kitchen, Wi-Fi, air conditioning". */
export const amenityLine = (list) => cap(list.map(amenityName).join(", "));

/** Checkboxes for amenities: `value` the ticked ones, onChange(next list). */
export function AmenityBoxes({ value, onChange, error, legend = "Amenities" }) {
  const all = [...AMENITIES, ...value.filter((a) => !AMENITIES.includes(a))];
  const toggle = (a) => (e) => onChange(e.currentTarget.checked ? [...value, a] : value.filter((x) => x !== a));
  return html`<fieldset class="boxes">
    <legend>${legend}</legend>
    ${all.map((a) => html`<${Field} key=${a} label=${cap(amenityName(a))} name=${`amenity-${a}`} type="checkbox"
      checked=${value.includes(a)} onChange=${toggle(a)} />`)}
    ${error && html`<p class="error">${error}</p>`}
  </fieldset>`;
}

const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
export const fmtMoney = (n) => money.format(n);
/** Dollars to the cent: sums of amounts drift (0.1 + 0.2 is 0.30000000000000004). */
export const toCents = (n) => Math.round(n * 100) / 100;
/** The total of `items`' `amount`s, to the cent. */
export const sumAmounts = (items) => toCents(items.reduce((sum, x) => sum + x.amount, 0));
export function fmtDate(iso) {
  if (!iso) return "";
  const d = new Date(`${String(iso).slice(0, 10)}T00:00:00`);
  return d.toLocaleDateString("en-US", { year: "numeric", month: "short", day: "numeric" });
}
/** The day of a moment (a timestamp) on the reader's clock: its UTC date read "Paid Dec 8"
 * on a receipt "Issued Dec 7" in Los Angeles, and "Asked you on Dec 8" of a request made on
 * the 7th there. `fmtDate` is for dates, which are the same everywhere. */
export function fmtDay(instant) {
  if (!instant) return "";
  return new Date(instant).toLocaleDateString("en-US", { year: "numeric", month: "short", day: "numeric" });
}
/** A moment on the browser's clock, naming its zone: "Dec 6, 9:18 PM EST" (it read "Dec 6,
 * 9:18 PM" beside times on a room's or plan's clock that name theirs). */
export function fmtTime(iso) {
  return new Date(iso).toLocaleString("en-US", {
    month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short",
  });
}
/** When, briefly, as a list row gives it: "2:15 PM" today, "Dec 5" this year, else "Dec 5,
 * 2025" (the browser's clock, as the messages' own times). */
export function fmtWhen(iso) {
  const at = new Date(iso);
  const now = new Date();
  if (at.toDateString() === now.toDateString()) return at.toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" });
  return at.toLocaleDateString("en-US", { month: "short", day: "numeric", ...(at.getFullYear() === now.getFullYear() ? {} : { year: "numeric" }) });
}
/** A moment with its year and zone: "Jan 15, 2027, 3:00 PM CST", on the clock of `zone` (the
 * room's IANA zone) when given, else of the browser (still named, so it is never mistaken
 * for the room's). */
export function fmtMoment(iso, zone) {
  return new Date(iso).toLocaleString("en-US", {
    year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short",
    ...(zone ? { timeZone: zone } : {}),
  });
}
/** A deadline on the room's clock (`fmtMoment`), and on the reader's when theirs differs:
 * "Dec 9, 2026, 9:13 AM EST (7:43 PM your time)", with the day when it is another there
 * ("(Dec 10, 1:30 AM your time)"). A student abroad before the rotation read the room's
 * clock alone and had to work out when "by 9:13 AM EST" was for them. */
export function fmtDeadline(iso, zone) {
  const at = fmtMoment(iso, zone);
  const ms = new Date(iso).getTime();
  if (!zone || onZoneClock(zone, ms)) return at;
  const day = (options) => new Date(ms).toLocaleDateString("en-US", { month: "short", day: "numeric", ...options });
  const time = new Date(ms).toLocaleTimeString("en-US", { hour: "numeric", minute: "2-digit" });
  const sameDay = day({}) === day({ timeZone: zone });
  return `${at} (${sameDay ? time : `${day({})}, ${time}`} your time)`;
}
/** Whether this device's clock reads `zone`'s time at the instant `ms` (by offset, so
 * Asia/Calcutta and Asia/Kolkata are one). In whole minutes: zoneOffset reads the wall
 * clock to the second, the instant has its milliseconds. */
export function onZoneClock(zone, ms = Date.now()) {
  return Math.round(zoneOffset(ms, zone) / 60000) === -new Date(ms).getTimezoneOffset();
}
/** The offset of IANA zone `zone` from UTC at the instant `ms`, in milliseconds. */
function zoneOffset(ms, zone) {
  const parts = {};
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric", hour: "numeric", minute: "numeric", second: "numeric",
  });
  for (const p of format.formatToParts(new Date(ms))) parts[p.type] = Number(p.value);
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - ms;
}
/** A wall-clock time ("2027-01-15T10:00", a datetime-local input's value) on the clock of
 * IANA zone `zone`, as an ISO instant ("2027-01-15T15:00:00.000Z" for America/New_York).
 * `new Date(value)` reads it on the browser's clock, which is not the zone a page names. */
export function wallTimeIn(value, zone) {
  const [day, time] = value.split("T");
  const [y, mo, d] = day.split("-").map(Number);
  const [h, mi] = time.split(":").map(Number);
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  // The zone's offsets a day either side: one, or the two of a clock change that day. The
  // first that reads back as this wall time gives the instant (an hour repeated as clocks
  // go back: its first time).
  const DAY = 86400000;
  const before = zoneOffset(wall - DAY, zone);
  const after = zoneOffset(wall + DAY, zone);
  for (const offset of before === after ? [before] : [before, after]) {
    if (zoneOffset(wall - offset, zone) === offset) return new Date(wall - offset).toISOString();
  }
  // A time the clocks skip as they go forward (2:30 AM in New York on Mar 14, 2027): the
  // same time after the change (3:30 AM), as calendar apps read it. It became 1:30 AM.
  return new Date(wall - before).toISOString();
}
/** "15:00:00" (a wall-clock time, as the API gives one) as "3:00 PM". */
export function fmtClock(hms) {
  const [h, m] = String(hms).split(":").map(Number);
  return `${h % 12 || 12}:${String(m).padStart(2, "0")} ${h < 12 ? "AM" : "PM"}`;
}
/** A stay's moment on the room's clock, as the API gives it (its wall time there with the
 * zone's offset, and the zone's abbreviation then): "Jan 14 from 3:00 PM PST" (with
 * `word` "from"). Read from the text, never converted: the browser's own zone plays no part. */
export function fmtRoomTime(moment, word) {
  const [day, time] = String(moment.at).split("T");
  const date = new Date(`${day}T00:00:00`).toLocaleDateString("en-US", { month: "short", day: "numeric" });
  return `${date} ${word} ${fmtClock(time.slice(0, 8))} ${moment.zone_abbreviation}`;
}
/** "Check-in Jan 14 from 3:00 PM PST, check-out Feb 11 by 11:00 AM PST" for a booking or a quote. */
export const stayTimes = (s) => `Check-in ${fmtRoomTime(s.check_in_at, "from")}, check-out ${fmtRoomTime(s.check_out_by, "by")}`;
export const roomType = (t) => ({ private_room: "Private room", entire_place: "Entire place", shared_room: "Shared room" })[t] || t;
/** "cardiology" as "Cardiology". */
export const cap = (s) => (s ? s.charAt(0).toUpperCase() + s.slice(1) : "");
/** An API's reason ("the minimum stay is 21 nights") as a sentence on its own. */
export const sentence = (s) => (s ? `${cap(s)}${/[.!?]["”’)]?$/.test(s) ? "" : "."}` : "");
export const words = (s) => String(s || "").replace(/_/g, " ");
/** A professional's work as people write it: "Physician · Pediatrics, Internal medicine" (profiles
 * keep what was typed, often lowercase: "physician", ["pediatrics"]). */
export function professionLine(profession, specialties = []) {
  return [cap(words(profession)) || "Medical professional", specialties.map((s) => cap(words(s))).join(", ")]
    .filter(Boolean).join(" · ");
}

// A value and its unit stay on one line: at 375 px "1.5" ended a line and "km" began the next.
const unbroken = (text) => html`<span class="nowrap">${text}</span>`;
/** A distance as matching's reasons write it (services/matching/engine/wording.py,
 * `distance`), unbroken: "650 m" under 1 km, "1.5 km" under 10, "12 km" beyond. A room
 * match's card read "0.7 km from the hospital" above its reason "650 m from The Johns
 * Hopkins Hospital". */
export function fmtKm(km) {
  if (km < 0.95) return unbroken(`${Math.max(50, Math.round((km * 1000) / 50) * 50)} m`);
  return unbroken(km < 9.95 ? `${km.toFixed(1)} km` : `${Math.round(km)} km`);
}
/** "14 nights" (or "1 night"), unbroken. */
/** The nights between two "YYYY-MM-DD" dates. */
export const nightsBetween = (from, to) => Math.round((Date.parse(to) - Date.parse(from)) / 86400000);
export const fmtNights = (n) => unbroken(`${n} ${n === 1 ? "night" : "nights"}`);
/** "$900.00/month", unbroken (a line may otherwise end after the slash). */
export const fmtPerMonth = (amount) => unbroken(`${fmtMoney(amount)}/month`);

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

/** After a page change, focus moves to the new page's heading (once it has rendered),
 * unless the page has already put it somewhere (a form's first field, a chosen card).
 * Also for a page shown in place of another at the same URL (logging in on #/: no
 * hashchange, and focus stayed on the page's body). */
export function focusHeading() {
  const hash = location.hash;
  const from = document.activeElement;
  let tries = 0;
  // The page, not its query: a page that writes its own query into the URL (search adds its
  // defaults with replaceState, no hashchange) is still the page this call is for (focus
  // was left on the body after a hospital picked on the first page).
  const page = (h) => h.split("?")[0];
  const attempt = () => {
    if (page(location.hash) !== page(hash)) return; // another page since: its own call takes over
    const main = document.getElementById("main");
    const active = document.activeElement;
    // The new page put focus on something of its own: leave it there.
    if (main && active && active !== main && main.contains(active)) return;
    // The reader moved on meanwhile (tabbed, clicked elsewhere): leave it too.
    if (active && active !== from && active !== document.body && active !== main) return;
    const heading = document.querySelector("#main h1");
    if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    } else if (++tries < HEADING_TRIES) setTimeout(attempt, 50);
  };
  setTimeout(attempt, 0);
}

// A page whose heading comes with its data (a room, a plan, a letter) on a slow answer:
// it was given 2 s, then focus stayed where the link was clicked, or on the body.
const HEADING_TRIES = 300; // 15 s of 50 ms

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

/** A count beside a link; ``one``: its label for a count of 1 ("1 unread message"). */
export function Badge({ count, label, one = label }) {
  if (!count) return null;
  return html`<span class="badge" aria-label=${`${count} ${count === 1 ? one : label}`}>${count}</span>`;
}

/** The verified badge, worded by the person's role wherever it shows (a student read "Student
 * not verified" on their profile and "Not verified" on a mentor's card): every caller
 * passes `role`; hosts and mentors are professionals. */
export function Verified({ verified, role }) {
  // A student is verified by a checked proof of enrolment (issue #17): hosts see it as such.
  // What it means, on hover (the badge said nothing of who checked what).
  if (role === "student") {
    return verified ? html`<span class="verified" title="Wardmate checked a proof of enrolment">✓ Verified student</span>`
      : html`<span class="unverified">Student not verified</span>`;
  }
  return verified ? html`<span class="verified" title="Wardmate checked this professional's NPI or licence">✓ Verified</span>`
    : html`<span class="unverified">Not verified</span>`;
}

/** A status as a badge; `label` when its code is not the word a reader knows. */
export function Status({ status, label }) {
  return html`<span class=${`status status-${status}`}>${label || words(status).replace(/^./, (c) => c.toUpperCase())}</span>`;
}

/** Today's date at the IANA zone `zone` (a room's), on the server's clock: a student
 * abroad, a day ahead of the room, could not pick tonight there (the picker's least day was
 * their own today). */
export const todayIn = (zone) => new Intl.DateTimeFormat("en-CA", { timeZone: zone }).format(serverNow());

/** The earliest day still today somewhere on Earth (UTC-12), on the server's clock: the
 * API's "today" for a rotation (one that ends tomorrow anywhere is not over). A rotation
 * under way in the US read "over" in Lagos and Kolkata, whose date had turned. */
export const earliestToday = () => new Date(serverNow() - 12 * 3600 * 1000).toISOString().slice(0, 10);

export function today(offsetDays = 0) {
  const d = new Date();
  d.setDate(d.getDate() + offsetDays);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** What a button asks before it acts (`ask(what)`; null: nothing asked) and its "Keep it"
 * (`keep`), after which focus goes back to the button that asked (`button`, its ref). */
export function useAsking() {
  const [asking, ask] = useState(null);
  const button = useRef(null);
  const back = useRef(false);
  useEffect(() => {
    if (!asking && back.current && button.current) button.current.focus();
    back.current = false;
  }, [asking]);
  const keep = () => {
    back.current = true;
    ask(null);
  };
  return { asking, ask, keep, button };
}

/** A destructive action asked twice, inline: the button, then "Yes, …" or "Keep it". */
export function ConfirmButton({ label, question, yes, onConfirm, className = "secondary" }) {
  const { asking, ask, keep, button } = useAsking();
  if (!asking) return html`<button type="button" class=${className} ref=${button} onClick=${() => ask(true)}>${label}</button>`;
  return html`<${ConfirmQuestion} question=${question} yes=${yes} onYes=${() => { ask(null); onConfirm(); }} onKeep=${keep} />`;
}

/** The question of a destructive action, with "Yes, …" and "Keep it" (Escape keeps). It
 * takes focus on its safe answer: Enter twice does not do what cannot be undone. */
export function ConfirmQuestion({ question, yes, onYes, onKeep }) {
  const keep = useRef(null);
  useEffect(() => {
    if (keep.current) keep.current.focus();
  }, []);
  const onKeyDown = (e) => {
    if (e.key !== "Escape") return;
    e.stopPropagation();
    onKeep();
  };
  return html`<span class="confirm-inline" role="group" aria-label=${question} onKeyDown=${onKeyDown}>
    <span>${question}</span>
    <button type="button" class="danger" onClick=${onYes}>${yes}</button>
    <button type="button" class="secondary" ref=${keep} onClick=${onKeep}>Keep it</button>
  </span>`;
}
