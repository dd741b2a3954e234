// Room search: near a hospital, a US city or ZIP code (or a point), for dates, by rent,
// room type and ticked amenities, sorted as the API allows, a page at a time.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { get } from "../api.js";
import {
  Alert, AmenityBoxes, Empty, amenityLine, Field, HospitalPicker, PlacePicker, Verified, fmtKm, fmtMoney, fmtNights, fmtPerMonth,
  focusLost, formError, href, hospitalLabel, nightsBetween, roomType, today, useForm,
} from "../ui.js";
import { Cover } from "./photos.js";

/** For a search with dates that found nothing: the shortest minimum stay among the rooms it
 * finds without dates (the nearest 100), if longer than the stay asked for, else null. A
 * search of 4 nights said "Try a wider radius, other dates or fewer amenities" when every
 * room asked for 14 nights or more. */
async function shortestStay(search) {
  if (!search.from || !search.to) return null;
  try {
    const { from, to, cursor, ...dateless } = search;
    const page = await get("/listings", { ...dateless, limit: 100 });
    if (page.items.length === 0) return null;
    const shortest = Math.min(...page.items.map((l) => l.min_stay_nights));
    return shortest > nightsBetween(from, to) ? shortest : null;
  } catch {
    return null; // the plain advice then
  }
}

/** What the API's place parameter takes for a picked place: the ZIP code, or "City, ST". */
const placeParam = (p) => (p.kind === "zip" ? p.zip : p.label);

/** The place of a search's URL (as `urlOf` writes it): its parameter, and its name and point
 * when the URL has them (the cards' "About 1.5 km from Fargo, ND 58102", the links' point). */
function placeFrom(query) {
  if (!query.place) return null;
  const point = query.lat && query.lon ? { latitude: Number(query.lat), longitude: Number(query.lon) } : {};
  return /^[0-9]{5}$/.test(query.place)
    ? { kind: "zip", zip: query.place, label: query.hname || query.place, ...point }
    : { kind: "named", label: query.place, ...point };
}

/** The URL's query for a search sent (`search`, the API's parameters) from its centre
 * (`context`: the hospital or place, named, with its point): what Search reads back. */
function urlOf(search, context) {
  const { hospital_id: _hospital, ...rest } = search;
  // A hospital's link without its point (`#/search?hospital=...`) has none to write.
  return Object.fromEntries(Object.entries({ ...context, ...rest }).filter(([, v]) => !Number.isNaN(v)));
}


// The last search run in this tab, kept for the tab's session (a room reloaded lost its way
// back): `hash`, its URL's fragment, and once its results were left, where (`pages`, `y`,
// `opened`: see keepPlace). A room opened from it links back to it (the menu's "Find a room"
// began anew, and a keyboard user's only other way back was the browser's own Back).
const LAST_SEARCH = "wardmate.lastSearch";
function lastSearch() {
  try {
    const last = JSON.parse(sessionStorage.getItem(LAST_SEARCH) || "null");
    return last && typeof last.hash === "string" ? last : null;
  } catch {
    return null;
  }
}
function keepLastSearch(last) {
  try {
    sessionStorage.setItem(LAST_SEARCH, JSON.stringify(last));
  } catch {
    // Storage refused (a private window's quota): the room offers no way back, and Back
    // still finds the place in the history entry.
  }
}
/** A search run: a new one replaces the last (the place kept is the same search's only). */
function rememberSearch(hash) {
  const last = lastSearch();
  if (!last || last.hash !== hash) keepLastSearch({ hash });
}
/** The last search run here, as its URL's fragment ("#/search?…"), when it ran from the
 * hospital or point a room's `query` names (its card's link names them), else null (a room
 * opened from elsewhere led back to some earlier, other search). */
export function lastSearchFor(query) {
  const last = lastSearch();
  if (!last) return null;
  const params = new URLSearchParams(last.hash.split("?")[1] || "");
  const same = query.hospital ? params.get("hospital") === query.hospital : Boolean(query.lat) && params.get("lat") === query.lat;
  return same ? last.hash : null;
}

/** Whether two searches' parameters (cursor aside) are the same search. */
const sameSearch = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// Where the results were left, kept in the history entry's state ({pages, y, opened}: pages
// of results shown, the scroll position and the room last opened from them), so Back from a
// listing, or a reload, shows as many rooms as before at the same place (it showed the first
// page, at the top), with focus on the room's link (it went to the page's heading: a
// keyboard user tabbed through the whole form again to reach the next room).
const MOST_PAGES_KEPT = 10;
// The room's "Back to your search" link opens the search anew (a history entry of its own,
// with no state): it finds the place kept for the tab with the search it belongs to.
function placeOf(hash) {
  const last = lastSearch();
  return last && last.hash === hash && last.pages ? last : null;
}
const leftAt = () => (history.state && history.state.search) || placeOf(location.hash);
function keepPlace(pages, opened = leftAt()?.opened) {
  if (!location.hash.startsWith("#/search")) return; // already on the next page
  const place = { pages, y: Math.round(window.scrollY), opened };
  history.replaceState({ ...history.state, search: place }, "");
  keepLastSearch({ ...place, hash: location.hash });
}

// Each arrival on the page has a query object of its own (app.js parses the hash anew on
// every hashchange: a link, the menu's "Find a room", Back or Forward, a URL typed), and the
// page is keyed on it: its form, pickers and results start from that URL as on a fresh load.
// Reused with a new query, it kept the last search's form and results. Keyed on the query's
// text, #/search again (after a search run there rewrote the URL) was no new query. The
// page's own URL updates (replaceState) fire no hashchange: typing and focus stay as they are.
const arrivals = new WeakMap();
let arrived = 0;
function arrivalOf(query) {
  if (!arrivals.has(query)) arrivals.set(query, ++arrived);
  return arrivals.get(query);
}

export function Search({ query }) {
  return html`<${SearchPage} key=${arrivalOf(query)} query=${query} />`;
}

function SearchPage({ query }) {
  // A link without the hospital's name (typed by hand, or older than `hname`) named it by
  // its id ("essentia-health-fargo-fargo-nd"): it is looked up, and the search runs once
  // it is named (the id stays its name only if the lookup fails).
  const unnamed = Boolean(query.hospital && !query.hname);
  const [named, setNamed] = useState(!unnamed);
  const [hospital, setHospital] = useState(
    query.hospital ? {
      id: query.hospital, name: query.hname || query.hospital, city: "", state: "", latitude: Number(query.lat), longitude: Number(query.lon),
      label: unnamed ? "looking it up…" : query.hname,
    } : null,
  );
  const [place, setPlace] = useState(placeFrom(query));
  const [amenities, setAmenities] = useState(query.amenities ? query.amenities.split(",") : []);
  const [verifiedOnly, setVerifiedOnly] = useState(query.verified_hosts === "true");
  const [f, setF] = useState({
    near: query.near || "", from: query.from || "", to: query.to || "", max_rent: query.max_rent || "",
    room_type: query.room_type || "", sort: query.sort || "distance", radius_km: query.radius_km || "25",
  });
  const [results, setResults] = useState(null);
  const pagesShown = useRef(0);
  const scrollBackTo = useRef(null);
  const focusBackTo = useRef(null);
  // Search pressed: its results are brought into view when they begin below the screen (on
  // a phone, a screen and a half below the button, past the amenities, with nothing to say
  // they had come); focus stays on Search, to search again, and their count is announced.
  const reveal = useRef(false);
  const resultsHeading = useRef(null);
  const moreButton = useRef(null);
  const form = useForm();
  const set = (key) => (e) => setF({ ...f, [key]: e.currentTarget.value });
  const context = hospital
    ? { hospital: hospital.id, hname: hospitalLabel(hospital), lat: hospital.latitude, lon: hospital.longitude }
    : place && place.latitude !== undefined ? { hname: place.label, lat: place.latitude, lon: place.longitude } : {};
  // A hospital picked here is the directory's ("THE JOHNS HOPKINS HOSPITAL"): named as the
  // rotation and home pickers name it ("The Johns Hopkins Hospital, Baltimore, MD").
  const centreName = hospital ? hospitalLabel(hospital) : place ? place.label : "your search's centre";

  /** The form's search as it stands (not yet sent, perhaps). */
  function params() {
    return {
      hospital_id: hospital ? hospital.id : undefined,
      place: !hospital && place ? placeParam(place) : undefined,
      near: hospital || place ? undefined : f.near.replace(/\s/g, "") || undefined,
      from: f.from || undefined, to: f.to || undefined, max_rent: f.max_rent || undefined, room_type: f.room_type || undefined,
      amenities: amenities.join(",") || undefined,
      verified_hosts: verifiedOnly || undefined,
      sort: f.sort, radius_km: f.radius_km || undefined,
    };
  }
  // Results remember the search that made them (`search`): a cursor pages only that search
  // (the server refuses it with other parameters), and the cards' nights, links and
  // distances are its own, whatever the form says since.
  // `back`: where this search was left (`leftAt`), to show as many pages and scroll there.
  async function run(back = null) {
    // Another page is on its way (a link followed before this page's first search, which
    // runs after paint): its hashchange reads the URL when it fires, and read this one's.
    if (!location.hash.startsWith("#/search")) return;
    const search = params();
    const about = { context, centreName };
    // The search sent is the page's URL: Back from a listing, a reload or a shared link
    // shows it again (they lost the dates, rent and sort). Replaced, not pushed: the page
    // stays as it is, and Back leaves the search rather than stepping through its runs.
    history.replaceState({ ...history.state, search: back }, "", href("/search", urlOf(search, context)));
    rememberSearch(location.hash);
    const pages = Math.min(back ? back.pages : 1, MOST_PAGES_KEPT);
    const page = await form.submit(async () => {
      const first = await get("/listings", search);
      const seen = new Set(first.items.map((l) => l.id));
      let shown = 1;
      for (; first.next_cursor && shown < pages; shown++) {
        const later = await get("/listings", { ...search, cursor: first.next_cursor });
        for (const l of later.items) if (!seen.has(l.id)) first.items.push(l);
        later.items.forEach((l) => seen.add(l.id));
        first.next_cursor = later.next_cursor;
      }
      return { ...first, pages: shown, shortestStay: first.items.length === 0 ? await shortestStay(search) : null };
    });
    // Refused (dates reversed, a rent of 0): the rooms shown were another search's, under
    // the form that now says something else, and the URL already this one's.
    if (!page) {
      reveal.current = false;
      return setResults(null);
    }
    scrollBackTo.current = back ? back.y : null;
    focusBackTo.current = back ? back.opened : null;
    setResults({ ...page, search, about });
  }
  /** "More results": the next page of the search shown; a form changed since then
   * (another sort, dates or filter) is a new search from its first page instead. */
  async function more() {
    if (!sameSearch(params(), results.search)) return run();
    const { search, next_cursor: cursor } = results;
    const shownBefore = results.items.length;
    const page = await form.submit(() => get("/listings", { ...search, cursor }));
    if (!page) return undefined;
    // Focus goes to the first room added, from the button pressed (it fell to the page with
    // the button, disabled while the page loaded, or gone after the last page).
    setTimeout(() => {
      const added = document.querySelectorAll('ul[aria-label="Rooms"] > li h3 a')[shownBefore];
      if (added && (focusLost() || document.activeElement === moreButton.current)) added.focus();
    }, 0);
    // A room whose rent changed between two pages of a price search can come again (keyset
    // pages follow the rent as it is now): each room is shown once. A search run meanwhile
    // replaced these results, and this page belongs to none shown.
    return setResults((shown) => {
      if (shown.search !== search) return shown;
      const seen = new Set(shown.items.map((l) => l.id));
      return {
        ...shown, items: [...shown.items, ...page.items.filter((l) => !seen.has(l.id))], next_cursor: page.next_cursor, pages: shown.pages + 1,
      };
    });
  }
  useEffect(() => {
    if (!unnamed) return;
    get(`/hospitals/${encodeURIComponent(query.hospital)}`).catch(() => null).then((found) => {
      setHospital((h) => (h && h.id === query.hospital ? found || { ...h, label: query.hospital } : h));
      setNamed(true);
    });
  }, []);
  useEffect(() => {
    if (named) run(leftAt());
  }, [named]);
  useEffect(() => {
    // The scroll position is kept once scrolling stops (and when a room is opened).
    let timer;
    const onScroll = () => {
      clearTimeout(timer);
      timer = setTimeout(() => keepPlace(pagesShown.current), 300);
    };
    window.addEventListener("scroll", onScroll, { passive: true });
    return () => {
      clearTimeout(timer);
      window.removeEventListener("scroll", onScroll);
    };
  }, []);
  useEffect(() => {
    if (!results) return;
    pagesShown.current = results.pages;
    if (scrollBackTo.current !== null) window.scrollTo(0, scrollBackTo.current);
    else if (reveal.current && resultsHeading.current && resultsHeading.current.getBoundingClientRect().top > window.innerHeight) {
      resultsHeading.current.scrollIntoView({ block: "start" });
    }
    const opened = focusBackTo.current && document.querySelector(`#main a[data-room="${CSS.escape(focusBackTo.current)}"]`);
    const active = document.activeElement;
    // Unless the reader has moved on meanwhile (typing in the form, say).
    if (opened && (!active || active === document.body || active.id === "main" || active.tagName === "H1")) {
      opened.focus({ preventScroll: true });
    }
    scrollBackTo.current = null;
    focusBackTo.current = null;
    reveal.current = false;
    keepPlace(results.pages);
  }, [results]);
  /** A "Clear" button goes with what it cleared: focus to that picker's box, or it fell to
   * the page. */
  function pickAgain(e, name) {
    const box = e.currentTarget.form.elements.namedItem(name);
    if (box) box.focus();
  }
  function onSubmit(e) {
    e.preventDefault();
    // Text typed in a picker and not chosen from its suggestions was left out of the search,
    // which then showed rooms anywhere with no word of it ("Hopkins", then Escape).
    const typed = (name) => (e.currentTarget.elements.namedItem(name)?.value || "").trim();
    const refuse = (errors) => {
      setResults(null);
      return form.refuse(errors);
    };
    if (!hospital && typed("hospital_id")) return refuse({ hospital_id: "Choose the hospital from the suggestions" });
    if (!hospital && !place && typed("place")) return refuse({ place: "Choose the city or ZIP code from the suggestions" });
    reveal.current = true;
    return run();
  }
  const err = form.errors;
  const shown = ["hospital_id", "place", "near", "from", "to", "max_rent", "room_type", "amenities", "verified_hosts", "sort", "radius_km"];
  return html`<section>
    <h1>Find a room</h1>
    <form class="search" onSubmit=${onSubmit} novalidate aria-label="Search rooms">
      <${HospitalPicker} label="Near hospital" value=${hospital} onPick=${(h) => setHospital(h)} error=${err.hospital_id} />
      ${hospital && html`<button type="button" class="link" onClick=${(e) => { pickAgain(e, "hospital_id"); setHospital(null); }}>Clear the hospital</button>`}
      ${!hospital && html`<${PlacePicker} label="Or near a city or ZIP code" value=${place} onPick=${setPlace} error=${err.place || err.near} />`}
      ${!hospital && place && html`<button type="button" class="link" onClick=${(e) => { pickAgain(e, "place"); setPlace(null); }}>Clear the place</button>`}
      <div class="row">
        <${Field} label="Check-in" name="from" type="date" min=${today()} value=${f.from} onInput=${set("from")} error=${err.from} />
        <${Field} label="Check-out" name="to" type="date" min=${f.from || today(1)} value=${f.to} onInput=${set("to")} error=${err.to} />
        <${Field} label="Within (km)" name="radius_km" type="number" min="0.1" max="500" step="0.1" value=${f.radius_km} onInput=${set("radius_km")} error=${err.radius_km} />
      </div>
      <div class="row">
        <${Field} label="Max rent per month (USD)" name="max_rent" type="number" inputmode="numeric" min="1" value=${f.max_rent} onInput=${set("max_rent")} error=${err.max_rent} />
        <${Field} as="select" label="Room type" name="room_type" value=${f.room_type} onChange=${set("room_type")} error=${err.room_type}>
          <option value="">Any</option><option value="private_room">Private room</option><option value="entire_place">Entire place</option><option value="shared_room">Shared room</option>
        <//>
        <${Field} as="select" label="Sort by" name="sort" value=${f.sort} onChange=${set("sort")} error=${err.sort}>
          <option value="distance">Distance</option><option value="price">Price</option><option value="newest">Newest</option>
        <//>
      </div>
      <${AmenityBoxes} legend="With these amenities" value=${amenities} onChange=${setAmenities} error=${err.amenities} />
      <label class="check"><input type="checkbox" name="verified_hosts" checked=${verifiedOnly}
        onChange=${(e) => setVerifiedOnly(e.currentTarget.checked)} /> Only hosts Wardmate has verified</label>
      <${Alert} error=${formError(err, shown)} />
      <button type="submit" disabled=${form.busy}>Search</button>
    </form>
    ${results && html`<section aria-labelledby="results-h">
      <h2 id="results-h" ref=${resultsHeading}>Results</h2>
      ${results.items.length > 0 && html`<p class="hint" role="status">${results.items.length}${results.next_cursor ? "+" : ""} room${results.items.length === 1 && !results.next_cursor ? "" : "s"}${results.about.context.hname ? ` near ${results.about.centreName}` : ""}</p>`}
      ${results.items.length === 0 && results.shortestStay ? html`<${Empty}>No rooms for ${fmtNights(nightsBetween(results.search.from, results.search.to))}: the rooms
        here ask for a stay of at least ${fmtNights(results.shortestStay)}. Try longer dates.</${Empty}>`
        : results.items.length === 0 ? html`<${Empty}>No rooms match. Try a wider radius, other dates or fewer amenities${results.search.verified_hosts ? ", or hosts not verified yet" : ""}.</${Empty}>`
        : html`<ul class="cards" aria-label="Rooms">${results.items.map((l) => html`<li class="card" key=${l.id}>
          <${Cover} listing=${l} />
          <h3><a href=${href(`/listings/${l.id}`, { ...results.about.context, from: results.search.from, to: results.search.to })}
            data-room=${l.id} onClick=${() => keepPlace(pagesShown.current, l.id)}>${l.title}</a></h3>
          <p>${roomType(l.room_type)} · ${fmtPerMonth(l.monthly_rent)}</p>
          ${l.distance_km !== null && html`<p class="where">About ${fmtKm(l.distance_km)} from ${results.about.centreName}</p>`}
          ${l.stay_total !== null && html`<p><strong>${fmtMoney(l.stay_total)}</strong> for your ${fmtNights(nightsBetween(results.search.from, results.search.to))}</p>`}
          <p>${amenityLine(l.amenities)}${l.review_count ? ` · ★ ${l.review_average.toFixed(1)} (${l.review_count})` : ""}</p>
          <p>Host: ${l.host.display_name} <${Verified} verified=${l.host.verified} role="professional" /></p>
        </li>`)}</ul>`}
      ${results.next_cursor && html`<button type="button" class="secondary" ref=${moreButton} disabled=${form.busy} onClick=${more}>More results</button>`}
    </section>`}
  </section>`;
}

