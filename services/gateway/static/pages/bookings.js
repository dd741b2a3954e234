// Bookings as guest and as host: accept, decline, cancel, message, review after a stay.
// Each status change reaches the other party as a notification, which reloads the list.
import { html, useState } from "../vendor/preact-htm.js";
import { get, post } from "../api.js";
import { useLive, useSession } from "../session.js";
import { Alert, Empty, Field, Loading, Notice, Status, fmtDate, fmtMoney, formError, go, useForm, useLoad } from "../ui.js";
import { messageUser } from "./profile.js";

/** The conversation about a booking (or a mentorship), else a direct one with the user. */
export async function openConversationAbout(kind, id, otherUserId) {
  let cursor;
  for (let i = 0; i < 5; i += 1) {
    const page = await get("/conversations", { limit: 100, cursor });
    const found = page.items.find((c) => c.about && c.about.kind === kind && c.about.id === id);
    if (found) return go(`/inbox/${found.id}`);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return messageUser(otherUserId);
}

function ReviewForm({ booking, onDone }) {
  const [rating, setRating] = useState("5");
  const [text, setText] = useState("");
  const form = useForm();
  async function onSubmit(e) {
    e.preventDefault();
    if (await form.submit(() => post(`/bookings/${booking.id}/reviews`, { rating: Number(rating), text }))) onDone();
  }
  return html`<form class="inline-form" onSubmit=${onSubmit} novalidate aria-label=${`Review of ${booking.listing_title}`}>
    <${Field} as="select" label="Rating" name="rating" value=${rating} onChange=${(e) => setRating(e.currentTarget.value)} error=${form.errors.rating}>
      ${[5, 4, 3, 2, 1].map((n) => html`<option value=${n}>${n} star${n === 1 ? "" : "s"}</option>`)}
    <//>
    <${Field} as="textarea" label="Your review" name="text" rows="3" value=${text} onInput=${(e) => setText(e.currentTarget.value)} error=${form.errors.text} />
    <${Alert} error=${formError(form.errors, ["rating", "text"])} />
    <button type="submit" disabled=${form.busy}>Post review</button>
  </form>`;
}

function BookingCard({ b, onChange }) {
  const [error, setError] = useState(null);
  const [reviewing, setReviewing] = useState(false);
  const [reviewed, setReviewed] = useState(false);
  const other = b.role === "host" ? b.guest_id : b.host_id;
  async function act(action) {
    setError(null);
    try {
      await post(`/bookings/${b.id}/${action}`, {});
      onChange();
    } catch (err) {
      setError(err);
    }
  }
  const label = `${b.listing_title}, ${fmtDate(b.check_in)} – ${fmtDate(b.check_out)}`;
  return html`<li class="card" aria-label=${label}>
    <h3><a href=${`#/listings/${b.listing_id}`}>${b.listing_title}</a></h3>
    <p>${fmtDate(b.check_in)} – ${fmtDate(b.check_out)} · ${b.nights} nights · ${fmtMoney(b.total)} · <${Status} status=${b.status} /></p>
    ${b.message && html`<p class="quote-text">“${b.message}”</p>`}
    ${b.address && html`<p>Address: ${b.address}</p>`}
    ${b.shift && html`<p>New dates asked: ${fmtDate(b.shift.check_in)} – ${fmtDate(b.shift.check_out)} (${b.shift.status})</p>`}
    <p class="actions">
      ${b.role === "host" && html`<a href=${`#/users/${b.guest_id}`}>Guest's profile</a>`}
      ${b.role === "host" && b.status === "requested" && html`
        <button type="button" onClick=${() => act("accept")}>Accept</button>
        <button type="button" class="secondary" onClick=${() => act("decline")}>Decline</button>`}
      ${b.role === "host" && b.shift && b.shift.status === "requested" && html`
        <button type="button" onClick=${() => act("shift/accept")}>Accept new dates</button>
        <button type="button" class="secondary" onClick=${() => act("shift/decline")}>Decline new dates</button>`}
      ${(b.status === "requested" || b.status === "accepted") && html`<button type="button" class="secondary" onClick=${() => act("cancel")}>Cancel booking</button>`}
      <button type="button" class="secondary" onClick=${() => openConversationAbout("booking", b.id, other).catch(setError)}>Message ${b.role === "host" ? "guest" : "host"}</button>
      ${b.status === "completed" && !reviewed && html`<button type="button" aria-expanded=${reviewing ? "true" : "false"} onClick=${() => setReviewing(!reviewing)}>Review this stay</button>`}
    </p>
    ${reviewing && html`<${ReviewForm} booking=${b} onDone=${() => { setReviewing(false); setReviewed(true); }} />`}
    ${reviewed && html`<${Notice}>Thank you: your review is posted.</${Notice}>`}
    <${Alert} error=${error} />
  </li>`;
}

function BookingList({ role }) {
  const state = useLoad(() => get("/me/bookings", { role, limit: 100 }), [role]);
  useLive(["notification"], (frame) => (frame.type === "reload" || String(frame.data.kind).startsWith("booking")) && state.reload());
  const title = role === "host" ? "Requests for your rooms" : "Your stays";
  return html`<section aria-labelledby=${`bookings-${role}`}>
    <h2 id=${`bookings-${role}`}>${title}</h2>
    <${Loading} state=${state}>${(page) => page.items.length === 0
      ? html`<${Empty}>${role === "host" ? "No booking requests yet." : "No bookings yet. Find a room from one of your rotations."}</${Empty}>`
      : html`<ul class="cards" aria-label=${title}>${page.items.map((b) => html`<${BookingCard} key=${b.id} b=${b} onChange=${state.reload} />`)}</ul>`}<//>
  </section>`;
}

export function Bookings() {
  const { me } = useSession();
  return html`<section>
    <h1>Bookings</h1>
    ${me.user.role === "professional" ? html`<${BookingList} role="host" />` : html`<${BookingList} role="guest" />`}
  </section>`;
}
