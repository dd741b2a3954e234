// Operators: verify a professional's credentials, handle the report queue, see counts.
import { html, useState } from "../vendor/preact-htm.js";
import { get, post } from "../api.js";
import { Alert, Empty, Field, Loading, Notice, fmtTime, formError, useForm, useLoad, words } from "../ui.js";

function VerifyForm() {
  const [userId, setUserId] = useState("");
  const [done, setDone] = useState(null);
  const form = useForm();
  async function onSubmit(e) {
    e.preventDefault();
    setDone(null);
    const v = await form.submit(() => post(`/admin/verifications/${userId.trim()}`, {}));
    if (v) setDone(`Verified (${v.kind === "npi" ? "NPI" : "licence"}).`);
  }
  return html`<form onSubmit=${onSubmit} novalidate aria-labelledby="verify-admin-h">
    <h2 id="verify-admin-h">Verify a professional</h2>
    <p>Check the NPI or licence the professional submitted, then verify their account by its user id
      (shown in their public profile's address, and in reports).</p>
    <${Field} label="User id" name="user_id" value=${userId} onInput=${(e) => setUserId(e.currentTarget.value)} error=${form.errors.user_id} />
    <${Alert} error=${formError(form.errors, ["user_id"])} />
    ${done && html`<${Notice}>${done}</${Notice}>`}
    <button type="submit" disabled=${form.busy || !userId.trim()}>Verify</button>
  </form>`;
}

function ReportItem({ r, onChange }) {
  const [resolution, setResolution] = useState("");
  const form = useForm();
  async function onSubmit(e) {
    e.preventDefault();
    if (await form.submit(() => post(`/admin/reports/${r.id}/resolve`, { resolution }))) onChange();
  }
  return html`<li class="card">
    <h3>${words(r.reason)} · ${fmtTime(r.created_at)}</h3>
    <p>Reported user: <a href=${`#/users/${r.reported_user_id}`}>${r.reported_user_id}</a> · by <a href=${`#/users/${r.reporter_id}`}>${r.reporter_id}</a></p>
    ${r.message_body && html`<p class="quote-text">Message: “${r.message_body}”</p>`}
    ${r.details && html`<p>Details: ${r.details}</p>`}
    ${r.status === "resolved" ? html`<p>Resolved: ${r.resolution || "no note"}</p>`
      : html`<form class="inline-form" onSubmit=${onSubmit} novalidate aria-label=${`Resolve report ${r.id}`}>
        <${Field} label="Resolution" name="resolution" value=${resolution} onInput=${(e) => setResolution(e.currentTarget.value)} error=${form.errors.resolution} />
        <${Alert} error=${formError(form.errors, ["resolution"])} />
        <button type="submit" disabled=${form.busy}>Resolve</button>
      </form>`}
  </li>`;
}

export function Admin() {
  const [status, setStatus] = useState("open");
  const reports = useLoad(() => get("/admin/reports", { status, limit: 50 }), [status]);
  const stats = useLoad(() => get("/admin/messaging/stats"), []);
  return html`<section>
    <h1>Operators</h1>
    <${Loading} state=${stats}>${(s) => html`<p>${s.messages} messages, ${s.flagged_messages} flagged as possible scams
      (${s.flagged_last_24h} in the last 24 hours), ${s.reports_open} open reports, ${s.blocks} blocks.</p>`}<//>
    <${VerifyForm} />
    <section aria-labelledby="reports-h">
      <h2 id="reports-h">Reports</h2>
      <${Field} as="select" label="Show" name="status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
        <option value="open">Open</option><option value="resolved">Resolved</option><option value="all">All</option>
      <//>
      <${Loading} state=${reports}>${(page) => page.items.length === 0 ? html`<${Empty}>No reports.</${Empty}>`
        : html`<ul class="cards" aria-label="Reports">${page.items.map((r) => html`<${ReportItem} key=${r.id} r=${r} onChange=${reports.reload} />`)}</ul>`}<//>
    </section>
  </section>`;
}
