// Bookings as guest and as host: accept, decline, cancel, message, review after a stay (or
// the host who cancelled it), ask to move an accepted stay's dates (when its rotation
// moved), withdraw or answer that.
// Each status change reaches the other party as a notification, which reloads the list.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { get, post } from "../api.js";
import { useLive, useSession } from "../session.js";
import {
  Alert, ConfirmButton, Empty, Field, Loading, Notice, ShowMore, Status, Verified, cap, fmtDate, fmtDeadline, fmtMoney, fmtNights, formError, go, href,
  professionLine, stayTimes, sumAmounts, toCents, today, useFocusOnChange, useForm, useLoad, useMore,
} from "../ui.js";
import { messageUser } from "./profile.js";
import { chargeOpen, dueWhen, findMyBooking, refundQuote } from "./payments.js";
import { GuestReviews, HostRating } from "./reviews.js";

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
  const box = useRef(null);
  // Opened by "Review this stay": focus stayed on that button, and a keyboard user tabbed
  // past the card's other actions to reach the rating.
  useEffect(() => {
    if (box.current) box.current.querySelector("select").focus();
  }, []);
  async function onSubmit(e) {
    e.preventDefault();
    if (await form.submit(() => post(`/bookings/${booking.id}/reviews`, { rating: Number(rating), text }))) onDone();
  }
  return html`<form class="inline-form" ref=${box} onSubmit=${onSubmit} novalidate aria-label=${`Review of ${booking.listing_title}`}>
    <${Field} as="select" label="Rating" name="rating" value=${rating} onChange=${(e) => setRating(e.currentTarget.value)} error=${form.errors.rating}>
      ${[5, 4, 3, 2, 1].map((n) => html`<option value=${n}>${n} star${n === 1 ? "" : "s"}</option>`)}
    <//>
    <${Field} as="textarea" label="Your review" limit=${2000} name="text" rows="3" value=${text} onInput=${(e) => setText(e.currentTarget.value)} error=${form.errors.text} />
    <${Alert} error=${formError(form.errors, ["rating", "text"])} />
    <button type="submit" disabled=${form.busy}>Post review</button>
  </form>`;
}

/** The guest asks the host to move an accepted stay: the dates of the rotation it is for
 * when that rotation moved (the rotation_moved notification links here), else its own. */
function ShiftForm({ booking, onDone }) {
  const [dates, setDates] = useState({ check_in: booking.check_in, check_out: booking.check_out });
  const [rotation, setRotation] = useState(null);
  const touched = useRef(false);
  const form = useForm();
  const fields = useRef(null);
  useEffect(() => {
    fields.current.querySelector("input").focus();
    if (!booking.rotation_id) return;
    get(`/rotations/${booking.rotation_id}`).then((r) => {
      setRotation(r);
      const moved = r.start_date !== booking.check_in || r.end_date !== booking.check_out;
      if (moved && !touched.current) setDates({ check_in: r.start_date, check_out: r.end_date });
    }, () => {});
  }, [booking.id]);
  const set = (key) => (e) => {
    touched.current = true;
    setDates({ ...dates, [key]: e.currentTarget.value });
  };
  async function onSubmit(e) {
    e.preventDefault();
    if (await form.submit(() => post(`/bookings/${booking.id}/shift`, dates))) onDone();
  }
  // What the new dates would cost, before sending: the stay's own nightly rate, rounded as
  // listings does (domain.shift_total_cents). It showed only once sent.
  // Only for whole dates of this century: a year being typed ("0020") read "733073 nights".
  const whole = (d) => /^\d{4}-\d{2}-\d{2}$/.test(d) && d >= "2000-01-01";
  const nights = whole(dates.check_in) && whole(dates.check_out)
    ? Math.round((Date.parse(dates.check_out) - Date.parse(dates.check_in)) / 86400000) : null;
  const totalCents = Math.round(booking.total * 100);
  const newTotal = nights > 0 && nights <= 366 && booking.nights > 0
    ? Math.floor((2 * totalCents * nights + booking.nights) / (2 * booking.nights)) / 100 : null;
  return html`<form class="inline-form" onSubmit=${onSubmit} novalidate aria-label=${`New dates for ${booking.listing_title}`}>
    ${rotation && html`<p class="hint">Your rotation runs ${fmtDate(rotation.start_date)} – ${fmtDate(rotation.end_date)}.</p>`}
    <div class="row" ref=${fields}>
      <${Field} label="New check-in" name="check_in" type="date" min=${today()} value=${dates.check_in} onInput=${set("check_in")} error=${form.errors.check_in} />
      <${Field} label="New check-out" name="check_out" type="date" value=${dates.check_out} onInput=${set("check_out")} error=${form.errors.check_out} />
    </div>
    <p class="hint" aria-live="polite">${newTotal !== null ? html`${fmtNights(nights)}: ${fmtMoney(newTotal)} in total at this stay's nightly rate${" "}
      (now ${fmtNights(booking.nights)}, ${fmtMoney(booking.total)}). What is paid already counts; the receipt then shows what is due or refunded.`
      : nights !== null && nights <= 0 ? "The check-out must be after the check-in." : ""}</p>
    <${Alert} error=${formError(form.errors, ["check_in", "check_out"])} />
    <button type="submit" disabled=${form.busy}>Send to the host</button>
  </form>`;
}

/** What a cancelled stay that was paid gave back (`r`: its receipt), and whether it has
 * reached the card yet (a refund is pending until the card network confirms it). */
function RefundLine({ r, role }) {
  if (!r || !(r.paid > 0)) return null;
  if (r.booking_status !== "cancelled") return html`<p role="status">Working out the refund…</p>`;
  // Refunds still pending count: the receipt's `refunded` is what the ledger has posted,
  // and it read "nothing is refunded" while a full refund was on its way.
  const back = sumAmounts(r.refunds);
  const pending = r.refunds.some((x) => x.status === "pending");
  const guest = role === "guest";
  if (!(back > 0)) {
    const what = guest ? `Nothing of the ${fmtMoney(r.paid)} you paid is refunded` : `The guest's ${fmtMoney(r.paid)} is not refunded`;
    return html`<p>${what} under the cancellation policy: see the <a href=${`#/bookings/${r.booking_id}/receipt`}>receipt</a>.</p>`;
  }
  const what = guest ? `${fmtMoney(back)} of the ${fmtMoney(r.paid)} you paid is refunded` : `The guest is refunded ${fmtMoney(back)} of ${fmtMoney(r.paid)}`;
  const where = pending
    ? guest ? ": on its way to your card (it can take 5–10 business days to show)." : " (on its way to their card)."
    : guest ? " to your card." : ".";
  return html`<p>${what}${where}</p>`;
}

/** The other bookings of the same room, in one of `statuses`, for some of these nights. */
function sameNights(b, bookings, statuses) {
  return bookings.filter((o) => o.id !== b.id && o.listing_id === b.listing_id && statuses.includes(o.status)
    && o.check_in < b.check_out && b.check_in < o.check_out);
}

/** Another booking of the same room holding (or asking for) some of these nights: a
 * declined request's "ask for them again" is then done. */
const askedAgain = (b, items) => sameNights(b, items, ["requested", "accepted", "confirmed"]).length > 0;

/** Where a request to move the stay stands, and why a booking ended, in words. */
function ShiftState({ b, again = false }) {
  const dates = b.shift && `${fmtDate(b.shift.check_in)} – ${fmtDate(b.shift.check_out)}`;
  if (b.end_reason === "shift_declined") {
    return html`<p>Cancelled without fault: the host declined to move the stay.</p>`;
  }
  if (b.end_reason === "dates_taken" && b.nights_free_again && !again) {
    // The stay that took them was cancelled, expired unpaid or moved: the guest may ask again.
    return b.role === "host"
      ? html`<p>Declined when you accepted another guest's stay; those nights are free again, and the guest was told.</p>`
      : html`<p class="notice">Declined when another guest's stay took some of these nights. That stay no longer holds
        them: they are free again. <a href=${href(`/listings/${b.listing_id}`, { from: b.check_in, to: b.check_out })}>Ask for them again</a></p>`;
  }
  if (b.end_reason === "dates_taken") {
    return html`<p>${b.role === "host" ? "Declined: you accepted another guest's stay for some of these nights."
      : "Declined: another guest's stay was accepted for some of these nights. Look for another room, or other dates."}</p>`;
  }
  if (b.end_reason === "dates_blocked") {
    return html`<p>${b.role === "host" ? "Declined: you blocked some of these nights."
      : "Declined: the host made some of these nights unavailable. Look for another room, or other dates."}</p>`;
  }
  if (!b.shift) return null;
  // The stay keeps its nightly rate: both sides see the new total before the host answers.
  const cost = html`${fmtNights(b.shift.nights)}, ${fmtMoney(b.shift.total)} in total`;
  if (b.shift.status === "requested") {
    return html`<p class="notice">${b.role === "host" ? html`The guest asks to move this stay to ${dates} (${cost}).`
      : html`You asked to move this stay to ${dates} (${cost}): waiting for the host.`}</p>`;
  }
  // Only declining the dates a moved rotation asked for frees the guest (rotation protection).
  const after = b.shift.for_rotation ? "or cancel without fault" : "or cancel under the listing's cancellation policy";
  return html`<p class="notice">${b.role === "host" ? `You declined moving this stay to ${dates}.`
    : `The host declined moving this stay to ${dates}. Keep your dates, ask for others, ${after}.`}</p>`;
}

/** The other party of a booking, named and linked with their verification: for the host,
 * who asks to stay (school, specialties, what the hosts they stayed with wrote of them);
 * for the guest, whose room it is (their work, what their guests wrote). A guest's card
 * named nobody, so a stay read as booked from no one. `side`: "guest" or "host". */
function PartySummary({ id, side }) {
  const party = useLoad(() => get(`/users/${id}`), [id]);
  if (!party.data) return html`<p><a href=${`#/users/${id}`}>The ${side}'s profile</a></p>`;
  const u = party.data;
  const about = side === "host" ? professionLine(u.profile.profession, u.profile.specialties)
    : [u.profile.medical_school, u.profile.specialties.map(cap).join(", ")].filter(Boolean).join(" · ");
  return html`<div class=${side}><p>${cap(side)}: <a href=${`#/users/${id}`}>${u.display_name}</a> <${Verified} verified=${u.verified} role=${u.role} />
    ${about && html`<br /><span class="hint">${about}</span>`}</p>
    ${side === "host" ? html`<${HostRating} userId=${id} />` : html`<${GuestReviews} userId=${id} />`}</div>`;
}

// The receipt of a request that is new to payments (an event away) is not there yet.
const QUOTE_RETRIES = 5;
const QUOTE_RETRY_MS = 1000;

/** What the host receives if they accept, as payments works it out (the receipt's
 * `if_accepted`: its schedule, the fee of each payment rounded as its release takes it). */
function AcceptQuote({ id, total }) {
  const quote = useLoad(() => get(`/bookings/${id}/payments`), [id]);
  const tries = useRef(0);
  useEffect(() => {
    if (quote.error?.code !== "not_found" || tries.current >= QUOTE_RETRIES) return undefined;
    tries.current += 1;
    const timer = setTimeout(quote.reload, QUOTE_RETRY_MS);
    return () => clearTimeout(timer);
  }, [quote.error]);
  const q = quote.data?.if_accepted;
  if (!q) return null;
  const count = q.payments.length;
  const when = count > 1 ? `each of its ${count} payments released as its nights begin (the first 24 h after check-in)` : "released 24 h after check-in";
  const text = `If you accept: the guest pays ${fmtMoney(total)} through Wardmate; you receive ${fmtMoney(q.host_net)}`
    + ` after the ${q.host_fee_percent}% host fee, ${when}.`;
  return html`<p class="hint">${text}</p>`;
}

/** The other open requests for some of `b`'s nights in the same room: accepting `b`
 * declines them (end_reason dates_taken), which the host learned only afterwards. */
function overlapping(b, bookings) {
  if (b.role !== "host" || b.status !== "requested") return 0;
  return sameNights(b, bookings, ["requested"]).length;
}

function BookingCard({ b, onChange, shiftOpen, chosen, rivals = 0, again = false }) {
  const [error, setError] = useState(null);
  const [shifting, setShifting] = useState(false);
  useEffect(() => {
    if (shiftOpen) setShifting(true);
  }, [shiftOpen]);
  const [reviewing, setReviewing] = useState(false);
  // Posted: the form and its button leave, and focus fell to the page; the thanks that
  // replaces them takes it (Notice's focus).
  const [reviewed, setReviewed] = useState(false);
  const card = useRef(null);
  // A link to one booking (the request's confirmation) brings its card into view.
  useEffect(() => {
    if (chosen && card.current) card.current.focus();
  }, [chosen]);
  const other = b.role === "host" ? b.guest_id : b.host_id;
  // One action at a time: a double click sent the second after the first had succeeded,
  // and its 409 ("no request to move this stay is waiting") read as a failure.
  // The buttons stay focusable while it runs (aria-disabled: a disabled one lost focus to the
  // page), and the card's status line takes focus when the button pressed leaves with the old
  // status (Accept, Decline).
  const acting = useRef(false);
  const [busy, setBusy] = useState(false);
  const settled = useFocusOnChange(`${b.status} ${b.shift ? b.shift.status : ""}`);
  // New dates answered: the buttons left and the dates changed with no word of it.
  const [answered, setAnswered] = useState(null);
  async function act(action) {
    if (acting.current) return;
    acting.current = true;
    setBusy(true);
    setError(null);
    setAnswered(null);
    settled.expect();
    const asked = b.shift && `${fmtDate(b.shift.check_in)} – ${fmtDate(b.shift.check_out)}`;
    try {
      await post(`/bookings/${b.id}/${action}`, {});
      if (action === "shift/accept") setAnswered(`New dates accepted: the stay now runs ${asked}. The guest is told.`);
      if (action === "shift/decline") setAnswered("New dates declined: the stay keeps its dates. The guest is told.");
      onChange();
    } catch (err) {
      setError(err);
      settled.failed();
    } finally {
      acting.current = false;
      setBusy(false);
    }
  }
  const label = `${b.listing_title}, ${fmtDate(b.check_in)} – ${fmtDate(b.check_out)}`;
  // What cancelling a paid stay gives back, asked before the cancellation is confirmed.
  const quote = useLoad(() => (b.status === "confirmed" ? refundQuote(b.id, b.role) : Promise.resolve("")), [b.id, b.status]);
  // A cancelled stay that was paid: what came back (it was only on the receipt).
  // An accepted stay: by when its guest pays (only the notice and its mail said; the host's
  // card said "waiting for the guest's payment", not until when).
  // A confirmed stay paid in blocks: when its next payment can be paid, and by when.
  const payments = useLoad(
    () => ((b.status === "cancelled" && b.end_reason !== "withdrawn") || b.status === "accepted" || b.status === "confirmed"
      ? get(`/bookings/${b.id}/payments`).catch(() => null) : Promise.resolve(null)),
    [b.id, b.status],
  );
  const paidBack = b.status === "cancelled" ? payments.data : null;
  // Payments hears of a cancellation a moment after it is made: until then its receipt has
  // no refund, and the host's card said "The guest's $1,109.70 is not refunded" of a stay
  // refunded in full. Read again each second while it has not heard (a minute at most).
  const unheard = Boolean(paidBack && paidBack.booking_status !== "cancelled");
  const rereads = useRef(0);
  useEffect(() => {
    if (!unheard || rereads.current >= 60) return undefined;
    const timer = setTimeout(() => {
      rereads.current += 1;
      payments.reload();
    }, 1000);
    return () => clearTimeout(timer);
  }, [unheard, paidBack]);
  // What Wardmate holds of a paid stay (null until the receipt is read): an operator may
  // have refunded it all, and the card still said "Wardmate still holds your payment".
  const held = b.status === "confirmed" && payments.data ? toCents(payments.data.paid - sumAmounts(payments.data.refunds)) : null;
  const firstDue = b.status === "accepted" && payments.data ? payments.data.payments.find((p) => p.index === 0 && p.status === "due") : null;
  const nextDue = b.status === "confirmed" && payments.data
    ? payments.data.payments.filter((p) => p.status === "due").sort((x, y) => x.index - y.index)[0] : null;
  // Not of a suspended host, who cannot sign in to answer (it was offered, and waited).
  const canShift = b.role === "guest" && ["accepted", "confirmed"].includes(b.status) && !b.host_suspended
    && (!b.shift || b.shift.status === "declined");
  // One clock on the card, the room's: the answer's deadline was on the browser's beside a
  // check-in on the room's ("Answer by Dec 8, 9:33 AM UTC" above "Check-in … 3:00 PM EST").
  return html`<li class=${chosen ? "card chosen" : "card"} aria-label=${label} id=${`booking-${b.id}`} ref=${card} tabindex=${chosen ? "-1" : undefined}>
    <h3><a href=${`#/listings/${b.listing_id}`}>${b.listing_title}</a></h3>
    <p ref=${settled.ref} tabindex="-1">${fmtDate(b.check_in)} – ${fmtDate(b.check_out)} · ${fmtNights(b.nights)} · ${fmtMoney(b.total)} · <${Status} status=${b.end_reason === "withdrawn" ? "withdrawn" : b.status} /></p>
    ${!["declined", "expired", "cancelled"].includes(b.status) && html`<p class="hint">${stayTimes(b)} (the room's local time)</p>`}
    ${b.status === "cancelled" && b.end_reason === "withdrawn" && html`<p>${b.role === "guest" ? "You withdrew this request before the host answered." : "The guest withdrew this request before you answered."}</p>`}
    ${b.status === "cancelled" && b.end_reason !== "withdrawn" && b.cancelled_by && html`<p>${b.cancelled_by === b.role ? "You cancelled this stay."
      : b.other_deleted ? `The ${b.cancelled_by} deleted their account, which cancelled this stay.` : `The ${b.cancelled_by} cancelled this stay.`}</p>`}
    <${RefundLine} r=${paidBack} role=${b.role} />
    ${b.other_deleted ? html`<p>${b.role === "host" ? "Guest" : "Host"}: Deleted user</p>`
      // Keyed by the review just posted: it shows among what this side wrote (the card said "No reviews yet").
      : html`<${PartySummary} key=${String(reviewed)} id=${other} side=${b.role === "host" ? "guest" : "host"} />`}
    ${b.message && html`<p class="quote-text">“${b.message}”</p>`}
    ${b.host_suspended && b.role === "guest" && ["requested", "accepted", "confirmed"].includes(b.status) && html`<p class="notice">
      Wardmate suspended this host's account. The stay is not cancelled${b.status !== "confirmed" ? "" : held > 0
        ? ", and Wardmate still holds your payment" : held === 0 ? ", and what you paid is refunded already" : ""}.
      ${" "}You may cancel it without fault: ${b.status === "confirmed" && held !== 0 ? "everything paid for nights not yet stayed is refunded, whatever the cancellation policy" : "nothing is owed"}.
      ${b.status === "accepted" ? " Wardmate takes no payment for it while the suspension lasts." : ""}
      ${" "}Never pay the host outside Wardmate.</p>`}
    ${b.address && html`<p>Address: ${b.address}</p>`}
    ${b.role === "guest" && b.status === "accepted" && !b.host_suspended && html`<p class="notice"><a class="button" href=${`#/bookings/${b.id}/pay`}>Pay ${fmtMoney(firstDue ? firstDue.amount : b.total)} to confirm</a>${" "}
      Wardmate holds the money until 24 h after check-in. The exact address shows once it is paid.${firstDue && firstDue.pay_by
        ? html`${" "}<strong>Pay by ${fmtDeadline(firstDue.pay_by, b.time_zone)}</strong>: unpaid by then, the booking expires.` : ""}</p>`}
    ${b.status === "requested" && html`<p class="hint">${b.role === "host"
      ? `Answer by ${fmtDeadline(b.expires_at, b.time_zone)}: the request expires then.`
      : `The host has until ${fmtDeadline(b.expires_at, b.time_zone)} to answer.`}</p>`}
    ${b.role === "host" && b.status === "requested" && html`<${AcceptQuote} id=${b.id} total=${b.total} />`}
    ${rivals > 0 && html`<p class="notice">${rivals === 1 ? "1 other request wants" : `${rivals} other requests want`} some of these nights:
      accepting this one declines ${rivals === 1 ? "it" : "them"}.</p>`}
    ${b.role === "host" && b.status === "accepted" && html`<p class="hint">Accepted: waiting for the guest's payment through Wardmate${firstDue && firstDue.pay_by
      ? html`, due by ${fmtDeadline(firstDue.pay_by, b.time_zone)}: unpaid by then, the booking expires and the nights are yours again` : ""}.</p>`}
    ${nextDue && html`<p>${b.role === "guest" ? "Next payment" : "The guest's next payment"}: ${fmtMoney(nextDue.amount)}${" "}
      for ${fmtNights(nextDue.nights)} from ${fmtDate(nextDue.start)}, ${dueWhen(nextDue, b.time_zone)}.${b.role === "guest"
        && chargeOpen(nextDue) ? html`${" "}<a href=${`#/bookings/${b.id}/pay`}>Pay ${fmtMoney(nextDue.amount)} now</a>` : ""}</p>`}
    ${["confirmed", "completed", "cancelled"].includes(b.status) && html`<p><a href=${`#/bookings/${b.id}/receipt`}>Receipt</a></p>`}
    <${ShiftState} b=${b} again=${again} />
    <p class="actions">
      ${b.role === "host" && b.status === "requested" && html`
        ${rivals > 0 ? html`<${ConfirmButton} label="Accept" className=""
          question=${`Accept this request? It declines the ${rivals === 1 ? "other request" : `${rivals} other requests`} for some of these nights.`}
          yes="Yes, accept" onConfirm=${() => act("accept")} />`
        : html`<button type="button" aria-disabled=${busy ? "true" : undefined} onClick=${() => act("accept")}>Accept</button>`}
        <${ConfirmButton} label="Decline" question="Decline this request?" yes="Yes, decline" onConfirm=${() => act("decline")} />`}
      ${b.role === "host" && b.shift && b.shift.status === "requested" && html`
        <button type="button" aria-disabled=${busy ? "true" : undefined} onClick=${() => act("shift/accept")}>Accept new dates</button>
        <button type="button" class="secondary" aria-disabled=${busy ? "true" : undefined} onClick=${() => act("shift/decline")}>Decline new dates</button>`}
      ${b.role === "guest" && b.shift && b.shift.status === "requested" && html`
        <button type="button" class="secondary" aria-disabled=${busy ? "true" : undefined} onClick=${() => act("shift/withdraw")}>Withdraw new dates</button>`}
      ${canShift && html`<button type="button" class="secondary" aria-expanded=${shifting ? "true" : "false"} onClick=${() => setShifting(!shifting)}>Ask to move these dates</button>`}
      ${(b.status === "accepted" || b.status === "confirmed" || (b.status === "requested" && b.role === "guest")) && html`<${ConfirmButton} label="Cancel booking"
        question=${b.status === "requested" ? "Withdraw this request?" : `Cancel this stay? ${quote.data || ""}`} yes="Yes, cancel" onConfirm=${() => act("cancel")} />`}
      ${!b.other_deleted && html`<button type="button" class="secondary" onClick=${() => openConversationAbout("booking", b.id, other).catch(setError)}>Message ${b.role === "host" ? "guest" : "host"}</button>`}
      ${b.can_review && !reviewed && html`<button type="button" aria-expanded=${reviewing ? "true" : "false"} onClick=${() => setReviewing(!reviewing)}>${b.status === "cancelled" ? "Review the host" : "Review this stay"}</button>`}
    </p>
    ${canShift && shifting && html`<${ShiftForm} booking=${b} onDone=${() => { settled.expect(); setShifting(false); onChange(); }} />`}
    ${reviewing && html`<${ReviewForm} booking=${b} onDone=${() => { setReviewing(false); setReviewed(true); }} />`}
    ${reviewed && html`<${Notice} focus>Thank you: your review is posted.</${Notice}>`}
    ${answered && html`<${Notice}>${answered}<//>`}
    <${Alert} error=${error} />
  </li>`;
}

function BookingList({ role, shift, chosen, listing }) {
  // `listing`: one room's bookings only (a room page's "See its requests" showed every room's).
  const state = useLoad(() => get("/me/bookings", { role, limit: 100, listing_id: listing }), [role, listing]);
  const list = useMore(state, (cursor) => get("/me/bookings", { role, limit: 100, listing_id: listing, cursor }));
  useLive(["notification"], (frame) => (frame.type === "reload" || String(frame.data.kind).startsWith("booking")) && state.reload());
  const room = listing && list.items.length ? `“${list.items[0].listing_title}”` : "this room";
  const title = role === "host" ? (listing ? `Requests for ${room}` : "Requests for your rooms") : "Your stays";
  // A link to one booking (?booking=, ?shift=) that the list does not show: on a later page
  // (asked for), or not the visitor's at all, which the page passed over without a word.
  const missing = Boolean(chosen) && state.data !== null && !list.items.some((b) => b.id === chosen);
  const lookup = useLoad(() => (missing ? findMyBooking(chosen) : Promise.resolve(undefined)), [chosen, missing]);
  const absent = missing && !lookup.loading && lookup.data === null;
  return html`<section aria-labelledby=${`bookings-${role}`}>
    <h2 id=${`bookings-${role}`}>${title}</h2>
    ${listing && html`<p><a href="#/bookings">See every room's requests</a></p>`}
    ${absent && html`<${Notice}>That booking is not among yours: it does not exist, or it is another account's.</${Notice}>`}
    <${Loading} state=${state}>${() => list.items.length === 0
      ? html`<${Empty}>${role === "host"
        ? html`No booking requests yet. Students ask from your rooms' pages: <a href="#/listings">see your rooms</a>.`
        : html`No bookings yet. <a href="#/search">Find a room</a> near a hospital, or open one of your <a href="#/rotations">rotations</a> to see the rooms that fit it.`}</${Empty}>`
      : html`<ul class="cards" aria-label=${title}>${list.items.map((b) => html`<${BookingCard} key=${b.id} b=${b} onChange=${state.reload} shiftOpen=${b.id === shift} chosen=${b.id === chosen}
          rivals=${overlapping(b, list.items)} again=${askedAgain(b, list.items)} />`)}</ul>
        <${ShowMore} list=${list} label="Older bookings" />`}<//>
  </section>`;
}

/** `query.shift`: the booking whose shift form opens (a rotation_moved notification's),
 * outlined and focused as `query.booking` is: a stay only requested has no form, and the
 * page showed nothing of it. */
export function Bookings({ query = {} }) {
  const { me } = useSession();
  const role = me.user.role;
  return html`<section>
    <h1>Bookings</h1>
    ${role === "admin" && html`<p>Operators take no part in bookings. To see a booking's payments or refund it, enter its
      id under Payments on the <a href="#/admin">operator page</a>.</p>`}
    ${role === "professional" && html`<${BookingList} role="host" chosen=${query.booking} listing=${query.listing} />`}
    ${role === "student" && html`<${BookingList} role="guest" shift=${query.shift} chosen=${query.booking || query.shift} />`}
  </section>`;
}
