// A listing's page (price for your dates, availability, host card, where it is from the
// hospital, booking, messaging the host, mentorship). A host's rooms and room form are in
// rooms.js.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { get, getAll, post } from "../api.js";
import { loadLeaflet, mapConfig } from "../map.js";
import { lastSearchFor } from "./search.js";
import { useLive, useSession } from "../session.js";
import {
  Alert, Field, Loading, Notice, amenityLine, Status, Verified, distanceAndDirection, fmtClock, fmtDate, fmtDeadline, fmtKm, fmtMoney, fmtNights,
  formError, hospitalLabel, href, parseHash, professionLine, roomType, rotationLabel, sentence, stayTimes, todayIn, useForm, useLoad,
} from "../ui.js";
import { Gallery } from "./photos.js";
import { MentorButton, messageUser } from "./profile.js";
import { HostRating, ReviewList } from "./reviews.js";
import { stayDates } from "./rotations.js";

// What each cancellation policy refunds, as the listing page says it.
const POLICIES = {
  flexible: "Flexible: full refund until 24 hours before check-in",
  moderate: "Moderate: full refund until 7 days before check-in, 50% after",
  strict: "Strict: 50% refund until 14 days before check-in, none after",
};

/** Where the visitor comes from: a rotation (its hospital and dates), a request of theirs
 * (its dates: a "nights free again" notice or mail, which knows the request, not the
 * dates), or a search. */
async function loadContext(query) {
  if (query.booking) {
    try {
      const b = await get(`/bookings/${query.booking}`);
      return { hospital: null, from: b.check_in, to: b.check_out };
    } catch {
      return {};
    }
  }
  if (query.rotation) {
    try {
      const r = await get(`/rotations/${query.rotation}`);
      const { from = "", to = "" } = stayDates(r);
      return { hospital: { ...r.hospital, label: hospitalLabel(r.hospital) }, from, to, rotationId: r.id };
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
        // An approximate location is a circle of the area, never a pin on a house. The
        // room is 200-400 m from the public point, plus up to ~70 m of its rounding: 500 m
        // holds it (services/listings/domain.py, public_point).
        const AREA_M = 500;
        const area = listing.location.approximate
          ? L.circle(room, { radius: AREA_M, color: "#0b5cab" }).bindTooltip("The room is in this area")
          : L.circleMarker(room, { radius: 9, color: "#0b5cab", fillOpacity: 0.8 }).bindTooltip("The room");
        area.addTo(map);
        if (hospital) {
          const spot = [hospital.latitude, hospital.longitude];
          L.circleMarker(spot, { radius: 8, color: "#b3261e", fillOpacity: 0.8 }).bindTooltip(hospital.label || "Hospital").addTo(map);
          // The whole area in view, not just its centre: a 500 m circle ran off a phone's map.
          const bounds = L.latLng(room).toBounds(listing.location.approximate ? 2 * AREA_M : 1);
          map.fitBounds(bounds.extend(spot), { padding: [24, 24], maxZoom: 16 });
        } else map.setView(room, 14);
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

/** Opened without a hospital (directly, or from Bookings): how far the room is from the
 * hospitals of the student's own rotations. */
function FromMyRotations({ listing }) {
  const { me } = useSession();
  const student = me && me.user.role === "student";
  // Every rotation (the first 20 left a student's later ones out).
  const rotations = useLoad(async () => ({ items: student ? await getAll("/me/rotations") : [] }), [student]);
  const seen = new Set();
  const hospitals = (rotations.data ? rotations.data.items : [])
    .map((r) => r.hospital)
    .filter((h) => !seen.has(h.id) && seen.add(h.id));
  if (!hospitals.length) return null;
  return html`<ul class="plain where" aria-label="From your rotations' hospitals">${hospitals.map((h) => html`<li key=${h.id}>
    <${FromHospital} listing=${listing} hospital=${h} name=${hospitalLabel(h)} /></li>`)}</ul>`;
}

/** "The room is approximately 1.8 km west of …", a sentence: it began in lower case
 * ("approximately 1.8 km west of …"), alone on its line. */
function FromHospital({ listing, hospital, name }) {
  const { km, direction } = distanceAndDirection(hospital, listing.location);
  return html`The room is ${listing.location.approximate ? "approximately " : ""}${fmtKm(km)} ${direction} of ${name}.`;
}

/** Without a tile server there is no map (map.js): the page then names no "area the map shows". */
function Where({ listing, hospital }) {
  const loc = listing.location;
  return html`<section aria-labelledby="where-h">
    <h2 id="where-h">Where it is</h2>
    ${listing.area && html`<p>In ${listing.area}${loc.approximate && mapConfig() ? ", in the area the map shows" : ""}.</p>`}
    ${hospital ? html`<p class="where"><${FromHospital} listing=${listing} hospital=${hospital} name=${hospital.label} /></p>`
      : html`<${FromMyRotations} listing=${listing} />`}
    <p>${loc.address ? html`Address: ${loc.address}` : "The exact address is shown once the host accepts your booking and you have paid."}</p>
    <${ListingMap} listing=${listing} hospital=${hospital} />
  </section>`;
}

// A rotation's hospital this near the room counts as the stay's (the search's default
// radius is 25 km; a student may commute further from a cheaper room).
const NEAR_KM = 50;
/** The one rotation of `rotations` a stay of `dates` in `listing` is for, or null: the only
 * one whose dates overlap the stay's, else the only one of those at a hospital near the room,
 * else the only one of those (near ones, if any) that holds the whole stay. */
function fittingRotation(rotations, dates, listing) {
  if (!dates.check_in || !dates.check_out || dates.check_in >= dates.check_out) return null;
  // Nights on both sides: a rotation's last night is the day before its end_date, as a
  // stay's is the day before check-out. ISO dates compare as strings.
  const overlapping = rotations.filter((r) => r.start_date < dates.check_out && dates.check_in < r.end_date);
  if (overlapping.length === 1) return overlapping[0];
  const near = overlapping.filter((r) => distanceAndDirection(r.hospital, listing.location).km <= NEAR_KM);
  if (near.length === 1) return near[0];
  // A rotation's "Search all rooms near this hospital" brings its own dates (from today once
  // it has begun): a second rotation overlapping them left the choice on "None".
  const holding = (near.length ? near : overlapping)
    .filter((r) => r.start_date <= dates.check_in && dates.check_out <= r.end_date);
  return holding.length === 1 ? holding[0] : null;
}

const bookingHref = (id) => `#/bookings?booking=${id}`;
/** This page's path and query (its hospital), with the dates a visitor chose on it, to
 * come back to after logging in (the dates were lost there). */
function hereWith(dates) {
  const { path, query } = parseHash();
  return href(path, { ...query, from: dates.check_in || query.from, to: dates.check_out || query.to }).slice(1);
}

/** A zone as its clocks are named now ("PST"), the name every other check-in line gives
 * (the room's page said "room's local time" alone to a reader in Kolkata). */
function zoneNow(zone) {
  try {
    const part = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "short" }).formatToParts(new Date())
      .find((p) => p.type === "timeZoneName");
    return part ? part.value : zone;
  } catch {
    return zone;
  }
}

/** A stay's price for the dates chosen, whether the room is free then, and when it is taken
 * (shown to a visitor too: the card's "$1,472.80 for your 28 nights" was gone on the room). */
function QuoteLine({ quote }) {
  if (!quote) return null;
  // Dates that cannot be booked say why, and which nights are taken, without a price: a
  // check-in gone by read "19 nights × $24.66 = $468.54 total" beside "Check-in is in the past".
  if (!quote.available) {
    return html`<p class="quote" role="status"><span class="error">${sentence(quote.reason) || "Not available for these dates."}</span>
      ${quote.taken && quote.taken.length > 0 && html`<br />Taken: ${quote.taken.map((t) => `${fmtDate(t.check_in)} – ${fmtDate(t.check_out)}`).join(", ")}.`}</p>`;
  }
  return html`<p class="quote" role="status">${fmtNights(quote.nights)} × ${fmtMoney(quote.nightly_rate)} = <strong>${fmtMoney(quote.total)}</strong> total, no fees.
    <br />${stayTimes(quote)}.</p>`;
}

function BookingBox({ listing, context }) {
  const { me } = useSession();
  const [dates, setDates] = useState({ check_in: context.from || "", check_out: context.to || "" });
  const [message, setMessage] = useState("");
  const [rotationId, setRotationId] = useState(context.rotationId || "");
  // The rotation is preset (the URL's, else the one the dates fit) until the student picks.
  const rotationPicked = useRef(Boolean(context.rotationId));
  const [quote, setQuote] = useState(null);
  const [sent, setSent] = useState(null);
  const [duplicate, setDuplicate] = useState(null);
  const done = useRef(null);
  const form = useForm();
  const student = me && me.user.role === "student";
  // The stay may name the rotation it is for: moving that rotation then says to shift it.
  // All of them (the first 100 left a later one out of the choice).
  const rotations = useLoad(async () => ({ items: student ? await getAll("/me/rotations") : [] }), [me && me.user.id]);
  // Every booking of this room by the reader (the newest 100 of all their rooms' left
  // this one's out for a guest of many stays).
  const bookings = useLoad(async () => ({ items: me ? await getAll("/me/bookings", { role: "guest", listing_id: listing.id }) : [] }), [listing.id, me && me.user.id]);
  // The student's stays elsewhere, to say when these dates are already booked in another
  // room (a second room for the same nights was requested, accepted and paid, unsaid).
  const elsewhere = useLoad(async () => (student
    ? (await Promise.all(["accepted", "confirmed"].map((status) => getAll("/me/bookings", { role: "guest", status })))).flat()
    : []), [me && me.user.id]);
  // The host's answer arrives as a notification: reload to show the new status at once.
  useLive(["notification"], (frame) => (frame.type === "reload" || String(frame.data.kind).startsWith("booking")) && bookings.reload());
  useEffect(() => {
    setQuote(null);
    if (!dates.check_in || !dates.check_out) return;
    // Only these dates' quote shows: an earlier pair's answer arriving last once priced
    // the stay for dates no longer chosen.
    let current = true;
    get(`/listings/${listing.id}/quote`, dates).then((q) => current && setQuote(q), () => current && setQuote(null));
    return () => {
      current = false;
    };
  }, [dates.check_in, dates.check_out]);
  // "For which rotation?" stayed "None" for a stay that plainly was for one: opened from a
  // rotation's room matches (the URL's rotation), or for dates only one rotation covers.
  useEffect(() => {
    if (rotationPicked.current || !rotations.data) return;
    const fits = fittingRotation(rotations.data.items, dates, listing);
    setRotationId(fits ? fits.id : "");
  }, [rotations.data, dates.check_in, dates.check_out]);
  const mine = bookings.data ? bookings.data.items : [];
  const clash = dates.check_in && dates.check_out && dates.check_in < dates.check_out && elsewhere.data
    ? elsewhere.data.find((b) => b.listing_id !== listing.id && b.check_in < dates.check_out && dates.check_in < b.check_out)
    : null;
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
    return html`<p><a href=${`#/listings/${listing.id}/edit`}>Edit this room</a> · <a href=${`#/bookings?listing=${listing.id}`}>See its booking requests</a></p>`;
  }
  // A refusal's message goes once what it was about changes: past dates corrected, "must be
  // today or later" and the red border stayed beside them under the new quote. The dates go
  // as a pair (check-out before check-in is said of either), with the form's own message,
  // which may be about them, and the "already booked" alert for the dates it named.
  const clearErrors = (...fields) => form.setErrors((errors) => {
    if (!fields.some((field) => field in errors)) return errors;
    const rest = { ...errors };
    for (const field of fields) delete rest[field];
    return rest;
  });
  const changeDates = (next) => {
    clearErrors("", "check_in", "check_out");
    setDuplicate(null);
    setDates(next);
  };
  const set = (key) => (e) => changeDates({ ...dates, [key]: e.currentTarget.value });
  function pickRotation(e) {
    const id = e.currentTarget.value;
    rotationPicked.current = true;
    setRotationId(id);
    clearErrors("rotation_id", "hospital_id");
    const rotation = rotations.data.items.find((r) => r.id === id);
    // A rotation chosen before any date: its dates are the stay's.
    if (rotation && !dates.check_in && !dates.check_out) changeDates({ check_in: rotation.start_date, check_out: rotation.end_date });
  }
  const myRotations = rotations.data ? rotations.data.items : [];
  return html`<section aria-labelledby="book-h" class="panel">
    <h2 id="book-h">Your stay</h2>
    ${mine.length > 0 && html`<ul class="plain" aria-label="Your bookings of this room">${mine.map((b) => html`<li key=${b.id}>
      Booking ${fmtDate(b.check_in)} – ${fmtDate(b.check_out)}, ${fmtMoney(b.total)}: <${Status} status=${b.status} />
      ${["requested", "accepted", "confirmed"].includes(b.status) && html`<br /><span class="hint">${stayTimes(b)}</span>`}
      ${b.address && html`<br />Address: ${b.address}`}</li>`)}</ul>`}
    ${sent ? html`<div class="confirm" role="status" tabindex="-1" ref=${done}>
      <p><strong>Request sent.</strong> ${listing.host.display_name || "The host"} has your request
        for ${fmtDate(sent.check_in)} – ${fmtDate(sent.check_out)} (${fmtMoney(sent.total)}) and has until
        ${" "}${fmtDeadline(sent.expires_at, sent.time_zone)} to answer; you hear as soon as they do.</p>
      <p><a href=${bookingHref(sent.id)}>See your booking</a></p>
    </div>` : student && listing.status !== "active" ? html`<p class="notice">The host is not taking requests for this room now.
      ${mine.length > 0 ? " Your bookings above stand." : ""}</p>`
    : student ? html`<form onSubmit=${onSubmit} novalidate aria-label="Request a booking">
      ${!me.user.email_verified && html`<p class="notice">Confirm your email address to send a request: follow the link we mailed to
        ${" "}${me.user.email}. Your dates and message stay here meanwhile.</p>`}
      ${duplicate && html`<div class="alert" role="alert" tabindex="-1" ref=${done}>
        You already have a ${duplicate.status} booking of this room for these dates.${" "}
        <a href=${bookingHref(duplicate.booking_id)}>See that booking</a></div>`}
      ${myRotations.length > 0 && html`<${Field} as="select" label="For which rotation?" name="rotation_id" value=${rotationId}
        onChange=${pickRotation} error=${form.errors.rotation_id} hint="Optional: if the rotation's dates move, we tell you to shift this stay">
        <option value="">None</option>
        ${myRotations.map((r) => html`<option key=${r.id} value=${r.id}>${rotationLabel(r)}</option>`)}
      <//>`}
      <div class="row">
        <${Field} label="Check-in" name="check_in" type="date" min=${todayIn(listing.time_zone)} value=${dates.check_in} onInput=${set("check_in")} error=${form.errors.check_in} />
        <${Field} label="Check-out" name="check_out" type="date" value=${dates.check_out} onInput=${set("check_out")} error=${form.errors.check_out} />
      </div>
      <${QuoteLine} quote=${quote} />
      ${clash && html`<p class="notice" role="status">You already have a stay ${clash.status === "confirmed" ? "booked and paid" : "accepted"} at${" "}
        <a href=${bookingHref(clash.id)}>“${clash.listing_title}”</a>, ${fmtDate(clash.check_in)} – ${fmtDate(clash.check_out)}, on some of these nights.
        ${" "}Request this room too only if you mean to pay for both.</p>`}
      <${Field} as="textarea" label="Message to the host" limit=${2000} name="message" rows="3" value=${message} onInput=${(e) => { clearErrors("message"); setMessage(e.currentTarget.value); }} error=${form.errors.message} />
      <${Alert} error=${formError(form.errors, ["check_in", "check_out", "message", "rotation_id"])} />
      <button type="submit" disabled=${form.busy}>Request booking</button>
    </form>` : !me ? html`<div>
      <div class="row">
        <${Field} label="Check-in" name="check_in" type="date" min=${todayIn(listing.time_zone)} value=${dates.check_in} onInput=${set("check_in")} />
        <${Field} label="Check-out" name="check_out" type="date" value=${dates.check_out} onInput=${set("check_out")} />
      </div>
      <${QuoteLine} quote=${quote} />
      <p><a href=${`#/?next=${encodeURIComponent(hereWith(dates))}`}>Log in</a> or <a href=${`#/signup?next=${encodeURIComponent(hereWith(dates))}`}>sign up</a>
        ${" "}as a student to book${quote ? " these dates" : ""}.</p>
    </div>` : null}
  </section>`;
}

function HostCard({ listing, context }) {
  const host = useLoad(() => get(`/users/${listing.host.id}`), [listing.host.id]);
  const { me } = useSession();
  const [error, setError] = useState(null);
  return html`<section aria-labelledby="host-h" class="panel">
    <h2 id="host-h">${me && me.user.id === listing.host.id ? "You host this room" : "Your host"}</h2>
    <p><a href=${`#/users/${listing.host.id}`}>${listing.host.display_name}</a> <${Verified} verified=${listing.host.verified} role="professional" /></p>
    <${HostRating} userId=${listing.host.id} />
    <${Loading} state=${host}>${(u) => html`
      <p>${professionLine(u.profile.profession, u.profile.specialties)}</p>
      ${me && me.user.id !== u.id && html`<button type="button" onClick=${() => messageUser(u.id, listing.id).catch(setError)}>Message the host</button>`}
      <${MentorButton} user=${u} rotationId=${context.rotationId} />`}<//>
    <${Alert} error=${error} />
  </section>`;
}

function Reviews({ listing }) {
  return html`<section aria-labelledby="reviews-h">
    <h2 id="reviews-h">Reviews</h2>
    <${ReviewList} path=${`/listings/${listing.id}/reviews`} label="Reviews" />
  </section>`;
}

// A room that is gone (archived, or its host suspended) said only "Listing not found", in red,
// with no heading and no way on.
function RoomGone() {
  return html`<section>
    <h1>This room is not available</h1>
    <p>It may have been removed by its host, or be on hold while Wardmate looks into the host's account.</p>
    <p><a href="#/search">Find another room</a></p>
  </section>`;
}

// What the room form has just done ("Your room is posted"), said once on the room's page.
let roomNotice = null;
export function sayOnRoom(id, text) {
  roomNotice = { id, text };
}

export function ListingPage({ id, query }) {
  const { me } = useSession();
  const [notice] = useState(() => {
    const said = roomNotice && roomNotice.id === id ? roomNotice.text : null;
    roomNotice = null;
    return said;
  });
  // Loaded again for another query too: the room opened again from another rotation's
  // matches (or from none) kept the first one's dates, hospital and rotation.
  const state = useLoad(async () => {
    const [listing, context] = await Promise.all([get(`/listings/${id}`), loadContext(query)]);
    return { listing, context };
  }, [id, JSON.stringify(query)]);
  // Opened from a search (its card's link names the hospital or point it ran from).
  const back = lastSearchFor(query);
  return html`<${Loading} state=${state} notFound=${html`<${RoomGone} />`}>${({ listing: l, context }) => html`<article class="listing">
    ${back && html`<p><a href=${back}>← Back to your search</a></p>`}
    ${notice && html`<${Notice}>${notice}<//>`}
    <h1>${l.title}</h1>
    <p class="lead">${roomType(l.room_type)} · <span class="nowrap">${fmtMoney(l.monthly_rent)} a month</span> (<span class="nowrap">${fmtMoney(l.nightly_rate)} a night</span>)
      ${l.review_count > 0 ? ` · ★ ${l.review_average.toFixed(1)} from ${l.review_count} review${l.review_count === 1 ? "" : "s"}` : " · no reviews yet"}</p>
    ${l.status !== "active" && html`<p><${Status} status=${l.status} /></p>`}
    <${Gallery} photos=${l.photos} title=${l.title} addHref=${me && me.user.id === l.host.id ? `#/listings/${l.id}/edit?focus=photos` : null} />
    <div class="two">
      <div>
        ${l.description && html`<p class="bio">${l.description}</p>`}
        <dl class="facts">
          <dt>Available</dt><dd>${fmtDate(l.available_from)} – ${fmtDate(l.available_to)}, at least ${fmtNights(l.min_stay_nights)}</dd>
          <dt>Check-in</dt><dd>Check-in from ${fmtClock(l.check_in_time)}, check-out by ${fmtClock(l.check_out_time)} (${zoneNow(l.time_zone)}, the room's local time)</dd>
          <dt>Amenities</dt><dd>${l.amenities.length ? amenityLine(l.amenities) : "None listed"}</dd>
          <dt>House rules</dt><dd>${l.house_rules || "None"}</dd>
          <dt>Cancellation</dt><dd>${POLICIES[l.cancellation_policy] || l.cancellation_policy}. The nights beyond the first 7 (the next 7, once the stay has begun) are always refunded. Pay only through Wardmate: it holds the money until 24 h after check-in.</dd>
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
