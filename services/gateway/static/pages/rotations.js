// Home, a student's rotations, and one rotation's room and mentor matches with reasons.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { del, get, getAll, patch, post } from "../api.js";
import { useLive, useSession } from "../session.js";
import {
  Alert, ConfirmButton, Empty, Field, HospitalPicker, Loading, ShowMore, Verified, fmtDate, fmtKm, fmtMoney, fmtNights, fmtPerMonth, formError,
  earliestToday, go, hospitalLabel, cap, href, professionLine, roomType, today, useForm, useInlineForm, useLoad, useMore,
} from "../ui.js";
import { Cover } from "./photos.js";
import { SpecialtyOptions } from "../reference.js";
import { AskedMentor, useMyMentors } from "./profile.js";

export function Home() {
  const { me, unread } = useSession();
  const role = me.user.role;
  return html`<section>
    <h1>Welcome, ${me.user.display_name}</h1>
    ${unread.messages > 0 && html`<p><a href="#/inbox">You have ${unread.messages} unread message${unread.messages === 1 ? "" : "s"}</a>.</p>`}
    ${role !== "admin" && html`<${Waiting} role=${role} />`}
    ${role === "student" && html`<${Rotations} embedded />`}
    ${role === "professional" && html`<div class="cards">
      <a class="card link-card" href="#/listings">Your rooms<span>Post and edit rooms, see requests</span></a>
      <a class="card link-card" href="#/bookings">Booking requests<span>Accept or decline stays</span></a>
      <a class="card link-card" href="#/mentorships">Mentorships<span>Requests from students, your capacity</span></a>
      <a class="card link-card" href="#/profile">Profile and verification<span>Hospitals, mentoring, your badge</span></a>
    </div>`}
    ${role === "admin" && html`<p><a href="#/admin">Open the operator page</a> to verify professionals' credentials and
      students' documents, handle reports and suspensions, and look up a booking's payments to refund or reconcile;
      or <a href="#/admin/rounds">run a cohort match round</a>, or see <a href="#/admin/mentoring">mentoring outcomes</a>.</p>`}
  </section>`;
}

/** What waits for the member: a host's or mentor's requests (their home said only "1 unread
 * message", the request's conversation), a mentor's letter requests, meeting times either
 * side proposed for the other to answer, and a student's accepted stays to pay (a student's
 * home showed none of these). Past 100, "100+". */
function Waiting({ role }) {
  const host = role === "professional";
  const asked = () => Promise.all([
    host ? get("/me/bookings", { role: "host", status: "requested", limit: 100 }) : null,
    host ? get("/me/mentorships", { role: "mentor", status: "requested", limit: 100 }) : null,
    // Open ones come first: the requested among the first 100 (a mentor's letters did not show).
    host ? get("/me/letters", { role: "writer", limit: 100 }) : null,
    get("/me/meetings-to-answer", { limit: 20 }),
    host ? null : get("/me/bookings", { role: "guest", status: "accepted", limit: 20 }),
  ]);
  const state = useLoad(asked, [role]);
  useLive(["notification"], (frame) => (frame.type === "reload" || /^(booking|mentorship|letter|meeting)/.test(String(frame.data.kind))) && state.reload());
  if (!state.data) return null;
  const [bookings, mentorships, letterPage, meetings, toPay] = state.data;
  const n = (page) => `${page.items.length}${page.next_cursor ? "+" : ""}`;
  const lines = [];
  if (bookings && bookings.items.length) {
    lines.push(html`<li><a href="#/bookings">${n(bookings)} booking request${bookings.items.length === 1 && !bookings.next_cursor ? "" : "s"}</a></li>`);
  }
  if (mentorships && mentorships.items.length) {
    lines.push(html`<li><a href="#/mentorships">${n(mentorships)} mentorship request${mentorships.items.length === 1 && !mentorships.next_cursor ? "" : "s"}</a></li>`);
  }
  const letters = letterPage ? letterPage.items.filter((l) => l.status === "requested").length : 0;
  if (letters) {
    lines.push(html`<li><a href="#/letters">${letters} letter request${letters === 1 ? "" : "s"}</a></li>`);
  }
  for (const b of toPay ? toPay.items.filter((b) => !b.host_suspended) : []) {
    lines.push(html`<li key=${b.id}><a href=${`#/bookings/${b.id}/pay`}>Pay for “${b.listing_title}”</a>: the host accepted, and the stay is confirmed once it is paid</li>`);
  }
  for (const m of meetings.items) {
    lines.push(html`<li key=${m.id}><a href=${`#/mentorships/${m.mentorship_id}`}>${m.proposed_by_name || "The other side"} proposed meeting times</a>: choose one or decline</li>`);
  }
  if (meetings.next_cursor) lines.push(html`<li><a href="#/mentorships">More meeting times to answer</a></li>`);
  if (!lines.length) return null;
  return html`<section aria-labelledby="waiting-h">
    <h2 id="waiting-h">Waiting for you</h2>
    <ul>${lines}</ul>
  </section>`;
}

function RotationForm({ onCreated }) {
  const [hospital, setHospital] = useState(null);
  const [f, setF] = useState({ specialty: "", start_date: today(30), end_date: today(58), monthly_budget: "" });
  const form = useForm();
  const formRef = useRef(null);
  // Opened by "Add a rotation", whose button it replaces: focus goes to its first field
  // rather than back to the top of the page.
  useEffect(() => {
    if (formRef.current) formRef.current.querySelector("input").focus();
  }, []);
  const set = (key) => (e) => setF({ ...f, [key]: e.currentTarget.value });
  async function onSubmit(e) {
    e.preventDefault();
    if (!hospital) {
      // Each field's problem at once, focus on the first (it marked the hospital alone and
      // left focus on the button; an empty specialty was told only on the next try).
      const missing = { hospital_id: "Choose the hospital from the suggestions" };
      if (f.specialty.trim().length < 2) missing.specialty = "Write at least 2 characters.";
      await form.refuse(missing);
      return;
    }
    const body = { hospital_id: hospital.id, specialty: f.specialty, start_date: f.start_date, end_date: f.end_date };
    if (f.monthly_budget) body.monthly_budget = Number(f.monthly_budget);
    const rotation = await form.submit(() => post("/rotations", body));
    if (rotation) onCreated(rotation);
  }
  const err = form.errors;
  return html`<form onSubmit=${onSubmit} novalidate aria-labelledby="add-rotation-h" ref=${formRef}>
    <h2 id="add-rotation-h">Add a rotation</h2>
    <${HospitalPicker} value=${hospital} onPick=${setHospital} error=${err.hospital_id} />
    <${Field} label="Specialty" name="specialty" value=${f.specialty} onInput=${set("specialty")} error=${err.specialty} hint="e.g. cardiology"
      list="rotation-specialties" />
    <${SpecialtyOptions} id="rotation-specialties" />
    <div class="row">
      <${Field} label="Start date" name="start_date" type="date" value=${f.start_date} onInput=${set("start_date")} error=${err.start_date} />
      <${Field} label="End date" name="end_date" type="date" value=${f.end_date} onInput=${set("end_date")} error=${err.end_date}
        hint="The day you move out: rooms are matched for the nights before it" />
      <${Field} label="Monthly budget (USD)" name="monthly_budget" type="number" inputmode="numeric" min="1"
        value=${f.monthly_budget} onInput=${set("monthly_budget")} error=${err.monthly_budget} />
    </div>
    <${Alert} error=${formError(err, ["hospital_id", "specialty", "start_date", "end_date", "monthly_budget"])} />
    <button type="submit" disabled=${form.busy}>Add rotation</button>
  </form>`;
}

export function Rotations({ embedded }) {
  const state = useLoad(() => get("/me/rotations", { limit: 100 }), []);
  const list = useMore(state, (cursor) => get("/me/rotations", { limit: 100, cursor }));
  const [adding, setAdding] = useState(false);
  return html`<section aria-labelledby="rotations-h">
    ${embedded ? html`<h2 id="rotations-h">Your rotations</h2>` : html`<h1 id="rotations-h">Your rotations</h1>`}
    <${Loading} state=${state}>${() => list.items.length === 0
      ? html`<${Empty}>No rotations yet. Add one to see rooms and mentors near its hospital.</${Empty}>`
      : html`<ul class="cards" aria-label="Rotations">${list.items.map((r) => html`<li class="card" key=${r.id}>
          <h3><a href=${`#/rotations/${r.id}`}>${cap(r.specialty)} at ${hospitalLabel(r.hospital)}</a></h3>
          <p>${fmtDate(r.start_date)} – ${fmtDate(r.end_date)} · ${fmtNights(r.nights)}${r.monthly_budget ? html` · budget ${fmtPerMonth(r.monthly_budget)}` : ""}${over(r) ? " · over" : ""}</p>
        </li>`)}</ul>
        <${ShowMore} list=${list} label="Older rotations" />`}<//>
    ${adding ? html`<${RotationForm} onCreated=${(r) => go(`/rotations/${r.id}`)} />`
      : html`<button type="button" onClick=${() => setAdding(true)}>Add a rotation</button>`}
  </section>`;
}

function RoomMatches({ rotation }) {
  const [pages, setPages] = useState([]);
  const state = useLoad(async () => {
    const page = await get(`/rotations/${rotation.id}/room-matches`);
    setPages([]);
    return page;
  }, [rotation.id, rotation.start_date, rotation.end_date]);
  // A room posted a moment ago reaches matching through events: a suggestion says so.
  useLive(["notification"], (frame) => (frame.type === "reload" || frame.data.kind === "match_suggested") && state.reload());
  async function more(cursor) {
    const page = await get(`/rotations/${rotation.id}/room-matches`, { cursor });
    setPages([...pages, page]);
  }
  return html`<section aria-labelledby="room-matches-h">
    <h2 id="room-matches-h">Rooms for this rotation</h2>
    <${Loading} state=${state}>${(first) => {
      const all = [first, ...pages];
      const items = all.flatMap((p) => p.items);
      const next = all[all.length - 1].next_cursor;
      if (!items.length) return html`<${Empty}>No rooms within 50 km are free for these dates yet. We will notify you when one is posted.</${Empty}>
        <button type="button" class="secondary" onClick=${state.reload}>Check again</button>`;
      return html`<ul class="cards" aria-label="Room matches">${items.map((m) => html`<li class="card" key=${m.listing.id}>
          <${Cover} listing=${m.listing} />
          <h3><a href=${href(`/listings/${m.listing.id}`, { rotation: rotation.id })}>${m.listing.title}</a></h3>
          <p>${roomType(m.listing.room_type)} · ${fmtPerMonth(m.listing.monthly_rent)} · <span class="nowrap">${m.distance}</span> from the hospital</p>
          <p>${fmtMoney(m.stay_total)} for ${fmtNights(m.free_nights)}${rotation.nights && m.free_nights < rotation.nights
            ? html` <strong>of your ${rotation.nights}</strong>` : ""} · <span class="nowrap">match ${Math.round(m.score * 100)}%</span></p>
          <p>Host: ${m.listing.host.display_name} <${Verified} verified=${m.listing.host.verified} role="professional" /></p>
          <ul class="reasons" aria-label="Why it matches">${m.reasons.map((r) => html`<li>${r}</li>`)}</ul>
        </li>`)}</ul>
        ${next && html`<button type="button" class="secondary" onClick=${() => more(next)}>More rooms</button>`}`;
    }}<//>
  </section>`;
}

/** A request to mentor, with a message and the rotation it is about (the mentor sees both). */
function AskMentor({ mentor, rotation, onSent }) {
  const inline = useInlineForm("textarea");
  const [message, setMessage] = useState("");
  const form = useForm();
  async function onSubmit(e) {
    e.preventDefault();
    const sent = await form.submit(() => post("/mentorships", { mentor_id: mentor.id, rotation_id: rotation.id, message }));
    if (sent) onSent(sent);
  }
  if (!inline.open) {
    return html`<button type="button" ref=${inline.button} aria-expanded="false" onClick=${inline.show}>Ask ${mentor.display_name} to mentor you</button>`;
  }
  return html`<form class="inline-form" ref=${inline.form} onSubmit=${onSubmit} novalidate aria-label=${`Mentorship request to ${mentor.display_name}`}>
    <p class="hint">${mentor.display_name} will see your ${rotation.specialty} rotation at ${hospitalLabel(rotation.hospital)},${" "}
      ${fmtDate(rotation.start_date)} – ${fmtDate(rotation.end_date)}.</p>
    <${Field} as="textarea" label="Message to the mentor" limit=${2000} name="message" rows="3" value=${message}
      hint="What you hope to learn, and how you would like to meet"
      onInput=${(e) => setMessage(e.currentTarget.value)} error=${form.errors.message} />
    <${Alert} error=${formError(form.errors, ["message"])} />
    <button type="submit" disabled=${form.busy}>Request mentorship</button>
    <button type="button" class="secondary" onClick=${inline.close}>Not now</button>
  </form>`;
}

function MentorMatches({ rotation }) {
  const state = useLoad(() => get(`/rotations/${rotation.id}/mentor-matches`), [rotation.id]);
  const list = useMore(state, (cursor) => get(`/rotations/${rotation.id}/mentor-matches`, { cursor }), (m) => m.mentor.id);
  // Requests sent from this page (the notice takes focus), and those made before it.
  const [requested, setRequested] = useState({});
  const mentors = useMyMentors();
  return html`<section aria-labelledby="mentor-matches-h">
    <h2 id="mentor-matches-h">Mentors for this rotation</h2>
    <${Loading} state=${state}>${() => list.items.length === 0
      ? html`<${Empty}>No mentors who share your specialty, school, country, languages or organizations, or who work near this hospital, have room for another student yet.</${Empty}>`
      : html`<ul class="cards" aria-label="Mentor matches">${list.items.map((m) => html`<li class="card" key=${m.mentor.id}>
          <h3><a href=${`#/users/${m.mentor.id}`}>${m.mentor.display_name}</a> <${Verified} verified=${m.mentor.verified} role="professional" />
            ${m.remote && html` <span class="tag">Remote</span>`}</h3>
          <p>${professionLine(m.mentor.profession, m.mentor.specialties)}${" "}
            · ${m.remaining_capacity} place${m.remaining_capacity === 1 ? "" : "s"} left${m.hospital_km === null ? "" : m.hospital_km < 0.05 ? " · at this hospital" : html` · ${fmtKm(m.hospital_km)} away`}</p>
          ${m.remote && html`<p class="hint">Works far from this hospital: mentoring would be by messages and calls.</p>`}
          <ul class="reasons" aria-label="Why they match">${m.reasons.map((r) => html`<li>${r}</li>`)}</ul>
          ${requested[m.mentor.id] ? html`<${AskedMentor} mentorship=${requested[m.mentor.id]} name=${m.mentor.display_name} focus />`
            : mentors && mentors.has(m.mentor.id) ? html`<${AskedMentor} mentorship=${mentors.get(m.mentor.id)} name=${m.mentor.display_name} />`
            : mentors && html`<${AskMentor} mentor=${m.mentor} rotation=${rotation}
              onSent=${(sent) => setRequested((shown) => ({ ...shown, [m.mentor.id]: sent }))} />`}
        </li>`)}</ul>
        <${ShowMore} list=${list} label="More mentors" />`}<//>
  </section>`;
}

/** Move a rotation's dates: the stays booked for it that no longer fit are notified. */
function RotationDates({ rotation, onSaved }) {
  const [f, setF] = useState({ start_date: rotation.start_date, end_date: rotation.end_date });
  const form = useForm();
  // One instance throughout: keyed by the dates, a save remounted it and lost the button.
  const inline = useInlineForm("input");
  const set = (key) => (e) => setF({ ...f, [key]: e.currentTarget.value });
  async function onSubmit(e) {
    e.preventDefault();
    const saved = await form.submit(() => patch(`/rotations/${rotation.id}`, f));
    if (saved) {
      setF({ start_date: saved.start_date, end_date: saved.end_date });
      inline.close();
      onSaved(saved);
    }
  }
  function keep() {
    setF({ start_date: rotation.start_date, end_date: rotation.end_date });
    form.setErrors({});
    inline.close();
  }
  if (!inline.open) {
    return html`<button type="button" class="secondary" ref=${inline.button} aria-expanded="false" onClick=${inline.show}>Change dates</button>`;
  }
  return html`<form onSubmit=${onSubmit} novalidate aria-label="Change the rotation's dates" ref=${inline.form}>
    <div class="row">
      <${Field} label="Start date" name="start_date" type="date" value=${f.start_date} onInput=${set("start_date")} error=${form.errors.start_date} />
      <${Field} label="End date" name="end_date" type="date" value=${f.end_date} onInput=${set("end_date")} error=${form.errors.end_date} />
    </div>
    <p class="hint">Stays booked for this rotation keep their dates: you will be told which to ask the host to move.</p>
    <${Alert} error=${formError(form.errors, ["start_date", "end_date"])} />
    <p class="actions"><button type="submit" disabled=${form.busy}>Save dates</button>
      <button type="button" class="secondary" onClick=${keep}>Keep the dates</button></p>
  </form>`;
}

/** Delete a rotation, asked first. Its suggestions go with it (ON DELETE CASCADE); stays and
 * mentorships are kept: the stays are listings', mentorships lose only their link to it
 * (ON DELETE SET NULL). Then the list, which no longer shows it, takes focus on its heading. */
function DeleteRotation({ rotation }) {
  const [error, setError] = useState(null);
  const busy = useRef(false);
  async function remove() {
    // The button is back while the request runs: a second "Yes" would only find it gone.
    if (busy.current) return;
    busy.current = true;
    setError(null);
    try {
      await del(`/rotations/${rotation.id}`);
      go("/rotations");
    } catch (err) {
      setError(err);
    } finally {
      busy.current = false;
    }
  }
  return html`<div>
    <p class="actions"><${ConfirmButton} label="Delete this rotation" yes="Yes, delete it" onConfirm=${remove}
      question="Delete this rotation? Its room and mentor suggestions go with it. Stays you have requested or booked, and your mentorships, are kept." /></p>
    <${Alert} error=${error} focus />
  </div>`;
}

/** The nights of a rotation a room can still be booked for: from today on (search refuses
 * a check-in in the past, as booking does); none once it is over. A room opened from its
 * matches takes these too (it took the start date gone by, and priced all the nights). */
export function stayDates(r) {
  const from = r.start_date < today() ? today() : r.start_date;
  return from < r.end_date ? { from, to: r.end_date } : {};
}

/** Over from its end date on (the student leaves that day): its page offered rooms for
 * nights gone, "We will notify you when one is posted", and mentors to ask about it. */
const over = (r) => r.end_date <= earliestToday();

// A stay's words on its rotation's page, by status.
// "Confirmed": its first payment is made, not every one ("booked and paid" said so of a
// stay with a payment still due).
const STAY_STATE = { requested: "requested, waiting for the host", accepted: "accepted, to pay", confirmed: "booked and confirmed", completed: "stayed" };

/** A stay that can still move whose dates are not the rotation's (it moved since): the
 * page said nothing, and only the notice led to the form asking the host for new dates. */
const apart = (b, rotation) => ["accepted", "confirmed"].includes(b.status) && !(b.shift && b.shift.status === "requested")
  && (b.check_in !== rotation.start_date || b.check_out !== rotation.end_date);

/** The stays the student booked for this rotation: its page offered rooms as if it had none
 * ("free for all 27 nights of your rotation"), the booked room gone from the list unsaid. */
function RotationStays({ rotation }) {
  const state = useLoad(() => getAll("/me/bookings", { role: "guest" }), [rotation.id]);
  useLive(["notification"], (frame) => (frame.type === "reload" || String(frame.data.kind).startsWith("booking")) && state.reload());
  const stays = (state.data || []).filter((b) => b.rotation_id === rotation.id && b.status in STAY_STATE);
  if (!stays.length) return null;
  return html`<section aria-labelledby="rotation-stays-h">
    <h2 id="rotation-stays-h">Your ${stays.length === 1 ? "stay" : "stays"} for this rotation</h2>
    <ul>${stays.map((b) => html`<li key=${b.id}><a href=${`#/bookings?booking=${b.id}`}>${b.listing_title}</a>,
      ${" "}${fmtDate(b.check_in)} – ${fmtDate(b.check_out)}: ${STAY_STATE[b.status]}${b.shift && b.shift.status === "requested"
        ? `; new dates asked, ${fmtDate(b.shift.check_in)} – ${fmtDate(b.shift.check_out)}, waiting for the host` : ""}
      ${apart(b, rotation) && html`<br />Not the rotation's dates: <a href=${`#/bookings?shift=${b.id}`}>ask the host to move it to
        ${" "}${fmtDate(rotation.start_date)} – ${fmtDate(rotation.end_date)}</a>`}</li>`)}</ul>
  </section>`;
}

/** A rotation deleted (its page reached again by Back, or a link kept) or someone else's. */
function RotationGone() {
  return html`<section>
    <h1>This rotation is not here</h1>
    <p>It was deleted, or it belongs to another account.</p>
    <p><a href="#/rotations">Your rotations</a></p>
  </section>`;
}

export function RotationPage({ id }) {
  const state = useLoad(() => get(`/rotations/${id}`), [id]);
  return html`<${Loading} state=${state} notFound=${html`<${RotationGone} />`}>${(r) => html`<section>
    <h1>${cap(r.specialty)} at ${hospitalLabel(r.hospital)}</h1>
    <p>${fmtDate(r.start_date)} – ${fmtDate(r.end_date)} · ${fmtNights(r.nights)}${r.monthly_budget ? html` · budget ${fmtPerMonth(r.monthly_budget)}` : ""}</p>
    <${RotationDates} rotation=${r} onSaved=${state.reload} />
    <${RotationStays} rotation=${r} />
    ${over(r) ? html`<p role="status">This rotation is over: no room or mentor is matched to it any more (Wardmate refuses a
      mentorship request about it). Change its dates, or add your next rotation on <a href="#/rotations">Your rotations</a>.</p>`
    : html`<p><a href=${href("/search", { hospital: r.hospital.id, hname: hospitalLabel(r.hospital), lat: r.hospital.latitude, lon: r.hospital.longitude, ...stayDates(r) })}>Search all rooms near this hospital</a> · <a href=${`#/hospitals/${r.hospital.id}`}>People at this hospital</a></p>
    <${RoomMatches} rotation=${r} />
    <${MentorMatches} rotation=${r} />`}
    <${DeleteRotation} rotation=${r} />
  </section>`}<//>`;
}

