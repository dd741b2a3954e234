// A listing's page (price for your dates, availability, host card, where it is from the
// hospital, booking, messaging the host, mentorship), and a host's rooms and room form.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { del, get, patch, post } from "../api.js";
import { useLive, useSession } from "../session.js";
import {
  Alert, AmenityBoxes, Empty, Field, Loading, Notice, Status, Verified, cap, distanceAndDirection, fmtDate, fmtMoney,
  formError, go, hospitalLabel, roomType, titleCase, today, useForm, useLoad, words,
} from "../ui.js";
import { MentorButton, messageUser } from "./profile.js";

/** Where the visitor comes from: a rotation (its hospital and dates) or a search. */
async function loadContext(query) {
  if (query.rotation) {
    try {
      const r = await get(`/rotations/${query.rotation}`);
      return { hospital: { ...r.hospital, label: hospitalLabel(r.hospital) }, from: r.start_date, to: r.end_date, rotationId: r.id };
    } catch {
      return {};
    }
  }
  // A search near a city or ZIP code passes its point without a hospital id.
  const hospital = query.lat && query.lon
    ? { id: query.hospital || null, label: query.hname || query.hospital || "your search's centre", latitude: Number(query.lat), longitude: Number(query.lon) }
    : null;
  return { hospital, from: query.from || "", to: query.to || "" };
}

/** The map's tile server from the page's meta tags (none: no map). */
function mapConfig() {
  const tiles = document.querySelector('meta[name="wardmate-map-tiles"]');
  const credit = document.querySelector('meta[name="wardmate-map-attribution"]');
  return tiles && tiles.content ? { tiles: tiles.content, attribution: credit ? credit.content : "" } : null;
}

let leaflet = null;
/** Leaflet and its stylesheet, loaded the first time a map is shown. */
function loadLeaflet() {
  if (!leaflet) {
    const link = document.createElement("link");
    link.rel = "stylesheet";
    link.href = "/static/vendor/leaflet.css";
    document.head.append(link);
    leaflet = import("../vendor/leaflet.js");
  }
  return leaflet;
}

function ListingMap({ listing, hospital }) {
  const config = mapConfig();
  const ref = useRef(null);
  const [failed, setFailed] = useState(null);
  useEffect(() => {
    if (!config || !ref.current) return undefined;
    let map = null;
    loadLeaflet().then(
      (L) => {
        if (!ref.current) return;
        const room = [listing.location.latitude, listing.location.longitude];
        map = L.map(ref.current, { scrollWheelZoom: false });
        L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: 19 }).addTo(map);
        // An approximate location is a circle of the area, never a pin on a house.
        const area = listing.location.approximate
          ? L.circle(room, { radius: 400, color: "#0b5cab" }).bindTooltip("The room is in this area")
          : L.circleMarker(room, { radius: 9, color: "#0b5cab", fillOpacity: 0.8 }).bindTooltip("The room");
        area.addTo(map);
        const points = [room];
        if (hospital) {
          const spot = [hospital.latitude, hospital.longitude];
          L.circleMarker(spot, { radius: 8, color: "#b3261e", fillOpacity: 0.8 }).bindTooltip(hospital.label || "Hospital").addTo(map);
          points.push(spot);
        }
        if (points.length > 1) map.fitBounds(points, { padding: [40, 40], maxZoom: 16 });
        else map.setView(room, 14);
      },
      (err) => setFailed(err),
    );
    return () => map && map.remove();
  }, [listing.id, hospital && hospital.latitude]);
  if (!config) return null;
  if (failed) return html`<p class="hint">The map could not be loaded.</p>`;
  return html`<div class="map" ref=${ref} role="region"
    aria-label=${hospital ? `Map of the room's area and ${hospital.label}` : "Map of the room's area"}></div>
    <p class="hint">Blue: the room${listing.location.approximate ? "'s area" : ""}${hospital ? `; red: ${hospital.label}` : ""}.</p>`;
}

function Where({ listing, hospital }) {
  const loc = listing.location;
  const approx = loc.approximate ? "approximately " : "";
  return html`<section aria-labelledby="where-h">
    <h2 id="where-h">Where it is</h2>
    ${hospital ? (() => {
      const { km, direction } = distanceAndDirection(hospital, loc);
      return html`<p class="where">${approx}${km.toFixed(1)} km ${direction} of ${hospital.label}</p>`;
    })() : listing.distance_km !== null ? html`<p class="where">${approx}${listing.distance_km.toFixed(1)} km from your search's centre</p>` : null}
    <p>${loc.address ? html`Address: ${loc.address}` : "The exact address is shown once the host accepts your booking."}</p>
    <${ListingMap} listing=${listing} hospital=${hospital} />
  </section>`;
}

const bookingHref = (id) => `#/bookings?booking=${id}`;

function BookingBox({ listing, context }) {
  const { me } = useSession();
  const [dates, setDates] = useState({ check_in: context.from || "", check_out: context.to || "" });
  const [message, setMessage] = useState("");
  const [rotationId, setRotationId] = useState(context.rotationId || "");
  const [quote, setQuote] = useState(null);
  const [sent, setSent] = useState(null);
  const [duplicate, setDuplicate] = useState(null);
  const done = useRef(null);
  const form = useForm();
  const student = me && me.user.role === "student";
  // The stay may name the rotation it is for: moving that rotation then says to shift it.
  const rotations = useLoad(() => (student ? get("/me/rotations", { limit: 100 }) : Promise.resolve({ items: [] })), [me && me.user.id]);
  const bookings = useLoad(() => (me ? get("/me/bookings", { role: "guest", limit: 100 }) : Promise.resolve({ items: [] })), [listing.id, me && me.user.id]);
  // The host's answer arrives as a notification: reload to show the new status at once.
  useLive(["notification"], (frame) => (frame.type === "reload" || String(frame.data.kind).startsWith("booking")) && bookings.reload());
  useEffect(() => {
    setQuote(null);
    if (!dates.check_in || !dates.check_out) return;
    get(`/listings/${listing.id}/quote`, dates).then(setQuote, () => setQuote(null));
  }, [dates.check_in, dates.check_out]);
  const mine = bookings.data ? bookings.data.items.filter((b) => b.listing_id === listing.id) : [];
  async function onSubmit(e) {
    e.preventDefault();
    const body = { ...dates, message };
    const rotation = rotations.data && rotations.data.items.find((r) => r.id === rotationId);
    if (rotation) body.rotation_id = rotation.id;
    if (context.hospital && context.hospital.id) body.hospital_id = context.hospital.id;
    else if (rotation) body.hospital_id = rotation.hospital.id;
    setDuplicate(null);
    const made = await form.submit(async () => {
      try {
        return await post(`/listings/${listing.id}/bookings`, body);
      } catch (err) {
        // The API refuses a second request for overlapping dates and names the first.
        if (err.status === 409 && err.details && err.details.booking_id) {
          setDuplicate(err.details);
          return undefined;
        }
        throw err;
      }
    });
    if (made) {
      setSent(made);
      setMessage("");
      bookings.reload();
    }
  }
  useEffect(() => {
    if ((sent || duplicate) && done.current) done.current.focus();
  }, [sent, duplicate]);
  if (me && me.user.id === listing.host.id) {
    return html`<p><a href=${`#/listings/${listing.id}/edit`}>Edit this room</a> · <a href="#/bookings">See its requests</a></p>`;
  }
  const set = (key) => (e) => setDates({ ...dates, [key]: e.currentTarget.value });
  function pickRotation(e) {
    const id = e.currentTarget.value;
    setRotationId(id);
    const rotation = rotations.data.items.find((r) => r.id === id);
    // A rotation chosen before any date: its dates are the stay's.
    if (rotation && !dates.check_in && !dates.check_out) setDates({ check_in: rotation.start_date, check_out: rotation.end_date });
  }
  const myRotations = rotations.data ? rotations.data.items : [];
  return html`<section aria-labelledby="book-h" class="panel">
    <h2 id="book-h">Your stay</h2>
    ${mine.length > 0 && html`<ul class="plain" aria-label="Your bookings of this room">${mine.map((b) => html`<li key=${b.id}>
      Booking ${fmtDate(b.check_in)} – ${fmtDate(b.check_out)}, ${fmtMoney(b.total)}: <${Status} status=${b.status} />
      ${b.address && html`<br />Address: ${b.address}`}</li>`)}</ul>`}
    ${sent ? html`<div class="confirm" role="status" tabindex="-1" ref=${done}>
      <p><strong>Request sent.</strong> ${listing.host.display_name || "The host"} has your request for
        ${fmtDate(sent.check_in)} – ${fmtDate(sent.check_out)} (${fmtMoney(sent.total)}) and answers within a few days;
        you hear as soon as they do.</p>
      <p><a href=${bookingHref(sent.id)}>See your booking</a></p>
    </div>` : student ? html`<form onSubmit=${onSubmit} novalidate aria-label="Request a booking">
      ${duplicate && html`<div class="alert" role="alert" tabindex="-1" ref=${done}>
        You already have a ${duplicate.status} booking of this room for these dates.
        <a href=${bookingHref(duplicate.booking_id)}>See that booking</a></div>`}
      ${myRotations.length > 0 && html`<${Field} as="select" label="For which rotation?" name="rotation_id" value=${rotationId}
        onChange=${pickRotation} error=${form.errors.rotation_id} hint="Optional: if the rotation's dates move, we tell you to shift this stay">
        <option value="">None</option>
        ${myRotations.map((r) => html`<option key=${r.id} value=${r.id}>${cap(r.specialty)} at ${hospitalLabel(r.hospital)}, ${fmtDate(r.start_date)} – ${fmtDate(r.end_date)}</option>`)}
      <//>`}
      <div class="row">
        <${Field} label="Check-in" name="check_in" type="date" min=${today()} value=${dates.check_in} onInput=${set("check_in")} error=${form.errors.check_in} />
        <${Field} label="Check-out" name="check_out" type="date" value=${dates.check_out} onInput=${set("check_out")} error=${form.errors.check_out} />
      </div>
      ${quote && html`<p class="quote" role="status">${quote.nights} nights × ${fmtMoney(quote.nightly_rate)} = <strong>${fmtMoney(quote.total)}</strong> total, no fees.
        ${!quote.available && html`<br /><span class="error">${quote.reason || "Not available for these dates."}</span>`}</p>`}
      <${Field} as="textarea" label="Message to the host" name="message" rows="3" value=${message} onInput=${(e) => setMessage(e.currentTarget.value)} error=${form.errors.message} />
      <${Alert} error=${formError(form.errors, ["check_in", "check_out", "message", "rotation_id"])} />
      <button type="submit" disabled=${form.busy}>Request booking</button>
    </form>` : !me ? html`<p><a href="#/">Log in</a> or <a href="#/signup">sign up</a> as a student to book.</p>` : null}
  </section>`;
}

function HostCard({ listing, context }) {
  const host = useLoad(() => get(`/users/${listing.host.id}`), [listing.host.id]);
  const { me } = useSession();
  const [error, setError] = useState(null);
  return html`<section aria-labelledby="host-h" class="panel">
    <h2 id="host-h">Your host</h2>
    <p><a href=${`#/users/${listing.host.id}`}>${listing.host.display_name}</a> <${Verified} verified=${listing.host.verified} /></p>
    <${Loading} state=${host}>${(u) => html`
      <p>${u.profile.profession || "Medical professional"}${u.profile.specialties.length ? ` · ${u.profile.specialties.join(", ")}` : ""}</p>
      ${me && me.user.id !== u.id && html`<button type="button" onClick=${() => messageUser(u.id, listing.id).catch(setError)}>Message the host</button>`}
      <${MentorButton} user=${u} rotationId=${context.rotationId} />`}<//>
    <${Alert} error=${error} />
  </section>`;
}

const monthName = (ym) => new Date(`${ym}-01T00:00:00`).toLocaleDateString("en-US", { year: "numeric", month: "long" });

function Reviews({ listing }) {
  const [more, setMore] = useState([]);
  const state = useLoad(() => get(`/listings/${listing.id}/reviews`, { limit: 5 }), [listing.id]);
  async function loadMore(cursor) {
    const page = await get(`/listings/${listing.id}/reviews`, { limit: 20, cursor });
    setMore([...more, page]);
  }
  return html`<section aria-labelledby="reviews-h">
    <h2 id="reviews-h">Reviews</h2>
    <${Loading} state=${state}>${(first) => {
      const all = [first, ...more];
      const items = all.flatMap((p) => p.items);
      const next = all[all.length - 1].next_cursor;
      if (!items.length) return html`<${Empty}>No reviews yet.</${Empty}>`;
      return html`<ul class="plain reviews" aria-label="Reviews">${items.map((r) => html`<li key=${r.id}>
          <p><strong><span aria-hidden="true">${"★".repeat(r.rating)}${"☆".repeat(5 - r.rating)}</span><span class="sr">${r.rating} out of 5</span></strong>
            · stayed ${monthName(r.stay_month)}${r.hospital_name ? `, rotating at ${titleCase(r.hospital_name)}` : ""}</p>
          <p class="bio">${r.text}</p>
        </li>`)}</ul>
        ${next && html`<button type="button" class="secondary" onClick=${() => loadMore(next)}>More reviews</button>`}`;
    }}<//>
  </section>`;
}

export function ListingPage({ id, query }) {
  const state = useLoad(async () => {
    const [listing, context] = await Promise.all([get(`/listings/${id}`), loadContext(query)]);
    return { listing, context };
  }, [id]);
  return html`<${Loading} state=${state}>${({ listing: l, context }) => html`<article class="listing">
    <h1>${l.title}</h1>
    <p class="lead">${roomType(l.room_type)} · ${fmtMoney(l.monthly_rent)} a month (${fmtMoney(l.nightly_rate)} a night)
      ${l.review_count > 0 ? ` · ★ ${l.review_average.toFixed(1)} from ${l.review_count} review${l.review_count === 1 ? "" : "s"}` : " · no reviews yet"}</p>
    ${l.status !== "active" && html`<p><${Status} status=${l.status} /></p>`}
    <div class="two">
      <div>
        ${l.description && html`<p class="bio">${l.description}</p>`}
        <dl class="facts">
          <dt>Available</dt><dd>${fmtDate(l.available_from)} – ${fmtDate(l.available_to)}, at least ${l.min_stay_nights} nights</dd>
          <dt>Amenities</dt><dd>${l.amenities.length ? l.amenities.map(words).join(", ") : "None listed"}</dd>
          <dt>House rules</dt><dd>${l.house_rules || "None"}</dd>
        </dl>
        <${Where} listing=${l} hospital=${context.hospital} />
        <${Reviews} listing=${l} />
      </div>
      <div>
        <${BookingBox} listing=${l} context=${context} />
        <${HostCard} listing=${l} context=${context} />
      </div>
    </div>
  </article>`}<//>`;
}

export function MyListings() {
  const state = useLoad(() => get("/me/listings", { limit: 100 }), []);
  const [error, setError] = useState(null);
  async function archive(l) {
    if (!window.confirm(`Archive "${l.title}"? It will no longer be found.`)) return;
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
    <${Loading} state=${state}>${(page) => page.items.length === 0 ? html`<${Empty}>You have not posted a room yet.</${Empty}>`
      : html`<ul class="cards">${page.items.map((l) => html`<li class="card" key=${l.id}>
        <h2 class="h3">${l.status === "archived" ? l.title : html`<a href=${`#/listings/${l.id}`}>${l.title}</a>`}</h2>
        <p><${Status} status=${l.status} /> · ${fmtMoney(l.monthly_rent)}/month · ${fmtDate(l.available_from)} – ${fmtDate(l.available_to)}</p>
        ${l.status !== "archived" && html`<p class="actions"><a href=${`#/listings/${l.id}/edit`}>Edit <span class="sr">${l.title}</span></a>
          <button type="button" class="secondary" onClick=${() => archive(l)}>Archive <span class="sr">${l.title}</span></button></p>`}
      </li>`)}</ul>`}<//>
  </section>`;
}

const EMPTY_LISTING = {
  title: "", description: "", room_type: "private_room", address: "", zip_code: "", latitude: "", longitude: "", monthly_rent: "",
  amenities: [], house_rules: "", available_from: today(7), available_to: today(180), min_stay_nights: "14", status: "active",
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
    };
    const saved = await form.submit(() => (listing ? patch(`/listings/${listing.id}`, body) : post("/listings", body)));
    if (saved) go(`/listings/${saved.id}`);
  }
  const err = form.errors;
  const shown = Object.keys(EMPTY_LISTING);
  const placed = f.latitude !== "" && f.longitude !== "" && !Number.isNaN(Number(f.latitude)) && !Number.isNaN(Number(f.longitude));
  const where = source && source.zip
    ? `Approximate: the centre of ZIP code ${source.zip} (${source.label.replace(/ [0-9]{5}$/, "")}). ${mapConfig() ? "Drag the pin to the room's door, or enter" : "Enter"} its coordinates below for a better position.`
    : source === "pin" ? "Placed by you on the map." : source === "saved" ? "The room's saved position." : "Give the ZIP code: the room starts at its centre.";
  return html`<form onSubmit=${onSubmit} novalidate aria-label=${listing ? "Edit room" : "New room"}>
    <${Field} label="Title" name="title" value=${f.title} onInput=${set("title")} error=${err.title} hint="3 to 120 characters" />
    <${Field} as="textarea" label="Description" name="description" rows="4" value=${f.description} onInput=${set("description")} error=${err.description} />
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
        hint="Street, number and city; shown only to a guest whose booking you accepted" />
      <${Field} label="ZIP code" name="zip_code" autocomplete="postal-code" inputmode="numeric" maxlength="10" value=${f.zip_code}
        onInput=${onZip} error=${zipFailure || err.zip_code} />
      <p class="notice" role="status">${where}</p>
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
    <${Field} as="textarea" label="House rules" name="house_rules" rows="3" value=${f.house_rules} onInput=${set("house_rules")} error=${err.house_rules} />
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

export function ListingEdit({ id }) {
  const state = useLoad(() => (id ? get(`/listings/${id}`) : Promise.resolve({})), [id]);
  return html`<section>
    <h1>${id ? "Edit your room" : "Post a room"}</h1>
    <${Loading} state=${state}>${(l) => html`<${ListingForm} key=${id || "new"} listing=${id ? l : null} />`}<//>
  </section>`;
}

