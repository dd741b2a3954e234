// A host's rooms (archive asks first, on the page: it was the browser's own dialog) and the room form: address and ZIP code (the
// position starts at the ZIP's centre, approximate, until the pin is moved or coordinates
// are typed), amenities ticked from a list, the window and the status.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { del, get, getAll, patch, post } from "../api.js";
import { loadLeaflet, mapConfig } from "../map.js";
import {
  Alert, AmenityBoxes, ConfirmButton, ConfirmQuestion, Empty, Field, Loading, ShowMore, Status, fmtDate, fmtNights, fmtPerMonth,
  formError, go, today, useForm, useLoad, useMore,
} from "../ui.js";
import { useSession } from "../session.js";
import { PhotoEditor } from "./photos.js";
import { sayOnRoom } from "./listings.js";

export function MyListings() {
  const state = useLoad(() => get("/me/listings", { limit: 100 }), []);
  const list = useMore(state, (cursor) => get("/me/listings", { limit: 100, cursor }));
  const [error, setError] = useState(null);
  async function archive(l) {
    setError(null);
    try {
      await del(`/listings/${l.id}`);
      state.reload();
    } catch (err) {
      setError(err);
    }
  }
  return html`<section>
    <h1>Your rooms</h1>
    <p><a class="button" href="#/listings/new">Post a room</a></p>
    <${Alert} error=${error} />
    <${Loading} state=${state}>${() => list.items.length === 0 ? html`<${Empty}>You have not posted a room yet.</${Empty}>`
      : html`<ul class="cards" aria-label="Your rooms">${list.items.map((l) => html`<li class="card" key=${l.id}>
        <h2 class="h3">${l.status === "archived" ? l.title : html`<a href=${`#/listings/${l.id}`}>${l.title}</a>`}</h2>
        <p><${Status} status=${l.status} /> · ${fmtPerMonth(l.monthly_rent)} · ${fmtDate(l.available_from)} – ${fmtDate(l.available_to)}</p>
        ${l.status !== "archived" && html`<p class="actions"><a href=${`#/listings/${l.id}/edit`}>Edit <span class="sr">${l.title}</span></a>
          <a href=${`#/bookings?listing=${l.id}`}>Booking requests <span class="sr">for ${l.title}</span></a>
          <${ConfirmButton} label=${html`Archive <span class="sr">${l.title}</span>`} yes="Yes, archive it" onConfirm=${() => archive(l)}
            question=${`Archive “${l.title}”? It will no longer be found, its photos are deleted, and requests waiting for your answer are declined. This cannot be undone.`} /></p>`}
      </li>`)}</ul>
        <${ShowMore} list=${list} label="Older rooms" />`}<//>
  </section>`;
}

// Radio buttons, to read side by side and whole: a select cut each at a phone's width
// ("Moderate: full refund until 7 days bef…").
const CANCELLATION_POLICIES = [
  ["flexible", "Flexible: full refund until 24 hours before check-in"],
  ["moderate", "Moderate: full refund until 7 days before, 50% after"],
  ["strict", "Strict: 50% refund until 14 days before, none after"],
];

const EMPTY_LISTING = {
  title: "", description: "", room_type: "private_room", address: "", zip_code: "", latitude: "", longitude: "", monthly_rent: "",
  amenities: [], house_rules: "", available_from: today(7), available_to: today(180), min_stay_nights: "14", status: "active", cancellation_policy: "moderate",
};

/** The room's pin, dragged to its door (only when map tiles are configured). */
function PinMap({ latitude, longitude, onMove }) {
  const config = mapConfig();
  const ref = useRef(null);
  const marker = useRef(null);
  const map = useRef(null);
  useEffect(() => {
    if (!config || !ref.current) return undefined;
    let live = true;
    loadLeaflet().then((L) => {
      if (!live || !ref.current) return;
      map.current = L.map(ref.current, { scrollWheelZoom: false });
      L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: 19 }).addTo(map.current);
      // A drawn pin, not Leaflet's default icon (an image file the vendored copy lacks).
      const icon = L.divIcon({ className: "pin-icon", html: '<span class="pin"></span>', iconSize: [24, 24], iconAnchor: [12, 24] });
      marker.current = L.marker([latitude, longitude], { icon, draggable: true, keyboard: true, title: "The room: drag me to its door" })
        .addTo(map.current);
      marker.current.on("dragend", () => {
        const at = marker.current.getLatLng();
        onMove(at.lat.toFixed(6), at.lng.toFixed(6));
      });
      map.current.setView([latitude, longitude], 15);
    }, () => {});
    return () => {
      live = false;
      if (map.current) map.current.remove();
      map.current = null;
    };
  }, []);
  useEffect(() => {
    if (marker.current) {
      marker.current.setLatLng([latitude, longitude]);
      map.current.panTo([latitude, longitude]);
    }
  }, [latitude, longitude]);
  if (!config) return null;
  return html`<div class="map" ref=${ref} role="region" aria-label="Map: drag the pin to the room's door"></div>`;
}

function ListingForm({ listing }) {
  const [f, setF] = useState(listing
    ? { ...listing, zip_code: "", latitude: String(listing.location.latitude), longitude: String(listing.location.longitude),
        address: listing.location.address || "", monthly_rent: String(listing.monthly_rent),
        amenities: listing.amenities, min_stay_nights: String(listing.min_stay_nights) }
    : EMPTY_LISTING);
  // Where the position came from, said beside it: "approximate" until the host places it.
  const [source, setSource] = useState(listing ? "saved" : null);
  const [zipFailure, setZipFailure] = useState(null);
  const form = useForm();
  const set = (key) => (e) => setF({ ...f, [key]: e.currentTarget.value });
  const num = (v) => (v === "" || v === null ? undefined : Number(v));
  async function onZip(e) {
    const zip = e.currentTarget.value;
    setF((prev) => ({ ...prev, zip_code: zip }));
    setZipFailure(null);
    if (!/^[0-9]{5}$/.test(zip.trim())) return;
    try {
      const found = (await get("/places", { q: zip.trim(), limit: 1 })).items.find((p) => p.zip === zip.trim());
      if (!found) {
        setZipFailure("We do not know this ZIP code. Check it, or enter the coordinates by hand.");
        return;
      }
      setF((prev) => ({ ...prev, latitude: String(found.latitude), longitude: String(found.longitude) }));
      setSource({ zip: found.zip, label: found.label });
    } catch (err) {
      setZipFailure(err.message);
    }
  }
  const moveTo = (latitude, longitude) => {
    setF((prev) => ({ ...prev, latitude, longitude }));
    setSource("pin");
  };
  async function onSubmit(e) {
    e.preventDefault();
    const placed = f.latitude !== "" && f.longitude !== "";
    const body = {
      title: f.title, description: f.description, room_type: f.room_type, address: f.address,
      latitude: placed ? num(f.latitude) : undefined, longitude: placed ? num(f.longitude) : undefined,
      zip_code: placed ? undefined : f.zip_code.trim() || undefined, monthly_rent: num(f.monthly_rent),
      amenities: f.amenities, house_rules: f.house_rules,
      available_from: f.available_from, available_to: f.available_to, min_stay_nights: num(f.min_stay_nights), status: f.status,
      cancellation_policy: f.cancellation_policy,
    };
    // The API checks the rules across fields only once each field is valid: an empty form
    // showed the title's and rent's errors, then on the next try the ZIP code's. The page
    // adds them to any refusal, so every problem shows at once.
    const across = {};
    if (!placed && !f.zip_code.trim()) across.zip_code = "Give the room's ZIP code, or its latitude and longitude.";
    if (f.available_from && f.available_to && f.available_to < f.available_from) {
      across.available_to = "Must be on or after the first available date.";
    }
    const saved = await form.submit(() => (listing ? patch(`/listings/${listing.id}`, body) : post("/listings", body)));
    if (saved) {
      // Said on the room's page, where the host lands (posting said nothing).
      sayOnRoom(saved.id, listing ? "Your changes are saved." : "Your room is posted: students searching near it can find it now.");
      go(`/listings/${saved.id}`);
    }
    else if (Object.keys(across).length) form.setErrors((shown) => ({ ...across, ...shown }));
  }
  const err = form.errors;
  const shown = Object.keys(EMPTY_LISTING);
  const placed = f.latitude !== "" && f.longitude !== "" && !Number.isNaN(Number(f.latitude)) && !Number.isNaN(Number(f.longitude));
  const where = source && source.zip
    ? `Approximate: the centre of ZIP code ${source.zip} (${source.label.replace(/ [0-9]{5}$/, "")}). ${mapConfig() ? "Drag the pin to the room's door, or enter" : "Enter"} its coordinates below for a better position.`
    : source === "pin" ? "Placed by you on the map." : source === "saved" ? "The room's saved position." : "Give the ZIP code: the room starts at its centre.";
  return html`<form onSubmit=${onSubmit} novalidate aria-label=${listing ? "Edit room" : "New room"}>
    <${Field} label="Title" name="title" value=${f.title} onInput=${set("title")} error=${err.title} hint="3 to 120 characters" />
    <${Field} as="textarea" label="Description" limit=${5000} name="description" rows="4" value=${f.description} onInput=${set("description")} error=${err.description} />
    <div class="row">
      <${Field} as="select" label="Room type" name="room_type" value=${f.room_type} onChange=${set("room_type")} error=${err.room_type}>
        <option value="private_room">Private room</option><option value="entire_place">Entire place</option><option value="shared_room">Shared room</option>
      <//>
      <${Field} label="Monthly rent (USD)" name="monthly_rent" type="number" inputmode="numeric" min="1" value=${f.monthly_rent} onInput=${set("monthly_rent")} error=${err.monthly_rent} />
      <${Field} label="Minimum stay (nights)" name="min_stay_nights" type="number" inputmode="numeric" min="1" max="365" value=${f.min_stay_nights} onInput=${set("min_stay_nights")} error=${err.min_stay_nights} />
    </div>
    <fieldset>
      <legend>Where the room is</legend>
      <${Field} label="Address" name="address" autocomplete="street-address" value=${f.address} onInput=${set("address")} error=${err.address}
        hint="Street, number and city; shown only to a guest once you accept and they pay. Fixed while a stay is open." />
      <${Field} label="ZIP code" name="zip_code" autocomplete="postal-code" inputmode="numeric" maxlength="10" value=${f.zip_code}
        onInput=${onZip} error=${zipFailure || err.zip_code}
        hint=${listing ? "Not kept: the ZIP code only places a room. Give one to move this room to its centre." : undefined} />
      <p class=${placed || source ? "notice" : "hint"} role="status">${where}</p>
      ${placed && html`<${PinMap} latitude=${Number(f.latitude)} longitude=${Number(f.longitude)} onMove=${moveTo} />`}
      <details open=${Boolean(err.latitude || err.longitude)}>
        <summary>Enter the coordinates by hand</summary>
        <div class="row">
          <${Field} label="Latitude" name="latitude" inputmode="decimal" value=${f.latitude} onInput=${(e) => { set("latitude")(e); setSource("pin"); }} error=${err.latitude} />
          <${Field} label="Longitude" name="longitude" inputmode="decimal" value=${f.longitude} onInput=${(e) => { set("longitude")(e); setSource("pin"); }} error=${err.longitude} />
        </div>
      </details>
    </fieldset>
    <${AmenityBoxes} value=${f.amenities} onChange=${(amenities) => setF({ ...f, amenities })} error=${err.amenities} />
    <${Field} as="textarea" label="House rules" limit=${2000} name="house_rules" rows="3" value=${f.house_rules} onInput=${set("house_rules")} error=${err.house_rules} />
    <fieldset aria-describedby="policy-hint">
      <legend>Cancellation policy</legend>
      <p class="hint" id="policy-hint">What a guest's cancellation refunds. Under every policy the nights beyond the first 7 of the stay (the next 7, once it has begun) are refunded too, when that gives more: you keep at most 7 nights' rent.</p>
      ${CANCELLATION_POLICIES.map(([value, text]) => html`<label class="radio" key=${value}><input type="radio" name="cancellation_policy" value=${value}
        checked=${f.cancellation_policy === value} onChange=${set("cancellation_policy")} aria-invalid=${err.cancellation_policy ? "true" : undefined} /> ${text}</label>`)}
      ${err.cancellation_policy && html`<p class="error">${err.cancellation_policy}</p>`}
    </fieldset>
    <div class="row">
      <${Field} label="Available from" name="available_from" type="date" value=${f.available_from} onInput=${set("available_from")} error=${err.available_from} />
      <${Field} label="Available to" name="available_to" type="date" value=${f.available_to} onInput=${set("available_to")} error=${err.available_to} />
      <${Field} as="select" label="Status" name="status" value=${f.status === "archived" ? "active" : f.status} onChange=${set("status")} error=${err.status}>
        <option value="active">Published</option><option value="draft">Draft</option>
      <//>
    </div>
    <${Alert} error=${formError(err, shown)} />
    <button type="submit" disabled=${form.busy}>${listing ? "Save room" : "Post room"}</button>
  </form>`;
}

/** A block's nights, first to last: "Feb 1, 2027 – Feb 7, 2027" for the nights up to the
 * 8th (it read "Feb 1 – Feb 8", as if the 8th were blocked too); one night, its date. */
function blockedNights(b) {
  const last = new Date(`${b.end}T12:00:00Z`);
  last.setUTCDate(last.getUTCDate() - 1);
  const lastNight = last.toISOString().slice(0, 10);
  return lastNight === b.start ? fmtDate(b.start) : `${fmtDate(b.start)} – ${fmtDate(lastNight)}`;
}

/** Nights the host keeps for themselves inside the room's dates: guests see them
 * unavailable, and requests waiting for them are declined when they are blocked. */
function BlockedDates({ listing }) {
  const state = useLoad(() => get(`/listings/${listing.id}/blocked-dates`, { limit: 100 }), [listing.id]);
  const list = useMore(state, (cursor) => get(`/listings/${listing.id}/blocked-dates`, { limit: 100, cursor }));
  const [f, setF] = useState({ start: "", end: "", note: "" });
  // Said in a live region that is always there (it must be, before what it says), styled as
  // a notice only when it says something: empty, it was a green box above the button.
  const [notice, setNotice] = useState("");
  const [error, setError] = useState(null);
  // The requests waiting for some of the nights to block, asked about first: blocking
  // declined them with nothing said before (null: not asking).
  const [waiting, setWaiting] = useState(null);
  const form = useForm();
  const set = (key) => (e) => {
    setWaiting(null);
    setF({ ...f, [key]: e.currentTarget.value });
  };
  async function onAdd(e) {
    e.preventDefault();
    setNotice("");
    setError(null);
    const missing = {};
    if (!f.start) missing.start = "Choose the first night to block.";
    if (!f.end) missing.end = "Choose the day after the last night.";
    if (Object.keys(missing).length) return form.refuse(missing);
    const asked = await form.submit(() => getAll("/me/bookings", { role: "host", status: "requested", listing_id: listing.id }));
    if (!asked) return undefined;
    const overlapping = asked.filter((b) => b.check_in < f.end && f.start < b.check_out);
    if (overlapping.length) return setWaiting(overlapping);
    return block();
  }
  // Kept: back to the button that asked (focus fell to the page with the question).
  const blockButton = useRef(null);
  function keep() {
    setWaiting(null);
    setTimeout(() => blockButton.current && blockButton.current.focus(), 0);
  }
  async function block() {
    setWaiting(null);
    const made = await form.submit(() => post(`/listings/${listing.id}/blocked-dates`, { start: f.start, end: f.end, note: f.note }));
    if (made) {
      setF({ start: "", end: "", note: "" });
      const declined = made.declined_requests
        ? ` ${made.declined_requests === 1 ? "The request" : `The ${made.declined_requests} requests`} waiting for any of them ${made.declined_requests === 1 ? "is" : "are"} declined, and ${made.declined_requests === 1 ? "its guest is" : "their guests are"} told.`
        : "";
      setNotice(html`Blocked ${blockedNights(made)} (${fmtNights(made.nights)}).${declined}`);
      state.reload();
    }
  }
  async function remove(b) {
    setNotice("");
    setError(null);
    try {
      await del(`/listings/${listing.id}/blocked-dates/${b.id}`);
      setNotice(`${blockedNights(b)} ${b.nights === 1 ? "is" : "are"} available again.`);
      state.reload();
    } catch (err) {
      setError(err);
    }
  }
  const err = form.errors;
  return html`<section class="blocked-dates" aria-labelledby="blocked-dates-title">
    <h2 id="blocked-dates-title">Blocked dates</h2>
    <p class="hint">Nights you keep for yourself (your own use, a visit, repairs). Guests see them as unavailable, and requests waiting for any of them are declined.</p>
    <${Loading} state=${state}>${() => list.items.length === 0 ? html`<p>No nights blocked.</p>`
      : html`<ul class="cards" aria-label="Blocked dates">${list.items.map((b) => html`<li class="card" key=${b.id}>
        <p><strong>${blockedNights(b)}</strong> · ${fmtNights(b.nights)}${b.note && html`<br />${b.note}`}</p>
        <p class="actions"><${ConfirmButton} label=${html`Unblock <span class="sr">${blockedNights(b)}</span>`}
          question="Make these nights available again?" yes="Yes, unblock" onConfirm=${() => remove(b)} /></p>
      </li>`)}</ul>
        <${ShowMore} list=${list} label="Later blocks" />`}<//>
    <form onSubmit=${onAdd} novalidate aria-label="Block dates">
      <div class="row">
        <${Field} label="First night" name="start" type="date" min=${today()} value=${f.start} onInput=${set("start")} error=${err.start} />
        <${Field} label="Until (the day after the last night)" name="end" type="date" min=${f.start || today(1)} value=${f.end} onInput=${set("end")} error=${err.end} />
      </div>
      <${Field} label="Note (only you see it)" name="note" maxlength="500" value=${f.note} onInput=${set("note")} error=${err.note} />
      <${Alert} error=${formError(err, ["start", "end", "note"]) || error} />
      <p class=${notice ? "notice" : undefined} role="status">${notice}</p>
      ${waiting ? html`<${ConfirmQuestion} question=${`Blocking these nights declines ${waiting.length === 1 ? "the request" : `the ${waiting.length} requests`} waiting for some of them (${waiting.map((b) => `${fmtDate(b.check_in)} – ${fmtDate(b.check_out)}`).join("; ")}), and ${waiting.length === 1 ? "its guest is" : "their guests are"} told. Block them anyway?`}
          yes="Yes, block and decline" onYes=${block} onKeep=${keep} />`
        : html`<button type="submit" ref=${blockButton} disabled=${form.busy}>Block these nights</button>`}
    </form>
  </section>`;
}

export function ListingEdit({ id, query = {} }) {
  const { me } = useSession();
  const state = useLoad(() => (id ? get(`/listings/${id}`) : Promise.resolve({})), [id]);
  // "Add photos" on a room without any (its page said "No photos yet." and nothing more):
  // the photos' section, at the foot of this page, in view and focused, once: each photo
  // added, moved or deleted reloads the room, and focus jumped back to the heading (away
  // from the photo moved, whose button photos.js gives it).
  const toPhotos = query.focus === "photos";
  const brought = useRef(false);
  useEffect(() => {
    if (!toPhotos || !state.data || brought.current) return;
    const heading = document.getElementById("photos-h");
    if (heading) {
      brought.current = true;
      heading.setAttribute("tabindex", "-1");
      heading.focus();
      heading.scrollIntoView({ block: "start" });
    }
  }, [toPhotos, state.data]);
  // Another host's room, by its URL: the editor was shown filled in (the API refused the
  // changes, one by one).
  if (id && state.data && me && state.data.host && state.data.host.id !== me.user.id) {
    return html`<section>
      <h1>This room is not yours</h1>
      <p role="status">Only its host can change it. <a href=${`#/listings/${id}`}>See the room</a> or <a href="#/listings">your rooms</a>.</p>
    </section>`;
  }
  return html`<section>
    <h1>${id ? "Edit your room" : "Post a room"}</h1>
    <${Loading} state=${state}>${(l) => html`<${ListingForm} key=${id || "new"} listing=${id ? l : null} />
      ${id && html`<${PhotoEditor} listing=${l} onChanged=${state.reload} />`}
      ${id && l.status !== "archived" && html`<${BlockedDates} listing=${l} />`}`}<//>
  </section>`;
}
