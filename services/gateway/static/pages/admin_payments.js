// Operators' payments: reconciliation with Stripe, a booking's payments, refunds with a reason.
import { html, useState } from "../vendor/preact-htm.js";
import { get, post } from "../api.js";
import { Alert, ConfirmQuestion, Field, Loading, Notice, fmtDate, fmtMoney, fmtMoment, formError, sumAmounts, toCents, useAsking, useForm, useLoad } from "../ui.js";

// An amount in dollars as an operator types it: "50", "12.50" ("$50", "0.001" and "abc" were
// sent as cents, and refused in cents: "At most 165704.").
const DOLLARS = /^\d+(\.\d{1,2})?$/;

/** A refund asks first, naming the amount and the reason, and says when it is recorded; the
 * form is then empty. It kept "50" with focus on Refund, and said nothing: a second press
 * refunded $50 again. */
function Refund({ bookingId, refundable, onDone }) {
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [done, setDone] = useState(null);
  const form = useForm();
  // Kept (or Escape), focus goes back to Refund.
  const { asking, ask, keep, button } = useAsking();
  const typed = amount.trim().replace(/^\$/, "");
  function onSubmit(e) {
    e.preventDefault();
    setDone(null);
    const cents = DOLLARS.test(typed) ? Math.round(Number(typed) * 100) : NaN;
    const errors = {};
    if (!DOLLARS.test(typed) || cents < 1) errors.amount_cents = "Enter an amount in dollars, like 50 or 12.50";
    else if (cents > Math.round(refundable * 100)) errors.amount_cents = `At most ${fmtMoney(refundable)}: what the guest paid, less what is refunded`;
    // At least 3 characters, as payments asks ("ok" passed here and was refused there).
    if (!reason.trim()) errors.reason = "Say why: the guest's receipt shows it";
    else if (reason.trim().length < 3) errors.reason = "Say why in a few words (3 characters at least): the guest's receipt shows it";
    if (Object.keys(errors).length) return form.refuse(errors);
    form.setErrors({}); // the fields are valid now: not read as invalid while it asks
    return ask({ cents, reason: reason.trim() });
  }
  async function refund() {
    const { cents, reason: why } = asking;
    ask(null);
    if (await form.submit(() => post(`/admin/payments/${bookingId}/refunds`, { amount_cents: cents, reason: why }))) {
      setAmount("");
      setReason("");
      setDone(`${fmtMoney(cents / 100)} refund recorded: Stripe sends it to the guest's card shortly.`);
      onDone();
    }
  }
  // The API's own refusals are in cents ("at most 165704"): said in dollars.
  const amountError = form.errors.amount_cents && form.errors.amount_cents.replace(/^At most (\d+)\.?$/i, (_, c) => `At most ${fmtMoney(Number(c) / 100)}`);
  return html`<form class="inline-form" onSubmit=${onSubmit} novalidate aria-label="Refund">
    ${done && html`<${Notice} focus="lost">${done}<//>`}
    <${Field} label="Refund (USD)" name="amount_cents" inputmode="decimal" value=${amount} readonly=${Boolean(asking)}
      onInput=${(e) => setAmount(e.currentTarget.value)} error=${amountError} />
    <${Field} label="Reason" name="reason" value=${reason} readonly=${Boolean(asking)}
      onInput=${(e) => setReason(e.currentTarget.value)} error=${form.errors.reason} />
    <${Alert} error=${formError(form.errors, ["amount_cents", "reason"])} />
    ${asking
      ? html`<${ConfirmQuestion} question=${`Refund ${fmtMoney(asking.cents / 100)} to the guest (“${asking.reason}”)?`} yes="Yes, refund"
          onYes=${refund} onKeep=${keep} />`
      : html`<button type="submit" ref=${button} disabled=${form.busy}>Refund</button>`}
  </form>`;
}

// Why a refund was made, in words ("$50.00 operator, pending" read as a log line).
const REFUND_KINDS = {
  operator: "by an operator",
  cancellation: "for a cancellation",
  expired: "in full",
  shift: "for new dates",
};

/** What a refund can still take, as payments counts it: paid, less every refund recorded,
 * those still on their way to Stripe too (`refunded` counts only those it has sent). */
const refundable = (r) => toCents(r.paid - sumAmounts(r.refunds));

/** A payment's state in words: a charge refunded in full read "succeeded". */
function paymentState(p) {
  if (p.status !== "succeeded") return p.status;
  if (p.refunded >= p.amount && p.amount > 0) return "paid, refunded in full";
  return p.refunded > 0 ? `paid, ${fmtMoney(p.refunded)} of it refunded` : "paid";
}

// "1 charge", "2 charges" (it read "1 charges", "1 difference(s)").
const plural = (n, thing) => `${n} ${thing}${n === 1 ? "" : "s"}`;

function BookingPayments({ id, r, onChange }) {
  // Refunds recorded and not yet sent: "refunded $0.00" alone read as if none was made.
  const pending = sumAmounts(r.refunds.filter((x) => x.status === "pending"));
  return html`<div class="card">
    <p role="status">${r.nights} nights · total ${fmtMoney(r.total)} · paid ${fmtMoney(r.paid)} · refunded ${fmtMoney(r.refunded)}${pending > 0 ? ` (and ${fmtMoney(pending)} not yet sent to Stripe)` : ""}${" "}
      · held ${fmtMoney(r.held)} · released ${fmtMoney(r.released)} · ${r.cancellation_policy} cancellation policy</p>
    <ul aria-label="Payments">${r.payments.map((p) => html`<li>Payment ${p.number}: ${fmtMoney(p.amount)} for ${p.nights} nights from ${fmtDate(p.start)}, ${paymentState(p)}${p.failure ? ` (${p.failure})` : ""}</li>`)}</ul>
    ${r.replaced.length > 0 && html`<ul aria-label="Replaced by new dates">${r.replaced.map((p) => html`<li>${fmtMoney(p.amount)} for ${p.nights} nights from ${fmtDate(p.start)}, replaced${p.refunded > 0 ? `, paid and refunded ${fmtMoney(p.refunded)}` : ", never charged"}</li>`)}</ul>`}
    <ul aria-label="Refunds">${r.refunds.map((x) => html`<li>${fmtMoney(x.amount)} ${REFUND_KINDS[x.kind] || x.kind} on ${fmtMoment(x.created_at)},${" "}
      ${x.status === "pending" ? "on its way to Stripe" : "refunded"}: ${x.reason}</li>`)}</ul>
    ${refundable(r) > 0 ? html`<${Refund} bookingId=${id} refundable=${refundable(r)} onDone=${onChange} />`
      // The form stayed with $0 left, and refused only once sent.
      : r.paid > 0 && html`<p>Nothing is left to refund: everything paid is refunded${pending > 0 ? " or on its way" : ""}.</p>`}
  </div>`;
}

export function AdminPayments() {
  const [checked, setChecked] = useState(0);
  const report = useLoad(() => (checked ? get("/admin/payments-reconciliation") : Promise.resolve(null)), [checked]);
  const [booking, setBooking] = useState("");
  const [shown, setShown] = useState(null);
  // Looked up as a form's submission: what is wrong with the id (not a UUID, no such
  // booking) reads beside the field, where "invalid request" alone said nothing.
  const lookup = useForm();
  async function show(id) {
    if (!id) return;
    const r = await lookup.submit(() => get(`/admin/payments/${encodeURIComponent(id)}`));
    if (r) setShown({ id, r });
    else if (!shown || shown.id !== id) setShown(null); // a failed refresh keeps what it showed
  }
  return html`<section aria-labelledby="payments-admin-h">
    <h2 id="payments-admin-h">Payments</h2>
    <button type="button" class="secondary" onClick=${() => setChecked(checked + 1)}>Reconcile with Stripe</button>
    ${checked > 0 && html`<${Loading} state=${report}>${(r) => r && html`<p role="status">${r.ok ? "Reconciled: no difference." : `${plural(r.differences.length, "difference")}.`}${" "}
      ${plural(r.charges_in_ledger, "charge")} and ${plural(r.refunds_in_ledger, "refund")} in the ledger.</p>
      ${!r.ok && html`<ul aria-label="Differences">${r.differences.map((d) => html`<li>${d}</li>`)}</ul>`}
      ${r.overdue.length > 0 && html`<p>${plural(r.overdue.length, "later payment")} past their deadline, unpaid: not a difference, yours to follow up.</p>
        <ul aria-label="Overdue payments">${r.overdue.map((d) => html`<li>${d}</li>`)}</ul>`}`}<//>`}
    <form class="inline-form" onSubmit=${(e) => { e.preventDefault(); show(booking.trim()); }} novalidate aria-label="A booking's payments">
      <${Field} label="Booking id" name="booking_id" value=${booking} onInput=${(e) => setBooking(e.currentTarget.value)} error=${lookup.errors.booking_id} />
      <${Alert} error=${formError(lookup.errors, ["booking_id"])} />
      <button type="submit" disabled=${lookup.busy}>Show payments</button>
    </form>
    ${shown && html`<${BookingPayments} key=${shown.id} id=${shown.id} r=${shown.r} onChange=${() => show(shown.id)} />`}
  </section>`;
}
