// Operators' payments: reconciliation with Stripe, a booking's payments, refunds with a reason.
import { html, useState } from "../vendor/preact-htm.js";
import { get, post } from "../api.js";
import { Alert, Field, Loading, fmtDate, fmtMoney, formError, useForm, useLoad } from "../ui.js";

function Refund({ bookingId, onDone }) {
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const form = useForm();
  async function onSubmit(e) {
    e.preventDefault();
    const cents = Math.round(Number(amount) * 100);
    if (await form.submit(() => post(`/admin/payments/${bookingId}/refunds`, { amount_cents: cents, reason }))) onDone();
  }
  return html`<form class="inline-form" onSubmit=${onSubmit} novalidate aria-label="Refund">
    <${Field} label="Refund (USD)" name="amount_cents" inputmode="decimal" value=${amount} onInput=${(e) => setAmount(e.currentTarget.value)} error=${form.errors.amount_cents} />
    <${Field} label="Reason" name="reason" value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} error=${form.errors.reason} />
    <${Alert} error=${formError(form.errors, ["amount_cents", "reason"])} />
    <button type="submit" disabled=${form.busy}>Refund</button>
  </form>`;
}

// "1 charge", "2 charges" (it read "1 charges", "1 difference(s)").
const plural = (n, thing) => `${n} ${thing}${n === 1 ? "" : "s"}`;

function BookingPayments({ id, r, onChange }) {
  return html`<div class="card">
    <p>${r.nights} nights · total ${fmtMoney(r.total)} · paid ${fmtMoney(r.paid)} · refunded ${fmtMoney(r.refunded)}${" "}
      · held ${fmtMoney(r.held)} · released ${fmtMoney(r.released)} · policy ${r.cancellation_policy}</p>
    <ul aria-label="Payments">${r.payments.map((p) => html`<li>Payment ${p.number}: ${fmtMoney(p.amount)} for ${p.nights} nights from ${fmtDate(p.start)}, ${p.status}${p.failure ? ` (${p.failure})` : ""}</li>`)}</ul>
    ${r.replaced.length > 0 && html`<ul aria-label="Replaced by new dates">${r.replaced.map((p) => html`<li>${fmtMoney(p.amount)} for ${p.nights} nights from ${fmtDate(p.start)}, replaced${p.refunded > 0 ? `, paid and refunded ${fmtMoney(p.refunded)}` : ", never charged"}</li>`)}</ul>`}
    <ul aria-label="Refunds">${r.refunds.map((x) => html`<li>${fmtMoney(x.amount)} ${x.kind}, ${x.status}: ${x.reason}</li>`)}</ul>
    <${Refund} bookingId=${id} onDone=${onChange} />
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
