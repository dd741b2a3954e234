// Paying for an accepted booking (Stripe.js: the card goes to Stripe, never to Wardmate),
// its receipt, the refund a cancellation would give, and a host's payouts.
import { html, useEffect, useRef, useState } from "../vendor/preact-htm.js";
import { ApiError, get, post, serverNow } from "../api.js";
import { useLive, useSession } from "../session.js";
import { Alert, Empty, Loading, Notice, ShowMore, Status, cap, fmtDate, fmtDay, fmtDeadline, fmtMoney, fmtNights, sumAmounts, useLoad, useMore } from "../ui.js";

let stripeScript = null;
/** Stripe.js from the one origin the page's CSP allows (the server names it in a meta tag). */
function loadStripe() {
  if (!stripeScript) {
    const src = document.querySelector('meta[name="wardmate-stripe-js"]')?.content;
    stripeScript = new Promise((resolve, reject) => {
      if (!src) return reject(new Error("Card payments are not configured here."));
      const tag = document.createElement("script");
      tag.src = src;
      tag.onload = () => resolve(window.Stripe);
      tag.onerror = () => {
        stripeScript = null;
        reject(new Error("Stripe could not be reached: try again in a moment."));
      };
      document.head.appendChild(tag);
    });
  }
  return stripeScript;
}

/** A payment method id for the card in the Element: Stripe.js's createPaymentMethod, or
 * where that answers nothing (localstripe's fake Stripe.js) a token's card. */
// What a refusal that names nothing ("Bad request": localstripe's form given a 4-digit
// year) says instead: which details to check.
const CHECK_CARD = "The card's details were not accepted: check its number, its expiry month and year, and its security code.";
const cardError = (error) => new Error(!error.message || /^bad request\.?$/i.test(error.message.trim()) ? CHECK_CARD : error.message);

const GIVE_CARD = "Give the card's number, expiry date and security code.";

/** `call()`, Stripe.js's, whose own script failing on a form left empty (localstripe's:
 * "Cannot read properties of undefined (reading 'card')", shown as it was) reads as the
 * card's details missing. */
async function stripeCall(call) {
  try {
    return await call();
  } catch (err) {
    if (err instanceof TypeError) throw new Error(GIVE_CARD);
    throw err;
  }
}

async function cardId(stripe, card) {
  const method = await stripeCall(() => stripe.createPaymentMethod({ type: "card", card }));
  if (method && method.error) throw cardError(method.error);
  if (method && method.paymentMethod) return method.paymentMethod.id;
  const made = await stripeCall(() => stripe.createToken(card));
  if (made.error) throw cardError(made.error);
  // Empty fields gave no error and no card ("Cannot read properties of undefined").
  if (!made.token || !made.token.card) throw new Error(GIVE_CARD);
  return made.token.card.id;
}

/** "Feb 8, 2027 – Feb 22, 2027 (14 nights)": the nights from ``start`` (a date). */
function nightsFrom(start, nights) {
  if (nights === 0) return `no whole night (${fmtDate(start)})`;
  const end = new Date(`${start}T00:00:00`);
  end.setDate(end.getDate() + nights);
  const last = `${end.getFullYear()}-${String(end.getMonth() + 1).padStart(2, "0")}-${String(end.getDate()).padStart(2, "0")}`;
  // One element: a phone's stacked table lays a cell's children out apart ("(", "14 nights", ")").
  return html`<span>${fmtDate(start)} – ${fmtDate(last)} (${fmtNights(nights)})</span>`;
}

/** The nights a payment pays for now; one refunded in full pays for none. */
function paysFor(p) {
  if (p.nights === 0 && p.refunded > 0) return "Nothing now (refunded)";
  return nightsFrom(p.start, p.nights);
}

/** The payments that new dates replaced before they were paid: apart, so a guest does not
 * count them (or their numbers) among the payments of the stay. */
function Replaced({ replaced }) {
  return html`<div class="table-wrap" tabindex="0" role="region" aria-label="Replaced payments table"><table>
    <caption>Replaced by new dates</caption>
    <thead><tr><th scope="col">Asked for</th><th scope="col">Amount</th><th scope="col">What became of it</th></tr></thead>
    <tbody>${replaced.map((p) => html`<tr>
      <td>${nightsFrom(p.start, p.nights)}</td><td>${fmtMoney(p.amount)}</td>
      <td>${p.refunded > 0 ? `Paid from a page left open, ${fmtMoney(p.refunded)} refunded` : "Never charged"}</td>
    </tr>`)}</tbody>
  </table></div>
  <p class="hint">The stay's dates changed before these were paid: they are not part of what the stay costs.</p>`;
}

// A stay that ended before it was had: its receipt says so first.
const ENDED = new Set(["cancelled", "declined", "expired"]);

/** What a payment is now: refunded in full reads "Refunded", not the charge's "Succeeded". */
function paymentStatus(p) {
  if (p.status === "succeeded" && p.amount > 0 && p.refunded >= p.amount) return html`<${Status} status="refunded" />`;
  // "Paid", not Stripe's "Succeeded"; a payment not yet open "Upcoming" ("Due" read as "pay now").
  const label = p.status === "succeeded" ? "Paid" : p.status === "due" && !chargeOpen(p) ? "Upcoming" : undefined;
  if (p.status === "succeeded" && p.refunded > 0) return html`<${Status} status=${p.status} label=${label} /> (${fmtMoney(p.refunded)} refunded)`;
  return html`<${Status} status=${p.status} label=${label} />`;
}

/** When a payment still due can be paid and by when, on the room's clock (and the
 * reader's): "payable from Jan 31, 2027, 3:00 PM EST, due by Feb 3, 2027, 3:00 PM EST". A
 * later payment read "Due" alone, as if owed now, and no page said when. */
export function dueWhen(p, zone) {
  const from = chargeOpen(p) ? "payable now" : `payable from ${fmtDeadline(p.charge_from, zone)}`;
  return p.pay_by ? `${from}, due by ${fmtDeadline(p.pay_by, zone)}` : from;
}

/** Whether a payment's charging has opened (the first payment at once, a later block 3 days
 * before its nights): the receipt's "Upcoming", "payable now", and the Pay links read it. */
export const chargeOpen = (p) => Date.parse(p.charge_from) <= serverNow();

/** Until when Wardmate holds it: nothing is held of a payment released or refunded in full. */
function heldUntil(p, zone) {
  if (p.released_at) return "released";
  if (p.status !== "succeeded" && p.status !== "due") return "—";
  if (p.status === "succeeded" && p.refunded >= p.amount) return "—";
  // Not paid yet, nothing is held: "Held until <date>" read as money already with Wardmate.
  return p.status === "due" ? `${fmtDeadline(p.release_at, zone)} (once paid)` : fmtDeadline(p.release_at, zone);
}

/** What the guest still owes in payments due (a stay paid in blocks): the host's "you
 * receive" counted what was paid so far, beside a request card's whole net. */
const dueLater = (r) => sumAmounts(r.payments.filter((p) => p.status === "due"));

/** A booking's receipt; `titled` false where the page's own heading already says "Receipt". */
function Receipt({ r, role, titled = true }) {
  const body = html`
    ${ENDED.has(r.booking_status) && html`<p><${Status} status=${r.booking_status} /> This stay will not take place: what was paid and refunded is below.</p>`}
    <p>${fmtDate(r.check_in)} – ${fmtDate(r.check_out)} · ${fmtNights(r.nights)} × ${fmtMoney(r.nightly_rate)} = ${fmtMoney(r.total)}</p>
    <div class="table-wrap" tabindex="0" role="region" aria-label="Payments table"><table class="stack">
      <caption>Payments</caption>
      <thead><tr><th scope="col">Payment</th><th scope="col">Pays for</th><th scope="col">Amount</th><th scope="col">Status</th><th scope="col">Paid</th><th scope="col">Held until</th></tr></thead>
      <tbody>${r.payments.map((p) => html`<tr>
        <th scope="row" data-label="Payment">${p.number}</th><td data-label="Pays for">${paysFor(p)}</td><td data-label="Amount">${fmtMoney(p.amount)}</td>
        <td data-label="Status"><span>${paymentStatus(p)}${p.status === "due" ? html`<br /><span class="hint">${cap(dueWhen(p, r.time_zone))}</span>` : ""}${p.status === "due" && p.failure ? html`<br /><span class="hint">Last attempt failed: ${p.failure}</span>` : ""}</span></td>
        <td data-label="Paid"><span>${p.paid_at ? fmtDay(p.paid_at) : "—"}${p.card ? html`<br /><span class="hint">${p.card}</span>` : ""}</span></td><td data-label="Held until">${heldUntil(p, r.time_zone)}</td>
      </tr>`)}</tbody>
    </table></div>
    ${r.replaced.length > 0 && html`<${Replaced} replaced=${r.replaced} />`}
    ${r.refunds.length > 0 && html`<ul aria-label="Refunds">${r.refunds.map((x) => html`<li>${fmtMoney(x.amount)} refunded${x.status === "pending" ? " (on its way to Stripe)" : ""}: ${x.reason}.</li>`)}</ul>`}
    <p>Paid ${fmtMoney(r.paid)} · refunded ${fmtMoney(r.refunded)} · held by Wardmate ${fmtMoney(r.held)}</p>
    ${role === "host" && html`<p>Host fee ${r.host_fee_percent}%: ${fmtMoney(r.host_fee)} · you receive ${fmtMoney(r.host_net)}${dueLater(r) > 0
      ? ` of what is paid so far; ${fmtMoney(dueLater(r))} more is due from the guest in later payments` : ""}</p>`}
    <p class="hint">Cancellation policy: ${r.cancellation_policy}.</p>`;
  if (!titled) return html`<div class="card">${body}</div>`;
  return html`<section aria-labelledby="receipt-title" class="card">
    <h2 id="receipt-title">Receipt</h2>
    ${body}
  </section>`;
}

/** The payment the guest can make now: the first due one whose charging has opened (the
 * first payment, a later block from 3 days before its nights, or what new dates added). */
function payableNow(r) {
  return r.payments
    .filter((p) => p.status === "due" && chargeOpen(p))
    .sort((a, b) => a.index - b.index)[0];
}

/** The card form. Pay is disabled while it runs, which drops focus to the page: a decline's
 * error takes it (Alert's focus), and a payment made replaces the form by a notice that
 * takes it (PayPage). */
function CardForm({ booking, due, zone, onPaid }) {
  const mount = useRef(null);
  const stripe = useRef(null);
  const card = useRef(null);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let live = true;
    loadStripe().then((Stripe) => {
      if (!live) return;
      // The publishable key comes with the first answer of /pay (none is needed to draw the form).
      post(`/bookings/${booking}/pay`, {}).then((intent) => {
        if (!live) return;
        stripe.current = Stripe(intent.publishable_key);
        card.current = stripe.current.elements().create("card");
        card.current.mount(mount.current);
        setReady(true);
      }, setError);
    }, (err) => setError(String((err && err.message) || err)));
    return () => {
      live = false;
      if (card.current) card.current.destroy();
    };
  }, [booking]);
  async function onSubmit(e) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const method = await cardId(stripe.current, card.current);
      const intent = await post(`/bookings/${booking}/pay`, { payment_method: method });
      if (intent.intent_status === "requires_action") {
        // The bank asks for 3-D Secure: Stripe.js shows its challenge.
        const done = await stripe.current.confirmCardPayment(intent.client_secret);
        if (done.error) throw new Error(done.error.message || "The card's authentication failed.");
      }
      await post(`/bookings/${booking}/pay/confirm`, {});
      onPaid();
    } catch (err) {
      setError(err instanceof ApiError ? err : String((err && err.message) || err));
    } finally {
      setBusy(false);
    }
  }
  return html`<form onSubmit=${onSubmit} aria-label="Card payment" class="card">
    <h2>${due.index === 0 ? html`Pay ${fmtMoney(due.amount)} to confirm` : html`Pay ${fmtMoney(due.amount)} for ${fmtNights(due.nights)} from ${fmtDate(due.start)}`}</h2>
    ${due.pay_by && html`<p><strong>Pay by ${fmtDeadline(due.pay_by, zone)}</strong>${due.index === 0 ? ": unpaid by then, the booking expires." : "."}</p>`}
    <p>Held by Wardmate until ${fmtDeadline(due.release_at, zone)}, then released to the host. Never pay a host by wire, gift card or app.</p>
    <div class="card-element" ref=${mount} role="group" aria-label="Card details"></div>
    ${due.failure && html`<p class="alert" role="alert">The last attempt failed: ${due.failure}</p>`}
    <${Alert} error=${error} focus />
    <button type="submit" disabled=${busy || !ready}>Pay ${fmtMoney(due.amount)}</button>
  </form>`;
}

/** The visitor's booking `id` (they are its guest or its host), else null: it does not
 * exist or it is another account's (404), or the id is no id (400). */
export async function findMyBooking(id) {
  try {
    return await get(`/bookings/${encodeURIComponent(id)}`);
  } catch (err) {
    if (err instanceof ApiError && ["not_found", "validation"].includes(err.code)) return null;
    throw err;
  }
}

/** A booking's pay or receipt page reached with someone else's booking, or a made-up id. */
function BookingGone({ title }) {
  return html`<section>
    <h1>${title}</h1>
    <p>This booking is not here. It does not exist, or it is another account's booking.</p>
    <p><a href="#/bookings">Your bookings</a></p>
  </section>`;
}

/** #/bookings/{id}/pay: the receipt, and the card form while the first payment is due. */
export function PayPage({ id }) {
  // The booking first: payments answers not_found both for a booking it has not heard of
  // yet (an acceptance is an event away) and for one that is not the visitor's, and the
  // second waited out the 30 s of the first before saying so.
  const booking = useLoad(() => findMyBooking(id), [id]);
  const mine = booking.data !== null;
  const state = useLoad(() => get(`/bookings/${id}/payments`), [id]);
  const [paid, setPaid] = useState(null); // the index of the payment just made
  const [waited, setWaited] = useState(0);
  useLive(["notification"], (frame) => String(frame.data.kind || "").startsWith("booking") && state.reload());
  // Payments hears of an acceptance as an event, a moment after the booking shows it: until
  // then it knows no booking, or one with no payments scheduled. A guest who opens this
  // page at once is told to wait while it asks again, rather than shown an empty receipt.
  const unscheduled = state.data !== null && state.data.payments.length === 0;
  const unknown = state.error instanceof ApiError && state.error.code === "not_found";
  const preparing = mine && (unscheduled || unknown) && waited < PREPARE_TRIES;
  useEffect(() => {
    if (!preparing) return undefined;
    const timer = setTimeout(() => { setWaited((n) => n + 1); state.reload(); }, 1000);
    return () => clearTimeout(timer);
  }, [preparing, waited]);
  if (!booking.loading && !booking.error && !mine) return html`<${BookingGone} title="Payment" />`;
  return html`<section>
    <h1>Payment</h1>
    <p><a href=${`#/bookings?booking=${id}`}>Back to the booking</a></p>
    ${booking.error ? html`<${Alert} error=${booking.error} />`
    : !mine ? html`<p class="loading" role="status">Loading…</p>`
    : preparing ? html`<p class="loading" role="status">Getting your payment ready…</p>` : html`<${Loading} state=${state}>${(r) => {
      const due = payableNow(r);
      return html`
        ${paid === 0 && html`<${Notice} focus>Paid: your stay is confirmed. The exact address is on the booking.</${Notice}>`}
        ${paid !== null && paid > 0 && html`<${Notice} focus>Paid, thank you: the receipt below shows it.</${Notice}>`}
        ${due && paid === null && (due.index === 0 && booking.data.host_suspended
          ? html`<p class="notice">Wardmate suspended this host's account: it takes no payment for this stay while the suspension lasts.
              ${" "}You may cancel the stay without fault from <a href=${`#/bookings?booking=${id}`}>the booking</a>.</p>`
          : html`<${CardForm} key=${due.index} booking=${id} due=${due} zone=${r.time_zone} onPaid=${() => { setPaid(due.index); state.reload(); }} />`)}
        <${Receipt} r=${r} role="guest" />`;
    }}<//>`}
  </section>`;
}

// Seconds the pay page asks again while payments has not yet heard of the acceptance.
const PREPARE_TRIES = 30;

/** Whom and what a receipt is for: the booking's id, the room (its address once the API
 * gives it) and both sides by name. */
function StayFacts({ b }) {
  const { me } = useSession();
  const otherId = b.role === "host" ? b.guest_id : b.host_id;
  // A deleted account is named as everywhere else, without asking for its profile (a 404).
  const other = useLoad(() => (b.other_deleted ? Promise.resolve(null) : get(`/users/${otherId}`)), [otherId]);
  const otherName = b.other_deleted || other.error ? "Deleted user" : other.data ? other.data.display_name : "…";
  const [guest, host] = b.role === "guest" ? [me.user.display_name, otherName] : [otherName, me.user.display_name];
  return html`<dl class="facts" aria-label="Booking">
    <dt>Issued</dt><dd>${fmtDay(serverNow())}, by Wardmate</dd>
    <dt>Booking</dt><dd>${b.id}</dd>
    <dt>Room</dt><dd>${b.listing_title}${b.address ? html`, ${b.address}` : ""}</dd>
    <dt>Guest</dt><dd>${guest}</dd>
    <dt>Host</dt><dd>${host}</dd>
  </dl>`;
}

/** #/bookings/{id}/receipt: the receipt as either side sees it (the host: fee and net). */
export function ReceiptPage({ id, role }) {
  const state = useLoad(() => get(`/bookings/${id}/payments`), [id]);
  const refused = state.error instanceof ApiError && state.error.code !== "unavailable";
  // The booking: who, which room, its id (a receipt kept for a reimbursement named none),
  // and whether a refusal of its payments is a booking that is not the reader's.
  const booking = useLoad(() => findMyBooking(id), [id]);
  if (refused && !booking.loading && booking.data === null) return html`<${BookingGone} title="Receipt" />`;
  return html`<section>
    <h1>Receipt</h1>
    <p class="no-print"><a href=${`#/bookings?booking=${id}`}>Back to the booking</a></p>
    ${!state.loading && !state.error && html`<p class="no-print"><button type="button" class="secondary" onClick=${() => window.print()}>Print or save as PDF</button></p>`}
    ${refused && booking.loading ? html`<p class="loading" role="status">Loading…</p>` : html`<${Loading} state=${state}>${(r) => {
      const due = role === "guest" ? payableNow(r) : undefined;
      return html`${due && html`<p class="notice no-print"><a class="button" href=${`#/bookings/${id}/pay`}>Pay ${fmtMoney(due.amount)} now due</a></p>`}
        ${booking.data && html`<${StayFacts} b=${booking.data} />`}
        <${Receipt} r=${r} role=${role} titled=${false} />`;
    }}<//>`}
  </section>`;
}

// Every paid stay as one CSV file, streamed by the gateway page by page (the CSV of the
// page on screen held its first 100 stays only).
const PAYOUTS_CSV = "/api/v1/me/payouts.csv";

/** #/payouts: a host's money: held, released less fees, per booking, as CSV. */
export function Payouts() {
  const state = useLoad(() => get("/me/payouts", { limit: 100 }), []);
  const list = useMore(state, (cursor) => get("/me/payouts", { limit: 100, cursor }), (x) => x.booking_id);
  useLive(["notification"], () => state.reload());
  return html`<section>
    <h1>Payouts</h1>
    <${Loading} state=${state}>${(p) => html`
      <dl class="totals" aria-label="Your money">
        <dt>Held by Wardmate</dt><dd data-total="held">${fmtMoney(p.held)}</dd>
        <dt>Released to your balance</dt><dd data-total="released">${fmtMoney(p.released)}</dd>
        <dt>Fees (${p.host_fee_percent}%)</dt><dd data-total="fees">${fmtMoney(p.fees)}</dd>
      </dl>
      <p class="hint">A guest's payment is held until 24 hours after check-in (a long stay's later payments, until their
        nights begin), then released to your balance less the ${p.host_fee_percent}% fee. Each stay's receipt gives the time of each release.</p>
      ${p.items.length === 0 ? html`<${Empty}>No paid stays yet.</${Empty}>` : html`<div class="table-wrap" tabindex="0" role="region" aria-label="Payouts table"><table class="stack">
        <caption>By booking</caption>
        <thead><tr><th scope="col">Room</th><th scope="col">Stay</th><th scope="col">Paid</th><th scope="col">Refunded</th><th scope="col">Held</th><th scope="col">Released</th><th scope="col">Fees</th></tr></thead>
        <tbody>${list.items.map((x) => html`<tr>
          <th scope="row" data-label="Room"><a href=${`#/bookings/${x.booking_id}/receipt`}>${x.listing_title}</a></th>
          <td data-label="Stay"><span><span class="nowrap">${fmtDate(x.check_in)} –</span> <span class="nowrap">${fmtDate(x.check_out)}</span></span></td>
          <td data-label="Paid">${fmtMoney(x.paid)}</td><td data-label="Refunded">${fmtMoney(x.refunded)}</td><td data-label="Held">${fmtMoney(x.held)}</td>
          <td data-label="Released">${fmtMoney(x.released)}</td><td data-label="Fees">${fmtMoney(x.fees)}</td>
        </tr>`)}</tbody></table></div>
        <${ShowMore} list=${list} label="Older stays" />
        <p><a class="button secondary" href=${PAYOUTS_CSV} download="wardmate-payouts.csv">Download CSV</a> (every stay)</p>`}
    `}<//>
  </section>`;
}

/** What cancelling now would refund, asked before the cancellation is confirmed: phrased for
 * the guest ("You get") or for the host ("Your guest gets"). */
export async function refundQuote(bookingId, role = "guest") {
  const quote = await get(`/bookings/${bookingId}/refund-quote`);
  if (!(quote.paid > 0)) return "";
  const who = role === "host" ? "Your guest gets" : "You get";
  // By when it stays this large, on the room's clock and the reader's (the policy's
  // "until 7 days before check-in" left them to count the days and the hours).
  const until = quote.refund_until && quote.refund_after !== null
    ? ` If you cancel after ${fmtDeadline(quote.refund_until, quote.time_zone)}, you get ${fmtMoney(quote.refund_after)} back.` : "";
  return `${who} ${fmtMoney(quote.refund)} back (${quote.reason}).${until}`;
}
